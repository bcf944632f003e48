"""The engine: every primitive and composed expressions against central differences, the graph's
bookkeeping (repeated operands, accumulation, no_grad), depth, memory, and bad input."""
import gc
import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import engine
from chainrule.engine import PRIMITIVES, Value, backward_order, backward_steps, gradcheck, no_grad


def reals(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo, hi):
    """Floats with lo <= |x| <= hi, either sign: away from kinks (relu, abs) and poles (1/x)."""
    return st.tuples(reals(lo, hi), st.booleans()).map(lambda t: -t[0] if t[1] else t[0])


# Each primitive: how to call it on Values, and where its inputs may come from.
PRIMITIVE_CASES = {
    "add": (lambda a, b: a + b, [reals(-10, 10), reals(-10, 10)]),
    "sub": (lambda a, b: a - b, [reals(-10, 10), reals(-10, 10)]),
    "mul": (lambda a, b: a * b, [reals(-10, 10), reals(-10, 10)]),
    "div": (lambda a, b: a / b, [reals(-10, 10), away_from_zero(0.2, 10)]),
    "neg": (lambda a: -a, [reals(-10, 10)]),
    "powc": (lambda a: a**2.5, [reals(0.1, 5)]),
    "pow": (lambda a, b: a**b, [reals(0.1, 5), reals(-3, 3)]),
    "exp": (lambda a: a.exp(), [reals(-10, 10)]),
    "log": (lambda a: a.log(), [reals(0.05, 100)]),
    "sqrt": (lambda a: a.sqrt(), [reals(0.05, 100)]),
    "tanh": (lambda a: a.tanh(), [reals(-5, 5)]),
    "sigmoid": (lambda a: a.sigmoid(), [reals(-10, 10)]),
    "relu": (lambda a: a.relu(), [away_from_zero(1e-3, 10)]),
    "abs": (lambda a: abs(a), [away_from_zero(1e-3, 10)]),
    "sum": (lambda a, b, c: engine.sum([a, b, c]), [reals(-10, 10)] * 3),
    "dot": (lambda w1, w2, x1, x2, b: engine.dot([w1, w2], [x1, x2], b), [reals(-5, 5)] * 5),
}


def test_every_primitive_is_checked():
    leaves = {"input", "param", "const"}
    assert set(PRIMITIVE_CASES) == set(PRIMITIVES) - leaves


@pytest.mark.parametrize("name", sorted(PRIMITIVE_CASES))
def test_primitive_matches_central_differences(name):
    f, inputs = PRIMITIVE_CASES[name]

    @settings(max_examples=60, deadline=None)
    @given(st.tuples(*inputs))
    def check(xs):
        out = f(*[Value(x) for x in xs])
        assert out.op.name == name  # the case really exercises this primitive
        report = gradcheck(f, *xs)
        assert report, str(report)

    check()


@given(away_from_zero(0.2, 3), st.integers(-3, 4))
@settings(max_examples=60, deadline=None)
def test_integer_power_of_a_negative_base(a, n):
    assert gradcheck(lambda x: x**n, a)


# Random composed expressions over three variables: repeated operands come naturally.
UNARY = {
    "tanh": lambda e: e.tanh(),
    "sigmoid": lambda e: e.sigmoid(),
    "softplus": lambda e: (1 + e.exp()).log(),
    "smooth_sqrt": lambda e: (1 + e * e).sqrt(),
    "square": lambda e: e**2,
    "neg": lambda e: -e,
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / (1 + b * b),
    "pow": lambda a, b: (1 + a * a) ** b.tanh(),
    "dot": lambda a, b: engine.dot([a, b], [b, a], a),
    "sum": lambda a, b: engine.sum([a, b, a]),
}
trees = st.recursive(
    st.integers(0, 2),
    lambda sub: st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY)), sub),
        st.tuples(st.sampled_from(sorted(BINARY)), sub, sub),
        sub.map(lambda t: ("*", t, t)),  # the same subtree used twice
    ),
    max_leaves=8,
)


def evaluate(tree, xs):
    if isinstance(tree, int):
        return xs[tree]
    op, *args = tree
    values = [evaluate(a, xs) for a in args]
    # squash each subresult so that deep trees stay in a range where floats are honest
    return (UNARY[op](*values) if op in UNARY else BINARY[op](*values)).tanh() * 2


@given(trees, st.tuples(reals(-2, 2), reals(-2, 2), reals(-2, 2)))
@settings(max_examples=200, deadline=None)
def test_composed_expressions_match_central_differences(tree, xs):
    report = gradcheck(lambda *v: evaluate(tree, v), *xs)
    assert report, f"{tree}: {report}"


def test_repeated_operands():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0
    b = Value(3.0)
    (b + b).backward()
    assert b.grad == 2.0
    c = Value(3.0)
    (c * c * c).backward()
    assert c.grad == 27.0
    d = Value(3.0)
    square = d * d
    assert square.inputs == (d, d)  # kept twice, in order


def test_grads_accumulate_across_backward_calls_and_reset():
    x = Value(2.0)
    y = x * x + x  # dy/dx = 2x + 1 = 5
    y.backward()
    y.backward()
    assert x.grad == 10.0
    assert y.inputs[0].grad == 1.0  # an intermediate holds this pass's grad, not a sum
    x.grad = 0.0
    y.backward()
    assert x.grad == 5.0


def test_leaf_backward_seeds_one():
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0


def test_no_grad_records_nothing():
    x = Value(2.0)
    with no_grad():
        y = (x * 3 + 1).tanh()
    assert y.inputs == () and y.op.name == "input"
    assert y.data == math.tanh(7.0)
    z = x * 3  # recording again after the block
    assert z.inputs[0] is x


def test_detach_cuts_history():
    x = Value(2.0, label="x")
    y = (x * 3).detach()
    assert y.inputs == () and y.data == 6.0
    (y * y).backward()
    assert x.grad == 0.0


def test_backward_order_is_deterministic_and_topological():
    def build():
        a, b = Value(1.0, "a"), Value(2.0, "b")
        c = a * b
        d = (c + a).tanh() * c
        return d

    orders = [[v.data for v in backward_order(build())] for _ in range(3)]
    assert orders[0] == orders[1] == orders[2]
    root = build()
    order = backward_order(root)
    position = {id(v): i for i, v in enumerate(order)}
    assert order[0] is root
    for v in order:
        for x in v.inputs:
            assert position[id(x)] > position[id(v)]  # every consumer comes before its inputs


def test_backward_steps_fill_grads_one_node_at_a_time():
    x, w = Value(2.0, "x"), Value(-1.0, "w", param=True)
    y = (w * x + 1).sigmoid()
    seen = []
    for node in backward_steps(y):
        seen.append((node, w.grad))
    assert [n for n, _ in seen] == [v for v in backward_order(y) if v.inputs]
    assert seen[0][1] == 0.0  # w's grad arrives only when the product node is passed
    assert seen[-1][1] == w.grad != 0.0


def test_million_node_chain_backprops_with_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
    assert len(backward_order(y)) == 2_000_001  # x, then a * node and its constant per link


def count_values():
    return sum(type(o) is Value for o in gc.get_objects())


def test_dropped_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        before = count_values()
        x = Value(1.5)
        y = x
        for _ in range(1000):
            y = (y * x).tanh() + 1
        y.backward()
        assert count_values() > before + 3000
        del x, y
        assert count_values() == before  # nothing left for the cycle collector
    finally:
        gc.enable()


def test_sigmoid_and_tanh_are_stable_at_large_inputs():
    for x in (1000.0, -1000.0):
        for f in (Value.sigmoid, Value.tanh):
            y = f(Value(x))
            y.backward()
            assert math.isfinite(y.data) and math.isfinite(y.grad)
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


def test_numbers_on_either_side():
    x = Value(4.0)
    assert [(2 + x).data, (x + 2).data, (2 - x).data, (x - 2).data] == [6.0, 6.0, -2.0, 2.0]
    assert [(2 * x).data, (x / 2).data, (2 / x).data, (x**0.5).data, (2**x).data] == [
        8.0,
        2.0,
        0.5,
        2.0,
        16.0,
    ]
    y = 2**x
    y.backward()
    assert x.grad == pytest.approx(16.0 * math.log(2.0))


def test_repr_and_label():
    w = Value(0.5, label="w1", param=True)
    assert repr(w) == "Value(w1: data=0.5, grad=0)"
    y = w * 2
    assert y.label == ""
    y.label = "h1"
    assert "h1" in repr(y) and w.op.name == "param" and Value(1).op.name == "input"
    z = (w * 3).named("o1")
    assert z.label == "o1" and z.inputs[0] is w


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: Value("a"), TypeError, ["Value()", "str", "'a'"]),
        (lambda: Value(None), TypeError, ["Value()", "NoneType"]),
        (lambda: Value(1 + 2j), TypeError, ["Value()", "complex"]),
        (lambda: Value(True), TypeError, ["Value()", "bool"]),
        (lambda: Value(float("nan")), ValueError, ["finite", "nan"]),
        (lambda: Value(-2.0) ** Value(2.0), ValueError, ["positive base", "-2.0"]),
        (lambda: Value(0.0).log(), ValueError, ["log", "0.0"]),
        (lambda: Value(-1.0).sqrt(), ValueError, ["sqrt", "-1.0"]),
        (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, ["1.0 / 0.0", "division by zero"]),
        (lambda: Value(1.0) / 0, ValueError, ["1.0 / 0.0", "division by zero"]),
        (lambda: Value(800.0).exp(), ValueError, ["exp(800.0)", "overflows"]),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, ["-8.0 **", "not a finite real"]),
        (lambda: Value(1.0) + "a", TypeError, ["+", "'Value' and 'str'"]),
        (lambda: engine.sum([Value(1.0), "a"]), TypeError, ["sum", "str"]),
        (lambda: engine.dot([1, 2], [3]), ValueError, ["dot", "2 and 1"]),
        (lambda: engine.sum([]), ValueError, ["sum", "none"]),
        (lambda: engine.dot([Value(1e200)], [Value(1e200)]), ValueError, ["dot", "not a finite"]),
        (lambda: (Value(0.0) ** 0.5).backward(), ValueError, ["backward", "0.0 ** 0.5"]),
        (lambda: (Value(1e200) * 1e200).backward(), ValueError, ["backward from inf", "overflowed"]),
    ],
)
def test_bad_input_raises_a_clear_error(make, error, words):
    with pytest.raises(error) as caught:
        make()
    for word in words:
        assert word in str(caught.value)


def test_gradcheck_catches_a_wrong_derivative(monkeypatch):
    tanh = PRIMITIVES["tanh"]
    assert gradcheck(lambda x: x.tanh(), 0.3)
    monkeypatch.setattr(tanh, "local", lambda out, a: (1.0 - out,))  # wrong on purpose
    report = gradcheck(lambda x: x.tanh(), 0.3)
    assert not report.ok
    assert "MISMATCH" in str(report)


def test_fused_dot_is_bit_identical_to_the_chain():
    ws = [Value(0.1), Value(-0.7), Value(0.3)]
    xs = [Value(1.7), Value(2.9), Value(-0.4)]
    b = Value(0.05)
    chain = ws[0] * xs[0] + ws[1] * xs[1] + ws[2] * xs[2] + b
    fused = engine.dot(ws, xs, b)
    assert fused.data == chain.data
    chain.backward()
    grads = [v.grad for v in ws + xs + [b]]
    for v in ws + xs + [b]:
        v.grad = 0.0
    fused.backward()
    assert [v.grad for v in ws + xs + [b]] == grads
