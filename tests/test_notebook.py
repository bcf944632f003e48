"""In Jupyter, as a learner runs it: a notebook executed by `jupyter nbconvert --execute` in a real kernel."""
import contextlib
import subprocess
import sys

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbconvert and ipykernel come with the 'test' extra")
pytest.importorskip("nbconvert")
pytest.importorskip("ipykernel")


def execute(tmp_path, *cells):
    """Run the cells top to bottom with `jupyter nbconvert --execute`; the executed notebook (nbformat's dicts)."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    path = tmp_path / "notebook.ipynb"
    nbformat.write(notebook, path)
    done = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", str(path), "--output", "executed.ipynb"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return nbformat.read(tmp_path / "executed.ipynb", as_version=4)


FIT = """\
from chainrule.nn import MLP, SGD, datasets, fit, mse
model = MLP(2, [2, 1], activation="sigmoid", seed=0)
history = fit(model, datasets.gender(), mse, SGD(model.parameters(), lr=0.1), epochs=40)
"""


def test_fit_shows_a_progress_bar_and_plots_its_loss_in_a_notebook(tmp_path):
    pytest.importorskip("tqdm")
    pytest.importorskip("ipywidgets")
    pytest.importorskip("matplotlib", reason="matplotlib is the optional 'plot' extra")
    notebook = execute(
        tmp_path,
        FIT,  # tqdm's notebook bar, a widget
        "history.plot(log=True);",
        'import sys\nsys.modules["tqdm.auto"] = None  # no tqdm: our own bar, on stderr\n' + FIT,
    )
    with_tqdm, plot, without_tqdm = (cell["outputs"] for cell in notebook["cells"])

    # the bar is a widget whose saved state shows the finished run: 40 of 40 epochs and the last loss
    widgets = notebook["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    shown = [out["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] for out in with_tqdm
             if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    assert len(shown) == 1
    parts = [widgets[child.removeprefix("IPY_MODEL_")]["state"] for child in widgets[shown[0]]["state"]["children"]]
    progress = next(part for part in parts if "max" in part)
    assert progress["value"] == progress["max"] == 40 and progress["bar_style"] == "success"
    labels = " ".join(part["value"] for part in parts if part is not progress)
    assert "fit" in labels and "40/40" in labels and "loss" in labels

    assert any("image/png" in out.get("data", {}) for out in plot)

    text = "".join(out["text"] for out in without_tqdm if out.get("name") == "stderr")
    assert "epoch 40/40 [" + "#" * 30 + "] loss " in text


DRAW = """\
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
def drawn(tmp_path_factory):
    """The output of a cell whose last line is a drawing."""
    (output,) = execute(tmp_path_factory.mktemp("drawing"), DRAW)["cells"][0]["outputs"]
    return output


def test_an_executed_notebook_shows_the_drawing(drawn):
    assert drawn["output_type"] == "execute_result"
    html, svg = drawn["data"]["text/html"], drawn["data"]["image/svg+xml"]
    assert svg.lstrip().startswith("<?xml") and "dy/dw1 = " in svg  # the drawing, its caption included
    assert html.count("<svg") == 2 and "<details><summary>full size</summary>" in html
    assert "dy/dw1 = dy/dh1 × dh1/dw1 = " in html


@contextlib.contextmanager
def in_a_cell(tmp_path, html, width):
    """An output's HTML on a page, in a cell `width` px wide, opened in headless Chromium."""
    from test_html import Chromium, chromium_binary

    page = tmp_path / "cell.html"
    page.write_text(f'<!doctype html><body style="margin:0"><div id="cell" style="width:{width}px">{html}</div>',
                    encoding="utf-8")
    browser = Chromium(chromium_binary())
    try:
        browser.open(page)
        yield browser
    finally:
        browser.close()


def test_the_drawing_fits_the_cell_and_opens_full_size(drawn, tmp_path):
    with in_a_cell(tmp_path, drawn["data"]["text/html"], 600) as browser:
        widths = ("[...document.querySelectorAll('#cell svg')]"
                  ".map(s => s.checkVisibility() ? Math.round(s.getBoundingClientRect().width) : 0)")
        scaled, hidden = browser.js(widths)
        assert scaled == 600 and hidden == 0  # shrunk to the cell; the full-size copy waits behind a click
        browser.click("summary")
        scaled, full = browser.js(widths)
        natural = float(browser.js("document.querySelectorAll('#cell svg')[1].getAttribute('width')").rstrip("pt"))
        assert full == round(natural * 4 / 3) > 600  # at its natural size, scrolled inside the cell
        assert browser.problems() == []


WALK = """\
from chainrule import Value, walkthrough
x, w, b = Value(0.5, "x"), Value(-2.0, "w", param=True), Value(1.0, "b", param=True)
y = (w * x + b).tanh().named("y")
"""


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    """A walkthrough shown without anywidget (the page in a frame), then with it (the widget, and the frame)."""
    pytest.importorskip("anywidget")
    notebook = execute(tmp_path_factory.mktemp("walk"), WALK,
                       'import sys\nsys.modules["anywidget"] = None  # not installed\nwalkthrough(y)',
                       'del sys.modules["anywidget"]\nwalkthrough(y)')
    (without,), (with_widget,) = (cell["outputs"] for cell in notebook["cells"][1:])
    return without, with_widget, notebook["metadata"]


def test_an_executed_notebook_shows_the_walkthrough_as_a_widget_with_the_page_as_fallback(walked):
    without, with_widget, metadata = walked
    assert set(without["data"]) == {"text/html", "text/plain"}
    assert set(with_widget["data"]) == {"application/vnd.jupyter.widget-view+json", "text/html", "text/plain"}
    assert with_widget["data"]["text/html"] == without["data"]["text/html"]
    assert without["data"]["text/plain"].startswith("Walkthrough of y = tanh(w*x + b): 4 steps")
    model = with_widget["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
    state = metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"][model]["state"]
    assert (state["count"], state["step"], state["title"]) == (4, 0, "y = tanh(w*x + b)")
    assert state["page"].count('<section class="step"') == 4 and "render({ model, el })" in state["_esm"]


def test_the_fallback_page_steps_inside_the_notebook_output(walked, tmp_path):
    with in_a_cell(tmp_path, walked[0]["data"]["text/html"], 900) as browser:
        inside = "document.querySelector('iframe').contentDocument"
        shown = (f"[{inside}.querySelector('.step.current h2').textContent, "
                 f"{inside}.getElementById('counter').textContent]")
        browser.send("Runtime.evaluate", expression="new Promise(done => setTimeout(done, 200))", awaitPromise=True)
        assert browser.js(shown) == ["1/4Forward: y = 0", "Step 1 of 4"]
        browser.js(f"{inside}.getElementById('next').click()")
        assert browser.js(shown) == ["2/4Backward 1/3: y", "Step 2 of 4"]
        assert browser.js("document.querySelector('iframe').getBoundingClientRect().width") == 900
        assert browser.problems() == []


def test_the_fallback_pages_graph_and_chain_rule_fit_a_900_px_output(walked, tmp_path):
    with in_a_cell(tmp_path, walked[0]["data"]["text/html"], 1100) as browser:
        frame = "document.querySelector('iframe')"
        inside = f"{frame}.contentDocument"
        browser.send("Runtime.evaluate", awaitPromise=True, expression=(
            f"new Promise(done => (function wait() {{ const d = {inside}; "
            "d && d.querySelector('.step.current .pane svg') ? setTimeout(done, 100) : setTimeout(wait, 20); })())"))
        for _ in range(4):
            box = browser.js(f"(() => {{ const f = {frame}.getBoundingClientRect(), d = {inside}, "
                             "step = d.querySelector('.step.current'), svg = step.querySelector('.pane svg'), "
                             "s = svg.getBoundingClientRect(), c = step.querySelector('.chain'); "
                             "const r = c ? c.getBoundingClientRect() : s; "
                             "return [f.bottom, s.top, s.bottom, r.top, r.bottom, d.documentElement.clientHeight]; })()")
            bottom, top, end, chain_top, chain_end, height = box
            assert bottom <= 900 and 0 <= top and end <= height and 0 <= chain_top and chain_end <= height, box
            browser.js(f"{inside}.getElementById('next').click()")
            browser.send("Runtime.evaluate", awaitPromise=True, expression=(
                f"new Promise(done => (function wait() {{ const d = {inside}; "
                "d.querySelector('.step.current .pane svg') ? setTimeout(done, 100) : setTimeout(wait, 20); })())"))
        assert browser.problems() == []
