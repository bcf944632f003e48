"""What the demos share: labelled values, numbers written short, and a derivative by a fresh backward."""
from ..engine import Value, backward_order


def params(names, values):
    """Labelled parameters, e.g. params("w1 w2", [0, 1])."""
    return [Value(v, label=name, param=True) for name, v in zip(names.split(), values)]


def inputs(names, values):
    """Labelled inputs, e.g. inputs("x1 x2", [2, 3])."""
    return [Value(v, label=name) for name, v in zip(names.split(), values)]


def fmt(x, digits=4):
    """A float for the step text: `digits` significant figures, no trailing noise."""
    return f"{x:.{digits}g}"


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
