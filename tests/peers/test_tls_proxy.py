"""Modbus/TCP Security through `faultline proxy --tls-cert … --tls-key … --client-ca …
--roles …` in front of a legacy PLC of the live twin (a plain Modbus device), with
certificates from `faultline pki init`: pymodbus over TLS with the operator's certificate
reads; its write to the temperature setpoint, which the operator role may not change, is
answered with exception 01 and never reaches the PLC; a client whose certificate comes from
another CA, or that has none, never gets a Modbus answer."""

import json
import socket
import ssl
import subprocess
import time

import pytest
from pymodbus.client import ModbusTlsClient
from pymodbus.pdu import ExceptionResponse

from conftest import BIN, ROOT


def pki(dir):
    out = subprocess.run([BIN, "pki", "init", str(dir)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return dir


def client(port, ca, certs, role):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(ca / "ca.pem"))
    # pymodbus wraps the socket without a server name: the chain to the plant CA is
    # still checked.
    ctx.check_hostname = False
    if role:
        ctx.load_cert_chain(str(certs / "clients" / f"{role}.pem"), str(certs / "clients" / f"{role}.key"))
    return ModbusTlsClient("127.0.0.1", port=port, sslctx=ctx, timeout=2, retries=0)


def modbus_answer(c):
    """Connect and read: the Modbus answer (an exception response is one), or None."""
    c.connect()
    answered = None
    try:
        r = c.read_input_registers(0, count=12, device_id=1)
        answered = r if isinstance(r, ExceptionResponse) or not r.isError() else None
    except Exception:
        answered = None
    c.close()
    return answered


@pytest.fixture
def gateway(twin, tmp_path):
    t = twin(speed=10)
    plant, other = pki(tmp_path / "pki"), pki(tmp_path / "other")
    log = tmp_path / "decisions.jsonl"
    proxy = subprocess.Popen(
        [BIN, "proxy", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{t.port('plc-rinser')}",
         "--tls-cert", str(plant / "devices" / "device.pem"), "--tls-key", str(plant / "devices" / "device.key"),
         "--client-ca", str(plant / "ca.pem"), "--roles", str(ROOT / "examples" / "roles.ron"), "--log", str(log)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line = proxy.stderr.readline()
    assert "Modbus/TCP Security" in line, line + proxy.stderr.read()
    port = int(line.split()[1].rsplit(":", 1)[1])
    yield t, port, plant, other, log
    proxy.kill()
    proxy.wait()


def test_an_operator_reads_and_its_forbidden_write_is_refused_with_exception_01(gateway):
    t, port, plant, _, log = gateway
    c = client(port, plant, plant, "operator")
    assert c.connect()
    r = c.read_input_registers(0, count=12, device_id=1)
    assert not r.isError(), r
    w = c.write_register(2, 560, device_id=1)
    assert w.isError() and w.exception_code == 1, w
    # The operator's own setpoint (the speed, address 0) is its to change.
    ok = c.write_register(0, 100, device_id=1)
    assert not ok.isError(), ok
    c.close()
    # The log is written off the request path: its lines follow within milliseconds.
    deadline = time.time() + 5
    while True:
        entries = [json.loads(l) for l in log.read_text().splitlines()]
        if sum(1 for e in entries if "verdict" in e) >= 3 or time.time() > deadline:
            break
        time.sleep(0.02)
    blocked = [e for e in entries if e.get("verdict") == "block"]
    # One block: the setpoint write, by the role policy (the proxy answered it; it was not
    # forwarded). The reads and the speed write were allowed.
    assert len(blocked) == 1 and blocked[0]["fc"] == 6 and blocked[0]["role"] == "operator", blocked
    assert blocked[0]["reason"] == "the role may not make this request"
    assert sum(1 for e in entries if e.get("verdict") == "allow") == 2, entries


@pytest.fixture
def secure_twin(twin, tmp_path):
    """The live reference line with Modbus/TCP Security on its modern PLCs, certificates
    from `faultline pki init --scenario`, the example role policy."""
    certs = tmp_path / "pki"
    out = subprocess.run([BIN, "pki", "init", str(certs), "--scenario", str(ROOT / "scenarios" / "bottling-line.ron")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    other = pki(tmp_path / "other")
    t = twin(speed=10, extra=("--tls", str(certs), "--roles", str(ROOT / "examples" / "roles.ron")))
    return t, certs, other


def tls_port(t, plc):
    return int(t.endpoints[plc]["tls_address"].rsplit(":", 1)[1])


def test_a_live_plc_serves_modbus_tcp_security_an_operator_reads_and_only_an_engineer_writes_the_setpoint(secure_twin):
    t, certs, _ = secure_twin
    # The filler's PLC is an M580 (modern): it serves Modbus/TCP Security; the legacy
    # M218s do not.
    assert "tls_address" in t.endpoints["plc-filler"]
    assert "tls_address" not in t.endpoints["plc-rinser"]
    c = client(tls_port(t, "plc-filler"), certs, certs, "operator")
    assert c.connect()
    r = c.read_input_registers(0, count=12, device_id=1)
    assert not r.isError(), r
    w = c.write_register(2, 560, device_id=1)
    assert w.isError() and w.exception_code == 1, w
    c.close()
    # An engineer may change a recipe setpoint: on the pasteurizer's PLC (modern, so it
    # serves Modbus/TCP Security), the temperature setpoint (holding register 2, in
    # 0.1 degC) is accepted and held; the operator's same write is refused with 01.
    o = client(tls_port(t, "plc-pasteur"), certs, certs, "operator")
    assert o.connect()
    w = o.write_register(2, 615, device_id=1)
    assert w.isError() and w.exception_code == 1, w
    o.close()
    e = client(tls_port(t, "plc-pasteur"), certs, certs, "engineer")
    assert e.connect()
    w = e.write_register(2, 615, device_id=1)
    assert not w.isError(), w
    held = None
    deadline = time.time() + 5
    while time.time() < deadline:
        r = e.read_holding_registers(2, count=1, device_id=1)
        assert not r.isError(), r
        held = r.registers[0]
        if held == 615:
            break
        time.sleep(0.05)
    e.close()
    assert held == 615, held


def accepted(port):
    """The TLS listener is up: a plain TCP connection to it is accepted."""
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.close()
    return True


def refused_in(log, after, timeout=5):
    """The gateway logged a refused handshake beyond the first `after` lines."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        refused = [json.loads(l) for l in lines[after:] if '"tls refused"' in l]
        if refused:
            return refused
        time.sleep(0.05)
    return []


@pytest.mark.parametrize("who", ["another CA", "no certificate"])
def test_a_client_without_a_plant_certificate_reaches_the_listener_and_its_handshake_is_refused(gateway, who):
    _, port, plant, other, log = gateway
    # Not "nothing listens": the listener accepts the connection...
    assert accepted(port)
    before = len(log.read_text().splitlines())
    c = client(port, plant, other if who == "another CA" else plant, "operator" if who == "another CA" else None)
    answered = modbus_answer(c)
    # ...the handshake fails, which the proxy logs, and no Modbus answer comes back.
    assert answered is None, answered
    assert refused_in(log, before), log.read_text()


@pytest.mark.parametrize("who", ["another CA", "no certificate"])
def test_a_live_plc_gives_no_modbus_answer_without_a_plant_certificate(secure_twin, who):
    t, certs, other = secure_twin
    port = tls_port(t, "plc-filler")
    assert accepted(port)
    log = t.out / "tls.jsonl"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    c = client(port, certs, other if who == "another CA" else certs,
               "operator" if who == "another CA" else None)
    answered = modbus_answer(c)
    assert answered is None, answered
    # The PLC's security endpoint refused the handshake, and says so in its log.
    assert refused_in(log, before), log.read_text() if log.exists() else "no tls.jsonl"
