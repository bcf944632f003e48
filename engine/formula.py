"""describe(v): a node as the formula that made it (`w1*x1 + w2*x2 + b1`), for text and captions;
write(op, operands): one op over operands already written, for the drawings and the quiz, which
name an op's inputs their own way (`u1 + b`); number(x): a float as the drawings, the walkthrough
and the quiz write it (`-0.952`, `1.5e-7`).

How an op is written comes from its row in the table: an operator between its operands (or
before its one operand) with its precedence deciding the parentheses, anything else as a call.
"""
import math

from .primitives import PRIMITIVES

ATOM = 99  # a name, a number or a call: never needs parentheses
NEGATIVE = PRIMITIVES["neg"].precedence  # a negative number reads like unary minus: (-2)**x


def number(x, digits=4):
    """x with `digits` significant digits, no trailing zeros: -0.952, 0.02147, 2, 1.5e-7; -0 as 0."""
    x = float(x)
    if x == 0.0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    shown = f"{x:.{digits}g}"
    if "e" in shown:
        mantissa, exponent = shown.split("e")
        shown = f"{mantissa}e{int(exponent)}"
    return shown


def describe(v, digits=4):
    """v's label, or the expression that made it down to labelled values and numbers.

    Parentheses only where Python would read the text otherwise: `2*(a + b)`, `a - (b - c)`,
    `(-a)**2`, `sigmoid(w1*x1 + b1)`. Numbers with `digits` significant digits. Iterative, so
    a graph of any depth can be written; a subformula used twice is written out twice.
    """
    written = {}  # id(value) -> (text, precedence)
    stack = [v]
    while stack:
        node = stack[-1]
        if id(node) in written:
            stack.pop()
            continue
        inputs = () if node.label else node.inputs  # a label stands for the whole subformula
        todo = [x for x in inputs if id(x) not in written]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        written[id(node)] = _write(node, [written[id(x)] for x in inputs], digits)
    return written[id(v)][0]


def _write(v, operands, digits):
    """(text, precedence) of v, given (text, precedence) of each of its inputs."""
    if v.label:
        return v.label, ATOM
    if not operands:
        return f"{v.data:.{digits}g}", NEGATIVE if v.data < 0.0 else ATOM
    return write(v.op, operands)


def write(op, operands):
    """(text, precedence) of op applied to operands given as (text, precedence): `w*x + b`, `-(a + b)`,
    `tanh(u2)`. describe() writes every op so; the drawings and the quiz, which name an op's inputs
    their own way, call it with those names, so that one graph is written one way.

    A name (a label, or what a drawing or the quiz calls an unlabelled value: u1, h1) and a call
    are ATOM; a formula written out binds as its op (`precedence(op)`); a negative number as NEGATIVE.
    """
    if op.kind != "operator":
        return f"{op.symbol}({', '.join(text for text, _ in operands)})", ATOM
    prec = op.precedence
    if len(operands) == 1:
        return op.symbol + _grouped(operands[0], prec, tight=True), prec
    (left, right), right_to_left = operands, op.symbol == "**"  # Python groups ** from the right
    joint = f" {op.symbol} " if prec == 1 else op.symbol  # spaces around + and - only, as PEP 8 writes
    return _grouped(left, prec, tight=right_to_left) + joint + _grouped(right, prec, tight=not right_to_left), prec


def precedence(op):
    """How tightly the formula op writes holds together: an operator's precedence, ATOM for a call."""
    return op.precedence if op.kind == "operator" else ATOM


def _grouped(operand, prec, tight):
    """The operand's text, in parentheses if it binds less tightly than the op (or as tightly,
    where Python would group it with the other side)."""
    text, p = operand
    return f"({text})" if p < prec or (tight and p == prec) else text
