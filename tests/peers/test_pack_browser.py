"""The exercise pack in a real browser: headless Chromium (installed by scripts/test) opens
every page of both packs of `faultline exercise FILE --pack DIR` without errors; the situation manual
shows the line and the network (the station boxes are on screen, not only in the DOM), the
inject cards print one per A4 sheet (the PDF has one page per inject), and the role cards
are there and visible."""

import re
import subprocess

from PIL import Image

from conftest import BIN, ROOT
from test_report_browser import chromium, near, pytestmark  # noqa: F401  (skip without chromium)

EXERCISES = ["vendor-2am", "ransomware-monday", "quiet-setpoint", "scan-legacy", "segmentation-go-live"]
# The two packs: the participants' (handed out) and the controller's.
PAGES = [
    "index",
    "participants/index",
    "participants/situation-manual",
    "participants/role-cards",
    "participants/feedback-form",
    "controller/index",
    "controller/situation-manual",
    "controller/role-cards",
    "controller/inject-cards",
    "controller/handbook",
]


def make_pack(tmp_path, name):
    out = tmp_path / name
    r = subprocess.run(
        [BIN, "exercise", str(ROOT / f"scenarios/exercises/{name}.ron"), "--pack", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return out


def count_injects(name):
    text = (ROOT / f"scenarios/exercises/{name}.ron").read_text()
    return len(re.findall(r"^\s*at_h:", text, re.M))


def count_roles(name):
    text = (ROOT / f"scenarios/exercises/{name}.ron").read_text()
    return len(re.findall(r"^\s*\(name: \"[^\"]+\", side:", text, re.M))


def pdf_pages(path):
    return len(re.findall(rb"/Type\s*/Page[^s]", path.read_bytes()))


def test_every_pack_page_opens_without_errors_and_prints_a_card_per_sheet(tmp_path):
    for name in EXERCISES:
        pack = make_pack(tmp_path, name)
        for page in PAGES:
            dom = chromium(pack / f"{page}.html", "--dump-dom").stdout
            assert "</main>" in dom, f"{name}/{page}: page did not load"
        injects = count_injects(name)
        dom = chromium(pack / "controller/inject-cards.html", "--dump-dom").stdout
        assert dom.count('class="card inject-card"') == injects, name
        pdf = tmp_path / f"{name}-cards.pdf"
        chromium(pack / "controller/inject-cards.html", "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
        assert pdf_pages(pdf) == injects, f"{name}: {pdf_pages(pdf)} pages for {injects} inject cards"


def test_the_line_diagram_and_the_role_cards_are_visible(tmp_path):
    pack = make_pack(tmp_path, "vendor-2am")
    shot = tmp_path / "manual.png"
    chromium(pack / "participants/situation-manual.html", "--window-size=1100,1600", f"--screenshot={shot}")
    img = Image.open(shot).convert("RGB")
    px = img.load()
    w, h = img.size
    # The station boxes (#d9d9d9 with a dark outline) and the blue PLC labels and conduits.
    grey = sum(1 for y in range(h) for x in range(0, w, 2) if px[x, y] == (217, 217, 217))
    assert grey > 4000, f"station and host boxes not visible ({grey} px)"
    blue = sum(1 for y in range(h) for x in range(w) if near(px[x, y], (30, 90, 200), 40))
    assert blue > 300, f"PLC labels and conduits not visible ({blue} px)"
    dom = chromium(pack / "participants/role-cards.html", "--dump-dom").stdout
    roles = count_roles("vendor-2am")
    assert roles == 7, f"{roles} roles read from vendor-2am.ron"
    assert dom.count('class="card role-card"') == roles
    shot = tmp_path / "roles.png"
    chromium(pack / "participants/role-cards.html", "--window-size=1100,1400", f"--screenshot={shot}")
    img = Image.open(shot).convert("RGB")
    px = img.load()
    w, h = img.size
    # White cards with dark text on the grey page.
    white = sum(1 for y in range(0, h, 2) for x in range(0, w, 2) if px[x, y] == (255, 255, 255))
    ink = sum(1 for y in range(0, h, 2) for x in range(0, w, 2) if sum(px[x, y][:3]) < 200)
    assert white > 0.3 * (w * h / 4), "no card on screen"
    assert ink > 500, f"no text on the role cards ({ink} samples)"
