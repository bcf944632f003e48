"""chainrule: a scalar autograd engine that shows the chain rule.

    from chainrule import Value, draw
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    y = (w * x).tanh()
    y.backward()          # dy/dw lands in w.grad
    draw(y, highlight=w)  # the graph, with the chain rule on every edge

`chainrule.engine` is the autograd engine and its drawings, `chainrule.nn` the networks built
on it, `chainrule.lessons` what turns any graph into steps and shows them, `chainrule.demos`
the worked examples, and `chainrule.cli` the `chainrule` command.
"""
from .engine import Value, compile, draw, gradcheck, no_grad  # compile: an attribute, not in __all__

__version__ = "0.2.0"
__all__ = ["Value", "draw", "no_grad", "gradcheck", "walkthrough", "quiz", "parse"]


def __getattr__(name):
    """walkthrough(root), quiz(root, wrt=w) and parse(text, **values) are imported when first asked for,
    so `import chainrule` stays lean."""
    if name == "walkthrough":
        from .lessons.walkthrough import walkthrough

        return walkthrough
    if name == "quiz":
        from .lessons.quiz import quiz

        return quiz
    if name == "parse":
        from .engine.expression import parse

        return parse
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
