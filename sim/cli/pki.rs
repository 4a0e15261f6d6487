//! `faultline pki init DIR`: a plant CA, device and role certificates for Modbus/TCP
//! Security, to try it in minutes.

use super::Failure;
use faultline::load;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// Write a plant CA (ca.pem, ca.key), a certificate per device (devices/NAME.pem,
    /// .key: each PLC of --scenario, named and addressed as there, or one `device`), and
    /// a client certificate per role with the role extension (clients/ROLE.pem, .key:
    /// operator, engineer, vendor, historian).
    Init {
        dir: PathBuf,
        /// Issue device certificates for this scenario's PLCs.
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Days the certificates are valid.
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
}

pub fn run(a: Args) -> Result<(), Failure> {
    let What::Init {
        dir,
        scenario,
        days,
    } = a.what;
    if days == 0 {
        return Err(Failure::Usage(
            "--days 0: a certificate must be valid for a day at least".into(),
        ));
    }
    let devices: Vec<(String, String)> = match &scenario {
        Some(path) => {
            let s = load(path).map_err(Failure::Scenario)?;
            s.plcs
                .iter()
                .map(|p| (p.name.clone(), p.address.clone()))
                .collect()
        }
        None => vec![("device".into(), "127.0.0.1".into())],
    };
    let pki = faultline::tls::pki_init(&dir, &devices, days).map_err(Failure::Output)?;
    println!("plant CA     {}", pki.ca.display());
    for (name, cert, key) in &pki.devices {
        println!(
            "device       {name:<14} {} {}",
            cert.display(),
            key.display()
        );
    }
    for (role, cert, key) in &pki.clients {
        println!(
            "client role  {role:<14} {} {}",
            cert.display(),
            key.display()
        );
    }
    println!("valid {days} days; keep ca.key off the plant floor");
    Ok(())
}
