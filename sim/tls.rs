//! Modbus/TCP Security (the Modbus Organization's "MODBUS/TCP Security" protocol
//! specification): Modbus over TLS 1.2 or 1.3 with mutual X.509 authentication, on the
//! registered port 802; the client's role travels in its certificate as the extension
//! 1.3.6.1.4.1.50316.802.1 (an ASN.1 UTF8String), and a role policy on the server says
//! which function codes and addresses each role may use; a request the role may not make
//! is answered with exception 01 (Illegal Function).
//!
//! rustls does the TLS (ring as its crypto provider), rcgen makes the certificates,
//! x509-parser reads the role; nothing here is hand-written crypto. The role policy is the
//! DPI's rule set with the role as the client, checked by the same engine.

use crate::controls::dpi::{Dpi, DpiSpec, Flow};
use crate::scenario::Peer;
use crate::scenario::controls::{FunctionRanges, PolicyRule, Preset, ValueBound};
use anyhow::{Context, Result, bail};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The role extension's OID (Modbus/TCP Security, "RoleOID").
pub const ROLE_OID: [u64; 9] = [1, 3, 6, 1, 4, 1, 50316, 802, 1];

/// The registered port of Modbus/TCP Security.
pub const PORT: u16 = 802;

/// The roles `pki init` issues a client certificate for.
pub const ROLES: [&str; 4] = ["operator", "engineer", "vendor", "historian"];

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS server configuration for a Modbus/TCP Security endpoint: its certificate chain
/// and key, and the CA whose client certificates it accepts (clients must present one).
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: &Path,
) -> Result<Arc<rustls::ServerConfig>> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("{}: cannot read the certificate", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{}: not a PEM certificate chain", cert.display()))?;
    if chain.is_empty() {
        bail!("{}: no certificate in the file", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("{}: not a PEM private key", key.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(client_ca)
        .with_context(|| format!("{}: cannot read the client CA", client_ca.display()))?
    {
        let ca = ca.with_context(|| format!("{}: not a PEM certificate", client_ca.display()))?;
        roots
            .add(ca)
            .with_context(|| format!("{}: not a usable CA certificate", client_ca.display()))?;
    }
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .context("the client certificate verifier")?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("TLS versions")?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .context("the server certificate and key do not go together")?;
    Ok(Arc::new(config))
}

/// The role a client certificate carries (the UTF8String of the role extension).
pub fn role_of(cert: &[u8]) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert).ok()?;
    let oid = x509_parser::oid_registry::Oid::from(&ROLE_OID[..]).ok()?;
    let ext = parsed.extensions().iter().find(|e| e.oid == oid)?;
    utf8_string(ext.value)
}

/// A DER UTF8String (tag 12) as text.
fn utf8_string(der: &[u8]) -> Option<String> {
    let (&tag, rest) = der.split_first()?;
    if tag != 0x0C {
        return None;
    }
    let (&len, rest) = rest.split_first()?;
    let (len, body) = if len < 0x80 {
        (len as usize, rest)
    } else {
        let n = (len & 0x7F) as usize;
        if n == 0 || n > 2 || rest.len() < n {
            return None;
        }
        let l = rest[..n].iter().fold(0usize, |a, b| a << 8 | *b as usize);
        (l, &rest[n..])
    };
    (body.len() == len).then(|| String::from_utf8(body.to_vec()).ok())?
}

fn der_utf8_string(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = vec![0x0C];
    if b.len() < 0x80 {
        out.push(b.len() as u8);
    } else {
        out.extend([0x82, (b.len() >> 8) as u8, b.len() as u8]);
    }
    out.extend_from_slice(b);
    out
}

/// One role's rights on a device: the DPI rule's fields, for a role.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRule {
    /// The role, as the client certificate's role extension names it.
    pub role: String,
    /// The function codes the role may use.
    pub preset: Preset,
    #[serde(default)]
    pub read_ranges: Vec<(u16, u16)>,
    #[serde(default)]
    pub write_ranges: Vec<(u16, u16)>,
    #[serde(default)]
    pub function_ranges: Vec<FunctionRanges>,
    #[serde(default)]
    pub value_bounds: Vec<ValueBound>,
    #[serde(default)]
    pub unit_ids: Vec<u8>,
}

/// A device's role policy: what each role may do; a role not listed, or a certificate
/// with no role, may do nothing.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolePolicy {
    pub roles: Vec<RoleRule>,
}

impl RolePolicy {
    /// The policy as the DPI engine's rule set: each role a client, the device `upstream`.
    pub fn dpi_spec(&self) -> DpiSpec {
        let text = "(mode: Enforce, rules: [])";
        let mut spec: DpiSpec = ron::from_str(text).expect("a literal policy");
        spec.latency_ms = 0.0;
        spec.rules = self
            .roles
            .iter()
            .map(|r| PolicyRule {
                from: Peer::Host(r.role.clone()),
                to: Peer::Host("upstream".into()),
                preset: r.preset,
                read_ranges: r.read_ranges.clone(),
                write_ranges: r.write_ranges.clone(),
                function_ranges: r.function_ranges.clone(),
                value_bounds: r.value_bounds.clone(),
                unit_ids: r.unit_ids.clone(),
                rate_limit: None,
            })
            .collect();
        spec
    }
}

/// Load a role policy (RON), every error placed; checked by the DPI policy's own checks.
pub fn load_roles(path: &Path) -> Result<RolePolicy> {
    let policy: RolePolicy = crate::policy::read_policy_file(
        path,
        "the role policy",
        "a role policy is (roles: [(role: \"operator\", preset: ReadOnly), …])",
    )?;
    crate::policy::checked_policy(path, &policy.dpi_spec(), &|_, _| None, |f| {
        f.replace("rules", "roles")
    })?;
    Ok(policy)
}

/// Whether `role` may make the request in `adu` (None: no role in the certificate).
pub fn role_allows(dpi: &mut Dpi, role: Option<&str>, adu: &[u8]) -> bool {
    let Some(role) = role else {
        return false;
    };
    dpi.inspect(
        Flow {
            from_host: role,
            from_zone: "client",
            to_host: "upstream",
            to_zone: "upstream",
            source: 0,
        },
        adu,
        0,
    )
    .is_ok()
}

/// What `pki init` wrote.
#[derive(Debug)]
pub struct Pki {
    pub ca: PathBuf,
    pub devices: Vec<(String, PathBuf, PathBuf)>,
    pub clients: Vec<(String, PathBuf, PathBuf)>,
}

fn validity(p: &mut CertificateParams, days: u32) -> Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the clock")?
        .as_secs() as i64;
    p.not_before = time::OffsetDateTime::from_unix_timestamp(now - 3600)?;
    p.not_after = time::OffsetDateTime::from_unix_timestamp(now + days as i64 * 86_400)?;
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<()> {
    crate::report::write_atomic(path, text)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// A plant CA, a certificate for each device (by name, with its address and loopback as
/// subject alternative names) and one for each role in [`ROLES`], valid `days` days, in
/// `dir`: `ca.pem`, `ca.key`, `devices/NAME.pem|.key`, `clients/ROLE.pem|.key`.
pub fn pki_init(dir: &Path, devices: &[(String, String)], days: u32) -> Result<Pki> {
    std::fs::create_dir_all(dir.join("devices"))?;
    std::fs::create_dir_all(dir.join("clients"))?;
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name
        .push(DnType::CommonName, "faultline plant CA");
    ca.distinguished_name
        .push(DnType::OrganizationName, "faultline");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity(&mut ca, days)?;
    let ca_cert = ca.self_signed(&ca_key)?;
    let ca_path = dir.join("ca.pem");
    write(&ca_path, &ca_cert.pem())?;
    write(&dir.join("ca.key"), &ca_key.serialize_pem())?;
    let mut out = Pki {
        ca: ca_path,
        devices: Vec::new(),
        clients: Vec::new(),
    };
    for (name, address) in devices {
        let key = KeyPair::generate()?;
        let mut sans = vec![
            name.clone(),
            "localhost".to_string(),
            "127.0.0.1".to_string(),
        ];
        if !address.is_empty() && !sans.contains(address) {
            sans.push(address.clone());
        }
        let mut p = CertificateParams::new(sans)?;
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, name.as_str());
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        validity(&mut p, days)?;
        let cert = p.signed_by(&key, &ca_cert, &ca_key)?;
        let (c, k) = (
            dir.join(format!("devices/{name}.pem")),
            dir.join(format!("devices/{name}.key")),
        );
        write(&c, &cert.pem())?;
        write(&k, &key.serialize_pem())?;
        out.devices.push((name.clone(), c, k));
    }
    for role in ROLES {
        let key = KeyPair::generate()?;
        let mut p = CertificateParams::new(Vec::<String>::new())?;
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name
            .push(DnType::CommonName, format!("{role} (faultline)"));
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        p.custom_extensions = vec![CustomExtension::from_oid_content(
            &ROLE_OID,
            der_utf8_string(role),
        )];
        validity(&mut p, days)?;
        let cert = p.signed_by(&key, &ca_cert, &ca_key)?;
        let (c, k) = (
            dir.join(format!("clients/{role}.pem")),
            dir.join(format!("clients/{role}.key")),
        );
        write(&c, &cert.pem())?;
        write(&k, &key.serialize_pem())?;
        out.clients.push((role.to_string(), c, k));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_client_certificate_carries_its_role_and_a_server_config_loads() {
        let dir = std::env::temp_dir().join(format!("faultline-pki-{}", std::process::id()));
        let pki = pki_init(&dir, &[("plc-filler".into(), "10.10.2.13".into())], 30).unwrap();
        for (role, cert, _) in &pki.clients {
            let der = CertificateDer::from_pem_file(cert).unwrap();
            assert_eq!(role_of(&der).as_deref(), Some(role.as_str()));
        }
        let ca = CertificateDer::from_pem_file(&pki.ca).unwrap();
        assert_eq!(role_of(&ca), None);
        let (_, c, k) = &pki.devices[0];
        server_config(c, k, &pki.ca).unwrap();
        assert_eq!(
            utf8_string(&der_utf8_string(&"x".repeat(300))),
            Some("x".repeat(300))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod role_tests {
    use super::*;
    use crate::modbus::{Request, request_adu};

    #[test]
    fn the_example_role_policy_lets_an_operator_read_and_set_speed_but_not_a_recipe_setpoint() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/roles.ron");
        let policy = load_roles(&path).unwrap();
        let mut dpi = Dpi::new(&policy.dpi_spec());
        let adu = |r: Request| request_adu(1, 1, &r);
        let read = adu(Request::ReadInputRegisters {
            address: 0,
            quantity: 12,
        });
        let speed = adu(Request::WriteSingleRegister {
            address: 0,
            value: 100,
        });
        let setpoint = adu(Request::WriteSingleRegister {
            address: 2,
            value: 560,
        });
        let many = adu(Request::WriteMultipleRegisters {
            address: 1,
            values: vec![1, 2],
        });
        assert!(role_allows(&mut dpi, Some("operator"), &read));
        assert!(role_allows(&mut dpi, Some("operator"), &speed));
        assert!(!role_allows(&mut dpi, Some("operator"), &setpoint));
        assert!(!role_allows(&mut dpi, Some("operator"), &many));
        assert!(role_allows(&mut dpi, Some("engineer"), &setpoint));
        assert!(role_allows(&mut dpi, Some("historian"), &read));
        assert!(!role_allows(&mut dpi, Some("historian"), &speed));
        // No role in the certificate, or a role the policy does not list: nothing.
        assert!(!role_allows(&mut dpi, None, &read));
        assert!(!role_allows(&mut dpi, Some("intruder"), &read));
    }

    #[test]
    fn a_role_policy_with_a_mistake_is_refused_at_its_place() {
        let dir = std::env::temp_dir().join(format!("faultline-roles-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("r.ron");
        std::fs::write(
            &p,
            "(roles: [(role: \"operator\", preset: ReadOnly, read_ranges: [(10, 2)])])",
        )
        .unwrap();
        let e = load_roles(&p).unwrap_err().to_string();
        assert!(e.contains("roles[0].read_ranges"), "{e}");
        std::fs::write(&p, "(roles: [(role: \"operator\", presett: ReadOnly)])").unwrap();
        let e = load_roles(&p).unwrap_err().to_string();
        assert!(e.contains("r.ron:1:") && e.contains("hint:"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
