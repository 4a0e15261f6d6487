//! The viewer's commands on the World, without Bevy: launching a step, switching controls
//! off and back on, and a scripted failure.

use faultline::view::{Look, Snapshot};
use faultline::world::Command;
use faultline::world::World;
use std::path::Path;

fn on(w: &World, key: char) -> bool {
    Snapshot::of(w).controls.iter().any(|c| c.0 == key && c.2)
}

#[test]
fn controls_switch_off_and_back_on_and_steps_launch_now() {
    let s = faultline::load(Path::new("scenarios/all-controls.ron")).unwrap();
    let mut w = World::new(&s, 42);
    w.run_until(10_000_000);
    for key in ['s', 'd', 'm'] {
        assert!(on(&w, key), "{key} starts on");
        w.command(&Command::Toggle(key));
        assert!(!on(&w, key), "{key} switched off");
        w.command(&Command::Toggle(key));
        assert!(on(&w, key), "{key} switched back on");
    }
    // A control the scenario does not deploy cannot be switched on from nothing.
    assert!(!on(&w, 'r'));
    assert!(w.command(&Command::Toggle('r')).contains("does not deploy"));
    // Launch the first step (a scan planned at 02:00) now.
    let text = w.command(&Command::Launch(0));
    assert!(text.starts_with("launched T0846"), "{text}");
    w.run_until(12_000_000);
    assert!(w.campaign.attacks[0].started);
    // A scripted failure shows in the snapshot.
    let filler = s.station_index("filler").unwrap();
    w.command(&Command::Fail(filler));
    w.run_until(15_000_000);
    let snap = Snapshot::of(&w);
    assert_eq!(snap.stations[filler].look, Look::Failed);
    assert!(snap.alarms.iter().any(|a| a.starts_with("filler")));
}
