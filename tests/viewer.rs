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
    use faultline::viewer::text::{ADVANCE_EM, columns, event_log, fit, kpis, zone_row};
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
            let n = &snap.network;
            for z in 0..n.zones.len() {
                let row = zone_row(n, z, cols);
                assert!(row.chars().count() <= cols, "{row}");
                // Every host is named or counted.
                let hosts = n.hosts.iter().filter(|h| h.zone == z).count();
                let named = row
                    .split(' ')
                    .skip(1)
                    .filter(|p| !p.starts_with('+'))
                    .count();
                let more: usize = row
                    .rsplit(" +")
                    .next()
                    .filter(|_| row.contains(" +"))
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(0);
                assert_eq!(named + more, hosts, "{row}");
            }
        }
    }
}
