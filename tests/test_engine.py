"""The engine: every primitive and composed expressions against central differences, the graph's
bookkeeping (repeated operands, accumulation, no_grad), depth, memory, and bad input."""
import gc
import math
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import engine
from chainrule.engine import PRIMITIVES, DomainError, Primitive, Value, backward_order, backward_steps, gradcheck, no_grad
from chainrule.engine.value import apply


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
def expression_trees(unary, binary, max_leaves, shared=False):
    """Random expressions over three variables: 0, 1, 2, or (op name, subtree, ...); shared=True
    also uses one subtree twice, ("*", t, t)."""

    def grow(sub):
        options = [st.tuples(st.sampled_from(sorted(unary)), sub), st.tuples(st.sampled_from(sorted(binary)), sub, sub)]
        return st.one_of(*options, *([sub.map(lambda t: ("*", t, t))] if shared else []))

    return st.recursive(st.integers(0, 2), grow, max_leaves=max_leaves)


def evaluate(tree, xs, unary=UNARY, binary=BINARY, squash=True):
    """The tree on Values xs; squash=True keeps each subresult in (-2, 2), where floats are honest."""
    if isinstance(tree, int):
        return xs[tree]
    op, *args = tree
    values = [evaluate(a, xs, unary, binary, squash) for a in args]
    out = (unary[op] if op in unary else binary[op])(*values)
    return out.tanh() * 2 if squash else out


trees = expression_trees(UNARY, BINARY, max_leaves=8, shared=True)


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


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_backward_order_is_topological_where_dots_share_their_tuples(picks):
    """engine.dot keeps a tuple it is given as it is (a layer's neurons share their inputs'): with
    tuples shared every which way (weights that are computed, a bias that is itself a dot of the
    same tuples, explored first), the order has each value once, before its inputs."""
    values = [Value(0.5, "x0"), Value(-1.0, "x1")]
    tuples = [tuple(values)]
    for i, j, k in picks:
        kind = k % 3
        if kind == 0:  # a dot over two pairs made before; its bias, if any, maybe a dot of the same pairs
            ws, xs = tuples[i % len(tuples)], tuples[j % len(tuples)]
            bias = values[(i + j) % len(values)] if k % 2 else None
            values.append(engine.dot(ws, xs, bias))
        elif kind == 1:
            values.append((values[i % len(values)] * values[j % len(values)]).tanh())
        else:  # a new pair of values made so far, for later dots to share
            tuples.append(tuple(values[-1 - (m % len(values))] for m in (i, j)))
    root = engine.sum(values[2:] or values)
    order = backward_order(root)
    position = {id(v): n for n, v in enumerate(order)}
    assert len(position) == len(order) and order[0] is root
    for v in order:
        for x in v.inputs:
            assert position[id(x)] > position[id(v)]  # every consumer before its inputs
    expected = set()  # every value root depends on, found the slow way
    todo = [root]
    while todo:
        v = todo.pop()
        if id(v) not in expected:
            expected.add(id(v))
            todo.extend(v.inputs)
    assert set(position) == expected

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
        (lambda: Value(1.0) / Value(0.0), DomainError, ["1.0 / 0.0", "division by zero"]),
        (lambda: Value(1.0) / 0, ValueError, ["1.0 / 0.0", "division by zero"]),
        (lambda: Value(800.0).exp(), ValueError, ["exp(800.0)", "overflows"]),
        (lambda: Value(-8.0) ** (1 / 3), DomainError, ["-8.0 **", "whole exponent"]),
        (lambda: Value(0.0) ** -1, ValueError, ["0.0 ** -1.0", "negative power"]),
        (lambda: Value(10**400), ValueError, ["Value()", "too large for a float"]),
        (lambda: Value(2.0) ** "a", TypeError, ["**", "'Value' and 'str'"]),
        (lambda: Value(2.0) < "a", TypeError, ["<", "'Value' and 'str'"]),
        (lambda: Value(1.0) + "a", TypeError, ["+", "'Value' and 'str'"]),
        (lambda: engine.sum([Value(1.0), "a"]), TypeError, ["sum", "str"]),
        (lambda: engine.dot([1, 2], [3]), ValueError, ["dot", "2 and 1"]),
        (lambda: engine.sum([]), ValueError, ["sum", "none"]),
        (lambda: engine.dot([Value(1e200)], [Value(1e200)]), ValueError, ["dot(1e+200, 1e+200)", "overflows"]),
        (lambda: (Value(0.0) ** 0.5).backward(), ValueError, ["backward", "0.0 ** 0.5"]),
        (lambda: Value(1e200) * 1e200, ValueError, ["mul", "1e+200 * 1e+200", "overflows"]),
    ],
)
def test_bad_input_raises_a_clear_error(make, error, words):
    with pytest.raises(error) as caught:
        make()
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize("make, by_zero", [
    (lambda: Value(1.0) / 0, True), (lambda: 1 / Value(0.0), True), (lambda: Value(0.0) ** -1, True),
    (lambda: Value(0.0).log(), False), (lambda: Value(-1.0).sqrt(), False), (lambda: Value(-8.0) ** (1 / 3), False),
])
def test_a_division_by_zero_is_caught_as_the_same_floats_would_be(make, by_zero):
    """Every op outside its domain raises DomainError (a ValueError); where Python's floats
    raise ZeroDivisionError (1.0 / 0, 0.0 ** -1), `except ZeroDivisionError` catches ours too."""
    with pytest.raises(DomainError) as caught:
        make()
    assert isinstance(caught.value, ZeroDivisionError) is by_zero
    assert isinstance(caught.value, engine.DivisionByZero) is by_zero


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


signed_reals = st.one_of(st.sampled_from([0.0, -0.0]), reals(-1e3, 1e3))


@given(st.lists(st.tuples(signed_reals, signed_reals), min_size=1, max_size=20), signed_reals)
@settings(max_examples=200, deadline=None)
def test_dot_is_the_chain_of_plus_and_times_to_the_last_bit(pairs, bias):
    """engine.dot sums its inputs' data in a loop of its own; its row's forward (the path of
    numbers among the inputs) and the chain of + and * give the very same float, -0.0 too."""
    ws, xs = [Value(w) for w, _ in pairs], [Value(x) for _, x in pairs]
    chain = ws[0] * xs[0]
    for w, x in zip(ws[1:], xs[1:]):
        chain = chain + w * x
    floats = [w for w, _ in pairs] + [x for _, x in pairs]
    assert engine.dot(ws, xs).data.hex() == chain.data.hex() == PRIMITIVES["dot"].forward(*floats).hex()
    b = Value(bias)
    assert (engine.dot(ws, xs, b).data.hex() == (chain + b).data.hex()
            == PRIMITIVES["dot"].forward(*floats, bias).hex())


def test_dot_takes_numbers_as_constants_and_keeps_its_own_copy_of_a_list():
    w, x = Value(0.5, "w"), Value(-2.0, "x")
    ws, xs = [w, 3], (x, 4.0)
    out = engine.dot(ws, xs, 1)
    assert out.data == 0.5 * -2.0 + 3 * 4.0 + 1
    assert [v.op.name for v in out.inputs] == ["input", "const", "input", "const", "const"]
    assert out.inputs[0] is w and out.inputs[2] is x
    ws[0] = Value(9.0)  # the node holds a copy of the list it was given
    assert out.inputs[0] is w
    out.backward()
    assert (w.grad, x.grad) == (-2.0, 0.5)
    with pytest.raises(TypeError, match="dot takes Values or real numbers, not str"):
        engine.dot([w, "a"], [x, x])


# ---- the habits users bring from floats and PyTorch


def test_float_item_round_and_format_read_the_data():
    v = Value(2.375, "v")
    assert float(v) == 2.375 and v.item() == 2.375 and type(v.item()) is float
    assert round(v) == 2 and type(round(v)) is int
    assert round(v, 2) == 2.38
    assert format(v, ".3f") == "2.375" and f"{v:.1f}" == "2.4" and f"{v:+.2e}" == "+2.38e+00"
    assert f"{v}" == repr(v) == "Value(v: data=2.375, grad=0)"
    assert math.exp(v) == math.exp(2.375)  # anything that takes a float


def test_comparisons_read_the_data_and_record_nothing():
    a, b = Value(1.0), Value(2.0)
    results = [a < b, a <= 1, b > a, b >= 2.5, 3 > a, 0.5 >= a, a < True + 1.5]
    assert results == [True, True, True, False, True, False, True]
    assert all(type(r) is bool for r in results)
    assert a.inputs == () and a.grad == 0.0 and b.grad == 0.0
    assert sorted([b, a]) == [a, b] and max(a, b) is b


def test_equality_and_hash_stay_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b and a == 1.0  # with a number, == is on data (issue 18 part 6)
    assert len({a, b}) == 2 and {a: "a"}[a] == "a"
    assert "identity" in Value.__doc__


def test_comparisons_refuse_what_is_not_a_number():
    for other in ("1", None, [1.0], True):
        with pytest.raises(TypeError):
            Value(1.0) < other


def test_gradcheck_takes_values_and_leaves_their_grads_alone():
    x = Value(2.0, "x")
    x.grad = 7.0
    report = gradcheck(lambda a, b: a * b.exp(), x, 0.5)
    assert report.ok and report.analytic == (math.exp(0.5), 2.0 * math.exp(0.5))
    assert x.grad == 7.0 and x.data == 2.0


# ---- no_grad per thread


def test_no_grad_in_one_thread_leaves_another_thread_recording():
    inside, leave = threading.Event(), threading.Event()

    def infer():
        with no_grad():
            inside.set()
            leave.wait(10)

    other = threading.Thread(target=infer)
    other.start()
    assert inside.wait(10)
    x = Value(2.0)
    y = x * 3 + 1  # this thread never entered no_grad
    leave.set()
    other.join()
    assert y.inputs[0].inputs[0] is x


def test_no_grad_blocks_that_end_out_of_order_in_two_threads_leave_recording_on():
    steps = [threading.Event() for _ in range(4)]

    def block(enter_after, entered, exit_after, exited):
        if enter_after:
            steps[enter_after].wait(10)
        with no_grad():
            assert Value(1.0).exp().inputs == ()  # nothing recorded inside
            steps[entered].set()
            steps[exit_after].wait(10)
        if exited is not None:
            steps[exited].set()

    # A enters, B enters, A exits, B exits: the order a single global flag gets wrong
    a = threading.Thread(target=block, args=(0, 1, 2, 3))
    b = threading.Thread(target=block, args=(1, 2, 3, None))
    a.start()
    b.start()
    a.join(10)
    b.join(10)
    assert all(step.is_set() for step in steps[1:])
    x = Value(2.0)
    assert (x * x).inputs == (x, x)


def test_no_grad_nests():
    x = Value(2.0)
    with no_grad():
        with no_grad():
            assert (x * 2).inputs == ()
        assert (x * 2).inputs == ()
    assert (x * 2).inputs[0] is x


# ---- every grad backward writes is finite, or it raises naming the value


@pytest.mark.parametrize("inputs, build, words", [
    ([1e200, 1e-200, 1e200], lambda x, y, z: (x * y) * z, ["1e+200 * 1e-200", "1e+200 x 1e+200 = inf"]),
    ([5e-324], lambda x: x.log(), ["log(5e-324)", "inf"]),  # 1/a past the largest float
    ([1e-300, 5e-324], lambda a, b: (a / b).named("q"), ["1e-300 / 5e-324", "(at q)"]),
])
def test_backward_raises_naming_the_value_where_a_grad_stops_being_finite(inputs, build, words):
    leaves = [Value(x) for x in inputs]
    out = build(*leaves)
    assert math.isfinite(out.data)
    with pytest.raises(ValueError) as caught:
        out.backward()
    for word in ["backward: the derivative of", "not finite", *words]:
        assert word in str(caught.value)


EXTREMES = st.sampled_from([0.0, 5e-324, -5e-324, 1e-300, 1e-160, 0.5, -2.0, 1e160, 1e200, 1e300, -1e300])
EXTREME_UNARY = {
    "exp": Value.exp, "log": lambda e: abs(e).log() if e.data else e, "sqrt": lambda e: abs(e).sqrt(),
    "tanh": Value.tanh, "sigmoid": Value.sigmoid, "relu": Value.relu, "neg": lambda e: -e,
    "square": lambda e: e**2, "cube_root": lambda e: abs(e) ** (1 / 3), "zeroth": lambda e: e**0,
}
EXTREME_BINARY = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b.data else a, "dot": lambda a, b: engine.dot([a, b], [b, a], a),
    "sum": lambda a, b: engine.sum([a, b, a]),
}
extreme_trees = expression_trees(EXTREME_UNARY, EXTREME_BINARY, max_leaves=6)


@given(extreme_trees, st.tuples(EXTREMES, EXTREMES, EXTREMES))
@settings(max_examples=400, deadline=None)
def test_every_grad_backward_writes_is_finite_or_it_raises(tree, xs):
    """Every op the same way: near the ends of the floats a forward may refuse, and a backward
    may raise ValueError; if it does not, every grad it wrote is a finite number."""
    leaves = [Value(x) for x in xs]
    try:
        out = evaluate(tree, leaves, EXTREME_UNARY, EXTREME_BINARY, squash=False)
        out.backward()
    except ValueError:
        return
    assert all(math.isfinite(v.grad) for v in backward_order(out)), tree


def test_x_to_the_zero_at_zero_has_grad_zero_and_the_square_root_there_stays_an_error():
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0
    for root in (Value(0.0) ** 0.5, Value(0.0).sqrt()):
        with pytest.raises(ValueError, match="not finite"):
            root.backward()




# ---- issue 17: nothing silently wrong


@pytest.mark.parametrize("x", [1e12, 1e10, 1e-7, -1e-7, 3.0])
def test_issue17_item5_gradcheck_scales_its_step_to_the_input_and_says_it(x):
    report = gradcheck(lambda a: (a * a).log(), x)
    assert report, str(report)
    assert report.analytic[0] == pytest.approx(2 / x, rel=1e-12)
    assert report.steps[0] <= 1e-6 * max(1.0, abs(x)) and f"(step {report.steps[0]:.3g})" in str(report)
    assert gradcheck(lambda a: a * 3, 1e10) and gradcheck(lambda a: a.sigmoid(), 1e-7)


WRONG_SQUARE = Primitive("wrong_square", "wrong_square", lambda a: a * a, lambda out, a: (3.0 * a,),
                         "d/da = 3a (wrong: it is 2a)", kind="function", arity=1)


@pytest.mark.parametrize("x", [1e12, 1e10, 2.0, -3.0])  # (at 1e-7 an error of 1e-7 is within tolerance)
def test_issue17_item5_gradcheck_still_finds_a_wrong_grad_at_any_scale(x):
    bad = gradcheck(lambda a: apply(WRONG_SQUARE, a), x)
    assert not bad and "MISMATCH" in str(bad) and bad.numeric[0] == pytest.approx(2 * x, rel=1e-6)


def test_issue17_item10_a_constants_grad_is_neither_needed_nor_checked():
    w = Value(1.0, "w")
    ((1e-300 * w) * 1e300).backward()
    assert w.grad == pytest.approx(1.0)
    x = Value(709.0, "x")
    y = math.e ** x
    y.backward()
    assert x.grad == y.data and math.isfinite(x.grad)
    x = Value(1020.0, "x")
    y = 2 ** x
    y.backward()
    assert y.data == pytest.approx(1.12e307, rel=5e-3) and x.grad == pytest.approx(7.79e306, rel=5e-3)  # torch's, to 3 digits


def test_issue17_item10_a_grad_that_an_input_needs_is_still_checked():
    x = Value(1e-200, "x")
    with pytest.raises(ValueError, match="not finite"):
        ((x * 1e200) * 1e200).backward()  # d/dx = 1e400: past the largest float


def test_issue17_item15_sum_and_dot_take_exactly_what_value_takes():
    np = pytest.importorskip("numpy")
    x = Value(2.0)
    assert engine.sum([x, np.float64(1.5)]).data == 3.5 and engine.dot([np.float64(2.0)], [x], np.int64(1)).data == 5.0

    class HasData:
        data = 1.0

    for odd in (HasData(), "1", None, True):
        makers = [lambda: engine.sum([x, odd]), lambda: engine.dot([x], [odd])]
        for make in makers + ([lambda: engine.dot([x], [x], odd)] if odd is not None else []):  # bias None: none
            with pytest.raises(TypeError, match=f"(sum|dot) takes Values or real numbers, not {type(odd).__name__}"):
                make()
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="not Tensor"):
        engine.sum([x, torch.tensor(1.0)])


def test_issue17_item17_subclasses_of_value_work_in_every_operator():
    class V(Value):
        __slots__ = ()

    a, b = V(2.0), V(3.0)
    for out, data in [(a + b, 5.0), (a * b, 6.0), (a - b, -1.0), (a / b, 2 / 3), (Value(2.0) ** b, 8.0),
                      (a ** b, 8.0), (2 ** b, 8.0), (a ** 2, 4.0), (engine.sum([a, b]), 5.0)]:
        assert out.data == pytest.approx(data) and out.inputs[-1] is b or out.inputs[-1].op.name == "const"
    (a * b).backward()
    assert (a.grad, b.grad) == (3.0, 2.0)


def deep_chain(n):
    x = Value(0.5, "x")
    y = x
    for i in range(n):
        y = y * 1.0 + 0.0 if i % 2 else (y * 0.5).named(f"h{i}") + 0.25
    return x, y


def test_issue17_item19_deepcopy_of_a_100000_deep_graph():
    import copy

    x, y = deep_chain(100_000)
    copied = copy.deepcopy(y)
    order, copied_order = backward_order(y), backward_order(copied)
    assert len(order) == len(copied_order) and not {id(v) for v in order} & {id(v) for v in copied_order}
    assert [(v.op, v.data, v.label) for v in order] == [(v.op, v.data, v.label) for v in copied_order]
    copied.backward()
    y.backward()
    assert copied_order[-1].label == "x" or any(v.label == "x" for v in copied_order)
    assert [v.grad for v in order] == [v.grad for v in copied_order]
    pair = copy.deepcopy([x, y])  # one graph: the copied x is the copied y's leaf
    assert any(v is pair[0] for v in backward_order(pair[1]))


def test_issue17_item19_pickle_of_a_graph_of_any_depth():
    import pickle

    w = Value(-2.0, "w", param=True)
    out = (w * Value(0.5, "x") + 1.5).tanh().named("out")
    loaded_w, loaded = pickle.loads(pickle.dumps([w, out]))
    assert loaded.label == "out" and loaded.op is out.op and loaded.data == out.data
    loaded.backward()
    out.backward()
    assert loaded_w.grad == w.grad and any(v is loaded_w for v in backward_order(loaded))  # the leaf is shared
    _, deep = deep_chain(100_000)
    again = pickle.loads(pickle.dumps(deep))
    assert again.data == deep.data and len(backward_order(again)) == len(backward_order(deep))


def test_issue17_item21_a_label_of_none_is_no_label():
    assert Value(1.0, None).label == "" and repr(Value(1.0, None)) == "Value(data=1, grad=0)"
    assert Value(1.0, 0).label == "0"
