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


def test_the_network_panel_draws_the_purdue_diagram_and_the_attacks_path(tmp_path):
    # The hidden setpoint's two steps launched at the start: the engineering workstation
    # (supervisory zone) spoofs and writes the pasteurizer's PLC (control zone).
    from PIL import Image

    hidden = str(ROOT / "scenarios/attack-setpoint-hidden.ron")
    layout = json.loads(subprocess.run([VIEWER, "view", hidden, "--print-layout"],
                                       capture_output=True, text=True, check=True).stdout)
    net = layout["network"]
    assert [z["level"] for z in net["zones"]] == [4, 3, 2, 1, 4], net["zones"]
    shot = tmp_path / "purdue.png"
    headless(["view", hidden, "--screenshot", str(shot), "--frames", "60", "--launch", "1", "--launch", "2"], tmp_path)
    px = Image.open(shot).convert("RGB").load()
    # Each zone's box, sampled at its lower right corner (away from its name and marks).
    for z in net["zones"]:
        x, y = int(z["x"] + z["w"] - 4), int(z["y"] + z["h"] - 4)
        assert near(px[x, y], (228, 228, 228), 6), f"zone {z['zone']} at ({x},{y}) is {px[x, y]}"
    # Each host's mark at its centre: the attack's source and target orange, PLCs blue,
    # the HMI dark, other hosts grey.
    orange, blue, dark, grey = (235, 120, 0), (30, 90, 200), (30, 30, 30), (120, 120, 120)
    for h in net["hosts"]:
        x, y = (int(round(v)) for v in h["center"])
        if h["host"] in ("eng-ws", "plc-pasteur"):
            want = orange
        else:
            want = {"Plc": blue, "Hmi": dark}.get(h["kind"], grey)
        assert near(px[x, y], want, 20), f"{h['host']} ({h['kind']}) at ({x},{y}) is {px[x, y]}, not {want}"
    # The attack's path: a 2 px orange line from the workstation's mark to the PLC's, and
    # the conduit between their zones orange: more orange in the panel than the two marks
    # hold by at least the line's length between the marks.
    x0, y0 = int(min(z["x"] for z in net["zones"])), int(min(z["y"] for z in net["zones"]))
    x1 = int(max(z["x"] + z["w"] for z in net["zones"]))
    y1 = int(max(z["y"] + z["h"] for z in net["zones"]))
    n = sum(1 for y in range(y0 - 8, y1 + 8) for x in range(x0 - 8, x1 + 8) if near(px[x, y], orange, 30))
    marks = 2 * int(net["mark"]) ** 2
    (ax, ay), (bx, by) = (next(h["center"] for h in net["hosts"] if h["host"] == name) for name in ("eng-ws", "plc-pasteur"))
    line = ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5 - net["mark"]
    assert n > marks + line, f"{n} orange pixels in the panel; the two marks alone are {marks}"
