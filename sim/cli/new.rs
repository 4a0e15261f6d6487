//! `faultline new NAME`: a commented starting scenario that validates and runs.

use super::Failure;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario's name; the file is NAME.ron (or NAME, when it ends in .ron).
    name: String,
    /// Replace the file if it exists.
    #[arg(long)]
    force: bool,
}

pub fn run(a: Args) -> Result<(), Failure> {
    let path = PathBuf::from(if a.name.ends_with(".ron") {
        a.name.clone()
    } else {
        format!("{}.ron", a.name)
    });
    let title = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    if title.trim().is_empty() {
        return Err(Failure::Usage(format!(
            "\"{}\": give the scenario a name",
            a.name
        )));
    }
    if path.exists() && !a.force {
        return Err(Failure::Usage(format!(
            "{} exists; choose another name or pass --force to replace it",
            path.display()
        )));
    }
    let text = starting_scenario(&title);
    super::write_atomic(&path, &text).map_err(Failure::Output)?;
    println!(
        "wrote {p}: a three-station line, two PLCs, an HMI and three zones, no attacks\n\
         next: faultline validate {p} && faultline run {p}\n\
         the fields: docs/scenario-reference.md, or faultline schema SECTION (e.g. faultline schema attacks)",
        p = path.display()
    );
    Ok(())
}

/// The starting scenario, named `name`.
pub fn starting_scenario(name: &str) -> String {
    TEMPLATE.replace("{name}", &name.replace('\\', "\\\\").replace('"', "\\\""))
}

const TEMPLATE: &str = r#"// A starting scenario written by `faultline new`. Every field is described, with its
// unit, default, allowed range and an example, in docs/scenario-reference.md; print one
// section with `faultline schema SECTION` (e.g. `faultline schema stations`). Check the
// file with `faultline validate`, run it with `faultline run`.
Scenario(
    name: "{name}",
    description: "A short line: infeed, process, packer; two PLCs polled by the HMI.",
    seed: 1,
    duration_h: 8.0,    // one shift of simulated time

    // The line, upstream first. `feeds` sends a station's output on; a station that
    // nothing feeds draws from an unlimited supply, one that feeds nothing is the output.
    stations: [
        (name: "infeed", cycle_s: 1.0, feeds: ["process"]),
        (
            name: "process",
            cycle_s: 1.2,          // the bottleneck: 3,000 units an hour at 100 % speed
            jitter_cv: 0.05,
            buffer: 20,            // units waiting in front of it
            // Breakdowns: operating hours between failures, minutes to repair (`faultline
            // schema Dist` lists the distributions).
            failures: Some((between_h: Exponential(4.0), repair_min: LogNormal(mean: 10.0, cv: 0.8))),
            feeds: ["packer"],
        ),
        (name: "packer", cycle_s: 0.9, buffer: 20),
    ],

    // One PLC per cell. `profile` is the device's behaviour under load and bad traffic:
    // `modern`, `legacy` or a library device (`faultline schema ProfileSpec`).
    plcs: [
        (name: "plc-infeed", stations: ["infeed", "process"], profile: "modern", address: "10.10.2.11"),
        (name: "plc-packer", stations: ["packer"], profile: "legacy", address: "10.10.2.12"),
    ],

    // The HMI/SCADA polls every PLC's status over Modbus/TCP.
    hmi: (address: "10.10.1.10", poll_ms: 1000, timeout_ms: 1000),

    // The shift starts the line at once and stops it at the end.
    schedule: [
        (at_h: 0.0, action: StartLine),
        (at_h: 8.0, action: StopLine),
    ],

    // Zones and conduits (IEC 62443). Controls (`segmentation`, `dpi`, `ids`, …) and
    // `attacks` are added to this; `faultline schema attacks` shows the techniques.
    network: Some((
        zones: ["enterprise", "supervisory", "control"],
        conduits: [
            (between: ("enterprise", "supervisory"), latency_ms: 0.5),
            (between: ("supervisory", "control"), latency_ms: 0.2),
        ],
        hmi_zone: "supervisory",
        plc_zone: "control",
        hosts: [
            (name: "eng-ws", zone: "supervisory", address: "10.10.1.20", role: EngineeringWorkstation),
            (name: "mes", zone: "enterprise", address: "10.20.0.10", role: Mes),
        ],
    )),

    // What lost output and scrap cost (replace with your plant's figures).
    cost: (currency: "USD", downtime_per_h: 20000.0, scrap_per_unit: 0.5),
)
"#;
