"""The `chainrule` command: list, demo (straight through, --out, --html, --all), and its errors."""
import io
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path

import pytest

import chainrule
from chainrule import cli
from chainrule.lessons import command_line, graph_command
from chainrule.lessons.steps import Demo, Number, Step, Tutorial

ROOT = Path(__file__).resolve().parent.parent


class FakeGraph:
    """Stands in for engine.draw(...): DOT text and an SVG, counting how often it is rendered."""

    renders = 0
    caption, note, omitted = (), "", ""

    def __init__(self, label):
        self.label = label
        self.source = f'digraph {{ a [label="{label}"]; a -> b }}'

    def pipe(self, format="svg"):
        FakeGraph.renders += 1
        return ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
                '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
                '<svg width="200pt" height="80pt" viewBox="0 0 200 80" xmlns="http://www.w3.org/2000/svg">'
                f'<g id="graph0"><title>g</title><text x="10" y="40">{escape(self.label)}</text></g></svg>').encode()

    def svg(self):
        return self.pipe().decode()

    def fit(self, width, height=None):
        return self  # it reads as it is


def gender_steps():
    same = FakeGraph("o1 = 0.524")
    return [
        Step("Forward pass", "h1 = sigmoid(w1*x1 + w2*x2 + b1) and the same for h2; then o1.\n\n  L = (1 - o1)^2",
             numbers=(Number("h1", 0.0474259, "0.0474"), Number("o1", 0.524, "0.524")), graph=same),
        Step("Backward: dL/dw1 <the path> & co", "The grad flows back along w1 -> h1 -> o1 -> L.",
             numbers=(Number("dL/dw1", 0.021399, "0.0214"),
                      Number("delta", 0.0961, "0.24", note="The tutorial leaves out the error factor.")),
             graph=same),
        Step("Training", "1000 epochs of SGD.", numbers=(Number("final loss", 0.00213),),
             history=tuple(0.3 / (1 + i / 50) for i in range(1000))),
    ]


GENDER = Demo("gender", "Gender, Alice only", "Backprop by hand through a 2-2-1 network", gender_steps)
NEURON = Demo("neuron", "One neuron", "w = [0, 1], b = 4, x = [2, 3] gives 0.999",
              lambda: [Step("Forward", "y = sigmoid(7)", numbers=(Number("y", 0.9990889488055994, "0.999"),),
                            graph=FakeGraph("y"))])


@pytest.fixture
def fake_catalog(monkeypatch):
    monkeypatch.setattr(cli, "catalog", lambda: {"gender": GENDER, "neuron": NEURON})
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: the stepper runs straight through


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_one_line_per_demo_with_the_tutorial_it_follows(monkeypatch, capsys):
    zhou = Tutorial("Machine Learning for Beginners", "Victor Zhou")
    untitled = Tutorial("How to program neural networks")
    monkeypatch.setattr(cli, "catalog", lambda: {"gender": GENDER._replace(tutorial=zhou),
                                                 "neuron": NEURON._replace(tutorial=untitled), "bare": NEURON})
    code, out, err = run(capsys, "list")
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "gender  Backprop by hand through a 2-2-1 network (follows Victor Zhou)",
        "neuron  w = [0, 1], b = 4, x = [2, 3] gives 0.999 (follows “How to program neural networks”)",
        "bare    w = [0, 1], b = 4, x = [2, 3] gives 0.999",
    ]


def test_no_command_prints_help(capsys):
    code, out, _ = run(capsys)
    assert code == 0 and "demo" in out and "list" in out


def test_demo_runs_straight_through_when_stdin_is_not_a_terminal(fake_catalog, capsys):
    code, out, err = run(capsys, "demo", "gender")
    assert code == 0 and err == ""
    for k, title in enumerate(["Forward pass", "Backward: dL/dw1 <the path> & co", "Training"], 1):
        assert f"step {k}/3" in out and title in out
    assert "0.0214" in out and "✓" in out and "note" in out
    assert "The tutorial leaves out the error factor." in out
    assert "▁" in out and "0.3 → 0.0143" in out  # the loss sparkline with first and last values
    assert "\033[" not in out  # no screen clearing or colour when not on a terminal


@pytest.mark.parametrize("argv, message, hint", [
    (["demo", "gendr"], "no demo named 'gendr'; did you mean 'gender'?", "'chainrule list' shows every demo"),
    (["demo", "gender", "--bogus"], "unrecognized arguments: --bogus", "--help"),
    (["demmo"], "invalid choice: 'demmo'", "--help"),
    (["demo"], "which demo?", "chainrule list"),
    (["demo", "gender", "--all"], "not both", "--all"),
    (["demo", "gender", "--html"], "--html writes a page into the --out folder", "--out out --html"),
])
def test_mistakes_get_one_line_and_exit_code_2(fake_catalog, capsys, argv, message, hint):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    first, second = err.splitlines()
    assert first.startswith("chainrule: error: ") and message in first
    assert second.strip().startswith("hint:") and hint in second


def test_unwritable_out_is_a_mistake_not_a_crash(fake_catalog, capsys, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    for out, reason in [(blocker, "it is a file, not a folder"),
                        (blocker / "sub", "part of that path is a file"),
                        (Path("/proc/chainrule-out"), "cannot write to --out /proc/chainrule-out")]:
        code, _, err = run(capsys, "demo", "gender", "--out", str(out))
        assert code == 2 and len(err.splitlines()) == 2 and reason in err, err


def test_the_write_check_never_follows_a_link(fake_catalog, capsys, tmp_path):
    """The old probe opened .chainrule-write-check for writing: a link of that name truncated its target."""
    precious = tmp_path / "precious.txt"
    precious.write_text("a year of notes")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".chainrule-write-check").symlink_to(precious)
    code, _, err = run(capsys, "demo", "gender", "--auto", "--out", str(out))
    assert code == 0, err
    assert precious.read_text() == "a year of notes"
    hidden = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert hidden == [".chainrule-write-check"] and (out / hidden[0]).is_symlink()  # no probe left behind


def test_out_writes_one_valid_svg_per_step_with_a_graph(fake_catalog, capsys, tmp_path):
    FakeGraph.renders = 0
    code, out, _ = run(capsys, "demo", "gender", "--auto", "--out", str(tmp_path))
    assert code == 0
    svgs = sorted(p.name for p in tmp_path.glob("[0-9]*.svg"))
    assert svgs == ["01-forward-pass.svg", "02-backward-dl-dw1-the-path-co.svg"]  # step 3 has no graph
    for name in svgs:
        assert ET.parse(tmp_path / name).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    assert FakeGraph.renders == 1  # both steps show the same graph: rendered once
    assert f"graph → {tmp_path / svgs[0]}" in out  # the stepper points at each step's file
    assert "Wrote 2 SVGs" in out.splitlines()[-1] and str(tmp_path) in out.splitlines()[-1]
    assert not (tmp_path / "gender.html").exists()


def test_the_loss_plot_is_an_svg_written_without_matplotlib(fake_catalog, capsys, tmp_path, monkeypatch):
    for name in ["matplotlib", *(m for m in sys.modules if m.startswith("matplotlib."))]:
        monkeypatch.setitem(sys.modules, name, None)  # importing any of it raises ImportError
    code, out, _ = run(capsys, "demo", "gender", "--auto", "--out", str(tmp_path))
    plot = tmp_path / "gender-loss.svg"
    assert code == 0 and ET.parse(plot).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    assert "skipped" not in out and "gender-loss.svg" in out.splitlines()[-1]
    assert not list(tmp_path.glob("*.png"))


def test_html_writes_the_page_and_says_where(fake_catalog, capsys, tmp_path):
    code, out, _ = run(capsys, "demo", "gender", "--auto", "--out", str(tmp_path), "--html")
    page = tmp_path / "gender.html"
    assert code == 0 and page.exists()
    assert out.splitlines()[-1].endswith(f"open {page}")


def test_all_with_out_writes_every_demo_its_page_and_an_index(fake_catalog, capsys, tmp_path):
    code, out, err = run(capsys, "demo", "--all", "--out", str(tmp_path))
    assert code == 0 and err == ""
    assert (tmp_path / "gender" / "gender.html").exists() and (tmp_path / "neuron" / "neuron.html").exists()
    assert (tmp_path / "gender" / "01-forward-pass.svg").exists()
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="gender/gender.html"' in index and 'href="neuron/neuron.html"' in index
    lines = out.splitlines()
    assert lines[0].startswith("gender") and "3/4 tutorial numbers match, 1 differs on purpose" in lines[0]
    assert lines[-1] == f"Wrote 2 demos to {tmp_path}{os.sep}: open {tmp_path / 'index.html'} in a browser"


def test_all_without_out_runs_every_demo_in_the_terminal(fake_catalog, capsys):
    code, out, _ = run(capsys, "demo", "--all")
    assert code == 0 and "Gender, Alice only" in out and "One neuron" in out


def test_python_dash_m_chainrule_is_the_same_cli():
    def python_m(*argv):
        return subprocess.run([sys.executable, "-m", "chainrule", *argv], cwd=ROOT, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)

    listed = python_m("list")
    assert listed.returncode == 0
    assert len(listed.stdout.splitlines()) == len(cli.catalog())
    wrong = python_m("demo", "no-such-demo")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert wrong.stderr.startswith("chainrule: error: no demo named 'no-such-demo'")
    assert len(wrong.stderr.splitlines()) == 2
    helped = python_m("demo", "--help")
    assert helped.returncode == 0 and "--out DIR" in helped.stdout
    version = python_m("--version")
    assert version.returncode == 0 and version.stdout == f"chainrule {chainrule.__version__}\n"


def test_every_demo_in_the_catalog_runs_end_to_end(tmp_path, capsys):
    demos = cli.catalog()
    assert len(demos) == 12
    code, out, err = run(capsys, "demo", "--all", "--out", str(tmp_path))
    assert code == 0, err
    assert "without a note" not in out, out  # a number that differs from its tutorial says why
    assert (tmp_path / "index.html").exists()
    for name, demo in demos.items():
        folder = tmp_path / name
        assert (folder / f"{name}.html").exists(), name
        for svg in folder.glob("*.svg"):
            ET.parse(svg)


def test_graph_is_delegated_to_lessons_graph_command(monkeypatch, capsys):
    """`chainrule graph ...` parses its words and hands them to lessons/graph_command.py (a stand-in here)."""
    seen = []
    monkeypatch.setattr(graph_command, "run", lambda args: seen.append((args.expression, args.values)) or 0)
    assert cli.main(["graph", "sigmoid(w1*x1 + b)", "x1=2"]) == 0
    assert seen == [("sigmoid(w1*x1 + b)", ["x1=2"])]
    code, _, err = run(capsys, "graph")
    assert code == 2 and "the following arguments are required: EXPR" in err


def shell(command, **env):
    """`python -m chainrule` through sh, for redirections a test cannot make in-process (<&-, >/dev/full)."""
    return subprocess.run(["sh", "-c", f'exec "$0" -m chainrule {command}', sys.executable], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, **env})


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("command, message", [
    ("list >/dev/full", "chainrule: error: cannot write to standard output: No space left on device"),
    ("demo neuron --auto >/dev/full", "chainrule: error: cannot write to standard output: No space left on device"),
    ("graph x*2 x=1 >/dev/full", "chainrule: error: cannot write to standard output: No space left on device"),
    ("--version >/dev/full", "chainrule: error: cannot write to standard output: No space left on device"),
    ("list >&-", "chainrule: error: standard output is closed"),
], ids=["list-full", "demo-full", "graph-full", "version-full", "list-closed"])
def test_a_failing_stdout_is_one_line_and_exit_code_1(command, message):
    done = shell(command)
    assert (done.returncode, done.stderr) == (1, message + "\n")


def test_a_closed_stdin_runs_the_demo_straight_through():
    done = shell("demo neuron <&-")  # was AttributeError: 'NoneType' object has no attribute 'isatty'
    assert done.returncode == 0 and done.stderr == ""
    assert "step 1/" in done.stdout and "Traceback" not in done.stdout


def test_a_closed_or_full_stderr_loses_nothing_else():
    """print(file=None) writes to stdout: with stderr closed, a note would land in the DOT text."""
    done = shell("graph x*2 x=1 q=3 2>&-")
    assert done.returncode == 0 and done.stdout == "y = 2\ndy/dx = 2\n"  # no note in it
    if os.path.exists("/dev/full"):
        assert shell("demo no-such-demo 2>/dev/full").returncode == 2  # the mistake's code, not 1 or 120


def test_a_character_the_output_cannot_encode_is_escaped_not_a_crash(tmp_path):
    done = shell(f"graph 'é*2' é=1 -o {tmp_path / 'e.svg'}", PYTHONIOENCODING="ascii")
    assert done.returncode == 0 and done.stderr == ""
    assert "dy/d\\xe9 = 2" in done.stdout.splitlines()


def test_a_stdin_that_fails_is_one_line(monkeypatch, capsys):
    class Failing(io.StringIO):
        def readline(self, *args):
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(sys, "stdin", Failing())
    with pytest.raises(command_line.StreamError, match="cannot read standard input: Input/output error"):
        command_line.read_line("? ")
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(EOFError):
        command_line.read_line("? ")


@pytest.mark.parametrize("argv", [
    ["graph", "-x", "x=1", "--dot"],
    ["graph", "-x*w", "x=1", "w=2", "--digits", "3", "--dot"],
    ["graph", "--digits", "3", "-(x*w)", "x=1", "w=2", "--dot"],
    ["graph", "--dot", "--", "-x*w", "x=1", "w=2"],
])
def test_an_expression_may_start_with_a_minus(argv, capsys):
    """argparse took "-x" for an unknown option ('unrecognized arguments: -x')."""
    code, out, err = run(capsys, *argv)
    assert code == 0 and err == "" and out.startswith("digraph")
    assert 'label="{y|data\\ -' in out  # the output is the negative of a positive product


@pytest.mark.parametrize("argv, message", [
    (["graph", "x", "-o"], "argument -o/--output: expected one argument"),
    (["graph", "x*2", "x=1", "-q"], "unrecognized arguments: -q"),
    (["demo", "-x"], "unrecognized arguments: -x"),
])
def test_a_word_that_is_no_expression_is_still_refused_as_an_option(argv, message, capsys):
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err.splitlines()[0]
