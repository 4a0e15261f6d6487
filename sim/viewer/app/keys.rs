//! The facilitator's keys, and the frame counter that takes screenshots and logs frame times.

use super::*;

pub(crate) fn keys(
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
pub(crate) fn frames(
    mut commands: Commands,
    mut run: ResMut<Run>,
    time: Res<Time<Real>>,
    mut exit: MessageWriter<AppExit>,
) {
    run.frame += 1;
    let frame = run.frame;
    if let Some(n) = run.opts.frame_times
        && (run.times.len() as u32) < n
    {
        // The first frames compile pipelines and load the font: not counted.
        if frame > 30 {
            let dt = time.delta_secs_f64() * 1e3;
            run.times.push(dt);
        }
        if run.times.len() as u32 == n {
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
        }
    }
    let mut shot_done = true;
    if let Some(path) = run.opts.screenshot.clone() {
        let at_frame = run.opts.frames.unwrap_or(60);
        if frame == at_frame && !run.shot_taken {
            run.shot_taken = true;
            commands
                .spawn(Screenshot::primary_window())
                .observe(save_to_disk(path.clone()));
        }
        // Done once the capture is on disk (or after ten seconds' worth of frames).
        shot_done = run.shot_taken && (path.exists() || frame >= at_frame + 600);
    }
    // Quit when everything asked for is done: the window must outlive a pending capture
    // ("Unknown window for screenshot" otherwise).
    let timed_done = run
        .opts
        .frame_times
        .is_none_or(|n| run.times.len() as u32 >= n);
    if (run.opts.frame_times.is_some() || run.opts.screenshot.is_some()) && timed_done && shot_done
    {
        exit.write(AppExit::Success);
    }
}
