"""The step model: a demo is a list of steps, and every front end (terminal, SVG files, HTML) reads it.

A step has a title, a short explanation, the numbers (the tutorial's printed value beside the
engine's) and the graph at that step. The numbers are computed by the engine when the demo is
built; nothing here is typed in by hand except what the tutorial printed.
"""
from collections import namedtuple
from decimal import Decimal

# Records are named tuples, not dataclasses: `chainrule list` reads the catalog of Demos, and importing
# dataclasses (with inspect and typing) would take a good part of its start-up (bench/README.md).


class Number(namedtuple("Number", "name engine tutorial note fitted", defaults=("", "", False))):
    """One number of a step: `engine` came out of our engine; `tutorial` is what the text prints.

    `tutorial` is the printed string ("0.7216", "-0.0904", "" when the tutorial prints none).
    The two agree when the engine's value, rounded to the printed decimals, is the printed value.
    Where the tutorial's hand arithmetic differs on purpose, `note` says why in one sentence.
    `fitted` is True where the engine's value rests on something the demo chose because the
    tutorial does not show it (a weight in a picture we cannot see), chosen so that this figure
    comes out: it agrees by construction, so the score counts it apart from what the engine
    reproduced, and `note` says what was chosen.
    """

    __slots__ = ()

    @classmethod
    def chosen_to_fit(cls, name, engine, tutorial, why):
        """A fitted Number (see above): its note says it was chosen to fit and `why` (what was chosen)."""
        return cls(name, engine, tutorial, f"chosen to fit the tutorial's figure: {why}", fitted=True)

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
        "matches" (a fitted one by construction: see `fitted`), "explained" (differs, and the note
        says why), "differs" (no note, or a fit that misses: a bug to fix) or "engine only" (the
        tutorial prints no such number)."""
        if self.matches is None:
            return "engine only"
        if self.matches:
            return "matches"
        return "explained" if self.note and not self.fitted else "differs"  # a fit that misses is a bug


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
