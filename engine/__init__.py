"""chainrule's engine: scalar Values that record their graph, and backprop through it."""
from .compile import compile  # engine.compile(fn): record once, replay on floats
from .gradcheck import GradReport, gradcheck
from .primitives import PRIMITIVES, Primitive
from .value import DomainError, Value, backward_order, backward_steps, dot, no_grad
from .value import sum_values as sum  # engine.sum(values): one node with many inputs

# `sum` and `compile` stay attributes (engine.sum, engine.compile), out of __all__: `import *` must
# not shadow the builtins.
__all__ = ["Value", "no_grad", "gradcheck", "GradReport", "draw", "dot", "backward_order", "backward_steps",
           "PRIMITIVES", "Primitive", "DomainError"]


def draw(root, highlight=None, rankdir="LR", max_nodes=800, digits=4, group=None):
    """The graph behind `root` as a Drawing, with the chain rule written on its edges.

    highlight: a Value in the graph (or its label) whose paths from root are marked and whose
        chain rule is written in the caption.
    rankdir: "LR" (inputs left, root right), "TB", "RL" or "BT".
    max_nodes: most boxes to draw before neurons are grouped, and then before refusing;
        None for no limit.
    digits: significant digits of every number shown.
    group: None groups neurons only past max_nodes; True always; False never.

    `g.source` is the DOT text, `g.pipe(format="svg")` the bytes, `g.render(path)` a file;
    Jupyter shows it inline. What the picture shows: chainrule.engine.drawing. Drawing needs
    the graphviz package, imported on the first call so that `import chainrule` stays quick.
    """
    from .drawing import draw as draw_graph

    return draw_graph(root, highlight, rankdir, max_nodes, digits, group)
