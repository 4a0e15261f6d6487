"""`faultline live --netns`: the plant's zones as network namespaces and its nftables rule
set in a firewall namespace between them. pymodbus in the supervisory zone reads the
filler's PLC at its real address, 10.10.2.13:502; a connection from the enterprise zone
is dropped by the rule set; after the session no namespace or veth of the run is left.
Needs root, ip and nft; skipped with the reason otherwise (failed where CI requires it)."""

import os
import signal
import shutil
import subprocess
import re
import sys
import time

import pytest

from conftest import BIN, ROOT

PREFIX = "flpeer"


def namespaces_or_skip():
    why = None
    if os.geteuid() != 0:
        why = "network namespaces need root"
    elif not shutil.which("nft") or not shutil.which("ip"):
        why = "ip and nft are not installed"
    if why:
        if os.environ.get("FAULTLINE_REQUIRE_NETNS"):
            pytest.fail("FAULTLINE_REQUIRE_NETNS is set but " + why)
        pytest.skip(why)


def in_zone(zone, code, timeout=20):
    """Run Python code inside a zone's namespace with this interpreter (pymodbus's)."""
    return subprocess.run(
        ["ip", "netns", "exec", f"{PREFIX}-{zone}", sys.executable, "-c", code],
        capture_output=True, text=True, timeout=timeout,
    )


READ = """
from pymodbus.client import ModbusTcpClient
c = ModbusTcpClient("10.10.2.13", port=502, timeout=3)
assert c.connect(), "no connection"
r = c.read_input_registers(0, count=12, device_id=1)
assert not r.isError(), r
print("state", r.registers[0], "from", c.socket.getsockname()[0])
"""

CONNECT = """
import socket
s = socket.socket()
s.settimeout(3)
try:
    s.connect(("10.10.2.13", 502))
    print("connected")
except OSError as e:
    print("not connected:", type(e).__name__)
"""


def names(args):
    return subprocess.run(args, capture_output=True, text=True).stdout


def test_live_netns_reads_the_filler_from_supervisory_and_enterprise_is_dropped(twin):
    namespaces_or_skip()
    t = twin("scenarios/segmentation-nftables.ron", speed=10, extra=("--netns", "--netns-prefix", PREFIX))
    assert t.endpoints["plc-filler"]["address"] == "10.10.2.13:502"
    for zone in ("enterprise", "dmz", "supervisory", "control", "vendor", "fw"):
        assert f"{PREFIX}-{zone}" in names(["ip", "netns", "list"])
    ruleset = names(["ip", "netns", "exec", f"{PREFIX}-fw", "nft", "list", "ruleset"])
    assert "SCADA polls the PLCs" in ruleset, ruleset

    ok = in_zone("supervisory", READ)
    assert ok.returncode == 0, ok.stderr
    # The SCADA server's address: the rule set allows exactly that host.
    assert "from 10.10.1.10" in ok.stdout, ok.stdout

    refused = in_zone("enterprise", CONNECT)
    assert refused.returncode == 0, refused.stderr
    assert "not connected" in refused.stdout, refused.stdout

    out, summary = t.stop()
    assert "production" in out
    left = names(["ip", "netns", "list"])
    assert PREFIX not in left, left
    links = names(["ip", "-o", "link", "show", "type", "veth"])
    assert "uplink" not in links and "supervisory" not in links, links


def test_live_netns_ends_on_sigterm_with_its_report_and_nothing_left(twin):
    """`kill`, `timeout` and service managers send SIGTERM: the session ends as on Ctrl-C."""
    namespaces_or_skip()
    t = twin("scenarios/segmentation-nftables.ron", speed=10, extra=("--netns", "--netns-prefix", PREFIX))
    assert f"{PREFIX}-control" in names(["ip", "netns", "list"])
    out, summary = t.stop(signal.SIGTERM)
    assert "production" in out and summary["line"]["good_units"] >= 0
    left = names(["ip", "netns", "list"])
    assert PREFIX not in left, left


TLS_READ = """
import ssl, sys
from pymodbus.client import ModbusTlsClient
certs = sys.argv[1]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(certs + "/ca.pem")
ctx.check_hostname = False
ctx.load_cert_chain(certs + "/clients/operator.pem", certs + "/clients/operator.key")
c = ModbusTlsClient("10.10.2.13", port=802, sslctx=ctx, timeout=3, retries=0)
assert c.connect(), "no TLS connection"
r = c.read_input_registers(0, count=12, device_id=1)
assert not r.isError(), r
w = c.write_register(2, 560, device_id=1)
print("read", r.registers[0], "write exception", getattr(w, "exception_code", None))
"""


def test_live_netns_serves_modbus_tcp_security_on_port_802_of_the_plcs_address(twin, tmp_path):
    """With --netns, a PLC that serves Modbus/TCP Security does so on the registered port
    802 of its own address, in its zone: an operator's certificate reads from the
    supervisory zone, and its setpoint write is refused with exception 01."""
    namespaces_or_skip()
    certs = tmp_path / "pki"
    out = subprocess.run([BIN, "pki", "init", str(certs), "--scenario", str(ROOT / "scenarios" / "bottling-line.ron")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    t = twin("scenarios/bottling-line.ron", speed=10,
             extra=("--netns", "--netns-prefix", PREFIX, "--tls", str(certs), "--roles", str(ROOT / "examples" / "roles.ron")))
    assert t.endpoints["plc-filler"]["tls_address"] == "10.10.2.13:802"
    r = subprocess.run(["ip", "netns", "exec", f"{PREFIX}-supervisory", sys.executable, "-c", TLS_READ, str(certs)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "write exception 1" in r.stdout, r.stdout
    t.stop()
    assert PREFIX not in names(["ip", "netns", "list"])


def established(zone):
    """The zone's established TCP connections: (local address, peer address) pairs."""
    out = names(["ip", "netns", "exec", f"{PREFIX}-{zone}", "ss", "-tnH", "state", "established"])
    return [tuple(line.split()[-2:]) for line in out.splitlines() if line.strip()]


def test_live_netns_carries_the_twins_own_hmi_and_attack_steps_through_the_kernel(twin, tmp_path):
    """The twin's HMI polls every PLC over kernel sockets from the SCADA server's address
    in the supervisory namespace (the rule set's counter sees them); the attack steps
    connect from their hosts' namespaces and the kernel drops them. A rule added to the
    kernel alone (a reset for the filler's traffic) cuts the HMI off the filler, where the
    twin's own evaluation would carry it: the report counts that disagreement, and the
    session's input log replays to the same summary without any socket."""
    namespaces_or_skip()
    t = twin("scenarios/segmentation-nftables.ron", speed=600,
             extra=("--netns", "--netns-prefix", PREFIX, "--hours", "4.2"))
    polls = []
    deadline = time.time() + 10
    while time.time() < deadline and len(polls) < 7:
        polls = [(a, b) for a, b in established("supervisory")
                 if a.startswith("10.10.1.10:") and b.startswith("10.10.2.1") and b.endswith(":502")]
        time.sleep(0.1)
    assert len(polls) == 7, established("supervisory")
    ruleset = names(["ip", "netns", "exec", f"{PREFIX}-fw", "nft", "list", "ruleset"])
    counted = re.search(r"counter packets (\d+) .*SCADA polls the PLCs", ruleset)
    assert counted and int(counted.group(1)) >= 7, ruleset

    subprocess.run(["ip", "netns", "exec", f"{PREFIX}-fw", "nft", "insert", "rule", "inet", "plant",
                    "forward", "ip", "daddr", "10.10.2.13", "tcp", "dport", "502",
                    "reject", "with", "tcp", "reset"], check=True)
    t.proc.wait(timeout=120)
    out, summary = t.stop()
    sec = summary["security"]
    kernel = sec["kernel"]
    # 28 scan probes (4 per PLC) and the write from the engineering workstation dropped,
    # the HMI's reconnections to the filler reset.
    assert kernel["refused"] >= 29, kernel
    assert kernel["disagreements"] >= 1, kernel
    assert [s["outcome"] for s in sec["steps"]] == ["blocked", "blocked"], sec["steps"]
    filler = [f for f in sec["flows_blocked"] if f["to"] == "plc-filler" and f["legitimate"]]
    assert filler and filler[0]["from"] == "scada", sec["flows_blocked"]
    events = (t.out / "events.jsonl").read_text()
    assert "kernel_disagrees" in events and "plc-filler" in events
    assert "in the kernel (live --netns)" in out

    replay = tmp_path / "replay"
    r = subprocess.run([BIN, "run", str(ROOT / "scenarios/segmentation-nftables.ron"),
                        "--replay", str(t.out / "inputs.log"), "--out", str(replay)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (replay / "summary.json").read_text() == (t.out / "summary.json").read_text()


def test_live_netns_carries_a_spreading_step_through_the_kernel(twin):
    """Ransomware on the MES tries every managed host's port 445 from the MES's address in
    the enterprise namespace; the lab listens there, and the kernel's rule set decides. A
    rule added to the kernel alone (a reset for the MES's traffic to the historian) keeps
    the historian safe, where the twin's own evaluation would let it be encrypted."""
    namespaces_or_skip()
    t = twin("scenarios/ransomware-segmented-island.ron", speed=1200,
             extra=("--netns", "--netns-prefix", PREFIX, "--hours", "6.5"))
    subprocess.run(["ip", "netns", "exec", f"{PREFIX}-fw", "nft", "insert", "rule", "inet", "faultline",
                    "forward", "ip", "saddr", "10.20.0.10", "ip", "daddr", "10.10.3.5", "tcp", "dport", "445",
                    "reject", "with", "tcp", "reset"], check=True)
    t.proc.wait(timeout=120)
    out, summary = t.stop()
    sec = summary["security"]
    step = sec["steps"][0]
    assert step["outcome"] == "succeeded", step
    assert "encrypted: mes, it-laptop" in out, out
    blocked = {(f["from"], f["to"], f["port"]) for f in sec["flows_blocked"]}
    assert {("mes", "historian", 445), ("mes", "scada", 445), ("mes", "eng-ws", 445)} <= blocked, blocked
    kernel = sec["kernel"]
    assert kernel["disagreements"] == 1 and kernel["refused"] == 3, kernel
