"""fit: the training loop (forward, loss, zero_grad, backward, step), with a progress bar and a loss history."""
import sys
import time
from numbers import Real

from ..engine import Value
from ..engine import compile as compile_loss
from ..engine.checks import positive_int
from .layers import MLP, Layer, Neuron
from .losses import binary_cross_entropy, hinge, mse, sse
from .multiclass import cross_entropy
from .optim import Optimizer

# What fit compiles without being asked: nn's own models and losses, whose graph is the same
# for every call on a batch (a user's own loss may look at numbers: it opts in with compile=True)
OWN_MODELS = (Neuron, Layer, MLP)
OWN_LOSSES = (mse, sse, hinge, binary_cross_entropy, cross_entropy)
REPAYS = 20  # epochs (replays of each batch's step) that repay recording it
# The losses that are the mean of per-sample losses: fit replays their batches as numpy arrays when it can
MEAN_LOSSES = (mse, hinge, binary_cross_entropy, cross_entropy)


def fit(model, X, y=None, loss=None, opt=None, epochs=None, *, batch_size=None, lr_schedule=None, progress=None,
        compile=None):
    """Train `model`; return the loss history (a list of floats, one per epoch, that can plot itself).

    Two ways to give the data:
        fit(model, X, y, loss, opt, epochs)     rows X and their targets y, side by side
        fit(model, data, loss, opt, epochs)     data as (x, y) pairs (a Dataset is one)
    One step on a batch of pairs:
        L = loss([model(x) for x in xs], ys);  opt.zero_grad();  L.backward();  opt.step()
    batch_size=None steps once per epoch on all the data (full batch); batch_size=1 steps
    once per sample, in order, as the tutorials' stochastic gradient descent does. A model
    with several outputs has its outputs and targets laid end to end. To add a penalty,
    pass a loss that adds it: `lambda y_pred, y: hinge(y_pred, y) + 1e-4 * l2(params)`.
    lr_schedule, a function epoch -> lr, sets opt.lr before each epoch (epochs count from 0).
    history[k] is the mean of epoch k's batch losses, each taken before its step.

    compile: True records each batch's graph once and replays it on floats (chainrule.compile):
    the same losses and weights, bit for bit, several times faster, for a model and loss whose
    graph does not depend on the numbers (MLP with mse, sse, hinge, l2 does not;
    binary_cross_entropy(from_logits=True) picks a formula by each logit's sign, and its replay
    keeps the recorded formulas; cross_entropy's replay keeps the shift c it recorded: each the
    same function, equal only to within rounding). False: the plain path, forward and
    backward() at every step. None (the default) compiles when that is safe and pays: the model
    is nn's Neuron, Layer or MLP, the loss one of nn's own (mse, sse, hinge,
    binary_cross_entropy, cross_entropy) and each batch runs at least 20 times (epochs >= 20);
    it keeps the plain path for your own loss (it may branch on numbers, which a replay would
    freeze: pass compile=True if it does not) and for fewer epochs (recording a step costs
    about as much as a few dozen plain steps, which a short run would not win back). Where
    numpy is installed (pip install "chainrule[fast]"), the data are numbers, batches hold more
    than one sample and the loss is a mean over samples (mse, hinge, binary_cross_entropy,
    cross_entropy), None replays each batch as numpy arrays instead (compile(per_sample,
    batch=...), a layer one matrix product, many times faster again): the same losses and
    weights within rounding (sums over the samples run in another order).
    progress: a bar (tqdm's when it is installed: in Jupyter its notebook bar; else a line on
    stderr); None shows it when stderr is a terminal or in Jupyter.
    """
    if callable(y):  # fit(model, data, loss, opt, epochs): every argument sits one place to the left
        if opt is not None and epochs is not None:
            raise TypeError("fit: epochs given twice (by position and by name)")
        y, loss, opt, epochs = None, y, loss, epochs if opt is None else opt
    if loss is None or opt is None or epochs is None:
        raise TypeError("fit needs a loss, an optimizer and a number of epochs: fit(model, X, y, loss, opt, epochs)")
    pairs = _pairs(X, y)
    epochs = positive_int(epochs, "epochs")
    size = len(pairs) if batch_size is None else positive_int(batch_size, "batch_size")
    batched = False
    if compile is None:
        compile = isinstance(model, OWN_MODELS) and loss in OWN_LOSSES and epochs >= REPAYS
        batched = compile and size > 1 and loss in MEAN_LOSSES and _numbers(pairs) and _numpy()
    steps = [_batch_step(model, pairs[i : i + size], loss, compile, batched) for i in range(0, len(pairs), size)]
    closure = batched and type(opt).step is Optimizer.step  # nn's step(closure): SGD's with a batch replay, one pass
    bar = _progress_bar(epochs, progress)
    history = History()
    try:
        for epoch in range(epochs):
            if lr_schedule is not None:
                opt.lr = lr_schedule(epoch)
            total = 0.0
            for step in steps:
                opt.zero_grad()
                if closure:
                    total += opt.step(step)
                else:
                    total += step()
                    opt.step()
            history.append(total / len(steps))
            if bar:
                bar.set_postfix_str(f"loss {history[-1]:.4g}", refresh=False)
                bar.update(1)
    finally:
        if bar:
            bar.close()
    return history


def _batch_step(model, batch, loss, compile, batched=False):
    """A function that computes the batch's loss, fills the grads by backward, and returns the loss."""
    if batched:
        return compile_loss(lambda x, y: _sample_loss(model, loss, x, y), batch=([x for x, _ in batch], [y for _, y in batch]))

    def batch_loss():
        y_pred, y_true = [], []
        for x, y in batch:
            out = model(x)
            if isinstance(out, list):
                y_pred.extend(out)
                y_true.extend(y)
            else:
                y_pred.append(out)
                y_true.append(y)
        return loss(y_pred, y_true)

    if compile:
        return compile_loss(batch_loss)

    def forward_backward():
        L = batch_loss()
        L.backward()
        return L.data

    return forward_backward


def _sample_loss(model, loss, x, y):
    """One sample's loss, as the batch's loss takes its outputs and targets (the batch's is their mean)."""
    out = model(x)
    return loss(out, y) if isinstance(out, list) else loss([out], [y])


def _numbers(pairs):
    """Whether every input and target is a number, or a list of numbers (no Value, which a batch replay
    would read once)."""
    return not any(isinstance(v, Value) for pair in pairs for part in pair
                   for v in (part if isinstance(part, (list, tuple)) else (part,)))


def _numpy():
    try:
        import numpy  # noqa: F401  the batch replay's arrays
    except ImportError:
        return False
    return True


class History(list):
    """The loss after each epoch: a list of floats that can plot itself."""

    def plot(self, ax=None, *, log=False):
        """A line of loss against epoch on a matplotlib Axes (a new figure unless given); log=True: log scale."""
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError("plotting the loss needs matplotlib: pip install 'chainrule[plot]'") from None
        if ax is None:
            ax = plt.figure(figsize=(6, 3.5), layout="constrained").add_subplot()
        ax.plot(range(1, len(self) + 1), self, marker="." if len(self) < 30 else None)
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        if log:
            ax.set_yscale("log")
        ax.set_title("loss by epoch" + (" (log scale)" if log else ""))
        return ax


def _progress_bar(epochs, progress):
    """tqdm's bar (its notebook widget in Jupyter) when installed and wanted, else ours; None if not wanted."""
    if not ((sys.stderr.isatty() or in_notebook()) if progress is None else progress):
        return None
    try:
        from tqdm.auto import tqdm

        return tqdm(total=epochs, desc="fit", unit="epoch")
    except ImportError:  # no tqdm, or in Jupyter without ipywidgets
        return _ProgressBar(epochs)


def in_notebook():
    """Whether this runs in a Jupyter kernel (as tqdm.auto decides it)."""
    ipython = sys.modules.get("IPython")
    shell = ipython and ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class _ProgressBar:
    """`epoch 120/1000 [###.........] loss 0.0123` on one line of stderr, redrawn at most 10 times a second.

    The part of tqdm's interface that fit uses (update, set_postfix_str, close).
    """

    width = 30

    def __init__(self, total):
        self.total = total
        self.done = 0
        self.postfix = ""
        self.drawn_at = float("-inf")

    def set_postfix_str(self, text, refresh=True):
        self.postfix = text

    def update(self, n=1):
        self.done += n
        now = time.monotonic()
        if self.done < self.total and now - self.drawn_at < 0.1:
            return
        self.drawn_at = now
        filled = self.width * self.done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        sys.stderr.write(f"\repoch {self.done}/{self.total} [{bar}] {self.postfix}")
        sys.stderr.flush()

    def close(self):
        sys.stderr.write("\n")
        sys.stderr.flush()


def _pairs(X, y):
    """(x, y) pairs from pairs (y None) or from rows X and targets y."""
    if y is None:
        pairs = list(X)
        for i, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2 or isinstance(pair[0], Real):
                raise TypeError(f"fit: data[{i}] should be a pair (x, y) with x a list of inputs, not {pair!r}; "
                                "for rows and targets apart: fit(model, X, y, loss, opt, epochs)")
    else:
        X, y = list(X), list(y)
        if len(X) != len(y):
            raise ValueError(f"fit: {len(X)} rows in X but {len(y)} targets in y")
        pairs = list(zip(X, y))
    if not pairs:
        raise ValueError("fit: no data (an empty list)")
    return pairs
