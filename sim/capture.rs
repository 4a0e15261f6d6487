//! Modbus/TCP traffic as a pcap file that Wireshark opens: every connection becomes an
//! Ethernet/IPv4/TCP flow with a three-way handshake and consistent sequence and
//! acknowledgement numbers; each ADU (or each chunk a live socket read) is one segment.
//! Frames are built with `etherparse` (checksums included) and written with `pcap-file`.

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapPacket, PcapWriter};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::Ipv4Addr;
use std::time::Duration;

/// One end of a flow.
pub type Endpoint = (Ipv4Addr, u16);

/// One TCP segment's header fields; `flags` holds S (SYN), P (PSH), F (FIN).
struct Segment {
    from: Endpoint,
    to: Endpoint,
    seq: u32,
    ack: Option<u32>,
    flags: &'static str,
}

struct Flow {
    client: Endpoint,
    server: Endpoint,
    /// Next sequence number of each side.
    seq_client: u32,
    seq_server: u32,
}

pub struct Capture<W: Write> {
    out: PcapWriter<W>,
    flows: BTreeMap<u64, Flow>,
    buf: Vec<u8>,
}

fn mac(ip: Ipv4Addr) -> [u8; 6] {
    let o = ip.octets();
    [0x02, 0x00, o[0], o[1], o[2], o[3]]
}

impl<W: Write> Capture<W> {
    pub fn new(w: W) -> anyhow::Result<Self> {
        Ok(Capture {
            out: PcapWriter::new(w)?,
            flows: BTreeMap::new(),
            buf: Vec::with_capacity(320),
        })
    }

    fn segment(&mut self, t: Duration, seg: Segment, payload: &[u8]) -> anyhow::Result<()> {
        let Segment {
            from,
            to,
            seq,
            ack,
            flags,
        } = seg;
        let mut b = PacketBuilder::ethernet2(mac(from.0), mac(to.0))
            .ipv4(from.0.octets(), to.0.octets(), 64)
            .tcp(from.1, to.1, seq, 64240);
        if let Some(a) = ack {
            b = b.ack(a);
        }
        if flags.contains('S') {
            b = b.syn();
        }
        if flags.contains('P') {
            b = b.psh();
        }
        if flags.contains('F') {
            b = b.fin();
        }
        self.buf.clear();
        b.write(&mut self.buf, payload)?;
        self.out
            .write_packet(&PcapPacket::new(t, self.buf.len() as u32, &self.buf))?;
        Ok(())
    }

    /// A new connection `key` from `client` to `server`: SYN, SYN-ACK, ACK.
    pub fn open(
        &mut self,
        key: u64,
        t: Duration,
        client: Endpoint,
        server: Endpoint,
    ) -> anyhow::Result<()> {
        // Initial sequence numbers derived from the key: deterministic, distinct per flow.
        let isn_c = (key as u32).wrapping_mul(2_654_435_761).wrapping_add(1000);
        let isn_s = (key as u32).wrapping_mul(40_503).wrapping_add(7_000_000);
        self.segment(
            t,
            Segment {
                from: client,
                to: server,
                seq: isn_c,
                ack: None,
                flags: "S",
            },
            &[],
        )?;
        self.segment(
            t,
            Segment {
                from: server,
                to: client,
                seq: isn_s,
                ack: Some(isn_c + 1),
                flags: "S",
            },
            &[],
        )?;
        self.segment(
            t,
            Segment {
                from: client,
                to: server,
                seq: isn_c + 1,
                ack: Some(isn_s + 1),
                flags: "",
            },
            &[],
        )?;
        self.flows.insert(
            key,
            Flow {
                client,
                server,
                seq_client: isn_c + 1,
                seq_server: isn_s + 1,
            },
        );
        Ok(())
    }

    /// Bytes on connection `key`, in one direction.
    pub fn data(
        &mut self,
        key: u64,
        t: Duration,
        to_server: bool,
        payload: &[u8],
    ) -> anyhow::Result<()> {
        let Some(f) = self.flows.get_mut(&key) else {
            return Ok(());
        };
        let (from, to, seq, ack) = if to_server {
            (f.client, f.server, f.seq_client, f.seq_server)
        } else {
            (f.server, f.client, f.seq_server, f.seq_client)
        };
        let n = payload.len() as u32;
        if to_server {
            f.seq_client = f.seq_client.wrapping_add(n);
        } else {
            f.seq_server = f.seq_server.wrapping_add(n);
        }
        self.segment(
            t,
            Segment {
                from,
                to,
                seq,
                ack: Some(ack),
                flags: "P",
            },
            payload,
        )
    }

    /// The client closes connection `key`: FIN from each side, last ACK.
    pub fn close(&mut self, key: u64, t: Duration) -> anyhow::Result<()> {
        let Some(f) = self.flows.remove(&key) else {
            return Ok(());
        };
        self.segment(
            t,
            Segment {
                from: f.client,
                to: f.server,
                seq: f.seq_client,
                ack: Some(f.seq_server),
                flags: "F",
            },
            &[],
        )?;
        self.segment(
            t,
            Segment {
                from: f.server,
                to: f.client,
                seq: f.seq_server,
                ack: Some(f.seq_client + 1),
                flags: "F",
            },
            &[],
        )?;
        self.segment(
            t,
            Segment {
                from: f.client,
                to: f.server,
                seq: f.seq_client + 1,
                ack: Some(f.seq_server + 1),
                flags: "",
            },
            &[],
        )?;
        Ok(())
    }

    pub fn finish(self) -> anyhow::Result<W> {
        Ok(self.out.into_writer())
    }
}

/// The fast mode's traffic: each bus link is the HMI's connection to one PLC, port 502.
pub fn write_bus_capture<W: Write>(w: W, world: &crate::World) -> anyhow::Result<W> {
    let mut cap = Capture::new(w)?;
    // Links opened while the run went on (attack steps) are not all there at the start.
    let mut opened = vec![false; world.net.bus.links.len()];
    for sent in world.net.bus.capture.iter().flatten() {
        let l = sent.link as usize;
        let t = Duration::from_micros(sent.at);
        if !opened[l] {
            opened[l] = true;
            let link = &world.net.bus.links[l];
            // The client's address as the scenario places it (the HMI, an attacker's host).
            let client = world
                .net
                .network
                .host(&link.client)
                .map(|h| world.net.network.hosts[h].address)
                .unwrap_or(Ipv4Addr::LOCALHOST);
            let plc = &world.devices.plcs[link.plc];
            cap.open(
                l as u64,
                t,
                (client, 49152 + (l % 16384) as u16),
                (plc.address, faultline_core::modbus::PORT),
            )?;
        }
        cap.data(l as u64, t, sent.to_server, &sent.adu)?;
    }
    cap.finish()
}
