"""Value: a scalar that records how it was computed, so backward() can apply the chain rule."""
import math
from contextlib import contextmanager
from numbers import Real
from operator import attrgetter

from .primitives import PRIMITIVES

P = PRIMITIVES
INPUT, PARAM, CONST = P["input"], P["param"], P["const"]
ADD, SUB, MUL = P["add"], P["sub"], P["mul"]

_recording = True  # False inside `with no_grad():`


class ZeroDivision(ValueError, ZeroDivisionError):
    """Division by a Value that is zero (a ValueError and a ZeroDivisionError)."""


class Value:
    """A float with a grad, the op that made it and the inputs it was made from."""

    __slots__ = ("data", "grad", "inputs", "op", "_label")

    def __init__(self, data, label="", *, param=False):
        self.data = _real(data, "Value()")
        self.grad = 0.0
        self.inputs = ()
        self.op = PARAM if param else INPUT
        self._label = str(label)

    @property
    def label(self):
        """A name for drawings and repr; '' unless given (ops leave it unset to stay fast)."""
        try:
            return self._label
        except AttributeError:
            return ""

    @label.setter
    def label(self, text):
        self._label = str(text)

    def named(self, label):
        """Set the label and return self: `h1 = (w1*x1 + b1).sigmoid().named("h1")`."""
        self._label = str(label)
        return self

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # a op b, with numbers on either side (add, sub, mul: see _fast_binary below the class)
    def __truediv__(self, other):
        return _binary("div", self, other)

    def __pow__(self, other):  # self ** n for a number n; self ** b for a Value b
        return _binary("pow" if type(other) is Value else "powc", self, other)

    def __rtruediv__(self, other):  # other / self
        return _binary("div", other, self)

    def __rpow__(self, other):  # other ** self, other > 0
        return _binary("pow", other, self)

    def __pos__(self):
        return self

    def exp(self):
        return _apply("exp", self)

    def log(self):
        return _apply("log", self)

    def sqrt(self):
        return _apply("sqrt", self)

    def detach(self):
        """A new leaf with the same data and label, cut from this value's history."""
        return Value(self.data, self.label)

    def backward(self):
        """Fill in d self / d v for every v this value was computed from.

        Leaves accumulate into their grad across calls (reset with `v.grad = 0.0`);
        intermediate values get this pass's grads.
        """
        _propagate(_seed(self))


def _fast_binary(op, reflected=False):
    """self op other (other op self if reflected): the hot path of every graph, kept lean."""
    forward = op.forward

    def method(self, other):
        if type(other) is not Value and (other := _const(other)) is None:
            return NotImplemented
        if reflected:
            self, other = other, self
        if not _recording:
            return _node(op, forward(self.data, other.data), (self, other))
        out = _new(Value)  # _node's work, written out: a call less on the hottest path
        out.data = forward(self.data, other.data)
        out.grad = 0.0
        out.inputs = (self, other)
        out.op = op
        return out

    return method


def _fast_unary(op):
    """self.op() for a primitive that is finite and defined everywhere: no checks needed."""
    forward = op.forward

    def method(self):
        if not _recording:
            return _node(op, forward(self.data), (self,))
        out = _new(Value)
        out.data = forward(self.data)
        out.grad = 0.0
        out.inputs = (self,)
        out.op = op
        return out

    method.__doc__ = f"{op.name}(self); {op.rule}"
    return method


Value.__add__, Value.__radd__ = _fast_binary(ADD), _fast_binary(ADD, reflected=True)
Value.__mul__, Value.__rmul__ = _fast_binary(MUL), _fast_binary(MUL, reflected=True)
Value.__sub__, Value.__rsub__ = _fast_binary(SUB), _fast_binary(SUB, reflected=True)
Value.__neg__, Value.__abs__ = _fast_unary(P["neg"]), _fast_unary(P["abs"])
Value.tanh, Value.sigmoid, Value.relu = (_fast_unary(P[name]) for name in ("tanh", "sigmoid", "relu"))


def backward_steps(root):
    """backward() one node at a time: yields each value after passing its grad to its inputs.

    Seeds d root / d root = 1, then walks the values that have inputs in backward_order;
    a demo can stop after any step and show the grads filled in so far.
    """
    for v in _seed(root):
        _propagate((v,))
        yield v


def _seed(root):
    """Start a backward pass: intermediate grads to 0 (leaves keep theirs), d root/d root = 1."""
    if root.data - root.data != 0.0:  # + - * never raise, so an overflow shows up here
        raise ValueError(f"backward from {root.data!r}: the value overflowed; its grads would be meaningless")
    order = _interior_order(root)
    for v in order:
        v.grad = 0.0
    root.grad += 1.0
    return order


def _propagate(nodes):
    """The chain rule, node by node: grad x (d node / d input) added to each input's grad."""
    for v in nodes:
        inputs = v.inputs
        g = v.grad
        try:
            if len(inputs) == 2:
                a, b = inputs
                da, db = v.op.local(v.data, a.data, b.data)
                a.grad += da * g
                b.grad += db * g
            elif len(inputs) == 1:
                (a,) = inputs
                (da,) = v.op.local(v.data, a.data)
                a.grad += da * g
            else:
                for x, d in zip(inputs, v.op.local(v.data, *map(_data, inputs))):
                    x.grad += d * g
        except ArithmeticError as e:
            raise _derivative_error(v) from e


def backward_order(root):
    """Every value `root` depends on, root first, each before the values it was made from.

    The values with inputs in the order backward() walks them, then the leaves (inputs,
    parameters, constants) in the order they are first met. Deterministic: it depends only
    on the graph's shape.
    """
    order = _interior_order(root) or [root]
    seen = set(order)
    for v in list(order):
        for x in v.inputs:
            if x not in seen:
                seen.add(x)
                order.append(x)
    return order


def _interior_order(root):
    """The values with inputs that root depends on, root first, each before its inputs.

    Depth-first with an explicit stack (no recursion limit): a value is finished once all
    its inputs are, and the reverse of the finishing order is a topological order. Leaves
    are left out (they pass nothing on). Each edge is looked at once.
    """
    if not root.inputs:
        return []
    finished = []
    seen = {root}  # Values hash by identity
    stack = [(root, reversed(root.inputs))]  # last input first, so the first comes first in the end
    while stack:
        v, inputs = stack[-1]
        for x in inputs:
            if x.inputs and x not in seen:
                seen.add(x)
                stack.append((x, reversed(x.inputs)))
                break
        else:
            stack.pop()
            finished.append(v)
    finished.reverse()
    return finished


@contextmanager
def no_grad():
    """Inside this block ops record no inputs: results are plain leaves (inference)."""
    global _recording
    before, _recording = _recording, False
    try:
        yield
    finally:
        _recording = before


def sum_values(values):
    """x1 + x2 + ... as one node with many inputs."""
    values = tuple(values)
    if not values:
        raise ValueError("sum needs at least one value; got none")
    return _n_ary("sum", values)


def dot(ws, xs, bias=None):
    """w1*x1 + w2*x2 + ... + bias as one node with many inputs (w..., x..., bias)."""
    ws = ws if isinstance(ws, (list, tuple)) else tuple(ws)
    xs = xs if isinstance(xs, (list, tuple)) else tuple(xs)
    inputs = (*ws, *xs) if bias is None else (*ws, *xs, bias)
    n = len(ws)
    if n != len(xs) or not n:
        raise ValueError(f"dot needs as many weights as inputs, at least one; got {n} and {len(xs)}")
    return _n_ary("dot", inputs)


def _n_ary(name, inputs):
    """One node over many inputs: the fast path when they are all Values and the result is finite."""
    op = P[name]
    try:
        data = op.forward(*map(_data, inputs))
    except (AttributeError, TypeError):  # numbers among the inputs, or no inputs at all
        return _apply(name, *inputs)
    if data - data != 0.0:  # inf or nan: let _apply say what went wrong
        return _apply(name, *inputs)
    return _node(op, data, inputs)


_data = attrgetter("data")


_new = object.__new__


def _node(op, data, inputs):
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    if _recording:
        out.inputs = inputs
        out.op = op
    else:
        out.inputs = ()
        out.op = INPUT
    return out


def _binary(name, a, b):
    """a op b for the operator methods: NotImplemented (so Python raises TypeError) for non-numbers."""
    if not (_is_operand(a) and _is_operand(b)):
        return NotImplemented
    return _apply(name, a, b)


def _apply(name, *operands):
    """Run primitive `name` forward on the operands (Values or numbers) and record the node."""
    op = P[name]
    inputs = tuple(x if type(x) is Value else _const(x) for x in operands)
    if None in inputs:
        bad = operands[inputs.index(None)]
        raise TypeError(f"{name} takes Values or real numbers, not {type(bad).__name__} {bad!r}")
    xs = [x.data for x in inputs]
    _check_domain(name, xs)
    try:
        data = op.forward(*xs)
    except ZeroDivisionError:
        raise ZeroDivision(f"{_show(name, xs)}: division by zero") from None
    except OverflowError:
        raise ValueError(f"{_show(name, xs)} overflows a float (largest: about 1.8e308)") from None
    except (ArithmeticError, ValueError) as e:
        raise ValueError(f"{_show(name, xs)} failed: {e}") from None
    if type(data) is not float or not math.isfinite(data):
        raise ValueError(f"{_show(name, xs)} is {data!r}, not a finite real number")
    return _node(op, data, inputs)


def _check_domain(name, xs):
    a = xs[0]
    if name == "log" and a <= 0.0:
        raise ValueError(f"log({a!r}): log needs a positive input")
    if name == "sqrt" and a < 0.0:
        raise ValueError(f"sqrt({a!r}): sqrt needs a non-negative input")
    if name == "pow" and a <= 0.0:
        raise ValueError(
            f"{_show(name, xs)}: Value ** Value needs a positive base; "
            f"for a constant exponent write a number (x ** 2)"
        )


def _show(name, xs):
    symbol = P[name].symbol
    if len(xs) == 2 and not symbol.isalpha():
        return f"{xs[0]!r} {symbol} {xs[1]!r}"
    return f"{name}({', '.join(map(repr, xs))})"


def _derivative_error(v):
    xs = [x.data for x in v.inputs]
    return ValueError(f"backward: the derivative of {_show(v.op.name, xs)} is not finite")


def _is_operand(x):
    return type(x) is Value or (isinstance(x, Real) and not isinstance(x, bool))


def _const(x):
    """A number written in an expression, as a constant leaf; None if x is not a number."""
    if not _is_operand(x):
        return None
    out = _node(CONST, _real(x, "a constant"), ())
    out.op = CONST
    return out


def _real(x, where):
    if type(x) is not float:
        if isinstance(x, bool) or not isinstance(x, Real):
            raise TypeError(f"{where} takes a real number (int or float), not {type(x).__name__} {x!r}")
        x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{where} takes a finite number, not {x!r}")
    return x
