"""The table of primitives: every fact about every op, in one place, as plain float math.

A row holds the op's forward on floats and its `local` rule: given the output and the inputs
as floats, d out / d input for every input, in order. `Value.backward()` multiplies these by
the upstream grad; `draw()` writes them on the edges. The row also says everything else the
package needs to know about the op: where it is defined, how a formula writes it, what kind
of op it is, how many inputs it takes and the `Value` methods that apply it. backward(),
compile, gradcheck, draw(), the formula printer and the expression parser read this table, so
a new row reaches them with no other edit; Value's methods (value.py) are written out, one
line each: `def __mul__(self, other): return apply(MUL, self, other)`.
"""
import math
from functools import reduce
from operator import add, mul, neg, sub, truediv

KINDS = ("leaf", "operator", "function", "activation")


class Primitive:
    """One row of the table.

    name        how the op is known: `v.op.name`, the parser's function name
    symbol      how a formula writes the op, between or before its operands, and what a drawing
                writes in the op's node (where * is printed ×)
    forward     floats -> float
    local       (out, *inputs) -> tuple of d out / d input, floats in and out
    rule        the local derivatives as a reader would write them
    kind        "leaf" (no inputs), "operator" (written a + b, -a), "function" (written exp(a)),
                or "activation" (a function that can end a neuron: nn and the drawings' neuron boxes)
    arity       the number of inputs, or None for any number (sum, dot)
    methods     the Value methods that apply it: (name,) for one input; (self op other, other op
                self) for an operator with two inputs, None where that is not this row's alone
                (Value.__pow__ picks powc or pow by the exponent); () for sum and dot, which
                engine.sum and engine.dot make
    precedence  how tightly an operator binds in a formula (higher: tighter, as in Python)
    domain      None (defined everywhere), or (test, what it needs): test(*inputs) is False
                outside the domain, and the op refuses such inputs saying what it needs

    Every op refuses a result that is not finite (an overflow), so a row need not say it can.
    """

    __slots__ = ("name", "symbol", "forward", "local", "rule", "kind", "arity", "methods", "precedence",
                 "domain")

    def __init__(self, name, symbol, forward, local, rule, *, kind, arity, methods=(), precedence=None,
                 domain=None):
        if kind not in KINDS:
            raise ValueError(f"primitive {name!r}: kind {kind!r} is not one of {', '.join(KINDS)}")
        self.name = name
        self.symbol = symbol
        self.forward = forward
        self.local = local
        self.rule = rule
        self.kind = kind
        self.arity = arity
        self.methods = methods
        self.precedence = precedence
        self.domain = domain

    def __repr__(self):
        return f"<primitive {self.name}>"

    def __reduce__(self):
        """pickle and copy: a row is its name in the table (its functions are not pickled)."""
        return row, (self.name,)


def row(name):
    """The row of the table called `name`."""
    try:
        return PRIMITIVES[name]
    except KeyError:
        raise ValueError(f"no op {name!r} in the table of primitives") from None


def _sigmoid(x):
    # 1 / (1 + e^-x), written so that neither branch overflows
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu(x):
    return x if x > 0.0 else 0.0


def _power_local(out, a, n):
    # n a^(n-1); the derivative of a^0 = 1 is 0 everywhere, even at a = 0 where 0^-1 is undefined
    return (n * a ** (n - 1.0) if n != 0.0 else 0.0, 0.0)


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
    # leaves: no inputs, nothing to differentiate; the name decides how a drawing shows them
    Primitive("input", "", None, None, "a value you give", kind="leaf", arity=0),
    Primitive("param", "", None, None, "a parameter that training changes", kind="leaf", arity=0),
    Primitive("const", "", None, None, "a number written in the expression", kind="leaf", arity=0),
    # operators, with a number allowed on either side; precedence as Python binds them
    Primitive("add", "+", add, lambda out, a, b: (1.0, 1.0), "d/da = 1, d/db = 1",
              kind="operator", arity=2, methods=("__add__", "__radd__"), precedence=1),
    Primitive("sub", "-", sub, lambda out, a, b: (1.0, -1.0), "d/da = 1, d/db = -1",
              kind="operator", arity=2, methods=("__sub__", "__rsub__"), precedence=1),
    Primitive("mul", "*", mul, lambda out, a, b: (b, a), "d/da = b, d/db = a",
              kind="operator", arity=2, methods=("__mul__", "__rmul__"), precedence=2),
    Primitive("div", "/", truediv, lambda out, a, b: (1.0 / b, -out / b), "d/da = 1/b, d/db = -a/b^2",
              kind="operator", arity=2, methods=("__truediv__", "__rtruediv__"), precedence=2,
              domain=(lambda a, b: b != 0.0, "division by zero")),
    Primitive("neg", "-", neg, lambda out, a: (-1.0,), "d/da = -1",
              kind="operator", arity=1, methods=("__neg__",), precedence=3),
    # a ** n for a number n (its grad is not needed, so any base will do) and a ** b for a Value
    # b (a positive base): one Python operator, two rows, so Value.__pow__ picks by the exponent
    Primitive("powc", "**", pow, _power_local, "d/da = n a^(n-1)",
              kind="operator", arity=2, precedence=4,
              domain=(lambda a, n: a >= 0.0 or n.is_integer(), "a negative base needs a whole exponent")),
    Primitive("pow", "**", pow, lambda out, a, b: (b * out / a, out * math.log(a)),
              "d/da = b a^(b-1), d/db = a^b ln a",
              kind="operator", arity=2, methods=(None, "__rpow__"), precedence=4,
              domain=(lambda a, b: a > 0.0, "Value ** Value needs a positive base; "
                                            "for a constant exponent write a number (x ** 2)")),
    # functions of one input
    Primitive("exp", "exp", math.exp, lambda out, a: (out,), "d/da = exp(a)",
              kind="function", arity=1, methods=("exp",)),
    Primitive("log", "log", math.log, lambda out, a: (1.0 / a,), "d/da = 1/a",
              kind="function", arity=1, methods=("log",), domain=(lambda a: a > 0.0, "log needs a positive input")),
    Primitive("sqrt", "sqrt", math.sqrt, lambda out, a: (0.5 / out,), "d/da = 1/(2 sqrt(a))",
              kind="function", arity=1, methods=("sqrt",), domain=(lambda a: a >= 0.0, "sqrt needs a non-negative input")),
    Primitive("tanh", "tanh", math.tanh, lambda out, a: (1.0 - out * out,), "d/da = 1 - tanh(a)^2",
              kind="activation", arity=1, methods=("tanh",)),
    Primitive("sigmoid", "sigmoid", _sigmoid, lambda out, a: (out * (1.0 - out),), "d/da = s(a) (1 - s(a))",
              kind="activation", arity=1, methods=("sigmoid",)),
    Primitive("relu", "relu", _relu, lambda out, a: (1.0 if a > 0.0 else 0.0,), "d/da = 1 if a > 0 else 0",
              kind="activation", arity=1, methods=("relu",)),
    Primitive("abs", "abs", abs, lambda out, a: (1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0,), "d/da = sign(a)",
              kind="function", arity=1, methods=("__abs__",)),
    # n-ary: one node with many inputs, made by engine.sum(values) and engine.dot(ws, xs, bias)
    Primitive("sum", "sum", lambda *xs: reduce(add, xs), lambda out, *xs: (1.0,) * len(xs), "d/dx_i = 1",
              kind="function", arity=None),
    Primitive("dot", "dot", _dot, _dot_local, "d/dw_i = x_i, d/dx_i = w_i, d/db = 1",
              kind="function", arity=None),
)}
# fmt: on
