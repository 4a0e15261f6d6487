"""Independent Modbus peers (pymodbus, mbpoll) against the live twin: assert effects on
the line, not only replies. tshark reads the capture back."""

import os
import shutil
import subprocess
import time

import pytest
from pymodbus.client import ModbusTcpClient
from pymodbus.pdu import ExceptionResponse

# Register map (docs/register-map.md), block 0.
RUN_CMD = 0
SPEED_SP = 0
STATE, UNITS_IN = 0, 2


def u32(regs, at):
    return (regs[at] << 16) | regs[at + 1]


def units_in(client):
    r = client.read_input_registers(0, count=12, device_id=1)
    assert not r.isError(), r
    return u32(r.registers, UNITS_IN), r.registers[STATE]


def client_for(twin, plc):
    c = ModbusTcpClient("127.0.0.1", port=twin.port(plc), timeout=3)
    assert c.connect()
    return c


def test_pymodbus_run_coil_stops_the_station_and_its_counter_freezes(twin):
    t = twin(speed=10)
    c = client_for(t, "plc-capper")
    time.sleep(1.0)
    before, state = units_in(c)
    # Running, or waiting a moment for the next bottle from the filler (the bottleneck, so
    # the capper is often starved between bottles): in production either way.
    assert state in (1, 2) and before > 0, f"the capper should be in production (state {state})"
    assert not c.write_coil(RUN_CMD, False, device_id=1).isError()
    time.sleep(0.3)  # next tick, next scan
    frozen, state = units_in(c)
    assert state == 0, "state register says stopped"
    time.sleep(1.0)  # 10 s simulated: the operator has not reacted yet (~45 s)
    still, state = units_in(c)
    assert still == frozen and state == 0
    c.close()
    out, summary = t.stop()
    assert "production" in out
    assert summary["plcs"][3]["name"] == "plc-capper"


def test_pymodbus_units_counter_increases_over_time(twin):
    t = twin(speed=10)
    c = client_for(t, "plc-packer")
    time.sleep(1.5)
    a, _ = units_in(c)
    time.sleep(1.5)
    b, _ = units_in(c)
    assert b > a + 5, (a, b)
    c.close()
    t.stop()


def test_pymodbus_higher_speed_setpoint_raises_the_rate(twin):
    # minimal.ron: the filler (modern, a source) feeds a faster capper with a buffer of 20.
    t = twin("scenarios/minimal.ron", speed=10)
    c = client_for(t, "plc1")
    time.sleep(0.5)
    a, _ = units_in(c)
    time.sleep(1.0)
    b, _ = units_in(c)
    base = b - a
    assert not c.write_register(SPEED_SP, 150, device_id=1).isError()
    time.sleep(0.3)
    a, _ = units_in(c)
    time.sleep(1.0)
    b, _ = units_in(c)
    fast = b - a
    assert fast > base * 1.3, (base, fast)
    c.close()
    t.stop()


def test_unsupported_function_code_gets_illegal_function_from_a_modern_plc(twin):
    t = twin(speed=10)
    c = client_for(t, "plc-filler")
    # FC 0x14 (read file record) is not implemented by the virtual PLCs.
    from pymodbus.pdu.file_message import ReadFileRecordRequest, FileRecord

    r = c.execute(False, ReadFileRecordRequest(records=[FileRecord(file_number=1, record_number=0, record_length=2)], dev_id=1))
    assert isinstance(r, ExceptionResponse), r
    assert r.exception_code == 0x01
    # Reads outside the station block: Illegal Data Address.
    r = c.read_holding_registers(50, count=1, device_id=1)
    assert r.isError() and r.exception_code == 0x02
    c.close()
    t.stop()


def test_pymodbus_device_identification_and_diagnostics(twin):
    t = twin(speed=10)
    c = client_for(t, "plc-pasteur")
    info = c.read_device_information(device_id=1)
    assert not info.isError(), info
    # The profile's modelled device, marked as a twin: an inventory tells an M580 ...
    assert info.information[0] == b"Schneider Electric", info.information
    assert info.information[1] == b"BMENOR2200H", info.information
    assert info.information[2] == b"(twin)", info.information
    # ... from an M218 (the rinser's PLC).
    legacy = client_for(t, "plc-rinser")
    other = legacy.read_device_information(device_id=1)
    assert not other.isError(), other
    assert other.information[1] == b"TM218", other.information
    legacy.close()
    echo = c.diag_query_data(b"\xa5\x37", device_id=1)
    assert not echo.isError(), echo
    c.close()
    t.stop()


@pytest.mark.skipif(shutil.which("mbpoll") is None and not os.environ.get("FAULTLINE_REQUIRE_PEERS"), reason="mbpoll not installed (scripts/test installs it)")
def test_mbpoll_reads_and_writes(twin):
    t = twin(speed=10)
    port = str(t.port("plc-pasteur"))
    # Temperature setpoint (holding register 2, 0.1 °C): write 63.5 °C, read it back.
    w = subprocess.run(["mbpoll", "-m", "tcp", "-p", port, "-a", "1", "-t", "4", "-0", "-r", "2", "-1", "127.0.0.1", "635"], capture_output=True, text=True, timeout=20)
    assert w.returncode == 0, w.stdout + w.stderr
    r = subprocess.run(["mbpoll", "-m", "tcp", "-p", port, "-a", "1", "-t", "4", "-0", "-r", "0", "-c", "7", "-1", "127.0.0.1"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[2]: \t635" in r.stdout, r.stdout
    # Input registers: temperature (12) near the setpoint band.
    r = subprocess.run(["mbpoll", "-m", "tcp", "-p", port, "-a", "1", "-t", "3", "-0", "-r", "12", "-c", "1", "-1", "127.0.0.1"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0
    temp = int(r.stdout.strip().splitlines()[-1].split()[-1]) / 10
    assert 55 <= temp <= 70, temp
    t.stop()


@pytest.mark.skipif(shutil.which("tshark") is None and not os.environ.get("FAULTLINE_REQUIRE_PEERS"), reason="tshark not installed (scripts/test installs it)")
def test_live_capture_opens_clean_in_tshark(twin, tmp_path):
    pcap = tmp_path / "live.pcap"
    t = twin(speed=10, pcap=pcap)
    c = client_for(t, "plc-filler")
    c.read_holding_registers(0, count=2, device_id=1)
    c.write_register(0, 95, device_id=1)
    c.close()
    t.stop()
    port = t.port("plc-filler")
    opt = ["-o", f"mbtcp.tcp.port:{port}"]
    bad = subprocess.run(["tshark", "-r", str(pcap), *opt, "-Y", "_ws.malformed || _ws.expert.severity>=error"], capture_output=True, text=True)
    assert bad.returncode == 0 and bad.stdout.strip() == "", bad.stdout
    fields = subprocess.run(
        ["tshark", "-r", str(pcap), *opt, "-Y", "modbus", "-T", "fields", "-e", "mbtcp.unit_id", "-e", "modbus.func_code", "-e", "modbus.reference_num"],
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    assert "1\t3\t0" in fields, fields
    assert "1\t6\t0" in fields, fields
    # The HMI's own polls are in it too (the baseline beside the client's traffic), at the
    # plant's addresses: the SCADA server 10.10.1.10 reading the filler's 10.10.2.13:502.
    hmi = subprocess.run(
        ["tshark", "-r", str(pcap), "-Y", "modbus && ip.src == 10.10.1.10", "-T", "fields", "-e", "ip.dst", "-e", "modbus.func_code"],
        capture_output=True, text=True,
    ).stdout.splitlines()
    assert "10.10.2.13\t4" in hmi, hmi[:5]


@pytest.mark.skipif(shutil.which("tshark") is None and not os.environ.get("FAULTLINE_REQUIRE_PEERS"), reason="tshark not installed (scripts/test installs it)")
def test_live_capture_with_the_plants_addresses_decodes_with_no_settings(twin, tmp_path):
    pcap = tmp_path / "plant.pcap"
    t = twin(speed=10, pcap=pcap, extra=("--pcap-plant",))
    c = ModbusTcpClient("127.0.0.1", port=t.port("plc-filler"), timeout=3, source_address=("127.0.0.2", 0))
    assert c.connect()
    assert not c.write_register(0, 95, device_id=1).isError()
    c.close()
    t.stop()
    bad = subprocess.run(["tshark", "-r", str(pcap), "-Y", "_ws.malformed || _ws.expert.severity>=error"], capture_output=True, text=True)
    assert bad.returncode == 0 and bad.stdout.strip() == "", bad.stdout
    # No -o mbtcp.tcp.port: every PLC is at its address, port 502. The client is its
    # actor's host in the default zone (the enterprise: 10.20.0.x), the HMI 10.10.1.10.
    rows = subprocess.run(
        ["tshark", "-r", str(pcap), "-Y", "modbus", "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "tcp.dstport", "-e", "modbus.func_code"],
        capture_output=True, text=True,
    ).stdout.splitlines()
    writes = [r for r in rows if r.endswith("\t6") and r.split("\t")[1] == "10.10.2.13"]
    assert writes and writes[0].startswith("10.20.0.") and "\t502\t" in writes[0], writes
    assert any(r.startswith("10.10.1.10\t10.10.2.13\t502\t4") for r in rows), rows[:5]


@pytest.mark.skipif(shutil.which("tshark") is None and not os.environ.get("FAULTLINE_REQUIRE_PEERS"), reason="tshark not installed (scripts/test installs it)")
def test_fast_mode_capture_opens_clean_in_tshark(tmp_path):
    from conftest import BIN, ROOT

    pcap = tmp_path / "run.pcap"
    subprocess.run([BIN, "run", str(ROOT / "scenarios/minimal.ron"), "--hours", "0.1", "--pcap", str(pcap)], check=True, capture_output=True)
    bad = subprocess.run(["tshark", "-r", str(pcap), "-Y", "_ws.malformed || _ws.expert.severity>=error"], capture_output=True, text=True)
    assert bad.returncode == 0 and bad.stdout.strip() == "", bad.stdout
    rows = subprocess.run(
        ["tshark", "-r", str(pcap), "-Y", "modbus", "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "mbtcp.unit_id", "-e", "modbus.func_code", "-e", "modbus.reference_num"],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    # The HMI (10.0.0.10) polls input registers at 0 on both PLCs, at scenario addresses.
    assert "10.0.0.10\t10.0.0.11\t1\t4\t0" in rows
    assert "10.0.0.10\t10.0.0.12\t1\t4\t0" in rows


def _adu(pdu, unit=1, tid=0x1234):
    """The MBAP header (Modbus Messaging on TCP/IP Implementation Guide v1.0b, 3.1.3)."""
    import struct

    return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu


def _reply(sock, timeout=3.0):
    """The reply PDU on `sock`, or None when nothing comes within `timeout`."""
    import socket
    import struct

    sock.settimeout(timeout)
    try:
        head = b""
        while len(head) < 7:
            chunk = sock.recv(7 - len(head))
            if not chunk:
                return b"<closed>"
            head += chunk
        _, _, length, _ = struct.unpack(">HHHB", head)
        body = b""
        while len(body) < length - 1:
            body += sock.recv(length - 1 - len(body))
        return body
    except socket.timeout:
        return None


def test_replies_follow_the_modbus_specification(twin):
    """Each request the specification answers with an exception gets that exception, on a
    connection that stays open (Modbus Application Protocol v1.1b3, 6.5, 6.12, 6.17, 6.21,
    7). umodbus builds the well-formed requests; the malformed ones are the spec's layout
    with one field wrong."""
    import socket
    import struct

    from umodbus.client import tcp

    t = twin(speed=10)
    s = socket.create_connection(("127.0.0.1", t.port("plc-filler")), timeout=3)
    cases = [
        # FC05 with a value other than 0x0000/0xFF00: Illegal Data Value.
        (tcp.write_single_coil(1, 0, 1)[:-2] + b"\x12\x34", 0x03),
        # FC10 whose byte count disagrees with the quantity: Illegal Data Value.
        (_adu(b"\x10\x00\x00\x00\x02\x03\x00\x01\x00"), 0x03),
        # FC17 whose write byte count disagrees with its quantity: Illegal Data Value.
        (_adu(b"\x17\x00\x00\x00\x01\x00\x00\x00\x01\x04\x00\x01"), 0x03),
        # FC2B/0E with read device id code 05 (only 01-04 exist): Illegal Data Value.
        (_adu(b"\x2b\x0e\x05\x00"), 0x03),
        # FC2B with an MEI type other than 0x0E: Illegal Function.
        (_adu(b"\x2b\x0d\x01\x00"), 0x01),
        # A function code of 0x80 or above: Illegal Function.
        (_adu(b"\x81\x00\x00"), 0x01),
    ]
    for adu, code in cases:
        s.sendall(adu)
        r = _reply(s)
        assert r is not None and r != b"<closed>", (adu.hex(), r)
        assert r[0] == (adu[7] | 0x80) & 0xFF and r[1] == code, (adu.hex(), r.hex())
    # The connection is still served.
    s.sendall(tcp.read_holding_registers(1, 0, 1))
    assert _reply(s)[0] == 0x03
    s.close()

    # Unit id 0 is a broadcast: the write is acted on, nothing is answered.
    s = socket.create_connection(("127.0.0.1", t.port("plc-capper")), timeout=3)
    s.sendall(_adu(struct.pack(">BHH", 0x06, 0, 93), unit=0))
    assert _reply(s, timeout=1.0) is None
    s.sendall(tcp.read_holding_registers(1, 0, 1))
    assert _reply(s) == b"\x03\x02\x00\x5d"

    # Listen-only (FC08/04): no answer at all, not even an exception, until FC08/01,
    # which is not answered either (6.8). Short waits: at 10x the operator restarts the
    # PLC's communications at the cabinet within about a minute simulated.
    s.sendall(_adu(b"\x08\x00\x04\x00\x00"))
    assert _reply(s, timeout=0.3) is None
    for pdu in (b"\x03\x00\x00\x00\x01", b"\x03\x00\x00\x00\x00", b"\x41\x01"):
        s.sendall(_adu(pdu))
        assert _reply(s, timeout=0.3) is None, pdu.hex()
    s.sendall(_adu(b"\x08\x00\x01\x00\x00"))
    assert _reply(s, timeout=0.3) is None
    s.sendall(tcp.read_holding_registers(1, 0, 1))
    assert _reply(s) == b"\x03\x02\x00\x5d"
    s.close()
    t.stop()
