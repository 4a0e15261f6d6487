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

mod keys;
mod launch;
mod network;
mod panels;

use keys::*;
pub use launch::ViewError;
use launch::{display_named, run_app};
use network::spawn_network;
use panels::*;

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
pub(crate) struct NetText;

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

/// Top of the network panel, pixels.
const NET_Y: f32 = 470.0;

/// The panels' widths (px) and their text's size and room: what
/// [`crate::viewer::text::columns`] fits a line to.
const KPI_W: f32 = 420.0;
const KPI_FONT: f32 = 13.0;
const LOG_W: f32 = 390.0;
const LOG_FONT: f32 = 12.0;
const NET_W: f32 = 360.0;
const NET_FONT: f32 = 12.0;
const TREND_FONT: f32 = 13.0;
/// The left inset of a panel's text, and as much room kept on the right.
const INSET: f32 = 8.0;

/// The characters a line of a panel `width` px wide holds at `font` px.
fn room(width: f32, font: f32) -> usize {
    crate::viewer::text::columns(width - 2.0 * INSET, font)
}

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
) -> Result<(), ViewError> {
    display_named()?;
    let snap = match &twin.source {
        Source::Local(w) => Snapshot::of(w),
        Source::Live(v) => v
            .snapshot
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .ok_or_else(|| {
                std::io::Error::other("the live session has published no snapshot yet")
            })?,
    };
    if let Some(p) = &opts.screenshot
        && p.exists()
    {
        // The run quits when the new capture is on disk: the old one must not count.
        std::fs::remove_file(p)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
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
    run_app(move || {
        App::new()
            .add_plugins(DefaultPlugins.set(WindowPlugin {
                primary_window: Some(Window {
                    title: "faultline — the line".into(),
                    resolution: WindowResolution::new(WIDTH as u32, HEIGHT as u32),
                    ..default()
                }),
                ..default()
            }))
            .add_plugins(EmbeddedFont)
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
                        (
                            network::zones_and_hosts,
                            network::conduits,
                            network::flow_marks,
                            network::attack_paths,
                            network::firewalls,
                            network::summary,
                        ),
                        trend,
                        status,
                    ),
                    frames,
                )
                    .chain()
                    .after(super::model::map_buffers),
            )
            .run()
    })
}

/// The viewer's font, embedded at build time: DejaVu Sans Mono (assets/fonts, with its
/// licence), which has the °, ×, µ and – that Bevy's default subset lacks.
pub const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono.ttf");

/// Puts [`FONT`] where every text's default font handle points (Bevy's `default_font`
/// feature is off: nothing else is put there).
struct EmbeddedFont;

impl Plugin for EmbeddedFont {
    fn build(&self, app: &mut App) {
        let font = Font::from_bytes(FONT.to_vec());
        if let Err(e) = app
            .world_mut()
            .resource_mut::<Assets<Font>>()
            .insert(AssetId::default(), font)
        {
            warn!("the embedded font was not loaded: {e}");
        }
    }
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
    // Flat colours on axis-aligned boxes need no multisampling, and no dithering: on a
    // software rasterizer (lavapipe) each costs a pass over every pixel of every frame.
    commands.spawn((
        Camera2d,
        Msaa::Off,
        bevy::core_pipeline::tonemapping::DebandDither::Disabled,
    ));
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
    spawn_trend(&mut commands);
    spawn_network(&mut commands, &snap);
    // KPI panel, event log, status line.
    commands.spawn((
        Sprite::from_color(rgb([240, 240, 240]), Vec2::new(KPI_W, 300.0)),
        Anchor::TOP_LEFT,
        at(430.0, 310.0, 0.0),
    ));
    commands.spawn((
        KpiText,
        text("", KPI_FONT, INK),
        Anchor::TOP_LEFT,
        at(430.0 + INSET, 318.0, 1.0),
    ));
    commands.spawn((
        Sprite::from_color(rgb([240, 240, 240]), Vec2::new(LOG_W, 300.0)),
        Anchor::TOP_LEFT,
        at(870.0, 310.0, 0.0),
    ));
    commands.spawn((
        LogText,
        text("", LOG_FONT, INK),
        Anchor::TOP_LEFT,
        at(870.0 + INSET, 318.0, 1.0),
    ));
    commands.spawn((
        StatusText,
        text("", 12.0, INK),
        Anchor::BOTTOM_LEFT,
        at(12.0, HEIGHT - 6.0, 1.0),
    ));
}

/// The pasteurizer's trend: temperature dots and the band, bottom left.
fn spawn_trend(commands: &mut Commands) {
    // The pasteurizer's trend: temperature dots and the band, bottom left.
    let (tx, ty) = (40.0, 330.0);
    commands.spawn((
        Sprite::from_color(rgb([245, 245, 245]), Vec2::new(NET_W, 120.0)),
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
        text("", TREND_FONT, INK),
        Anchor::TOP_LEFT,
        at(tx, ty - 36.0, 1.0),
    ));
}
