"""gradcheck: backward's grads against central differences, in float64."""
from .value import Value, no_grad


class GradReport:
    """What gradcheck found: both gradients and the worst mismatch between them.

    analytic   d f / d x_i from backward()
    numeric    (f(x + h) - f(x - h)) / 2h
    worst      the index of the input with the largest error
    error      |analytic - numeric| / max(1, |numeric|) at that input
    tolerance  the largest error that passes
    """

    __slots__ = ("analytic", "numeric", "worst", "error", "tolerance")

    def __init__(self, analytic, numeric, worst, error, tolerance):
        self.analytic = analytic
        self.numeric = numeric
        self.worst = worst
        self.error = error
        self.tolerance = tolerance

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
            f"central difference {self.numeric[i]!r}, error {self.error:.3g} (tolerance {self.tolerance:g})"
        )

    def __repr__(self):
        return f"<GradReport: {self}>"


def gradcheck(f, *inputs, h=1e-6, tolerance=1e-5):
    """Compare f's grads from backward() with central differences at `inputs`.

    inputs: numbers or Values (their data is used; their grads are left alone). f takes
    Values and returns a Value. Returns a GradReport; `bool(report)` is True when every grad
    agrees within `tolerance` (relative for large grads, absolute for small ones).
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

    numeric = tuple((f_at(i, x + h) - f_at(i, x - h)) / (2 * h) for i, x in enumerate(xs))
    errors = [abs(a - n) / max(1.0, abs(n)) for a, n in zip(analytic, numeric)]
    worst = max(range(len(errors)), key=errors.__getitem__)
    return GradReport(analytic, numeric, worst, errors[worst], tolerance)
