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
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
                Some(Ok(adu)) => {
                    if Request::decode_pdu(&adu[7..]).is_err() {
                        let _ = self.tx.send(Msg::input(Input::Malformed {
                            plc: self.plc,
                            conn: self.conn,
                        }));
                    }
                }
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
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r
            && buf.filled().len() > before
        {
            let new = buf.filled()[before..].to_vec();
            this.inspect(&new);
            // A frame under way must be finished soon; a connection between requests may
            // sit idle for longer.
            let wait = if this.framer.pending() > 0 {
                this.timing.frame
            } else {
                this.timing.idle
            };
            this.deadline
                .as_mut()
                .reset(tokio::time::Instant::now() + wait);
            return r;
        }
        if r.is_pending() && this.deadline.as_mut().poll(cx).is_ready() {
            // Idle, or a half frame, for too long: the device closes the connection.
            this.control.closed.store(true, Ordering::Release);
            return Poll::Ready(Ok(()));
        }
        r
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
