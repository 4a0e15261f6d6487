//! The viewer's window: an ISA-101-style mimic of the line (calm grey for normal, colour
//! only for abnormal), a network panel, an alarm banner, an event log and a KPI panel with
//! the IT/OT scorecard. Rendering only reads the snapshot; the twin advances in
//! `FixedUpdate` (see [`super::model`]).
//!
//! Keys: Space pause · N one tick · 1/2/3/4 speed 1×/10×/100×/max · A then 1–9 launch
//! the scenario's attack step · S/D/I/V/M/R/H switch segmentation / DPI enforce / island
//! mode / vendor gateway / IDS / incident response / device monitoring · F then 1–9 fail a
//! station · Esc quit.

use super::model::{BufferGauge, Fill, Lamp, ModelPlugin, Snap, Source, Speed, StationBlock, Twin};
use crate::view::{HEIGHT, Layout, Snapshot, WIDTH};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};
use bevy::sprite::Anchor;
use bevy::window::WindowResolution;
use std::path::PathBuf;

/// How `faultline view` was asked to run.
#[derive(Clone, Debug, Default)]
pub struct ViewOptions {
    pub speed: Option<Speed>,
    /// Save a screenshot after this many frames, then quit.
    pub screenshot: Option<PathBuf>,
    pub frames: Option<u32>,
    /// Log frame times over this many frames (median, p95), then quit.
    pub frame_times: Option<u32>,
    /// Stations to fail at the start (scripted failures).
    pub fail: Vec<usize>,
    /// Attack steps (0-based) to launch at the start.
    pub launch: Vec<usize>,
}

/// Pixel coordinates (origin top left) to world coordinates (origin centre, y up).
fn at(x: f32, y: f32, z: f32) -> Transform {
    Transform::from_xyz(x - WIDTH / 2.0, HEIGHT / 2.0 - y, z)
}

fn rgb(c: [u8; 3]) -> Color {
    Color::srgb_u8(c[0], c[1], c[2])
}

const BG: [u8; 3] = [224, 224, 224];
const PANEL: [u8; 3] = [205, 205, 205];
const INK: [u8; 3] = [30, 30, 30];
const ALARM: [u8; 3] = [230, 40, 40];

#[derive(Component)]
struct StationLabel(usize);
#[derive(Component)]
struct Banner;
#[derive(Component)]
struct BannerText;
#[derive(Component)]
struct KpiText;
#[derive(Component)]
struct LogText;
#[derive(Component)]
struct NetText;
#[derive(Component)]
struct StatusText;
#[derive(Component)]
struct TrendPoint(usize);
#[derive(Component)]
struct TrendText;
#[derive(Component)]
struct Unit {
    from: usize,
    k: usize,
    a: Vec2,
    b: Vec2,
}
#[derive(Component)]
struct ZoneBox(usize);
#[derive(Component)]
struct ZoneText(usize);

/// Top of the network panel, pixels.
const NET_Y: f32 = 470.0;

/// The buffer gauge's full height in pixels.
const GAUGE_H: f32 = 40.0;
const TREND_N: usize = 120;

#[derive(Resource, Default)]
struct Trend {
    temps: std::collections::VecDeque<f64>,
    last_minute: u64,
}

#[derive(Resource, Default)]
struct Keys {
    /// A pending prefix: 'a' (attack) or 'f' (fail).
    prefix: Option<char>,
}

#[derive(Resource)]
struct Run {
    opts: ViewOptions,
    frame: u32,
    times: Vec<f64>,
    shot_taken: bool,
}

/// Open the window and run until it is closed (or the screenshot / frame log is done).
pub fn run(
    twin: Twin,
    layout: Layout,
    names: Vec<String>,
    tick_s: f64,
    opts: ViewOptions,
) -> Result<(), String> {
    let snap = match &twin.source {
        Source::Local(w) => Snapshot::of(w),
        Source::Live(v) => v
            .snapshot
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .ok_or("the live session has published no snapshot yet")?,
    };
    if let Some(p) = &opts.screenshot
        && p.exists()
    {
        // The run quits when the new capture is on disk: the old one must not count.
        std::fs::remove_file(p).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let mut twin = twin;
    if let Some(s) = opts.speed {
        twin.speed = s;
    }
    for &i in &opts.fail {
        twin.commands.push(crate::world::Command::Fail(i));
    }
    for &k in &opts.launch {
        twin.commands.push(crate::world::Command::Launch(k));
    }
    App::new()
        .add_plugins(DefaultPlugins.set(WindowPlugin {
            primary_window: Some(Window {
                title: "faultline — the line".into(),
                resolution: WindowResolution::new(WIDTH as u32, HEIGHT as u32),
                ..default()
            }),
            ..default()
        }))
        .insert_resource(ClearColor(rgb(BG)))
        .insert_resource(twin)
        .insert_resource(Snap(snap))
        .insert_resource(LayoutRes(layout, names))
        .insert_resource(Trend::default())
        .insert_resource(Keys::default())
        .insert_resource(Run {
            opts,
            frame: 0,
            times: Vec::new(),
            shot_taken: false,
        })
        .add_plugins(ModelPlugin { tick_s })
        .add_systems(Startup, setup)
        .add_systems(
            Update,
            (
                keys,
                (
                    paint_lamps,
                    paint_gauges,
                    move_units,
                    station_labels,
                    banner,
                    kpis,
                    event_log,
                    network,
                    trend,
                    status,
                ),
                frames,
            )
                .chain()
                .after(super::model::map_buffers),
        )
        .run();
    Ok(())
}

#[derive(Resource)]
struct LayoutRes(Layout, Vec<String>);

fn text(s: &str, size: f32, color: [u8; 3]) -> (Text2d, TextFont, TextColor) {
    (
        Text2d::new(s),
        TextFont::from_font_size(size),
        TextColor(rgb(color)),
    )
}

fn setup(mut commands: Commands, layout: Res<LayoutRes>, snap: Res<Snap>) {
    commands.spawn(Camera2d);
    let (layout, names) = (&layout.0, &layout.1);
    // Title bar / alarm banner.
    commands.spawn((
        Banner,
        Sprite::from_color(rgb(PANEL), Vec2::new(WIDTH, 36.0)),
        at(WIDTH / 2.0, 18.0, 0.0),
    ));
    commands.spawn((
        BannerText,
        text("", 18.0, INK),
        Anchor::CENTER_LEFT,
        at(12.0, 18.0, 1.0),
    ));
    // Conveyors and the units on them.
    for &(i, d) in &layout.edges {
        let (a, b) = (layout.stations[i].0, layout.stations[d].0);
        let (a, b) = (Vec2::new(a[0], a[1]), Vec2::new(b[0], b[1]));
        let mid = (a + b) / 2.0;
        let len = (b - a).length();
        let angle = (b - a).y.atan2((b - a).x);
        let mut t = at(mid.x, mid.y, 0.1);
        t.rotation = Quat::from_rotation_z(-angle);
        commands.spawn((
            Sprite::from_color(rgb([170, 170, 170]), Vec2::new(len, 6.0)),
            t,
        ));
        for k in 0..3 {
            commands.spawn((
                Unit { from: i, k, a, b },
                Sprite::from_color(rgb([90, 90, 90]), Vec2::new(8.0, 8.0)),
                at(a.x, a.y, 0.2),
            ));
        }
    }
    // Stations: a block each, its name and state, and its input buffer's gauge.
    for (i, (c, size)) in layout.stations.iter().enumerate() {
        commands.spawn((
            StationBlock(i),
            Lamp {
                look: snap.0.stations[i].look,
            },
            Sprite::from_color(
                rgb(snap.0.stations[i].look.rgb()),
                Vec2::new(size[0], size[1]),
            ),
            at(c[0], c[1], 0.5),
        ));
        commands.spawn((
            StationLabel(i),
            text(&names[i], 13.0, INK),
            at(c[0], c[1], 1.0),
        ));
        let gx = c[0] - size[0] / 2.0 - 8.0;
        commands.spawn((
            Sprite::from_color(rgb([250, 250, 250]), Vec2::new(6.0, GAUGE_H)),
            at(gx, c[1], 0.4),
        ));
        commands.spawn((
            BufferGauge(i),
            Fill(0.0),
            Sprite::from_color(rgb([80, 80, 80]), Vec2::new(6.0, 1.0)),
            Anchor::BOTTOM_CENTER,
            at(gx, c[1] + GAUGE_H / 2.0, 0.45),
        ));
    }
    // The pasteurizer's trend: temperature dots and the band, bottom left.
    let (tx, ty) = (40.0, 330.0);
    commands.spawn((
        Sprite::from_color(rgb([245, 245, 245]), Vec2::new(360.0, 120.0)),
        Anchor::TOP_LEFT,
        at(tx, ty, 0.0),
    ));
    for k in 0..TREND_N {
        commands.spawn((
            TrendPoint(k),
            Sprite::from_color(rgb([60, 60, 60]), Vec2::new(3.0, 3.0)),
            at(tx + 3.0 * k as f32, ty + 60.0, 0.3),
            Visibility::Hidden,
        ));
    }
    commands.spawn((
        TrendText,
        text("", 13.0, INK),
        Anchor::TOP_LEFT,
        at(tx, ty - 36.0, 1.0),
    ));
    // Network panel.
    for z in 0..snap.0.network.zones.len() {
        let y = NET_Y + 36.0 + 20.0 * z as f32;
        commands.spawn((
            ZoneBox(z),
            Sprite::from_color(rgb([235, 235, 235]), Vec2::new(360.0, 18.0)),
            Anchor::TOP_LEFT,
            at(40.0, y, 0.0),
        ));
        commands.spawn((
            ZoneText(z),
            text("", 12.0, INK),
            Anchor::CENTER_LEFT,
            at(44.0, y + 9.0, 1.0),
        ));
    }
    commands.spawn((
        NetText,
        text("", 12.0, INK),
        Anchor::TOP_LEFT,
        at(44.0, NET_Y, 1.0),
    ));
    // KPI panel, event log, status line.
    commands.spawn((
        Sprite::from_color(rgb([240, 240, 240]), Vec2::new(420.0, 300.0)),
        Anchor::TOP_LEFT,
        at(430.0, 310.0, 0.0),
    ));
    commands.spawn((
        KpiText,
        text("", 13.0, INK),
        Anchor::TOP_LEFT,
        at(440.0, 318.0, 1.0),
    ));
    commands.spawn((
        Sprite::from_color(rgb([240, 240, 240]), Vec2::new(390.0, 300.0)),
        Anchor::TOP_LEFT,
        at(870.0, 310.0, 0.0),
    ));
    commands.spawn((
        LogText,
        text("", 12.0, INK),
        Anchor::TOP_LEFT,
        at(878.0, 318.0, 1.0),
    ));
    commands.spawn((
        StatusText,
        text("", 12.0, INK),
        Anchor::BOTTOM_LEFT,
        at(12.0, HEIGHT - 6.0, 1.0),
    ));
}

fn paint_lamps(mut q: Query<(&Lamp, &mut Sprite), Changed<Lamp>>) {
    for (lamp, mut sprite) in &mut q {
        sprite.color = rgb(lamp.look.rgb());
    }
}

fn paint_gauges(mut q: Query<(&Fill, &mut Sprite), Changed<Fill>>) {
    for (fill, mut sprite) in &mut q {
        sprite.custom_size = Some(Vec2::new(6.0, (fill.0 * GAUGE_H).max(1.0)));
    }
}

/// Three units on each conveyor, advancing by a third of its length per unit made.
fn move_units(snap: Res<Snap>, mut q: Query<(&Unit, &mut Transform)>) {
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

fn station_labels(
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

fn banner(
    snap: Res<Snap>,
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
        t.0 = if alarms.is_empty() {
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

fn kpis(snap: Res<Snap>, mut q: Query<&mut Text2d, With<KpiText>>) {
    let s = &snap.0;
    let mut out = format!(
        "PRODUCTION  {} good / {:.0} target  ({:.0}/h)\nOEE {:.2}\n\nDOWNTIME BY CAUSE\n",
        s.good_units, s.target_so_far, s.throughput_per_h, s.oee
    );
    for (c, h) in s.downtime_by_cause.iter().take(5) {
        out.push_str(&format!("  {c:<20} {h:>6.2} h\n"));
    }
    out.push_str("\nIT                          OT\n");
    for k in 0..s.it.len().max(s.ot.len()) {
        let a =
            s.it.get(k)
                .map(|(l, v)| format!("{l} {v}"))
                .unwrap_or_default();
        let b =
            s.ot.get(k)
                .map(|(l, v)| format!("{l} {v}"))
                .unwrap_or_default();
        out.push_str(&format!("{a:<28}{b}\n"));
    }
    for mut t in &mut q {
        if t.0 != out {
            t.0 = out.clone();
        }
    }
}

fn event_log(snap: Res<Snap>, twin: Res<Twin>, mut q: Query<&mut Text2d, With<LogText>>) {
    let mut out = String::from("EVENTS\n");
    for (t, kind, text) in &snap.0.events {
        let mut line = format!("{} {kind} {text}", &t[..t.len().min(8)]);
        line.truncate(52);
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(f) = twin.feedback.last() {
        out.push_str(&format!("> {f}\n"));
    }
    for mut t in &mut q {
        if t.0 != out {
            t.0 = out.clone();
        }
    }
}

fn network(
    snap: Res<Snap>,
    time: Res<Time<Real>>,
    mut last: Local<(u64, u64, u64, f32)>,
    mut zones: Query<(&ZoneBox, &mut Sprite)>,
    mut q: Query<&mut Text2d, (With<NetText>, Without<ZoneText>)>,
    mut rows: Query<(&ZoneText, &mut Text2d), Without<NetText>>,
) {
    let n = &snap.0.network;
    // Flash the panel for two seconds when a flow is blocked or something is detected.
    let events = (n.flows_blocked, n.detections, n.dpi_blocked);
    if (events.0, events.1, events.2) != (last.0, last.1, last.2) {
        *last = (events.0, events.1, events.2, time.elapsed_secs() + 2.0);
    }
    let flashing =
        time.elapsed_secs() < last.3 && ((time.elapsed_secs() * 4.0) as u32).is_multiple_of(2);
    for (z, mut s) in &mut zones {
        let isolated = n.hosts.iter().any(|h| h.zone == z.0 && h.isolated);
        s.color = rgb(if isolated {
            [250, 200, 200]
        } else if flashing {
            [200, 215, 250]
        } else {
            [235, 235, 235]
        });
    }
    let out = format!(
        "NETWORK  {} Modbus requests | {} IDS alerts\n{} flows blocked ({} legitimate) | {} DPI blocks\n",
        n.requests, n.detections, n.flows_blocked, n.legit_blocked, n.dpi_blocked
    );
    let per_line = 50;
    for (row, mut t) in &mut rows {
        let z = row.0;
        let Some(name) = n.zones.get(z) else { continue };
        let hosts: Vec<String> = n
            .hosts
            .iter()
            .filter(|h| h.zone == z)
            .map(|h| {
                if h.isolated {
                    format!("{} (isolated)", h.name)
                } else {
                    h.name.clone()
                }
            })
            .collect();
        let mut line = format!("[{name}] {}", hosts.join(" "));
        line.truncate(per_line);
        if t.0 != line {
            t.0 = line;
        }
    }
    for mut t in &mut q {
        if t.0 != out {
            t.0 = out.clone();
        }
    }
}

fn trend(
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
    for mut t in &mut txt {
        t.0 = format!(
            "{} {:.1} C  (setpoint {:.1} C)\nband {:.1}-{:.1} C, trip above {:.1} C",
            th.station, th.temp_c, th.setpoint_c, th.band_c.0, th.band_c.1, th.trip_c
        );
    }
}

fn status(twin: Res<Twin>, snap: Res<Snap>, mut q: Query<&mut Text2d, With<StatusText>>) {
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

fn keys(
    input: Res<ButtonInput<KeyCode>>,
    mut twin: ResMut<Twin>,
    mut pending: ResMut<Keys>,
    mut exit: MessageWriter<AppExit>,
) {
    use crate::world::Command;
    let digits = [
        KeyCode::Digit1,
        KeyCode::Digit2,
        KeyCode::Digit3,
        KeyCode::Digit4,
        KeyCode::Digit5,
        KeyCode::Digit6,
        KeyCode::Digit7,
        KeyCode::Digit8,
        KeyCode::Digit9,
    ];
    if input.just_pressed(KeyCode::Escape) {
        exit.write(AppExit::Success);
    }
    if input.just_pressed(KeyCode::Space) {
        twin.paused = !twin.paused;
    }
    if input.just_pressed(KeyCode::KeyN) {
        twin.paused = true;
        twin.step_once = true;
    }
    for (key, c) in [
        (KeyCode::KeyS, 's'),
        (KeyCode::KeyD, 'd'),
        (KeyCode::KeyI, 'i'),
        (KeyCode::KeyV, 'v'),
        (KeyCode::KeyM, 'm'),
        (KeyCode::KeyR, 'r'),
        (KeyCode::KeyH, 'h'),
    ] {
        if input.just_pressed(key) {
            twin.commands.push(Command::Toggle(c));
        }
    }
    if input.just_pressed(KeyCode::KeyA) {
        pending.prefix = Some('a');
    }
    if input.just_pressed(KeyCode::KeyF) {
        pending.prefix = Some('f');
    }
    for (k, d) in digits.iter().enumerate() {
        if !input.just_pressed(*d) {
            continue;
        }
        match pending.prefix.take() {
            Some('a') => twin.commands.push(Command::Launch(k)),
            Some('f') => twin.commands.push(Command::Fail(k)),
            _ => {
                twin.speed = match k {
                    0 => Speed::X1,
                    1 => Speed::X10,
                    2 => Speed::X100,
                    _ => Speed::Max,
                };
                twin.paused = false;
            }
        }
    }
}

/// Screenshots and frame-time logging for the headless runs.
fn frames(
    mut commands: Commands,
    mut run: ResMut<Run>,
    time: Res<Time<Real>>,
    mut exit: MessageWriter<AppExit>,
) {
    run.frame += 1;
    let frame = run.frame;
    if let Some(n) = run.opts.frame_times {
        // The first frames compile pipelines and load the font: not counted.
        if frame > 30 {
            let dt = time.delta_secs_f64() * 1e3;
            run.times.push(dt);
        }
        if run.times.len() as u32 >= n {
            let mut t = run.times.clone();
            t.sort_by(f64::total_cmp);
            let q = |p: f64| t[((t.len() - 1) as f64 * p).round() as usize];
            println!(
                "frame times over {} frames: median {:.2} ms, p95 {:.2} ms, max {:.2} ms ({:.0} fps median)",
                t.len(),
                q(0.5),
                q(0.95),
                q(1.0),
                1e3 / q(0.5)
            );
            exit.write(AppExit::Success);
        }
    }
    if let Some(path) = run.opts.screenshot.clone() {
        let at_frame = run.opts.frames.unwrap_or(60);
        if frame == at_frame && !run.shot_taken {
            run.shot_taken = true;
            commands
                .spawn(Screenshot::primary_window())
                .observe(save_to_disk(path.clone()));
        }
        // Quit once the capture is on disk (or give up after ten seconds' worth of frames).
        if run.shot_taken && (path.exists() || frame >= at_frame + 600) {
            exit.write(AppExit::Success);
        }
    }
}
