//! A transparent wrapper around a PLC endpoint's TCP stream: tokio-modbus reads and writes
//! through it, and it shows the raw bytes to faultline — to the capture, and to the device
//! model, which must see traffic the Modbus stack would silently drop (bytes that are not
//! Modbus, frames that do not decode) because that is what hangs fragile devices.

use super::{CaptureMsg, Msg, Shared};
use crate::modbus::{Framer, Request};
use crate::plc::ConnId;
use crate::world::Input;
use futures_util::task::AtomicWaker;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedSender;

/// Lets the device close a connection (evicted when full, or after garbage).
#[derive(Default)]
pub struct ConnControl {
    pub closed: AtomicBool,
    pub waker: AtomicWaker,
}

impl ConnControl {
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.waker.wake();
    }
}

pub struct Tap {
    pub inner: TcpStream,
    pub plc: usize,
    pub conn: ConnId,
    pub framer: Framer,
    pub garbage_reported: bool,
    pub tx: UnboundedSender<Msg>,
    pub control: Arc<ConnControl>,
    pub shared: Arc<Shared>,
    /// The device's idle and half-frame timeouts: the connection ends at this deadline.
    pub deadline: Pin<Box<tokio::time::Sleep>>,
    pub timing: super::EndpointTiming,
    /// Whole frames the Modbus stack may read.
    pub ready: Vec<u8>,
    /// Replies the device gave to frames the Modbus stack never saw, to be written.
    pub side: Arc<Mutex<Vec<u8>>>,
    pub unsent: Vec<u8>,
    /// The connection's transaction ids towards the device (shared with its service).
    pub next_tid: Arc<AtomicU16>,
}

/// Whether tokio-modbus's server can take the frame: a request our codec decodes, whose
/// function code is one Modbus defines below 0x80. Anything else the device itself
/// answers (the exception the specification gives), hangs on, or ignores — tokio-modbus
/// would close the connection instead.
fn stack_takes(adu: &[u8]) -> bool {
    adu.get(7).is_some_and(|&f| f < 0x80)
        && matches!(Request::decode_pdu(&adu[7..]), Ok(r) if !matches!(r, Request::Raw { .. }))
}

impl Tap {
    fn inspect(&mut self, bytes: &[u8]) {
        self.shared.capture(CaptureMsg::Data {
            key: u64::from(self.conn),
            to_server: true,
            bytes: bytes.to_vec(),
        });
        if self.garbage_reported {
            return;
        }
        self.framer.push(bytes);
        loop {
            match self.framer.next_frame() {
                None => break,
                Some(Ok(adu)) if stack_takes(&adu) => self.ready.extend_from_slice(&adu),
                Some(Ok(adu)) => self.send_to_device(adu),
                Some(Err(_)) => {
                    self.garbage_reported = true;
                    let _ = self.tx.send(Msg::input(Input::Garbage {
                        plc: self.plc,
                        conn: self.conn,
                    }));
                    break;
                }
            }
        }
    }

    /// A frame the Modbus stack cannot take goes to the device as it is; its reply, if
    /// it gives one, is written on this connection with the client's transaction id.
    fn send_to_device(&mut self, adu: Vec<u8>) {
        let client_tid = [adu[0], adu[1]];
        let Some(rx) = super::to_device(&self.tx, &self.next_tid, self.plc, self.conn, adu) else {
            return;
        };
        let (side, control, give_up) =
            (self.side.clone(), self.control.clone(), self.timing.give_up);
        tokio::spawn(async move {
            if let Ok(Ok(mut adu)) = tokio::time::timeout(give_up, rx).await {
                adu[..2].copy_from_slice(&client_tid);
                if let Ok(mut s) = side.lock() {
                    s.extend_from_slice(&adu);
                }
                control.waker.wake();
            }
        });
    }

    /// Write what the device answered outside the Modbus stack, as far as the socket
    /// takes it now.
    fn flush_side(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if let Ok(mut s) = self.side.lock() {
            self.unsent.append(&mut s);
        }
        while !self.unsent.is_empty() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.unsent) {
                Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(n)) => {
                    self.shared.capture(CaptureMsg::Data {
                        key: u64::from(self.conn),
                        to_server: false,
                        bytes: self.unsent[..n].to_vec(),
                    });
                    self.unsent.drain(..n);
                }
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => break,
            }
        }
        Ok(())
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::input(Input::Disconnect {
            plc: self.plc,
            conn: self.conn,
        }));
        self.shared.capture(CaptureMsg::Close {
            key: u64::from(self.conn),
        });
        self.shared.forget(self.conn);
        self.shared
            .open_conns
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

impl AsyncRead for Tap {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.control.waker.register(cx.waker());
        if this.control.closed.load(Ordering::Acquire) {
            // The device closed the connection: end of stream.
            return Poll::Ready(Ok(()));
        }
        if let Err(e) = this.flush_side(cx) {
            return Poll::Ready(Err(e));
        }
        loop {
            if !this.ready.is_empty() {
                let n = this.ready.len().min(buf.remaining());
                buf.put_slice(&this.ready[..n]);
                this.ready.drain(..n);
                return Poll::Ready(Ok(()));
            }
            let mut scratch = [0u8; 4096];
            let mut rb = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Ready(Ok(())) if rb.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => {
                    let new = rb.filled().to_vec();
                    this.inspect(&new);
                    // A frame under way must be finished soon; a connection between
                    // requests may sit idle for longer.
                    let wait = if this.framer.pending() > 0 {
                        this.timing.frame
                    } else {
                        this.timing.idle
                    };
                    this.deadline
                        .as_mut()
                        .reset(tokio::time::Instant::now() + wait);
                    if this.garbage_reported && this.ready.is_empty() {
                        // Not Modbus: the device decides (it closes the connection).
                        return Poll::Pending;
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    if this.deadline.as_mut().poll(cx).is_ready() {
                        // Idle, or a half frame, for too long: the device closes it.
                        this.control.closed.store(true, Ordering::Release);
                        return Poll::Ready(Ok(()));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

impl AsyncWrite for Tap {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = r
            && n > 0
        {
            this.shared.capture(CaptureMsg::Data {
                key: u64::from(this.conn),
                to_server: false,
                bytes: data[..n].to_vec(),
            });
        }
        r
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
