"""The Bevy viewer, headless: Xvfb plus Mesa's software Vulkan driver (lavapipe), the recipe
in docs/sources.md ("Viewer"). A scripted failure of the filler; the screenshot must not be blank,
must show every station block where `faultline view --print-layout` puts it, in a normal
(grey) colour, and the filler in its alarm colour."""

import json
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import ROOT

VIEWER = os.environ.get("FAULTLINE_VIEWER_BIN")
pytestmark = pytest.mark.skipif(
    (VIEWER is None or shutil.which("xvfb-run") is None) and not os.environ.get("FAULTLINE_REQUIRE_PEERS"),
    reason="needs a viewer build (FAULTLINE_VIEWER_BIN) and xvfb-run; scripts/test provides both",
)

SCENARIO = str(ROOT / "scenarios/bottling-line.ron")
GREYS = [(150, 150, 150), (190, 190, 190), (110, 110, 110)]
ALARM = (230, 40, 40)


def near(px, rgb, tol=14):
    return all(abs(a - b) <= tol for a, b in zip(px[:3], rgb))


def headless(args, tmp_path, timeout=300):
    runtime = tempfile.mkdtemp(prefix="xdg-", dir=tmp_path)
    os.chmod(runtime, 0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": runtime}
    r = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x720x24", VIEWER, *args],
        capture_output=True, text=True, timeout=timeout, env=env,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    return r


def test_viewer_screenshot_shows_the_line_and_a_failed_filler(tmp_path):
    from PIL import Image

    layout = json.loads(subprocess.run([VIEWER, "view", SCENARIO, "--print-layout"],
                                       capture_output=True, text=True, check=True).stdout)
    shot = tmp_path / "view.png"
    headless(["view", SCENARIO, "--screenshot", str(shot), "--frames", "90", "--fail", "filler"], tmp_path)
    img = Image.open(shot).convert("RGB")
    assert img.size == (1280, 720)
    px = img.load()
    # Not blank: many colours, and ink beyond the background.
    assert len(img.getcolors(maxcolors=1 << 20)) > 30
    bg = (224, 224, 224)
    ink = sum(1 for y in range(0, 720, 3) for x in range(0, 1280, 3) if not near(px[x, y], bg, 6))
    assert ink > 3000, ink
    # Every station block where the layout puts it: sample inside the block, away from the
    # centred label.
    for s in layout["stations"]:
        (cx, cy), (w, h) = s["center"], s["size"]
        x, y = int(cx - w / 2 + 5), int(cy - h / 2 + 5)
        c = px[x, y]
        if s["station"] == "filler":
            assert near(c, ALARM, 20), f"filler at ({x},{y}) is {c}, not the alarm colour"
        else:
            assert any(near(c, g) for g in GREYS), f"{s['station']} at ({x},{y}) is {c}"


def test_viewer_screenshot_with_frame_times_writes_both(tmp_path):
    # Both asked for: the frame times are printed and the picture is written (the window
    # used to close before the capture: "Unknown window for screenshot").
    shot = tmp_path / "timed.png"
    r = headless(["view", SCENARIO, "--screenshot", str(shot), "--frames", "60", "--frame-times", "20"], tmp_path)
    assert "frame times over 20 frames" in r.stdout, r.stdout[-2000:]
    from PIL import Image
    assert Image.open(shot).size == (1280, 720)


@pytest.mark.parametrize("display", [None, ":77"])
def test_viewer_without_a_display_says_what_is_missing(tmp_path, display):
    # Not under Xvfb: no display named at all, or one that is not there.
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "WAYLAND_SOCKET")}
    env["RUST_BACKTRACE"] = "1"
    if display:
        env["DISPLAY"] = display
    r = subprocess.run([VIEWER, "view", SCENARIO], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 69, (r.returncode, r.stderr[-3000:])
    assert "panicked" not in r.stderr, r.stderr[-3000:]
    assert "the viewer needs a display" in r.stderr and "xvfb-run" in r.stderr, r.stderr
    if display is None:
        assert "neither DISPLAY nor WAYLAND_DISPLAY is set" in r.stderr, r.stderr
    else:
        assert "the window system refused" in r.stderr, r.stderr
