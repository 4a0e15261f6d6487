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


# The printable width of an A4 page with the stylesheet's 14 mm margins, in CSS pixels
# (182 mm at 96 px per inch): the page's print rules apply at this width on screen too.
A4_PRINTABLE_PX = 688

# Added to a copy of the page only (the pages themselves carry no script): lists every
# table cell and chart whose box reaches past the page's width.
PROBE = """<script>
window.addEventListener('load', () => {
  const w = document.documentElement.clientWidth;
  const out = [];
  document.querySelectorAll('th, td, svg').forEach((e) => {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && (r.right > w + 0.5 || r.left < -0.5)) {
      out.push(e.tagName + ' ' + Math.round(r.left) + '..' + Math.round(r.right) + ' ' +
               (e.textContent || '').trim().slice(0, 40));
    }
  });
  const p = document.createElement('pre');
  p.id = 'overflow-probe';
  p.textContent = 'checked ' + document.querySelectorAll('th, td, svg').length + '\\n' + out.join('\\n');
  document.body.appendChild(p);
});
</script>"""


def cut_on_a4(page, tmp_path):
    """The cells and charts of `page` that an A4 page would cut, and how many were checked."""
    probe = tmp_path / f"probe-{page.parent.name}-{page.name}"
    probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    dom = chromium(probe, f"--window-size={A4_PRINTABLE_PX},1200", "--dump-dom").stdout
    text = dom.split('id="overflow-probe">', 1)[1].split("</pre>", 1)[0]
    lines = text.strip().split("\n")
    return int(lines[0].split()[1]), [x for x in lines[1:] if x]


def test_every_table_and_chart_fits_an_a4_page(tmp_path):
    """report.html of the heaviest run and an after-action with the road not taken, at the
    A4 printable width: no header or cell reaches past the page; and each prints to PDF."""
    run = tmp_path / "run"
    r = subprocess.run(
        [BIN, "run", str(ROOT / "scenarios/all-controls.ron"), "--out", str(run)],
        capture_output=True, text=True, timeout=300,
    )
    assert r.returncode == 0, r.stderr
    aar = tmp_path / "aar"
    r = subprocess.run(
        [BIN, "exercise", str(ROOT / "scenarios/exercises/quiet-setpoint.ron"), "--choose", "default",
         "--compare", "--seeds", "2", "--out", str(aar)],
        capture_output=True, text=True, timeout=600,
    )
    assert r.returncode == 0, r.stderr
    for page in [run / "report.html", aar / "after-action.html"]:
        checked, cut = cut_on_a4(page, tmp_path)
        assert checked > 100, f"{page.name}: only {checked} cells and charts checked"
        assert not cut, f"{page.name}: cut on A4:\n" + "\n".join(cut[:20])
        pdf = tmp_path / f"{page.parent.name}.pdf"
        chromium(page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
        assert pdf.stat().st_size > 10_000


# Added to a copy of the page only: counts the event log's rows shown before and after the
# operator's filter is unticked.
FILTER_PROBE = """<script>
window.addEventListener('load', () => {
  const shown = (sel) => [...document.querySelectorAll(sel)].filter((r) => r.getClientRects().length > 0).length;
  const before = [shown('tr.k-operator'), shown('#event-log tbody tr')];
  document.getElementById('f-operator').checked = false;
  const after = [shown('tr.k-operator'), shown('#event-log tbody tr')];
  const p = document.createElement('pre');
  p.id = 'filter-probe';
  p.textContent = before.concat(after).join(' ');
  document.body.appendChild(p);
});
</script>"""


def test_the_event_log_filters_by_kind_without_a_script_of_its_own(tmp_path):
    out = tmp_path / "isolate"
    r = subprocess.run(
        [BIN, "run", str(ROOT / "scenarios/response-isolate-zone.ron"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    page = out / "report.html"
    assert "<script" not in page.read_text()
    probe = tmp_path / "filter-probe.html"
    probe.write_text(page.read_text().replace("</body>", FILTER_PROBE + "</body>"))
    dom = chromium(probe, "--dump-dom").stdout
    text = dom.split('id="filter-probe">', 1)[1].split("</pre>", 1)[0]
    op_before, all_before, op_after, all_after = map(int, text.split())
    assert op_before > 0, text
    assert op_after == 0, f"operator rows still shown with their filter unticked: {text}"
    assert all_after == all_before - op_before > 0, text
