"""describe(v): a node as the formula that made it (`w1*x1 + w2*x2 + b1`), for text and captions;
write(op, operands): one op over operands already written, for the drawings and the quiz, which
name an op's inputs their own way (`u1 + b`); number(x): a float as the drawings, the walkthrough
and the quiz write it (`-0.952`, `1.5e-7`); output_name(taken): what an unlabelled output is called (y).

How an op is written comes from its row in the table: an operator between its operands (or
before its one operand) with its precedence deciding the parentheses, anything else as a call.
"""
import math
import re

from .primitives import PRIMITIVES

ATOM = 99  # a name, a number or a call: never needs parentheses
NEGATIVE = PRIMITIVES["neg"].precedence  # a negative number reads like unary minus: (-2)**x


OUTPUT_NAMES = ("y", "f", "g", "h")  # what an unlabelled output is called, the first not taken


def output_name(taken=()):
    """The name of an unlabelled output: y, or f, g, h where the graph uses y already (never "out")."""
    return next((name for name in OUTPUT_NAMES if name not in taken), "y0")


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

    A dot is written as its sum (`w1*x1 + w2*x2 + b`), so a reader sees which weight meets which
    input. A name (a label, or what a drawing or the quiz calls an unlabelled value: u1, h1) and a call
    are ATOM; a formula written out binds as its op (`precedence(op)`); a negative number as NEGATIVE.
    """
    if op.name == "dot":
        return _dot_as_sum(operands)
    if op.kind != "operator":
        return f"{op.symbol}({', '.join(text for text, _ in operands)})", ATOM
    prec = op.precedence
    if len(operands) == 1:
        return op.symbol + _grouped(operands[0], prec, tight=True), prec
    (left, right), right_to_left = operands, op.symbol == "**"  # Python groups ** from the right
    joint = f" {op.symbol} " if prec == 1 else op.symbol  # spaces around + and - only, as PEP 8 writes
    return _grouped(left, prec, tight=right_to_left) + joint + _grouped(right, prec, tight=not right_to_left), prec


def _dot_as_sum(operands):
    """dot(ws, xs, b) written as the sum it is, each weight beside its input: `w1*x1 + w2*x2 + b`."""
    times, plus = PRIMITIVES["mul"].precedence, PRIMITIVES["add"].precedence
    n = len(operands) // 2
    terms = [(_grouped(w, times, tight=False) + "*" + _grouped(x, times, tight=True), times)
             for w, x in zip(operands[:n], operands[n:2 * n])]
    terms += operands[2 * n:]  # the bias
    if len(terms) == 1:
        return terms[0]
    return " + ".join(_grouped(term, plus, tight=k > 0) for k, term in enumerate(terms)), plus


def local_rule(op, index, names):
    """The table's rule for d out / d input `index` of op, written in the inputs' own names, and
    which inputs it uses: for mul over ("w", "x"), index 0 gives ("x", [1]); for tanh over ("u2",),
    ("1 - tanh(u2)^2", [0]). None where the table writes no rule for one input (an op of more
    than three inputs): its rule (op.rule) is written in general letters then.

    The table's rules call the inputs a and b (powc's exponent n); a name that is a formula or a
    negative number is put in parentheses: `1/(x + 1)`, `(-2)`.
    """
    if op.name == "dot" and len(names) <= 3:
        n = len(names) // 2
        return ("1", []) if index >= 2 * n else (names[index + n], [index + n]) if index < n else \
            (names[index - n], [index - n])
    if op.name == "sum" and len(names) <= 3:
        return "1", []
    parts = dict(re.findall(r"d/d([ab]) = ([^,]+)", op.rule))
    letter = "ab"[index] if index < 2 else None
    if letter not in parts or len(names) > 2:
        return None
    letters = {"a": 0, "b": 1, "n": 1}
    used = []

    def name_of(match):
        inside, bare = match.groups()
        k = letters[inside or bare]
        used.append(k)
        return f"({names[k]})" if inside else _atom(names[k])  # tanh(a): tanh(w*x + b), no second parentheses

    return re.sub(r"\(([abn])\)|\b([abn])\b", name_of, parts[letter].strip()), sorted(set(used))


def _atom(name):
    """A name as one operand of a rule: itself if a word or a positive number, else in parentheses."""
    return name if re.fullmatch(r"\w+|\d[\d.e+-]*", name) else f"({name})"


def precedence(op):
    """How tightly the formula op writes holds together: an operator's precedence, ATOM for a call,
    a sum's for a dot (written as its sum)."""
    if op.name == "dot":
        return PRIMITIVES["add"].precedence
    return op.precedence if op.kind == "operator" else ATOM


def _grouped(operand, prec, tight):
    """The operand's text, in parentheses if it binds less tightly than the op (or as tightly,
    where Python would group it with the other side)."""
    text, p = operand
    return f"({text})" if p < prec or (tight and p == prec) else text
