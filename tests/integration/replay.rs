//! An input log replays a session exactly, whatever came in: frames, garbage, malformed
//! frames and the facilitator's viewer commands; a log that is not one is refused at its
//! line.

use faultline::live::{InputLog, InputLogWriter};
use faultline::modbus::{Request, request_adu};
use faultline::report::{Summary, summary_json};
use faultline::world::{Command, EXTERNAL_CONN, Input};
use faultline::{Recording, World, load};
use std::path::Path;

/// The inputs of a session: (tick, input).
fn session() -> Vec<(u64, Input)> {
    let conn = EXTERNAL_CONN + 7;
    let write = request_adu(
        1,
        1,
        &Request::WriteSingleRegister {
            address: 2,
            value: 650,
        },
    );
    vec![
        (
            100,
            Input::Connect {
                plc: 3,
                conn,
                from: None,
            },
        ),
        (
            101,
            Input::Frame {
                plc: 3,
                conn,
                adu: write,
            },
        ),
        (
            150,
            Input::Garbage {
                plc: 0,
                conn: EXTERNAL_CONN + 8,
            },
        ),
        (151, Input::Malformed { plc: 1, conn }),
        (
            200,
            Input::Viewer {
                command: Command::Toggle('m'),
            },
        ),
        (
            201,
            Input::Viewer {
                command: Command::Launch(0),
            },
        ),
        (
            300,
            Input::Viewer {
                command: Command::Fail(2),
            },
        ),
        (
            301,
            Input::Viewer {
                command: Command::Toggle('m'),
            },
        ),
        (400, Input::Disconnect { plc: 3, conn }),
    ]
}

fn direct(s: &faultline::Scenario, seed: u64, end_tick: u64) -> World {
    let mut w = World::with_recording(s, seed, Recording::all());
    let inputs = session();
    let mut next = 0;
    for k in 0..end_tick {
        while next < inputs.len() && inputs[next].0 == k {
            w.apply_input(&inputs[next].1);
            next += 1;
        }
        w.step();
    }
    w
}

#[test]
fn a_log_of_frames_garbage_malformed_and_viewer_inputs_replays_exactly() {
    let s = load(Path::new("scenarios/all-controls.ron")).unwrap();
    let end_tick = 20_000; // 2,000 s
    let reference = direct(&s, 5, end_tick);

    let w0 = World::new(&s, 5);
    let mut log = InputLogWriter::new(Vec::new(), &w0).unwrap();
    for (k, input) in session() {
        log.input(k, &input).unwrap();
    }
    let bytes = log.end(end_tick).unwrap();
    let dir = std::env::temp_dir().join(format!("faultline-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("inputs.log");
    std::fs::write(&path, &bytes).unwrap();

    let recorded = InputLog::read(&path).unwrap();
    assert_eq!(recorded.inputs, session());
    let mut again = World::with_recording(&s, recorded.seed, Recording::all());
    recorded.replay(&mut again).unwrap();
    assert_eq!(again.now, reference.now);
    assert_eq!(
        summary_json(&Summary::from_world(&again)),
        summary_json(&Summary::from_world(&reference))
    );
    // Exactly: every event and every minute of the timeline too, not only the summary.
    let events = faultline::report::events_jsonl(&again);
    assert!(events.lines().count() > 10, "{events}");
    assert_eq!(events, faultline::report::events_jsonl(&reference));
    let timeline = faultline::report::timeline_csv(&again);
    assert!(timeline.lines().count() > 30);
    assert_eq!(timeline, faultline::report::timeline_csv(&reference));
    // The viewer's commands took effect: a failure at the filler, the IDS switched off
    // and back on (logged), the first attack step launched early.
    let kinds: Vec<&str> = again
        .ledger
        .metrics
        .events
        .iter()
        .flatten()
        .map(|e| e.kind.as_str())
        .collect();
    assert!(
        kinds.iter().filter(|k| **k == "control_switch").count() == 2,
        "{kinds:?}"
    );
    assert!(again.campaign.attacks[0].started);

    // A log with a line that is not an input is refused at that line.
    let mut text = String::from_utf8(bytes).unwrap();
    text.insert_str(text.find('\n').unwrap() + 1, "{\"garbage\": true}\n");
    std::fs::write(&path, text).unwrap();
    let err = InputLog::read(&path).err().unwrap();
    assert!(format!("{err:#}").contains("inputs.log:2"), "{err:#}");
    std::fs::remove_dir_all(&dir).ok();
}
