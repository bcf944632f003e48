"""What the demos share: labelled values, numbers written short, a derivative by a fresh backward,
a network's forward pass with its nodes named, and gradient descent one step at a time."""
from ..engine import Value, backward_order
from ..engine.formula import number as fmt  # a float for the step text, as the drawings write it: -0 as 0
from ..nn import SGD


def params(names, values):
    """Labelled parameters, e.g. params("w1 w2", [0, 1])."""
    return [Value(v, label=name, param=True) for name, v in zip(names.split(), values)]


def inputs(names, values):
    """Labelled inputs, e.g. inputs("x1 x2", [2, 3])."""
    return [Value(v, label=name) for name, v in zip(names.split(), values)]


def zero_grads(root):
    """Set every grad in root's graph to 0, leaves included, for a fresh backward."""
    for v in backward_order(root):
        v.grad = 0.0


def derivative(out, wrt):
    """d out / d wrt by autograd: a fresh backward from `out`, read off `wrt.grad`."""
    zero_grads(out)
    out.backward()
    return wrt.grad


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


def gradient_descent(loss, parameters, lr, steps):
    """`steps` steps of p <- p - lr * dL/dp for every parameter p, with L = loss() made afresh each step.

    Yields after each step the L it was taken on (its value and grads are from before the
    step; the parameters have moved), so the caller can record the trajectory.
    """
    opt = SGD(parameters, lr=lr)
    for _ in range(steps):
        L = loss()
        opt.zero_grad()
        L.backward()
        opt.step()
        yield L
