"""A step's graph and its explanation seen together, measured in headless Chromium.

For every step of every demo page and of a `graph --steps` page, reached with the arrow key as a
reader would, in a 1400x900 window: the step's drawing (the whole SVG, not just its frame, and
none of it scrolled out of its pane) and its chain-rule line lie inside the window with no
scrolling, and the smallest text of the drawing is drawn at >= 9 CSS px. At least 90% of the steps must pass. On a phone the graph comes
first, under the step's title, and says so when it scrolls sideways.

`python tests/test_layout.py [FOLDER]` prints the share per demo (for the pages in FOLDER, as
`chainrule demo --all --out FOLDER` wrote them; else freshly written ones).
"""
import sys
from pathlib import Path

import pytest

from chainrule import cli
from test_html import Chromium, chromium_binary
from test_readable import PHONE, WINDOW, window

SMALLEST = 9.0  # CSS px
SHARE = 0.9  # of the steps with a graph
EXPRESSION = ["graph", "sigmoid(w1*x1 + w2*x2 + b)", "x1=2", "x2=3", "w1=0", "w2=1", "b=4", "--steps"]

# The step on screen: is its drawing, and its chain-rule line, inside the window; its smallest text.
MEASURE = """(() => {
  const step = document.querySelector('.step.current') || document.querySelector('.step');
  const svg = step.querySelector('figure.graph svg');
  if (!svg) return null;
  const inside = e => { const r = e.getBoundingClientRect();
    return r.width > 0 && r.top >= -1 && r.left >= -1 && r.bottom <= innerHeight + 1 && r.right <= innerWidth + 1; };
  const box = svg.closest('.drawing').getBoundingClientRect(), drawn = svg.getBoundingClientRect();
  const whole = drawn.top >= box.top - 1 && drawn.left >= box.left - 1 && drawn.bottom <= box.bottom + 1
    && drawn.right <= box.right + 1;  // not cut off by the pane: nothing of it scrolled out of sight
  const sizes = [];
  for (const text of svg.querySelectorAll('text')) {
    if (!text.textContent.trim()) continue;
    const m = text.getScreenCTM();
    sizes.push(parseFloat(getComputedStyle(text).fontSize) * Math.hypot(m.a, m.b));
  }
  const chain = step.querySelector('.chain');
  return {title: step.querySelector('h2').lastChild.textContent, drawing: whole && inside(svg),
          chain: chain ? inside(chain) : true, smallest: Math.min(...sizes)};
})()"""


def ready(browser):
    """Wait until the step on screen has its drawing (a page may draw it after the step shows)."""
    browser.send("Runtime.evaluate", awaitPromise=True, expression=(
        "new Promise(done => { const start = performance.now(); (function wait() {"
        " const step = document.querySelector('.step.current');"
        " if (!step || !step.querySelector('.pane') || step.querySelector('.pane svg') || performance.now() - start > 20000)"
        " requestAnimationFrame(() => requestAnimationFrame(done)); else setTimeout(wait, 20); })(); })"))


def measure_page(browser, page):
    """[(title, drawing inside, chain line inside, smallest text px)] for every step with a graph."""
    browser.open(page)
    count = browser.js("document.querySelectorAll('.step').length")
    rows = []
    for k in range(count):
        if k:
            browser.press("ArrowRight", 39)
        ready(browser)
        shown = browser.js(MEASURE)
        if shown:
            rows.append((shown["title"], shown["drawing"], shown["chain"], shown["smallest"]))
    assert browser.problems() == [], page
    return rows


def passes(row):
    _, drawing, chain, smallest = row
    return drawing and chain and smallest >= SMALLEST


def write_pages(folder):
    """Every demo's page and a `graph --steps` page in `folder`: {name: page path}."""
    assert cli.main(["demo", "--all", "--out", str(folder)]) == 0
    pages = {name: folder / name / f"{name}.html" for name in cli.catalog()}
    assert cli.main([*EXPRESSION, "--html", str(folder / "steps.html")]) == 0
    pages["graph --steps"] = folder / "steps.html"
    return pages


def report(measured):
    lines = []
    for name, rows in measured.items():
        good = sum(map(passes, rows))
        lines.append(f"{name:<14} {good:>2}/{len(rows):<2} steps ({good / len(rows):4.0%}) show the graph and "
                     "its chain rule together at >= 9 px")
    lines += [f"  not: {name}, {row[0]!r}: drawing in view {row[1]}, chain rule in view {row[2]}, smallest {row[3]:.1f} px"
              for name, rows in measured.items() for row in rows if not passes(row)]
    total = [row for rows in measured.values() for row in rows]
    lines.append(f"{'all':<14} {sum(map(passes, total))}/{len(total)} "
                 f"({sum(map(passes, total)) / len(total):.0%})")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def browser():
    chromium = Chromium(chromium_binary())
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return write_pages(tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="module")
def measured(browser, pages):
    window(browser, WINDOW)
    return {name: measure_page(browser, page) for name, page in pages.items()}


def share_and_failures(measured):
    rows = [row for found in measured.values() for row in found]
    failing = [f"{name}, {title!r}: drawing {'in' if d else 'OUT of'} view, chain rule {'in' if c else 'OUT of'} view, "
               f"smallest text {s:.1f} px" for name, found in measured.items() for title, d, c, s in found
               if not passes((title, d, c, s))]
    return sum(map(passes, rows)) / len(rows), failing


def test_the_graph_and_its_chain_rule_are_seen_together_at_1400x900(measured):
    share, failing = share_and_failures(measured)
    assert share >= SHARE, f"{share:.0%} of the steps pass:\n" + "\n".join(failing)


def test_every_step_of_every_demo_is_measured_and_every_chain_rule_is_in_view_at_9_px(measured, pages):
    assert set(measured) == {*cli.catalog(), "graph --steps"}  # spiral's page too: every demo
    for name, page in pages.items():  # every step with a graph was reached with the arrow key, and measured
        assert len(measured[name]) == page.read_text(encoding="utf-8").count('<div class="pane">') > 0, name
    rows = [row for found in measured.values() for row in found]
    assert all(chain for _, _, chain, _ in rows)  # the chain rule is written beside every graph, in view
    assert all(smallest >= SMALLEST for *_, smallest in rows)  # a graph that cannot fit scrolls, at 9 px


SIDEWAYS = """(() => {
  const step = document.querySelector('.step.current'), pane = step.querySelector('.pane');
  const drawing = pane.querySelector('.drawing');
  return {graphFirst: pane.getBoundingClientRect().top < step.querySelector('.text').getBoundingClientRect().top,
          underTitle: pane.getBoundingClientRect().top >= step.querySelector('h2').getBoundingClientRect().bottom,
          scrolls: drawing.scrollWidth > drawing.clientWidth + 1,
          cue: getComputedStyle(pane.querySelector('.sideways')).display !== 'none'};
})()"""


def test_on_a_phone_the_graph_comes_first_and_says_when_it_scrolls_sideways(browser, pages):
    window(browser, PHONE, mobile=True)
    try:
        seen = []
        for name in ("gender", "graph --steps"):
            browser.open(pages[name])
            for k in range(browser.js("document.querySelectorAll('.step').length")):
                if k:
                    browser.press("ArrowRight", 39)
                ready(browser)
                if browser.js("!!document.querySelector('.step.current .pane')"):
                    shown = browser.js(SIDEWAYS)
                    assert shown["graphFirst"] and shown["underTitle"], (name, k)
                    assert shown["cue"] == shown["scrolls"], (name, k, shown)  # a cue exactly when it scrolls
                    seen.append(shown["scrolls"])
        assert any(seen)  # some graph is wider than a phone, and said so
    finally:
        window(browser, WINDOW)


if __name__ == "__main__":
    import tempfile

    chromium = Chromium(chromium_binary())
    try:
        window(chromium, WINDOW)
        if len(sys.argv) > 1:
            folder = Path(sys.argv[1])
            found = {name: folder / name / f"{name}.html" for name in cli.catalog()}
            if (folder / "steps.html").exists():
                found["graph --steps"] = folder / "steps.html"
            print(report({name: measure_page(chromium, page) for name, page in found.items()}))
        else:
            with tempfile.TemporaryDirectory() as folder:
                found = write_pages(Path(folder))
                print(report({name: measure_page(chromium, page) for name, page in found.items()}))
    finally:
        chromium.close()
