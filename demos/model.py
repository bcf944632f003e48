"""The step model: a demo is a list of steps, and every front end (terminal, SVG files, HTML) reads it.

A step has a title, a short explanation, the numbers (the tutorial's printed value beside the
engine's) and the graph at that step. The numbers are computed by the engine when the demo is
built; nothing here is typed in by hand except what the tutorial printed.
"""
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable


@dataclass(frozen=True)
class Number:
    """One number of a step: `engine` came out of our engine; `tutorial` is what the text prints.

    `tutorial` is the printed string ("0.7216", "-0.0904", "" when the tutorial prints none).
    The two agree when the engine's value, rounded to the printed decimals, is the printed value.
    Where the tutorial's hand arithmetic differs on purpose, `note` says why in one sentence.
    """

    name: str
    engine: float
    tutorial: str = ""
    note: str = ""

    @property
    def decimals(self):
        """How many decimals the tutorial printed (4 for '0.7216'); None if it printed none."""
        if not self.tutorial:
            return None
        return max(0, -Decimal(self.tutorial).as_tuple().exponent)

    @property
    def shown(self):
        """The engine's value at the tutorial's precision (full precision when there is none)."""
        if self.decimals is None:
            return f"{self.engine:.6g}"
        return f"{self.engine:.{self.decimals}f}"

    @property
    def matches(self):
        """True when the engine reproduces the printed value; None when nothing was printed."""
        if not self.tutorial:
            return None
        return Decimal(self.shown) == Decimal(self.tutorial)

    @property
    def verdict(self):
        """How the engine's number stands beside the tutorial's, decided here once for every front end:
        "matches", "explained" (differs, and the note says why), "differs" (no note: a bug to fix)
        or "engine only" (the tutorial prints no such number)."""
        if self.matches is None:
            return "engine only"
        if self.matches:
            return "matches"
        return "explained" if self.note else "differs"


@dataclass(frozen=True)
class Step:
    """What one screen of a demo shows."""

    title: str
    text: str
    numbers: tuple = ()  # Number, ...
    graph: object = None  # engine.draw(...) made when the step was built: a snapshot of that moment
    history: tuple = ()  # a loss curve (floats) for training steps


@dataclass(frozen=True)
class Tutorial:
    """The text a demo follows, as a reader would look it up: title, author, and a link where the
    text names one ("" where it names none)."""

    title: str
    author: str = ""
    link: str = ""
    seed: str = ""  # which file of the project's seeds folder holds its text, e.g. "002"

    def __str__(self):
        return f"“{self.title}”" + (f" by {self.author}" if self.author else "")


@dataclass(frozen=True)
class Demo:
    """A worked example: `build()` runs the engine and returns the steps."""

    name: str  # what `chainrule demo NAME` takes
    title: str
    seed: str  # which file of the seeds folder holds its tutorial, e.g. "002": for maintainers; screens show `tutorial`
    summary: str  # one line for `chainrule list`
    build: Callable[[], list] = field(repr=False)
    tutorial: Tutorial = None  # the text it follows: title, author, link
