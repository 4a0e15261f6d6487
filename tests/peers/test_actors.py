"""A red/blue session on the live twin with three real clients from distinct loopback
addresses: pymodbus lowers the pasteurizer's setpoint (from 127.0.0.2), pymodbus stops the
filler with its run coil (from 127.0.0.3), and raw service-probe bytes hit a legacy PLC
(from 127.0.0.4). The report books each to its actor with its techniques and owes each what
its traffic cost; the loss tree still closes. The scoreboard is valid JSON at every
rewrite and its page loads in headless Chromium. The session replays without each actor,
and --impact gives each actor's part."""

import json
import socket
import subprocess
import time

from pymodbus.client import ModbusTcpClient

from conftest import BIN, ROOT
from test_report_browser import chromium

ACTORS = """Actors(
    zone: Some("enterprise"),
    actors: [
        (name: "red team", source: "127.0.0.2", zone: "supervisory"),
        (name: "insider", source: "127.0.0.3", zone: "supervisory", address: Some("10.10.1.66")),
        (name: "scanner", source: "127.0.0.4", zone: "supervisory"),
    ],
)
"""


def client(twin, plc, source):
    c = ModbusTcpClient("127.0.0.1", port=twin.port(plc), timeout=3, source_address=(source, 0))
    assert c.connect(), f"{source} could not connect to {plc}"
    return c


def probe(twin, plc, source, n):
    """nmap -sV's first probe, as bytes that are not Modbus, each on a new connection."""
    for _ in range(n):
        s = socket.socket()
        s.bind((source, 0))
        s.settimeout(1)
        try:
            s.connect(("127.0.0.1", twin.port(plc)))
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            time.sleep(0.05)
        except OSError:
            pass
        finally:
            s.close()


def test_three_real_clients_are_three_actors_with_their_techniques_and_costs(twin, tmp_path):
    actors = tmp_path / "actors.ron"
    actors.write_text(ACTORS)
    board = tmp_path / "board" / "scoreboard.json"
    board.parent.mkdir()
    # 120x: two simulated minutes a wall second.
    t = twin(speed=120, extra=("--actors", str(actors), "--scoreboard", str(board)))
    time.sleep(1)
    red = client(t, "plc-pasteur", "127.0.0.2")
    assert not red.write_register(2, 560, device_id=1).isError()
    red.close()
    insider = client(t, "plc-filler", "127.0.0.3")
    assert not insider.write_coil(0, False, device_id=1).isError()
    insider.close()
    probe(t, "plc-rinser", "127.0.0.4", 12)
    # Watch the scoreboard while the session runs: every read is whole JSON.
    reads = 0
    deadline = time.time() + 25
    while time.time() < deadline:
        if board.exists():
            json.loads(board.read_text())
            reads += 1
        time.sleep(0.02)
    assert reads > 100
    page = board.with_name("scoreboard.html")
    assert 'http-equiv="refresh"' in page.read_text(), "the page reloads itself during the session"
    _, summary = t.stop()

    acts = {a["name"]: a for a in summary["actors"]["actors"]}
    assert set(acts) == {"red team", "insider", "scanner"}, acts.keys()
    techniques = {n: {x["id"] for x in a["techniques"]} for n, a in acts.items()}
    assert techniques["red team"] == {"T0836"}, techniques
    assert techniques["insider"] == {"T0831"}, techniques
    assert techniques["scanner"] == {"T0846"}, techniques
    assert acts["scanner"]["probes"] == 12
    assert acts["insider"]["address"] == "10.10.1.66"
    # The setpoint scrapped beer and the coil stopped the bottleneck: both owed.
    assert acts["red team"]["units_owed"] > 0, acts["red team"]
    assert acts["insider"]["units_owed"] > 0, acts["insider"]
    owed = {l["cause"] for l in summary["loss_tree"]["losses"] if l["units"] > 0}
    assert "actor: red team" in owed and "actor: insider" in owed, owed
    tree = summary["loss_tree"]
    lost = sum(l["units"] for l in tree["losses"])
    assert abs(tree["ideal_units"] + tree["made_outside_planned"] - tree["good_units"] - lost) < 0.5
    assert abs(sum(c["total"] for c in summary["cost"]["by_cause"]) - summary["cost"]["total"]) < 0.01

    # The scoreboard's last page (the session ended: it no longer reloads) loads and
    # shows the actors.
    assert json.loads(board.read_text())["ended"] is True
    dom = chromium(page, "--dump-dom").stdout
    for name in ("red team", "insider", "scanner"):
        assert name in dom, name

    # The session without each actor, and each actor's impact.
    log = t.out / "inputs.log"
    scenario = str(ROOT / "scenarios" / "bottling-line.ron")
    for name in acts:
        r = subprocess.run([BIN, "run", scenario, "--replay", str(log), "--without", name, "--json"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        left = {a["name"] for a in json.loads(r.stdout).get("actors", {}).get("actors", [])}
        assert name not in left and len(left) == 2, left
    r = subprocess.run([BIN, "run", scenario, "--replay", str(log), "--impact", "--json"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    impact = json.loads(r.stdout)["impact"]
    rows = {f["name"]: f["cost"]["mean"] for f in impact["factors"]}
    assert set(rows) == {"actor: red team", "actor: insider", "actor: scanner"}, rows
    parts = sum(rows.values()) + impact["interaction"]["cost"]["mean"]
    assert abs(parts - impact["total"]["cost"]["mean"]) < 1.0
    r = subprocess.run([BIN, "run", scenario, "--replay", str(log), "--without", "mallory"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "red team (127.0.0.2)" in r.stderr, r.stderr


PROXY_POLICY = """(
    mode: Enforce,
    on_block: Exception,
    rules: [
        (from: Host("127.0.0.5"), to: Zone("upstream"), preset: ReadWrite),
        (from: Zone("client"), to: Zone("upstream"), preset: ReadOnly),
    ],
)
"""


def test_a_client_through_the_proxy_is_its_own_actor_on_the_live_twin(twin, tmp_path):
    """`faultline proxy` in front of a live PLC keeps a loopback client's address on its
    upstream connection: the twin books the client's coil write to the client's actor (not
    to the proxy's 127.0.0.1), and the write the proxy's policy refuses never reaches the
    twin (the decision log names its client)."""
    actors = tmp_path / "actors.ron"
    actors.write_text('Actors(actors: [(name: "vendor", source: "127.0.0.5", zone: "supervisory")])\n')
    policy = tmp_path / "policy.ron"
    policy.write_text(PROXY_POLICY)
    decisions = tmp_path / "decisions.jsonl"
    t = twin(speed=120, extra=("--actors", str(actors)))
    proxy = subprocess.Popen(
        [BIN, "proxy", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{t.port('plc-filler')}",
         "--policy", str(policy), "--log", str(decisions)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proxy.stderr.readline()
        assert line.startswith("proxy "), line + proxy.stderr.read()
        port = int(line.split()[1].rsplit(":", 1)[1])
        time.sleep(1)
        # The refused one first: its exception comes from the proxy.
        other = ModbusTcpClient("127.0.0.1", port=port, timeout=3, source_address=("127.0.0.6", 0))
        assert other.connect()
        r = other.write_coil(0, False, device_id=1)
        assert r.isError() and r.exception_code == 1, r
        other.close()
        vendor = ModbusTcpClient("127.0.0.1", port=port, timeout=3, source_address=("127.0.0.5", 0))
        assert vendor.connect()
        assert not vendor.write_coil(0, False, device_id=1).isError()
        vendor.close()
        time.sleep(8)
    finally:
        # SIGTERM: the proxy writes every decision queued, flushes and exits cleanly.
        proxy.terminate()
        assert proxy.wait(timeout=10) == 0, proxy.stderr.read()
    _, summary = t.stop()
    acts = {a["source"]: a for a in summary["actors"]["actors"]}
    assert "127.0.0.1" not in acts, "the proxy's own address is nobody's actor"
    vendor = acts["127.0.0.5"]
    assert vendor["name"] == "vendor"
    assert {x["id"] for x in vendor["techniques"]} == {"T0831"}, vendor
    assert vendor["units_owed"] > 0, vendor
    refused = acts.get("127.0.0.6")
    assert refused is None or not refused["techniques"], refused
    lines = [json.loads(l) for l in decisions.read_text().splitlines()]
    assert any(l.get("client", "").startswith("127.0.0.6:") and l.get("verdict") == "block" for l in lines), lines
