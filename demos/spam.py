"""A spam-filter neuron from Per Harald Borgen's "Learning How To Code Neural Networks".

The text prints the weights 7 and 3, the neuron's input 5 and its rounded output 1; the
inputs and the offset are in a picture we cannot see.
"""
from ..engine import Value, draw
from ..lessons.labels import inputs, params, pre_activation
from ..lessons.steps import Number, Step
from ..nn import Neuron

# Printed: the weights 7 and 3, the sum 5 and the rounded output 1. The inputs and the offset are
# in a picture; we chose both features present (1, 1) and an offset of -5: 7 + 3 - 5 = 5.
INPUTS = (1.0, 1.0)
WEIGHTS = (7.0, 3.0)
OFFSET = -5.0


def spam_neuron():
    """(weights, z, output): the neuron on the chosen inputs, its weighted sum z = w·x + offset named."""
    ws = params("w1 w2", WEIGHTS)
    neuron = Neuron(2, "sigmoid", weights=ws, bias=Value(OFFSET, label="offset"))
    out = neuron(inputs("CAPITALS viagra", INPUTS)).named("spam")
    return ws, pre_activation(out).named("z"), out


def step_neuron():
    _, z, out = spam_neuron()
    return Step(
        "A spam-filter neuron: 7 and 3 plus an offset make 5",
        "Two inputs say whether a text has words in CAPITALS and the word \"viagra\". The "
        "tutorial's picture with their values and the offset is not in the text; we chose both "
        "features present (1 and 1) and an offset of -5, so that 1 × 7 + 1 × 3 - 5 = 5 as "
        f"printed. The neuron's output is sigmoid(5) = {out.data:.4f}, which rounds to 1: spam.",
        numbers=(
            Number("z = 7 × 1 + 3 × 1 - 5", z.data, tutorial="5"),
            Number("sigmoid(5)", out.data),
            Number("sigmoid(5), rounded", out.data, tutorial="1"),
        ),
        graph=draw(out),
    )


def step_slope():
    ws, z, out = spam_neuron()
    out.backward()
    return Step(
        "A sure neuron is slow to change its mind",
        "backward() from the output shows how much it would move per unit change of each "
        "weight. At 5 the sigmoid is nearly flat, its slope sigmoid(5) (1 - sigmoid(5)) is "
        f"{z.grad:.4f}: the neuron is so sure that nudging a weight barely moves its answer.",
        numbers=(
            Number("d spam / dz", z.grad),
            Number("d spam / dw1", ws[0].grad),
        ),
        graph=draw(out, highlight=z),
    )


def build():
    return [step_neuron(), step_slope()]
