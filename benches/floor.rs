//! Where one run's time goes, and the least a 4,000-run sweep could cost at this model's
//! fidelity. In one process, on the reference scenario (scenarios/bottling-line.ron, 24 h):
//!
//! - the whole run;
//! - the same run with the HMI's polling switched off (no Modbus traffic at all);
//! - the plant alone: every station enabled, the pasteurizer's heater on a proportional
//!   loop that keeps it near its setpoint, stepped tick by tick (no PLCs, no HMI, no metrics);
//! - the Modbus work alone: as many register-read transactions as the run made, each
//!   encoded, framed, decoded and served by a PLC's image, and the reply encoded and
//!   decoded (the codec and `Plc::read`, nothing else).
//!
//! Beside each time, the heap allocations it made (a counting allocator around the
//! system's): the whole run's per HMI transaction, against the run without polling, shows
//! what a Modbus transaction allocates on the in-memory bus.
//!
//! Each line is projected to 4,000 runs on 2 threads (÷ 2, a perfect speed-up; the sweep
//! bench measures 1.95×). The plant and the Modbus work are parts every run must do, so
//! their sum is a floor for the sweep as the model stands.
//!
//!   cargo bench --bench floor [-- --hours H]

use faultline::modbus::{Request, Response, parse_adu, request_adu, response_adu};
use faultline::plant::{Plant, StopReason};
use faultline::plc::map::{Table, block_len};
use faultline::{World, load};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

/// The system allocator, counting allocations (and reallocations, which may move).
struct Counting;

static ALLOCS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

// SAFETY: every call is passed on unchanged to the system allocator; only a counter is added.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: as above.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.load(std::sync::atomic::Ordering::Relaxed)
}

fn arg(name: &str) -> Option<String> {
    let a: Vec<String> = std::env::args().collect();
    a.iter()
        .position(|x| x == name)
        .and_then(|i| a.get(i + 1).cloned())
}

/// The best of `n` timings (the least disturbed by other work on a shared machine), the
/// result, and the allocations of one call.
fn best(n: usize, mut f: impl FnMut() -> u64) -> (Duration, u64, u64) {
    let mut out = (Duration::MAX, 0, 0);
    for _ in 0..n {
        let a0 = allocs();
        let t0 = Instant::now();
        let v = black_box(f());
        out = (out.0.min(t0.elapsed()), v, allocs() - a0);
    }
    out
}

fn main() {
    let test = !std::env::args().any(|a| a == "--bench");
    let mut s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    let hours: f64 = arg("--hours")
        .and_then(|x| x.parse().ok())
        .unwrap_or(if test { 0.5 } else { s.duration_h });
    s.duration_h = hours;
    s.schedule.retain(|e| e.at_h < hours);
    let reps = if test { 1 } else { 5 };
    let seed = s.seed;

    let mut transactions = 0;
    let (whole, output, whole_allocs) = best(reps, || {
        let mut w = World::new(&s, seed);
        w.run();
        transactions = w.hmi.stats.requests;
        w.plant.line_output()
    });

    let mut quiet = s.clone();
    // One poll at the start and none after: the HMI still writes the schedule.
    quiet.hmi.poll_ms = (hours * 3_600_000.0) as u32 + quiet.tick_ms;
    let (no_polling, _, quiet_allocs) = best(reps, || {
        let mut w = World::new(&quiet, seed);
        w.run();
        w.plant.line_output()
    });

    let tick = u64::from(s.tick_ms) * 1000;
    let end = (hours * 3.6e9) as u64;
    let (plant_alone, plant_output, plant_allocs) = best(reps, || {
        let mut p = Plant::new(&s, seed);
        for i in 0..p.stations.len() {
            p.command(i, 0, true, StopReason::Command, 100);
        }
        let mut t = 0;
        while t < end {
            for st in &mut p.stations {
                if let Some(th) = &mut st.thermal {
                    // A proportional loop around the output that holds 62 °C under
                    // load (ambient 20 + 75 × 0.8 − 18); unloaded it settles at 64 °C.
                    th.heater = (0.8 + 0.1 * (62.0 - th.temp_c)).clamp(0.0, 1.0);
                }
            }
            p.advance(t, tick);
            t += tick;
        }
        p.line_output()
    });

    let w = World::new(&s, seed);
    let plc = &w.devices.plcs[0];
    // The HMI's status poll of a machine's block.
    let req = Request::ReadInputRegisters {
        address: 0,
        quantity: block_len(Table::InputRegister, false),
    };
    let (modbus, _, modbus_allocs) = best(reps, || {
        let mut acc = 0u64;
        for i in 0..transactions {
            let adu = request_adu(i as u16, 1, black_box(&req));
            let (h, pdu) = parse_adu(&adu).unwrap();
            let r = Request::decode_pdu(pdu).unwrap();
            let reply = plc.read(&r).unwrap().unwrap();
            let radu = response_adu(h.transaction_id, h.unit_id, &reply);
            let (_, p) = parse_adu(&radu).unwrap();
            if let Ok(Response::ReadInputRegisters(v)) = Response::decode_pdu(p) {
                acc += u64::from(v[0]);
            }
        }
        acc
    });

    let sweep = |d: Duration| d.as_secs_f64() * 4000.0 / 2.0;
    println!(
        "reference scenario, {hours} h, seed {seed}: {transactions} HMI transactions, \
         {output} good units (plant alone: {plant_output})"
    );
    println!(
        "{:<34} {:>10} {:>8} {:>22} {:>12}",
        "part", "one run", "share", "4,000 runs on 2 cores", "allocations"
    );
    for (name, d, a) in [
        ("whole run", whole, whole_allocs),
        ("run without HMI polling", no_polling, quiet_allocs),
        ("plant alone", plant_alone, plant_allocs),
        ("Modbus transactions alone", modbus, modbus_allocs),
        (
            "floor: plant + Modbus",
            plant_alone + modbus,
            plant_allocs + modbus_allocs,
        ),
    ] {
        println!(
            "{name:<34} {:>8.1}ms {:>7.0}% {:>20.0} s {a:>12}",
            d.as_secs_f64() * 1e3,
            100.0 * d.as_secs_f64() / whole.as_secs_f64(),
            sweep(d)
        );
    }
    println!(
        "allocations per HMI transaction on the in-memory bus (whole run less the run without \
         polling, per transaction): {:.2}",
        whole_allocs.saturating_sub(quiet_allocs) as f64 / transactions.max(1) as f64
    );
}
