"""compile(per_sample, batch=(X, y)): the batch as numpy arrays, equal to the mean of the per-sample backward()s."""
import math
import random
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

np = pytest.importorskip("numpy")

import chainrule
from chainrule import Value
from chainrule.engine import sum as vsum
from chainrule.nn import MLP, binary_cross_entropy, cross_entropy, hinge, l2, mse


def plain(per_sample, X, Y, params, extra=None):
    """The reference: (sum of per-sample losses) / n, plus extra(), backward(); the loss and the grads."""
    for p in params:
        p.grad = 0.0
    losses = [per_sample(x, y) for x, y in zip(X, Y)]
    root = losses[0] if len(losses) == 1 else vsum(losses) / len(losses)
    if extra is not None:
        root = root + extra()
    root.backward()
    return root.data, [p.grad for p in params]


def batched(step, params):
    for p in params:
        p.grad = 0.0
    loss = step()
    return loss, [p.grad for p in params]


def largest_term(per_sample, X, Y, params, extra=None):
    """The largest of the terms that the grads sum, |d loss_i / d p| / n and |d extra / d p|: the scale
    of the rounding a sum in another order makes (its result may cancel to almost nothing)."""
    largest = 0.0
    for x, y in [*zip(X, Y), (None, None)] if extra is not None else zip(X, Y):
        for p in params:
            p.grad = 0.0
        (extra() if x is None else per_sample(x, y) / len(X)).backward()
        largest = max(largest, *(abs(p.grad) for p in params))
    return largest


def assert_close(got, want, term=0.0):
    """Within 1e-12 relative: of each number, or of the largest grad, or of the largest term of the
    sums (largest_term), for a grad near zero by cancellation (the batch sums the samples in another order)."""
    (loss, grads), (loss0, grads0) = got, want
    assert math.isclose(loss, loss0, rel_tol=1e-12)
    scale = max(*map(abs, grads0), term)
    for g, g0 in zip(grads, grads0):
        assert math.isclose(g, g0, rel_tol=1e-12, abs_tol=1e-12 * scale), (g, g0)


LOSSES = {
    "mse": lambda out, y: mse(out, y),
    "hinge": lambda out, y: hinge(out, y),
    "binary_cross_entropy": lambda out, y: binary_cross_entropy(out.sigmoid(), y),
}


@settings(max_examples=25, deadline=None)
@given(nin=st.integers(1, 4), sizes=st.lists(st.integers(1, 6), min_size=0, max_size=2),
       activation=st.sampled_from(["tanh", "sigmoid", "relu", "linear"]), loss=st.sampled_from(sorted(LOSSES)),
       n=st.integers(1, 12), seed=st.integers(0, 10**6))
def test_equal_to_the_mean_of_per_sample_backwards(nin, sizes, activation, loss, n, seed):
    rng = random.Random(seed)
    model = MLP(nin, sizes + [1], activation=activation, seed=seed)
    params = model.parameters()
    X = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)]
    if loss == "hinge":
        Y = [rng.choice([-1, 1]) for _ in X]
    elif loss == "binary_cross_entropy":
        Y = [rng.choice([0, 1, 0.25]) for _ in X]  # 0 and 1 build two different graphs: grouped
    else:
        Y = [rng.uniform(-1, 1) for _ in X]
    f = LOSSES[loss]

    def per_sample(x, y):
        return f(model(x), y)

    step = chainrule.compile(per_sample, batch=(X, Y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing here falls back
        got = batched(step, params)
    assert step.batched
    assert_close(got, plain(per_sample, X, Y, params), largest_term(per_sample, X, Y, params))
    for p, g in zip(params, got[1]):  # and again after a step: the replay reads the new parameters
        p.data -= 0.1 * g
    got = batched(step, params)
    assert_close(got, plain(per_sample, X, Y, params), largest_term(per_sample, X, Y, params))


def moons_model():
    model = MLP(2, [16, 16, 1], activation="relu", seed=1)
    rng = random.Random(2)
    X = [[rng.uniform(-2, 2), rng.uniform(-1, 1)] for _ in range(40)]
    Y = [1 if x[1] > 0.3 * x[0] else -1 for x in X]
    return model, X, Y


def test_the_layers_are_matrix_products():
    model, X, Y = moons_model()
    step = chainrule.compile(lambda x, y: hinge(model(x), y), batch=(X, Y))
    step()
    plan = step.plan
    assert "matmul (40, 2) @ (2, 16)" in plan
    assert "matmul (40, 16) @ (16, 16)" in plan
    assert "matmul (40, 16) @ (16, 1)" in plan
    assert plan.count("relu on 16 columns") == 2
    assert not [line for line in plan.splitlines() if line.strip().startswith("dot")]  # no dot left on its own


def test_a_penalty_outside_per_sample_goes_in_extra():
    model, X, Y = moons_model()
    params = model.parameters()
    extra = lambda: 1e-4 * l2(params)
    per_sample = lambda x, y: hinge(model(x), y)
    step = chainrule.compile(per_sample, batch=(X, Y), extra=extra)
    assert_close(batched(step, params), plain(per_sample, X, Y, params, extra))
    with pytest.raises(TypeError, match="extra"):
        chainrule.compile(lambda: l2(params), extra=extra)


def test_grads_add_up_as_backward_does():
    model, X, Y = moons_model()
    params = model.parameters()
    step = chainrule.compile(lambda x, y: hinge(model(x), y), batch=(X, Y))
    _, once = batched(step, params)
    step()
    for p, g in zip(params, once):
        assert math.isclose(p.grad, 2 * g, rel_tol=1e-15, abs_tol=1e-300)


def test_without_numpy_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)
    model, X, Y = moons_model()
    with pytest.raises(ImportError, match=r'pip install "chainrule\[fast\]"'):
        chainrule.compile(lambda x, y: hinge(model(x), y), batch=(X, Y))


def test_branching_on_the_data_falls_back_and_says_so():
    w = Value(0.5, param=True)

    def per_sample(x, y):  # a polynomial whose degree the data picks: a graph per sample
        out = w
        for _ in range(int(x[0])):
            out = out * w
        return (out - y) ** 2

    X = [[k] for k in range(12)]
    Y = [0.1 * k for k in range(12)]
    step = chainrule.compile(per_sample, batch=(X, Y))
    with pytest.warns(RuntimeWarning, match="different graphs"):
        got = batched(step, [w])
    assert not step.batched
    assert got == plain(per_sample, X, Y, [w])  # the plain path itself


def three_classes():
    model = MLP(2, [4, 3], activation="tanh", seed=3)
    rng = random.Random(4)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(10)]
    Y = [rng.randrange(3) for _ in X]
    return model, X, Y


def test_a_number_read_from_parameters_is_refused():
    model, X, Y = three_classes()
    params = model.parameters()
    w = params[0]
    per_sample = lambda x, y: cross_entropy(model(x), y) * w.data  # w.data: a number that goes stale
    step = chainrule.compile(per_sample, batch=(X, Y))
    with pytest.warns(RuntimeWarning, match="stale"):
        got = batched(step, params)
    assert got == plain(per_sample, X, Y, params)


def test_cross_entropys_shift_is_kept_as_recorded_and_the_batch_is_replayed():
    """Its c is read from the logits' floats, but the loss does not depend on it (a Shift): each
    sample's recorded c serves every call, equal to the plain path within rounding, also after the
    parameters moved."""
    model, X, Y = three_classes()
    params = model.parameters()
    per_sample = lambda x, y: cross_entropy(model(x), y)
    step = chainrule.compile(per_sample, batch=(X, Y))
    for _ in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # not refused, no fallback
            got = batched(step, params)
        assert step.batched
        assert_close(got, plain(per_sample, X, Y, params), largest_term(per_sample, X, Y, params))
        for p, g in zip(params, got[1]):
            p.data -= 0.5 * g


def test_a_shift_gone_far_from_the_logits_sends_the_call_down_the_plain_path():
    """Logits moved by ~1000 from where the shifts were recorded: exp(z - c) overflows in the replay,
    and the call is the plain path's, which takes a fresh c."""
    model, X, Y = three_classes()
    params = model.parameters()
    per_sample = lambda x, y: cross_entropy(model(x), y)
    step = chainrule.compile(per_sample, batch=(X, Y))
    batched(step, params)
    bias = model.layers[-1].neurons[0].b
    bias.data += 1000.0
    got = batched(step, params)
    assert math.isfinite(got[0])
    assert got == plain(per_sample, X, Y, params)


def test_a_domain_error_is_the_plain_paths():
    w = Value(1.0, param=True)
    per_sample = lambda x, y: (w - x[0]).log() * y
    step = chainrule.compile(per_sample, batch=([[0.0], [0.5]], [1.0, 2.0]))
    assert math.isclose(step(), (math.log(1.0) * 1 + math.log(0.5) * 2) / 2)
    w.data = 0.25  # log of a negative number for the second sample
    with pytest.raises(ValueError, match="log"):
        step()


def fit_twice(make, loss, data, batch_size, epochs=25, momentum=0.9):
    from chainrule.nn import SGD, fit

    results = []
    for compiled in (None, False):
        model = make()
        opt = SGD(model.parameters(), lr=0.05, momentum=momentum)
        history = fit(model, data, loss, opt, epochs=epochs, batch_size=batch_size, compile=compiled)
        results.append((history, [p.data for p in model.parameters()]))
    return results


@pytest.mark.parametrize("momentum", [0.0, 0.9])  # SGD.step(closure) in one pass, or call then step
@pytest.mark.parametrize("batch_size", [None, 8])
@pytest.mark.parametrize("loss", ["hinge", "mse", "binary_cross_entropy", "cross_entropy"])
def test_fit_by_default_replays_the_batch_and_gives_the_plain_history(loss, batch_size, momentum, monkeypatch):
    from chainrule.engine.batch import Batched
    from chainrule.nn import datasets
    from chainrule.nn import train

    made, one_pass = [], []
    real_call, real_update = Batched.__call__, Batched.update
    monkeypatch.setattr(Batched, "__call__", lambda self: made.append(self) or real_call(self))
    monkeypatch.setattr(Batched, "update", lambda self, *args: made.append(self) or one_pass.append(
        real_update(self, *args)) or one_pass[-1])
    data = datasets.two_moons(30, seed=1)
    if loss == "binary_cross_entropy":
        data = [(x, (y + 1) / 2) for x, y in data]
        make = lambda: MLP(2, [8, 8, 1], activation="relu", out_activation="sigmoid", seed=7)
    elif loss == "cross_entropy":  # two classes as two logits; fit lays each target list beside its outputs
        data = [(x, [int(y > 0)]) for x, y in data]
        make = lambda: MLP(2, [8, 8, 2], activation="relu", seed=7)
    else:
        make = lambda: MLP(2, [8, 8, 1], activation="relu", seed=7)
    (history, weights), (history0, weights0) = fit_twice(make, getattr(train, loss), data, batch_size,
                                                         momentum=momentum)
    assert made and all(step.batched for step in made)  # the default took the batch replay, and it held
    assert bool(one_pass) and all(r is not None for r in one_pass) if momentum == 0.0 else not one_pass
    assert history[-1] < history[0]  # it trained
    for a, b in zip(history, history0):
        assert math.isclose(a, b, rel_tol=1e-12)
    for a, b in zip(weights, weights0):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def test_fit_without_numpy_takes_the_float_replay(monkeypatch):
    from chainrule.engine.batch import Batched

    monkeypatch.setitem(sys.modules, "numpy", None)
    monkeypatch.setattr(Batched, "__call__", None)  # never called
    from chainrule.nn import datasets, train

    (history, _), (history0, _) = fit_twice(lambda: MLP(2, [4, 1], seed=6), train.hinge, datasets.two_moons(20), None)
    assert history == history0  # the float replay: bit for bit


def test_an_op_without_a_numpy_rule_runs_the_tables_float_rule_element_by_element(monkeypatch):
    from chainrule.engine import batch

    monkeypatch.delitem(batch.RULES, "tanh")
    monkeypatch.delitem(batch.RULES, "log")
    model = MLP(3, [5, 1], activation="tanh", seed=8)
    params = model.parameters()
    rng = random.Random(9)
    X = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(7)]
    Y = [rng.uniform(-1, 1) for _ in X]
    per_sample = lambda x, y: ((model(x) - y) ** 2 + 1).log()
    step = chainrule.compile(per_sample, batch=(X, Y))
    got = batched(step, params)
    assert step.batched and "tanh of 1 inputs" in step.plan and "log of 1 inputs" in step.plan
    assert_close(got, plain(per_sample, X, Y, params))


def sgd_histories(make_opt, steps=5, grad_before=0.0):
    """The moons model trained by opt.step(replay) (the call and the step in one pass) and by
    replay(); opt.step(), from the same start: per step the loss, every data and every grad;
    and how many steps took the one pass."""
    runs, one_pass = [], []
    for fused in (True, False):
        model, X, Y = moons_model()
        params = model.parameters()
        opt = make_opt(params)
        step = chainrule.compile(lambda x, y: hinge(model(x), y), batch=(X, Y), extra=lambda: 1e-4 * l2(params))
        real_update = step.update
        step.update = lambda *args: one_pass.append(real_update(*args)) or one_pass[-1]
        history = []
        for _ in range(steps):
            opt.zero_grad()
            for p in params:
                p.grad += grad_before
            if fused:
                loss = opt.step(step)
            else:
                loss = step()
                opt.step()
            history.append((loss, [p.data for p in params], [p.grad for p in params]))
            params[len(history)].data *= 0.5  # a change between steps, which the next call must read
        runs.append(history)
    return runs, sum(result is not None for result in one_pass)


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
@pytest.mark.parametrize("grad_before", [0.0, 0.25])
def test_sgd_step_with_the_replay_as_closure_gives_the_same_floats(weight_decay, grad_before):
    from chainrule.nn import SGD

    (fused, plain), one_pass = sgd_histories(lambda ps: SGD(ps, lr=0.1, weight_decay=weight_decay),
                                             grad_before=grad_before)
    assert one_pass == 5  # every step took it
    assert fused == plain  # bit for bit: the same formula on the same floats


def test_sgd_with_momentum_and_adam_take_the_closure_and_step_after_it():
    from chainrule.nn import SGD, Adam

    for make in (lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.01)):
        (fused, plain), one_pass = sgd_histories(make)
        assert one_pass == 0
        assert fused == plain


def test_the_one_pass_step_needs_exactly_the_replays_parameters():
    from chainrule.nn import SGD

    model, X, Y = moons_model()
    params = model.parameters()
    other = Value(1.0, param=True)
    step = chainrule.compile(lambda x, y: hinge(model(x), y), batch=(X, Y))
    assert step.update(params[:-1], lambda data, grad: data) is None  # one short: nothing done
    assert all(p.grad == 0.0 for p in params)
    want_loss, want_grads = plain(lambda x, y: hinge(model(x), y), X, Y, params)
    before = [p.data for p in params]
    opt = SGD(params + [other], lr=0.1)
    opt.zero_grad()
    other.grad = 2.0
    loss = opt.step(step)  # a parameter the replay does not read: called, then stepped as usual
    assert other.data == 1.0 - 0.1 * 2.0
    assert_close((loss, [p.grad for p in params]), (want_loss, want_grads))
    assert [p.data for p in params] == [x - 0.1 * p.grad for x, p in zip(before, params)]


def test_a_diverging_one_pass_step_raises_as_the_step_does_and_keeps_the_data():
    from chainrule.nn import SGD

    w = Value(1.0, param=True)
    step = chainrule.compile(lambda x, y: (w * x[0] - y) ** 2, batch=([[1.0], [2.0]], [0.0, 1.0]))
    opt = SGD([w], lr=1e308)
    with pytest.raises(ValueError, match="diverged"):
        opt.step(step)
    assert w.data == 1.0  # unchanged; the grad is the mean of 2 (w x - y) x over the two samples, as a call adds
    assert w.grad == (2 * (1 - 0) * 1 + 2 * (2 - 1) * 2) / 2


def test_step_with_a_function_as_closure_calls_it_then_steps():
    from chainrule.nn import SGD

    w = Value(3.0, param=True)
    opt = SGD([w], lr=0.1)

    def closure():
        loss = w * w
        loss.backward()
        return loss.data

    assert opt.step(closure) == 9.0
    assert w.data == 3.0 - 0.1 * 6.0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 9), bias=st.booleans(), shared=st.booleans())
def test_layers_not_laid_out_as_matrices_replay_as_the_plain_path(seed, n, bias, shared):
    """Dots written by hand: a layer without biases, one that reads the layer before's outputs in
    another order, a weight shared by two dots, a parameter used on its own: those take the steps'
    general code beside the written-out code of the plain layers."""
    from chainrule.engine import dot

    rng = random.Random(seed)
    w = lambda: Value(rng.uniform(-1, 1), param=True)  # noqa: E731
    W1 = [[w() for _ in range(2)] for _ in range(3)]
    b1 = [w() for _ in range(3)] if bias else [None] * 3
    W2 = [[w() for _ in range(3)] for _ in range(2)]
    if shared:
        W2[1][0] = W2[0][2]  # one weight in two dots of a layer
    scale = w()
    params = [p for row in W1 + W2 for p in row] + [p for p in b1 if p is not None] + [scale]
    params = list({id(p): p for p in params}.values())

    def per_sample(x, y):
        x = [Value(v) for v in x]  # one input tuple for the layer's dots, as nn's Layer gives them
        h = [dot(ws, x, b).tanh() for ws, b in zip(W1, b1)]
        out = [dot(ws, h[::-1]) for ws in W2]  # the hidden layer read backwards, no biases
        return ((out[0] - y) ** 2 + (scale * out[1]).relu()) * 0.5

    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(n)]
    Y = [rng.uniform(-1, 1) for _ in X]
    step = chainrule.compile(per_sample, batch=(X, Y), extra=lambda: 1e-3 * l2(params))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = batched(step, params)
    assert step.batched and "matmul (%d, 2) @ (2, 3)" % n in step.plan and "matmul (%d, 3) @ (3, 2)" % n in step.plan
    extra = lambda: 1e-3 * l2(params)  # noqa: E731
    assert_close(got, plain(per_sample, X, Y, params, extra), largest_term(per_sample, X, Y, params, extra))


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("small_product", [0, 2**16])
def test_a_bias_in_the_product_or_beside_it_gives_the_same_replay(small_product, activation, monkeypatch):
    """A hidden layer's bias rides in its matrix product ([X 1] @ [W; b]) when the product is small,
    and is added after it when not: the same numbers either way, within rounding."""
    from chainrule.engine import batch

    monkeypatch.setattr(batch, "SMALL_PRODUCT", small_product)
    model = MLP(2, [16, 16, 1], activation=activation, seed=1)
    params = model.parameters()
    _, X, Y = moons_model()
    per_sample = lambda x, y: hinge(model(x), y)  # noqa: E731
    extra = lambda: 1e-4 * l2(params)  # noqa: E731
    step = chainrule.compile(per_sample, batch=(X, Y), extra=extra)
    got = batched(step, params)
    assert step.plan.count("biases in the product") == (1 if small_product == 0 else 3)  # the data's layer: always
    assert_close(got, plain(per_sample, X, Y, params, extra), largest_term(per_sample, X, Y, params, extra))
