"""Drawings in Jupyter: a notebook executed by nbconvert shows the drawing, scaled to the cell,
with its full size one click away."""
import json
import subprocess
import sys

import nbformat
import pytest

from test_html import Chromium, chromium_binary

CELL = """\
from chainrule import Value, draw
x1, x2 = Value(-2.0, label="x1"), Value(-1.0, label="x2")
ws = [Value(1.0, label=f"w{i}", param=True) for i in range(1, 7)]
h1 = (ws[0] * x1 + ws[1] * x2).sigmoid().named("h1")
h2 = (ws[2] * x1 + ws[3] * x2).sigmoid().named("h2")
y = (ws[4] * h1 + ws[5] * h2).sigmoid().named("y")
y.backward()
draw(y, highlight=ws[0])
"""


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notebook")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    path = folder / "drawing.ipynb"
    nbformat.write(notebook, path)
    done = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", str(path),
                           "--output", "executed.ipynb", "--ExecutePreprocessor.timeout=120"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return nbformat.read(folder / "executed.ipynb", as_version=4)


def test_an_executed_notebook_shows_the_drawing(executed):
    (output,) = executed.cells[0].outputs
    assert output.output_type == "execute_result"
    html, svg = output.data["text/html"], output.data["image/svg+xml"]
    assert svg.lstrip().startswith("<?xml") and "dy/dw1 = " in svg  # the drawing, its caption included
    assert html.count("<svg") == 2 and "<details><summary>full size</summary>" in html
    assert "dy/dw1 = dy/dh1 × dh1/dw1 = " in html


def test_the_drawing_fits_the_cell_and_opens_full_size(executed, tmp_path):
    html = executed.cells[0].outputs[0].data["text/html"]
    page = tmp_path / "cell.html"
    page.write_text(f'<!doctype html><body style="margin:0"><div id="cell" style="width:600px">{html}</div>',
                    encoding="utf-8")
    browser = Chromium(chromium_binary())
    try:
        browser.open(page)
        widths = ("[...document.querySelectorAll('#cell svg')]"
                  ".map(s => s.checkVisibility() ? Math.round(s.getBoundingClientRect().width) : 0)")
        scaled, hidden = browser.js(widths)
        assert scaled == 600 and hidden == 0  # shrunk to the cell; the full-size copy waits behind a click
        browser.click("summary")
        scaled, full = browser.js(widths)
        natural = float(json.loads(browser.js("JSON.stringify(document.querySelectorAll('#cell svg')[1]"
                                              ".getAttribute('width'))")).rstrip("pt")) * 4 / 3
        assert full == round(natural) > 600  # at its natural size, scrolled inside the cell
        assert browser.problems() == []
    finally:
        browser.close()
