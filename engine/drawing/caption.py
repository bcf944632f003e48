"""The chain rule written out for one value: d root / d target as products of local derivatives.

    dL/dw1 = dL/dy_pred × dy_pred/dh1 × dh1/dw1 = -0.9526 × 0.2494 × -0.09035 = 0.02147
    op by op: (0.9526 × -1) × (0.2494 × 1 × 1 × 1) × (0.04518 × 1 × 1 × -2)

The first line groups the factors between labelled values (here y_pred and h1), so it reads
like a tutorial's neuron-level derivation; the second gives every op's local derivative on the
way. Several paths add up (`a × b + c × d`); past MAX_PATHS paths or MAX_FACTORS factors the
caption says what was summed and gives the total. Only local derivatives are used, never the
grads the values hold, so the caption is true before, during and after backward().
"""
import math

from ..formula import output_name

MAX_PATHS = 6  # paths written out; more are summed without their factors
MAX_FACTORS = 24  # local derivatives written out; more: the total alone
TIMES = " × "


def chain_rule(g, target, num):
    """The caption lines for d root / d target in snapshot g; `num` writes a number."""
    top, bottom = g.name(0, short=True) or output_name(g.labels), g.name(target, short=True) or "v"
    if target == 0:
        return [f"d{top}/d{top} = 1"]
    on = g.reaching(target)
    count = _count_paths(g, target, on)
    total = derivative(g, target, on)
    short = [f"d{top}/d{bottom} = " + (
        "the product of the local derivatives along the path" if count == 1 else
        f"the sum over {count} paths of the product of the local derivatives along each") + f" = {num(total)}"]
    if count > MAX_PATHS:
        return short
    paths = [_segments(g, path, target, top) for path in _paths(g, target, on)]
    written = sum(len(factors) for segments in paths for _, _, factors in segments)
    if max(len(segments) for segments in paths) > 1:  # labelled values on the way: group at them
        if sum(len(segments) for segments in paths) > MAX_FACTORS:
            return short
        names = " + ".join(TIMES.join(f"d{a}/d{b}" for a, b, _ in segments) for segments in paths)
        values = " + ".join(TIMES.join(num(math.prod(f)) for _, _, f in segments) for segments in paths)
        lines = [_equation(f"d{top}/d{bottom}", names, values, num(total))]
        if written <= MAX_FACTORS:
            lines.append("op by op: " + " + ".join(
                TIMES.join(_factors(f, num, brackets=True) for _, _, f in segments) for segments in paths))
        return lines
    if written > MAX_FACTORS:
        return short
    values = " + ".join(_factors(segments[0][2], num) for segments in paths)
    return [_equation(f"d{top}/d{bottom}", values, num(total))]


def derivative(g, target, on=None):
    """d root / d target from the local derivatives alone: backward's walk, kept to the paths to target."""
    on = g.reaching(target) if on is None else on
    d = {0: 1.0}
    for i in sorted(on):  # the root first, each value before its inputs
        if i != target:
            for x, dx in zip(g.inputs[i], g.local[i]):
                if x in on:
                    d[x] = d.get(x, 0.0) + d[i] * dx
    return d[target]


def _count_paths(g, target, on):
    below = {target: 1}  # paths from a value down to target
    for i in sorted(on, reverse=True):  # inputs before the values made from them
        if i != target:
            below[i] = sum(below.get(x, 0) for x in g.inputs[i])
    return below[0]


def _paths(g, target, on):
    """Every path from the root to target as (local derivatives, values passed); a repeated
    operand makes two paths."""
    out = []
    stack = [(0, [], [])]
    while stack:
        i, factors, passed = stack.pop()
        if i == target:
            out.append((factors, passed))
            continue
        steps = [(x, dx) for x, dx in zip(g.inputs[i], g.local[i]) if x in on]
        for x, dx in reversed(steps):
            stack.append((x, factors + [dx], passed + [x]))
    return out


def _segments(g, path, target, top):
    """A path split at labelled intermediate values: [(from name, to name, factors)]."""
    factors, passed = path
    segments, start, run = [], top, []
    for dx, x in zip(factors, passed):
        run.append(dx)
        if x == target or (g.labels[x] and g.inputs[x]):
            end = g.name(x, short=True) or "v"
            segments.append((start, end, run))
            start, run = end, []
    return segments


def _factors(factors, num, brackets=False):
    written = TIMES.join(num(f) for f in factors)
    return f"({written})" if brackets and len(factors) > 1 else written


def _equation(*sides):
    """a = b = c, leaving out a side equal to the one before it (d/dx = 2, not d/dx = 2 = 2)."""
    kept = [sides[0]]
    for side in sides[1:]:
        if side != kept[-1]:
            kept.append(side)
    return " = ".join(kept)
