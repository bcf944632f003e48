"""Loss histories as one SVG file, drawn by our own code: what `--out DIR` writes as NAME-loss.svg.

    svg = loss_svg([("lr 0.3", [1.2, 0.8, 0.5]), ("lr 0.01", [1.2, 1.19, 1.18])], title="Descent")

One line per history against its recorded step (0, 1, 2, ...), each in its own colour, with a
legend when there are several. The y axis is logarithmic where every loss is positive and the
largest is more than LOG_SPAN times the smallest (a diverging run would flatten the others on a
linear axis). A value that is not finite (inf, nan) is a gap in its line. A long history is
thinned to a few points per pixel column, keeping each column's highest and lowest loss, so the
file stays small and its shape stays true.
"""
import math
from html import escape

WIDTH, HEIGHT = 720, 400  # px of the whole figure
LEFT, RIGHT, TOP, BOTTOM = 78, 24, 44, 54  # px of margin around the plot area: tick labels, title, axis names
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
LOG_SPAN = 1e3  # largest / smallest loss past which the y axis is logarithmic
TICKS = 6  # about how many ticks an axis gets
FONT = "Helvetica, Arial, sans-serif"
CHAR = 6.6  # px a character of the 12 px legend text takes, on average (the legend box's width)


def loss_svg(curves, title=""):
    """The SVG text of a figure of `curves`, a list of (name, history): each history a sequence of floats."""
    curves = [(str(name), [float(v) for v in history]) for name, history in curves]
    finite = [v for _, history in curves for v in history if math.isfinite(v)]
    log = bool(finite) and min(finite) > 0 and max(finite) / min(finite) > LOG_SPAN
    y = _log_axis(finite) if log else _linear_axis(finite)
    longest = max((len(history) for _, history in curves), default=1)
    x = _linear_axis([0.0, float(max(1, longest - 1))], whole=True)
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def px(i):
        return LEFT + (right - LEFT) * (i - x.low) / (x.high - x.low)

    def py(v):
        at = math.log10(v) if log else v
        return bottom - (bottom - TOP) * (at - y.low) / (y.high - y.low)

    lines = [[[(px(i), py(v)) for i, v in segment] for segment in _segments(history, right - LEFT)]
             for _, history in curves]  # each curve's runs of points, in px
    parts = [f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>']
    if title:
        parts.append(f'<text x="{WIDTH / 2:g}" y="26" text-anchor="middle" font-size="15">{escape(title)}</text>')
    for at, label in y.ticks:
        yy = bottom - (bottom - TOP) * (at - y.low) / (y.high - y.low)
        parts.append(f'<line x1="{LEFT}" y1="{yy:.1f}" x2="{right}" y2="{yy:.1f}" stroke="#e6e6e6"/>'
                     f'<text x="{LEFT - 8}" y="{yy + 4:.1f}" text-anchor="end">{label}</text>')
    for at, label in x.ticks:
        xx = px(at)
        parts.append(f'<line x1="{xx:.1f}" y1="{TOP}" x2="{xx:.1f}" y2="{bottom}" stroke="#e6e6e6"/>'
                     f'<text x="{xx:.1f}" y="{bottom + 18}" text-anchor="middle">{label}</text>')
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{right - LEFT}" height="{bottom - TOP}" fill="none" '
                 f'stroke="#888888"/>')
    parts.append(f'<text x="{(LEFT + right) / 2:g}" y="{HEIGHT - 12}" text-anchor="middle">recorded step</text>')
    parts.append(f'<text transform="translate(18 {(TOP + bottom) / 2:g}) rotate(-90)" text-anchor="middle">'
                 f'loss{" (log scale)" if log else ""}</text>')
    for k, ((name, _), runs) in enumerate(zip(curves, lines)):
        colour = COLOURS[k % len(COLOURS)]
        for run in runs:
            if len(run) == 1:  # a value between two gaps: a dot, as a line of one point draws nothing
                parts.append(f'<circle cx="{run[0][0]:.1f}" cy="{run[0][1]:.1f}" r="2" fill="{colour}"/>')
            else:
                points = " ".join(f"{a:.1f},{b:.1f}" for a, b in run)
                parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.8" '
                             f'stroke-linejoin="round"><title>{escape(name)}</title></polyline>')
    if len(curves) > 1:
        parts.append(_legend([name for name, _ in curves], lines, right, bottom))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT}" font-size="12" fill="#333333" role="img">\n'
            f'<title>{escape(title or "loss")}</title>\n' + "\n".join(parts) + "\n</svg>\n")


class _Axis:
    """An axis: the range drawn (in the axis's own units: log10 of the loss on a log axis) and its
    ticks as (where, label)."""

    def __init__(self, low, high, ticks):
        self.low, self.high, self.ticks = low, high, ticks


def _linear_axis(values, whole=False):
    """A linear axis from a round number at or below the smallest value to one at or above the largest,
    ticked at steps of 1, 2 or 5 times a power of ten (whole numbers only, for whole=True)."""
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if low == high:  # a flat line: a range around it
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    step = _round_step((high - low) / TICKS)
    if whole:
        step = max(1.0, step)
    first, last = math.floor(low / step), math.ceil(high / step)
    ticks = [(k * step, _number(k * step)) for k in range(first, last + 1)]
    return _Axis(first * step, last * step, ticks)


def _log_axis(values):
    """A log axis (in log10 of the value) from the decade below the smallest value to the one above the
    largest, a tick at every decade (every few decades, when there are many)."""
    first, last = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    last = max(last, first + 1)
    every = max(1, math.ceil((last - first) / TICKS))
    ticks = [(k, _number(10.0 ** k)) for k in range(first, last + 1) if (k - first) % every == 0]
    return _Axis(first, last, ticks)


def _round_step(rough):
    """The step of 1, 2 or 5 times a power of ten nearest above `rough`."""
    power = 10.0 ** math.floor(math.log10(rough))
    for mantissa in (1, 2, 5, 10):
        if mantissa * power >= rough * (1 - 1e-9):
            return mantissa * power
    return 10 * power


def _number(v):
    """A tick label: 0.2, 1500, 1e-05 (and 0 as 0, never -0 or 1.1e-17 from rounding)."""
    return "0" if abs(v) < 1e-12 else f"{float(f'{v:.6g}'):g}"


def _segments(history, columns):
    """The history as runs of (step, loss) between the values that are not finite, thinned to at most
    four points per pixel column (each column's first, lowest, highest and last, in order)."""
    per_column = len(history) / columns if len(history) > 4 * columns else None
    segments, run = [], []
    for i, v in enumerate(history):
        if not math.isfinite(v):
            if run:
                segments.append(run)
            run = []
        else:
            run.append((i, v))
    if run:
        segments.append(run)
    if per_column is None:
        return segments
    return [_thinned(segment, per_column) for segment in segments]


def _thinned(segment, per_column):
    columns = {}
    for point in segment:
        columns.setdefault(int(point[0] / per_column), []).append(point)
    kept = []
    for points in columns.values():
        chosen = {points[0], points[-1], min(points, key=lambda p: p[1]), max(points, key=lambda p: p[1])}
        kept += sorted(chosen)
    return kept


def _legend(names, lines, right, bottom):
    """A box in the corner of the plot that the lines cross least: a short line in each curve's colour,
    and its name."""
    width, row = 34 + CHAR * max(len(name) for name in names), 18
    height = row * len(names) + 8
    corners = [(right - 10 - width, TOP + 10), (LEFT + 10, TOP + 10), (right - 10 - width, bottom - 10 - height),
               (LEFT + 10, bottom - 10 - height)]  # top right first, as a tie goes to the earlier

    def crossed(corner):
        left, top = corner
        return sum(left <= a <= left + width and top <= b <= top + height
                   for runs in lines for run in runs for a, b in _along(run))

    left, top = min(corners, key=crossed)
    parts = [f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{height}" '
             f'fill="white" fill-opacity="0.9" stroke="#cccccc"/>']
    for k, name in enumerate(names):
        y = top + 4 + row * k + row / 2
        parts.append(f'<line x1="{left + 8:.1f}" y1="{y:.1f}" x2="{left + 26:.1f}" y2="{y:.1f}" '
                     f'stroke="{COLOURS[k % len(COLOURS)]}" stroke-width="2"/>'
                     f'<text x="{left + 32:.1f}" y="{y + 4:.1f}">{escape(name)}</text>')
    return "\n".join(parts)


def _along(run, every=4.0):
    """The points of a line in px, and points between them every few px (a long segment crosses a box
    with no point of its own inside)."""
    yield run[0]
    for (a, b), (c, d) in zip(run, run[1:]):
        n = max(1, int(math.hypot(c - a, d - b) / every))
        for j in range(1, n + 1):
            yield a + (c - a) * j / n, b + (d - b) * j / n
