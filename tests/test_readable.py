"""Readable where it is seen: every step graph of every demo page, measured in headless Chromium.

For each step on screen (reached with the arrow key, as a reader would), each text of its
graph counts at the size the page really draws it: the SVG text's font size times the scale
from the SVG's user units to CSS pixels (getScreenCTM). A step passes when at least 95% of its
graph's text is drawn at >= 9 CSS px with no click or zoom, and the graph's frame fits the
window's width (a graph wider than its frame scrolls inside it); the step's text never scrolls sideways
and the numbers of its table keep their digits on one line (but a long float, which may break). The README figure is measured the same way in an 880 px column, as a README shows it.
"""
import json
import re
from pathlib import Path

import pytest

from chainrule import cli
from test_html import Chromium, chromium_binary

ROOT = Path(__file__).resolve().parent.parent
SMALLEST = 9.0  # CSS px
SHARE = 0.95  # of a step's graph text at SMALLEST or larger
WINDOW = (1400, 900)
PHONE = (390, 844)
README_COLUMN = 880

# Every visible text of the graphs in `scope`: its drawn size; and how far a graph sticks out of the window.
MEASURE = """(scope => {
  const sizes = [];
  let overflow = 0;
  for (const svg of scope.querySelectorAll('figure.graph svg')) {
    const box = svg.getBoundingClientRect(), frame = (svg.closest('.drawing') || svg).getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    // the frame that shows it (a graph larger than its pane scrolls inside it)
    overflow = Math.max(overflow, frame.right - document.documentElement.clientWidth, -frame.left);
    for (const text of svg.querySelectorAll('text')) {
      if (!text.textContent.trim() || text.getBoundingClientRect().width === 0) continue;
      const m = text.getScreenCTM();
      sizes.push(parseFloat(getComputedStyle(text).fontSize) * Math.hypot(m.a, m.b));
    }
  }
  // how far a line of the step's text runs past its box (a laid-out line that would scroll sideways)
  let sideways = 0;
  for (const block of scope.querySelectorAll('.text pre, .text p')) sideways = Math.max(sideways, block.scrollWidth - block.clientWidth);
  // the numbers of its table that break over lines (only a long float, class long, may)
  const broken = [];
  for (const cell of scope.querySelectorAll('table.numbers td:not(:first-child):not(.long)')) {
    const range = document.createRange();
    range.selectNodeContents(cell);
    if (new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1) broken.push(cell.textContent.trim());
  }
  const title = scope.querySelector('h2');
  return {title: title ? title.lastChild.textContent : '', sizes: sizes, overflow: overflow, sideways: sideways,
          broken: broken};
})(%s)"""
STEP = "document.querySelector('.step.current') || document.querySelector('.step')"


def window(browser, size, mobile=False):
    width, height = size
    browser.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                 mobile=mobile)


def readable_share(sizes):
    """The share of texts drawn at SMALLEST px or larger (1.0 when there is no text)."""
    return sum(size >= SMALLEST for size in sizes) / len(sizes) if sizes else 1.0


def measure_page(browser, page):
    """MEASURE's record, with the share of readable text and the smallest size, for every step with a
    graph, reached with the arrow key; the page must say it shows each step and report no problem."""
    browser.open(page)
    count = browser.js("document.querySelectorAll('.step').length")
    rows = []
    for k in range(count):
        if k:
            browser.press("ArrowRight", 39)
        assert browser.js("document.getElementById('counter').textContent") == f"Step {k + 1} of {count}", page
        shown = browser.js(MEASURE % STEP)
        if shown["sizes"]:
            rows.append(dict(shown, share=readable_share(shown["sizes"]), smallest=min(shown["sizes"])))
    assert browser.problems() == [], page
    return rows


def measure_all(browser, folder):
    """{demo name: measure_page rows} for every demo page that `chainrule demo --all` wrote."""
    return {name: measure_page(browser, folder / name / f"{name}.html") for name in cli.catalog()}


def faults(row):
    """What keeps a measured step from being read as it is: [] when it passes."""
    found = []
    if row["share"] < SHARE:
        found.append(f"{row['share']:.0%} of its text at >= {SMALLEST:g} px (smallest {row['smallest']:.1f} px)")
    if row["overflow"] > 1:
        found.append(f"{row['overflow']:.0f} px wider than the window")
    if row["sideways"] > 1:
        found.append(f"a line of its text {row['sideways']:.0f} px past its box")
    if row["broken"]:
        found.append(f"numbers broken over lines: {', '.join(row['broken'])}")
    return found


def report(measured):
    """One line per demo: steps with a graph, steps that pass, the worst step's share, the smallest text."""
    lines = []
    for name, rows in measured.items():
        passing = sum(not faults(row) for row in rows)
        worst = min((row["share"] for row in rows), default=1.0)
        smallest = min((row["smallest"] for row in rows), default=0.0)
        lines.append(f"{name:<13} {passing:>2}/{len(rows):<2} steps pass; worst step {worst:4.0%} readable; "
                     f"smallest text {smallest:4.1f} px")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def browser():
    chromium = Chromium(chromium_binary())
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demos")
    assert cli.main(["demo", "--all", "--out", str(folder)]) == 0
    return folder


def test_every_step_graph_of_every_demo_is_readable_at_1400x900(browser, demo_pages, capsys):
    window(browser, WINDOW)
    measured = measure_all(browser, demo_pages)
    failing = [f"{name}, step {row['title']!r}: {'; '.join(faults(row))}"
               for name, rows in measured.items() for row in rows if faults(row)]
    assert not failing, "\n".join(failing)
    assert sum(len(rows) for rows in measured.values()) > 30  # the steps were really reached


def test_pages_fit_a_phone_and_their_graphs_scroll_sideways_at_a_readable_size(browser, demo_pages):
    window(browser, PHONE, mobile=True)
    for name in ("gender", "xor"):
        browser.open(demo_pages / name / f"{name}.html")
        for _ in range(browser.js("document.querySelectorAll('.step').length")):
            wide = browser.js("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert wide <= 1, f"{name}: the page is {wide} px wider than a phone"
            shown = browser.js(MEASURE % STEP)
            share = readable_share(shown["sizes"])
            assert share >= SHARE, f"{name}, step {shown['title']!r}: {share:.0%} of its text at >= {SMALLEST:g} px"
            assert shown["sideways"] <= 1, f"{name}, step {shown['title']!r}: a line of its text scrolls sideways"
            assert not shown["broken"], f"{name}, step {shown['title']!r}: numbers broken over lines: {shown['broken']}"
            browser.press("ArrowRight", 39)


def test_the_readme_figure_is_readable_in_a_readme_column(browser, tmp_path):
    figure = re.search(r"!\[[^\]]*\]\(([^)]+\.svg)\)", (ROOT / "README.md").read_text(encoding="utf-8")).group(1)
    svg = (ROOT / figure).read_text(encoding="utf-8")
    page = tmp_path / "readme.html"
    # a README shows an image at its natural size, shrunk to the column when wider
    page.write_text(f'<!doctype html><body style="margin:0"><div style="width:{README_COLUMN}px">'
                    f'<figure class="graph" style="margin:0">{svg[svg.find("<svg"):]}</figure></div>'
                    f'<style>svg {{ max-width: 100%; height: auto; }}</style>', encoding="utf-8")
    window(browser, WINDOW)
    browser.open(page)
    shown = browser.js(MEASURE % "document.body")
    assert readable_share(shown["sizes"]) >= SHARE, json.dumps(shown)


if __name__ == "__main__":  # python tests/test_readable.py: the measure per demo, as a table
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        assert cli.main(["demo", "--all", "--out", folder]) == 0
        chromium = Chromium(chromium_binary())
        try:
            window(chromium, WINDOW)
            print(report(measure_all(chromium, Path(folder))))
        finally:
            chromium.close()
