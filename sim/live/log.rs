//! The input log of a live session: every input with the tick it was applied at, so
//! `faultline run SCENARIO --replay DIR/inputs.log` reproduces the session's report.
//! JSON lines: a header, one line per input, and the tick the session ended at.

use crate::World;
use crate::world::Input;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::Path;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    faultline_inputs: u32,
    scenario: String,
    seed: u64,
    tick_us: u64,
    /// The World's links were carried by sockets (`live --netns`): what the kernel did
    /// is among the inputs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    carried: bool,
    /// The session's actors file (as given, with the default zone it was run with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actors: Option<crate::actors::ActorsSpec>,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Line {
    Input { tick: u64, input: Input },
    End { end_tick: u64 },
}

/// Writes the log as the session goes; flushed every tick that logged something.
pub struct InputLogWriter<W: Write> {
    out: W,
    dirty: bool,
}

impl<W: Write> InputLogWriter<W> {
    pub fn new(mut out: W, world: &World) -> Result<Self> {
        let h = Header {
            faultline_inputs: 1,
            scenario: world.scenario.name.clone(),
            seed: world.seed,
            tick_us: world.tick,
            carried: world.net.bus.carried(),
            actors: Some(world.actors.spec.clone()).filter(|a| *a != Default::default()),
        };
        writeln!(out, "{}", serde_json::to_string(&h)?)?;
        out.flush()?;
        Ok(InputLogWriter { out, dirty: false })
    }

    pub fn input(&mut self, tick: u64, input: &Input) -> Result<()> {
        let line = serde_json::to_string(&Line::Input {
            tick,
            input: input.clone(),
        })?;
        writeln!(self.out, "{line}")?;
        self.dirty = true;
        Ok(())
    }

    pub fn flush(&mut self) -> Result<()> {
        if self.dirty {
            self.out.flush()?;
            self.dirty = false;
        }
        Ok(())
    }

    pub fn end(mut self, end_tick: u64) -> Result<W> {
        writeln!(
            self.out,
            "{}",
            serde_json::to_string(&Line::End { end_tick })?
        )?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A recorded session, read back.
pub struct InputLog {
    pub scenario: String,
    pub seed: u64,
    pub tick_us: u64,
    pub carried: bool,
    pub actors: crate::actors::ActorsSpec,
    pub inputs: Vec<(u64, Input)>,
    pub end_tick: u64,
}

impl InputLog {
    pub fn read(path: &Path) -> Result<InputLog> {
        let f =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut lines = std::io::BufReader::new(f).lines();
        let first = lines.next().context("empty input log")??;
        let h: Header = serde_json::from_str(&first)
            .with_context(|| format!("{}:1: not a faultline input log header", path.display()))?;
        let mut inputs = Vec::new();
        let mut end_tick = None;
        for (i, line) in lines.enumerate() {
            let line = line?;
            match serde_json::from_str::<Line>(&line)
                .with_context(|| format!("{}:{}: bad input line", path.display(), i + 2))?
            {
                Line::Input { tick, input } => inputs.push((tick, input)),
                Line::End { end_tick: e } => end_tick = Some(e),
            }
        }
        // A session that died without its end line still replays up to its last input.
        let end_tick = end_tick.unwrap_or_else(|| inputs.last().map(|(t, _)| t + 1).unwrap_or(0));
        Ok(InputLog {
            scenario: h.scenario,
            seed: h.seed,
            tick_us: h.tick_us,
            carried: h.carried,
            actors: h.actors.unwrap_or_default(),
            inputs,
            end_tick,
        })
    }

    /// The outside clients of the session, in order of their first connection: (source
    /// address, name: the actors file's, else the address).
    pub fn actors(&self) -> Vec<(std::net::IpAddr, String)> {
        let mut out: Vec<(std::net::IpAddr, String)> = Vec::new();
        for (_, input) in &self.inputs {
            if let Input::Connect {
                from: Some(src), ..
            } = input
                && !out.iter().any(|(a, _)| a == src)
            {
                let name = self
                    .actors
                    .actors
                    .iter()
                    .find(|a| a.source.parse::<std::net::IpAddr>().ok() == Some(*src))
                    .map_or_else(|| src.to_string(), |a| a.name.clone());
                out.push((*src, name));
            }
        }
        out
    }

    /// The session without the inputs of these actors (each by its name or its source
    /// address): their connections, frames, probes and reads are gone, as if they had
    /// never connected. An error, listing the log's actors, for a name that is none of them.
    pub fn without(&self, names: &[String]) -> Result<InputLog> {
        let actors = self.actors();
        let mut gone = Vec::new();
        for n in names {
            match actors
                .iter()
                .find(|(src, name)| name == n || src.to_string() == *n)
            {
                Some((src, _)) => gone.push(*src),
                None => bail!(
                    "--without {n}: no actor of the session is named so or comes from it; its actors: {}",
                    if actors.is_empty() {
                        "none".to_string()
                    } else {
                        actors
                            .iter()
                            .map(|(src, name)| format!("{name} ({src})"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            }
        }
        let mut conns = std::collections::BTreeSet::new();
        let inputs = self
            .inputs
            .iter()
            .filter(|(_, input)| {
                let conn = match input {
                    Input::Connect { conn, from, .. } => {
                        if from.is_some_and(|f| gone.contains(&f)) {
                            conns.insert(*conn);
                        }
                        Some(*conn)
                    }
                    Input::Disconnect { conn, .. }
                    | Input::Frame { conn, .. }
                    | Input::Malformed { conn, .. }
                    | Input::Garbage { conn, .. } => Some(*conn),
                    Input::Read { conn, .. } => *conn,
                    _ => None,
                };
                conn.is_none_or(|c| !conns.contains(&c))
            })
            .cloned()
            .collect();
        Ok(InputLog {
            scenario: self.scenario.clone(),
            seed: self.seed,
            tick_us: self.tick_us,
            carried: self.carried,
            actors: self.actors.clone(),
            inputs,
            end_tick: self.end_tick,
        })
    }

    /// Run `world` (built from the same scenario and seed) through the session.
    pub fn replay(&self, world: &mut World) -> Result<()> {
        if world.tick != self.tick_us {
            bail!(
                "the log was recorded at a {} µs tick, the scenario has {} µs",
                self.tick_us,
                world.tick
            );
        }
        if self.carried {
            world.carry_links();
        }
        world
            .place_actors(self.actors.clone())
            .map_err(|problems| {
                anyhow::anyhow!(
                    "the log's actors do not fit the scenario: {}",
                    problems
                        .iter()
                        .map(|p| format!("{}: {}", p.field, p.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?;
        let mut next = 0;
        for k in 0..self.end_tick {
            while let Some((tick, input)) = self.inputs.get(next)
                && *tick == k
            {
                world.apply_input(input);
                next += 1;
            }
            if world.done() {
                break;
            }
            world.step();
            // What the session's sockets did is in the inputs already.
            world.net.bus.take_carried();
        }
        Ok(())
    }
}
