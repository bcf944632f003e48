"""chainrule's engine: scalar Values that record their graph, and backprop through it."""
from .compile import compile  # engine.compile(fn): record once, replay on floats
from .gradcheck import GradReport, gradcheck
from .primitives import PRIMITIVES, Primitive
from .value import DivisionByZero, DomainError, Value, backward_order, backward_steps, dot, no_grad
from .value import sum_values as sum  # engine.sum(values): one node with many inputs

# `sum` and `compile` stay attributes (engine.sum, engine.compile), out of __all__: `import *` must
# not shadow the builtins.
__all__ = ["Value", "no_grad", "gradcheck", "GradReport", "draw", "dot", "backward_order", "backward_steps",
           "PRIMITIVES", "Primitive", "DomainError", "DivisionByZero"]


def draw(root, highlight=None, rankdir="LR", max_nodes=800, digits=4, group=None):
    """The graph behind `root` as a Drawing, with the chain rule written on its edges.

    highlight= marks every path from root to a value (or its label) and writes that value's
    chain rule in the caption; rankdir, max_nodes, digits and group shape the picture
    (chainrule.engine.drawing.draw says what each takes). `g.source` is the DOT text,
    `g.pipe(format="svg")` the bytes, `g.render(path)` a file; Jupyter shows it inline. The
    graphviz package is imported on the first call, so that `import chainrule` stays quick.
    """
    from .drawing import draw as draw_graph

    return draw_graph(root, highlight, rankdir, max_nodes, digits, group)
