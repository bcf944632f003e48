"""Text shared by the terminal, the HTML page and the CLI: a step's paragraphs, the loss as a
sparkline, how a demo's numbers stand beside its tutorial's, and user text made safe to print."""
import math
import unicodedata

BARS = "▁▂▃▄▅▆▇█"
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")  # they reorder what follows


def printable(text):
    """text with its control characters written as escapes (ESC as \\x1b), newlines kept.

    For anything a user typed that the terminal is shown (an expression's # comment, a label):
    raw, an escape sequence in it could recolour the terminal, move the cursor or retitle the
    window; a bidi override could show the line in another order than it has.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch == "\n" or not _is_control(ch) else ascii(ch)[1:-1] for ch in text)


def _is_control(ch):
    return unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS


def sparkline(values, width=40, bars=BARS):
    """The values as a row of bars, lowest to highest, sampled down to at most `width` bars.

    The first and last values are always kept. NaN shows as a space; the scale comes from the
    finite values, so one diverging step does not flatten the rest of the curve.
    """
    values = list(values)
    if len(values) > width:
        values = [values[round(i * (len(values) - 1) / (width - 1))] for i in range(width)]
    finite = [v for v in values if math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 0.0)
    top = len(bars) - 1

    def bar(v):
        if math.isnan(v):
            return " "
        if not math.isfinite(v):
            return bars[top] if v > 0 else bars[0]
        return bars[0] if high == low else bars[round((v - low) / (high - low) * top)]

    return "".join(bar(v) for v in values)


def paragraphs(text):
    """The text's paragraphs (split on blank lines), each a list of runs: (laid_out, lines).

    Indented lines (a formula, a small table) are laid out by hand and kept line for line; a run
    of other lines is prose, its lines stripped, to be joined and wrapped.
    """
    for paragraph in text.strip("\n").split("\n\n"):
        runs = []
        for line in paragraph.split("\n"):
            if not line.strip():
                continue
            laid_out = line.startswith("  ")
            if not runs or runs[-1][0] != laid_out:
                runs.append((laid_out, []))
            runs[-1][1].append(line.rstrip() if laid_out else line.strip())
        if runs:
            yield runs


def agreement(steps):
    """'9/10 tutorial numbers match, 1 differs on purpose (see the notes); 5 more were chosen to fit
    the tutorial's figure' for a demo's steps: what the engine reproduced, counted apart from the
    numbers that agree because the demo chose them to (Number.fitted)."""
    printed = [n for step in steps for n in step.numbers if n.verdict != "engine only"]
    if not printed:
        return "the tutorial prints no numbers here; the steps show the engine's"
    fitted = sum(n.fitted and n.matches for n in printed)
    verdicts = [n.verdict for n in printed if not (n.fitted and n.matches)]
    if not verdicts:
        if fitted == 1:
            return "the 1 tutorial number here agrees because the demo chose values to fit it"
        return f"all {fitted} tutorial numbers here agree because the demo chose values to fit them"
    matched, on_purpose, unexplained = (verdicts.count(v) for v in ("matches", "explained", "differs"))
    text = f"{matched}/{len(verdicts)} tutorial numbers match"
    if on_purpose:
        text += f", {on_purpose} {_differ(on_purpose)} on purpose (see the notes)"
    if unexplained:
        text += f", {unexplained} {_differ(unexplained).upper()} without a note"
    if fitted:
        text += f"; {fitted} more {'was' if fitted == 1 else 'were'} chosen to fit the tutorial's figure"
    return text


def _differ(count):
    return "differs" if count == 1 else "differ"
