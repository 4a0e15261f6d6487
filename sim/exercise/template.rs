//! Inject text that knows the plant: `{…}` fields filled from the twin at the inject's
//! moment, so what the table is told agrees with what the twin shows. Checked when the
//! exercise loads: a misspelt field is an error at the inject's `text`.
//!
//! Fields: `time`, `good`, `target_pct`, `downtime_h`, `alarms`, `steps_seen`,
//! `steps_succeeded`, `station.NAME.state`, `station.NAME.temp_c` and
//! `station.NAME.setpoint_c` (thermal stations), `plc.NAME.mode`; and what the HMI shows
//! (its last poll, which an adversary in the middle may have forged): `hmi.NAME.state`,
//! `hmi.NAME.temp_c` and `hmi.NAME.setpoint_c` ("no reading" before the first).

use crate::World;
use crate::scenario::{Scenario, StationKind};

/// The fields a template may use, for error messages.
pub const FIELDS: &str = "time, good, target_pct, downtime_h, alarms, steps_seen, steps_succeeded, \
station.NAME.state, station.NAME.temp_c, station.NAME.setpoint_c, plc.NAME.mode, \
hmi.NAME.state, hmi.NAME.temp_c, hmi.NAME.setpoint_c";

/// The `{…}` fields of a text, in order, or the unclosed brace's message.
fn fields(text: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err("a `{` without its `}`".into());
        };
        out.push(after[..close].trim());
        rest = &after[close + 1..];
    }
    Ok(out)
}

/// Problems with a text's fields against the scenario (empty when every field is known).
pub fn check(text: &str, s: &Scenario) -> Vec<String> {
    let fields = match fields(text) {
        Ok(f) => f,
        Err(e) => return vec![e],
    };
    let mut out = Vec::new();
    for f in fields {
        let parts: Vec<&str> = f.split('.').collect();
        let known = match parts.as_slice() {
            [
                "time" | "good" | "target_pct" | "downtime_h" | "alarms" | "steps_seen"
                | "steps_succeeded",
            ] => Ok(()),
            [side @ ("station" | "hmi"), name, what] => {
                match s.stations.iter().find(|st| st.name == *name) {
                    None => Err(format!(
                        "{{{f}}}: no station \"{name}\"; stations: {}",
                        s.stations
                            .iter()
                            .map(|st| st.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    Some(st) => match *what {
                        "state" => Ok(()),
                        "temp_c" | "setpoint_c" if matches!(st.kind, StationKind::Thermal(_)) => {
                            Ok(())
                        }
                        "temp_c" | "setpoint_c" => {
                            Err(format!("{{{f}}}: \"{name}\" is not a thermal station"))
                        }
                        _ => Err(format!(
                            "{{{f}}}: a {side} field is state, temp_c or setpoint_c"
                        )),
                    },
                }
            }
            ["plc", name, "mode"] => {
                if s.plcs.iter().any(|p| p.name == *name) {
                    Ok(())
                } else {
                    Err(format!(
                        "{{{f}}}: no PLC \"{name}\"; PLCs: {}",
                        s.plcs
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
            }
            _ => Err(format!("{{{f}}}: not a field; fields: {FIELDS}")),
        };
        if let Err(e) = known {
            out.push(e);
        }
    }
    out
}

/// The text with every field filled from the twin now. Fields were checked at load; one
/// that cannot be read (a station gone) is left as written.
pub fn render(text: &str, w: &World) -> String {
    let Ok(fields) = fields(text) else {
        return text.to_string();
    };
    if fields.is_empty() {
        return text.to_string();
    }
    let s = crate::report::Summary::from_world(w);
    let mut out = String::new();
    let mut rest = text;
    for f in fields {
        let Some(open) = rest.find('{') else { break };
        let close = open + rest[open..].find('}').unwrap_or(rest.len() - open);
        out.push_str(&rest[..open]);
        out.push_str(&value(f, w, &s).unwrap_or_else(|| rest[open..=close].to_string()));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

fn value(f: &str, w: &World, s: &crate::report::Summary) -> Option<String> {
    let parts: Vec<&str> = f.split('.').collect();
    let station = |name: &str| w.plant.stations.iter().position(|st| st.name == name);
    Some(match parts.as_slice() {
        ["time"] => {
            let c = crate::time::clock(w.now);
            c.get(..5).unwrap_or(&c).to_string()
        }
        ["good"] => s.line.good_units.to_string(),
        ["target_pct"] => format!("{:.1}", s.line.attainment_pct),
        ["downtime_h"] => format!("{:.2}", s.line.downtime_h),
        ["alarms"] => {
            let alarms = super::alarms(w);
            if alarms.is_empty() {
                "none".into()
            } else {
                alarms.join(", ")
            }
        }
        ["steps_seen"] => super::steps_seen(s).to_string(),
        ["steps_succeeded"] => s.security.steps_succeeded.to_string(),
        ["station", name, "state"] => w.plant.stations[station(name)?].state().label().to_string(),
        ["station", name, "temp_c"] => {
            format!(
                "{:.1}",
                w.plant.stations[station(name)?].thermal.as_ref()?.temp_c
            )
        }
        ["station", name, "setpoint_c"] => {
            let i = station(name)?;
            let plc = &w.devices.plcs[*w.devices.station_plc.get(i)?];
            format!("{:.1}", plc.setpoint_c(i)?)
        }
        ["hmi", name, what] => {
            let v = &w.hmi.views[station(name)?];
            let shown = match *what {
                "state" => v.state.map(|st| st.label().to_string()),
                "temp_c" => v.temp_c.map(|c| format!("{c:.1}")),
                "setpoint_c" => v
                    .setpoint
                    .map(|sp| format!("{:.1}", f64::from(sp as i16) / 10.0)),
                _ => return None,
            };
            shown.unwrap_or_else(|| "no reading".into())
        }
        ["plc", name, "mode"] => {
            let p = w.devices.plcs.iter().find(|p| p.name == *name)?;
            if p.fault.is_some() {
                "FAULT".into()
            } else if p.is_listen_only() {
                "LISTEN-ONLY".into()
            } else if p.mode_is_run() {
                "RUN".into()
            } else {
                "STOP".into()
            }
        }
        _ => return None,
    })
}

/// The temperatures the twin has now that an inject may state, each with the field that
/// gives it (or what it is, for the fixed ones): per thermal station, the zone's temperature
/// and the setpoint at the PLC, what the HMI shows of both, the band and the trip limit.
fn temperatures(w: &World) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for (i, st) in w.plant.stations.iter().enumerate() {
        let Some(th) = &st.thermal else { continue };
        let name = &st.name;
        out.push((format!("{{station.{name}.temp_c}}"), th.temp_c));
        if let Some(sp) = w
            .devices
            .station_plc
            .get(i)
            .and_then(|&p| w.devices.plcs[p].setpoint_c(i))
        {
            out.push((format!("{{station.{name}.setpoint_c}}"), sp));
        }
        let v = &w.hmi.views[i];
        if let Some(c) = v.temp_c {
            out.push((format!("{{hmi.{name}.temp_c}}"), c));
        }
        if let Some(sp) = v.setpoint {
            out.push((
                format!("{{hmi.{name}.setpoint_c}}"),
                f64::from(sp as i16) / 10.0,
            ));
        }
        out.push((format!("{name}'s band"), th.band_c.0));
        out.push((format!("{name}'s band"), th.band_c.1));
        out.push((format!("{name}'s trip limit"), th.trip_above_c));
        out.push((format!("{name}'s reset limit"), th.reset_below_c));
        out.push((format!("{name}'s ambient"), th.ambient_c));
    }
    out
}

/// Temperatures written in `text` as numbers (`62.0 °C`, outside its `{…}` fields) that
/// are none the twin has now (to the number's own precision): each said with what the twin
/// shows and the fields that would say it. Empty when the text states only what is true.
pub fn stale_temperatures(text: &str, w: &World) -> Vec<String> {
    // The fields blanked: their values are the twin's by construction.
    let mut plain = String::with_capacity(text.len());
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            c => plain.push(c),
        }
    }
    let known = temperatures(w);
    let mut out = Vec::new();
    for (at, _) in plain.match_indices("°C") {
        let before = plain[..at].trim_end();
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
            .last()
            .map(|(k, _)| k);
        let Some(literal) = start.map(|k| &before[k..]) else {
            continue;
        };
        let Ok(value) = literal.parse::<f64>() else {
            continue;
        };
        let decimals = literal.split('.').nth(1).map_or(0, str::len);
        let tolerance = 0.5 * 10f64.powi(-(decimals as i32)) + 1e-9;
        if known.iter().any(|(_, v)| (v - value).abs() <= tolerance) {
            continue;
        }
        let shown: Vec<String> = known
            .iter()
            .filter(|(what, _)| what.starts_with('{'))
            .map(|(what, v)| format!("{what} = {v:.1}"))
            .collect();
        out.push(format!(
            "\"{literal} °C\" is written as a number, but the twin has no such temperature at this moment ({}); write the field that says what is meant",
            shown.join(", ")
        ));
    }
    out
}

/// The temperatures the injects of `ex` state as numbers that the twin does not show when
/// they are given, on the road of each point's default option (`faultline validate`): (the
/// inject's index, what is wrong). Injects whose condition does not hold on that road are
/// not shown, and not checked.
pub fn stale_numbers(ex: &super::Loaded) -> Result<Vec<(usize, String)>, super::PlayError> {
    let mut w = World::new(&ex.scenario, ex.scenario.seed);
    let mut follow = super::Follow::new(ex.clone(), Vec::new());
    let mut out = Vec::new();
    for (i, inject) in ex.exercise.injects.iter().enumerate() {
        w.run_until(crate::time::from_secs(inject.at_h * 3600.0));
        let stale = stale_temperatures(&inject.text, &w);
        if let Some(played) = follow.due(&mut w)
            && played?.1
        {
            out.extend(stale.into_iter().map(|s| (i, s)));
        }
    }
    Ok(out)
}
