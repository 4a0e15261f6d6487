"""A live faultline twin for peer tests: started as a real process on loopback ports
chosen by the system, stopped with Ctrl-C (SIGINT) so it writes its report."""

import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("FAULTLINE_BIN", str(ROOT / "target" / "debug" / "faultline"))


class Twin:
    def __init__(self, scenario, out, speed=10.0, pcap=None, extra=()):
        self.out = pathlib.Path(out)
        args = [BIN, "live", str(ROOT / scenario), "--base-port", "0", "--speed", str(speed), "--out", str(out)]
        if pcap:
            args += ["--pcap", str(pcap)]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 20
        endpoints = self.out / "endpoints.json"
        while not endpoints.exists():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("faultline live did not start: " + self.proc.stderr.read())
            time.sleep(0.05)
        self.endpoints = {e["plc"]: e for e in json.loads(endpoints.read_text())}

    def port(self, plc):
        return int(self.endpoints[plc]["address"].rsplit(":", 1)[1])

    def stop(self, sig=signal.SIGINT):
        """Ctrl-C (or SIGTERM): the session ends cleanly and writes the same report as `run`."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, err
        return out, json.loads((self.out / "summary.json").read_text())


@pytest.fixture
def twin(tmp_path):
    started = []

    def start(scenario="scenarios/bottling-line.ron", **kw):
        t = Twin(scenario, tmp_path / f"out{len(started)}", **kw)
        started.append(t)
        return t

    yield start
    for t in started:
        if t.proc.poll() is None:
            t.proc.kill()
            t.proc.wait()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Where the README's test command requires every peer (FAULTLINE_REQUIRE_PEERS), a
    test that would be skipped fails instead, with its reason: a skip would pass unseen."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("FAULTLINE_REQUIRE_PEERS"):
        report.outcome = "failed"
        report.longrepr = f"skipped where every peer is required: {report.longrepr}"
