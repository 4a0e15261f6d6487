//! `faultline map` and `faultline validate`: a scenario's register map, and a check of it.

use super::Failure;
use anyhow::Result;
use faultline::load;
use faultline::plc::map::{self, Point, Table};
use faultline::scenario::StationKind;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ValidateArgs {
    /// A scenario, an overlay or an exercise file.
    scenario: PathBuf,
}

pub fn validate(a: ValidateArgs) -> Result<(), Failure> {
    let ValidateArgs { scenario } = a;
    // An exercise file is checked as an exercise (and the scenario it runs with it).
    let text = std::fs::read_to_string(&scenario).unwrap_or_default();
    match faultline::scenario::top_level(&text) {
        "Exercise" => {
            let ex = faultline::exercise::load(&scenario).map_err(Failure::Scenario)?;
            println!(
                "{}: ok — exercise \"{}\", {} injects, {} decision points, {} roles, on \"{}\" ({} h)",
                scenario.display(),
                ex.exercise.name,
                ex.exercise.injects.len(),
                ex.points().len(),
                ex.exercise.roles.len(),
                ex.scenario.name,
                ex.scenario.duration_h
            );
            // What the injects state as numbers, against the twin at their moments.
            let stale = faultline::exercise::template::stale_numbers(&ex)
                .map_err(|e| Failure::Policy(anyhow::anyhow!("{}: {e}", scenario.display())))?;
            for (i, w) in stale {
                eprintln!(
                    "{}: warning: injects[{i}] (\"{}\") text: {w}",
                    scenario.display(),
                    ex.exercise.injects[i].title
                );
            }
            return Ok(());
        }
        "Variants" => {
            return Err(Failure::Usage(format!(
                "{} is a sweep's variants file: it is checked against the scenario it varies, with `faultline sweep SCENARIO --variants {}`",
                scenario.display(),
                scenario.display()
            )));
        }
        _ => {}
    }
    let s = load(&scenario).map_err(Failure::Scenario)?;
    println!(
        "{}: ok — \"{}\", {} stations, {} PLCs, {} h",
        scenario.display(),
        s.name,
        s.stations.len(),
        s.plcs.len(),
        s.duration_h
    );
    for w in default_fees_warning(&s)
        .into_iter()
        .chain(unpriced_out_of_band_warning(&s))
    {
        eprintln!("{}: warning: {w}", scenario.display());
    }
    Ok(())
}

/// A scenario with attacks and a thermal station (a critical control point) that does not
/// price product made out of its band: a recall is then missing from what an attack
/// costs and from what a control saves.
pub fn unpriced_out_of_band_warning(s: &faultline::Scenario) -> Option<String> {
    let attacked = !s.attacks.is_empty() || s.attacker.is_some();
    let thermal: Vec<&str> = s
        .stations
        .iter()
        .filter(|st| matches!(st.kind, faultline::scenario::StationKind::Thermal(_)))
        .map(|st| st.name.as_str())
        .collect();
    (attacked && !thermal.is_empty() && s.cost.out_of_band.is_none()).then(|| {
        format!(
            "cost.out_of_band is not written: product made out of the band of {} is counted \
             but not priced (no held lot's tests, no recall), so what an attack on the process \
             costs and what a control saves leave out the recall; write the plant's own, e.g. \
             cost: (..., out_of_band: Some((ships_after_h: 2.0, test_per_lot: 400.0, \
             recall_per_unit: 0.6, recall_fixed: 150000.0, regulatory: 0.0)))",
            thermal.join(", ")
        )
    })
}

/// A scenario with attacks whose incident fees are the model's assumed defaults: those
/// fees can decide whether a control pays, so the user is told to write their own.
pub fn default_fees_warning(s: &faultline::Scenario) -> Option<String> {
    let attacked = !s.attacks.is_empty() || s.attacker.is_some();
    let (f, assumed) = s.cost.fees();
    (attacked && assumed).then(|| {
        format!(
            "cost.incident is not written: every attack step is charged the assumed default fees \
             ({} {} succeeded with an effect, {} without, {} detected, {} blocked), which can decide \
             whether a control pays; write your own, e.g. cost: (..., incident: (succeeded_with_effect: \
             5000.0, succeeded_without_effect: 800.0, detected: 800.0, blocked: 800.0))",
            s.cost.currency,
            f.succeeded_with_effect.mean(),
            f.succeeded_without_effect.mean(),
            f.detected.mean(),
            f.blocked.mean()
        )
    })
}

#[derive(clap::Args)]
pub struct MapArgs {
    pub scenario: PathBuf,
    /// Markdown table (the format of docs/register-map.md).
    #[arg(long)]
    pub markdown: bool,
}

pub fn map(a: MapArgs) -> Result<(), Failure> {
    let MapArgs { scenario, markdown } = a;
    let s = load(&scenario).map_err(Failure::Scenario)?;
    print!("{}", register_map(&s, markdown));
    Ok(())
}

/// The register map of a scenario's PLCs: a Markdown document or a terminal listing.
fn register_map(s: &faultline::Scenario, markdown: bool) -> String {
    if markdown {
        markdown_map(s)
    } else {
        text_map(s)
    }
}

const TABLES: [Table; 4] = [
    Table::Coil,
    Table::DiscreteInput,
    Table::HoldingRegister,
    Table::InputRegister,
];

fn access(p: &Point) -> &'static str {
    match p.access {
        map::Access::Read => "R",
        map::Access::ReadWrite => "RW",
        map::Access::Pulse => "W (pulse)",
    }
}

/// The map as Markdown (docs/register-map.md).
fn markdown_map(s: &faultline::Scenario) -> String {
    use std::fmt::Write;
    let tables = TABLES;
    let mut o = String::new();
    let _ = writeln!(o, "# Register map\n");
    let _ = writeln!(
        o,
        "Generated by `faultline map {{scenario}} --markdown` for \"{}\"; a test keeps this file in step with the code.\n",
        s.name
    );
    let _ = writeln!(o, "{}\n", MAP_INTRO);
    let _ = writeln!(
        o,
        "## PLCs\n\n| PLC | address | unit id | profile | scan | stations (block base address) |\n|---|---|---|---|---|---|"
    );
    for plc in &s.plcs {
        let st: Vec<String> = plc
            .stations
            .iter()
            .enumerate()
            .map(|(k, n)| format!("{n} ({})", k as u16 * map::BLOCK))
            .collect();
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} ms | {} |",
            plc.name,
            plc.address,
            plc.unit_id,
            plc.profile,
            plc.scan_ms,
            st.join(", ")
        );
    }
    let _ = writeln!(o, "\n## Device profiles\n\n{PROFILES_INTRO}\n");
    let _ = writeln!(
        o,
        "| profile | modelled on (sourced / assumption) | connections | when full | requests per scan | reply after | queue | watchdog (scans, recovery s) | bad traffic | P(hang) per probe |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for p in s.all_profiles() {
        let wd = p.watchdog.as_ref().map_or("none".to_string(), |w| {
            format!("{:?}, {:?}", w.overload_scans, w.recovery_s)
        });
        let bad = |b: faultline::scenario::OnBadTraffic| format!("{b:?}");
        let _ = writeln!(
            o,
            "| `{}` | {} | {} | {:?} | {} | {} scan(s) | {} | {} | unsupported: {}, malformed: {} | {} |",
            p.name,
            p.modelled_on,
            p.max_connections,
            p.when_full,
            if p.requests_per_scan == 0 {
                "no limit".to_string()
            } else {
                p.requests_per_scan.to_string()
            },
            p.reply_latency_scans,
            p.queue_limit,
            wd,
            bad(p.on_unsupported),
            bad(p.on_malformed),
            p.fault_probability
        );
    }
    let _ = writeln!(o, "\n## Station block (offsets from the block base)\n");
    let _ = writeln!(
        o,
        "| table | offset | name | unit | access | thermal only | meaning |\n|---|---|---|---|---|---|---|"
    );
    for table in tables {
        for p in map::STATION.iter().filter(|p| p.table == table) {
            let _ = writeln!(
                o,
                "| {} ({}) | {} | `{}` | {} | {} | {} | {} |",
                p.table.label(),
                p.table.functions(),
                p.offset,
                p.name,
                p.unit,
                access(p),
                if p.thermal { "yes" } else { "" },
                p.doc
            );
        }
    }
    let _ = writeln!(
        o,
        "\n## PLC-wide registers\n\n| table | address | name | unit | access | meaning |\n|---|---|---|---|---|---|"
    );
    for p in map::SYSTEM_POINTS {
        let _ = writeln!(
            o,
            "| {} | {} | `{}` | {} | {} | {} |",
            p.table.label(),
            map::SYSTEM + p.offset,
            p.name,
            p.unit,
            access(p),
            p.doc
        );
    }
    o
}

/// The map as a terminal listing, PLC by PLC.
fn text_map(s: &faultline::Scenario) -> String {
    use std::fmt::Write;
    let tables = TABLES;
    let is_thermal = |name: &str| {
        s.stations
            .iter()
            .any(|x| x.name == name && matches!(x.kind, StationKind::Thermal(_)))
    };
    let mut o = String::new();
    let text_row = |o: &mut String, address: u16, p: &Point| {
        let _ = writeln!(
            o,
            "  {:<17} {:>5}  {:<19} {:<16} {:<10} {}",
            p.table.label(),
            address,
            p.name,
            p.unit,
            access(p),
            p.doc
        );
    };
    for plc in &s.plcs {
        let _ = writeln!(
            o,
            "{} — {} unit {} — profile {} — scan {} ms",
            plc.name, plc.address, plc.unit_id, plc.profile, plc.scan_ms
        );
        for (k, name) in plc.stations.iter().enumerate() {
            let base = k as u16 * map::BLOCK;
            let _ = writeln!(o, " station {name} (block {k}, base address {base})");
            for table in tables {
                for p in map::STATION
                    .iter()
                    .filter(|p| p.table == table && (is_thermal(name) || !p.thermal))
                {
                    text_row(&mut o, base + p.offset, p);
                }
            }
        }
        let _ = writeln!(o, " PLC-wide");
        for p in map::SYSTEM_POINTS {
            text_row(&mut o, map::SYSTEM + p.offset, p);
        }
        let _ = writeln!(o);
    }
    o
}

const MAP_INTRO: &str = "Every virtual PLC uses the same layout. Station *k* of a PLC (its position in the PLC's \
`stations` list) owns the block of addresses starting at *k* × 100 in each of the four Modbus tables; PLC-wide \
registers start at 9000. Points marked *thermal only* exist on thermal stations (the pasteurizer); elsewhere those \
addresses answer exception 02. 32-bit counters span two registers, high word first; temperatures are signed 16-bit \
tenths of a degree.\n\nReading outside a block answers exception 02 (Illegal Data Address); writing a value outside \
a register's range answers 03 (Illegal Data Value). Function codes other than 01–06, 08 (sub-functions 00, 01, 04), \
0F, 10, 11, 17 and 2B/0E answer 01 (Illegal Function) on the `modern` profile and may hang a `legacy` one, as \
bytes that are not Modbus (a service scan's probes) may: each such request or probe with the profile's \
probability. Report Server ID (11) and Read Device Identification (2B/0E), what nmap's modbus-discover sends, \
are answered. FC 08/04 (force listen-only) silences the PLC until FC 08/01 (restart communications): nothing is \
answered meanwhile, not even with an exception, and the restart itself is not answered. Requests the specification \
answers with an exception get it on a connection that stays open: a coil value other than 0000/FF00, a byte count \
that disagrees with the quantity (FC 0F, 10, 17), a read device id code other than 01–04 answer 03; an MEI type \
other than 0E and function codes 80 and above answer 01. Unit ids: every profile serves any unit id (a Modbus/TCP \
server that is not a gateway accepts any) except 0, a broadcast: writes are acted on, nothing is answered.";

const PROFILES_INTRO: &str = "The profiles in force: the shipped library (`modern` and `legacy` are aliases of \
the M580 and the M218) and the scenario's own. Each names the device it is modelled on and which of its figures \
come from the manufacturer's documentation (sourced) and which are assumptions; docs/sources.md lists the \
sources. A fragile device's faults are chances, not certainties: each probe it cannot parse hangs it with the \
probability shown, the watchdog trips after a number of overloaded scans drawn for each overload episode, and the \
recovery before a reset takes is drawn for each fault, all from the PLC's own random stream.";
