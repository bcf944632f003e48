"""chainrule: a scalar autograd engine that shows the chain rule.

    from chainrule import Value, draw
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    y = (w * x).tanh()
    y.backward()          # dy/dw lands in w.grad
    draw(y, highlight=w)  # the graph, with the chain rule on every edge

`chainrule.engine` is the autograd engine and its drawings, `chainrule.nn` the networks built
on it, `chainrule.demos` the worked examples and the `chainrule` command.
"""
from .engine import Value, compile, draw, gradcheck, no_grad  # compile: an attribute, not in __all__

__version__ = "0.2.0"
__all__ = ["Value", "draw", "no_grad", "gradcheck", "walkthrough", "quiz"]


def __getattr__(name):
    """walkthrough(root) and quiz(root, wrt=w) are imported when first asked for, so `import chainrule` stays lean."""
    if name == "walkthrough":
        from .demos.stepper import walkthrough

        return walkthrough
    if name == "quiz":
        from .demos.quiz import quiz

        return quiz
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
