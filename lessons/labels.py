"""Values labelled as the tutorials name them: parameters and inputs from a string of names, a
network's forward pass with each output named, and the weighted sum under an activation."""
from ..engine import Value


def params(names, values):
    """Labelled parameters, e.g. params("w1 w2", [0, 1])."""
    return [Value(v, label=name, param=True) for name, v in zip(names.split(), values)]


def inputs(names, values):
    """Labelled inputs, e.g. inputs("x1 x2", [2, 3])."""
    return [Value(v, label=name) for name, v in zip(names.split(), values)]


def pre_activation(neuron_out):
    """The weighted sum a neuron squashed (the node under its activation)."""
    return neuron_out.inputs[0]


def named_forward(model, x, names, sums=False):
    """model's forward pass one layer at a time, each output named: names ["h1 h2", "o1"] for an MLP.

    sums=True also names each weighted sum under an activation: z_h1, z_h2, z_o1.
    Returns every named node by its name.
    """
    nodes = {}
    for layer, layer_names in zip(model.layers, names):
        x = [v.named(name) for v, name in zip(layer(x), layer_names.split())]
        nodes.update(zip(layer_names.split(), x))
        if sums and layer.neurons[0].activation != "linear":
            nodes.update((f"z_{v.label}", pre_activation(v).named(f"z_{v.label}")) for v in x)
    return nodes
