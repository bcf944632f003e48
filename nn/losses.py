"""Losses: one Value to call backward() on, from predictions and targets.

Each takes y_pred (Values or numbers; a single one or a list) and y_true (numbers, or Values
for an mse/sse between two models) of the same length. Sums over samples are one
`engine.sum` node, so the graph stays small.

What they return is a Loss: a Value like any other, which drawings, captions, the stepper and
the quiz call L while it has no label of its own (an unlabelled output is y), as the tutorials
do. `.named("MSE")` gives it another name; inside a larger expression (`0.5 * sse(...)`,
`hinge(...) + 1e-4 * l2(params)`) it is a value like the rest, and the root of that is the loss.
"""
from numbers import Real

from ..engine import Value, dot
from ..engine.checks import real
from ..engine import sum as vsum


class Loss(Value):
    """A Value that a loss function returned: nothing differs but what it is called while it has
    no label, `unlabelled_name` (engine.drawing.snapshot.root_name reads it)."""

    __slots__ = ()
    unlabelled_name = "L"


def as_loss(v):
    """v, made by a loss function's last op, marked as the loss it is (a Loss, so called L)."""
    v.__class__ = Loss  # the engine's op made a plain Value; a Loss has the same slots, nothing more
    return v


def mse(y_pred, y_true):
    """(1/n) sum_i (y_pred_i - y_true_i)^2"""
    y_pred, y_true = _pairs(y_pred, y_true, "mse")
    return as_loss(_mean([(p - t) ** 2 for p, t in zip(y_pred, y_true)]))


def sse(y_pred, y_true):
    """sum_i (y_pred_i - y_true_i)^2"""
    y_pred, y_true = _pairs(y_pred, y_true, "sse")
    return as_loss(_total([(p - t) ** 2 for p, t in zip(y_pred, y_true)]))


def binary_cross_entropy(y_pred, y_true, *, from_logits=False):
    """(1/n) sum_i -[y_i log p_i + (1 - y_i) log(1 - p_i)], y_i in [0, 1]

    y_pred are probabilities p_i, or logits z_i with p_i = sigmoid(z_i) if from_logits.
    No epsilon is added anywhere. With probabilities, a p_i of exactly 0 or 1 that makes
    the loss infinite (p_i = 0 with y_i > 0, p_i = 1 with y_i < 1) raises ValueError; a
    sigmoid rounds to exactly 1.0 from z = 37, so a network that ends in a sigmoid should
    pass its logits (a linear output) with from_logits=True: that path computes
    -log sigmoid(z) = softplus(-z) as log(1 + e^-z) or -z + log(1 + e^z), whichever has the
    smaller exponent, and is finite and exact in its gradient for every z.
    Labels -1/+1 (as hinge and datasets.two_moons use) are refused: pass [(y + 1) / 2 for y in
    labels], which maps -1 to 0 and +1 to 1.
    """
    y_pred, y_true = _pairs(y_pred, y_true, "binary_cross_entropy")
    for i, y in enumerate(y_true):
        y = real(y, f"binary_cross_entropy: y_true[{i}]")
        if not 0.0 <= y <= 1.0:
            hint = "; for -1/+1 labels pass (y + 1) / 2" if y == -1 else ""
            raise ValueError(f"binary_cross_entropy: y_true[{i}] is {y!r}; targets must be in [0, 1]{hint}")
    if from_logits:
        return as_loss(_mean([_bce_logit(z, y) for z, y in zip(y_pred, y_true)]))
    return as_loss(_mean([_bce_probability(p, y, i) for i, (p, y) in enumerate(zip(y_pred, y_true))]))


def hinge(scores, y_true):
    """(1/n) sum_i max(0, 1 - y_i * score_i), y_i in {-1, +1}: the max-margin loss"""
    scores, y_true = _pairs(scores, y_true, "hinge")
    for i, y in enumerate(y_true):
        if isinstance(y, bool) or y not in (-1, 1):
            raise ValueError(f"hinge: y_true[{i}] is {y!r}; hinge needs labels -1 or +1")
    return as_loss(_mean([(1 - y * s).relu() for s, y in zip(scores, y_true)]))


def l2(params):
    """sum_i p_i^2, as one `dot` node (add `alpha * l2(model.parameters())` to a loss)"""
    params = list(params)
    if not params:
        raise ValueError("l2 needs at least one parameter")
    return dot(params, params)


def _bce_probability(p, y, i):
    """-[y log p + (1 - y) log(1 - p)], only the terms y keeps"""
    if (p.data <= 0.0 and y > 0.0) or (p.data >= 1.0 and y < 1.0):
        raise ValueError(
            f"binary_cross_entropy: y_pred[{i}] is {p.data!r} with target {y!r}: the loss is infinite. "
            "If y_pred is a sigmoid, pass the value before it with from_logits=True"
        )
    if y == 1:
        return -p.log()
    if y == 0:
        return -(1 - p).log()
    return -(y * p.log() + (1 - y) * (1 - p).log())


def _bce_logit(z, y):
    """y softplus(-z) + (1 - y) softplus(z), which is -[y log s(z) + (1 - y) log(1 - s(z))]"""
    if y == 1:
        return _softplus(-z)
    if y == 0:
        return _softplus(z)
    return y * _softplus(-z) + (1 - y) * _softplus(z)


def _softplus(z):
    """log(1 + e^z), with e raised to -|z| so it never overflows"""
    if z.data > 0.0:
        return z + (1 + (-z).exp()).log()  # z + log(1 + e^-z)
    return (1 + z.exp()).log()


def _pairs(y_pred, y_true, loss):
    """Both as lists of one length; y_pred's numbers become Values."""
    y_pred, y_true = _as_list(y_pred, f"{loss}: y_pred"), _as_list(y_true, f"{loss}: y_true")
    if len(y_pred) != len(y_true):
        raise ValueError(f"{loss}: {len(y_pred)} predictions but {len(y_true)} targets")
    if not y_pred:
        raise ValueError(f"{loss}: no predictions (empty list)")
    for i, t in enumerate(y_true):
        if not isinstance(t, Value):
            real(t, f"{loss}: y_true[{i}]")
    return [p if isinstance(p, Value) else Value(real(p, f"{loss}: y_pred")) for p in y_pred], y_true


def _as_list(x, what):
    if isinstance(x, (Value, Real)) and not isinstance(x, bool):
        return [x]
    if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
        raise TypeError(f"{what} must be a Value, a number or a list of them, not {type(x).__name__} {x!r}")
    return list(x)


def _mean(terms):
    return terms[0] if len(terms) == 1 else vsum(terms) / len(terms)


def _total(terms):
    return terms[0] if len(terms) == 1 else vsum(terms)
