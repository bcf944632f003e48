"""gradcheck: backward's grads against central differences, in float64."""
import sys

from .value import Value, no_grad


class GradReport:
    """What gradcheck found: both gradients and the worst mismatch between them.

    analytic   d f / d x_i from backward()
    numeric    (f(x + step) - f(x - step)) / (2 step)
    steps      the step taken at each input: h max(1, |x|) or h |x|, whichever has the smaller
               error estimate (see _central_difference): a step in the digits of x at 1e12
               or 1e-7, a step of h near 0 for an f that varies on the scale of 1 there
    worst      the index of the input with the largest error
    error      |analytic - numeric| / max(1, |numeric|) at that input
    tolerance  the largest error that passes
    """

    __slots__ = ("analytic", "numeric", "worst", "error", "tolerance", "steps")

    def __init__(self, analytic, numeric, worst, error, tolerance, steps):
        self.analytic = analytic
        self.numeric = numeric
        self.worst = worst
        self.error = error
        self.tolerance = tolerance
        self.steps = steps

    @property
    def ok(self):
        return self.error <= self.tolerance

    def __bool__(self):
        return self.ok

    def __str__(self):
        i = self.worst
        verdict = "ok" if self.ok else "MISMATCH"
        return (
            f"gradcheck {verdict}: worst at input {i}: backward {self.analytic[i]!r}, "
            f"central difference {self.numeric[i]!r} (step {self.steps[i]:.3g}), error {self.error:.3g} "
            f"(tolerance {self.tolerance:g})"
        )

    def __repr__(self):
        return f"<GradReport: {self}>"


def gradcheck(f, *inputs, h=1e-6, tolerance=1e-5):
    """Compare f's grads from backward() with central differences at `inputs`.

    inputs: numbers or Values (their data is used; their grads are left alone). f takes
    Values and returns a Value. h is the step relative to each input's size (the report says
    the step taken), so an input of 1e12 or 1e-7 is checked as well as one of 1. Returns a
    GradReport; `bool(report)` is True when every grad agrees within `tolerance` (relative
    for large grads, absolute for small ones).
    """
    if not inputs:
        raise ValueError("gradcheck needs at least one input")
    xs = [x.data if isinstance(x, Value) else Value(x).data for x in inputs]
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, not {type(out).__name__}")
    out.backward()
    analytic = tuple(v.grad for v in leaves)

    def f_at(i, x):
        shifted = [Value(x if j == i else xj) for j, xj in enumerate(xs)]
        with no_grad():
            return f(*shifted).data

    steps, numeric = zip(*[_central_difference(lambda x: f_at(i, x), x, h) for i, x in enumerate(xs)])
    errors = [abs(a - n) / max(1.0, abs(n)) for a, n in zip(analytic, numeric)]
    worst = max(range(len(errors)), key=errors.__getitem__)
    return GradReport(analytic, numeric, worst, errors[worst], tolerance, steps)


def _central_difference(f, x, h):
    """(step, (f(x + step) - f(x - step)) / (2 step)) for the better of the steps h max(1, |x|)
    and h |x|: the one with the smaller error estimate, which is how much the difference changes
    when the step is halved (a step too large for f to look straight) plus the rounding of f's
    values (taken as at least 1: a sum such as 1 + x - 1 rounds x away) divided by the step
    (a step too small for f's digits)."""
    best = None
    for step in dict.fromkeys([h * max(1.0, abs(x)), h * abs(x)]):
        if not step:
            continue
        try:
            ups, downs = [f(x + s) for s in (step, step / 2)], [f(x - s) for s in (step, step / 2)]
        except ValueError:  # x +- step left f's domain
            continue
        d, half = ((up - down) / (2 * s) for up, down, s in zip(ups, downs, (step, step / 2)))
        rounding = sys.float_info.epsilon * max(1.0, *map(abs, ups + downs)) / step  # 1: f may cancel
        error = (abs(d - half) + rounding) / max(1.0, abs(d))
        if best is None or error < best[0]:
            best = error, step, d
    if best is None:
        raise ValueError(f"gradcheck: f cannot be evaluated on both sides of {x!r} (step {h * max(1.0, abs(x)):.3g})")
    return best[1], best[2]
