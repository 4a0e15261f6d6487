//! The proxy's decision log, written off the request path. A request's decision is handed to
//! a writer thread as it is (the request's bytes, the verdict), in the order the requests
//! were judged: one queue, one writer. The writer makes each a JSON line and writes it,
//! flushing whenever the queue runs empty (so the file is current when the proxy is idle)
//! and napping a millisecond before it waits again (so that under load the lines of a
//! millisecond go out in one write, and no request has to wake it); [`DecisionLog::finish`] writes what is queued and flushes (the proxy's exit, Ctrl-C and
//! SIGTERM). A log that cannot keep up holds the requests back until it can (nothing is
//! dropped) and says so on stderr and in its totals; a log that cannot be written stops the
//! proxy (fail closed: no request passes unlogged).

use crate::modbus::{MAX_ADU, Request};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// How many lines may wait for the writer before a request waits for it.
const QUEUE: usize = 8192;

/// Where the proxy's decisions go: cheap to clone (every session holds one).
#[derive(Clone)]
pub struct DecisionLog {
    tx: SyncSender<Entry>,
    shared: Arc<Shared>,
}

struct Shared {
    /// The first write error, if any: the proxy stops on it.
    failed: Mutex<Option<String>>,
    broken: AtomicBool,
    /// Requests that found the queue full, and the µs they waited for room in it.
    stalls: AtomicU64,
    waited_us: AtomicU64,
    warned: AtomicBool,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// One line of the log.
#[expect(
    clippy::large_enum_variant,
    reason = "a decision travels inline in the queue's slots: no allocation per request"
)]
enum Entry {
    Decision(Decision),
    /// Anything else (a TLS session, a refused handshake, a lost upstream), as it is.
    Event(serde_json::Value),
    Close,
}

/// One request's decision, as the request path hands it over: no formatting, no allocation
/// unless a reason is given.
pub(crate) struct Decision {
    pub ts: f64,
    pub client: SocketAddr,
    pub upstream: SocketAddr,
    /// Under Modbus/TCP Security, the client's role (None: its certificate names none).
    pub role: Option<Option<Arc<str>>>,
    /// Whether the line lists the addresses and values the request touches.
    pub touches: bool,
    pub verdict: &'static str,
    pub reason: Option<String>,
    adu: [u8; MAX_ADU],
    len: usize,
}

impl Decision {
    /// The request `adu` (the framer's whole frame: at most [`MAX_ADU`] bytes).
    pub fn new(ts: f64, client: SocketAddr, upstream: SocketAddr, adu: &[u8]) -> Self {
        let len = adu.len().min(MAX_ADU);
        let mut bytes = [0u8; MAX_ADU];
        bytes[..len].copy_from_slice(&adu[..len]);
        Decision {
            ts,
            client,
            upstream,
            role: None,
            touches: false,
            verdict: "allow",
            reason: None,
            adu: bytes,
            len,
        }
    }

    /// The request's header: transaction id, unit, function code.
    fn header(&self) -> (u16, u8, u8) {
        crate::modbus::parse_adu(&self.adu[..self.len])
            .map(|(h, pdu)| {
                (
                    h.transaction_id,
                    h.unit_id,
                    pdu.first().copied().unwrap_or(0),
                )
            })
            .unwrap_or((0, 0, 0))
    }

    /// The line, written straight to `out`: the object's keys in the order serde_json's
    /// map gives them (sorted), the bytes of [`Decision::value`]'s.
    fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        let (tid, unit, fc) = self.header();
        let request = match self.touches {
            true => Request::decode_pdu(self.adu.get(7..self.len).unwrap_or_default()).ok(),
            false => None,
        };
        let mut line = Line {
            address: None,
            client: self.client,
            fc,
            quantity: None,
            reason: self.reason.as_deref(),
            request: None,
            role: self.role.as_ref().map(|r| r.as_deref()),
            tid,
            ts: self.ts,
            unit,
            upstream: self.upstream,
            value: None,
            values: None,
            verdict: self.verdict,
        };
        use Request::*;
        match &request {
            None => {}
            Some(
                ReadCoils { address, quantity }
                | ReadDiscreteInputs { address, quantity }
                | ReadHoldingRegisters { address, quantity }
                | ReadInputRegisters { address, quantity },
            ) => (line.address, line.quantity) = (Some(*address), Some(*quantity)),
            Some(WriteSingleCoil { address, value }) => {
                (line.address, line.value) = (Some(*address), Some(Scalar::Bit(*value)))
            }
            Some(WriteSingleRegister { address, value }) => {
                (line.address, line.value) = (Some(*address), Some(Scalar::Word(*value)))
            }
            Some(WriteMultipleCoils { address, values }) => {
                (line.address, line.values) = (Some(*address), Some(Values::Bits(values)))
            }
            Some(WriteMultipleRegisters { address, values }) => {
                (line.address, line.values) = (Some(*address), Some(Values::Words(values)))
            }
            Some(other) => line.request = Some(format!("{other:?}")),
        }
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")
    }

    /// The line as a JSON value (a request's touches merged into its object).
    #[cfg(test)]
    fn value(&self) -> serde_json::Value {
        let adu = &self.adu[..self.len];
        let (tid, unit, function) = self.header();
        let mut entry = serde_json::json!({
            "ts": self.ts, "client": self.client.to_string(), "upstream": self.upstream.to_string(),
            "tid": tid, "unit": unit, "fc": function,
        });
        if let Some(role) = &self.role {
            entry["role"] = role.as_deref().into();
        }
        if self.touches
            && let Ok(req) = Request::decode_pdu(adu.get(7..).unwrap_or_default())
            && let (Some(e), serde_json::Value::Object(t)) = (entry.as_object_mut(), touches(&req))
        {
            e.extend(t);
        }
        entry["verdict"] = self.verdict.into();
        entry["reason"] = self.reason.clone().into();
        entry
    }
}

/// A decision line's fields in serde_json's map order (sorted by key).
#[derive(serde::Serialize)]
struct Line<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<u16>,
    #[serde(serialize_with = "display")]
    client: SocketAddr,
    fc: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    quantity: Option<u16>,
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<Option<&'a str>>,
    tid: u16,
    ts: f64,
    unit: u8,
    #[serde(serialize_with = "display")]
    upstream: SocketAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Scalar>,
    #[serde(skip_serializing_if = "Option::is_none")]
    values: Option<Values<'a>>,
    verdict: &'a str,
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum Scalar {
    Bit(bool),
    Word(u16),
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum Values<'a> {
    Bits(&'a [bool]),
    Words(&'a [u16]),
}

fn display<S: serde::Serializer>(a: &SocketAddr, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(a)
}

impl Entry {
    /// The line written to `out`; false for [`Entry::Close`].
    fn write(&self, out: &mut impl Write) -> std::io::Result<bool> {
        match self {
            Entry::Decision(d) => d.write(out)?,
            Entry::Event(v) => {
                serde_json::to_writer(&mut *out, v)?;
                out.write_all(b"\n")?;
            }
            Entry::Close => return Ok(false),
        }
        Ok(true)
    }
}

/// The address and values a request touches, for the decision log.
#[cfg(test)]
fn touches(req: &Request) -> serde_json::Value {
    use Request::*;
    match req {
        ReadCoils { address, quantity }
        | ReadDiscreteInputs { address, quantity }
        | ReadHoldingRegisters { address, quantity }
        | ReadInputRegisters { address, quantity } => {
            serde_json::json!({"address": address, "quantity": quantity})
        }
        WriteSingleCoil { address, value } => {
            serde_json::json!({"address": address, "value": value})
        }
        WriteSingleRegister { address, value } => {
            serde_json::json!({"address": address, "value": value})
        }
        WriteMultipleCoils { address, values } => {
            serde_json::json!({"address": address, "values": values})
        }
        WriteMultipleRegisters { address, values } => {
            serde_json::json!({"address": address, "values": values})
        }
        other => serde_json::json!({"request": format!("{other:?}")}),
    }
}

/// Seconds since the Unix epoch, for a line's `ts`.
pub(crate) fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl DecisionLog {
    /// A log written to `out` by a thread of its own.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        let (tx, rx) = sync_channel(QUEUE);
        let shared = Arc::new(Shared {
            failed: Mutex::new(None),
            broken: AtomicBool::new(false),
            stalls: AtomicU64::new(0),
            waited_us: AtomicU64::new(0),
            warned: AtomicBool::new(false),
            writer: Mutex::new(None),
        });
        let state = shared.clone();
        let writer = std::thread::Builder::new()
            .name("faultline-decisions".into())
            .spawn(move || write_lines(rx, out, &state))
            .expect("a thread for the decision log");
        if let Ok(mut w) = shared.writer.lock() {
            *w = Some(writer);
        }
        DecisionLog { tx, shared }
    }

    /// A log that keeps nothing (benches, and the tests that do not read it).
    pub fn discard() -> Self {
        Self::new(Box::new(std::io::sink()))
    }

    pub(crate) fn decision(&self, d: Decision) {
        self.send(Entry::Decision(d));
    }

    pub(crate) fn event(&self, line: serde_json::Value) {
        self.send(Entry::Event(line));
    }

    fn send(&self, e: Entry) {
        let e = match self.tx.try_send(e) {
            Ok(()) => return,
            Err(TrySendError::Full(e)) => e,
            Err(TrySendError::Disconnected(e)) => return closed(&e),
        };
        // The writer is behind: this request waits for room (nothing is dropped).
        if !self.shared.warned.swap(true, Ordering::Relaxed) {
            eprintln!(
                "warning: the decision log is falling behind ({QUEUE} lines waiting): requests wait for it; none is dropped"
            );
        }
        let t = Instant::now();
        let r = self.tx.send(e);
        self.shared.stalls.fetch_add(1, Ordering::Relaxed);
        self.shared
            .waited_us
            .fetch_add(t.elapsed().as_micros() as u64, Ordering::Relaxed);
        if let Err(std::sync::mpsc::SendError(e)) = r {
            closed(&e);
        }
    }

    /// The error that stopped the log, if one did.
    pub fn failed(&self) -> Option<String> {
        if !self.shared.broken.load(Ordering::Relaxed) {
            return None;
        }
        self.shared.failed.lock().ok().and_then(|f| f.clone())
    }

    /// Requests that waited for the log, and how long in all (µs).
    pub fn stalls(&self) -> (u64, u64) {
        (
            self.shared.stalls.load(Ordering::Relaxed),
            self.shared.waited_us.load(Ordering::Relaxed),
        )
    }

    /// Write every line queued, flush, and stop the writer; say on stderr if the log fell
    /// behind. An error if a line could not be written.
    pub fn finish(&self) -> anyhow::Result<()> {
        let _ = self.tx.send(Entry::Close);
        let writer = self.shared.writer.lock().ok().and_then(|mut w| w.take());
        if let Some(w) = writer {
            w.join()
                .map_err(|_| anyhow::anyhow!("the decision log's thread panicked"))?;
        }
        let (stalls, waited) = self.stalls();
        if stalls > 0 {
            eprintln!(
                "the decision log fell behind: {stalls} requests waited for it, {:.1} ms in all (none dropped)",
                waited as f64 / 1000.0
            );
        }
        match self.failed() {
            Some(e) => anyhow::bail!("the decision log could not be written: {e}"),
            None => Ok(()),
        }
    }
}

/// A line that comes after the log was finished goes to stderr, not nowhere.
fn closed(e: &Entry) {
    let mut line = Vec::new();
    if let Ok(true) = e.write(&mut line) {
        eprint!(
            "decision after the log was closed: {}",
            String::from_utf8_lossy(&line)
        );
    }
}

/// The writer thread: lines in the order they were queued, flushed whenever the queue is empty.
fn write_lines(rx: Receiver<Entry>, out: Box<dyn Write + Send>, shared: &Shared) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    let fail = |e: std::io::Error| {
        if let Ok(mut f) = shared.failed.lock()
            && f.is_none()
        {
            eprintln!("error: the decision log cannot be written: {e}");
            *f = Some(e.to_string());
        }
        shared.broken.store(true, Ordering::Relaxed);
    };
    // Lines written since the last flush.
    let mut dirty = false;
    loop {
        let entry = match rx.try_recv() {
            Ok(e) => e,
            Err(TryRecvError::Empty) => {
                if dirty && let Err(e) = out.flush() {
                    fail(e);
                }
                // A short nap before waiting: under load the lines of the next
                // millisecond are written together, and the requests that queue them
                // never have to wake this thread.
                if dirty {
                    dirty = false;
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    continue;
                }
                match rx.recv() {
                    Ok(e) => e,
                    Err(_) => break,
                }
            }
            Err(TryRecvError::Disconnected) => break,
        };
        dirty = true;
        match entry.write(&mut out) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => fail(e),
        }
    }
    if let Err(e) = out.flush() {
        fail(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A writer that fails after `left` bytes.
    struct Full(usize);
    impl Write for Full {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if self.0 < b.len() {
                return Err(std::io::Error::other("no space left on device"));
            }
            self.0 -= b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn read(tid: u16) -> Vec<u8> {
        crate::modbus::request_adu(
            tid,
            1,
            &Request::ReadHoldingRegisters {
                address: 3,
                quantity: 2,
            },
        )
    }

    #[test]
    fn every_line_is_written_in_order_and_flushed_by_finish() {
        let out = Shared::default();
        let log = DecisionLog::new(Box::new(out.clone()));
        let a: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:502".parse().unwrap();
        // More lines than the queue holds: some requests wait, none is lost.
        let n = QUEUE as u16 * 3;
        let clone = log.clone();
        let t = std::thread::spawn(move || {
            for tid in 0..n {
                let mut d = Decision::new(1.5, a, b, &read(tid));
                d.touches = true;
                clone.decision(d);
            }
        });
        t.join().unwrap();
        log.event(serde_json::json!({"event": "last"}));
        log.finish().unwrap();
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), usize::from(n) + 1);
        for (tid, line) in lines[..usize::from(n)].iter().enumerate() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["tid"], tid, "{line}");
            assert_eq!(v["address"], 3);
            assert_eq!(v["quantity"], 2);
            assert_eq!(v["verdict"], "allow");
            assert_eq!(v["reason"], serde_json::Value::Null);
            assert_eq!(v["client"], "127.0.0.1:4000");
        }
        assert_eq!(lines[usize::from(n)], r#"{"event":"last"}"#);
    }

    #[test]
    fn a_decision_line_is_the_json_the_proxy_always_wrote() {
        let a: SocketAddr = "127.0.0.5:4000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:502".parse().unwrap();
        let mut d = Decision::new(2.0, a, b, &read(9));
        d.role = Some(Some("operator".into()));
        d.verdict = "block";
        d.reason = Some("the role may not make this request".into());
        assert_eq!(
            d.value().to_string(),
            r#"{"client":"127.0.0.5:4000","fc":3,"reason":"the role may not make this request","role":"operator","tid":9,"ts":2.0,"unit":1,"upstream":"127.0.0.1:502","verdict":"block"}"#
        );
    }

    #[test]
    fn every_kind_of_request_is_written_as_its_json_value() {
        use Request::*;
        let requests = [
            ReadCoils {
                address: 1,
                quantity: 8,
            },
            ReadDiscreteInputs {
                address: 0,
                quantity: 1,
            },
            ReadInputRegisters {
                address: 65535,
                quantity: 1,
            },
            WriteSingleCoil {
                address: 4,
                value: true,
            },
            WriteSingleRegister {
                address: 2,
                value: 560,
            },
            WriteMultipleCoils {
                address: 0,
                values: vec![true, false, true],
            },
            WriteMultipleRegisters {
                address: 7,
                values: vec![1, 65535],
            },
            Diagnostics {
                sub_function: 4,
                data: vec![0, 0],
            },
            ReportServerId,
        ];
        let a: SocketAddr = "[::1]:40000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:502".parse().unwrap();
        for (k, r) in requests.iter().enumerate() {
            let adu = crate::modbus::request_adu(k as u16, 7, r);
            for (touches, role, reason) in [
                (true, None, None),
                (
                    false,
                    Some(None),
                    Some("function code 0x5A is not one Modbus defines"),
                ),
                (true, Some(Some("engineer")), Some("rate \"limit\"")),
            ] {
                let mut d = Decision::new(1_700_000_000.123456 + k as f64, a, b, &adu);
                d.touches = touches;
                d.role = role.map(|r: Option<&str>| r.map(Arc::from));
                d.reason = reason.map(String::from);
                d.verdict = "alert";
                let mut out = Vec::new();
                d.write(&mut out).unwrap();
                assert_eq!(String::from_utf8(out).unwrap(), format!("{}\n", d.value()));
            }
        }
        // A frame that does not decode: its header only, whatever `touches` says.
        let mut d = Decision::new(1.0, a, b, &[0, 1, 0, 0, 0, 3, 1, 0x05, 0x00]);
        d.touches = true;
        let mut out = Vec::new();
        d.write(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), format!("{}\n", d.value()));
    }

    #[test]
    fn a_log_that_cannot_be_written_says_so_and_stops_the_proxy() {
        let log = DecisionLog::new(Box::new(Full(100)));
        let a: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        for tid in 0..3 {
            log.decision(Decision::new(1.0, a, a, &read(tid)));
        }
        let e = log.finish().unwrap_err().to_string();
        assert!(e.contains("no space left on device"), "{e}");
        assert!(log.failed().is_some());
    }
}
