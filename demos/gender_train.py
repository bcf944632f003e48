"""Training Victor Zhou's 2-2-1 network on all four people, then asking it about Emily and Frank.

The tutorial starts from np.random.normal() weights it does not print, so our start is
seeded instead; its printed predictions (Emily 0.951, Frank 0.039) are compared to ours with
that said.
"""
import random

from ..engine import draw, no_grad
from ..lessons.labels import inputs, named_forward
from ..lessons.steps import Number, Step
from ..nn import SGD, datasets, fit, mse

from .gender import EPOCHS, LEARN_RATE
from .network import tutorial_network

TRAIN_SEED = 2  # fixed so every run shows the same numbers; the tutorial's own start is not printed
NAMES = "w1 w2 w3 w4 w5 w6 b1 b2 b3"
# the tutorial's two new people, shifted like the table
EMILY, FRANK = ("Emily", [-7, -3], "128 lb, 63 in"), ("Frank", [20, 2], "155 lb, 68 in")


def random_start(seed):
    """The tutorial's np.random.normal() for w1..w6, then b1..b3, from a seeded Python RNG.

    Each neuron's weighted sum is one `dot` node (fused): fast enough to train.
    """
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(9)]
    return tutorial_network(values[:6], values[6:], fused=True).label_parameters()


def train(model, data, epochs=EPOCHS, lr=LEARN_RATE):
    """The tutorial's loop: per sample, L = (y_true - y_pred)^2, backward, w <- w - lr dL/dw.

    Returns the MSE over all the data after epochs 0, 10, 20, ... (the tutorial prints those).
    """
    opt = SGD(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        fit(model, data, mse, opt, epochs=1, batch_size=1, progress=False)
        if epoch % 10 == 0:
            history.append(mean_loss(model, data))
    return history


def mean_loss(model, data):
    """MSE over the data set, computed without recording a graph."""
    with no_grad():
        return mse([model(x) for x in data.X], data.y).data


def build():
    model, data = random_start(TRAIN_SEED), datasets.gender()
    start_step = _start_step(model, data)
    history = train(model, data)
    return [
        start_step,
        _training_step(history),
        _prediction_step(model, EMILY, tutorial="0.951", verdict="F"),
        _prediction_step(model, FRANK, tutorial="0.039", verdict="M"),
    ]


def _forward(model, x):
    """y_pred for one person, with h1, h2 and o1 named as in the tutorial."""
    return named_forward(model, inputs("x1 x2", x), ["h1 h2", "o1"])["o1"]


def _start_step(model, data):
    by_name = {p.label: p.data for p in model.parameters()}
    weights = ", ".join(f"{name} = {by_name[name]:.3f}" for name in NAMES.split()[:6])
    biases = ", ".join(f"{name} = {by_name[name]:.3f}" for name in NAMES.split()[6:])
    return Step(
        "A random start",
        "The network of the gender demo, on all four people this time. The tutorial starts every\n"
        "weight and bias at np.random.normal(): random numbers it doesn't print, so we cannot start\n"
        f"where it did. Ours come from Python's random.Random({TRAIN_SEED}).gauss(0, 1), the same on every run:\n"
        f"  {weights}\n  {biases}\nThe drawing: this start on Alice; each neuron's weighted sum is one dot node now.",
        (Number("MSE at the start", mean_loss(model, data)),),
        draw(_forward(model, data.X[0])),
    )


def _training_step(history):
    shown = [0, 10, 20, 50, 100, 200, 500, 990]
    lines = "\n".join(f"  Epoch {e} loss: {history[e // 10]:.3f}" for e in shown)
    last = 10 * (len(history) - 1)
    return Step(
        f"Training: {EPOCHS} epochs of stochastic gradient descent",
        "For each person in turn: forward, L = (y_true - y_pred)^2, backward(), then every weight\n"
        f"and bias takes a step w <- w - {LEARN_RATE} × dL/dw. Every 10 epochs we print the MSE over all four,\n"
        f"as the tutorial's code does (a few of our {len(history)} lines):\n{lines}\n\n"
        "The tutorial shows only a plot of its loss, from its own random start: ours falls the same way.",
        (Number("MSE after epoch 0", history[0]), Number(f"MSE after epoch {last}", history[-1])),
        history=tuple(history),
    )


def _prediction_step(model, person, tutorial, verdict):
    name, x, description = person
    model.zero_grad()  # the drawing is a fresh forward pass: no grads left from training on it
    y_pred = _forward(model, x)
    ours = "F" if y_pred.data > 0.5 else "M"
    number = Number(f"{name}: y_pred", y_pred.data, tutorial=tutorial)
    if ours != verdict:
        why = "a different verdict: this random start trained badly"
    elif number.matches:
        why = f"the same verdict, and even the same {number.decimals} decimals"
    else:
        why = (f"the same verdict; the numbers differ from {_first_difference(number.shown, tutorial)} on, "
               "because our random start does")
    note = f"the tutorial's random initial weights are not printed; ours are seeded, so the trained value can differ: {why}"
    return Step(
        f"Predict: {name}",
        f"{name}, {description}, is x = {x} after the shift. The trained network says\n"
        f"{number.shown} - {ours} (above 0.5 means female). The tutorial prints \"{tutorial} - {verdict}\":\n"
        f"{why}.",
        (Number(number.name, number.engine, number.tutorial, note),),
        draw(y_pred),
    )


def _first_difference(shown, printed):
    """Where two numbers written to the same decimals first differ: "the 2nd decimal", or "the whole part"."""
    point = printed.index(".")
    at = next(i for i, (a, b) in enumerate(zip(shown, printed)) if a != b)
    if at < point:
        return "the whole part"
    n = at - point
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n, "th")
    return f"the {n}{suffix} decimal"
