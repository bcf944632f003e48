"""The terminal stepper: one screen per step. Enter = next, b = back, q = quit.

A screen is the demo's title and where we are (step k of n), the step's title and text wrapped
to the terminal, its numbers as a table (name | tutorial | engine | ✓ or ✗), the loss curve as a
sparkline, and where the step's graph was written (a terminal cannot show the drawing itself).
"""
import os
import shutil
import sys
import textwrap

from .text import BARS, paragraphs, sparkline

CLEAR = "\033[H\033[2J"  # cursor home, clear the screen


class Style:
    """The marks and colours of one output stream: Unicode and ANSI colour only where they work."""

    def __init__(self, stream):
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "✓✗━→—·›".encode(encoding)
            unicode = True
        except (UnicodeEncodeError, LookupError):
            unicode = False
        self.ok, self.off, self.rule, self.arrow, self.none, self.sep, self.caret = (
            ("✓", "✗", "━", "→", "—", "·", "›") if unicode else ("ok", "x", "=", "->", "-", "/", ">"))
        self.bars = BARS if unicode else "_.-:=+*#"
        self.colour = stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"

    def paint(self, text, code):
        return f"\033[{code}m{text}\033[0m" if self.colour and text else text

    def bold(self, text):
        return self.paint(text, "1")

    def dim(self, text):
        return self.paint(text, "2")

    def green(self, text):
        return self.paint(text, "32")

    def red(self, text):
        return self.paint(text, "31")

    def yellow(self, text):
        return self.paint(text, "33")


def terminal_width():
    """The terminal's width, kept between 40 and 100 columns so lines stay readable."""
    return max(40, min(100, shutil.get_terminal_size((80, 24)).columns))


def wrap_text(text, width):
    """The text's paragraphs wrapped to `width`, with a blank line between them."""
    lines = []
    for runs in paragraphs(text):
        for laid_out, rows in runs:
            lines += rows if laid_out else textwrap.wrap(" ".join(rows), width)
        lines.append("")
    return lines[:-1]


def numbers_table(numbers, width, style):
    """The numbers as rows: name | tutorial | engine | mark, and the note under a row that has one."""
    if not numbers:
        return []
    rows = [(n.name, n.tutorial or style.none, n.shown, n) for n in numbers]
    name_w = max(len("number"), *(len(r[0]) for r in rows))
    tutorial_w = max(len("tutorial"), *(len(r[1]) for r in rows))
    engine_w = max(len("engine"), *(len(r[2]) for r in rows))
    lines = [style.dim(f"  {'number':<{name_w}}  {'tutorial':>{tutorial_w}}  {'engine':>{engine_w}}")]
    for name, tutorial, engine, number in rows:
        mark = mark_of(number, style)
        lines.append(f"  {name:<{name_w}}  {tutorial:>{tutorial_w}}  {engine:>{engine_w}}  {mark}".rstrip())
        if number.note:
            indent = " " * min(4 + name_w, 24)
            for row in textwrap.wrap(number.note, width - len(indent)):
                lines.append(indent + style.dim(row))
    return lines


def mark_of(number, style):
    """✓ when the engine gives the tutorial's number; a yellow ✗ when the note explains why not, a red one when not."""
    verdict = number.verdict
    if verdict == "matches":
        return style.green(style.ok)
    if verdict == "explained":
        return style.yellow(style.off)
    return style.red(style.off) if verdict == "differs" else ""


def history_line(history, style):
    """'  loss  ▇▅▃▂▁▁  0.25 → 0.0021 (1000 values)' for a training step."""
    bars = sparkline(history, width=40, bars=style.bars)
    first, last = history[0], history[-1]
    return f"  loss  {bars}  {first:.4g} {style.arrow} {last:.4g} ({len(history)} values)"


def screen(demo, steps, k, *, width, style, svg_path=None):
    """The text of step k (0-based) of the demo, wrapped to `width` columns."""
    step = steps[k]
    where = f"step {k + 1}/{len(steps)}"
    head = f"{demo.title}  (seed {demo.seed})"
    gap = max(2, width - len(head) - len(where))
    lines = [style.bold(head) + " " * gap + where, style.dim(style.rule * width), style.bold(step.title), ""]
    lines += wrap_text(step.text, width)
    table = numbers_table(step.numbers, width, style)
    if table:
        lines += [""] + table
    if step.history:
        lines += ["", history_line(step.history, style)]
    if svg_path is not None:
        lines += ["", f"  graph {style.arrow} {svg_path}"]
    elif step.graph is not None:
        lines += ["", style.dim("  graph: add --out DIR to write it as SVG, and --html for a page")]
    return "\n".join(lines)


def step_through(demo, steps, *, interactive, svg_paths=None, out=None, read=input):
    """Show the steps one screen at a time; interactive=False prints them all straight through."""
    out = out or sys.stdout
    style = Style(out)
    svg_paths = svg_paths or [None] * len(steps)
    width = terminal_width()
    if not steps:
        out.write(f"{demo.title}: this demo has no steps yet.\n")
        return
    if not interactive:
        for k in range(len(steps)):
            out.write(screen(demo, steps, k, width=width, style=style, svg_path=svg_paths[k]) + "\n\n")
        out.flush()
        return
    k, message = 0, ""
    while True:
        out.write(CLEAR + screen(demo, steps, k, width=width, style=style, svg_path=svg_paths[k]) + "\n\n")
        if message:
            out.write(style.dim(message) + "\n")
        last = k == len(steps) - 1
        action = "finish" if last else "next"
        prompt = style.dim(f"[Enter] {action} {style.sep} [b] back {style.sep} [q] quit ") + f"{style.caret} "
        out.flush()
        try:
            key = read(prompt).strip().lower()
        except EOFError:  # Ctrl-D or the input closed: stop here
            out.write("\n")
            return
        message = ""
        if key in ("", "n", "next"):
            if last:
                return
            k += 1
        elif key in ("b", "back", "p"):
            if k == 0:
                message = "This is the first step."
            k = max(0, k - 1)
        elif key in ("q", "quit", "exit"):
            return
        else:
            message = f"Unknown key {key!r}: Enter = next step, b = back, q = quit."
