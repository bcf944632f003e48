"""The terminal stepper: one screen per step, single keys to move.

Enter, Space or Right: next; b or Left: back; q: quit (Ctrl-C and Ctrl-D quit too). A key acts
at once, no Enter after it; the terminal is put back as it was however the stepper ends.

A screen is the demo's title and where we are (step k of n), the step's title, its text
wrapped to the terminal, its numbers as a table (name | tutorial | engine | ✓, note or ✗), the chain
rule of its graph written out (a terminal shows no drawing), the loss curve as a sparkline,
and where the step's graph was written. A step longer than the terminal is shown a page at a
time under the same title and counter. The last step ends with what matched and what to try next.
"""
import os
import select
import shutil
import sys
import textwrap
from dataclasses import dataclass

from .text import BARS, agreement, paragraphs, printable, sparkline

CLEAR = "\033[H\033[2J"  # cursor home, clear the screen
KEYS = {"\r": "next", "\n": "next", " ": "next", "\033[C": "next", "\033OC": "next", "n": "next",
        "b": "back", "\033[D": "back", "\033OD": "back", "p": "back",
        "q": "quit", "\x04": "quit"}  # Ctrl-D (Ctrl-C interrupts: see SingleKeys)


class Style:
    """The marks and colours of one output stream: Unicode and ANSI colour only where they work."""

    def __init__(self, stream):
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "✓✗━→—·×…".encode(encoding)
            self.unicode = True
        except (UnicodeEncodeError, LookupError):
            self.unicode = False
        self.ok, self.off, self.rule, self.arrow, self.none, self.sep = (
            ("✓", "✗", "━", "→", "—", "·") if self.unicode else ("ok", "x", "=", "->", "-", "/"))
        self.bars = BARS if self.unicode else "_.-:=+*#"
        self.colour = stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"

    def plain(self, text):
        """Text this stream can carry: control characters as escapes (text.printable); without Unicode,
        × as * and other characters it cannot encode as ?."""
        text = printable(text)
        if self.unicode:
            return text
        return text.replace("×", "*").replace("…", "...").encode("ascii", "replace").decode()

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
    """The numbers as rows: name | tutorial | engine | mark, and the note under a row that has one;
    name | value where no number has a tutorial's value beside it (a walk through any graph).

    A name too long for the columns left wraps onto lines of its own under the row's values.
    """
    if not numbers:
        return []
    printed = any(n.tutorial for n in numbers)
    heads = ("tutorial", "engine") if printed else ("value",)
    rows = [(n.name, (n.tutorial or style.none, n.shown) if printed else (n.shown,), n) for n in numbers]
    widths = [max(len(h), *(len(r[1][c]) for r in rows)) for c, h in enumerate(heads)]
    values_w = sum(2 + w for w in widths) + (2 + len("note") if printed else 0)  # the widest mark
    name_w = max(len("number"), min(max(len(r[0]) for r in rows), width - 2 - values_w))

    def row(name, values, mark=""):
        return f"  {name:<{name_w}}" + "".join(f"  {v:>{w}}" for v, w in zip(values, widths)) + f"  {mark}".rstrip()

    lines = [style.dim(row("number", heads))]
    for name, values, number in rows:
        names = textwrap.wrap(style.plain(name), name_w) or [""]
        lines.append(row(names[0], values, mark_of(number, style)).rstrip())
        lines += [f"    {more}" for more in names[1:]]
        if number.note:
            indent = " " * min(4 + name_w, 24, width // 3)
            lines += [indent + style.dim(part) for part in textwrap.wrap(style.plain(number.note), width - len(indent))]
    return lines


def mark_of(number, style):
    """✓ when the engine gives the tutorial's number; "note" when it differs and the note under it
    says why; a red ✗ when it differs unexplained (a bug)."""
    verdict = number.verdict
    if verdict == "matches":
        return style.green(style.ok)
    if verdict == "explained":
        return style.dim("note")
    return style.red(style.off) if verdict == "differs" else ""


def chain_rule_lines(graph, width, style):
    """The chain rule of the step's graph in words (a terminal shows no drawing): its path and product."""
    if graph is None or not graph.caption:
        return []
    lines = textwrap.wrap(style.plain(f"The chain rule along {lit_path(graph, style)}:"), width - 2,
                          initial_indent="  ", subsequent_indent="    ")
    for line in graph.caption:
        lines += textwrap.wrap(style.plain(line), width, initial_indent="    ", subsequent_indent="        ")
    return lines


def lit_path(graph, style):
    """The path a drawing lights, written out as a terminal cannot show it: 'y → w*x + b → w*x'; on a
    long path its labelled values only, as the chain rule groups them ('L → y_pred → h1 → w1'); 'the
    paths from y to w' where there are several."""
    g, target = graph.snapshot, graph.view.target
    if target is None or target == 0:
        return g.name(0)
    on, path = g.reaching(target), [0]
    while path[-1] != target:
        below = [x for x in g.inputs[path[-1]] if x in on]
        if len(below) != 1:
            return f"the paths from {g.name(0)} to {g.name(target)}"
        path.append(below[0])
    if len(path) > 4:
        path = [i for i in path if i in (0, target) or g.labels[i]]
    return f" {style.arrow} ".join(g.name(i) for i in path)


def history_line(history, style):
    """'  loss  ▇▅▃▂▁▁  0.25 → 0.0021 (1000 values)' for a training step."""
    bars = sparkline(history, width=40, bars=style.bars)
    first, last = history[0], history[-1]
    return f"  loss  {bars}  {first:.4g} {style.arrow} {last:.4g} ({len(history)} values)"


def head(demo, steps, k, width, style):
    """The lines that stay on every screen of step k: the demo, where we are, the tutorial it
    follows, the step's title."""
    where = f"step {k + 1}/{len(steps)}"
    title = _cut(style.plain(demo.title), width - len(where) - 2, style)
    lines = [style.bold(title) + " " * (width - len(title) - len(where)) + where]
    if demo.tutorial is not None:
        lines.append(style.dim(_follows(demo.tutorial, width, style)))
    return lines + [style.dim(style.rule * width), style.bold(style.plain(steps[k].title)), ""]


def _follows(tutorial, width, style):
    """'follows “Machine Learning for Beginners: An Intro…” by Victor Zhou': one line, and a title too
    long for it is cut inside its quotes, so that the author is never what is cut."""
    line = style.plain(f"follows {tutorial}")
    if len(line) <= width:
        return line
    tail = style.plain("”" + (f" by {tutorial.author}" if tutorial.author else ""))
    room = max(8, width - len(style.plain("follows “")) - len(tail))
    return style.plain("follows “") + _cut(style.plain(tutorial.title), room, style) + tail


def _cut(text, width, style):
    return text if len(text) <= width else text[: width - 1] + ("…" if style.unicode else ".")


@dataclass(frozen=True)
class Hints:
    """What the stepper says where it cannot show a graph, and after the last step (one paragraph each)."""

    graph: str
    closing: tuple


def demo_hints(demo, steps, page=None):
    """A demo's: how to draw its graphs, what matched its tutorial, what to try next (`page`: the page
    written already, which the learner is pointed to instead of the command that writes it)."""
    if page is not None:
        then = f"Next: open {page} in a browser to explore every step's graph; `chainrule list` shows the other demos."
    else:
        then = (f"Next: `chainrule demo {demo.name} --out out --html` draws every step's graph on a page you can "
                "explore; `chainrule list` shows the other demos.")
    return Hints("add --out DIR for its SVGs, --html for a page", (f"{agreement(steps)}.", then))


def body(demo, steps, k, width, style, svg_path=None, hints=None, graph_hint=None):
    """The lines of step k under its head: text, numbers, chain rule, loss, graph file, and after
    the last step what matched and what to try next (`hints`, the demo's by default)."""
    hints = hints or demo_hints(demo, steps)
    step = steps[k]
    lines = [style.plain(line) for line in wrap_text(step.text, width)]
    for block in (numbers_table(step.numbers, width, style), chain_rule_lines(step.graph, width, style)):
        if block:
            lines += [""] + block
    if step.history:
        lines += ["", history_line(step.history, style)]
    if svg_path is not None:
        lines += ["", f"  graph {style.arrow} {style.plain(str(svg_path))}"]
    elif step.graph is not None and (graph_hint if graph_hint is not None else
                                     k == next(j for j, s in enumerate(steps) if s.graph is not None)):
        lines += ["", style.dim(style.plain(f"  graph: {hints.graph}"))]  # once: by default the first graph's step
    if k == len(steps) - 1:
        lines += ["", style.bold("That was the last step.")]
        lines += [line for paragraph in hints.closing  # a path or a command is never broken at a hyphen
                  for line in textwrap.wrap(style.plain(paragraph), width, break_on_hyphens=False,
                                            break_long_words=False)]
    return lines


def screen(demo, steps, k, *, width, style, svg_path=None, hints=None):
    """The whole text of step k (0-based) of the demo, wrapped to `width` columns."""
    return "\n".join(head(demo, steps, k, width, style) + body(demo, steps, k, width, style, svg_path, hints))


def pages(lines, rows):
    """The lines cut into pages of `rows` lines (at least one page), none starting with a blank line."""
    found, page = [], []
    for line in lines:
        if len(page) == rows:
            found.append(page)
            page = []
        if page or line or not found:
            page.append(line)
    return found + [page] if page or not found else found


def step_through(demo, steps, *, interactive, svg_paths=None, out=None, keys=None, read=input, hints=None):
    """Show the steps one screen at a time; interactive=False prints them all straight through.

    keys: an iterator of actions ("next", "back", "quit") instead of the terminal's keys.
    read: reads a line (prompt) -> str, where single keys cannot be read (no termios).
    hints: what to say about the graphs and after the last step (Hints); a demo's by default.
    """
    hints = hints or demo_hints(demo, steps)
    out = out or sys.stdout
    style = Style(out)
    svg_paths = svg_paths or [None] * len(steps)
    width, rows = terminal_width(), max(10, shutil.get_terminal_size((80, 24)).lines)
    if not steps:
        out.write(f"{demo.title}: this demo has no steps yet.\n")
        return
    if not interactive:
        for k in range(len(steps)):
            out.write(screen(demo, steps, k, width=width, style=style, svg_path=svg_paths[k], hints=hints) + "\n\n")
        out.flush()
        return
    if keys is not None:
        _walk(demo, steps, svg_paths, out, style, width, rows, keys, hints)
        return
    with SingleKeys(sys.stdin, read) as typed:
        _walk(demo, steps, svg_paths, out, style, width, rows, typed, hints)


def _walk(demo, steps, svg_paths, out, style, width, rows, keys, hints):
    k, page, message = 0, 0, ""
    hinted = None  # the step that says where graphs go: the first with a graph where it adds no page
    while True:
        top = head(demo, steps, k, width, style)
        room = rows - len(top) - 2  # 2: the prompt
        screens = pages(body(demo, steps, k, width, style, svg_paths[k], hints, graph_hint=False), room)
        if hinted in (None, k) and steps[k].graph is not None and svg_paths[k] is None:
            hinted_screens = pages(body(demo, steps, k, width, style, svg_paths[k], hints, graph_hint=True), room)
            if len(hinted_screens) == len(screens) or k == len(steps) - 1:
                screens, hinted = hinted_screens, k
        page = min(page, len(screens) - 1)
        more = page < len(screens) - 1
        last = k == len(steps) - 1 and not more
        out.write(CLEAR + "\n".join(top + screens[page]) + "\n\n")
        where = f" (page {page + 1}/{len(screens)}, more below)" if more else ""
        action = "finish" if last else "more" if more else "next"
        out.write(style.dim(message or f"[Enter] {action} {style.sep} [b] back {style.sep} [q] quit{where}") + " ")
        out.flush()
        action, message = next(keys, "quit"), ""
        if action == "quit":
            out.write("\n")
            return
        if action == "next":
            if more:
                page += 1
            elif last:
                out.write("\n")
                return
            else:
                k, page = k + 1, 0
        elif action == "back":
            if page:
                page -= 1
            elif k:
                k -= 1
            else:
                message = "This is the first step: [Enter] next, [q] quit."
        else:
            message = f"Keys: Enter, Space or Right: next {style.sep} b or Left: back {style.sep} q: quit."


class SingleKeys:
    """The terminal's keys, one at a time and without Enter, as actions; the terminal is restored
    on leaving. Where single keys cannot be read (no termios), lines are read with `read`.
    The end of input, or a terminal that fails, ends the keys (the stepper quits)."""

    def __init__(self, stream, read=input):
        self.stream, self.read = stream, read
        self.saved = None

    def __enter__(self):
        try:
            import termios
            import tty

            self.fd = self.stream.fileno()
            self.saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd)  # keys at once, no echo; Ctrl-C still interrupts
        except (ImportError, OSError, ValueError):
            self.saved = None
        return self

    def __exit__(self, *exc):
        if self.saved is not None:  # however we leave: q, Ctrl-D, Ctrl-C (KeyboardInterrupt goes on)
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)

    def __iter__(self):
        return self

    def __next__(self):
        try:
            if self.saved is None:
                return KEYS.get(self.read("").strip().lower()[:1] or "\n", "unknown")
            key = os.read(self.fd, 1).decode("latin-1")
            if key == "\033":  # an arrow key sends ESC [ C; a lone Escape sends nothing more
                while select.select([self.fd], [], [], 0.05)[0] and len(key) < 8:
                    key += os.read(self.fd, 1).decode("latin-1")
                    if key[-1].isalpha() or key[-1] == "~":
                        break
        except (EOFError, OSError):
            raise StopIteration from None
        if not key:
            raise StopIteration
        return KEYS.get(key.lower() if len(key) == 1 else key, "unknown")
