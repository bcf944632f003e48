"""Optimizers: turn each parameter's grad into a step. SGD (with momentum, weight decay) and Adam."""
import math

from ..engine import Value
from ..engine.batch import Batched
from ..engine.checks import real


class Optimizer:
    """What SGD and Adam share: the parameter list, zero_grad, and an all-or-nothing update."""

    def __init__(self, params, lr):
        self.params = _parameter_list(params)
        self.lr = _in_range(lr, "lr", low=0.0, low_open=True)

    def zero_grad(self):
        """Set every parameter's grad to 0 (call before each backward(): grads add up)."""
        for p in self.params:
            p.grad = 0.0

    def step(self, closure=None):
        """Move every parameter one step against its grad (each optimizer's _update says how).

        closure: a function that fills the grads and returns the loss, called first (as with torch's
        step(closure)); step then returns that loss. A batch replay as closure
        (chainrule.compile(per_sample, batch=...)) and SGD without momentum: its call and the step
        in one pass over the parameters, with the same floats as calling it and then stepping."""
        if closure is None:
            self._update()
            return None
        loss = self._fused(closure) if isinstance(closure, Batched) else None
        if loss is None:
            loss = closure()
            self._update()
        return loss

    def _update(self):
        raise NotImplementedError

    def _fused(self, replay):
        """The replay's call and this step at once (the loss), or None: not for this optimizer."""
        return None

    def _apply(self, new_data):
        """Write the new data, unless a step made something infinite or NaN: then raise, changing nothing."""
        if not math.isfinite(sum(new_data)):  # finite numbers have a finite sum, unless it overflows: look closer
            for p, x in zip(self.params, new_data):
                if not math.isfinite(x):
                    raise ValueError(
                        f"{type(self).__name__}.step: parameter {p.label or '?'} would become {x!r} "
                        f"(grad {p.grad!r}); training diverged, try a smaller lr (now {self.lr!r})"
                    )
        for p, x in zip(self.params, new_data):
            p.data = x


class SGD(Optimizer):
    """v <- momentum * v + (grad + weight_decay * p);  p <- p - lr * v   (v = the grad when momentum is 0)

    self.velocity holds v while momentum is on; a step with momentum 0 leaves it alone (as
    torch.optim.SGD keeps no buffer then)."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum = _in_range(momentum, "momentum", low=0.0, high=1.0)
        self.weight_decay = _in_range(weight_decay, "weight_decay", low=0.0)
        self.velocity = [0.0] * len(self.params)

    def _update(self):
        """p <- p - lr * v, after v <- momentum * v + grad + weight_decay * p"""
        mu, decay, lr = self.momentum, self.weight_decay, self.lr
        if mu == 0.0:  # no velocity to keep: v is the grad (plus the decay)
            if decay == 0.0:
                self._apply([p.data - lr * p.grad for p in self.params])
            else:
                self._apply([p.data - lr * (p.grad + decay * p.data) for p in self.params])
            return
        v = [mu * vi + p.grad + decay * p.data for p, vi in zip(self.params, self.velocity)]
        self._apply([p.data - lr * vi for p, vi in zip(self.params, v)])
        self.velocity = v

    def _fused(self, replay):
        """Without momentum the step is elementwise on the replay's arrays: the same formula as _update."""
        if self.momentum != 0.0:
            return None
        lr, decay = self.lr, self.weight_decay
        if decay == 0.0:
            return replay.update(self.params, lambda data, grad: data - lr * grad)
        return replay.update(self.params, lambda data, grad: data - lr * (grad + decay * data))


class Adam(Optimizer):
    """m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  p <- p - lr * m^ / (sqrt(v^) + eps),
    with m^ = m / (1 - b1^t), v^ = v / (1 - b2^t) at step t"""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (b1, b2), not {betas!r}")
        self.betas = tuple(_in_range(b, f"betas[{i}]", low=0.0, high=1.0) for i, b in enumerate(betas))
        self.eps = _in_range(eps, "eps", low=0.0, low_open=True)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.t = 0

    def _update(self):
        """p <- p - lr * m^ / (sqrt(v^) + eps), after updating m and v with the grad (see the class)"""
        b1, b2 = self.betas
        t = self.t + 1
        m = [b1 * mi + (1.0 - b1) * p.grad for p, mi in zip(self.params, self.m)]
        v = [b2 * vi + (1.0 - b2) * p.grad * p.grad for p, vi in zip(self.params, self.v)]
        m_scale, v_scale = 1.0 / (1.0 - b1**t), 1.0 / (1.0 - b2**t)
        step = [self.lr * mi * m_scale / (math.sqrt(vi * v_scale) + self.eps) for mi, vi in zip(m, v)]
        self._apply([p.data - s for p, s in zip(self.params, step)])
        self.m, self.v, self.t = m, v, t


def _parameter_list(params):
    if isinstance(params, Value) or not hasattr(params, "__iter__"):
        raise TypeError(f"params must be a list of Values (e.g. model.parameters()), not {type(params).__name__}")
    params = list(params)
    if not params:
        raise ValueError("the optimizer got no parameters (an empty list)")
    seen = set()
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"params[{i}] is {type(p).__name__} {p!r}, not a Value")
        if p.inputs:
            raise ValueError(f"params[{i}] ({p!r}) was computed from other values; only leaves can be trained")
        if id(p) in seen:
            raise ValueError(f"params[{i}] ({p!r}) appears twice; each step would move it twice")
        seen.add(id(p))
    return params


def _in_range(x, what, low=None, high=None, low_open=False):
    """x as a finite float (checks.real), checked to lie in [low, high) ((low, high) if low_open)."""
    x = real(x, what)
    too_low = low is not None and (x <= low if low_open else x < low)
    too_high = high is not None and x >= high
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}{low}, {'inf' if high is None else high})"
        raise ValueError(f"{what} must be a number in {interval}, got {x!r}")
    return x
