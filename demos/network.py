"""Victor Zhou's 2-2-1 network, forward: every neuron with weights [0, 1] and bias 0, on x = [2, 3].

The network itself (tutorial_network, neuron_step) is shared with the gender demos, which
train the same network.
"""
from ..engine import draw
from ..engine.formula import number as fmt
from ..lessons.grads import zero_grads
from ..lessons.labels import inputs, named_forward, params, pre_activation
from ..lessons.steps import Number, Step
from ..nn import MLP


def tutorial_network(weights, biases, fused=False):
    """The tutorial's network as an nn.MLP: h1 = f(w1 x1 + w2 x2 + b1), h2 = f(w3 x1 + w4 x2 + b2),
    o1 = f(w5 h1 + w6 h2 + b3), f the sigmoid. weights = [w1, ..., w6], biases = [b1, b2, b3]:
    numbers, or labelled Values the network keeps. fused=False writes out every * and +."""
    w1, w2, w3, w4, w5, w6 = weights
    b1, b2, b3 = biases
    return MLP(2, [2, 1], "sigmoid", "sigmoid", weights=[[[w1, w2], [w3, w4]], [[w5, w6]]],
               biases=[[b1, b2], [b3]], fused=fused)


def build():
    xs = inputs("x1 x2", [2, 3])
    ws = params("w1 w2 w3 w4 w5 w6", [0, 1] * 3)
    bs = params("b1 b2 b3", [0, 0, 0])
    nodes = named_forward(tutorial_network(ws, bs), xs, ["h1 h2", "o1"])
    o1 = nodes["o1"]
    return [
        Step(
            "A network: 2 inputs, 2 hidden neurons, 1 output",
            "Two hidden neurons h1 and h2 read the inputs x = [2, 3]; the output neuron o1 reads h1 and h2.\n"
            "As in the tutorial every neuron has weights [0, 1] and bias 0: so w1 = w3 = w5 = 0,\n"
            "w2 = w4 = w6 = 1, b1 = b2 = b3 = 0 (the tutorial's names for them come later, in training).",
            graph=draw(o1),
        ),
        neuron_step("Hidden neuron h1", nodes["h1"], "f(w1*x1 + w2*x2 + b1) = f(0*2 + 1*3 + 0)", "3", "0.9526"),
        neuron_step("Hidden neuron h2", nodes["h2"], "f(w3*x1 + w4*x2 + b2) = f(0*2 + 1*3 + 0)", "3", "0.9526",
                    extra="Same weights, same inputs: the same number as h1."),
        _output_step(o1),
        _backward_step(o1, ws, bs),
    ]


def neuron_step(title, h, formula, tutorial_sum, tutorial_out, extra=""):
    """A step for one neuron's forward pass: its weighted sum and its output beside the tutorial's."""
    z = pre_activation(h)
    text = f"{h.label} = {formula} = f({fmt(z.data)}) = {fmt(h.data)}.\nA weighted sum, then the sigmoid: one neuron."
    numbers = (
        Number(f"{h.label}'s weighted sum", z.data, tutorial=tutorial_sum),
        Number(h.label, h.data, tutorial=tutorial_out),
    )
    return Step(title, text + (f"\n{extra}" if extra else ""), numbers, draw(h))


def _output_step(o1):
    z = pre_activation(o1)
    return Step(
        "Output neuron o1",
        f"o1 = f(w5*h1 + w6*h2 + b3) = f(0*h1 + 1*h2 + 0) = f({fmt(z.data)}) = {fmt(o1.data)}.\n"
        "The hidden neurons' outputs are the output neuron's inputs: that is what makes it a network.\n"
        "The tutorial's code prints the full float; our engine gives the same one.",
        (
            Number("o1's weighted sum", z.data, tutorial="0.9526"),
            Number("o1", o1.data, tutorial="0.7216"),
            Number("print(network.feedforward(x))", o1.data, tutorial="0.7216325609518421"),
        ),
        draw(o1),
    )


def _backward_step(o1, ws, bs):
    zero_grads(o1)
    o1.backward()
    w1, w2, w3, w4, w5, w6 = ws
    return Step(
        "Backward from o1 (beyond the tutorial)",
        "The tutorial stops at the forward pass here; these grads come from our engine's backward().\n"
        f"do1/dw1 = {fmt(w1.grad)}: w5 = 0, so h1 does not reach o1 at all, and neither does w1.\n"
        f"do1/dw3 = {fmt(w3.grad)} is not 0: h2 reaches o1 through w6 = 1. Follow the edges of the drawing:\n"
        "each grad is the product of the local derivatives along the path from o1.",
        tuple(Number(f"do1/d{p.label}", p.grad) for p in (*ws, *bs)),
        draw(o1, highlight=w3),
    )
