"""One neuron from Victor Zhou's tutorial: inputs x = [2, 3], weights w = [0, 1], bias b = 4.

Every number on screen comes out of the engine: forward by its ops, every derivative by
backward(). The only numbers typed in are the tutorial's inputs and the strings it prints
(the `tutorial=` side of each Number).
"""
from ..engine import draw
from ..engine.formula import number as fmt
from ..lessons.grads import derivative
from ..lessons.labels import inputs, params, pre_activation
from ..lessons.steps import Number, Step
from ..nn import Neuron


def build():
    x1, x2 = inputs("x1 x2", [2, 3])
    w1, w2, b = params("w1 w2 b", [0, 1, 4])
    y = Neuron(2, "sigmoid", weights=[w1, w2], bias=b, fused=False)([x1, x2]).named("y")
    total = pre_activation(y).named("total")  # the tutorial's code calls it `total`
    return [
        Step(
            "A neuron with two inputs",
            "A neuron multiplies each input by a weight, adds the results and a bias, then squashes\n"
            "the sum with an activation function. Here: inputs x = [2, 3], weights w = [0, 1], bias b = 4,\n"
            "and the sigmoid activation f(x) = 1 / (1 + e^-x). The drawing is the graph our engine\n"
            "recorded while computing it; the next steps walk through it.",
            graph=draw(y),
        ),
        Step(
            "The weighted sum",
            f"(w1*x1) + (w2*x2) + b = {fmt(w1.data)}*{fmt(x1.data)} + {fmt(w2.data)}*{fmt(x2.data)} + {fmt(b.data)}"
            f" = {fmt(total.data)}.\nEach * and + is one node of the graph.",
            (Number("w·x + b", total.data, tutorial="7"),),
            draw(total),
        ),
        Step(
            "The activation",
            f"y = f({fmt(total.data)}) = {fmt(y.data, 6)}. The sigmoid squashes any number into (0, 1): 7 is big,\n"
            "so y is close to 1. The tutorial's code prints the full float; our engine gives the very same one.",
            (
                Number("y = f(7)", y.data, tutorial="0.999"),
                Number("print(n.feedforward(x))", y.data, tutorial="0.9990889488055994"),
            ),
            draw(y),
        ),
        _backward_step(y, x1, x2, w1, w2, b),
    ]


def _backward_step(y, x1, x2, w1, w2, b):
    slope = derivative(y, pre_activation(y))  # one backward from y: every grad below is dy/d(that)
    return Step(
        "What backward tells us (beyond the tutorial)",
        "The tutorial prints no gradients for this neuron; these come from our engine's backward().\n"
        "Each grad says how fast y moves when that value is nudged. At 7 the sigmoid is almost flat\n"
        f"(slope dy/dtotal = {fmt(slope)}), so every grad is tiny: this neuron is saturated.\n"
        f"dy/dw1 = {fmt(w1.grad)} is x1 = 2 times that slope; dy/dx1 = {fmt(x1.grad)} because w1 = 0.",
        (
            Number("dy/dtotal", slope),
            Number("dy/dw1", w1.grad),
            Number("dy/dw2", w2.grad),
            Number("dy/db", b.grad),
            Number("dy/dx1", x1.grad),
            Number("dy/dx2", x2.grad),
        ),
        draw(y, highlight=w1),
    )
