"""The bridge to PyTorch, for when a learner outgrows scalars (the optional `torch` extra).

    from chainrule.nn import MLP, to_torch, torch_check
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    net = to_torch(model)            # a torch.nn.Module with the same weights, in float64
    net(torch.tensor([[0.5, -1.0]], dtype=torch.float64))   # model([0.5, -1.0]), to 1e-12

    loss = (model([0.5, -1.0]) - 1) ** 2
    print(torch_check(loss))         # every leaf's grad: ours beside torch.autograd's

torch is imported only inside these functions: `import chainrule.nn` never loads it.
"""
import math

from ..engine import PRIMITIVES, backward_order
from ..engine.formula import describe

RTOL = 1e-9  # torch_check flags a grad that differs from torch's by more than this, relative ...
ATOL = 1e-12  # ... or by more than this, absolute (for grads near 0)


def torch_ops(torch):
    """{primitive name: its torch function}, one for every op row of engine.PRIMITIVES.

    sum and dot are the table's own forwards (written with + and *, which tensors take): they
    add left to right as the engine does, so both sides compute the same floats. A powc
    exponent is a number, not a variable: torch gets it detached (the engine's local
    derivative for it is 0 too).
    """
    return {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "neg": torch.neg,
            "powc": lambda a, n: torch.pow(a, n.detach()), "pow": torch.pow, "exp": torch.exp, "log": torch.log,
            "sqrt": torch.sqrt, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "abs": torch.abs,
            "sum": PRIMITIVES["sum"].forward, "dot": PRIMITIVES["dot"].forward}


def to_torch(model):
    """The same network as a torch.nn.Module in float64: a Linear layer per layer, the same activations.

    model: an MLP, a Layer or a Neuron. The result maps a tensor of shape (..., nin) to one of
    shape (..., nout), where model(x) gives a Value (one output) or a list of them; the outputs
    agree to about 1e-15. Its weights are copies: training one does not change the other. A
    model built with biases=False (bias=False) gives Linear layers without a bias.
    """
    import torch

    from .layers import MLP, Layer, Neuron

    if isinstance(model, MLP):
        layers = [layer.neurons for layer in model.layers]
    elif isinstance(model, Layer):
        layers = [model.neurons]
    elif isinstance(model, Neuron):
        layers = [[model]]
    else:
        raise TypeError(f"to_torch takes an MLP, a Layer or a Neuron, not {type(model).__name__}")
    activations = {"tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "linear": None}
    modules = []
    for k, neurons in enumerate(layers):
        used = {n.activation for n in neurons}
        if len(used) > 1:
            raise ValueError(f"layer {k} mixes activations ({', '.join(sorted(used))}); a torch Linear layer "
                             "is followed by one")
        (activation,) = used
        if activation not in activations:
            raise ValueError(f"layer {k}: no torch module for the activation {activation!r}")
        biased = {n.b is not None for n in neurons}
        if len(biased) > 1:
            raise ValueError(f"layer {k} has neurons with a bias and neurons without; a torch Linear layer has "
                             "a bias for all of them or for none")
        (bias,) = biased
        linear = torch.nn.Linear(neurons[0].nin, len(neurons), bias=bias, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=torch.float64))
            if bias:
                linear.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))
        modules.append(linear)
        if activations[activation] is not None:
            modules.append(activations[activation]())
    return torch.nn.Sequential(*modules)


def torch_check(root, rtol=RTOL, atol=ATOL):
    """Our backward() beside torch.autograd for the graph behind root: every leaf's grad, differences flagged.

    The graph is rebuilt in torch (float64) op by op from the table's op names (torch_ops).
    Like zero_grad() then backward() in PyTorch, this sets the graph's grads afresh: every grad
    in it to 0, then root.backward(). Returns a TorchCheck: print it for the table; it is true
    when every grad agrees within rtol (relative) or atol (absolute).
    """
    import torch

    ops = torch_ops(torch)
    order = backward_order(root)
    tensors = {}
    for v in reversed(order):  # leaves first, then each value after its inputs
        if not v.inputs:
            tensors[v] = torch.tensor(v.data, dtype=torch.float64, requires_grad=True)
            continue
        if v.op.name not in ops:
            raise ValueError(f"torch_check: no torch function for the op {v.op.name!r} (add one to "
                             "chainrule.nn.torch.torch_ops)")
        tensors[v] = ops[v.op.name](*(tensors[x] for x in v.inputs))
    leaves = [v for v in order if not v.inputs]
    theirs = torch.autograd.grad(tensors[root], [tensors[v] for v in leaves], allow_unused=True)
    for v in order:
        v.grad = 0.0
    root.backward()
    rows = [Row(_name(v), v.grad, 0.0 if g is None else g.item(), rtol, atol) for v, g in zip(leaves, theirs)]
    return TorchCheck(rows, root.data, tensors[root].item())


class Row:
    """One leaf: its name, d root / d leaf from our backward and from torch.autograd, and whether they differ."""

    __slots__ = ("name", "ours", "theirs", "differs")

    def __init__(self, name, ours, theirs, rtol, atol):
        self.name, self.ours, self.theirs = name, ours, theirs
        self.differs = not math.isclose(ours, theirs, rel_tol=rtol, abs_tol=atol)

    def __repr__(self):
        return f"Row({self.name!r}, ours={self.ours!r}, torch={self.theirs!r}{', DIFFERS' if self.differs else ''})"


class TorchCheck:
    """What torch_check found: a Row per leaf, and the output computed by both."""

    def __init__(self, rows, out, torch_out):
        self.rows, self.out, self.torch_out = rows, out, torch_out

    @property
    def ok(self):
        return not any(row.differs for row in self.rows)

    def __bool__(self):
        return self.ok

    def __str__(self):
        flagged = sum(row.differs for row in self.rows)
        worst = max((abs(row.ours - row.theirs) for row in self.rows), default=0.0)
        head = (f"torch_check: {len(self.rows)} leaves; output {self.out!r} here, {self.torch_out!r} in torch; "
                + (f"{flagged} grad{'s' * (flagged != 1)} DIFFER" if flagged else "every grad agrees")
                + f" (largest difference {worst:.3g})")
        width = max([len("leaf"), *(len(row.name) for row in self.rows)])
        lines = [head, f"  {'leaf':<{width}}  {'ours':>24}  {'torch':>24}"]
        for row in self.rows:
            mark = "  DIFFERS" if row.differs else ""
            lines.append(f"  {row.name:<{width}}  {row.ours!r:>24}  {row.theirs!r:>24}{mark}")
        return "\n".join(lines)

    __repr__ = __str__


def _name(v):
    """A leaf's label, or its number and kind: '2 (const)', '0.5 (input)'."""
    return v.label or f"{describe(v)} ({v.op.name})"
