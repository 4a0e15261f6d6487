//! The plant's zones as real Linux network namespaces, and its firewall as a namespace of
//! its own that routes between them and runs the nftables rule set: the kernel's side of
//! the twin-against-kernel comparison and of `faultline live --netns`.
//!
//! Layout, for a prefix `P` (default `faultline`): one namespace `P-ZONE` per zone and
//! `P-fw` for the firewall. Zone `i` is joined to the firewall by a veth pair: the end in
//! the firewall carries the interface name the rule set knows the zone by, the end in the
//! zone is `uplink`; the link has 169.254.i.1/30 (firewall) and 169.254.i.2/30 (zone).
//! Every host's address is local in its zone's namespace, and so is every /24 holding one
//! of the zone's hosts (so that any address in it can be bound and reached); the firewall
//! routes each of them to its zone; a tool run in a zone speaks from the zone's first
//! host's address (the HMI's, in the HMI's zone). Zone pairs the scenario joins by no conduit are dropped
//! by a table of the lab's own (`faultline_topology`) ahead of the user's rule set.
//!
//! Needs CAP_NET_ADMIN (root), `ip` (iproute2) and `nft` (nftables). Everything the lab
//! made is removed when it is dropped (Ctrl-C included, by the caller's handler); a lab
//! left by a crashed run is found by its owner file under /run/faultline and removed
//! before a new one is built.

use anyhow::{Context, Result, bail};
use core::net::Ipv4Addr;
use faultline_core::network::Network;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Convert an nft text rule set to its JSON form: load it with `nft -f` in a private,
/// throwaway network namespace (`unshare --net`) and list it with `nft -j -a`.
pub fn nft_to_json(path: &Path) -> Result<String, String> {
    if which("nft").is_none() {
        return Err(format!(
            "{} is an nft text rule set; converting it needs `nft` (Debian: apt install \
             nftables), or give the JSON form (`nft -j list ruleset`)",
            path.display()
        ));
    }
    let out = Command::new("unshare")
        .args([
            "--net",
            "--",
            "sh",
            "-c",
            "nft -f \"$1\" && nft -j -a list ruleset",
            "sh",
        ])
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run unshare: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if err.contains("Operation not permitted") || err.contains("unshare failed") {
            return Err(format!(
                "converting {} with nft needs CAP_NET_ADMIN (a private network namespace): \
                 run as root, or give the JSON form (`nft -j list ruleset`)",
                path.display()
            ));
        }
        return Err(format!("nft refused the rule set:\n{err}"));
    }
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .chain(["/usr/sbin", "/sbin"])
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.is_file())
}

/// Whether namespaces can be made here: `ip` and `nft` present and the privilege to use
/// them. The reason where not.
pub fn available() -> Result<(), String> {
    for tool in ["ip", "nft"] {
        if which(tool).is_none() {
            return Err(format!(
                "`{tool}` is not installed (Debian: apt install iproute2 nftables)"
            ));
        }
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("network namespaces need CAP_NET_ADMIN: run as root".into());
    }
    static PROBES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = PROBES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let probe = format!("faultline-probe-{}-{n}", std::process::id());
    let made = Command::new("ip")
        .args(["netns", "add", &probe])
        .output()
        .map_err(|e| e.to_string())?;
    if !made.status.success() {
        return Err(format!(
            "cannot make a network namespace here: {}",
            String::from_utf8_lossy(&made.stderr).trim()
        ));
    }
    let _ = Command::new("ip").args(["netns", "del", &probe]).output();
    Ok(())
}

fn run(args: &[&str]) -> Result<()> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .with_context(|| format!("cannot run {}", args[0]))?;
    if !out.status.success() {
        bail!(
            "`{}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn ns_exec(ns: &str, args: &[&str]) -> Result<()> {
    let mut all = vec!["ip", "netns", "exec", ns];
    all.extend_from_slice(args);
    run(&all)
}

const OWNERS: &str = "/run/faultline";

/// The lab: namespaces per zone and for the firewall.
pub struct Lab {
    pub prefix: String,
    /// Per zone: its namespace.
    pub zone_ns: Vec<String>,
    pub firewall_ns: String,
    /// Per zone: the firewall's interface facing it.
    pub interfaces: Vec<String>,
    /// Per zone: the /24s local in it (where a generated address may be drawn).
    pub pools: Vec<Vec<(Ipv4Addr, u8)>>,
    torn_down: bool,
}

/// The namespaces a lab of `prefix` makes, as `ip netns list` shows them.
fn lab_namespaces(prefix: &str) -> Vec<String> {
    let out = Command::new("ip").args(["netns", "list"]).output();
    let Ok(out) = out else { return Vec::new() };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(&format!("{prefix}-")))
        .map(String::from)
        .collect()
}

/// Remove the namespaces of a previous lab of `prefix` whose owner is gone. An owner
/// still running is an error (two labs of one prefix would fight over the names).
pub fn remove_stale(prefix: &str) -> Result<Vec<String>> {
    let owner_file = Path::new(OWNERS).join(format!("{prefix}.pid"));
    if let Ok(pid) = std::fs::read_to_string(&owner_file)
        && let Ok(pid) = pid.trim().parse::<i32>()
        && pid != std::process::id() as i32
        && Path::new(&format!("/proc/{pid}")).exists()
    {
        bail!(
            "a faultline run (pid {pid}) owns the namespaces {prefix}-*; stop it or choose \
             another --netns-prefix"
        );
    }
    let stale = lab_namespaces(prefix);
    for ns in &stale {
        run(&["ip", "netns", "del", ns])?;
    }
    let _ = std::fs::remove_file(&owner_file);
    Ok(stale)
}

impl Lab {
    /// Build the lab for `network`, the firewall facing zone `i` through `interfaces[i]`.
    pub fn build(prefix: &str, network: &Network, interfaces: &[String]) -> Result<Lab> {
        available().map_err(anyhow::Error::msg)?;
        remove_stale(prefix)?;
        std::fs::create_dir_all(OWNERS)?;
        std::fs::write(
            Path::new(OWNERS).join(format!("{prefix}.pid")),
            std::process::id().to_string(),
        )?;
        let zones = &network.zones;
        if zones.len() > 250 {
            bail!(
                "{} zones: the lab numbers its links by zone, at most 250",
                zones.len()
            );
        }
        let mut lab = Lab {
            prefix: prefix.into(),
            zone_ns: zones.iter().map(|z| format!("{prefix}-{z}")).collect(),
            firewall_ns: format!("{prefix}-fw"),
            interfaces: interfaces.to_vec(),
            pools: vec![Vec::new(); zones.len()],
            torn_down: false,
        };
        // The /24 of each host, where only one zone holds it; a /32 where zones share it.
        let mut owners: BTreeMap<[u8; 3], BTreeSet<usize>> = BTreeMap::new();
        for h in &network.hosts {
            let o = h.address.octets();
            owners.entry([o[0], o[1], o[2]]).or_default().insert(h.zone);
        }
        for (net, zs) in &owners {
            if zs.len() == 1 {
                let z = *zs.iter().next().expect("one");
                lab.pools[z].push((Ipv4Addr::new(net[0], net[1], net[2], 0), 24));
            }
        }
        let fw = lab.firewall_ns.clone();
        run(&["ip", "netns", "add", &fw])?;
        ns_exec(&fw, &["ip", "link", "set", "lo", "up"])?;
        ns_exec(
            &fw,
            // Forwarding on; no reverse-path filter; no rate limit on the ICMP errors a
            // `reject` sends (the kernel's default, one a second per host after a burst of
            // six, would turn a rejected connection into a timed-out one under load).
            &[
                "sh",
                "-c",
                "echo 1 > /proc/sys/net/ipv4/ip_forward; for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > $f; done; echo 0 > /proc/sys/net/ipv4/icmp_ratelimit; echo 100000 > /proc/sys/net/ipv4/icmp_msgs_per_sec 2>/dev/null; true",
            ],
        )?;
        for i in 0..zones.len() {
            lab.wire_zone(i, network)?;
        }
        // Zone pairs the scenario does not join: no route in the twin, dropped here.
        let mut topology = String::new();
        for a in 0..zones.len() {
            for b in 0..zones.len() {
                if a != b && !network.zones_joined(a, b) {
                    topology += &format!(
                        "add rule inet faultline_topology forward iifname \"{}\" oifname \"{}\" drop\n",
                        lab.interfaces[a], lab.interfaces[b]
                    );
                }
            }
        }
        if !topology.is_empty() {
            let script = format!(
                "add table inet faultline_topology\nadd chain inet faultline_topology forward {{ type filter hook forward priority -300; policy accept; }}\n{topology}"
            );
            lab.nft(&script)?;
        }
        Ok(lab)
    }

    /// Zone `i`'s namespace: a veth pair to the firewall (169.254.i.0/30), its hosts'
    /// addresses on its loopback, routes both ways, and tools in it speaking from its first
    /// host's address.
    fn wire_zone(&self, i: usize, network: &Network) -> Result<()> {
        let fw = &self.firewall_ns;
        let ns = &self.zone_ns[i];
        run(&["ip", "netns", "add", ns])?;
        let ifname = &self.interfaces[i];
        run(&[
            "ip", "-n", fw, "link", "add", ifname, "type", "veth", "peer", "name", "uplink",
            "netns", ns,
        ])?;
        let (fw_addr, zone_addr) = (format!("169.254.{i}.1"), format!("169.254.{i}.2"));
        ns_exec(
            fw,
            &["ip", "addr", "add", &format!("{fw_addr}/30"), "dev", ifname],
        )?;
        ns_exec(fw, &["ip", "link", "set", ifname, "up"])?;
        ns_exec(ns, &["ip", "link", "set", "lo", "up"])?;
        ns_exec(
            ns,
            &[
                "ip",
                "addr",
                "add",
                &format!("{zone_addr}/30"),
                "dev",
                "uplink",
            ],
        )?;
        ns_exec(ns, &["ip", "link", "set", "uplink", "up"])?;
        // Tools run in the zone speak from its first host's address (the HMI's in
        // its zone), as that host would.
        let first = network
            .hosts
            .iter()
            .find(|h| h.zone == i)
            .map(|h| h.address.to_string());
        for h in network.hosts.iter().filter(|h| h.zone == i) {
            let a = h.address.to_string();
            ns_exec(ns, &["ip", "addr", "add", &format!("{a}/32"), "dev", "lo"])?;
            let in_pool = self.pools[i]
                .iter()
                .any(|(p, _)| p.octets()[..3] == h.address.octets()[..3]);
            if !in_pool {
                ns_exec(
                    fw,
                    &["ip", "route", "add", &format!("{a}/32"), "via", &zone_addr],
                )?;
            }
        }
        let mut route = vec!["ip", "route", "add", "default", "via", &fw_addr];
        if let Some(a) = &first {
            route.extend(["src", a.as_str()]);
        }
        ns_exec(ns, &route)?;
        for (p, len) in &self.pools[i] {
            let net = format!("{p}/{len}");
            ns_exec(ns, &["ip", "route", "add", "local", &net, "dev", "lo"])?;
            ns_exec(fw, &["ip", "route", "add", &net, "via", &zone_addr])?;
        }
        Ok(())
    }

    /// Load an nft script (text) into the firewall namespace.
    pub fn nft(&self, script: &str) -> Result<()> {
        let dir = std::env::temp_dir().join(format!("faultline-nft-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let f = dir.join(format!("{}.nft", self.prefix));
        std::fs::write(&f, script)?;
        let r = ns_exec(&self.firewall_ns, &["nft", "-f", &f.display().to_string()]);
        let _ = std::fs::remove_file(&f);
        r
    }

    /// Load a rule set in its JSON form into the firewall namespace.
    pub fn load_json(&self, json: &str) -> Result<()> {
        let dir = std::env::temp_dir().join(format!("faultline-nft-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let f = dir.join(format!("{}.json", self.prefix));
        std::fs::write(&f, json)?;
        let r = ns_exec(
            &self.firewall_ns,
            &["nft", "-j", "-f", &f.display().to_string()],
        );
        let _ = std::fs::remove_file(&f);
        r.context("loading the rule set into the firewall namespace")
    }

    /// Remove every namespace (and so every veth) of the lab.
    pub fn teardown(&mut self) -> Result<()> {
        if self.torn_down {
            return Ok(());
        }
        self.torn_down = true;
        for ns in self.zone_ns.iter().chain([&self.firewall_ns]) {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
        let _ = std::fs::remove_file(Path::new(OWNERS).join(format!("{}.pid", self.prefix)));
        let left = lab_namespaces(&self.prefix);
        if !left.is_empty() {
            bail!("namespaces left after teardown: {}", left.join(", "));
        }
        Ok(())
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.teardown();
    }
}

/// Run `f` with the calling thread inside the network namespace `ns` (sockets it makes
/// stay there), and back in the thread's own namespace after.
pub fn inside<T>(ns: &str, f: impl FnOnce() -> T) -> Result<T> {
    let own = File::open("/proc/thread-self/ns/net").context("own namespace")?;
    let target =
        File::open(format!("/run/netns/{ns}")).with_context(|| format!("namespace {ns}"))?;
    // SAFETY: setns on valid namespace file descriptors; the thread's namespace is
    // restored below before returning.
    if unsafe { libc::setns(target.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        bail!("setns {ns}: {}", std::io::Error::last_os_error());
    }
    let r = f();
    // SAFETY: as above.
    if unsafe { libc::setns(own.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        bail!("setns back: {}", std::io::Error::last_os_error());
    }
    Ok(r)
}

/// One TCP connection to try through the lab.
#[derive(Clone, Debug)]
pub struct Probe {
    pub client_zone: usize,
    pub client: Ipv4Addr,
    pub client_port: u16,
    pub server_zone: usize,
    pub server: Ipv4Addr,
    pub server_port: u16,
}

impl Probe {
    fn key(&self) -> (Ipv4Addr, u16, Ipv4Addr, u16) {
        (self.client, self.client_port, self.server, self.server_port)
    }
}

/// What the kernel did with a probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// The client connected and the server accepted the connection.
    Connected,
    /// The client's connect failed at once (an RST or an ICMP error).
    Refused,
    /// No answer before the deadline (or the server never saw the handshake complete).
    TimedOut,
}

impl Lab {
    /// Try every probe through the kernel. A listener on each (zone, port) the probes
    /// need accepts on every local address of its zone; a probe is Connected where the
    /// client's connect completes and the server accepts the connection (the handshake's
    /// last packet crossed the firewall too), Refused where the connect fails at once.
    pub fn probe(&self, probes: &[Probe], deadline: std::time::Duration) -> Result<Vec<Seen>> {
        let mut seen = vec![Seen::TimedOut; probes.len()];
        for batch in (0..probes.len()).collect::<Vec<_>>().chunks(200) {
            let places: BTreeSet<(usize, u16)> = batch
                .iter()
                .map(|&k| (probes[k].server_zone, probes[k].server_port))
                .collect();
            let listeners = self.listeners(places)?;
            let clients = self.connect_clients(probes, batch, &mut seen)?;
            let mut connected: BTreeSet<usize> = BTreeSet::new();
            let mut pending: BTreeSet<usize> = clients
                .iter()
                .map(|(k, _)| *k)
                .filter(|k| seen[*k] != Seen::Refused)
                .collect();
            let mut accepted: BTreeSet<(Ipv4Addr, u16, Ipv4Addr, u16)> = BTreeSet::new();
            let mut kept = Vec::new();
            let end = std::time::Instant::now() + deadline;
            while std::time::Instant::now() < end {
                let mut fds: Vec<libc::pollfd> = listeners
                    .iter()
                    .map(|l| libc::pollfd {
                        fd: l.as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    })
                    .collect();
                let waiting: Vec<usize> = clients
                    .iter()
                    .enumerate()
                    .filter(|(_, (k, _))| pending.contains(k))
                    .map(|(j, _)| j)
                    .collect();
                fds.extend(waiting.iter().map(|&j| libc::pollfd {
                    fd: clients[j].1.as_raw_fd(),
                    events: libc::POLLOUT,
                    revents: 0,
                }));
                if waiting.is_empty()
                    && connected
                        .iter()
                        .all(|k| accepted.contains(&probes[*k].key()))
                {
                    break;
                }
                // SAFETY: fds is a valid array of pollfd for the call's duration.
                let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 20) };
                if n < 0 {
                    bail!("poll: {}", std::io::Error::last_os_error());
                }
                for l in &listeners {
                    while let Ok((s, peer)) = l.accept() {
                        let local = s.local_addr().ok().and_then(|a| a.as_socket_ipv4());
                        if let (Some(a), Some(d)) = (peer.as_socket_ipv4(), local) {
                            accepted.insert((*a.ip(), a.port(), *d.ip(), d.port()));
                        }
                        let _ = s.set_linger(Some(std::time::Duration::ZERO));
                        kept.push(s);
                    }
                }
                for (w, &j) in waiting.iter().enumerate() {
                    if fds[listeners.len() + w].revents == 0 {
                        continue;
                    }
                    let (k, s) = &clients[j];
                    pending.remove(k);
                    match s.take_error() {
                        Ok(None) if s.peer_addr().is_ok() => {
                            connected.insert(*k);
                        }
                        _ => seen[*k] = Seen::Refused,
                    }
                }
            }
            for k in connected {
                if accepted.contains(&probes[k].key()) {
                    seen[k] = Seen::Connected;
                }
            }
        }
        Ok(seen)
    }

    /// A listener on each (zone, port), accepting on every local address of its zone.
    fn listeners(&self, places: BTreeSet<(usize, u16)>) -> Result<Vec<socket2::Socket>> {
        use socket2::{Domain, SockAddr, Socket, Type};
        let mut listeners = Vec::new();
        for (z, port) in places {
            let open = || {
                inside(&self.zone_ns[z], || -> std::io::Result<Socket> {
                    let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
                    s.set_reuse_address(true)?;
                    s.bind(&SockAddr::from(std::net::SocketAddrV4::new(
                        Ipv4Addr::UNSPECIFIED,
                        port,
                    )))?;
                    s.listen(1024)?;
                    s.set_nonblocking(true)?;
                    Ok(s)
                })
            };
            // The previous batch's listener on this port is closed, but a process this one
            // forks meanwhile (another thread running `ip` or `nft`) holds a copy of its
            // descriptor until it execs: the port is in use for that moment. Wait it out
            // (a second at most); a port that stays in use is an error.
            let mut tries = 0;
            let l = loop {
                match open()? {
                    Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries < 100 => {
                        tries += 1;
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                    r => break r,
                }
            }
            .with_context(|| format!("listener on port {port} in {}", self.zone_ns[z]))?;
            listeners.push(l);
        }
        Ok(listeners)
    }

    /// Each probe's client socket, bound to its address and port in its zone, its connect
    /// started (a probe whose connect fails at once is Refused).
    fn connect_clients(
        &self,
        probes: &[Probe],
        batch: &[usize],
        seen: &mut [Seen],
    ) -> Result<Vec<(usize, socket2::Socket)>> {
        use socket2::{Domain, SockAddr, Socket, Type};
        let mut clients: Vec<(usize, Socket)> = Vec::new();
        for &k in batch {
            let p = &probes[k];
            let s = inside(
                &self.zone_ns[p.client_zone],
                || -> std::io::Result<Socket> {
                    let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
                    s.set_reuse_address(true)?;
                    s.set_linger(Some(std::time::Duration::ZERO))?;
                    s.bind(&SockAddr::from(std::net::SocketAddrV4::new(
                        p.client,
                        p.client_port,
                    )))?;
                    s.set_nonblocking(true)?;
                    Ok(s)
                },
            )?
            .with_context(|| format!("client socket {}:{}", p.client, p.client_port))?;
            match s.connect(&SockAddr::from(std::net::SocketAddrV4::new(
                p.server,
                p.server_port,
            ))) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                Err(_) => seen[k] = Seen::Refused,
            }
            clients.push((k, s));
        }
        Ok(clients)
    }
}
