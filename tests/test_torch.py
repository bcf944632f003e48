"""The bridge to PyTorch: to_torch on random MLPs, torch_check on random expressions, both in float64.

CI installs the CPU torch wheel (.ci/run), so there these tests run and never skip; elsewhere
they need the optional extra (pip install -e ".[torch]").
"""
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule.engine.expression import parse_expression as parse
from chainrule.engine import PRIMITIVES, Value, dot
from chainrule.engine import sum as vsum
from chainrule.nn import MLP, Layer, Neuron, mse, to_torch, torch_check
from chainrule.nn.torch import torch_ops

if os.environ.get("CI"):
    import torch  # CI must run these: a missing torch is a failure there, not a skip
else:
    torch = pytest.importorskip("torch", reason="the optional torch extra: pip install -e '.[torch]'")

ROOT = Path(__file__).resolve().parent.parent
ACTIVATIONS = ["tanh", "sigmoid", "relu", "linear"]
inputs_in = st.floats(-3, 3, allow_nan=False)


def close(ours, theirs, tolerance=1e-12):
    return abs(ours - theirs) <= tolerance * max(1.0, abs(theirs))


@settings(max_examples=40, deadline=None)
@given(nin=st.integers(1, 4), sizes=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       activation=st.sampled_from(ACTIVATIONS), out_activation=st.sampled_from(ACTIVATIONS),
       seed=st.integers(0, 10**6), data=st.data())
def test_to_torch_gives_the_same_outputs_for_random_mlps(nin, sizes, activation, out_activation, seed, data):
    model = MLP(nin, sizes, activation=activation, out_activation=out_activation, seed=seed)
    net = to_torch(model)
    assert all(p.dtype == torch.float64 for p in net.parameters())
    assert sum(p.numel() for p in net.parameters()) == len(model.parameters())
    for _ in range(3):
        x = data.draw(st.lists(inputs_in, min_size=nin, max_size=nin))
        ours = model(x)
        ours = [ours.data] if isinstance(ours, Value) else [v.data for v in ours]
        theirs = net(torch.tensor(x, dtype=torch.float64)).tolist()
        assert len(theirs) == sizes[-1] and all(close(a, b) for a, b in zip(ours, theirs)), (ours, theirs)


def test_to_torch_a_layer_and_a_neuron_and_the_weights_are_copies():
    neuron = Neuron(2, "sigmoid", weights=[0, 1], bias=4)
    net = to_torch(neuron)
    assert net(torch.tensor([2.0, 3.0], dtype=torch.float64)).item() == neuron([2, 3]).data == 0.9990889488055994
    layer = Layer(3, 2, "relu", seed=4)
    x = [1.0, -0.5, 2.0]
    assert torch.allclose(to_torch(layer)(torch.tensor(x, dtype=torch.float64)),
                          torch.tensor([v.data for v in layer(x)], dtype=torch.float64), rtol=0, atol=1e-15)
    with torch.no_grad():
        net[0].weight.add_(1.0)  # training the copy leaves ours alone
    assert [w.data for w in neuron.w] == [0.0, 1.0]


def test_to_torch_refuses_what_it_cannot_copy():
    with pytest.raises(TypeError, match="to_torch takes an MLP, a Layer or a Neuron, not list"):
        to_torch([Neuron(1)])
    layer = Layer(2, 2, "tanh", seed=0)
    layer.neurons[1].activation = "relu"
    with pytest.raises(ValueError, match=r"layer 0 mixes activations \(relu, tanh\)"):
        to_torch(layer)


def test_every_op_in_the_table_has_a_torch_function():
    ops = {name for name, p in PRIMITIVES.items() if p.forward is not None}
    assert set(torch_ops(torch)) == ops


@st.composite
def expressions(draw):
    """A random graph over three inputs that uses every kind of op, kept inside each op's domain."""
    nodes = [Value(draw(st.floats(-2, 2)), f"x{i}") for i in range(3)]
    for _ in range(draw(st.integers(1, 12))):
        a, b, c = (draw(st.sampled_from(nodes)) for _ in range(3))
        op = draw(st.sampled_from([name for name, p in PRIMITIVES.items() if p.forward is not None]))
        positive = a * a + 0.5  # for log, sqrt, a Value base, a fractional power, a divisor
        made = {
            "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / (b * b + 0.5),
            "neg": lambda: -a, "powc": lambda: positive ** draw(st.sampled_from([-1.5, -1, 0.5, 2, 3])),
            "pow": lambda: positive ** b.tanh(), "exp": lambda: a.tanh().exp(), "log": lambda: positive.log(),
            "sqrt": lambda: positive.sqrt(), "tanh": lambda: a.tanh(), "sigmoid": lambda: a.sigmoid(),
            "relu": lambda: a.relu(), "abs": lambda: abs(a), "sum": lambda: vsum([a, b, c]),
            "dot": lambda: dot([a, b], [c, a], b),
        }[op]()
        nodes.append(made)
    return nodes[-1]


@settings(max_examples=80, deadline=None)
@given(expressions())
def test_torch_check_agrees_on_random_expressions(out):
    report = torch_check(out)
    assert report.ok, str(report)
    assert close(report.out, report.torch_out)
    for row in report.rows:
        assert close(row.ours, row.theirs, 1e-9)


def test_torch_check_on_a_parsed_expression_and_an_mlps_loss():
    out, leaves = parse("log(abs(x) + 1)*sqrt(x*x + 1) + 2**x / (1 + exp(-x)) - relu(x)**3 + sigmoid(w*x)",
                        {"x": 0.7, "w": -1.5})
    report = torch_check(out)
    assert report.ok and {"x", "w"} <= {row.name for row in report.rows}
    model = MLP(3, [4, 4, 2], activation="tanh", out_activation="sigmoid", seed=1)
    loss = mse(model([0.5, -1.0, 2.0]), [0.0, 1.0])
    report = torch_check(loss)
    assert report.ok and len(report.rows) > len(model.parameters())
    assert str(report).splitlines()[0].startswith(f"torch_check: {len(report.rows)} leaves; output")
    assert "every grad agrees" in str(report) and "0.5 (input)" in str(report)


def test_torch_check_sets_the_grads_afresh():
    x, w = Value(0.5, "x"), Value(-2.0, "w", param=True)
    y = (w * x).tanh()
    y.backward()
    y.backward()  # grads accumulated twice
    report = torch_check(y)
    assert report.ok
    assert w.grad == next(row.ours for row in report.rows if row.name == "w")  # one backward's worth
    assert w.grad == pytest.approx(0.5 * (1 - math.tanh(-1.0) ** 2))


def test_torch_check_flags_a_wrong_derivative(monkeypatch):
    """If the table's rule for tanh were wrong, torch would disagree, and the report says where."""
    monkeypatch.setattr(PRIMITIVES["tanh"], "local", lambda out, a: (1.0 - out,))
    x, w = Value(0.5, "x"), Value(-2.0, "w", param=True)
    report = torch_check((w * x).tanh() + x)
    assert not report.ok and not bool(report)
    flagged = {row.name for row in report.rows if row.differs}
    assert flagged == {"x", "w"}
    text = str(report)
    assert "2 grads DIFFER" in text.splitlines()[0]
    assert sum(line.endswith("DIFFERS") for line in text.splitlines()) == 2


def test_an_op_with_no_torch_function_is_named(monkeypatch):
    """A new row in the table reaches torch_check only with its torch function: until then, a clear error."""
    import chainrule.nn.torch as bridge

    known = bridge.torch_ops
    monkeypatch.setattr(bridge, "torch_ops", lambda torch: {k: f for k, f in known(torch).items() if k != "tanh"})
    with pytest.raises(ValueError, match="torch_check: no torch function for the op 'tanh'"):
        torch_check(Value(0.5, "x").tanh())


def test_importing_the_library_does_not_import_torch():
    code = "import sys, chainrule, chainrule.nn; assert 'torch' not in sys.modules, 'torch was imported'"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_issue17_item14_to_torch_and_torch_check_of_a_model_without_biases():
    model = MLP(2, [3, 1], biases=False, seed=5)
    net = to_torch(model)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    assert [m.bias for m in linears] == [None, None]
    assert sum(p.numel() for p in net.parameters()) == len(model.parameters()) == 9
    x = [0.7, -1.3]
    assert close(net(torch.tensor(x, dtype=torch.float64)).item(), model(x).data)
    t = torch.tensor(x, dtype=torch.float64)
    loss_t = (net(t) - 0.5).pow(2).sum()
    grads_t = torch.autograd.grad(loss_t, list(net.parameters()))
    loss = (model(x) - 0.5) ** 2
    model.zero_grad()
    loss.backward()
    ours = [p.grad for p in model.parameters()]  # layer by layer, neuron by neuron: torch's weight order
    assert all(close(a, b) for a, b in zip(ours, torch.cat([g.flatten() for g in grads_t]).tolist()))
    check = torch_check((model(x) - 0.5) ** 2)
    assert check.ok and sum(row.name.endswith("(param)") for row in check.rows) == 9
    neuron = Neuron(2, "sigmoid", weights=[0, 1], bias=False)
    assert to_torch(neuron)(torch.tensor([2.0, 3.0], dtype=torch.float64)).item() == neuron([2, 3]).data
    layer = Layer(2, 2, seed=1)
    layer.neurons[1].b = None
    with pytest.raises(ValueError, match="layer 0 has neurons with a bias and neurons without"):
        to_torch(layer)
