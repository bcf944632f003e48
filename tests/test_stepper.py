"""The terminal stepper: what a screen shows, the sparkline, and single keys driven through a pseudo-terminal."""
import fcntl
import io
import math
import os
import select
import signal
import subprocess
import sys
import termios
import textwrap
import time
from pathlib import Path

import pytest

from chainrule.lessons.text import sparkline
from chainrule.lessons.steps import Demo, Number, Step, Tutorial
from chainrule.lessons.terminal import Style, screen, step_through, wrap_text

ROOT = Path(__file__).resolve().parent.parent

STEPS = [
    Step("Forward pass", "A long explanation " * 12,
         numbers=(Number("h1", 0.0474259, "0.0474"), Number("delta", 0.0961, "0.24", note="No error factor."),
                  Number("free", 1.23456789))),
    Step("Training", "SGD.", history=(0.5, 0.4, 0.2, 0.1)),
]
DEMO = Demo("gender", "Gender, Alice only", "summary", lambda: STEPS,
            Tutorial("Machine Learning for Beginners: An Introduction to Neural Networks", "Victor Zhou"))


def plain(encoding="utf-8"):
    return Style(io.TextIOWrapper(io.BytesIO(), encoding=encoding))


def test_a_screen_has_header_text_and_the_numbers_table():
    text = screen(DEMO, STEPS, 0, width=60, style=plain())
    lines = text.splitlines()
    assert lines[0].startswith("Gender, Alice only ") and lines[0].endswith("step 1/2")
    assert lines[1] == "follows “Machine Learning for Beginners: An…” by Victor Zhou"  # the title cut
    assert len(lines[1]) == 60 and len(lines[0]) == 60 and lines[3] == "Forward pass"  # at 60, never "by…"
    assert all(len(line) <= 60 for line in lines)
    row = next(line for line in lines if line.split()[:1] == ["h1"])
    assert row.split() == ["h1", "0.0474", "0.0474", "✓"]
    row = next(line for line in lines if line.split()[:1] == ["delta"])
    assert row.split() == ["delta", "0.24", "0.10", "note"]  # the difference is explained just below
    assert lines[lines.index(row) + 1].strip() == "No error factor."
    assert next(line for line in lines if "free" in line).split() == ["free", "—", "1.23457"]  # no tutorial value


def test_a_training_screen_has_the_sparkline_and_the_graph_file():
    text = screen(DEMO, STEPS, 1, width=60, style=plain(), svg_path="out/02-training.svg")
    assert "  loss  █▆▃▁  0.5 → 0.1 (4 values)" in text
    assert "graph → out/02-training.svg" in text


def test_without_unicode_the_marks_are_ascii():
    text = screen(DEMO, STEPS, 0, width=60, style=plain("ascii"))
    text += screen(DEMO, STEPS, 1, width=60, style=plain("ascii"))
    text.encode("ascii")
    assert " ok" in text and " note" in text


def test_sparkline():
    assert sparkline([3, 2, 1, 0]) == "█▆▃▁"
    assert sparkline([1, 1, 1]) == "▁▁▁"
    assert sparkline([1, math.nan, math.inf, 0]) == "█ █▁"
    long = sparkline(range(1000), width=40)
    assert len(long) == 40 and long[0] == "▁" and long[-1] == "█"


def test_wrap_keeps_hand_laid_lines():
    text = "word " * 30 + "\n\n  L = (y - o1)^2\n  dL/do1 = -2 (y - o1)"
    lines = wrap_text(text, 30)
    assert all(len(line) <= 30 for line in lines)
    assert lines[-2:] == ["  L = (y - o1)^2", "  dL/do1 = -2 (y - o1)"]


def test_not_interactive_prints_every_step_once():
    out = io.StringIO()
    step_through(DEMO, STEPS, interactive=False, out=out)
    assert out.getvalue().count("step 1/2") == 1 and out.getvalue().count("step 2/2") == 1


def test_interactive_keys_with_a_fake_input():
    out = io.StringIO()
    shown = []

    def keys():
        for action in ["next", "back", "back", "dance", "next", "quit"]:
            shown.append(out.getvalue().rsplit("\033[H\033[2J", 1)[-1])
            yield action

    step_through(DEMO, STEPS, interactive=True, out=out, keys=keys())
    where = [("step 1/2" in s, "step 2/2" in s) for s in shown]
    assert where == [(True, False), (False, True), (True, False), (True, False), (True, False), (False, True)]
    assert "This is the first step" in shown[3] and "Keys: Enter, Space or Right: next" in shown[4]


def test_a_long_step_is_paged_under_its_title_and_counter(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    long = [Step("A long step", "\n\n".join(f"Paragraph {i}: " + "words " * 20 for i in range(16))), STEPS[1]]
    out = io.StringIO()
    screens = []

    def keys():
        for action in ["next", "next", "next", "back", "quit"]:
            screens.append(out.getvalue().rsplit("\033[H\033[2J", 1)[-1])
            yield action

    step_through(DEMO, long, interactive=True, out=out, keys=keys())
    for shown in screens:
        lines = shown.rstrip("\n ").splitlines()
        assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
    assert ["step 1/2" in s and "A long step" in s for s in screens] == [True, True, True, False, True]
    assert "page 1/3, more below" in screens[0] and "Paragraph 0" in screens[0]
    assert "Paragraph 15" in screens[2] and "Paragraph 0" not in screens[2]
    assert "That was the last step." in screens[3]


def test_tables_fit_60_columns_and_the_chain_rule_is_written_out():
    from chainrule.engine import Value, draw

    w, x = Value(0.5, "w", param=True), Value(2.0, "x")
    y = (w * x).tanh().named("y")
    y.backward()
    numbers = (Number("dL/dy_pred at the tutorial's rounded y_pred = 0.524 (its own hand arithmetic)", -0.952, "-0.952"),
               Number("dy/dw", w.grad, "0.85", note="the tutorial rounds as it goes, so its last digit differs"))
    steps = [Step("The chain rule for w", "The path from y back to w.", numbers=numbers, graph=draw(y, highlight=w))]
    text = screen(DEMO, steps, 0, width=60, style=plain())
    lines = text.splitlines()
    assert all(len(line) <= 60 for line in lines), [line for line in lines if len(line) > 60]
    row = next(line for line in lines if "-0.952" in line)
    assert row.split()[-3:] == ["-0.952", "-0.952", "✓"] and row.startswith("  dL/dy_pred at")
    assert "  The chain rule along y → w*x → w:" in lines  # the lit path itself: a terminal shows no graph
    assert "highlighted" not in text
    assert "    dy/dw = 0.42 × 2 = 0.8399" in lines  # the path and its product: tanh'(1) × d(w*x)/dw
    assert "That was the last step." in text and "1/2 tutorial numbers match, 1 differs on purpose" in text


# Through a real pseudo-terminal: the command as a learner runs it.
PROGRAM = textwrap.dedent("""
    from chainrule import cli
    from chainrule.lessons.steps import Demo, Number, Step
    steps = [Step(f"Title {k}", f"Text of step {k}.", numbers=(Number("h1", 0.0474, "0.0474"),)) for k in (1, 2, 3)]
    cli.catalog = lambda: {"tiny": Demo("tiny", "Tiny demo", "three steps", lambda: steps)}
    raise SystemExit(cli.main(["demo", "tiny", *__import__("sys").argv[1:]]))
""")


class Terminal:
    """The program on a pseudo-terminal: type keys, read what the screen shows since it was last cleared."""

    def __init__(self, *argv, program=PROGRAM):
        self.master, slave = os.openpty()
        env = {**os.environ, "COLUMNS": "80", "LINES": "24", "TERM": "xterm"}
        env.pop("NO_COLOR", None)
        self.process = subprocess.Popen([sys.executable, "-c", program, *argv], cwd=ROOT, env=env,
                                        stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                                        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))  # so Ctrl-C signals
        self.modes = termios.tcgetattr(slave)  # as the program finds the terminal
        self.slave = slave
        self.output = ""

    def read_until(self, text, timeout=20):
        deadline = time.monotonic() + timeout
        while text not in self.screen():
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.master], [], [], left)[0]:
                raise AssertionError(f"{text!r} did not appear; the screen shows:\n{self.screen()}")
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the program ended and the terminal closed
                chunk = b""
            if not chunk:
                raise AssertionError(f"the program ended before {text!r}; it printed:\n{self.output}")
            self.output += chunk.decode("utf-8", "replace")
        return self.screen()

    def screen(self):
        return self.output.rsplit("\033[H\033[2J", 1)[-1]

    def type(self, keys):
        os.write(self.master, keys.encode())

    def exit_code(self):
        return self.process.wait(20)

    def restored(self):
        """True when the terminal's modes are back to what the program found."""
        return termios.tcgetattr(self.slave) == self.modes

    def close(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def terminal():
    terminals = []

    def start(*argv, **options):
        terminals.append(Terminal(*argv, **options))
        return terminals[-1]

    yield start
    for term in terminals:
        if term.process.poll() is None:
            term.close()


def test_single_keys_through_a_pseudo_terminal(terminal):
    term = terminal()
    shown = term.read_until("[q] quit")
    assert "step 1/3" in shown and "Title 1" in shown and "Text of step 1." in shown and "✓" in shown
    assert not term.restored()  # single keys: no line buffering, no echo
    for key, where in ((" ", 2), ("b", 1), ("\033[C", 2), ("\033[D", 1), ("\r", 2), ("x", 2)):
        term.type(key)  # no Enter after it
        shown = term.read_until(f"step {where}/3")
        assert f"Title {where}" in shown
        term.read_until("[q] quit" if key != "x" else "Keys: Enter")
    term.type("q")
    assert term.exit_code() == 0 and term.restored()


def test_enter_on_the_last_step_finishes_with_a_summary(terminal):
    term = terminal()
    for k in (2, 3):
        term.read_until("[q] quit")
        term.type("\n")
        term.read_until(f"step {k}/3")
    shown = term.read_until("[q] quit")
    assert "[Enter] finish" in shown and "That was the last step." in shown and "3/3 tutorial numbers match" in shown
    term.type("\n")
    assert term.exit_code() == 0 and term.restored()


@pytest.mark.parametrize("key, code", [("\x04", 0), ("\x03", 130)])
def test_ctrl_d_and_ctrl_c_leave_cleanly(terminal, key, code):
    term = terminal()
    term.read_until("[q] quit")
    term.type(key)
    assert term.exit_code() == code
    assert "Traceback" not in term.output and term.restored()


def test_auto_on_a_terminal_runs_straight_through(terminal):
    term = terminal("--auto")
    term.read_until("step 3/3")
    assert term.exit_code() == 0
    assert "[q] quit" not in term.output and "\033[H\033[2J" not in term.output


def test_a_numbers_verdict_is_decided_once_on_the_number():
    from chainrule.lessons.pages import MARKS
    from chainrule.lessons.terminal import mark_of

    style = Style(io.StringIO())
    cases = {"matches": Number("a", 0.5, "0.5"), "explained": Number("b", 0.61, "0.5", note="rounded as it goes"),
             "differs": Number("c", 0.61, "0.5"), "engine only": Number("d", 0.51)}
    for verdict, number in cases.items():
        assert number.verdict == verdict
        assert verdict in MARKS
    assert [mark_of(n, style) for n in cases.values()] == [style.ok, "note", style.off, ""]
    assert MARKS["explained"][1] == "note" and MARKS["differs"][1] == "✗"


def test_where_single_keys_cannot_be_read_lines_are_read_instead():
    from chainrule.lessons.terminal import SingleKeys

    lines = iter(["", "b", "q", "x"])

    def read(prompt):
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    with SingleKeys(io.StringIO(), read) as keys:  # no terminal to put in single-key mode
        assert list(keys) == ["next", "back", "quit", "unknown"]  # then the end of input ends them


def test_issue18_part4_the_terminal_writes_the_lit_path_and_says_where_graphs_are_once(monkeypatch, capsys):
    from chainrule import cli
    from chainrule.demos.catalog import DEMOS

    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback=None: os.terminal_size((80, 24)))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert cli.main(["demo", "gender"]) == 0
    out = capsys.readouterr().out
    assert "the graph's highlighted path" not in out
    assert "  The chain rule along L → y_pred → h1 → w1:" in out.splitlines()  # its labelled values, as the
    assert "  The chain rule along L → y_true - y_pred → y_pred:" in out.splitlines()  # caption groups them
    assert out.count("graph: add --out DIR") == 1  # on the first step with a graph, not on every step
    assert "follows “Machine Learning for Beginners: An Introduction to Neural Networks…” by Victor Zhou" in out \
        or "” by Victor Zhou" in out.splitlines()[1]
    assert "by…" not in out and "by..." not in out and DEMOS["gender"].tutorial.author == "Victor Zhou"
    assert all(len(line) <= 80 for line in out.splitlines())


def test_issue18_part4_after_out_and_html_the_closing_hint_opens_the_page(monkeypatch, capsys, tmp_path):
    from chainrule import cli

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert cli.main(["demo", "neuron", "--out", str(tmp_path), "--html"]) == 0
    out = capsys.readouterr().out
    assert "`chainrule demo neuron --out out --html`" not in " ".join(out.split())  # not what was just run
    assert f"Next: open {tmp_path / 'neuron.html'} in a browser" in " ".join(out.split())
