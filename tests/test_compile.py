"""compile(fn): the replay gives the same floats, bit for bit, as fn().backward(), and raises what it raises."""
import builtins
import contextlib
import io
import math
import pathlib
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule import Value, no_grad
from chainrule.engine import PRIMITIVES, dot
from chainrule.engine import sum as vsum
from chainrule.engine.compile import Compiled
from chainrule.nn import MLP, SGD, datasets, hinge, l2


def eager(fn):
    """The uncompiled path: build the graph, backward, the loss."""
    L = fn()
    L.backward()
    return L.data


def outcome(call, params):
    """What a call leaves: its loss (or the error it raised) and every grad, as exact bits (hex)."""
    try:
        result = call().hex()
    except (ValueError, TypeError, ArithmeticError) as e:
        result = (type(e), str(e))
    return result, [p.grad.hex() for p in params]


def twins(*xs):
    """Two sets of parameters with the same data: one for the compiled path, one for the plain one."""
    return [Value(x, param=True) for x in xs], [Value(x, param=True) for x in xs]


def refuse_fallback(monkeypatch):
    """From now on, fail if a call falls back to the uncompiled path: the replay must give the answer."""

    def refuse(self):
        raise AssertionError("the replay failed and the call fell back to the uncompiled path")

    monkeypatch.setattr(Compiled, "_uncompiled", refuse)


@pytest.fixture
def replay_only(monkeypatch):
    refuse_fallback(monkeypatch)


def reals(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


# Each row of the table: how to call it on parameters, and where they may lie.
CASES = {
    "add": (lambda a, b: a + b, [reals(-10, 10)] * 2),
    "sub": (lambda a, b: a - b, [reals(-10, 10)] * 2),
    "mul": (lambda a, b: a * b, [reals(-10, 10)] * 2),
    "div": (lambda a, b: a / b, [reals(-10, 10), reals(0.1, 10)]),
    "neg": (lambda a: -a, [reals(-10, 10)]),
    "powc": (lambda a: a**2.5, [reals(0.1, 5)]),
    "pow": (lambda a, b: a**b, [reals(0.1, 5), reals(-3, 3)]),
    "exp": (lambda a: a.exp(), [reals(-10, 10)]),
    "log": (lambda a: a.log(), [reals(0.01, 100)]),
    "sqrt": (lambda a: a.sqrt(), [reals(0.01, 100)]),
    "tanh": (lambda a: a.tanh(), [reals(-5, 5)]),
    "sigmoid": (lambda a: a.sigmoid(), [reals(-10, 10)]),
    "relu": (lambda a: a.relu(), [reals(-10, 10)]),  # the kink too: replay and backward use one rule
    "abs": (lambda a: abs(a), [reals(-10, 10)]),
    "sum": (lambda a, b, c: vsum([a, b, 3.0, c]), [reals(-10, 10)] * 3),
    # w2 is weight 2 and input 1: the order in which backward adds its two terms shows
    "dot": (lambda w1, w2, x, b: dot([w1, w2, 0.5], [w2, x, w1], b), [reals(-5, 5)] * 4),
}


def test_every_primitive_is_replayed():
    assert set(CASES) == set(PRIMITIVES) - {"input", "param", "const"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_primitive_replays_bit_for_bit(name, replay_only):
    f, inputs = CASES[name]

    @settings(max_examples=40, deadline=None)
    @given(st.tuples(*inputs))
    def check(xs):
        ours, theirs = twins(*xs)

        def loss(ps):  # the op's output used three times, a parameter beside it: grads add up
            y = f(*ps)
            assert y.op.name == name
            return y * y + ps[0] * y - 2 * y

        step = chainrule.compile(lambda: loss(ours))
        for _ in range(2):  # twice, without zeroing: grads accumulate the same way
            assert outcome(step, ours) == outcome(lambda: eager(lambda: loss(theirs)), theirs)

    check()


def two_moons_training(micrograd_style):
    """An MLP on two moons, SGD on hinge + L2: the loss as nn writes it, or as micrograd's demo does."""
    data = datasets.two_moons(40, noise=0.1, seed=2)
    model = MLP(2, [8, 8, 1], activation="relu", out_activation="linear", seed=3)
    params = model.parameters()

    def loss():
        scores = [model(x) for x in data.X]
        if micrograd_style:
            hinges = [(1 + -y * s).relu() for y, s in zip(data.y, scores)]
            return builtins.sum(hinges) * (1.0 / len(hinges)) + 1e-4 * builtins.sum(p * p for p in params)
        return hinge(scores, data.y) + 1e-4 * l2(params)

    return params, loss, SGD(params, lr=0.1, momentum=0.5)


@pytest.mark.parametrize("micrograd_style", [False, True])
def test_100_training_steps_give_the_same_losses_and_weights_bit_for_bit(micrograd_style, replay_only):
    params, loss, opt = two_moons_training(micrograd_style)
    plain = []
    for _ in range(100):
        L = loss()
        opt.zero_grad()
        L.backward()
        opt.step()
        plain.append(L.data)
    trained = [p.data.hex() for p in params]

    params, loss, opt = two_moons_training(micrograd_style)
    step = chainrule.compile(loss)
    compiled = []
    for _ in range(100):
        opt.zero_grad()
        compiled.append(step())
        opt.step()
    assert compiled[0] == plain[0] and compiled == plain  # same first loss, same history
    assert [p.data.hex() for p in params] == trained
    assert plain[-1] < plain[0] / 2  # it did train


def test_values_held_outside_fn_are_read_at_every_call(replay_only):
    (w, x), (w2, x2) = twins(0.5, 2.0)
    step = chainrule.compile(lambda: (w * x + 1).tanh())
    for data in (2.0, -3.0, 0.25):
        x.data = x2.data = data
        assert outcome(step, [w, x]) == outcome(lambda: eager(lambda: (w2 * x2 + 1).tanh()), [w2, x2])


def test_values_made_inside_fn_are_numbers_in_the_replay(replay_only):
    w = Value(3.0, param=True)
    step = chainrule.compile(lambda: w * Value(0.25) + 7)
    assert step() == 7.75 and w.grad == 0.25
    assert "0.25" in step.source and "7.0" in step.source


def test_a_loss_that_is_a_parameter_itself_gets_d_loss_d_loss_added(replay_only):
    w = Value(4.0, param=True)
    step = chainrule.compile(lambda: w)
    assert (step(), step(), w.grad) == (4.0, 4.0, 2.0)  # as w.backward() twice


def test_the_source_is_the_chain_rule_written_out():
    w, b = Value(2.0, param=True), Value(-1.0, param=True)
    step = chainrule.compile(lambda: (w * 3.0 + b).relu())
    assert step() == 5.0 and (w.grad, b.grad) == (3.0, 1.0)
    lines = [line.strip() for line in step.source.splitlines()]
    # w is v4, b is v3 (leaves are numbered after the values computed, as backward_order lists them)
    for line in ["v2 = v4 * 3.0", "v1 = v2 + v3", "v0 = v1 if v1 > 0.0 else 0.0",  # forward, inputs first
                 "g0 = 1.0", "g1 = (1.0 if v1 > 0.0 else 0.0) * g0", "g2 = g1", "g3 += g1", "g4 += 3.0 * g2"]:
        assert line in lines
    with pytest.raises(ValueError, match="call the compiled function once"):
        chainrule.compile(lambda: w * 2).source


# --- errors the plain path raises are raised, never turned into nan ---------------------------------------


@pytest.mark.parametrize("fn_of, recorded_at, then", [
    (lambda w: w.log() * 2, 1.0, -1.0),  # a domain error in the forward pass
    (lambda w: (w * 2).sqrt(), 1.0, 0.0),  # d sqrt(a) / da = 1 / (2 sqrt(0)): no finite grad
    (lambda w: ((w * w) * (w * w)).tanh(), 1.0, 1e200),  # w*w overflows; tanh hides it, backward does not
    (lambda w: (w * 1e300 * 1e300).relu() + w, 1e-300, -1.0),  # -inf inside, relu makes it 0
    (lambda w: 1 / w, 1.0, 0.0),  # division by zero
    (lambda w: w.exp(), 1.0, 1000.0),  # overflow
])
def test_the_replay_raises_or_returns_what_the_plain_path_does(fn_of, recorded_at, then):
    (w,), (w2,) = twins(recorded_at)
    step = chainrule.compile(lambda: fn_of(w))
    assert outcome(step, [w]) == outcome(lambda: eager(lambda: fn_of(w2)), [w2])
    w.data = w2.data = then
    assert outcome(step, [w]) == outcome(lambda: eager(lambda: fn_of(w2)), [w2])


def test_a_failed_replay_writes_no_grads_before_the_plain_path_runs(monkeypatch):
    w = Value(1.0, param=True)
    step = chainrule.compile(lambda: w.log() + w)
    step()
    assert w.grad == 2.0
    w.data = -1.0
    seen = []
    monkeypatch.setattr(Compiled, "_uncompiled", lambda self: seen.append(w.grad))
    step()
    assert seen == [2.0]  # untouched by the replay that failed


# --- what cannot be replayed: said, caught where possible ---------------------------------------------------


def branchy(w):
    return w * 2 if w.data > 0 else w * 3  # Python looking at a number: not in the graph


def cut(w):
    return w * w.detach()  # a number made from w, not recorded as made from it


@pytest.mark.parametrize("fn_of, recorded, replayed, checked", [
    (branchy, (2.0, 2.0), (-2.0, 2.0), (-3.0, 3.0)),  # (loss, w.grad) at w = 1, then at w = -1
    (cut, (1.0, 1.0), (-1.0, 1.0), (1.0, -1.0)),
])
def test_python_that_looks_at_numbers_keeps_what_it_saw_unless_check(fn_of, recorded, replayed, checked):
    w = Value(1.0, param=True)
    step, verified = chainrule.compile(lambda: fn_of(w)), chainrule.compile(lambda: fn_of(w), check=True)
    for call in (step, verified):
        w.grad = 0.0
        assert (call(), w.grad) == recorded
    w.data = -1.0
    w.grad = 0.0
    assert (step(), w.grad) == replayed  # what was seen at w = 1, as documented
    w.grad = 0.0
    assert (verified(), w.grad) == checked  # check=True saw a new graph and recorded it
    assert checked[0] == fn_of(w).data


def test_a_replay_that_fails_runs_plain_and_records_the_new_graph_next_time(monkeypatch):
    w = Value(2.0, param=True)
    step = chainrule.compile(lambda: w.log() if w.data > 0 else (-w).log())
    step()  # records log(w)
    w.data, w.grad = -2.0, 0.0
    assert step() == math.log(2.0) and w.grad == -0.5  # log(-2) fails in the replay: this call runs plain
    refuse_fallback(monkeypatch)  # from here on the replay must answer: log(-w) was recorded
    w.grad = 0.0
    assert step() == math.log(2.0) and w.grad == -0.5


def test_a_random_graph_cannot_be_recorded():
    w = Value(1.0, param=True)
    rng = random.Random(0)
    with pytest.raises(ValueError, match="two different graphs"):
        chainrule.compile(lambda: w * rng.random())()


def test_a_value_computed_before_fn_is_refused():
    w = Value(1.0, param=True)
    h = w * 2
    with pytest.raises(ValueError, match="computed before fn"):
        chainrule.compile(lambda: h * h)()


def test_a_loss_that_reads_no_value_is_refused():
    w = Value(1.0, param=True)
    step = chainrule.compile(lambda: w * 2)
    with no_grad(), pytest.raises(ValueError, match="no_grad"):
        step()


@pytest.mark.parametrize("call, error, words", [
    (lambda: chainrule.compile(3), TypeError, "function of no arguments"),
    (lambda: chainrule.compile(lambda: 1.0)(), TypeError, "must return the loss as a Value, not float"),
    (lambda: chainrule.compile(lambda: Value(1.0), check="yes"), TypeError, "check must be True or False"),
])
def test_bad_arguments(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_compile_is_an_attribute_never_a_star_import():
    assert chainrule.compile is chainrule.engine.compile
    assert "compile" not in chainrule.__all__ and "compile" not in chainrule.engine.__all__
    namespace = {}
    exec("from chainrule import *", namespace)
    assert "compile" not in namespace


def test_the_readme_example_prints_what_its_comment_says():
    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    code = next(block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "chainrule.compile(" in block)
    promised = [line.split("#", 1)[1].strip() for line in code.splitlines() if line.startswith("print(")]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(builtins.compile(code, "README.md", "exec"), {})  # our own README, not user text
    assert printed.getvalue().splitlines() == promised
