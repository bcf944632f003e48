"""Many classes: softmax, cross_entropy, argmax, accuracy and the spiral data set."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import Value, gradcheck
from chainrule.nn import MLP, accuracy, argmax, cross_entropy, datasets, softmax

LOGIT = st.floats(-1000.0, 1000.0, allow_nan=False, allow_infinity=False)
# near zero as well as far apart: logits of one scale, and extremes side by side
LOGITS = st.one_of(st.lists(LOGIT, min_size=1, max_size=6),
                   st.lists(st.floats(-5.0, 5.0), min_size=1, max_size=6),
                   st.lists(st.sampled_from([1000.0, -1000.0, 0.0, 999.5]), min_size=2, max_size=5))


@st.composite
def sample(draw):
    z = draw(LOGITS)
    return z, draw(st.integers(0, len(z) - 1))


def torch_cross_entropy(z, y):
    """torch's loss and d loss / d logits, in float64."""
    t = torch.tensor([z], dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(t, torch.tensor([y]))
    loss.backward()
    return loss.item(), t.grad[0].tolist()


def backward_grads(z, y):
    values = [Value(zi) for zi in z]
    L = cross_entropy(values, y)
    L.backward()
    return L, [v.grad for v in values]


# ---------------------------------------------------------------- gradients


@settings(max_examples=150, deadline=None)
@given(sample())
def test_cross_entropy_gradcheck_by_central_differences(case):
    z, y = case
    report = gradcheck(lambda *v: cross_entropy(list(v), y), *z)
    assert report, report


@settings(max_examples=100, deadline=None)
@given(LOGITS, st.data())
def test_softmax_gradcheck_of_each_output(z, data):
    i = data.draw(st.integers(0, len(z) - 1))
    weights = data.draw(st.lists(st.floats(-2, 2), min_size=len(z), max_size=len(z)))
    # one output, and a weighted sum of all of them (every row of the Jacobian gets used)
    assert gradcheck(lambda *v: softmax(list(v))[i], *z)
    assert gradcheck(lambda *v: sum((w * p for w, p in zip(weights, softmax(list(v)))), Value(0.0)), *z)


@settings(max_examples=150, deadline=None)
@given(sample())
def test_the_grad_that_reaches_each_logit_is_p_minus_onehot(case):
    z, y = case
    _, grads = backward_grads(z, y)
    p = [q.data for q in softmax(z)]
    for i, (g, pi) in enumerate(zip(grads, p)):
        assert g == pytest.approx(pi - (i == y), abs=1e-12)


# ---------------------------------------------------------------- against torch


@settings(max_examples=150, deadline=None)
@given(sample())
def test_cross_entropy_and_its_grads_equal_torchs(case):
    z, y = case
    L, grads = backward_grads(z, y)
    loss, expected = torch_cross_entropy(z, y)
    assert L.data == pytest.approx(loss, rel=1e-12, abs=1e-12)
    assert grads == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(LOGITS)
def test_softmax_equals_torchs_and_adds_up_to_one(z):
    p = [q.data for q in softmax(z)]
    expected = torch.softmax(torch.tensor(z, dtype=torch.float64), 0).tolist()
    assert p == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert math.fsum(p) == pytest.approx(1.0, abs=1e-12)


def test_a_batch_is_the_mean_of_its_samples_as_torch_computes_it():
    logits = [[0.5, -1.0, 2.0], [3.0, 0.0, -3.0], [1000.0, -1000.0, 0.0], [0.0, 0.0, 0.0]]
    targets = [2, 1, 1, 0]
    values = [[Value(x) for x in row] for row in logits]
    L = cross_entropy(values, targets)
    L.backward()
    t = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    loss.backward()
    assert L.data == pytest.approx(loss.item(), rel=1e-12)
    ours = [v.grad for row in values for v in row]
    assert ours == pytest.approx(t.grad.flatten().tolist(), rel=1e-9, abs=1e-15)
    # the layout fit() passes: every sample's logits end to end, one target each
    flat = cross_entropy([x for row in logits for x in row], targets)
    assert flat.data == pytest.approx(L.data, rel=1e-15)


def test_extreme_logits_neither_overflow_nor_lose_the_gradient():
    L, grads = backward_grads([1000.0, -1000.0, 0.0], 1)
    assert L.data == 2000.0 and grads == [1.0, -1.0, 0.0]
    L, grads = backward_grads([1e300, -1e300], 0)
    assert L.data == 0.0 and grads == [0.0, 0.0]
    assert [p.data for p in softmax([1000.0, 1000.0])] == [0.5, 0.5]


def test_one_class_is_a_loss_of_zero():
    L, grads = backward_grads([3.5], 0)
    assert L.data == 0.0 and grads == [0.0]


def test_the_graph_holds_the_probabilities_as_its_exp_nodes():
    """log p_i = z_i - c, p_i = exp(log p_i), S = sum p_i, L = log S - log p_y (the docstring's graph)."""
    z = [Value(0.5), Value(-1.0), Value(2.0)]
    L = cross_entropy(z, 2)
    log_S, log_p_y = L.inputs
    (S,) = log_S.inputs
    p = list(S.inputs)
    assert (L.op.name, log_S.op.name, S.op.name) == ("sub", "log", "sum")
    assert [q.op.name for q in p] == ["exp"] * 3
    assert [q.data for q in p] == pytest.approx([q.data for q in softmax(z)], rel=1e-15)
    assert p[2].inputs[0] is log_p_y and log_p_y.inputs[0] is z[2]


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("target, error, words", [
    (3, ValueError, "there are 3 logits"), (-1, ValueError, "from 0 to 2"),
    (True, TypeError, "not bool"), (1.0, TypeError, "write int(1.0)"), ("1", TypeError, "not str"),
])
def test_a_target_that_is_no_class_index_is_refused(target, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        cross_entropy([Value(1.0), Value(2.0), Value(3.0)], target)


def test_empty_or_malformed_logits_are_refused():
    with pytest.raises(ValueError, match="no logits"):
        cross_entropy([], 0)
    with pytest.raises(ValueError, match="no logits"):
        softmax([])
    with pytest.raises(TypeError, match="list of Values"):
        softmax(Value(1.0))
    with pytest.raises(TypeError, match=r"logits\[1\]"):
        softmax([1.0, "2"])
    with pytest.raises(ValueError, match="finite"):
        cross_entropy([1.0, math.inf], 0)
    with pytest.raises(ValueError, match="2 samples of logits but 3 targets"):
        cross_entropy([[1.0, 2.0], [3.0, 4.0]], [0, 1, 1])
    with pytest.raises(ValueError, match="do not split evenly"):
        cross_entropy([1.0, 2.0, 3.0, 4.0, 5.0], [0, 1])
    with pytest.raises(TypeError, match="list of 2 class indices"):
        cross_entropy([[1.0, 2.0], [3.0, 4.0]], 1)
    with pytest.raises(TypeError, match=r"target\[1\]"):
        cross_entropy([[1.0, 2.0], [3.0, 4.0]], [0, 1.5])


def test_argmax_takes_the_first_of_a_tie_and_refuses_nothing():
    assert argmax([Value(1.0), Value(3.0), Value(3.0), Value(-2.0)]) == 1
    assert argmax([0.5]) == 0 and argmax([-3, -1, -2]) == 1
    with pytest.raises(ValueError, match="empty"):
        argmax([])


# ---------------------------------------------------------------- with an MLP


def test_an_mlp_with_k_outputs_trains_on_cross_entropy_and_accuracy_counts_it():
    data = datasets.spiral(n_per_class=10, classes=3, seed=1)
    model = MLP(2, [8, 3], activation="tanh", seed=0)
    z = model(data.X[0])
    assert isinstance(z, list) and len(z) == 3
    before = accuracy(model, data.X, data.y)
    L = cross_entropy([model(x) for x in data.X], data.y)
    L.backward()
    # the same network in torch, on the same weights, gives the same mean loss
    t = _torch_loss(model, data)
    assert L.data == pytest.approx(t.item(), rel=1e-12)
    right = sum(argmax(model(x)) == y for x, y in zip(data.X, data.y))
    assert before == right / len(data)
    grads = [p.grad for p in model.parameters()]
    accuracy(model, data.X, data.y)
    assert [p.grad for p in model.parameters()] == grads  # accuracy records nothing, changes no grad


def _torch_loss(model, data):
    from chainrule.nn import to_torch

    net = to_torch(model).double()
    out = net(torch.tensor(data.X, dtype=torch.float64))
    return torch.nn.functional.cross_entropy(out, torch.tensor(data.y))


def test_accuracy_needs_one_output_per_class():
    with pytest.raises(TypeError, match="one output per class"):
        accuracy(MLP(2, [4, 1]), [[0.0, 1.0]], [0])
    with pytest.raises(ValueError, match="2 rows in X but 1 targets"):
        accuracy(MLP(2, [4, 3]), [[0.0, 1.0], [1.0, 0.0]], [0])
    with pytest.raises(ValueError, match="y\\[0\\] is 3"):
        accuracy(MLP(2, [4, 3]), [[0.0, 1.0]], [3])


# ---------------------------------------------------------------- the spiral data set


def test_spiral_arms_wind_out_from_the_centre_and_their_targets_are_ints():
    data = datasets.spiral(n_per_class=50, classes=3, noise=0.0, seed=0)
    assert len(data) == 150 and data.classes == 3
    assert data.y == [k for k in range(3) for _ in range(50)] and all(type(t) is int for t in data.y)
    radii = [math.hypot(*x) for x in data.X]
    for k in range(3):
        arm = radii[50 * k : 50 * (k + 1)]
        assert arm[0] == 0.0 and arm[-1] == pytest.approx(1.0) and arm == sorted(arm)
    # without noise, point i of arm k is at angle 4 (k + r) (measured from the y axis, clockwise)
    x, y = data.X[50 + 30]
    r = 30 / 49
    assert math.atan2(x, y) % (2 * math.pi) == pytest.approx((4 * (1 + r)) % (2 * math.pi))


def test_spiral_is_seeded_and_noisy():
    a, b = datasets.spiral(20, seed=3), datasets.spiral(20, seed=3)
    assert a.X == b.X and a.X != datasets.spiral(20, seed=4).X
    assert a.X != datasets.spiral(20, noise=0.0, seed=3).X


@pytest.mark.parametrize("kwargs, error", [({"n_per_class": 1}, ValueError), ({"n_per_class": 2.5}, TypeError),
                                           ({"classes": 0}, ValueError), ({"noise": -0.1}, ValueError),
                                           ({"noise": math.nan}, ValueError), ({"classes": True}, TypeError)])
def test_spiral_refuses_bad_arguments(kwargs, error):
    with pytest.raises(error, match="spiral"):
        datasets.spiral(**kwargs)


# ---------------------------------------------------------------- the spiral demo


@pytest.fixture(scope="module")
def spiral_steps():
    from chainrule.demos.catalog import DEMOS

    return DEMOS["spiral"].build()


def _step(steps, start):
    (step,) = [s for s in steps if s.title.startswith(start)]
    return step


def test_the_spiral_demo_trains_to_95_percent_and_shows_its_loss_curve(spiral_steps):
    training = _step(spiral_steps, "Training")
    numbers = {n.name: n.engine for n in training.numbers}
    assert numbers["training accuracy"] >= 0.95
    assert numbers["after training"] < numbers["mean cross-entropy before training"] / 10
    assert len(training.history) > 10 and training.history[-1] < training.history[0]
    assert not any(n.tutorial for s in spiral_steps for n in s.numbers)  # it follows no text: engine only
    assert all(n.verdict == "engine only" for s in spiral_steps for n in s.numbers)


def test_the_spiral_demo_shows_p_minus_onehot_beside_each_logits_grad(spiral_steps):
    step = _step(spiral_steps, "The gradient of cross-entropy through softmax is p - onehot(y)")
    grads, expected = step.numbers[0::2], step.numbers[1::2]
    assert [n.name for n in grads] == ["dL/dz1 from backward", "dL/dz2 from backward", "dL/dz3 from backward"]
    for g, e in zip(grads, expected):
        assert g.engine == pytest.approx(e.engine, abs=1e-12)
    assert sum(e.name.endswith(" - 1") for e in expected) == 1  # one true class
    assert 'label="z1|' in step.graph.source or "{z1|" in step.graph.source
    for name in ("p1", "p2", "p3", "log S", "L"):
        assert f"{{{name}|data" in step.graph.source.replace("\\ ", " "), name


def test_the_spiral_demo_walks_the_loss_node_by_node_then_draws_the_network_by_layers(spiral_steps):
    walk = [s for s in spiral_steps if s.title.startswith("Backward ")]
    assert [s.title for s in walk][:3] == ["Backward 1/9: L", "Backward 2/9: log S", "Backward 3/9: S"]
    by_layers = _step(spiral_steps, "The same point through the whole network, by layers")
    assert [layer.depth for layer in by_layers.graph.layers] == [1, 2, 3]
    opened = _step(spiral_steps, "Layer 3 opened")
    assert [layer.depth for layer in opened.graph.layers] == [1, 2]
    numbers = [n.engine for n in opened.numbers]
    assert numbers[2] == pytest.approx(numbers[3], rel=1e-12)  # h1 × dL/dz_y is the weight's grad
    for step in (by_layers, opened):
        assert "<svg" in step.graph.svg()
