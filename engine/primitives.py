"""The table of primitives: plain float math, no graph objects.

Each primitive has a forward on floats and a `local` rule that, given the output and the
inputs as floats, returns d out / d input for every input, in order. `Value.backward()`
multiplies these by the upstream grad; `draw()` writes them on the edges. One table, so the
picture of the chain rule and the math that ran cannot disagree.
"""
import math
from functools import reduce
from operator import add, mul, neg, sub, truediv


class Primitive:
    """One row of the table: name, symbol for drawings, forward, local derivatives, formula."""

    __slots__ = ("name", "symbol", "forward", "local", "rule")

    def __init__(self, name, symbol, forward, local, rule):
        self.name = name
        self.symbol = symbol  # what a drawing writes in the op node
        self.forward = forward  # floats -> float
        self.local = local  # (out, *inputs) -> tuple of d out / d input
        self.rule = rule  # the local derivatives as a reader would write them

    def __repr__(self):
        return f"<primitive {self.name}>"


def _sigmoid(x):
    # 1 / (1 + e^-x), written so that neither branch overflows
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu(x):
    return x if x > 0.0 else 0.0


def _dot(*args):
    # w1*x1 + w2*x2 + ... (+ b), left to right: the same float as the chain of + and *
    n = len(args) // 2
    total = reduce(add, map(mul, args[:n], args[n : 2 * n]))
    return total + args[-1] if len(args) % 2 else total


def _dot_local(out, *args):
    n = len(args) // 2
    ws, xs = args[:n], args[n : 2 * n]
    return xs + ws + (1.0,) * (len(args) % 2)


# fmt: off
PRIMITIVES = {p.name: p for p in (
    # leaves: no inputs, nothing to differentiate; the kind decides how a drawing shows them
    Primitive("input", "", None, None, "a value you give"),
    Primitive("param", "", None, None, "a parameter that training changes"),
    Primitive("const", "", None, None, "a number written in the expression"),
    # arithmetic: a op b
    Primitive("add", "+", add, lambda out, a, b: (1.0, 1.0), "d/da = 1, d/db = 1"),
    Primitive("sub", "-", sub, lambda out, a, b: (1.0, -1.0), "d/da = 1, d/db = -1"),
    Primitive("mul", "*", mul, lambda out, a, b: (b, a), "d/da = b, d/db = a"),
    Primitive("div", "/", truediv, lambda out, a, b: (1.0 / b, -out / b), "d/da = 1/b, d/db = -a/b^2"),
    Primitive("neg", "-", neg, lambda out, a: (-1.0,), "d/da = -1"),
    # a ** n with a constant n (its grad is not needed), and a ** b for a positive base
    Primitive("powc", "**", pow, lambda out, a, n: (n * a ** (n - 1.0), 0.0), "d/da = n a^(n-1)"),
    Primitive("pow", "**", pow, lambda out, a, b: (b * a ** (b - 1.0), out * math.log(a)),
              "d/da = b a^(b-1), d/db = a^b ln a"),
    # functions of one input
    Primitive("exp", "exp", math.exp, lambda out, a: (out,), "d/da = exp(a)"),
    Primitive("log", "log", math.log, lambda out, a: (1.0 / a,), "d/da = 1/a"),
    Primitive("sqrt", "sqrt", math.sqrt, lambda out, a: (0.5 / out,), "d/da = 1/(2 sqrt(a))"),
    Primitive("tanh", "tanh", math.tanh, lambda out, a: (1.0 - out * out,), "d/da = 1 - tanh(a)^2"),
    Primitive("sigmoid", "sigmoid", _sigmoid, lambda out, a: (out * (1.0 - out),), "d/da = s(a) (1 - s(a))"),
    Primitive("relu", "relu", _relu, lambda out, a: (1.0 if a > 0.0 else 0.0,), "d/da = 1 if a > 0 else 0"),
    Primitive("abs", "abs", abs, lambda out, a: (1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0,),
              "d/da = sign(a)"),
    # n-ary: one node with many inputs
    Primitive("sum", "sum", lambda *xs: reduce(add, xs), lambda out, *xs: (1.0,) * len(xs), "d/dx_i = 1"),
    Primitive("dot", "dot", _dot, _dot_local, "d/dw_i = x_i, d/dx_i = w_i, d/db = 1"),
)}
# fmt: on
