"""fit: the training loop (forward, loss, zero_grad, backward, step), with a progress bar."""
import sys
import time


def fit(model, data, loss, opt, epochs, *, batch_size=None, lr_schedule=None, progress=None):
    """Train `model` on `data`, pairs (x, y); return the loss history, one float per epoch.

    One step on a batch of pairs:
        L = loss([model(x) for x in xs], ys);  opt.zero_grad();  L.backward();  opt.step()
    batch_size=None steps once per epoch on all the data (full batch); batch_size=1 steps
    once per sample, in order, as the tutorials' stochastic gradient descent does. A model
    with several outputs has its outputs and targets laid end to end. To add a penalty,
    pass a loss that adds it: `lambda y_pred, y: hinge(y_pred, y) + 1e-4 * l2(params)`.
    lr_schedule, a function epoch -> lr, sets opt.lr before each epoch (epochs count from 0).
    history[k] is the mean of epoch k's batch losses, each taken before its step.
    progress: a one-line bar on stderr; None draws it only when stderr is a terminal.
    """
    pairs = _pairs(data)
    epochs = _count(epochs, "epochs")
    size = len(pairs) if batch_size is None else _count(batch_size, "batch_size")
    batches = [pairs[i : i + size] for i in range(0, len(pairs), size)]
    bar = _ProgressBar(epochs) if (sys.stderr.isatty() if progress is None else progress) else None
    history = []
    for epoch in range(epochs):
        if lr_schedule is not None:
            opt.lr = lr_schedule(epoch)
        total = 0.0
        for batch in batches:
            total += _step(model, batch, loss, opt)
        history.append(total / len(batches))
        if bar:
            bar.update(epoch + 1, history[-1])
    if bar:
        bar.close()
    return history


def _step(model, batch, loss, opt):
    """One gradient step on a batch; the loss before it, as a float."""
    y_pred, y_true = [], []
    for x, y in batch:
        out = model(x)
        if isinstance(out, list):
            y_pred.extend(out)
            y_true.extend(y)
        else:
            y_pred.append(out)
            y_true.append(y)
    L = loss(y_pred, y_true)
    opt.zero_grad()
    L.backward()
    opt.step()
    return L.data


class _ProgressBar:
    """`epoch 120/1000 [###.........] loss 0.0123` on one line of stderr, redrawn at most 10 times a second."""

    width = 30

    def __init__(self, total):
        self.total = total
        self.drawn_at = float("-inf")

    def update(self, done, loss):
        now = time.monotonic()
        if done < self.total and now - self.drawn_at < 0.1:
            return
        self.drawn_at = now
        filled = self.width * done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        sys.stderr.write(f"\repoch {done}/{self.total} [{bar}] loss {loss:.4g}")
        sys.stderr.flush()

    def close(self):
        sys.stderr.write("\n")
        sys.stderr.flush()


def _pairs(data):
    pairs = list(data)
    if not pairs:
        raise ValueError("fit: no data (an empty list of (x, y) pairs)")
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"fit: data[{i}] should be a pair (x, y), not {pair!r}")
    return pairs


def _count(n, what):
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, not {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"{what} must be at least 1, got {n}")
    return n
