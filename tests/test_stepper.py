"""The terminal stepper: what a screen shows, the sparkline, and Enter/b/q driven through a pseudo-terminal."""
import io
import math
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from chainrule.demos.text import sparkline
from chainrule.demos.model import Demo, Number, Step
from chainrule.demos.terminal import Style, screen, step_through, wrap_text

ROOT = Path(__file__).resolve().parent.parent

STEPS = [
    Step("Forward pass", "A long explanation " * 12,
         numbers=(Number("h1", 0.0474259, "0.0474"), Number("delta", 0.0961, "0.24", note="No error factor."),
                  Number("free", 1.23456789))),
    Step("Training", "SGD.", history=(0.5, 0.4, 0.2, 0.1)),
]
DEMO = Demo("gender", "Gender, Alice only", "002", "summary", lambda: STEPS)


def plain(encoding="utf-8"):
    return Style(io.TextIOWrapper(io.BytesIO(), encoding=encoding))


def test_a_screen_has_header_text_and_the_numbers_table():
    text = screen(DEMO, STEPS, 0, width=60, style=plain())
    lines = text.splitlines()
    assert lines[0].startswith("Gender, Alice only  (seed 002)") and lines[0].endswith("step 1/2")
    assert len(lines[0]) == 60 and lines[2] == "Forward pass"
    assert all(len(line) <= 60 for line in lines)
    row = next(line for line in lines if line.split()[:1] == ["h1"])
    assert row.split() == ["h1", "0.0474", "0.0474", "✓"]
    row = next(line for line in lines if line.split()[:1] == ["delta"])
    assert row.split() == ["delta", "0.24", "0.10", "✗"]
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
    assert " ok" in text and " x" in text


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
    keys = iter(["", "b", "b", "x", "", "q"])
    shown = []
    out = io.StringIO()

    def read(prompt):
        shown.append(out.getvalue().rsplit("\033[H\033[2J", 1)[-1])
        return next(keys)

    step_through(DEMO, STEPS, interactive=True, out=out, read=read)
    where = [("step 1/2" in s, "step 2/2" in s) for s in shown]
    assert where == [(True, False), (False, True), (True, False), (True, False), (True, False), (False, True)]
    assert "This is the first step." in shown[3] and "Unknown key 'x'" in shown[4]


# Through a real pseudo-terminal: the command as a learner runs it.
PROGRAM = textwrap.dedent("""
    from chainrule.demos import cli
    from chainrule.demos.model import Demo, Number, Step
    steps = [Step(f"Title {k}", f"Text of step {k}.", numbers=(Number("h1", 0.0474, "0.0474"),)) for k in (1, 2, 3)]
    cli.catalog = lambda: {"tiny": Demo("tiny", "Tiny demo", "002", "three steps", lambda: steps)}
    raise SystemExit(cli.main(["demo", "tiny", *__import__("sys").argv[1:]]))
""")


class Terminal:
    """The program on a pseudo-terminal: type keys, read what the screen shows since it was last cleared."""

    def __init__(self, *argv):
        self.master, slave = os.openpty()
        env = {**os.environ, "COLUMNS": "80", "LINES": "24", "TERM": "xterm"}
        env.pop("NO_COLOR", None)
        self.process = subprocess.Popen([sys.executable, "-c", PROGRAM, *argv], cwd=ROOT, env=env,
                                        stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
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
        try:
            return self.process.wait(20)
        finally:
            self.close()

    def close(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        os.close(self.master)


@pytest.fixture
def terminal():
    terminals = []

    def start(*argv):
        terminals.append(Terminal(*argv))
        return terminals[-1]

    yield start
    for term in terminals:
        if term.process.poll() is None:
            term.close()


def test_enter_back_and_quit_through_a_pseudo_terminal(terminal):
    term = terminal()
    shown = term.read_until("[q] quit")
    assert "step 1/3" in shown and "Title 1" in shown and "Text of step 1." in shown and "✓" in shown
    term.type("\n")
    shown = term.read_until("step 2/3")
    assert "Title 2" in shown and "Title 1" not in shown
    term.read_until("[q] quit")
    term.type("b\n")
    shown = term.read_until("step 1/3")
    assert "Title 1" in shown and "Title 2" not in shown
    term.read_until("[q] quit")
    term.type("q\n")
    assert term.exit_code() == 0


def test_enter_on_the_last_step_finishes(terminal):
    term = terminal()
    for k in (2, 3):
        term.read_until("[q] quit")
        term.type("\n")
        term.read_until(f"step {k}/3")
    assert "[Enter] finish" in term.read_until("[q] quit")
    term.type("\n")
    assert term.exit_code() == 0


def test_ctrl_d_quits_quietly(terminal):
    term = terminal()
    term.read_until("[q] quit")
    term.type("\x04")
    assert term.exit_code() == 0
    assert "Traceback" not in term.output


def test_auto_on_a_terminal_runs_straight_through(terminal):
    term = terminal("--auto")
    term.read_until("step 3/3")
    assert term.exit_code() == 0
    assert "[q] quit" not in term.output and "\033[H\033[2J" not in term.output


def test_a_numbers_verdict_is_decided_once_on_the_number():
    from chainrule.demos.html import MARKS
    from chainrule.demos.terminal import mark_of

    style = Style(io.StringIO())
    cases = {"matches": Number("a", 0.5, "0.5"), "explained": Number("b", 0.61, "0.5", note="rounded as it goes"),
             "differs": Number("c", 0.61, "0.5"), "engine only": Number("d", 0.51)}
    for verdict, number in cases.items():
        assert number.verdict == verdict
        assert verdict in MARKS
    assert [mark_of(n, style) for n in cases.values()] == [style.ok, style.off, style.off, ""]
