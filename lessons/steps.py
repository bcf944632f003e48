"""The step model: a demo is a list of steps, and every front end (terminal, SVG files, HTML) reads it.

A step has a title, a short explanation, the numbers (the tutorial's printed value beside the
engine's) and the graph at that step. The numbers are computed by the engine when the demo is
built; nothing here is typed in by hand except what the tutorial printed.
"""
from collections import namedtuple
from decimal import Decimal

# Records are named tuples, not dataclasses: `chainrule list` reads the catalog of Demos, and importing
# dataclasses (with inspect and typing) would take a good part of its start-up (bench/README.md).


class Number(namedtuple("Number", "name engine tutorial note", defaults=("", ""))):
    """One number of a step: `engine` came out of our engine; `tutorial` is what the text prints.

    `tutorial` is the printed string ("0.7216", "-0.0904", "" when the tutorial prints none).
    The two agree when the engine's value, rounded to the printed decimals, is the printed value.
    Where the tutorial's hand arithmetic differs on purpose, `note` says why in one sentence.
    """

    __slots__ = ()

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


class Step(namedtuple("Step", "title text numbers graph history", defaults=((), None, ()))):
    """What one screen of a demo shows: a title, a short explanation, its Numbers, the graph
    (engine.draw(...) made when the step was built: a snapshot of that moment) and, for a
    training step, the loss curve (floats)."""

    __slots__ = ()


class Tutorial(namedtuple("Tutorial", "title author link", defaults=("", ""))):
    """The text a demo follows, as a reader would look it up: title, author, and a link where the
    text names one ("" where it names none)."""

    __slots__ = ()

    def __str__(self):
        return f"“{self.title}”" + (f" by {self.author}" if self.author else "")


class Demo(namedtuple("Demo", "name title summary build tutorial", defaults=(None,))):
    """A worked example: `build()` runs the engine and returns the steps.

    `name` is what `chainrule demo NAME` takes; `summary` is its line in `chainrule list`;
    `tutorial` the Tutorial it follows (None for a walk through any graph).
    """

    __slots__ = ()

    def __repr__(self):
        return f"Demo({self.name!r}, {self.title!r})"
