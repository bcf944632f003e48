"""Neuron, Layer, MLP: y = f(w . x + b), side by side in a layer, layers one after another."""
import random

from ..engine import PRIMITIVES, Value, dot

from .module import Module

# activation name -> the Value method that applies it, from the engine's table (linear: y = z, no node)
ACTIVATIONS = {**{op.name: getattr(Value, op.methods[0]) for op in PRIMITIVES.values() if op.kind == "activation"},
               "linear": None}


class Neuron(Module):
    """y = f(w1*x1 + w2*x2 + ... + b), f one of tanh, sigmoid, relu, linear.

    Weights start uniform in [-1, 1] and the bias at 0, drawn from `seed` (an int, or a
    random.Random to draw from; None: different every run), unless given:
    `Neuron(2, "sigmoid", weights=[0, 1], bias=4)([2, 3])` is 0.9990889488055994.
    fused=True records w . x + b as one `dot` node (fast); fused=False records every w*x and
    every + as its own node, the way the tutorials write it. Both give the same floats.
    """

    def __init__(self, nin, activation="tanh", weights=None, bias=None, seed=None, fused=True):
        self.nin = _positive_int(nin, "nin")
        self.activation = _activation(activation)
        self.fused = _flag(fused, "fused")
        if weights is None:
            rng = _rng(seed)
            weights = [rng.uniform(-1.0, 1.0) for _ in range(self.nin)]
        self.w = [_parameter(wi, f"weight {i}") for i, wi in enumerate(_sized(weights, self.nin, "weights"))]
        self.b = _parameter(0.0 if bias is None else bias, "bias")
        self.named_parameters()  # labels: w.0, w.1, ..., b

    def __call__(self, x):
        return self._forward(_inputs(x, self.nin))

    def _forward(self, x):
        """f(w . x + b) for a list of nin Values (checked by the caller)."""
        if self.fused:
            z = dot(self.w, x, self.b)
        else:
            z = self.w[0] * x[0]
            for wi, xi in zip(self.w[1:], x[1:]):
                z = z + wi * xi
            z = z + self.b
        f = ACTIVATIONS[self.activation]
        return z if f is None else f(z)

    def __repr__(self):
        return f"Neuron({self.nin}, {self.activation!r})"


class Layer(Module):
    """nout neurons that all read the same nin inputs; returns a list of nout Values.

    weights (nout lists of nin numbers) and biases (nout numbers) can be given, as for Neuron.
    """

    def __init__(self, nin, nout, activation="tanh", weights=None, biases=None, seed=None, fused=True):
        self.nin = _positive_int(nin, "nin")
        nout = _positive_int(nout, "nout")
        rng = _rng(seed)
        weights = [None] * nout if weights is None else _sized(weights, nout, "weights (one list per neuron)")
        biases = [None] * nout if biases is None else _sized(biases, nout, "biases")
        self.neurons = [Neuron(nin, activation, w, b, rng, fused) for w, b in zip(weights, biases)]
        self.named_parameters()  # labels: neurons.0.w.0, ...

    def __call__(self, x):
        x = _inputs(x, self.nin)
        return [n._forward(x) for n in self.neurons]

    def __repr__(self):
        return f"Layer({self.nin}, {len(self.neurons)}, {self.neurons[0].activation!r})"


class MLP(Module):
    """Layers of sizes `sizes` on nin inputs: MLP(2, [16, 16, 1]) is 2 -> 16 -> 16 -> 1.

    Hidden layers use `activation`, the last layer `out_activation` (None: the same).
    Seeded (seed=0 by default), so two MLPs built alike start alike. Calling it returns one
    Value when the last layer has one neuron, else a list.
    """

    def __init__(self, nin, sizes, activation="tanh", out_activation=None, seed=0, fused=True):
        self.nin = _positive_int(nin, "nin")
        sizes = [_positive_int(n, "each layer size") for n in _list(sizes, "sizes")]
        if not sizes:
            raise ValueError("MLP needs at least one layer size, e.g. MLP(2, [16, 16, 1])")
        out_activation = activation if out_activation is None else out_activation
        activations = [activation] * (len(sizes) - 1) + [out_activation]
        rng = _rng(seed)
        fans_in = [self.nin] + sizes[:-1]
        self.layers = [Layer(i, o, f, seed=rng, fused=fused) for i, o, f in zip(fans_in, sizes, activations)]
        self.named_parameters()  # labels: layers.0.neurons.0.w.0, ...

    def __call__(self, x):
        x = _inputs(x, self.nin)
        for layer in self.layers:
            x = [n._forward(x) for n in layer.neurons]
        return x[0] if len(x) == 1 else x

    def __repr__(self):
        sizes = [len(layer.neurons) for layer in self.layers]
        return f"MLP({self.nin}, {sizes})"


def _inputs(x, nin):
    """x as a list of nin Values; numbers become input leaves."""
    if isinstance(x, (Value, str)) or not hasattr(x, "__len__"):
        raise TypeError(f"expected a list of {nin} inputs, not {type(x).__name__} {x!r} (write [x] for one input)")
    if len(x) != nin:
        raise ValueError(f"expected {nin} input{'s' if nin != 1 else ''}, got {len(x)}: {list(x)!r}")
    return [xi if type(xi) is Value else Value(xi) for xi in x]


def _parameter(x, what):
    if isinstance(x, Value):
        raise TypeError(f"{what}: give a number, not a Value (the neuron makes its own parameters)")
    return Value(x, param=True)


def _activation(name):
    if name not in ACTIVATIONS:
        known = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; choose one of {known}")
    return name


def _positive_int(n, what):
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, not {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"{what} must be at least 1, got {n}")
    return n


def _list(items, what):
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise TypeError(f"{what} must be a list, not {type(items).__name__} {items!r}")
    return list(items)


def _sized(items, n, what):
    items = _list(items, what)
    if len(items) != n:
        raise ValueError(f"expected {n} {what}, got {len(items)}: {items!r}")
    return items


def _flag(x, what):
    if not isinstance(x, bool):
        raise TypeError(f"{what} must be True or False, not {x!r}")
    return x


def _rng(seed):
    """A random.Random: the one given, or a new one seeded with an int (None: from the OS)."""
    if isinstance(seed, random.Random):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an int, None or a random.Random, not {type(seed).__name__} {seed!r}")
    return random.Random(seed)
