//! Each PLC's Modbus/TCP endpoint: accepting connections and handing their requests to the
//! simulation loop, the replies back.

use super::*;
use crate::plc::{Admission, ConnId};
use crate::world::Input;
use anyhow::Result;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use tap::{ConnControl, Tap};
use tokio::sync::{mpsc, oneshot};

/// The Modbus service of one connection.
pub(super) struct PlcService {
    plc: usize,
    conn: ConnId,
    tx: mpsc::UnboundedSender<Msg>,
    next_tid: Arc<AtomicU16>,
    shared: Arc<Shared>,
}

pub(super) type Reply = Result<Option<tokio_modbus::Response>, tokio_modbus::ExceptionCode>;

impl tokio_modbus::server::Service for PlcService {
    type Request = tokio_modbus::SlaveRequest<'static>;
    type Response = Option<tokio_modbus::Response>;
    type Exception = tokio_modbus::ExceptionCode;
    type Future = Pin<Box<dyn Future<Output = Reply> + Send>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        let unit = req.slave;
        let (ours, pdu) = convert::request(req.request);
        let mut adu = Vec::with_capacity(7 + pdu.len());
        crate::modbus::encode_adu(&mut adu, 0, unit, |o| o.extend_from_slice(&pdu));
        // Reads on a device with no per-scan limit: answered from the scan's image now.
        if let Some(r) = &ours
            && let Ok(snap) = self.shared.snapshots[self.plc].read()
            && let Some(plc) = snap.as_ref()
            && let Some(result) = plc.read(r)
        {
            let _ = self.tx.send(Msg::input(Input::Read {
                plc: self.plc,
                conn: Some(self.conn),
                adu,
            }));
            let reply = convert::reply(result);
            return Box::pin(async move { reply });
        }
        let sent = to_device(&self.tx, &self.next_tid, self.plc, self.conn, adu);
        let give_up = self.shared.timing[self.plc].give_up;
        Box::pin(async move {
            let Some(rx) = sent else {
                return Ok(None);
            };
            match tokio::time::timeout(give_up, rx).await {
                Ok(Ok(adu)) => convert::reply_adu(&adu),
                // The device will not answer (it dropped the request, faulted or went
                // listen-only): no reply is sent, the client times out, and the connection
                // goes on reading — so it sees the client close and frees its slot.
                Ok(Err(_)) | Err(_) => Ok(None),
            }
        })
    }
}

/// A request ADU to the device on connection `conn`, under the connection's next
/// transaction id (its replies are matched by it); the receiver of the device's reply, or
/// `None` when the simulation has ended.
pub(super) fn to_device(
    tx: &mpsc::UnboundedSender<Msg>,
    next_tid: &AtomicU16,
    plc: usize,
    conn: ConnId,
    mut adu: Vec<u8>,
) -> Option<oneshot::Receiver<Vec<u8>>> {
    let tid = next_tid.fetch_add(1, Ordering::Relaxed);
    adu[..2].copy_from_slice(&tid.to_be_bytes());
    let (reply, rx) = oneshot::channel();
    tx.send(Msg::Request {
        input: Input::Frame { plc, conn, adu },
        tid,
        reply,
    })
    .ok()?;
    Some(rx)
}

pub(super) async fn accept(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    server: SocketAddr,
    plc: usize,
    tx: mpsc::UnboundedSender<Msg>,
    shared: Arc<Shared>,
) -> std::io::Result<Option<(PlcService, Tap)>> {
    if let Some(r) = shared.carried.take(peer) {
        // One of the World's own links, carried through the kernel: its bytes are the link's.
        tokio::spawn(carry::serve(stream, peer, server, r, tx, shared));
        return Ok(None);
    }
    let _ = stream.set_nodelay(true);
    // Below the open-file limit, always: past the cap a new client is closed at once (as
    // a full device would), so the listeners keep the descriptors they need to accept.
    if shared.open_conns.fetch_add(1, Ordering::AcqRel) >= shared.max_conns {
        shared.open_conns.fetch_sub(1, Ordering::AcqRel);
        shared.turned_away.fetch_add(1, Ordering::Relaxed);
        return Ok(None);
    }
    let conn = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let control = Arc::new(ConnControl::default());
    if let Ok(mut m) = shared.controls.lock() {
        m.insert(conn, control.clone());
    }
    // The device decides at its next tick; the socket is served meanwhile (requests queue
    // behind the Connect in the channel) and closed if the device refuses it. Accepting
    // here without waiting keeps one slow admission from holding up the listener.
    let (atx, arx) = oneshot::channel();
    if tx
        .send(Msg::Input {
            input: Input::Connect {
                plc,
                conn,
                from: Some(peer.ip()),
            },
            admission: Some(atx),
        })
        .is_err()
    {
        return Ok(None);
    }
    let refused = control.clone();
    tokio::spawn(async move {
        match arx.await {
            Ok(Some(Admission::Accepted | Admission::AcceptedClosing(_))) => {}
            _ => refused.close(),
        }
    });
    // With the plant's addresses, the simulation opens the flow once it has placed the
    // client's actor.
    if !shared.plant_capture {
        shared.capture(CaptureMsg::Open {
            key: u64::from(conn),
            client: peer,
            server,
        });
    }
    let next_tid = Arc::new(AtomicU16::new(1));
    let service = PlcService {
        plc,
        conn,
        tx: tx.clone(),
        next_tid: next_tid.clone(),
        shared: shared.clone(),
    };
    let timing = shared.timing[plc];
    let tap = Tap {
        inner: stream,
        plc,
        conn,
        framer: crate::modbus::Framer::new(),
        garbage_reported: false,
        tx,
        control,
        deadline: Box::pin(tokio::time::sleep(timing.idle)),
        timing,
        shared,
        ready: Vec::new(),
        side: Arc::new(Mutex::new(Vec::new())),
        unsent: Vec::new(),
        next_tid,
    };
    Ok(Some((service, tap)))
}
