//! The report model's per-station, thermal and PLC rows.

use super::*;

/// Each station's figures.
pub(super) fn station_rows(w: &World) -> Vec<StationSummary> {
    let m = &w.ledger.metrics;
    let planned = m.planned_production;
    w.plant
        .stations
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let c = &st.counters;
            let run = m.station_time[i][Condition::Running as usize];
            let completed = c.units_out + c.scrap_quality + c.scrap_temperature;
            let a = ratio(run as f64, planned as f64);
            // ISO 22400: performance is not capped.
            let p = ratio(completed as f64 * st.cycle as f64, run as f64);
            let q = ratio(c.units_out as f64, completed as f64);
            StationSummary {
                name: st.name.clone(),
                plc: w.devices.plcs[w.plc_of(i)].name.clone(),
                units_in: c.units_in,
                units_out: c.units_out,
                scrap: c.scrap_quality + c.scrap_temperature,
                failures: c.failures,
                trips: c.trips,
                planned_stops: c.planned_stops,
                hours: Condition::ALL
                    .iter()
                    .filter(|k| m.station_time[i][**k as usize] > 0)
                    .map(|k| {
                        (
                            k.label().to_string(),
                            round(to_hours(m.station_time[i][*k as usize]), 4),
                        )
                    })
                    .collect(),
                oee: oee(a, p, q),
            }
        })
        .collect()
}

/// Each thermal process's figures.
pub(super) fn thermal_rows(w: &World) -> Vec<ThermalSummary> {
    w.plant
        .stations
        .iter()
        .filter_map(|st| {
            st.thermal.as_ref().map(|th| ThermalSummary {
                station: st.name.clone(),
                trips: st.counters.trips,
                excursions: th.excursions,
                out_of_band_min: round(th.out_of_band as f64 / 60e6, 2),
                min_c: round(th.min_c, 2),
                max_c: round(th.max_c, 2),
                scrap_temperature: st.counters.scrap_temperature,
            })
        })
        .collect()
}

/// Each PLC's figures.
pub(super) fn plc_rows(w: &World) -> Vec<PlcSummary> {
    w.devices
        .plcs
        .iter()
        .map(|p| PlcSummary {
            name: p.name.clone(),
            address: p.address.to_string(),
            profile: p.profile.name.clone(),
            requests: p.stats.requests,
            exceptions: p.stats.exceptions,
            dropped: p.stats.dropped,
            queue_peak: p.stats.queue_peak,
            faults: p.stats.faults.clone(),
        })
        .collect()
}
