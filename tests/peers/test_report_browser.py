"""report.html in a real browser: headless Chromium (Debian `chromium`, installed by
scripts/test) loads the page from disk, and we check that it loaded without errors, that
the DOM has the scorecard and the charts, and that a screenshot shows them: the page is not
blank, the scorecard's header band is there, and the chart's lines and attack markers are
drawn in their colours."""

import os
import shutil
import subprocess

import pytest

from conftest import BIN, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("FAULTLINE_REQUIRE_PEERS"),
    reason="chromium not installed (scripts/test installs it)",
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--virtual-time-budget=3000",
    "--enable-logging=stderr",
    "--v=0",
]


def chromium(page, *args, timeout=120):
    r = subprocess.run(
        [CHROMIUM, *FLAGS, *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HOME": str(page.parent)},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    # Script errors and failed loads are logged as console errors.
    for bad in ("Uncaught", "CONSOLE(", "net::ERR_", "Failed to load resource"):
        assert bad not in r.stderr, f"{bad} in Chromium's log:\n{r.stderr[-2000:]}"
    return r


def near(px, rgb, tol):
    return all(abs(a - b) <= tol for a, b in zip(px[:3], rgb))


def check_page(page, shot, line_rgb):
    from PIL import Image

    dom = chromium(page, "--dump-dom").stdout
    assert 'id="scorecard"' in dom
    assert dom.count("<svg") >= 3, "expected three inline SVG charts"
    assert "chart not drawn" not in dom

    chromium(page, "--window-size=1100,1500", f"--screenshot={shot}")
    img = Image.open(shot).convert("RGB")
    w, h = img.size
    assert (w, h) == (1100, 1500)
    px = img.load()
    # Not blank: plenty of ink and many colours.
    bg = (233, 233, 233)
    ink = sum(1 for y in range(0, h, 2) for x in range(0, w, 2) if not near(px[x, y], bg, 4))
    assert ink > 0.25 * (w * h / 4), f"only {ink} non-background samples"
    assert len(img.getcolors(maxcolors=1 << 20)) > 50
    # The scorecard: its header row (#d6d6d6) is a wide band near the top.
    band = [y for y in range(60, 400) if sum(1 for x in range(0, w) if px[x, y] == (214, 214, 214)) > 300]
    assert band, "the scorecard's header row is not visible"
    # A chart: the series line and the attack markers, below the header.
    line = sum(1 for y in range(80, h) for x in range(0, w, 1) if near(px[x, y], line_rgb, 12))
    assert line > 400, f"the throughput line is not visible ({line} px)"
    red = sum(1 for y in range(80, h) for x in range(0, w) if near(px[x, y], (200, 30, 30), 30))
    assert red > 300, f"no attack markers visible ({red} px)"


def test_run_report_renders_in_chromium(tmp_path):
    out = tmp_path / "run"
    r = subprocess.run(
        [BIN, "run", str(ROOT / "scenarios/all-controls.ron"), "--hours", "6", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    check_page(out / "report.html", tmp_path / "run.png", (90, 90, 90))


def test_sweep_report_renders_in_chromium(tmp_path):
    out = tmp_path / "sweep"
    r = subprocess.run(
        [BIN, "sweep", str(ROOT / "scenarios/all-controls.ron"), "--runs", "3", "--toggle", "dpi",
         "--hours", "6", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    # The baseline's line is grey, the DPI variant's blue.
    check_page(out / "report.html", tmp_path / "sweep.png", (31, 119, 180))


def test_the_hidden_setpoint_story_is_drawn_in_chromium(tmp_path):
    """The run's story: the pasteurizer's trend with what the HMI showed (orange) beside the
    truth, and the ATT&CK matrix with the succeeded techniques in their red cells."""
    from PIL import Image

    out = tmp_path / "hidden"
    r = subprocess.run(
        [BIN, "run", str(ROOT / "scenarios/attack-setpoint-hidden.ron"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    page = out / "report.html"
    dom = chromium(page, "--dump-dom").stdout
    assert 'id="process-pasteurizer"' in dom and 'id="attack-matrix"' in dom
    assert "temperature the HMI showed" in dom
    # The whole page in one tall window: the trend and the matrix lie below the charts.
    shot = tmp_path / "story.png"
    chromium(page, "--window-size=1100,4200", f"--screenshot={shot}")
    img = Image.open(shot).convert("RGB")
    px = img.load()
    w, h = img.size
    orange = sum(1 for y in range(h) for x in range(w) if near(px[x, y], (230, 120, 0), 25))
    assert orange > 150, f"the HMI's displayed temperature is not drawn ({orange} px)"
    truth = sum(1 for y in range(h) for x in range(w) if near(px[x, y], (30, 30, 30), 10))
    assert truth > 500, f"the true temperature is not drawn ({truth} px)"
    cells = sum(1 for y in range(h) for x in range(w) if px[x, y] == (244, 199, 195))
    assert cells > 2000, f"no succeeded technique's cell visible ({cells} px)"
