//! The viewer's model: the twin in a Bevy resource, advanced in `FixedUpdate`, and the
//! systems that map its state onto components. No rendering types here.

use crate::view::{Look, Snapshot};
use crate::world::Command;
use crate::world::World;
use bevy::prelude::*;
use std::sync::Arc;

/// How fast the twin runs against the wall clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    X1,
    X10,
    X100,
    /// As many ticks as fit in a frame's budget.
    Max,
}

impl Speed {
    pub fn label(self) -> &'static str {
        match self {
            Speed::X1 => "1x",
            Speed::X10 => "10x",
            Speed::X100 => "100x",
            Speed::Max => "max",
        }
    }
}

/// Where the World lives: here (the viewer steps it), or in a live session's simulation
/// thread (real Modbus/TCP endpoints; the viewer reads its snapshots and sends commands).
pub enum Source {
    Local(Box<World>),
    Live(Arc<crate::live::LiveView>),
}

/// The twin and the facilitator's controls.
#[derive(Resource)]
pub struct Twin {
    pub source: Source,
    pub paused: bool,
    pub speed: Speed,
    /// Advance exactly one tick at the next fixed step (while paused).
    pub step_once: bool,
    /// Commands for the World, applied at the next fixed step.
    pub commands: Vec<Command>,
    /// What the commands did, newest last.
    pub feedback: Vec<String>,
    /// An exercise the twin follows: at each inject's time the twin stops, the choice is
    /// applied (recorded, or the point's default) and the facilitator goes on with Space.
    pub exercise: Option<crate::exercise::Follow>,
    /// The inject the twin is stopped at, for the banner.
    pub at_inject: Option<String>,
}

impl Twin {
    pub fn new(source: Source) -> Twin {
        Twin {
            source,
            paused: false,
            speed: Speed::X1,
            step_once: false,
            commands: Vec::new(),
            feedback: Vec::new(),
            exercise: None,
            at_inject: None,
        }
    }

    pub fn local(world: World) -> Twin {
        Twin::new(Source::Local(Box::new(world)))
    }

    pub fn live(view: Arc<crate::live::LiveView>) -> Twin {
        Twin::new(Source::Live(view))
    }
}

/// The latest snapshot of the twin, for every rendering system.
#[derive(Resource)]
pub struct Snap(pub Snapshot);

/// A station block: its index in the plant.
#[derive(Component, Debug, Clone, Copy)]
pub struct StationBlock(pub usize);

/// The colour a station block shows, from its state.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Lamp {
    pub look: Look,
}

/// A buffer gauge: its station's index.
#[derive(Component, Debug, Clone, Copy)]
pub struct BufferGauge(pub usize);

/// How full a buffer is, 0..1.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Fill(pub f32);

/// Wall-clock budget per fixed step at `Speed::Max`.
const MAX_BUDGET: std::time::Duration = std::time::Duration::from_millis(12);

/// FixedUpdate: apply the facilitator's commands, then advance the World by the speed's
/// number of ticks (one fixed step = one scenario tick of wall time).
pub fn advance(mut twin: ResMut<Twin>) {
    let twin = &mut *twin;
    let commands: Vec<Command> = std::mem::take(&mut twin.commands);
    match &mut twin.source {
        Source::Live(v) => {
            if let Ok(mut q) = v.commands.lock() {
                q.extend(commands);
            }
        }
        Source::Local(w) => {
            for c in &commands {
                let text = w.command(c);
                twin.feedback.push(text);
            }
            if twin.paused && !twin.step_once {
                return;
            }
            let n = if twin.paused {
                1
            } else {
                match twin.speed {
                    Speed::X1 => 1,
                    Speed::X10 => 10,
                    Speed::X100 => 100,
                    Speed::Max => usize::MAX,
                }
            };
            twin.step_once = false;
            if !twin.paused {
                twin.at_inject = None;
            }
            let started = std::time::Instant::now();
            let mut k = 0;
            while k < n && !w.done() {
                // An inject due now is played before the tick, as `exercise::play` does.
                if let Some(due) = twin.exercise.as_mut().and_then(|f| f.due(w)) {
                    match due {
                        Ok((_, shown, line)) => {
                            twin.feedback.push(line.clone());
                            if shown {
                                twin.paused = true;
                                twin.at_inject = Some(line);
                                break;
                            }
                        }
                        Err(e) => twin.feedback.push(format!("exercise: {e}")),
                    }
                    continue;
                }
                w.step();
                k += 1;
                if twin.speed == Speed::Max && !twin.paused && started.elapsed() > MAX_BUDGET {
                    break;
                }
            }
        }
    }
    if twin.feedback.len() > 20 {
        let cut = twin.feedback.len() - 20;
        twin.feedback.drain(..cut);
    }
}

/// Update: take a snapshot of the World (here, or the live session's latest).
pub fn snapshot(twin: Res<Twin>, mut snap: ResMut<Snap>) {
    match &twin.source {
        Source::Local(w) => {
            if snap.0.now != w.now || twin.is_changed() {
                snap.0 = Snapshot::of(w);
            }
        }
        Source::Live(v) => {
            if let Ok(s) = v.snapshot.lock()
                && let Some(s) = s.as_ref()
                && s.now != snap.0.now
            {
                snap.0 = s.clone();
            }
        }
    }
}

/// Update: each station block's lamp follows its station's state.
pub fn map_lamps(snap: Res<Snap>, mut q: Query<(&StationBlock, &mut Lamp)>) {
    for (b, mut lamp) in &mut q {
        if let Some(v) = snap.0.stations.get(b.0)
            && lamp.look != v.look
        {
            lamp.look = v.look;
        }
    }
}

/// Update: each buffer gauge's fill follows its buffer's level.
pub fn map_buffers(snap: Res<Snap>, mut q: Query<(&BufferGauge, &mut Fill)>) {
    for (g, mut fill) in &mut q {
        if let Some(v) = snap.0.stations.get(g.0) {
            let f = if v.capacity == 0 {
                0.0
            } else {
                (v.buffer as f32 / v.capacity as f32).min(1.0)
            };
            if fill.0 != f {
                fill.0 = f;
            }
        }
    }
}

/// The model: the twin advanced at the scenario's tick, snapshots, and the mappings.
pub struct ModelPlugin {
    /// The scenario's tick, seconds.
    pub tick_s: f64,
}

impl Plugin for ModelPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Time::<Fixed>::from_seconds(self.tick_s))
            .add_systems(FixedUpdate, advance)
            .add_systems(Update, (snapshot, (map_lamps, map_buffers)).chain());
    }
}

/// Spawn the entities the mappings drive (one block and one gauge per station), without
/// anything to draw them with: the app adds sprites to its own.
pub fn spawn_model(world: &mut bevy::ecs::world::World, stations: usize) {
    for i in 0..stations {
        world.spawn((
            StationBlock(i),
            Lamp {
                look: Look::Stopped,
            },
        ));
        world.spawn((BufferGauge(i), Fill(0.0)));
    }
}
