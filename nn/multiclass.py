"""Many classes: softmax, cross-entropy, argmax and accuracy, built from the engine's ops.

    z = model(x)                  # k logits: MLP(2, [16, 16, 3]) gives a list of 3 Values
    p = softmax(z)                # k probabilities that add up to 1
    L = cross_entropy(z, 2)       # -log p_2, for a sample of class 2
    L.backward()                  # z[i].grad is p_i - (1 if i == 2 else 0)

Nothing here is a new op: every node is an exp, a log, a sum or a subtraction that backward()
already knows, so autograd finds the gradient p - onehot(y) on its own and a drawing shows
where each part of it comes from.

Both functions subtract a constant c from every logit before exp: softmax(z - c) is softmax(z)
and log sum_j e^(z_j - c) + c is log sum_j e^z_j for any number c, so the graph's values and
gradients are exact whatever c is, and a well chosen c keeps every exp from overflowing. c is a
constant of the graph (an engine Shift: a replay may keep an old one), read from the logits when
the graph is made.
"""
import math

from ..engine import Value, no_grad
from ..engine.value import Shift
from ..engine import sum as vsum
from ..engine.checks import real
from .losses import as_loss


def softmax(logits):
    """p_i = e^(z_i - m) / sum_j e^(z_j - m), m = max_j z_j: k Values that add up to 1.

    logits: one sample's k logits (Values or numbers, k >= 1). Subtracting the largest logit
    makes every exponent <= 0, so nothing overflows (z = 1000 gives p = 1, not inf / inf).
    """
    z = _logits(logits, "softmax")
    m = max(zi.data for zi in z)
    e = [(zi - Shift(m)).exp() for zi in z]
    total = vsum(e)
    return [ei / total for ei in e]


def cross_entropy(logits, target):
    """-log softmax(z)_y = log sum_j e^(z_j) - z_y: the loss of one sample, or the mean over a batch.

    One sample: `logits` its k logits (Values or numbers), `target` the index of the true class,
    an int from 0 to k - 1. A batch: `logits` a list of n such lists and `target` a list of n
    class indices; the result is the mean of the n losses. The layout fit() passes, every
    sample's k logits end to end in one flat list beside n targets, is read as n samples of k.

    The graph of one sample, with c = log sum_j e^(z_j) computed on floats first (so that every
    exponent is <= 0 and nothing overflows):

        log p_i = z_i - c          one subtraction per class: the log-probabilities
        p_i     = exp(log p_i)     the softmax probabilities, as nodes of the graph
        S       = sum_i p_i        1, up to rounding
        L       = log S - log p_y  = -log p_y, since log S = 0

    log S adds nothing to the loss, but it is the path by which every logit gets its share:
    backward gives d L / d z_i = p_i / S - [i = y] = p_i - onehot(y)_i. Like every loss of nn it
    returns a Loss (nn.losses), which drawings and steps call L while it has no label.
    """
    if isinstance(logits, (list, tuple)) and logits and isinstance(logits[0], (list, tuple)):
        return as_loss(_mean_over(logits, _targets(target, len(logits))))
    if isinstance(target, (list, tuple)):
        z = _logits(logits, "cross_entropy")
        targets = _targets(target, None)
        if len(z) % len(targets):
            raise ValueError(f"cross_entropy: {len(z)} logits end to end do not split evenly into "
                             f"{len(targets)} samples (one per target)")
        k = len(z) // len(targets)
        return as_loss(_mean_over([z[i : i + k] for i in range(0, len(z), k)], targets))
    return as_loss(_one(_logits(logits, "cross_entropy"), target, "cross_entropy: target"))


def argmax(values):
    """The index of the largest value (Values or numbers); the first one where several tie."""
    values = _listed(values, "argmax")
    if not values:
        raise ValueError("argmax of an empty list: there is no largest value")
    data = [_data(v, f"argmax: values[{i}]") for i, v in enumerate(values)]
    return max(range(len(data)), key=data.__getitem__)


def accuracy(model, X, y):
    """The fraction of rows x of X whose predicted class argmax(model(x)) is y's class index.

    model: anything that maps a row to k >= 2 logits (an MLP with k outputs). Runs under
    no_grad(): it records no graph and leaves every grad as it is.
    """
    X, y = list(X), list(y)
    if len(X) != len(y):
        raise ValueError(f"accuracy: {len(X)} rows in X but {len(y)} targets in y")
    if not X:
        raise ValueError("accuracy: no data (an empty list)")
    right = 0
    with no_grad():
        for i, (x, t) in enumerate(zip(X, y)):
            out = model(x)
            if not isinstance(out, (list, tuple)):
                raise TypeError(f"accuracy needs a model with one output per class (k >= 2), but it returned "
                                f"one {type(out).__name__} for row {i}")
            right += argmax(out) == _class(t, len(out), f"accuracy: y[{i}]")
    return right / len(X)


def _one(z, target, what):
    """The graph of one sample's cross-entropy (see cross_entropy)."""
    y = _class(target, len(z), what)
    m = max(zi.data for zi in z)
    c = m + math.log(math.fsum(math.exp(zi.data - m) for zi in z))  # log sum_j e^(z_j), on floats
    log_p = [zi - Shift(c) for zi in z]  # a constant each, as a number written there would be
    p = [lp.exp() for lp in log_p]
    return vsum(p).log() - log_p[y]


def _mean_over(batch, targets):
    if len(batch) != len(targets):
        raise ValueError(f"cross_entropy: {len(batch)} samples of logits but {len(targets)} targets")
    losses = [_one(_logits(z, f"cross_entropy: logits[{i}]"), t, f"cross_entropy: target[{i}]")
              for i, (z, t) in enumerate(zip(batch, targets))]
    return losses[0] if len(losses) == 1 else vsum(losses) / len(losses)


def _logits(logits, what):
    """One sample's logits as a list of Values (numbers become Values); at least one."""
    z = _listed(logits, what)
    if not z:
        raise ValueError(f"{what}: no logits (an empty list); give one per class")
    for i, zi in enumerate(z):
        if not isinstance(zi, Value):
            z[i] = Value(_data(zi, f"{what}: logits[{i}]"))
    return z


def _targets(target, n):
    if not isinstance(target, (list, tuple)):
        raise TypeError(f"cross_entropy: a batch of logits needs a list of {n} class indices as target, "
                        f"not {type(target).__name__} {target!r}")
    if not target:
        raise ValueError("cross_entropy: no targets (an empty list)")
    if n is not None and len(target) != n:
        raise ValueError(f"cross_entropy: {n} samples of logits but {len(target)} targets")
    return list(target)


def _class(t, k, what):
    """t as a class index 0..k-1: an int (not a bool, not a float), or an error naming `what`."""
    if isinstance(t, bool) or not isinstance(t, int):
        hint = f"; write int({t!r})" if isinstance(t, float) and t.is_integer() else ""
        raise TypeError(f"{what} must be a class index (an int from 0 to {k - 1}), not {type(t).__name__} "
                        f"{t!r}{hint}")
    if not 0 <= t < k:
        raise ValueError(f"{what} is {t}, but there are {k} logits: a class index runs from 0 to {k - 1}")
    return t


def _listed(values, what):
    if isinstance(values, (Value, str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{what} takes a list of Values or numbers, not {type(values).__name__} {values!r}")
    return list(values)


def _data(v, what):
    return v.data if isinstance(v, Value) else real(v, what)
