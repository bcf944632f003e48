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
    ws, z, out = spam_neuron()
    (w1, w2), (x1, x2) = (w.data for w in ws), INPUTS
    terms = f"{x1:g} × {w1:g} + {x2:g} × {w2:g} - {-OFFSET:g}"
    numbers = (
        Number.chosen_to_fit(f"z = {w1:g} × {x1:g} + {w2:g} × {x2:g} - {-OFFSET:g}", z.data, "5",
                             f"we chose the inputs {x1:g} and {x2:g} and the offset {OFFSET:g}, which are in a "
                             "picture the text does not carry"),
        Number(f"sigmoid({z.data:g})", out.data),
        Number(f"sigmoid({z.data:g}), rounded", out.data, tutorial="1"),
    )
    return Step(
        f"A spam-filter neuron: {w1:g} and {w2:g} plus an offset make {numbers[0].shown}",
        "Two inputs say whether a text has words in CAPITALS and the word \"viagra\". The "
        "tutorial's picture with their values and the offset is not in the text; we chose both "
        f"features present ({x1:g} and {x2:g}) and an offset of {OFFSET:g}, so that {terms} = "
        f"{numbers[0].shown} as printed. The neuron's output is sigmoid({z.data:g}) = {out.data:.4f}, "
        f"which rounds to {numbers[2].shown}: spam.",
        numbers=numbers,
        graph=draw(out),
    )


def step_slope():
    ws, z, out = spam_neuron()
    out.backward()
    return Step(
        "A sure neuron is slow to change its mind",
        "backward() from the output shows how much it would move per unit change of each "
        f"weight. At {z.data:g} the sigmoid is nearly flat, its slope sigmoid(z) (1 - sigmoid(z)) is "
        f"{z.grad:.4f}: the neuron is so sure that nudging a weight barely moves its answer.",
        numbers=(
            Number("d spam / dz", z.grad),
            Number("d spam / dw1", ws[0].grad),
        ),
        graph=draw(out, highlight=z),
    )


def build():
    return [step_neuron(), step_slope()]
