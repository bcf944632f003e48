"""chainrule's engine: scalar Values that record their graph, and backprop through it."""
from .compile import compile  # engine.compile(fn): record once, replay on floats
from .gradcheck import gradcheck
from .primitives import PRIMITIVES, Primitive
from .value import Value, ZeroDivision, backward_order, backward_steps, dot, no_grad
from .value import sum_values as sum  # engine.sum(values): one node with many inputs

# `sum` and `compile` stay attributes (engine.sum, engine.compile), out of __all__: `import *` must
# not shadow the builtins.
__all__ = ["Value", "no_grad", "gradcheck", "draw", "dot", "backward_order", "backward_steps", "PRIMITIVES",
           "Primitive", "ZeroDivision"]


def draw(root, **options):
    """Draw the graph behind `root` with the chain rule on its edges (see engine.drawing)."""
    from .drawing import draw as draw_graph  # graphviz is imported only where graphs are drawn

    return draw_graph(root, **options)
