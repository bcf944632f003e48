"""Value: a scalar that records how it was computed, so backward() can apply the chain rule.

Value's op methods are not written out one by one: the loop at the end of this file gives
Value the methods each row of the table (primitives.py) names, so a new row is a new method.
"""
import gc
import math
from _thread import get_ident
from numbers import Real
from operator import attrgetter, ge, gt, le, lt

from .primitives import PRIMITIVES

P = PRIMITIVES
INPUT, PARAM, CONST = P["input"], P["param"], P["const"]
POW, POWC, SUM, DOT = P["pow"], P["powc"], P["sum"], P["dot"]

# thread id -> how many `with no_grad():` blocks are open in it. Empty (the usual case), ops
# pay one truth test for it; only while some thread is inside no_grad do they ask whose it is.
_paused = {}

# In a Value's _b, when it is not an input (or None): how _a holds the inputs of a node with many
MANY = object()  # sum: _a is the tuple of all its inputs
WEIGHTED = object()  # dot: _a is (ws, xs, bias), the weights and the inputs as tuples, and the bias or None


class DomainError(ValueError):
    """An op given an input outside its domain: log(0), sqrt(-1), 1 / 0, (-2) ** Value(0.5)."""


class DivisionByZero(DomainError, ZeroDivisionError):
    """Where Python's floats raise ZeroDivisionError (x / 0, 0 ** -1): a DomainError that
    `except ZeroDivisionError` catches too."""


class Value:
    """A float with a grad, the op that made it and the inputs it was made from.

    Ops (+ - * / **, exp, log, tanh, ...: the table in primitives.py) make new Values that
    remember their inputs; backward() fills in the grads. float(v), v.item(), round(v, n),
    format(v, ".3f") and the comparisons < <= > >= (with Values or numbers) read `data` and
    record nothing. `==` and hash() are by identity, as for any object, because graphs key
    Values by identity: compare `a.data == b.data` for equal numbers.

    The inputs are kept in two slots, not a tuple: a Value made by an op with one or two
    inputs is then one object for the cyclic garbage collector to look at instead of two, and
    48 bytes smaller. A dot keeps its weights and its inputs as two tuples (the neurons of a
    layer share the one of the layer's inputs) instead of one tuple of them all.
    """

    __slots__ = ("data", "grad", "op", "_a", "_b", "_label")

    def __init__(self, data, label="", *, param=False):
        self.data = _real(data, "Value()")
        self.grad = 0.0
        self.op = PARAM if param else INPUT
        self._a = self._b = None
        self._label = str(label)

    @property
    def inputs(self):
        """The values this one was made from, in order, as a tuple (`a*a` has a twice)."""
        a, b = self._a, self._b
        if b is None:
            return () if a is None else (a,)
        if b is WEIGHTED:
            ws, xs, bias = a
            return ws + xs if bias is None else (*ws, *xs, bias)
        return a if b is MANY else (a, b)

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

    def __float__(self):
        return self.data

    def item(self):
        """The data as a float (PyTorch's tensor.item())."""
        return self.data

    def __round__(self, ndigits=None):
        return round(self.data, ndigits)

    def __format__(self, spec):
        """format(v, ".3f") formats the data; f"{v}" with no spec is repr(v)."""
        return format(self.data, spec) if spec else repr(self)

    def __pow__(self, other):
        """self ** n for a number n (powc: any base); self ** b for a Value b (pow: positive base)."""
        return _checked(POW if type(other) is Value else POWC, self, other)

    def __pos__(self):
        return self

    def detach(self):
        """A new leaf with the same data and label, cut from this value's history."""
        return Value(self.data, self.label)

    def backward(self):
        """Fill in d self / d v for every v this value was computed from.

        Leaves accumulate into their grad across calls (reset with `v.grad = 0.0`);
        intermediate values get this pass's grads. Every grad it writes is finite, or it
        raises ValueError naming the value where the chain rule left the floats (then the
        grads are incomplete: reset them before the next pass). The cyclic garbage collector
        is kept out of it (there is nothing for it to find: graphs have no cycles).
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            _propagate(_seed(self))
        finally:
            if collecting:
                gc.enable()


def _comparison(compare, symbol):
    def method(self, other):
        if type(other) is Value:
            other = other.data
        elif not _is_operand(other):
            return NotImplemented
        return compare(self.data, other)

    method.__name__ = method.__qualname__ = f"__{compare.__name__}__"
    method.__doc__ = f"self {symbol} other, on data: a bool; records nothing."
    return method


for _compare, _symbol in ((lt, "<"), (le, "<="), (gt, ">"), (ge, ">=")):
    setattr(Value, f"__{_compare.__name__}__", _comparison(_compare, _symbol))


# ---- making nodes


_new = object.__new__
_data = attrgetter("data")


def _node(op, data, a, b=None):
    """The one place a Value is made by an op: the row, its output, its inputs (a, or a and b,
    or in a as b = MANY or WEIGHTED says).

    Inside `with no_grad():` in this thread it records nothing: a leaf holding the output.
    """
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    if _paused and get_ident() in _paused:
        out.op = INPUT
        out._a = out._b = None
    else:
        out.op = op
        out._a = a
        out._b = b
    return out


def constant(x):
    """A number written in an expression (2 in `2*x`), as a constant leaf: drawn as a small box."""
    out = _node(CONST, _real(x, "a constant"), None)
    out.op = CONST
    return out


def _method(op, reflected):
    """The Value method for a row: checks only what the row says can go wrong.

    A row with a domain checks its inputs and one that can overflow its output, except the
    operators + - *: checking their result on the hot path would cost a tenth of every
    forward, and their overflow (to inf; they never raise) is refused by backward instead.
    """
    if op.domain is not None or (op.overflows and op.arity != 2):
        method = _checked_method(op, reflected)
    else:
        method = _fast_method(op, reflected)
    operands = ("self",) if op.arity == 1 else ("other", "self") if reflected else ("self", "other")
    method.__doc__ = f"{op.name}({', '.join(operands)}); {op.rule}"
    return method


def _fast_method(op, reflected):
    forward = op.forward
    if op.arity == 1:

        def method(self):
            return _node(op, forward(self.data), self)

    else:

        def method(self, other):
            if type(other) is not Value:
                if not _is_operand(other):
                    return NotImplemented
                other = constant(other)
            if reflected:
                self, other = other, self
            return _node(op, forward(self.data, other.data), self, other)

    return method


def _checked_method(op, reflected):
    if op.arity == 1:

        def method(self):
            return _checked(op, self)

    else:

        def method(self, other):
            return _checked(op, other, self) if reflected else _checked(op, self, other)

    return method


def _checked(op, *operands):
    """op on Values or numbers, refusing what its row says it cannot take; NotImplemented (so
    that Python raises its own TypeError) when an operand is neither."""
    if not all(type(x) is Value or _is_operand(x) for x in operands):
        return NotImplemented
    return _apply(op, operands)


def _apply(op, operands):
    """Run op forward on the operands (Values or numbers), check it, and record the node."""
    for x in operands:
        if type(x) is not Value and not _is_operand(x):
            raise TypeError(f"{op.name} takes Values or real numbers, not {type(x).__name__} {x!r}")
    inputs = tuple(x if type(x) is Value else constant(x) for x in operands)
    xs = [x.data for x in inputs]
    refused = op.domain is not None and not op.domain[0](*xs)  # the row says what it needs
    try:
        data = op.forward(*xs)
    except OverflowError:
        data = math.inf
    except (ArithmeticError, ValueError) as e:  # the floats refuse too: a ZeroDivisionError stays one
        error = DivisionByZero if isinstance(e, ZeroDivisionError) else DomainError
        raise error(f"{_show(op, xs)}: {op.domain[1]}" if refused else f"{_show(op, xs)} failed: {e}") from None
    if refused:  # where the floats give an answer all the same: (-8.0) ** (1/3) is complex
        raise DomainError(f"{_show(op, xs)}: {op.domain[1]}")
    if not math.isfinite(data):
        raise ValueError(f"{_show(op, xs)} overflows a float (largest: about 1.8e308)")
    if op.arity is not None:
        return _node(op, data, *inputs)
    if op is DOT:  # (w..., x..., bias) kept as engine.dot keeps them
        n = len(inputs) // 2
        return _node(op, data, (inputs[:n], inputs[n : 2 * n], inputs[-1] if len(inputs) % 2 else None), WEIGHTED)
    return _node(op, data, inputs, MANY)


def sum_values(values):
    """x1 + x2 + ... as one node with many inputs."""
    values = tuple(values)
    if not values:
        raise ValueError("sum needs at least one value; got none")
    try:
        total = SUM.forward(*map(_data, values))
    except AttributeError:  # numbers among the inputs, or something else
        total = math.nan
    if total - total != 0.0:  # that, or an overflow (inf or nan): _apply makes constants, or says what is wrong
        return _apply(SUM, values)
    return _node(SUM, total, values, MANY)


def dot(ws, xs, bias=None):
    """w1*x1 + w2*x2 + ... + bias as one node with many inputs (w..., x..., bias).

    The node keeps ws and xs as tuples: a tuple given is kept as it is (the neurons of a layer
    share the one of its inputs), anything else is copied.
    """
    ws, xs = tuple(ws), tuple(xs)
    n = len(ws)
    if n != len(xs) or not n:
        raise ValueError(f"dot needs as many weights as inputs, at least one; got {n} and {len(xs)}")
    try:  # its row's weighted sum, read straight from the inputs' data (the hot path of every network)
        total = -0.0  # adds nothing (-0.0 + x is x for every float), so this is exactly w1*x1 + w2*x2 + ...
        for w, x in zip(ws, xs):  # a loop, not reduce(add, map(mul, ...)): a third faster in CPython 3.11
            total += w.data * x.data
        if bias is not None:
            total += bias.data
    except AttributeError:  # numbers among the inputs, or something else
        total = math.nan
    if total - total != 0.0:  # that, or an overflow (inf or nan): _apply makes constants, or says what is wrong
        return _apply(DOT, ws + xs if bias is None else (*ws, *xs, bias))
    return _node(DOT, total, (ws, xs, bias), WEIGHTED)


# ---- backward


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
    """The chain rule, node by node: grad x (d node / d input) added to each input's grad.

    dot, most of a network's backward, reads its local derivatives (x_i for w_i, w_i for x_i,
    1 for the bias) straight from its inputs instead of building the tuple its row's `local`
    returns: the same floats added in the same order (so compile's replay matches it bit for
    bit), in about half the time.

    A value whose grad is 0 passes nothing on: every term it would add is 0 (or -0.0), and
    adding a zero leaves a grad as it is (a grad is never -0.0 unless set so by hand). In a relu
    network that is most of the backward: a unit that is off passes 0 to the dot below it, and
    a sample past the hinge's margin passes 0 to all of its graph. So a path whose grad is 0
    contributes 0 even where its local derivative overflowed (0 x inf would be nan).

    Every grad written is also added to `written`: a sum stays inf or nan once a term is, so
    a finite sum at the end means every grad written was finite (one addition instead of a
    test per grad). A sum that is not finite sends _not_finite looking for the value to name.
    """
    written = 0.0
    for v in nodes:
        g = v.grad
        if g == 0.0:
            continue
        a, b = v._a, v._b
        try:
            if b is None:
                (da,) = v.op.local(v.data, a.data)
                a.grad = ga = a.grad + da * g
                written += ga
            elif b is WEIGHTED:  # dot: its row's local derivatives, read straight from the inputs, in order
                ws, xs, bias = a
                for w, x in zip(ws, xs):  # d/dw_i = x_i
                    w.grad = gw = w.grad + x.data * g
                    written += gw
                for w, x in zip(ws, xs):  # d/dx_i = w_i
                    x.grad = gx = x.grad + w.data * g
                    written += gx
                if bias is not None:  # d/db = 1
                    bias.grad = gb = bias.grad + g
                    written += gb
            elif b is MANY:
                for x, d in zip(a, v.op.local(v.data, *map(_data, a))):
                    x.grad = gx = x.grad + d * g
                    written += gx
            else:
                da, db = v.op.local(v.data, a.data, b.data)
                a.grad = ga = a.grad + da * g
                b.grad = gb = b.grad + db * g
                written += ga + gb
        except ArithmeticError as e:
            raise _backward_error(v, "is not finite") from e
    if written - written != 0.0:
        _not_finite(nodes)


def _not_finite(nodes):
    """Raise naming the first value (in backward order) that wrote a grad that is not finite.

    Values come before their inputs, so a value's grad is complete when it is reached. Returns
    if every grad is finite after all (the check's sum itself overflowed).
    """
    leaves = []
    for v in nodes:
        g = v.grad
        if not math.isfinite(g):
            raise _backward_error(v, f"cannot be taken: the grads it got add up to {g!r}")
        if g == 0.0:  # it passed nothing on
            continue
        for i, (x, d) in enumerate(zip(v.inputs, v.op.local(v.data, *map(_data, v.inputs)))):
            if not math.isfinite(d * g):
                raise _backward_error(v, f"times its grad is not finite: input {i + 1} gets "
                                         f"{d!r} x {g!r} = {d * g!r}")
            if x._a is None:
                leaves.append(x)
    for x in leaves:
        if not math.isfinite(x.grad):
            raise ValueError(f"backward: the grad of {_show_leaf(x)} adds up to {x.grad!r}, past the largest float")


def _backward_error(v, what):
    """backward: the derivative of <the op on its inputs' data> <what> (at <label>)."""
    at = f" (at {v.label})" if v.label else ""
    return ValueError(f"backward: the derivative of {_show(v.op, [x.data for x in v.inputs])} {what}{at}")


def backward_steps(root):
    """backward() one node at a time: yields each value after passing its grad to its inputs.

    Seeds d root / d root = 1, then walks the values that have inputs in backward_order;
    a demo can stop after any step and show the grads filled in so far.
    """
    for v in _seed(root):
        _propagate((v,))
        yield v


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


def find(wanted, labels, position, what, graph):
    """The index of `wanted` among a graph's values, numbered by position ({id(value): index}) and
    labelled `labels`: a Value of the graph, or the label of exactly one. draw()'s highlight= and
    the quiz's wrt= take a value so.

    Otherwise ValueError, its message starting `what=wanted` ("draw: highlight='w9'", "wrt='q'");
    `graph` names the graph there (its root's name, "the output"). Call it while the graph is
    alive, so that an id names one of its Values.
    """
    if isinstance(wanted, str):
        found = [i for i, label in enumerate(labels) if label == wanted]
        if len(found) != 1:
            how = "no value in this graph has" if not found else f"{len(found)} values in this graph have"
            raise ValueError(f"{what}={wanted!r}: {how} that label; pass the Value itself")
        return found[0]
    if id(wanted) not in position:
        raise ValueError(f"{what}={wanted!r} is not part of the graph of {graph}")
    return position[id(wanted)]


def _interior_order(root):
    """The values with inputs that root depends on, root first, each before its inputs.

    Depth-first with an explicit stack (no recursion limit), holding values and, under a
    value whose inputs are being explored, a None: popping the None finishes the value, and
    the reverse of the finishing order is a topological order. Leaves are left out (they pass
    nothing on). A value's inputs are pushed first to last, so the first is explored last and
    comes first in the end.
    """
    if root._a is None:
        return []
    finished = []
    seen = set()  # Values hash by identity
    stack = [root]
    while stack:
        v = stack.pop()
        if v is None:
            finished.append(stack.pop())
        elif v not in seen:
            seen.add(v)
            stack.append(v)
            stack.append(None)
            a, b = v._a, v._b
            if b is WEIGHTED:  # a dot: its weights, inputs and bias in one tuple, as a sum holds its inputs
                ws, xs, bias = a
                a, b = ws + xs if bias is None else (*ws, *xs, bias), MANY
            for x in a if b is MANY else (a,) if b is None else (a, b):
                if x._a is not None and x not in seen:  # x has inputs, and is not met yet
                    stack.append(x)
    finished.reverse()
    return finished


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


# ---- numbers


def _show(op, xs):
    if len(xs) == 2 and op.kind == "operator":
        return f"{xs[0]!r} {op.symbol} {xs[1]!r}"
    if len(xs) == 1 and op.kind == "operator":
        return f"{op.symbol}{xs[0]!r}"
    return f"{op.name}({', '.join(map(repr, xs))})"


def _show_leaf(x):
    return f"{x.label} = {x.data!r}" if x.label else f"the leaf {x.data!r}"


def _is_operand(x):
    """A number a Value can take: a real number, not a bool."""
    return type(x) is float or type(x) is int or (isinstance(x, Real) and not isinstance(x, bool))


def _real(x, where):
    if type(x) is not float:
        if type(x) is not int and (isinstance(x, bool) or not isinstance(x, Real)):
            raise TypeError(f"{where} takes a real number (int or float), not {type(x).__name__} {x!r}")
        try:
            x = float(x)
        except OverflowError:
            raise ValueError(f"{where} takes a finite number; this {type(x).__name__} is too large for a "
                             f"float (largest: about 1.8e308)") from None
    if not math.isfinite(x):
        raise ValueError(f"{where} takes a finite number, not {x!r}")
    return x


# ---- Value's op methods, from the table


def _bind(op):
    """Give Value the methods a row of the table names (this loop's body; a test adds a row)."""
    for name, reflected in zip(op.methods, (False, True)):
        if name is not None:
            method = _method(op, reflected)
            method.__name__ = name
            method.__qualname__ = f"Value.{name}"
            setattr(Value, name, method)


for _op in PRIMITIVES.values():
    _bind(_op)
