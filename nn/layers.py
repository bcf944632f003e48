"""Neuron, Layer, MLP: y = f(w . x + b), side by side in a layer, layers one after another."""
import random

from ..engine import PRIMITIVES, Value
from ..engine.value import DOT, apply
from ..engine.checks import positive_int

from .module import Module, _json_type, read_parameter_file

# activation name -> the Value method that applies it, from the engine's table (linear: y = z, no node)
ACTIVATIONS = {**{op.name: getattr(Value, op.methods[0]) for op in PRIMITIVES.values() if op.kind == "activation"},
               "linear": None}


class Neuron(Module):
    """y = f(w1*x1 + w2*x2 + ... + b), f one of tanh, sigmoid, relu, linear.

    Weights start uniform in [-1, 1] and the bias at 0, drawn from `seed` (an int, or a
    random.Random to draw from; None: different every run), unless given. Given weights and
    bias are numbers, or Values that the neuron then trains as they are, labels and all (a
    tutorial's w1, w2, b): `Neuron(2, "sigmoid", weights=[0, 1], bias=4)([2, 3])` is
    0.9990889488055994. bias=False: no bias at all, y = f(w . x).
    fused=True records w . x + b as one `dot` node (fast); fused=False records every w*x and
    every + as its own node, the way the tutorials write it. Both give the same floats.
    The parameters are `w`, a tuple of nin Values (a tuple, so that every dot node can keep it
    without a copy), and `b`, a Value or None.
    """

    def __init__(self, nin, activation="tanh", weights=None, bias=None, seed=None, fused=True):
        self.nin = positive_int(nin, "nin")
        self.activation = _activation(activation)
        self.fused = _flag(fused, "fused")
        if weights is None:
            rng = _rng(seed)
            weights = [rng.uniform(-1.0, 1.0) for _ in range(self.nin)]
        self.w = tuple([_parameter(wi, f"weight {i}") for i, wi in enumerate(_sized(weights, self.nin, "weights"))])
        self.b = None if bias is False else _parameter(_bias(bias), "bias")

    def __call__(self, x):
        """f(w . x + b) for a list of nin inputs (numbers or Values)."""
        return self._forward(_inputs(x, self.nin))

    def _forward(self, x):
        """f(w . x + b) for a list of nin Values (checked by the caller)."""
        if self.fused:
            # the node engine.dot(self.w, x, self.b) makes, by apply() itself: dot's checks of its
            # two lists are the caller's here (nin Values), and this is the path training takes
            z = apply(DOT, *self.w, *x) if self.b is None else apply(DOT, *self.w, *x, self.b)
        else:
            z = self.w[0] * x[0]
            for wi, xi in zip(self.w[1:], x[1:]):
                z = z + wi * xi
            if self.b is not None:
                z = z + self.b
        f = ACTIVATIONS[self.activation]
        return z if f is None else f(z)

    def architecture(self):
        """What builds this neuron's shape again: Neuron(**architecture) (saved by save())."""
        return {"nin": self.nin, "activation": self.activation, **_options(self)}


class Layer(Module):
    """nout neurons that all read the same nin inputs; returns a list of nout Values.

    weights (nout lists of nin numbers or Values) and biases (nout of them) can be given, as
    for Neuron; biases=False: no biases.
    """

    def __init__(self, nin, nout, activation="tanh", weights=None, biases=None, seed=None, fused=True):
        self.nin = positive_int(nin, "nin")
        nout = positive_int(nout, "nout")
        rng = _rng(seed)
        weights = [None] * nout if weights is None else _sized(weights, nout, "weights (one list per neuron)")
        biases = [biases] * nout if biases is None or biases is False else _each_bias(_sized(biases, nout, "biases"))
        self.neurons = [Neuron(nin, activation, w, b, rng, fused) for w, b in zip(weights, biases)]

    def __call__(self, x):
        """The nout neurons' outputs for a list of nin inputs."""
        x = _inputs(x, self.nin)
        return [n._forward(x) for n in self.neurons]

    def architecture(self):
        """What builds this layer's shape again: Layer(**architecture) (saved by save())."""
        first = self.neurons[0]
        return {"nin": self.nin, "nout": len(self.neurons), "activation": first.activation, **_plural(first)}


class MLP(Module):
    """Layers of sizes `sizes` on nin inputs: MLP(2, [16, 16, 1]) is 2 -> 16 -> 16 -> 1.

    Hidden layers use `activation`; the last layer is linear (its outputs are the weighted
    sums, as in micrograd and PyTorch) unless out_activation says otherwise. weights (one list
    per layer, as Layer takes them) and biases (likewise, or False for none) can be given.
    Seeded (seed=0 by default), so two MLPs built alike start alike. Calling it returns one
    Value when the last layer has one neuron, else a list.
    """

    def __init__(self, nin, sizes, activation="tanh", out_activation="linear", weights=None, biases=None,
                 seed=0, fused=True):
        self.nin = positive_int(nin, "nin")
        sizes = [positive_int(n, "each layer size") for n in _list(sizes, "sizes")]
        if not sizes:
            raise ValueError("MLP needs at least one layer size, e.g. MLP(2, [16, 16, 1])")
        activations = [_activation(activation)] * (len(sizes) - 1) + [_activation(out_activation)]
        weights = [None] * len(sizes) if weights is None else _sized(weights, len(sizes), "weights (one list per layer)")
        biases = ([biases] * len(sizes) if biases is None or biases is False
                  else _each_bias(_sized(biases, len(sizes), "biases (one list per layer)")))
        rng = _rng(seed)
        fans_in = [self.nin] + sizes[:-1]
        self.layers = [Layer(i, o, f, w, b, rng, fused)
                       for i, o, f, w, b in zip(fans_in, sizes, activations, weights, biases)]
        self.activation, self.out_activation = activation, out_activation

    def __call__(self, x):
        """The last layer's output for a list of nin inputs: one Value, or a list of them."""
        x = _inputs(x, self.nin)
        for layer in self.layers:
            x = tuple([n._forward(x) for n in layer.neurons])  # every neuron's dot keeps this tuple as it is
        return x[0] if len(x) == 1 else list(x)

    def architecture(self):
        """What builds this MLP's shape again: MLP(**architecture) (saved by save())."""
        return {"nin": self.nin, "sizes": [len(layer.neurons) for layer in self.layers],
                "activation": self.activation, "out_activation": self.out_activation,
                **_plural(self.layers[0].neurons[0])}


def load(path):
    """The Neuron, Layer or MLP saved at `path` by save(), rebuilt from its architecture and parameters.

    A malformed file, or one whose architecture and parameters do not fit, raises ValueError
    naming the file and the problem (a field of the wrong JSON type: the field). A model of
    another class (your own Module) cannot be rebuilt from the file: build it, then call
    model.load(path).
    """
    document = read_parameter_file(path)
    kind, architecture = document.get("module"), document.get("architecture")
    if not isinstance(kind, str):
        raise ValueError(f"{path}: \"module\" should be a string naming the class (\"MLP\", \"Layer\" or "
                         f"\"Neuron\"), found {_found(kind)}")
    if kind not in REBUILDS or architecture is None:
        raise ValueError(f"{path}: holds the parameters of a {kind!r:.80}, which nn.load cannot rebuild (it rebuilds "
                         f"{', '.join(REBUILDS)} saved with their architecture); build the model, then "
                         f"call model.load({str(path)!r})")
    cls, keys = REBUILDS[kind]
    if not isinstance(architecture, dict) or set(architecture) - set(keys) or set(keys[:2]) - set(architecture):
        raise ValueError(f"{path}: \"architecture\" of a {kind} should be an object with {', '.join(keys[:2])} and "
                         f"optionally {', '.join(keys[2:])}, found {architecture!r:.200}")
    _check_fields(architecture, path)
    count = _parameter_count(architecture)
    if count != len(document["parameters"]):
        raise ValueError(f"{path}: the architecture has {count} parameters but the file holds "
                         f"{len(document['parameters'])}")
    try:
        model = cls(**architecture)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: architecture: {e}") from None
    return model.load_state_dict(document["parameters"], source=str(path))


# class name -> (class, keys of its architecture: the required ones first)
REBUILDS = {"Neuron": (Neuron, ("nin", "activation", "bias", "fused")),
            "Layer": (Layer, ("nin", "nout", "activation", "biases", "fused")),
            "MLP": (MLP, ("nin", "sizes", "activation", "out_activation", "biases", "fused"))}


def _check_fields(architecture, path):
    """Each field of a saved architecture of the JSON type it must be; ValueError naming the file and the field."""
    for key, value in architecture.items():
        where = f"{path}: architecture: {key}"
        if key in ("nin", "nout") and not _is_size(value):
            raise ValueError(f"{where} should be a whole number >= 1, not {_found(value)}")
        if key == "sizes":
            if not isinstance(value, list) or not value:
                raise ValueError(f"{where} should be a non-empty list of layer sizes, not {_found(value)}")
            wrong = next((n for n in value if not _is_size(n)), None)
            if wrong is not None:
                raise ValueError(f"{where}: every size should be a whole number >= 1, not {wrong!r:.50}")
        if key in ("activation", "out_activation") and not isinstance(value, str):
            raise ValueError(f"{where} should be a string naming an activation ({', '.join(ACTIVATIONS)}), "
                             f"not {_found(value)}")
        if key in ("bias", "biases") and value is not False:
            raise ValueError(f"{where} should be false (saved only for a model without biases), not "
                             f"{_found(value)}")
        if key == "fused" and not isinstance(value, bool):
            raise ValueError(f"{where} should be true or false, not {_found(value)}")


def _found(value):
    """A JSON value as a message shows it: an array [1], an object {...}, null, true, 2.5, 'two'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return f"{_json_type(value)} {value!r:.50}"
    return f"{value!r:.50}"


def _is_size(n):
    return isinstance(n, int) and not isinstance(n, bool) and n >= 1


def _parameter_count(architecture):
    """How many parameters a checked architecture would build, counted before anything is built."""
    widths = [architecture["nin"], *architecture.get("sizes", [architecture.get("nout", 1)])]  # a Neuron: one
    bias = int(architecture.get("bias", architecture.get("biases")) is not False)
    return sum((fan_in + bias) * nout for fan_in, nout in zip(widths, widths[1:]))


def _options(neuron):
    """A neuron's construction options that differ from the defaults (no bias, not fused)."""
    return {**({"bias": False} if neuron.b is None else {}), **({} if neuron.fused else {"fused": False})}


def _plural(neuron):
    """A neuron's options as Layer and MLP take them: bias=False becomes biases=False."""
    return {("biases" if key == "bias" else key): value for key, value in _options(neuron).items()}


def _each_bias(biases):
    """A list of biases, none of them False: a bias is left out for a whole layer or model, not one neuron."""
    if any(b is False for b in biases):
        raise ValueError("biases=False leaves out every bias; a list of biases cannot leave out only some")
    return biases


def _inputs(x, nin):
    """x as a tuple of nin Values (which dot keeps as it is); numbers become input leaves."""
    if isinstance(x, (Value, str)) or not hasattr(x, "__len__"):
        raise TypeError(f"expected a list of {nin} inputs, not {type(x).__name__} {x!r} (write [x] for one input)")
    if any(hasattr(xi, "__len__") and not isinstance(xi, str) for xi in x):
        raise TypeError(f"a model takes one sample at a time: a list of {nin} number{'s' * (nin != 1)}, not a list "
                        "of samples; for several, call it on each: [model(x) for x in X]")
    if len(x) != nin:
        raise ValueError(f"expected {nin} input{'s' if nin != 1 else ''}, got {len(x)}: {list(x)!r}")
    return tuple([xi if type(xi) is Value else Value(xi) for xi in x])


def _parameter(x, what):
    """x as a parameter: a number becomes a new Value; a Value given is used as it is, label and all."""
    if not isinstance(x, Value):
        return Value(x, param=True)
    if x.inputs:
        raise ValueError(f"{what}: {x!r} was computed from other values; a parameter must be a leaf")
    x.op = PRIMITIVES["param"]  # trained, and drawn as a parameter, from now on
    return x


def _bias(bias):
    if bias is True:
        raise TypeError("bias=True: give the bias's starting value (None for 0), or bias=False for no bias")
    return 0.0 if bias is None else bias


def _activation(name):
    if name not in ACTIVATIONS:
        known = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; choose one of {known}")
    return name


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
