"""Value: a float that remembers how it was computed, so that backward() can apply the chain rule.

Every op is a row of the table in primitives.py: its forward on floats and its local
derivatives. Value's operators below each name their row and hand it to apply(), which runs
the row's forward and records the new value's inputs. backward() then walks the graph from
the output down and, at each value, adds (d value / d input) x (d output / d value) to the
grad of each of its inputs: the chain rule.
"""
from math import inf, isfinite
from _thread import get_ident

from .checks import is_real, real
from .primitives import PRIMITIVES

INPUT, PARAM, CONST = PRIMITIVES["input"], PRIMITIVES["param"], PRIMITIVES["const"]
ADD, SUB, MUL, DIV, NEG = PRIMITIVES["add"], PRIMITIVES["sub"], PRIMITIVES["mul"], PRIMITIVES["div"], PRIMITIVES["neg"]
POW, POWC, EXP, LOG, SQRT = PRIMITIVES["pow"], PRIMITIVES["powc"], PRIMITIVES["exp"], PRIMITIVES["log"], PRIMITIVES["sqrt"]
TANH, SIGMOID, RELU, ABS = PRIMITIVES["tanh"], PRIMITIVES["sigmoid"], PRIMITIVES["relu"], PRIMITIVES["abs"]
SUM, DOT = PRIMITIVES["sum"], PRIMITIVES["dot"]

_new = object.__new__  # a Value without __init__'s checks, for apply() to fill in

# thread id -> how many `with no_grad():` blocks are open in it
_paused = {}


class DomainError(ValueError):
    """An op given an input outside its domain: log(0), sqrt(-1), 1 / 0, (-2) ** Value(0.5)."""


class DivisionByZero(DomainError, ZeroDivisionError):
    """Where Python's floats raise ZeroDivisionError (x / 0, 0 ** -1): a DomainError that
    `except ZeroDivisionError` catches too."""


class Value:
    """A float with a grad, the op that made it and the inputs it was made from.

    data    the number
    grad    d (the value backward() was called on) / d this value, a float
    op      the row of the table that made it (a leaf's row says what kind of leaf: input,
            param, const)
    inputs  the values it was made from, in order, as a tuple (`a*a` has a twice); () for a leaf
    label   a name for drawings and repr, or ''

    float(v), int(v), v.item(), round(v, n), format(v, ".3f") and the comparisons < <= > >=
    (with Values or numbers) read `data` and record nothing; so do `v == 3` and `v != 0` with a
    number. Value-to-Value `==` and hash() are by identity, as for any object, because graphs
    key Values by identity: compare `a.data == b.data` for two Values' numbers.
    """

    __slots__ = ("data", "grad", "op", "inputs", "label")

    def __init__(self, data, label="", *, param=False):
        self.data = real(data, "Value()")
        self.grad = 0.0
        self.op = PARAM if param else INPUT
        self.inputs = ()
        self.label = "" if label is None else str(label)

    # ---- the ops: each applies its row of the table (the docstring is the row's rule)

    def __add__(self, other):
        """self + other; d/da = 1, d/db = 1"""
        return apply(ADD, self, other)

    def __radd__(self, other):
        """other + self; d/da = 1, d/db = 1"""
        return apply(ADD, other, self)

    def __sub__(self, other):
        """self - other; d/da = 1, d/db = -1"""
        return apply(SUB, self, other)

    def __rsub__(self, other):
        """other - self; d/da = 1, d/db = -1"""
        return apply(SUB, other, self)

    def __mul__(self, other):
        """self * other; d/da = b, d/db = a"""
        return apply(MUL, self, other)

    def __rmul__(self, other):
        """other * self; d/da = b, d/db = a"""
        return apply(MUL, other, self)

    def __truediv__(self, other):
        """self / other; d/da = 1/b, d/db = -a/b^2"""
        return apply(DIV, self, other)

    def __rtruediv__(self, other):
        """other / self; d/da = 1/b, d/db = -a/b^2"""
        return apply(DIV, other, self)

    def __neg__(self):
        """-self; d/da = -1"""
        return apply(NEG, self)

    def __pos__(self):
        """+self is self"""
        return self

    def __pow__(self, other):
        """self ** n for a number n (powc, any base: d/da = n a^(n-1)); self ** b for a Value b
        (pow, a positive base: d/da = b a^(b-1), d/db = a^b ln a)"""
        return apply(POW if isinstance(other, Value) else POWC, self, other)

    def __rpow__(self, other):
        """other ** self (a positive base); d/da = b a^(b-1), d/db = a^b ln a"""
        return apply(POW, other, self)

    def exp(self):
        """e ** self; d/da = exp(a)"""
        return apply(EXP, self)

    def log(self):
        """the natural log of self; d/da = 1/a"""
        return apply(LOG, self)

    def sqrt(self):
        """self ** 0.5; d/da = 1/(2 sqrt(a))"""
        return apply(SQRT, self)

    def tanh(self):
        """tanh(self); d/da = 1 - tanh(a)^2"""
        return apply(TANH, self)

    def sigmoid(self):
        """1 / (1 + e^-self); d/da = s(a) (1 - s(a))"""
        return apply(SIGMOID, self)

    def relu(self):
        """max(self, 0); d/da = 1 if a > 0 else 0"""
        return apply(RELU, self)

    def __abs__(self):
        """abs(self); d/da = sign(a)"""
        return apply(ABS, self)

    def abs(self):
        """abs(self); d/da = sign(a)"""
        return apply(ABS, self)

    # ---- backward

    def backward(self):
        """Fill in d self / d v for every value v this one was computed from: the chain rule.

        Leaves accumulate into their grad across calls (reset with `v.grad = 0.0`); values
        made by ops get this pass's grads. Every grad that reaches an input or a parameter is
        finite, or backward raises ValueError naming the value where it stopped being finite
        (then the grads are incomplete: reset them before the next pass). A constant's grad
        (the 2 in 2*x) is passed on like any other but never checked: nothing reads it.
        """
        order = backward_order(self)  # self first, every value before the values it was made from
        for v in order:
            if v.inputs:
                v.grad = 0.0
        self.grad += 1.0  # d self / d self
        for v in order:  # a value's grad is complete when it is reached: all its users came first
            _chain_rule(v, order)

    # ---- numbers, for the habits users bring

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    def __float__(self):
        return self.data

    def __int__(self):
        """int(v): the data truncated toward 0, as int() does a float."""
        return int(self.data)

    def item(self):
        """The data as a float (PyTorch's tensor.item())."""
        return self.data

    def __round__(self, ndigits=None):
        return round(self.data, ndigits)

    def __format__(self, spec):
        """format(v, ".3f") formats the data; f"{v}" with no spec is repr(v)."""
        return format(self.data, spec) if spec else repr(self)

    def __lt__(self, other):
        """self < other, on data: a bool; records nothing."""
        other = _number(other)
        return NotImplemented if other is None else self.data < other

    def __le__(self, other):
        """self <= other, on data: a bool; records nothing."""
        other = _number(other)
        return NotImplemented if other is None else self.data <= other

    def __gt__(self, other):
        """self > other, on data: a bool; records nothing."""
        other = _number(other)
        return NotImplemented if other is None else self.data > other

    def __ge__(self, other):
        """self >= other, on data: a bool; records nothing."""
        other = _number(other)
        return NotImplemented if other is None else self.data >= other

    def __eq__(self, other):
        """self == a number: on data (`if v == 0:` reads v.data); self == a Value: identity, since graphs
        key Values by identity. Records nothing."""
        if isinstance(other, Value):
            return self is other
        return self.data == other if is_real(other) else NotImplemented

    def __ne__(self, other):
        """The opposite of ==: on data with a number, identity with a Value."""
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = object.__hash__  # by identity (defining __eq__ would otherwise make Values unhashable)

    def named(self, label):
        """Set the label and return self: `h1 = (w1*x1 + b1).sigmoid().named("h1")`."""
        self.label = str(label)
        return self

    def detach(self):
        """A new leaf with the same data and label, cut from this value's history."""
        return Value(self.data, self.label)

    # ---- copies: the graph walked with a stack, so that any depth backward takes can be copied

    def __copy__(self):
        """copy.copy(v): a new value with the same data, grad, op, label and the same inputs."""
        return _made(type(self), self.data, self.grad, self.op, self.inputs, self.label)

    def __deepcopy__(self, memo):
        """copy.deepcopy(v): the whole graph copied, each value once (memo maps id -> copy)."""
        for v in reversed(backward_order(self)):  # each value after the values it was made from
            if id(v) not in memo:
                inputs = tuple([memo[id(x)] for x in v.inputs])
                memo[id(v)] = _made(type(v), v.data, v.grad, v.op, inputs, v.label)
        return memo[id(self)]

    def __reduce__(self):
        """pickle: the graph as a flat list of values, so that any depth can be pickled.

        Each leaf is pickled as itself, so a leaf that several pickled values share (a
        parameter) is one leaf after loading; each pickled value brings its own copy of the
        values between it and its leaves. A row of the table is pickled by its name.
        """
        if not self.inputs:
            return _made, (type(self), self.data, self.grad, self.op, (), self.label)
        order = backward_order(self)
        position = {id(v): i for i, v in enumerate(order)}
        nodes = [(type(v), v.data, v.grad, v.op, tuple([position[id(x)] for x in v.inputs]), v.label)
                 if v.inputs else v for v in order]
        return _rebuilt, (nodes,)


def apply(op, *operands):
    """op, a row of the table, on Values or numbers: the one place a Value is made by an op.

    Numbers become constants. Runs the row's forward on the floats, refuses what the row says
    it cannot take (DomainError) and a result that is not finite (ValueError naming the op),
    and records the new value: its row and its inputs. Inside `with no_grad():` in this thread
    it is a leaf instead. NotImplemented (so that Python raises its own TypeError) if an
    operand is neither a Value nor a real number.
    """
    xs = []  # the inputs' floats
    for x in operands:
        if not isinstance(x, Value):
            if not is_real(x):
                return NotImplemented
            return apply(op, *[x if isinstance(x, Value) else constant(x) for x in operands])
        xs.append(x.data)
    try:
        out = op.forward(*xs)
    except OverflowError:
        out = inf  # refused below, as every result that is not finite
    except (ArithmeticError, ValueError) as error:  # outside the domain: a ZeroDivisionError stays one
        raise _refused(op, xs, error) from None
    if op.domain is not None and not op.domain[0](*xs):  # where the floats answer all the same: (-8) ** (1/3)
        raise _refused(op, xs)
    if not isfinite(out):
        raise ValueError(f"{op.name}: {_show(op, xs)} overflows a float (largest: about 1.8e308)")
    v = _new(Value)
    v.data = out
    v.grad = 0.0
    v.label = ""
    if _paused and get_ident() in _paused:  # no_grad(): a leaf, with no history
        v.op = INPUT
        v.inputs = ()
    else:
        v.op = op
        v.inputs = operands
    return v


def constant(x):
    """A number written in an expression (the 2 in `2*x`), as a leaf: drawn as a small box."""
    return _made(Value, real(x, "a constant"), 0.0, CONST, (), "")


class Shift(Value):
    """A constant that a function reads from values' floats but whose result does not depend on it
    in exact math: nn.cross_entropy's c = log sum e^z and softmax's max z, subtracted from the
    logits so that no exp overflows. Drawn as any constant. A replay keeps the number it recorded
    (compile(..., batch=) each sample's) where it refuses any other number read from a float: an
    old shift changes the result by rounding only."""

    __slots__ = ()

    def __init__(self, data):
        super().__init__(data)
        self.op = CONST


def sum_values(values):
    """x1 + x2 + ... as one node with many inputs."""
    values = _tuple(values, "sum")
    if not values:
        raise ValueError("sum needs at least one value; got none")
    out = apply(SUM, *values)
    if out is NotImplemented:  # a value that is neither a Value nor a real number
        raise _not_values("sum", values)
    return out


def dot(ws, xs, bias=None):
    """w1*x1 + w2*x2 + ... + bias as one node whose inputs are (w..., x..., bias)."""
    ws, xs = _tuple(ws, "dot"), _tuple(xs, "dot")
    if len(ws) != len(xs) or not ws:
        raise ValueError(f"dot needs as many weights as inputs, at least one; got {len(ws)} and {len(xs)}")
    out = apply(DOT, *ws, *xs) if bias is None else apply(DOT, *ws, *xs, bias)
    if out is NotImplemented:  # a value that is neither a Value nor a real number
        raise _not_values("dot", (*ws, *xs, bias))
    return out


# ---- backward


def backward_order(root):
    """Every value `root` depends on, root first, each before the values it was made from.

    First the values made by ops, in the order backward() walks them, then the leaves
    (inputs, parameters, constants) in the order the walk first meets them. Deterministic: it
    depends only on the graph's shape.

    Depth-first with an explicit stack (no recursion limit). The stack holds values to explore
    and, under a value whose inputs are being explored, a None: popping the None finishes
    that value, and the reverse of the finishing order is a topological order. A value's
    inputs are pushed first to last, so the first is explored last and comes first in the end.
    A leaf needs no exploring: it is set aside as soon as it is met.
    """
    finished, leaves = [], []
    seen = set()  # Values hash by identity
    stack = [root]
    while stack:
        v = stack.pop()
        if v is None:
            finished.append(stack.pop())
        elif v.inputs and v not in seen:
            seen.add(v)
            stack.append(v)
            stack.append(None)
            for x in v.inputs:
                if x not in seen:
                    if x.inputs:
                        stack.append(x)
                    else:
                        seen.add(x)
                        leaves.append(x)
    finished.reverse()
    return (finished or [root]) + leaves


def backward_steps(root):
    """backward() one value at a time: yields each value made by an op after it has passed its
    grad to its inputs, in backward_order; a demo can stop after any step and show the grads."""
    order = backward_order(root)
    for v in order:
        if v.inputs:
            v.grad = 0.0
    root.grad += 1.0
    for v in order:
        _chain_rule(v, order)
        if v.inputs:
            yield v


def _chain_rule(v, order):
    """v passes its grad on: each input's grad += (d v / d input) x v.grad, input by input.

    First the check that v's grad, now complete, is finite (unless v leads to constants only).
    """
    if not isfinite(v.grad) and _needs_grad(v):
        raise _not_finite(v, order)
    if v.inputs:
        try:
            local = v.op.local(v.data, *[x.data for x in v.inputs])
        except ArithmeticError:  # the row's floats give up: 1 / 0 in d sqrt(a) / da at a = 0
            if not _needs_grad(v):
                return
            raise ValueError(f"backward: the derivative of {_show(v.op, [x.data for x in v.inputs])} is not "
                             f"finite{_at(v)}") from None
        g = v.grad
        for x, d in zip(v.inputs, local):
            x.grad += d * g


def _needs_grad(v):
    """Whether v leads to a leaf that is not a constant: an input or a parameter."""
    stack, seen = [v], set()
    while stack:
        v = stack.pop()
        if not v.inputs and v.op is not CONST:
            return True
        for x in v.inputs:
            if x not in seen:
                seen.add(x)
                stack.append(x)
    return False


def _not_finite(v, order):
    """The error for a grad that is not finite: v's, and the first term that made it so."""
    for u in order:
        if v in u.inputs and isfinite(u.grad):
            xs = [x.data for x in u.inputs]
            for i, (x, d) in enumerate(zip(u.inputs, u.op.local(u.data, *xs))):
                if x is v and not isfinite(d * u.grad):
                    return ValueError(f"backward: the derivative of {_show(u.op, xs)} times its grad is not finite: "
                                      f"input {i + 1} gets {d!r} x {u.grad!r} = {d * u.grad!r}{_at(u)}")
    if v.inputs:
        return ValueError(f"backward: the derivative of {_show(v.op, [x.data for x in v.inputs])} cannot be "
                          f"taken: the grads it got add up to {v.grad!r} (not finite){_at(v)}")
    name = f"{v.label} = {v.data!r}" if v.label else f"the leaf {v.data!r}"
    return ValueError(f"backward: the grad of {name} adds up to {v.grad!r}, past the largest float (not finite)")


class no_grad:
    """`with no_grad():` ops in this thread record nothing: their results are plain leaves.

    For inference: no graph is kept. Per thread (other threads go on recording), and blocks
    nest.
    """

    __slots__ = ("_thread",)

    def __enter__(self):
        self._thread = thread = get_ident()
        _paused[thread] = _paused.get(thread, 0) + 1

    def __exit__(self, *error):
        thread = self._thread
        if _paused[thread] == 1:
            del _paused[thread]
        else:
            _paused[thread] -= 1


# ---- helpers


def _made(cls, data, grad, op, inputs, label):
    """A Value of class cls with these slots, made without __init__'s checks (data is a float)."""
    v = _new(cls)
    v.data, v.grad, v.op, v.inputs, v.label = data, grad, op, inputs, label
    return v


def _rebuilt(nodes):
    """The graph __reduce__ flattened: nodes in backward_order, a leaf as itself, any other value
    as (class, data, grad, op, positions of its inputs, label); the root is the first."""
    values = [None] * len(nodes)
    for i in range(len(nodes) - 1, -1, -1):  # each value after its inputs
        node = nodes[i]
        if isinstance(node, Value):
            values[i] = node
        else:
            cls, data, grad, op, inputs, label = node
            values[i] = _made(cls, data, grad, op, tuple([values[j] for j in inputs]), label)
    return values[0]


def _tuple(values, what):
    """A list of values for sum or dot, as a tuple."""
    if isinstance(values, (tuple, list)):
        return tuple(values)
    if isinstance(values, (Value, str)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{what} takes a list of Values or real numbers, not {type(values).__name__} {values!r:.80}")
    return tuple(values)


def _not_values(what, operands):
    """The TypeError for sum or dot, naming the first operand that is neither a Value nor a real
    number (apply() returned NotImplemented for it)."""
    odd = next(x for x in operands if not isinstance(x, Value) and not is_real(x))
    return TypeError(f"{what} takes Values or real numbers, not {type(odd).__name__} {odd!r:.80}")


def _number(x):
    """x's number for a comparison: a Value's data, a real number itself, else None."""
    if isinstance(x, Value):
        return x.data
    return x if is_real(x) else None


def _refused(op, xs, error=None):
    """The DomainError for op on xs, saying what the row needs (or what the floats said)."""
    needs = op.domain is not None and not op.domain[0](*xs)
    text = f"{_show(op, xs)}: {op.domain[1]}" if needs else f"{_show(op, xs)} failed: {error}"
    return (DivisionByZero if isinstance(error, ZeroDivisionError) else DomainError)(text)


def _show(op, xs):
    """op on the numbers xs as a formula writes it: `2.0 * 3.0`, `-2.0`, `log(0.0)`."""
    if len(xs) == 2 and op.kind == "operator":
        return f"{xs[0]!r} {op.symbol} {xs[1]!r}"
    if len(xs) == 1 and op.kind == "operator":
        return f"{op.symbol}{xs[0]!r}"
    return f"{op.name}({', '.join(map(repr, xs))})"


def _at(v):
    return f" (at {v.label})" if v.label else ""
