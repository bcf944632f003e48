"""The loss plot `--out DIR` writes (NAME-loss.svg): drawn by lessons.loss_plot, no matplotlib."""
import math
import random
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from chainrule.lessons.files import plot_losses
from chainrule.lessons.loss_plot import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, loss_svg
from chainrule.lessons.steps import Step

SVG = "{http://www.w3.org/2000/svg}"


def parsed(svg):
    return ET.fromstring(svg.split("\n", 1)[1])  # after the XML declaration


def lines_of(root):
    """{curve name: [[(x, y) px, ...] per run]} from the polylines."""
    found = {}
    for line in root.iter(f"{SVG}polyline"):
        points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        found.setdefault(line.find(f"{SVG}title").text, []).append(points)
    return found


def texts(root):
    return [t.text for t in root.iter(f"{SVG}text")]


def test_each_history_is_one_line_named_in_a_legend_under_the_title():
    root = parsed(loss_svg([("lr 0.3", [4.0, 2.0, 1.0]), ("lr 0.01", [4.0, 3.9, 3.8])], title="Descent"))
    assert root.tag == f"{SVG}svg" and (root.get("width"), root.get("height")) == (str(WIDTH), str(HEIGHT))
    lines = lines_of(root)
    assert list(lines) == ["lr 0.3", "lr 0.01"] and all(len(runs) == 1 for runs in lines.values())
    assert len({line.get("stroke") for line in root.iter(f"{SVG}polyline")}) == 2  # a colour each
    words = texts(root)
    assert words[0] == "Descent" and "lr 0.3" in words and "lr 0.01" in words
    assert "recorded step" in words and "loss" in words
    one = parsed(loss_svg([("only", [1.0, 0.5])]))
    assert "only" not in texts(one)  # one line needs no legend


def test_a_higher_loss_is_drawn_higher_and_a_later_step_further_right():
    root = parsed(loss_svg([("run", [0.0, 0.25, 1.0, 0.5])]))
    ((points,),) = lines_of(root).values()
    xs, ys = zip(*points)
    assert xs[0] == LEFT and xs[-1] == WIDTH - RIGHT and list(xs) == sorted(xs)
    assert ys[0] == HEIGHT - BOTTOM and ys[2] == TOP  # 0 at the bottom of the axis (0 to 1), 1 at its top
    assert ys[2] < ys[3] < ys[1] < ys[0]
    assert (ys[0] - ys[1]) == pytest.approx((HEIGHT - BOTTOM - TOP) / 4, abs=0.06)  # linear: a quarter up


def test_losses_spanning_more_than_a_thousandfold_get_a_log_axis_with_a_tick_per_decade():
    root = parsed(loss_svg([("diverges", [1.0, 10.0, 1e4]), ("settles", [1.0, 0.5, 0.1])]))
    words = texts(root)
    assert "loss (log scale)" in words
    assert {"0.1", "1", "10", "100", "1000", "10000"} <= set(words)
    lines = lines_of(root)
    (up,) = lines["diverges"]
    decade = up[0][1] - up[1][1]  # 1 to 10
    assert decade > 0 and up[1][1] - up[2][1] == pytest.approx(3 * decade, abs=0.2)  # 10 to 10^4: three times as far
    zero = parsed(loss_svg([("hits zero", [1e4, 1.0, 0.0])]))
    assert "loss" in texts(zero) and "loss (log scale)" not in texts(zero)  # 0 has no logarithm: linear


def test_a_value_that_is_not_finite_is_a_gap_in_its_line():
    root = parsed(loss_svg([("breaks", [3.0, 2.0, math.inf, 1.5, 1.0, math.nan, 0.5])]))
    runs = lines_of(root)["breaks"]
    assert [len(run) for run in runs] == [2, 2]
    (dot,) = root.iter(f"{SVG}circle")  # the lone 0.5 between the nan and the end: a dot
    assert float(dot.get("cy")) == HEIGHT - BOTTOM  # at the bottom of the axis, which runs from 0.5 to 3
    empty = parsed(loss_svg([("never finite", [math.nan, math.inf])], title="nothing"))
    assert not list(empty.iter(f"{SVG}polyline")) and texts(empty)[0] == "nothing"


def test_a_long_history_is_thinned_to_a_few_points_a_column_and_keeps_its_extremes():
    rng = random.Random(0)
    history = [1.0 + rng.random() for _ in range(200_000)]
    history[123_457], history[7] = 5.0, 0.25
    svg = loss_svg([("long", history)])
    ((points,),) = lines_of(parsed(svg)).values()
    assert len(points) <= 4 * (WIDTH - LEFT - RIGHT + 1) and len(svg) < 100_000
    ys = [y for _, y in points]
    height = HEIGHT - BOTTOM - TOP
    assert min(ys) == TOP  # 5 is the top of the axis (0 to 5)
    assert max(ys) == pytest.approx(HEIGHT - BOTTOM - height * 0.25 / 5, abs=0.06)  # and 0.25 is kept


def test_names_and_titles_with_markup_are_text():
    svg = loss_svg([("<b>&\"x\"", [1.0, 0.0]), ("plain", [0.0, 1.0])], title="a < b & c")
    root = parsed(svg)
    assert texts(root)[0] == "a < b & c" and "<b>&\"x\"" in texts(root) and "<b>" not in svg


def test_plot_losses_writes_each_distinct_history_once_and_nothing_without_one(tmp_path):
    steps = [Step("Training", "", history=(0.9, 0.5)), Step("Again", "", history=(0.9, 0.5)),
             Step("Faster", "", history=(0.9, 0.1))]
    assert plot_losses(steps, tmp_path / "d-loss.svg", title="d") is None
    root = ET.parse(tmp_path / "d-loss.svg").getroot()
    assert list(lines_of(root)) == ["Training", "Faster"]
    assert plot_losses([Step("No history", "")], tmp_path / "none.svg") is None
    assert not (tmp_path / "none.svg").exists()


def test_the_svg_plot_imports_no_matplotlib(tmp_path):
    code = ("import sys\n"
            "from chainrule.lessons.files import plot_losses\n"
            "from chainrule.lessons.steps import Step\n"
            f"plot_losses([Step('t', '', history=(1.0, 0.5))], {str(tmp_path / 'p.svg')!r})\n"
            "print(any(m.startswith('matplotlib') for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
    assert (tmp_path / "p.svg").read_text().startswith("<?xml")


def test_a_png_is_still_there_for_a_path_that_asks_for_one(tmp_path, monkeypatch):
    steps = [Step("Training", "", history=(0.9, 0.5, 0.2))]
    pytest.importorskip("matplotlib", reason="the PNG goes through matplotlib, the optional 'plot' extra")
    assert plot_losses(steps, tmp_path / "d-loss.png", title="d") is None
    assert (tmp_path / "d-loss.png").read_bytes().startswith(b"\x89PNG")
    for name in ["matplotlib", *(m for m in sys.modules if m.startswith("matplotlib."))]:
        monkeypatch.setitem(sys.modules, name, None)  # importing any of it raises ImportError
    note = plot_losses(steps, tmp_path / "e-loss.png")
    assert note == "e-loss.png skipped: matplotlib is not installed (pip install 'chainrule[plot]')"
    assert not (tmp_path / "e-loss.png").exists()
