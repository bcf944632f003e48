"""describe(v): a node as the formula that made it (`w1*x1 + w2*x2 + b1`), for text and captions."""

_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "powc": 3, "pow": 3}


def describe(v, digits=4):
    """v's label, or the expression that made it down to labelled values and numbers.

    Parentheses only where needed: `2*(a + b)`, `y_true - y_pred`, `sigmoid(w1*x1 + b1)`.
    """
    return _describe(v, digits)[0]


def _describe(v, digits):
    """(text, precedence) of a node, so that inputs get parentheses only where needed."""
    if v.label:
        return v.label, 9
    if not v.inputs:
        return f"{v.data:.{digits}g}", 9
    name, symbol = v.op.name, v.op.symbol
    prec = _PRECEDENCE.get(name)
    if prec is None or len(v.inputs) != 2:  # a function of its inputs: sigmoid(...), dot(...)
        return f"{symbol}({', '.join(describe(x, digits) for x in v.inputs)})", 9
    (left, lp), (right, rp) = _describe(v.inputs[0], digits), _describe(v.inputs[1], digits)
    left = left if lp >= prec else f"({left})"
    right = right if rp > prec or (rp == prec and name in ("add", "mul")) else f"({right})"
    joint = symbol if name in ("mul", "powc", "pow") else f" {symbol} "
    return f"{left}{joint}{right}", prec
