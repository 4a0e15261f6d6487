//! The systems that paint the snapshot onto the window: lamps, gauges, units on the conveyors, labels, the alarm banner, KPIs, the event log, the network panel, the trend and the status line.

use super::*;

pub(crate) fn paint_lamps(mut q: Query<(&Lamp, &mut Sprite), Changed<Lamp>>) {
    for (lamp, mut sprite) in &mut q {
        sprite.color = rgb(lamp.look.rgb());
    }
}

pub(crate) fn paint_gauges(mut q: Query<(&Fill, &mut Sprite), Changed<Fill>>) {
    for (fill, mut sprite) in &mut q {
        sprite.custom_size = Some(Vec2::new(6.0, (fill.0 * GAUGE_H).max(1.0)));
    }
}

/// Three units on each conveyor, advancing by a third of its length per unit made.
pub(crate) fn move_units(snap: Res<Snap>, mut q: Query<(&Unit, &mut Transform)>) {
    for (u, mut t) in &mut q {
        let made = snap
            .0
            .stations
            .get(u.from)
            .map(|s| s.units_out)
            .unwrap_or(0);
        let f = (((made % 3) as f32) + u.k as f32) / 3.0 % 1.0;
        let p = u.a + (u.b - u.a) * f;
        let z = t.translation.z;
        *t = at(p.x, p.y, z);
    }
}

pub(crate) fn station_labels(
    snap: Res<Snap>,
    layout: Res<LayoutRes>,
    mut q: Query<(&StationLabel, &mut Text2d, &mut TextColor)>,
) {
    for (l, mut text, mut color) in &mut q {
        let Some(v) = snap.0.stations.get(l.0) else {
            continue;
        };
        let s = format!("{}\n{}", layout.1[l.0], v.state);
        if text.0 != s {
            text.0 = s;
        }
        let c = if v.look.is_alarm() {
            [255, 255, 255]
        } else {
            INK
        };
        color.0 = rgb(c);
    }
}

pub(crate) fn banner(
    snap: Res<Snap>,
    twin: Res<Twin>,
    time: Res<Time<Real>>,
    mut bar: Query<&mut Sprite, With<Banner>>,
    mut txt: Query<(&mut Text2d, &mut TextColor), With<BannerText>>,
) {
    let alarms = &snap.0.alarms;
    let flash = ((time.elapsed_secs() * 2.0) as u32).is_multiple_of(2);
    for mut s in &mut bar {
        s.color = rgb(if alarms.is_empty() {
            PANEL
        } else if flash {
            ALARM
        } else {
            [200, 60, 60]
        });
    }
    for (mut t, mut c) in &mut txt {
        t.0 = if let Some(inject) = &twin.at_inject {
            format!(
                "{}  {inject}  [Space]",
                &snap.0.clock[..snap.0.clock.len().min(5)]
            )
        } else if alarms.is_empty() {
            format!("{}  no active alarms", snap.0.clock)
        } else {
            format!("{}  ALARM  {}", snap.0.clock, alarms.join("   "))
        };
        c.0 = rgb(if alarms.is_empty() {
            INK
        } else {
            [255, 255, 255]
        });
    }
}

pub(crate) fn kpis(snap: Res<Snap>, mut q: Query<&mut Text2d, With<KpiText>>) {
    let out = crate::viewer::text::kpis(&snap.0, room(KPI_W, KPI_FONT));
    for mut t in &mut q {
        if t.0 != out {
            t.0 = out.clone();
        }
    }
}

pub(crate) fn event_log(
    snap: Res<Snap>,
    twin: Res<Twin>,
    mut q: Query<&mut Text2d, With<LogText>>,
) {
    let out = crate::viewer::text::event_log(
        &snap.0,
        twin.feedback.last().map(String::as_str),
        room(LOG_W, LOG_FONT),
    );
    for mut t in &mut q {
        if t.0 != out {
            t.0 = out.clone();
        }
    }
}

pub(crate) fn trend(
    snap: Res<Snap>,
    mut data: ResMut<Trend>,
    mut pts: Query<(&TrendPoint, &mut Transform, &mut Visibility, &mut Sprite)>,
    mut txt: Query<&mut Text2d, With<TrendText>>,
) {
    let Some(th) = &snap.0.thermal else { return };
    // One sample per simulated minute.
    let minute = snap.0.now / 60_000_000;
    if minute != data.last_minute || data.temps.is_empty() {
        data.last_minute = minute;
        data.temps.push_back(th.temp_c);
        if data.temps.len() > TREND_N {
            data.temps.pop_front();
        }
    }
    let (lo, hi) = (th.band_c.0 - 6.0, th.trip_c + 2.0);
    let (tx, ty) = (40.0, 330.0);
    for (p, mut t, mut v, mut s) in &mut pts {
        match data.temps.get(p.0) {
            Some(c) => {
                let f = ((c - lo) / (hi - lo)).clamp(0.0, 1.0) as f32;
                *t = at(tx + 3.0 * p.0 as f32, ty + 118.0 - f * 116.0, 0.3);
                *v = Visibility::Visible;
                let out = *c < th.band_c.0 || *c > th.band_c.1;
                s.color = rgb(if out { ALARM } else { [60, 60, 60] });
            }
            None => *v = Visibility::Hidden,
        }
    }
    let cols = room(NET_W, TREND_FONT);
    let fit = crate::viewer::text::fit;
    for mut t in &mut txt {
        t.0 = format!(
            "{}\n{}",
            fit(
                &format!(
                    "{} {:.1} °C  (setpoint {:.1} °C)",
                    th.station, th.temp_c, th.setpoint_c
                ),
                cols
            ),
            fit(
                &format!(
                    "band {:.1}–{:.1} °C, trip above {:.1} °C",
                    th.band_c.0, th.band_c.1, th.trip_c
                ),
                cols
            )
        );
    }
}

pub(crate) fn status(
    twin: Res<Twin>,
    snap: Res<Snap>,
    mut q: Query<&mut Text2d, With<StatusText>>,
) {
    let mode = match &twin.source {
        Source::Live(_) => "LIVE (Modbus/TCP)".to_string(),
        Source::Local(_) if twin.paused => "PAUSED".to_string(),
        Source::Local(_) => twin.speed.label().to_string(),
    };
    let attacks: Vec<String> = snap
        .0
        .attacks
        .iter()
        .enumerate()
        .take(9)
        .map(|(k, (l, s))| format!("A{} {} [{s}]", k + 1, l.split(' ').next().unwrap_or(l)))
        .collect();
    let controls: Vec<String> = snap
        .0
        .controls
        .iter()
        .map(|(k, n, on)| {
            format!(
                "{} {n} {}",
                k.to_ascii_uppercase(),
                if *on { "ON" } else { "off" }
            )
        })
        .collect();
    let s = format!(
        "{mode} | keys: Space pause  N step  1-4 speed 1x/10x/100x/max  F+n fail a station  Esc quit\ncontrols: {}\nA+n launch: {}",
        controls.join("  "),
        attacks.join("  ")
    );
    for mut t in &mut q {
        if t.0 != s {
            t.0 = s.clone();
        }
    }
}
