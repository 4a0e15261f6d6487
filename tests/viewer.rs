//! The viewer's model without a window: Bevy with MinimalPlugins (no rendering), the twin
//! advanced in FixedUpdate, and the systems that map World state onto components.

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use faultline::view::{Look, Snapshot};
use faultline::viewer::model::{
    BufferGauge, Fill, Lamp, ModelPlugin, Snap, Source, Speed, StationBlock, Twin, spawn_model,
};
use faultline::world::Command;
use faultline::world::{Recording, World};
use std::path::Path;
use std::time::Duration;

fn app(speed: Speed) -> (App, usize) {
    let s = faultline::load(Path::new("scenarios/bottling-line.ron")).unwrap();
    let w = World::with_recording(
        &s,
        42,
        Recording {
            timeline: false,
            events: true,
            frames: false,
        },
    );
    let filler = s.station_index("filler").unwrap();
    let mut twin = Twin::local(w);
    twin.speed = speed;
    (model_app(twin, s.stations.len()), filler)
}

/// The viewer's model around this twin, without a window.
fn model_app(twin: Twin, stations: usize) -> App {
    let Source::Local(w) = &twin.source else {
        unreachable!()
    };
    let snap = Snapshot::of(w);
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        // One update = one scenario tick of wall time: exactly one fixed step each.
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
            100,
        )))
        .insert_resource(twin)
        .insert_resource(Snap(snap))
        .add_plugins(ModelPlugin { tick_s: 0.1 });
    spawn_model(app.world_mut(), stations);
    app
}

fn now(app: &App) -> u64 {
    match &app.world().resource::<Twin>().source {
        Source::Local(w) => w.now,
        Source::Live(_) => unreachable!(),
    }
}

fn lamp(app: &mut App, station: usize) -> Look {
    let mut q = app.world_mut().query::<(&StationBlock, &Lamp)>();
    q.iter(app.world())
        .find(|(b, _)| b.0 == station)
        .map(|(_, l)| l.look)
        .unwrap()
}

#[test]
fn the_twin_advances_one_tick_per_fixed_step_and_ten_at_10x() {
    let (mut app, _) = app(Speed::X1);
    for _ in 0..21 {
        app.update();
    }
    let one = now(&app);
    assert!((1_900_000..=2_100_000).contains(&one), "{one}");
    let (mut fast, _) = app_x10();
    for _ in 0..21 {
        fast.update();
    }
    assert_eq!(now(&fast), 10 * one);
}

fn app_x10() -> (App, usize) {
    app(Speed::X10)
}

#[test]
fn a_failed_station_lights_its_alarm_colour_and_buffers_fill() {
    let (mut app, filler) = app(Speed::X10);
    for _ in 0..30 {
        app.update();
    }
    assert_eq!(lamp(&mut app, filler), Look::Running);
    app.world_mut()
        .resource_mut::<Twin>()
        .commands
        .push(Command::Fail(filler));
    let mut failed = false;
    for _ in 0..20 {
        app.update();
        if lamp(&mut app, filler) == Look::Failed {
            failed = true;
            break;
        }
    }
    assert!(failed, "the filler's lamp never showed the failure");
    // Upstream of a stopped filler the buffer fills up.
    let mut q = app.world_mut().query::<(&BufferGauge, &Fill)>();
    let fills: Vec<f32> = q.iter(app.world()).map(|(_, f)| f.0).collect();
    assert!(fills.iter().all(|f| (0.0..=1.0).contains(f)));
    assert!(fills.iter().any(|f| *f > 0.0));
    // The snapshot carries the alarm for the banner.
    let snap = &app.world().resource::<Snap>().0;
    assert!(
        snap.alarms.iter().any(|a| a.starts_with("filler")),
        "{:?}",
        snap.alarms
    );
}

#[test]
fn pause_holds_the_twin_and_step_advances_one_tick() {
    let (mut app, _) = app(Speed::X1);
    app.update();
    app.update();
    app.world_mut().resource_mut::<Twin>().paused = true;
    let t0 = now(&app);
    for _ in 0..5 {
        app.update();
    }
    assert_eq!(now(&app), t0);
    app.world_mut().resource_mut::<Twin>().step_once = true;
    app.update();
    assert_eq!(now(&app), t0 + 100_000);
}

#[test]
fn the_viewer_follows_an_exercise_stopping_at_each_inject_to_the_same_end_as_play() {
    // vendor-2am on its default road: the twin stops at every inject shown (Space goes on),
    // skips the two that the road does not reach, and ends where `exercise::play` ends.
    use faultline::exercise::{self, Consequences, Defaults, Follow};
    let ex = exercise::load(Path::new("scenarios/exercises/vendor-2am.ron")).unwrap();
    let seed = ex.scenario.seed;
    let played = exercise::play(&ex, seed, Recording::default(), &mut Defaults).unwrap();
    let w = World::with_recording(
        &ex.scenario,
        seed,
        Recording {
            timeline: false,
            events: true,
            frames: false,
        },
    );
    let stations = ex.scenario.stations.len();
    let injects = ex.exercise.injects.clone();
    let mut twin = Twin::local(w);
    twin.speed = Speed::Max;
    twin.exercise = Some(Follow::new(ex, Vec::new()));
    let mut app = model_app(twin, stations);
    let mut stops = Vec::new();
    for _ in 0..1_000_000 {
        app.update();
        let mut twin = app.world_mut().resource_mut::<Twin>();
        if let Some(line) = twin.at_inject.clone() {
            assert!(twin.paused, "at an inject the twin waits");
            let Source::Local(w) = &twin.source else {
                unreachable!()
            };
            stops.push((line, w.now));
            twin.paused = false;
        }
        let Source::Local(w) = &twin.source else {
            unreachable!()
        };
        if w.done() {
            break;
        }
    }
    // Stopped at each inject the default road shows, at its time (to the tick).
    let shown: Vec<usize> = played
        .decisions
        .iter()
        .filter(|t| !t.skipped)
        .map(|t| t.inject)
        .collect();
    assert_eq!(stops.len(), shown.len(), "{stops:?}");
    for ((line, t), i) in stops.iter().zip(&shown) {
        let at = (injects[*i].at_h * 3.6e9) as u64;
        assert!(*t >= at && *t < at + 100_000, "{line} at {t}");
        assert!(line.contains(&injects[*i].title), "{line}");
    }
    let twin = app.world().resource::<Twin>();
    let Source::Local(w) = &twin.source else {
        unreachable!()
    };
    let follow = twin.exercise.as_ref().unwrap();
    assert_eq!(follow.decisions, played.decisions);
    assert_eq!(
        Consequences::of(&faultline::report::Summary::from_world(w)),
        Consequences::of(&played.summary)
    );
}

#[path = "integration/ttf.rs"]
mod ttf;

#[test]
fn every_line_of_the_panels_fits_its_panel() {
    use faultline::viewer::text::{ADVANCE_EM, columns, event_log, fit, kpis};
    // A line is cut at a character (° is two bytes), its last an ellipsis.
    assert_eq!(fit("57.0 °C", 7), "57.0 °C");
    assert_eq!(fit("57.0 °C → 62", 7), "57.0 °…");
    assert_eq!(
        (fit("abc", 0), fit("abc", 1)),
        (String::new(), "…".to_string())
    );
    assert_eq!(columns(400.0, 12.0), 55);
    // The fitting's glyph width is the font's: every glyph of the monospaced font is
    // ADVANCE_EM wide.
    let font = std::fs::read("assets/fonts/DejaVuSansMono.ttf").unwrap();
    let em = f32::from(ttf::units_per_em(&font));
    for c in ['M', '°', '…', '→'] {
        let a = f32::from(ttf::advance(&font, ttf::glyph(&font, c)));
        assert_eq!(a / em, ADVANCE_EM, "{c:?}");
    }
    // The busiest day: a campaign, every control, a flood's counters in the millions.
    let s = faultline::load(Path::new("scenarios/all-controls.ron")).unwrap();
    let mut w = World::with_recording(
        &s,
        7,
        Recording {
            timeline: false,
            events: true,
            frames: false,
        },
    );
    let longest = |text: &str| text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    for h in [1, 6, 12, 24] {
        w.run_until(faultline::time::from_secs(f64::from(h) * 3600.0));
        let snap = Snapshot::of(&w);
        for cols in [24, columns(400.0, 12.0), columns(380.0, 13.0)] {
            assert!(
                longest(&kpis(&snap, cols)) <= cols,
                "{h} h: {}",
                kpis(&snap, cols)
            );
            assert!(
                longest(&event_log(
                    &snap,
                    Some("a facilitator's note that runs long"),
                    cols
                )) <= cols
            );
        }
    }
}

/// The network panel's Purdue diagram: levels by conduits from the PLCs' zone, every box
/// inside the panel and in its level's row, every host's mark inside its zone's box, every
/// zone's name cut to its box, every conduit from one of its boxes to the other; and what
/// crosses a conduit now (connections, refusals, an attack's route) is the World's.
#[test]
fn the_purdue_diagram_keeps_every_zone_host_and_conduit_in_its_place() {
    use faultline::view::purdue::HostMark;
    use faultline::viewer::purdue::{HOST_MARK, LABEL_FONT, PANEL, Rect, diagram};
    use faultline::viewer::text::{ADVANCE_EM, fit};
    let panel = PANEL;
    // The panel lies between the network's summary lines and the status lines.
    assert!(panel.y >= 470.0 + 30.0 && panel.y + panel.h <= 720.0 - 3.0 * 12.0 * 1.2);
    for (file, hours) in [
        ("scenarios/bottling-line.ron", 1.0),
        ("scenarios/all-controls.ron", 12.0),
        ("scenarios/attack-setpoint-hidden.ron", 5.0),
    ] {
        let s = faultline::load(Path::new(file)).unwrap();
        let mut w = World::new(&s, 7);
        w.run_until(faultline::time::from_secs(hours * 3600.0));
        let snap = Snapshot::of(&w);
        let n = &snap.network;
        let p = &n.purdue;
        // bottling-line's zones: enterprise, dmz, supervisory, control, vendor.
        if file.ends_with("bottling-line.ron") {
            assert_eq!(p.levels, vec![4, 3, 2, 1, 4], "{file}");
        }
        let plcs = p.hosts.iter().filter(|m| **m == HostMark::Plc).count();
        assert_eq!(plcs, s.plcs.len(), "{file}");
        let d = diagram(p, &n.hosts, panel);
        for (z, r) in d.zones.iter().enumerate() {
            assert!(
                r.x >= panel.x
                    && r.y >= panel.y
                    && r.x + r.w <= panel.x + panel.w + 0.01
                    && r.y + r.h <= panel.y + panel.h + 0.01,
                "{file}: zone {z} {r:?} outside the panel"
            );
            let (_, row) = d.rows.iter().find(|(l, _)| *l == p.levels[z]).unwrap();
            assert!(
                r.y >= row.y && r.y + r.h <= row.y + row.h + 0.01,
                "{file}: zone {z}"
            );
            // Its name, cut to its box, is no wider than the box.
            let name = fit(&n.zones[z], d.name_cols[z]);
            let width = name.chars().count() as f32 * ADVANCE_EM * LABEL_FONT;
            assert!(
                width <= r.w - 6.0,
                "{file}: {name} {width} px in {} px",
                r.w
            );
        }
        // No two boxes overlap.
        for a in 0..d.zones.len() {
            for b in a + 1..d.zones.len() {
                let (x, y) = (d.zones[a], d.zones[b]);
                let apart =
                    x.x + x.w <= y.x || y.x + y.w <= x.x || x.y + x.h <= y.y || y.y + y.h <= x.y;
                assert!(apart, "{file}: zones {a} and {b} overlap");
            }
        }
        for (h, c) in d.hosts.iter().enumerate() {
            let r = d.zones[n.hosts[h].zone];
            assert!(
                r.contains(*c, HOST_MARK / 2.0 - 0.01),
                "{file}: host {} at {c:?} outside {r:?}",
                n.hosts[h].name
            );
        }
        let on_edge = |p: [f32; 2], r: Rect| {
            let inside_x = p[0] >= r.x - 0.01 && p[0] <= r.x + r.w + 0.01;
            let inside_y = p[1] >= r.y - 0.01 && p[1] <= r.y + r.h + 0.01;
            let edge = (p[0] - r.x).abs() < 0.01
                || (p[0] - r.x - r.w).abs() < 0.01
                || (p[1] - r.y).abs() < 0.01
                || (p[1] - r.y - r.h).abs() < 0.01;
            inside_x && inside_y && edge
        };
        for (k, c) in p.conduits.iter().enumerate() {
            let (a, b) = d.conduits[k];
            assert!(
                on_edge(a, d.zones[c.zones.0]) && on_edge(b, d.zones[c.zones.1]),
                "{file}: conduit {k}"
            );
        }
        // What crosses the conduits is the World's: every open link is counted on each
        // conduit of its route, every refusal once.
        let links = w.net.bus.links.iter().filter(|l| l.open).count();
        let hmi_to_plc = p
            .conduits
            .iter()
            .map(|c| c.open_links as usize)
            .max()
            .unwrap_or(0);
        assert!(
            hmi_to_plc > 0 && hmi_to_plc <= links,
            "{file}: {hmi_to_plc} of {links}"
        );
        let refused: u64 = w.net.blocked_flows.values().map(|r| r.attempts).sum();
        let drawn: u64 = p.conduits.iter().map(|c| c.blocked).sum();
        // Refused between zones: at the firewall of the route's first conduit; refused
        // inside a zone (no conduit to cross): not drawn.
        assert!(drawn <= refused, "{file}: {drawn} of {refused}");
        assert_eq!(refused > 0, drawn > 0, "{file}: {drawn} of {refused}");
        if file.ends_with("attack-setpoint-hidden.ron") {
            // The engineering workstation's steps run from the supervisory zone to the
            // control zone: that conduit is the attack's, and the workstation is marked.
            let ws = n.hosts.iter().position(|h| h.name == "eng-ws").unwrap();
            assert!(p.attackers[ws], "{file}");
            let plc = n
                .hosts
                .iter()
                .position(|h| h.name == "plc-pasteur")
                .unwrap();
            assert!(p.targets[plc], "{file}");
            assert_eq!(p.targets.iter().filter(|t| **t).count(), 1, "{file}");
            assert_eq!(
                p.paths,
                vec![(ws, plc)],
                "{file}: one path for the two steps"
            );
            let z = |name: &str| n.zones.iter().position(|x| x == name).unwrap();
            let (sup, ctl) = (z("supervisory"), z("control"));
            for c in &p.conduits {
                let ours = c.zones == (sup, ctl) || c.zones == (ctl, sup);
                assert_eq!(c.attack, ours, "{file}: {:?}", c.zones);
            }
        }
        // A host is marked as an attack's source when a step from it has started; before
        // any has, no conduit is on an attack's route and no path is drawn.
        let started: Vec<_> = w.campaign.attacks.iter().filter(|r| r.started).collect();
        for (h, marked) in p.attackers.iter().enumerate() {
            assert_eq!(
                *marked,
                started.iter().any(|r| r.host == h),
                "{file}: host {h}"
            );
        }
        if started.is_empty() {
            assert!(
                p.conduits.iter().all(|c| !c.attack) && p.paths.is_empty(),
                "{file}"
            );
        }
    }
}
