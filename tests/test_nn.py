"""nn: the tutorials' networks by their numbers, training that works, and errors a user can act on."""
import ast
import inspect
import math
import pathlib
import random
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.engine import Value, backward_order, no_grad
from chainrule.engine.compile import Compiled
from chainrule.nn import (MLP, SGD, Adam, Layer, Module, Neuron, binary_cross_entropy, datasets, fit, hinge, l2,
                mse, sse)


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def set_all(model, w, b):
    """Every neuron gets weights w and bias b, as the tutorial's network does."""
    for layer in model.layers:
        for n in layer.neurons:
            for wi, x in zip(n.w, w):
                wi.data = float(x)
            n.b.data = float(b)


def accuracy(model, data, threshold):
    return sum((model(x).data > threshold) == (y > threshold) for x, y in data) / len(data)


# --- the tutorial's numbers ---------------------------------------------------------------


def test_tutorial_neuron_prints_0_999():
    n = Neuron(2, "sigmoid", weights=[0, 1], bias=4)
    assert n([2, 3]).data == pytest.approx(0.9990889488055994, abs=1e-15)


def tutorial_network(**options):
    """The tutorial's 2-2-1 network: a sigmoid in every neuron, the output's included."""
    return MLP(2, [2, 1], activation="sigmoid", out_activation="sigmoid", **options)


def test_tutorial_network_feedforward_prints_0_7216():
    model = tutorial_network()
    set_all(model, [0, 1], 0)
    assert model([2, 3]).data == pytest.approx(0.7216325609518421, abs=1e-12)


def test_tutorial_dL_dw1_by_backprop_matches_the_hand_chain_rule():
    # all weights 1, biases 0, only Alice (-2, -1) -> 1: the tutorial gets dL/dw1 = 0.0214
    model = tutorial_network()
    set_all(model, [1, 1], 0)
    x = [-2, -1]
    mse(model(x), 1).backward()
    h = sigmoid(-3.0)  # h1 = h2 = f(-2 - 1 + 0)
    y_pred = sigmoid(2 * h)
    by_hand = -2 * (1 - y_pred) * (1 * y_pred * (1 - y_pred)) * (x[0] * h * (1 - h))
    w1 = dict(model.named_parameters())["layers.0.neurons.0.w.0"]
    assert w1.grad == pytest.approx(by_hand, rel=1e-12)
    assert w1.grad == pytest.approx(0.0214, abs=1e-4)  # the tutorial multiplies rounded factors


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gender_network_learns_emily_and_frank(seed):
    model = tutorial_network(seed=seed)
    opt = SGD(model.parameters(), lr=0.1)
    history = fit(model, datasets.gender(), mse, opt, epochs=1000, batch_size=1)
    assert len(history) == 1000 and history[-1] < history[0] / 10
    assert model([-7, -3]).data > 0.9  # Emily: F
    assert model([20, 2]).data < 0.1  # Frank: M


def test_fit_with_batch_size_1_is_the_tutorials_hand_written_sgd():
    model = tutorial_network(seed=7)
    w1, w2, b1, w3, w4, b2, w5, w6, b3 = [p.data for p in model.parameters()]
    data = datasets.gender()
    fit(model, data, mse, SGD(model.parameters(), lr=0.1), epochs=20, batch_size=1)
    for _ in range(20):  # the tutorial's train(), derivatives written out by hand
        for (x1, x2), y_true in data:
            h1, h2 = sigmoid(w1 * x1 + w2 * x2 + b1), sigmoid(w3 * x1 + w4 * x2 + b2)
            o1 = sigmoid(w5 * h1 + w6 * h2 + b3)
            d_L_d_sum_o1 = -2 * (y_true - o1) * o1 * (1 - o1)
            d_h1, d_h2 = d_L_d_sum_o1 * w5 * h1 * (1 - h1), d_L_d_sum_o1 * w6 * h2 * (1 - h2)
            w1, w2, b1 = w1 - 0.1 * d_h1 * x1, w2 - 0.1 * d_h1 * x2, b1 - 0.1 * d_h1
            w3, w4, b2 = w3 - 0.1 * d_h2 * x1, w4 - 0.1 * d_h2 * x2, b2 - 0.1 * d_h2
            w5, w6, b3 = w5 - 0.1 * d_L_d_sum_o1 * h1, w6 - 0.1 * d_L_d_sum_o1 * h2, b3 - 0.1 * d_L_d_sum_o1
    ours = [p.data for p in model.parameters()]
    assert ours == pytest.approx([w1, w2, b1, w3, w4, b2, w5, w6, b3], rel=1e-9, abs=1e-12)


# --- training that works -------------------------------------------------------------------


def test_xor_reaches_full_accuracy_with_mse_and_momentum():
    model = MLP(2, [4, 1], activation="tanh", out_activation="sigmoid", seed=0)
    history = fit(model, datasets.xor(), mse, SGD(model.parameters(), lr=0.5, momentum=0.9), epochs=300)
    assert history[-1] < 0.01
    assert accuracy(model, datasets.xor(), 0.5) == 1.0


def test_xor_reaches_full_accuracy_with_logits_and_adam():
    model = MLP(2, [4, 1], activation="tanh", out_activation="linear", seed=1)

    def loss(z, y):
        return binary_cross_entropy(z, y, from_logits=True)

    fit(model, datasets.xor(), loss, Adam(model.parameters(), lr=0.05), epochs=300)
    assert sum((model(x).data > 0) == (y == 1) for x, y in datasets.xor()) == 4


def test_two_layer_table_and_four_buttons_are_learned():
    for data, nin in [(datasets.two_layer_table(), 3), (datasets.four_buttons(), 4)]:
        model = MLP(nin, [4, 1], activation="tanh", out_activation="sigmoid", seed=0)
        fit(model, data, mse, SGD(model.parameters(), lr=0.5, momentum=0.9), epochs=300)
        assert accuracy(model, data, 0.5) == 1.0, data.title


def test_two_moons_reaches_97_percent_in_100_steps():
    # micrograd's demo: 2-16-16-1 relu, hinge + 1e-4 L2, full batch, lr 1.0 -> 0.1
    data = datasets.two_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], activation="relu", out_activation="linear", seed=0)
    params = model.parameters()

    def loss(scores, y):
        return hinge(scores, y) + 1e-4 * l2(params)

    history = fit(model, data, loss, SGD(params, lr=1.0), epochs=100, lr_schedule=lambda k: 1.0 - 0.9 * k / 100)
    assert history[-1] < history[0]
    assert accuracy(model, data, 0.0) >= 0.97


# --- fused and per-term neurons -------------------------------------------------------------

finite = st.floats(-5, 5, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.data(), st.integers(1, 5), st.sampled_from(["tanh", "sigmoid", "relu", "linear"]))
def test_fused_neuron_and_its_per_term_twin_agree_bit_for_bit(data, nin, activation):
    w = data.draw(st.lists(finite, min_size=nin, max_size=nin))
    x = data.draw(st.lists(finite, min_size=nin, max_size=nin))
    b = data.draw(finite)
    results = []
    for fused in (True, False):
        n = Neuron(nin, activation, weights=w, bias=b, fused=fused)
        xs = [Value(xi) for xi in x]
        y = n(xs) * 1.5  # a non-trivial upstream grad
        y.backward()
        results.append((y.data, [p.grad for p in n.parameters()], [xi.grad for xi in xs]))
    assert results[0] == results[1]


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_fused_and_per_term_mlps_give_identical_loss_and_grads(activation):
    data = datasets.two_moons(20, seed=3)
    results = []
    for fused in (True, False):
        model = MLP(2, [8, 8, 1], activation=activation, out_activation="linear", seed=4, fused=fused)
        loss = hinge([model(x) for x in data.X], data.y) + 1e-4 * l2(model.parameters())
        loss.backward()
        results.append((loss.data, [p.grad for p in model.parameters()]))
    assert results[0] == results[1]


def test_fused_neuron_is_one_dot_node_and_per_term_shows_every_step():
    fused = Neuron(3, "tanh", weights=[1, 2, 3], bias=0.5)([1, 1, 1])
    assert fused.op.name == "tanh" and fused.inputs[0].op.name == "dot"
    neuron = Neuron(3, "linear", weights=[1, 2, 3], bias=0.5, fused=False)
    per_term = neuron([1, 1, 1])
    ops = sorted(v.op.name for v in backward_order(per_term) if v.inputs)
    assert ops == ["add"] * 3 + ["mul"] * 3  # w1*x1 + w2*x2 + w3*x3 + b
    assert per_term.inputs[1] is neuron.b


# --- modules: names, labels, seeds ------------------------------------------------------------


def test_named_parameters_are_dotted_paths_and_never_touch_labels():
    model = MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:4] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b",
                         "layers.0.neurons.1.w.0"]
    assert names[-1] == "layers.1.neurons.0.b" and len(names) == 3 * 3 + 4
    assert list(model.state_dict()) == names
    assert [p.label for p in model.parameters()] == [""] * 13  # reading names labels nothing
    model.layers[1].neurons[0].b.label = "bias_out"
    model.named_parameters()
    assert model.layers[1].neurons[0].b.label == "bias_out"
    assert [n for n, _ in model.layers[1].named_parameters()] == ["neurons.0.w.0", "neurons.0.w.1",
                                                                 "neurons.0.w.2", "neurons.0.b"]


def test_label_parameters_gives_the_tutorials_short_names():
    model = MLP(2, [2, 1], activation="sigmoid", out_activation="sigmoid")
    assert model.label_parameters() is model
    assert [p.label for p in model.parameters()] == "w1 w2 b1 w3 w4 b2 w5 w6 b3".split()
    assert [p.label for p in Neuron(2).label_parameters().parameters()] == ["w1", "w2", "b"]
    assert [p.label for p in Neuron(1, bias=False).label_parameters().parameters()] == ["w1"]
    big = MLP(2, [16, 16, 1], seed=0).label_parameters()
    labels = [p.label for p in big.parameters()]
    assert len(set(labels)) == len(labels) and max(map(len, labels)) <= 4  # w320, b33: short, unique


def test_labelled_values_given_as_weights_are_kept_and_trained():
    w1, w2, b = Value(0.0, "w1"), Value(1.0, "w2"), Value(4.0, "b")
    n = Neuron(2, "sigmoid", weights=[w1, w2], bias=b)
    assert n.w == (w1, w2) and n.b is b  # the very Values, labels and all
    assert all(p.op.name == "param" for p in (w1, w2, b))  # drawn as parameters from now on
    assert n.label_parameters().parameters() == [w1, w2, b] and w1.label == "w1"
    assert n([2, 3]).data == 0.9990889488055994
    h = [Value(float(i), f"w{i}") for i in range(1, 7)]
    model = MLP(2, [2, 1], "sigmoid", "sigmoid", weights=[[h[0:2], h[2:4]], [h[4:6]]], biases=[[0, 0], [0]])
    assert model.parameters()[:2] == h[:2] and model.layers[1].neurons[0].w == tuple(h[4:6])
    with pytest.raises(ValueError, match="weight 0: .* was computed from other values"):
        Neuron(1, weights=[Value(1.0) * 2])


def test_a_model_without_biases():
    n = Neuron(3, "linear", weights=[1, 2, 3], bias=False)
    assert n.b is None and len(n.parameters()) == 3 and n([1, 1, 1]).data == 6.0
    per_term = Neuron(2, "linear", weights=[1, 2], bias=False, fused=False)([1, 1])
    assert sorted(v.op.name for v in backward_order(per_term) if v.inputs) == ["add", "mul", "mul"]
    model = MLP(3, [4, 1], biases=False, seed=0)
    assert len(model.parameters()) == 3 * 4 + 4 and "biases=False" in repr(model)
    with pytest.raises(TypeError, match="bias=True: give the bias's starting value"):
        Neuron(2, bias=True)
    with pytest.raises(ValueError, match="cannot leave out only some"):
        Layer(2, 2, biases=[0.5, False])


def test_the_last_layer_is_linear_unless_out_activation_says_otherwise():
    model = MLP(2, [3, 1], activation="relu", seed=0)
    assert model([1.0, -2.0]).op.name == "dot"  # the weighted sum itself: no relu on the output
    assert MLP(2, [3, 1], activation="relu", out_activation="sigmoid")([1, 2]).op.name == "sigmoid"
    assert MLP(2, [1], activation="relu")([1, 2]).op.name == "dot"  # one layer: the output layer


def test_repr_shows_sizes_and_activations():
    assert repr(Neuron(2, "sigmoid")) == "Neuron(2, 'sigmoid')"
    assert repr(Neuron(3, bias=False, fused=False)) == "Neuron(3, 'tanh', bias=False, fused=False)"
    assert repr(Layer(2, 3, "relu")) == "Layer(2, 3, activation='relu')"
    assert repr(MLP(2, [16, 16, 1], activation="relu")) == (
        "MLP(2, [16, 16, 1], activation='relu', out_activation='linear')")

    class Custom(Module):
        def __init__(self):
            self.w = Value(1.0, param=True)

    assert repr(Custom()) == "Custom(1 parameters)"


def test_every_public_name_has_its_real_signature_and_a_docstring():
    import chainrule.nn as nn

    for name in nn.__all__:
        thing = getattr(nn, name)
        if inspect.ismodule(thing):
            continue
        assert inspect.getdoc(thing), name
        members = [thing] + [m for key, m in vars(thing).items() if callable(m) and not key.startswith("_")] \
            if inspect.isclass(thing) else [thing]
        for member in members:
            assert inspect.getdoc(member), f"{name}.{member.__name__}"
            parameters = inspect.signature(member).parameters.values()
            assert not any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters), member


def test_a_hand_built_module_keeps_its_labels_and_counts_a_shared_parameter_once():
    class TwoNeurons(Module):
        def __init__(self):
            self.w1 = Value(0.5, "w1", param=True)
            self.h = Neuron(1, "linear", weights=[2.0])
            self.again = [self.w1]  # the same Value a second time
            self._cache = Value(9.0)  # private: not a parameter

    m = TwoNeurons()
    assert [(name, p.label) for name, p in m.named_parameters()] == [("w1", "w1"), ("h.w.0", ""), ("h.b", "")]
    m.label_parameters()
    assert [p.label for p in m.parameters()] == ["w1", "w2", "b"]  # w1 is taken: the neuron's weight is w2
    m.w1.grad = 3.0
    m.zero_grad()
    assert m.w1.grad == 0.0


def test_seeded_initialisation_is_reproducible_and_leaves_global_random_alone():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    a = MLP(2, [4, 4, 1], seed=5).state_dict()
    assert random.random() == expected
    assert MLP(2, [4, 4, 1], seed=5).state_dict() == a
    assert MLP(2, [4, 4, 1], seed=6).state_dict() != a
    assert Neuron(3, seed=1).state_dict() == Neuron(3, seed=1).state_dict()
    assert all(-1.0 <= x <= 1.0 for x in a.values())


def test_mlp_returns_one_value_for_one_output_else_a_list():
    assert isinstance(MLP(2, [3, 1])([1, 2]), Value)
    out = MLP(2, [3, 2])([1, 2])
    assert isinstance(out, list) and len(out) == 2
    assert len(Layer(2, 1)([1, 2])) == 1
    with no_grad():
        assert MLP(2, [3, 1])([Value(1.0), 2]).inputs == ()


def test_layer_takes_explicit_weights_and_biases():
    layer = Layer(2, 2, "sigmoid", weights=[[0, 1], [0, 1]], biases=[0, 0])
    h1, h2 = layer([2, 3])
    assert h1.data == h2.data == pytest.approx(sigmoid(3.0), abs=1e-15)


@pytest.mark.parametrize("make, error, words", [
    (lambda: Neuron(2, "softmax"), ValueError, "unknown activation 'softmax'"),
    (lambda: Neuron(0), ValueError, "nin must be at least 1"),
    (lambda: Neuron(2.0), TypeError, "nin must be an int"),
    (lambda: Neuron(2, weights=[1, 2, 3]), ValueError, "expected 2 weights"),
    (lambda: Neuron(2, weights=[1, "a"]), TypeError, "real number"),
    (lambda: Neuron(1, weights=[float("nan")]), ValueError, "finite"),
    (lambda: Neuron(2, fused="yes"), TypeError, "fused must be True or False"),
    (lambda: Neuron(2, seed="abc"), TypeError, "seed must be"),
    (lambda: Neuron(2)([1, 2, 3]), ValueError, "expected 2 inputs, got 3"),
    (lambda: Neuron(1)(5), TypeError, "write [x] for one input"),
    (lambda: Neuron(2)([1, "x"]), TypeError, "real number"),
    (lambda: Layer(2, 0), ValueError, "nout must be at least 1"),
    (lambda: Layer(2, 2, biases=[0]), ValueError, "expected 2 biases"),
    (lambda: MLP(2, []), ValueError, "at least one layer size"),
    (lambda: MLP(2, 3), TypeError, "sizes must be a list"),
    (lambda: MLP(2, [3, 0]), ValueError, "each layer size must be at least 1"),
    (lambda: MLP(2, [3, 1], out_activation="step"), ValueError, "unknown activation 'step'"),
])
def test_bad_arguments_raise_errors_that_name_the_problem(make, error, words):
    with pytest.raises(error) as e:
        make()
    assert words in str(e.value)


def test_nn_source_uses_no_assert_statements():
    for path in pathlib.Path(__file__).parents[1].joinpath("nn").glob("*.py"):
        tree = ast.parse(path.read_text())
        assert not any(isinstance(node, ast.Assert) for node in ast.walk(tree)), path


# --- losses ----------------------------------------------------------------------------------


def test_mse_and_sse_by_their_formulas():
    y_pred, y_true = [Value(0.0), Value(0.5), Value(2.0), Value(1.0)], [1, 0, 0, 1]
    assert mse([0, 0, 0, 0], y_true).data == 0.5  # the tutorial's example
    loss = sse(y_pred, y_true)
    assert loss.data == 1 + 0.25 + 4 + 0
    loss.backward()
    assert [p.grad for p in y_pred] == [2 * (p.data - t) for p, t in zip(y_pred, y_true)]
    assert mse(y_pred, y_true).data == pytest.approx(5.25 / 4)
    assert mse(Value(3.0), 1).data == 4.0  # one sample, no list needed


def test_binary_cross_entropy_from_probabilities():
    p = [Value(0.9), Value(0.2), Value(0.5)]
    loss = binary_cross_entropy(p, [1, 0, 0.25])
    expected = -(math.log(0.9) + math.log(0.8) + 0.25 * math.log(0.5) + 0.75 * math.log(0.5)) / 3
    assert loss.data == pytest.approx(expected, rel=1e-14)
    loss.backward()
    assert p[0].grad == pytest.approx(-1 / 0.9 / 3)
    assert binary_cross_entropy(Value(1.0), 1).data == 0.0  # p = 1 on a positive: no loss, no error


@pytest.mark.parametrize("p, y", [(0.0, 1), (1.0, 0), (1.0, 0.5), (0.0, 0.5)])
def test_binary_cross_entropy_refuses_an_infinite_loss_and_points_to_logits(p, y):
    with pytest.raises(ValueError, match="infinite.*from_logits=True"):
        binary_cross_entropy([Value(p)], [y])


@pytest.mark.parametrize("z", [-1000.0, -40.0, -3.0, -0.5, 0.0, 0.5, 3.0, 40.0, 1000.0])
@pytest.mark.parametrize("y", [0, 1, 0.25])
def test_binary_cross_entropy_from_logits_is_finite_with_grad_sigmoid_minus_y(z, y):
    zv = Value(z)
    loss = binary_cross_entropy(zv, y, from_logits=True)
    loss.backward()
    s = sigmoid(z) if z > -700 else 0.0
    assert zv.grad == pytest.approx(s - y, abs=1e-15)
    if abs(z) < 30:  # where log(sigmoid(z)) is still exact in floats
        expected = -(y * math.log(s) + (1 - y) * math.log(1 - s))
        assert loss.data == pytest.approx(expected, rel=1e-12)
    assert math.isfinite(loss.data) and loss.data >= 0.0


def test_hinge_is_the_mean_margin_violation():
    scores = [Value(2.0), Value(0.5), Value(-0.25)]
    loss = hinge(scores, [1, 1, 1])
    assert loss.data == pytest.approx((0 + 0.5 + 1.25) / 3)
    loss.backward()
    assert [s.grad for s in scores] == pytest.approx([0.0, -1 / 3, -1 / 3])
    with pytest.raises(ValueError, match="labels -1 or \\+1"):
        hinge(scores, [1, 0, 1])


def test_l2_is_one_dot_node_with_grad_2p():
    params = [Value(1.5, param=True), Value(-2.0, param=True)]
    penalty = l2(params)
    assert penalty.op.name == "dot" and penalty.data == 1.5**2 + 4.0
    penalty.backward()
    assert [p.grad for p in params] == [3.0, -4.0]


@pytest.mark.parametrize("loss", [mse, sse, hinge, binary_cross_entropy])
def test_losses_check_lengths_and_types(loss):
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        loss([Value(0.5), Value(0.5)], [1, 1, 1])
    with pytest.raises(ValueError, match="no predictions"):
        loss([], [])
    with pytest.raises(TypeError, match="y_true"):
        loss([Value(0.5)], ["1"])


# --- optimizers and fit ------------------------------------------------------------------------


def bowl(w, v):
    return (w - 3) ** 2 + 10 * (v + 1) ** 2


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.01),
    lambda ps: SGD(ps, lr=0.01, momentum=0.9),
    lambda ps: Adam(ps, lr=0.1),
])
def test_optimizers_reduce_a_simple_loss(make):
    w, v = Value(0.0, param=True), Value(0.0, param=True)
    opt = make([w, v])
    start = bowl(w, v).data
    for _ in range(300):
        opt.zero_grad()
        bowl(w, v).backward()
        opt.step()
    assert bowl(w, v).data < start * 1e-3
    assert w.data == pytest.approx(3.0, abs=0.05) and v.data == pytest.approx(-1.0, abs=0.05)


def test_momentum_gets_further_than_plain_sgd_in_the_same_steps():
    losses = []
    for momentum in (0.0, 0.9):
        w, v = Value(0.0, param=True), Value(0.0, param=True)
        opt = SGD([w, v], lr=0.002, momentum=momentum)
        for _ in range(50):
            opt.zero_grad()
            bowl(w, v).backward()
            opt.step()
        losses.append(bowl(w, v).data)
    assert losses[1] < losses[0] / 10


def test_sgd_steps_by_their_formulas():
    p = Value(1.0, param=True)
    opt = SGD([p], lr=0.1, momentum=0.5, weight_decay=0.2)
    p.grad = 2.0
    opt.step()  # v = 2 + 0.2 * 1 = 2.2
    assert p.data == pytest.approx(1.0 - 0.1 * 2.2)
    p.grad = 2.0
    before = p.data
    opt.step()  # v = 0.5 * 2.2 + 2 + 0.2 * p
    assert p.data == pytest.approx(before - 0.1 * (0.5 * 2.2 + 2.0 + 0.2 * before))


def test_adam_first_step_is_lr_in_the_direction_of_the_grad():
    # bias correction makes m^ = g and v^ = g^2 at t = 1, so the step is lr * g / |g|
    ps = [Value(1.0, param=True), Value(1.0, param=True)]
    opt = Adam(ps, lr=0.01)
    ps[0].grad, ps[1].grad = 0.5, -50.0
    opt.step()
    assert [p.data for p in ps] == pytest.approx([0.99, 1.01], abs=1e-9)


def test_a_diverging_step_raises_and_changes_nothing():
    a, b = Value(1.0, param=True), Value(1e308, param=True)
    opt = SGD([a, b], lr=10.0)
    a.grad, b.grad = 1.0, -1e308
    with pytest.raises(ValueError, match="diverged"):
        opt.step()
    assert (a.data, b.data) == (1.0, 1e308)


@pytest.mark.parametrize("make, error, words", [
    (lambda: SGD([], lr=0.1), ValueError, "no parameters"),
    (lambda: SGD(Value(1.0), lr=0.1), TypeError, "list of Values"),
    (lambda: SGD([1.0], lr=0.1), TypeError, "params[0] is float"),
    (lambda: SGD([Value(1.0) * 2], lr=0.1), ValueError, "only leaves"),
    (lambda: SGD([Value(1.0)] * 2, lr=0.1), ValueError, "appears twice"),
    (lambda: SGD([Value(1.0)], lr=0), ValueError, "lr must be"),
    (lambda: SGD([Value(1.0)], lr=0.1, momentum=1.0), ValueError, "momentum must be"),
    (lambda: Adam([Value(1.0)], betas=(0.9,)), TypeError, "betas must be a pair"),
    (lambda: Adam([Value(1.0)], eps=-1), ValueError, "eps must be"),
])
def test_bad_optimizer_arguments(make, error, words):
    with pytest.raises(error) as e:
        make()
    assert words in str(e.value)


@pytest.mark.parametrize("with_tqdm", [True, False])
def test_fit_draws_a_progress_bar_only_when_asked_or_on_a_terminal(with_tqdm, capsys, monkeypatch):
    if with_tqdm:
        pytest.importorskip("tqdm")
    else:
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails: fit draws its own bar
    model = MLP(2, [2, 1], activation="sigmoid")
    fit(model, datasets.gender(), mse, SGD(model.parameters(), lr=0.1), epochs=3)
    assert capsys.readouterr().err == ""  # stderr is not a terminal here
    history = fit(model, datasets.gender(), mse, SGD(model.parameters(), lr=0.1), epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and f"loss {history[-1]:.4g}" in err and err.endswith("\n")
    assert ("fit: 100%" in err) == with_tqdm and ("epoch 3/3 [####" in err) != with_tqdm


def test_fit_takes_rows_and_targets_or_pairs():
    data = datasets.gender()
    histories = []
    for call in [lambda m, o: fit(m, data.X, data.y, mse, o, 5),
                 lambda m, o: fit(m, data.X, data.y, loss=mse, opt=o, epochs=5),
                 lambda m, o: fit(m, data, mse, o, 5),
                 lambda m, o: fit(m, list(data), mse, o, epochs=5)]:
        model = MLP(2, [2, 1], activation="sigmoid", seed=4)
        histories.append(call(model, SGD(model.parameters(), lr=0.1)))
    assert histories[0] == histories[1] == histories[2] == histories[3]
    model = MLP(2, [2, 1], activation="sigmoid")
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="4 rows in X but 3 targets in y"):
        fit(model, data.X, data.y[:3], mse, opt, 5)
    with pytest.raises(TypeError, match="epochs given twice"):
        fit(model, data, mse, opt, 5, epochs=5)
    with pytest.raises(TypeError, match="fit needs a loss"):
        fit(model, data.X, data.y, mse, epochs=5)
    with pytest.raises(TypeError, match=r"data\[0\] should be a pair"):
        fit(model, data.X, mse, opt, 5)


def gender_by_sgd():
    return MLP(2, [2, 1], activation="sigmoid", seed=5), datasets.gender(), mse, 1


def xor_full_batch():
    return MLP(2, [4, 1], activation="tanh", seed=6), datasets.xor(), mse, None


def moons_in_batches_with_l2():
    model = MLP(2, [8, 8, 1], activation="relu", seed=7)
    params = model.parameters()
    return model, datasets.two_moons(30, seed=1), lambda y_pred, y: hinge(y_pred, y) + 1e-3 * l2(params), 10


@pytest.mark.parametrize("case", [gender_by_sgd, xor_full_batch, moons_in_batches_with_l2])
def test_fit_compiled_gives_the_same_history_and_weights_bit_for_bit(case, monkeypatch):
    monkeypatch.setattr(Compiled, "_uncompiled", None)  # a replay that fell back would fail here
    results = []
    for compiled in (False, True):
        model, data, loss, batch_size = case()
        opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
        history = fit(model, data, loss, opt, epochs=30, batch_size=batch_size, compile=compiled)
        results.append((history, [p.data.hex() for p in model.parameters()]))
    assert results[0] == results[1]
    assert results[0][0][-1] < results[0][0][0]  # it trained


def compiled_steps(monkeypatch):
    """A list that fills with the functions fit asks chainrule.compile to compile."""
    from chainrule.nn import train

    asked = []
    real_compile = train.compile_loss

    def counting(fn, **options):
        asked.append(fn)
        return real_compile(fn, **options)

    monkeypatch.setattr(train, "compile_loss", counting)
    return asked


def test_fit_compiles_nn_own_model_and_loss_by_default_when_there_are_steps_enough(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)  # with numpy it replays the batch (tests/test_batch.py)
    asked = compiled_steps(monkeypatch)
    histories = []
    for compiled in (None, False):
        model = MLP(2, [4, 1], activation="tanh", seed=6)
        histories.append(fit(model, datasets.xor(), mse, SGD(model.parameters(), lr=0.1), epochs=25, compile=compiled))
    assert len(asked) == 1  # the default compiled the one full-batch step; compile=False did not
    assert histories[0] == histories[1]  # and gave the plain path's losses, bit for bit


def test_fit_compiles_cross_entropy_by_default_the_same_loss_within_rounding(monkeypatch):
    """Without numpy the float replay: cross_entropy's shift c stays the one recorded (the loss does not
    depend on it), so the history is the plain path's to within rounding, not bit for bit."""
    from chainrule.nn import Adam, cross_entropy

    monkeypatch.setitem(sys.modules, "numpy", None)
    asked = compiled_steps(monkeypatch)
    data = datasets.spiral(n_per_class=10, classes=3, seed=2)
    runs = []
    for compiled in (None, False):
        model = MLP(2, [8, 3], activation="relu", seed=4)
        history = fit(model, data.X, [[t] for t in data.y], cross_entropy, Adam(model.parameters(), lr=0.05),
                      epochs=20, compile=compiled)
        runs.append((history, [p.data for p in model.parameters()]))
    assert len(asked) == 1
    (history, weights), (history0, weights0) = runs
    assert history[-1] < history[0]
    assert all(math.isclose(a, b, rel_tol=1e-11) for a, b in zip(history, history0))
    assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(weights, weights0))


def test_fit_keeps_the_plain_path_for_a_users_own_loss_or_a_short_run(monkeypatch):
    asked = compiled_steps(monkeypatch)
    model = MLP(2, [4, 1], activation="tanh", seed=6)
    opt = SGD(model.parameters(), lr=0.1)
    fit(model, datasets.xor(), lambda y_pred, y: mse(y_pred, y), opt, epochs=25)  # your own loss
    fit(model, datasets.xor(), mse, opt, epochs=3)  # too few steps to repay recording
    assert asked == []
    fit(model, datasets.xor(), lambda y_pred, y: mse(y_pred, y), opt, epochs=3, compile=True)  # opted in
    assert len(asked) == 1


def test_the_loss_history_plots_itself_against_epochs(monkeypatch):
    pytest.importorskip("matplotlib", reason="matplotlib is the optional 'plot' extra")
    import matplotlib

    matplotlib.use("Agg")
    model = MLP(2, [2, 1], activation="sigmoid")
    history = fit(model, datasets.gender(), mse, SGD(model.parameters(), lr=0.1), epochs=12)
    ax = history.plot()
    assert list(ax.lines[0].get_ydata()) == history and list(ax.lines[0].get_xdata()) == list(range(1, 13))
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_yscale()) == ("epoch", "loss", "linear")
    assert history.plot(log=True).get_yscale() == "log"
    matplotlib.pyplot.close("all")
    for name in ["matplotlib", *(m for m in sys.modules if m.startswith("matplotlib."))]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[plot\]'"):
        history.plot()


def test_fit_history_is_the_mean_batch_loss_before_each_step():
    model = MLP(2, [2, 1], activation="sigmoid", seed=3)
    data = datasets.gender()
    before = mse([model(x) for x in data.X], data.y).data
    history = fit(model, data, mse, SGD(model.parameters(), lr=0.1), epochs=2)
    assert history[0] == before and history[1] < before
    with pytest.raises(ValueError, match="no data"):
        fit(model, [], mse, SGD(model.parameters(), lr=0.1), epochs=1)
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        fit(model, data, mse, SGD(model.parameters(), lr=0.1), epochs=0)


# --- datasets ----------------------------------------------------------------------------------


def test_tutorial_tables():
    g = datasets.gender()
    assert g.names == ["Alice", "Bob", "Charlie", "Diana"]
    assert list(g) == [([-2.0, -1.0], 1.0), ([25.0, 6.0], 0.0), ([17.0, 4.0], 0.0), ([-15.0, -6.0], 1.0)]
    assert [y for _, y in datasets.xor()] == [0, 1, 1, 0]
    buttons = datasets.four_buttons()
    assert all(sum(x) == 1 and x[i] == 1 for i, (x, _) in enumerate(buttons))
    assert buttons.y == [0, 0, 1, 0]
    table = datasets.two_layer_table()
    assert table.X == [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]] and table.y == [0, 1, 1, 0]


def test_two_moons_is_seeded_balanced_and_labelled_plus_minus_one():
    a = datasets.two_moons(101, noise=0.1, seed=4)
    assert len(a) == 101 and sorted(set(a.y)) == [-1.0, 1.0]
    assert a.y.count(-1.0) == 50 and a.y.count(1.0) == 51
    assert datasets.two_moons(101, noise=0.1, seed=4).X == a.X
    assert datasets.two_moons(101, noise=0.1, seed=5).X != a.X
    clean = datasets.two_moons(20, noise=0.0)
    for (x1, x2), y in clean:  # on the circles themselves
        centre = (0.0, 0.0) if y < 0 else (1.0, 0.5)
        assert math.hypot(x1 - centre[0], x2 - centre[1]) == pytest.approx(1.0)
