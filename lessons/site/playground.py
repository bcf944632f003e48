"""What the playground page asks of Python: the same code runs in the page (Pyodide) and here.

    explore("tanh(w*x + b)", "x=0.5 w=-2 b=1.5")            # the forward value, every grad, the steps
    take_quiz("tanh(w*x + b)", "x=0.5 w=-2 b=1.5", "w", ["0.786"])   # the quiz, answered so far
    worksheet_page("tanh(w*x + b)", "x=0.5 w=-2 b=1.5", "w")  # a printable worksheet

The expression goes through the parser's whitelist (never eval) and the values are read as
the command line reads NAME=VALUE words, so the page accepts exactly what `chainrule graph`
and `chainrule quiz` accept, and refuses the rest with the parser's own message. Each function
returns plain data (str, float, list, dict), and its `_json` twin the same as JSON text, which
is what the page's JavaScript reads; nothing here touches the page.

The quiz is the terminal quiz itself, `chainrule.quiz(root, wrt=...)`, fed the answers typed so
far: its transcript is what the page shows, up to the question it waits on.
"""
import io
import json
import re

from ...engine import expression
from ...engine.expression import parse_expression
from ...engine.formula import number
from ..quiz import quiz
from ..text import paragraphs
from ..walkthrough import walkthrough
from ..worksheet import worksheet

DIGITS = 4  # significant digits of the numbers shown, as `chainrule graph` shows them
EXAMPLE = ("tanh(w*x + b)", "x=0.5 w=-2 b=1.5", "w")  # what the page opens with: expression, values, wrt
NARROW = "TB"  # the graphs' direction on a narrow screen (a phone): top to bottom, so they fit its width
_WORD = re.compile(r"[^\s,;]+")


def read_values(words):
    """'x=0.5 w=-2, b=1.5' (or a list of NAME=VALUE words) -> {name: float}; ValueError says which word is off."""
    return expression.read_values(_WORD.findall(words) if isinstance(words, str) else words)


def build(expression, values):
    """The expression's root Value and its named leaves {name: Value}, as `chainrule graph` builds them:
    the output is called y (out when y is an input) unless the text names it (`L = ...`)."""
    values = read_values(values) if not isinstance(values, dict) else values
    out, leaves = parse_expression(expression, values)
    if not out.inputs:
        raise ValueError("the expression is a single value: write an operation on it, e.g. tanh(x)")
    if not out.label:
        out.label = "y" if "y" not in leaves else "out"
    return out, leaves


def explore(expression, values, wrt="", digits=DIGITS, rankdir="LR"):
    """Everything the page shows for one expression, as plain data; {"error": message} if it is refused.

    rankdir: the graphs' direction, "LR" (inputs left; a wide window) or "TB" (inputs on top; a phone).

    "output" and "grads" are what `chainrule graph EXPR values` prints; "steps" are walkthrough(root)'s
    steps, each with its text, its numbers, its graph's DOT (drawn by the page) and its chain-rule
    caption; "wrt" the name the quiz asks about (the one given, else the first parameter).
    """
    try:
        out, leaves = build(expression, values)
        if wrt and wrt not in leaves:
            raise ValueError(f"wrt={wrt}: no such name in the expression (its names: {', '.join(leaves)})")
        walk = walkthrough(out, digits=digits, rankdir=rankdir)
    except (ValueError, TypeError) as error:
        return {"error": str(error)}
    params = [name for name, leaf in leaves.items() if leaf.op.name == "param"]
    return {
        "expression": expression,
        "values": {name: leaf.data for name, leaf in leaves.items()},
        "output": {"name": out.label, "value": out.data, "shown": number(out.data, digits)},
        "grads": [{"name": name, "value": grad, "shown": number(grad, digits)} for name, grad in walk.grads],
        "grads_line": walk.grads_line(),
        "wrt": wrt or next(iter(params or leaves), ""),
        "names": list(leaves),
        "title": walk.demo.title,
        "summary": walk.demo.summary,
        "steps": [_step(step, digits) for step in walk.steps],
    }


def _step(step, digits):
    graph = step.graph
    return {
        "title": step.title,
        "text": step.text,
        "paragraphs": [[[laid_out, lines] for laid_out, lines in runs]
                       for runs in paragraphs(step.text)],  # prose and lines laid out by hand
        "numbers": [{"name": n.name, "value": n.engine, "shown": number(n.engine, digits)} for n in step.numbers],
        "dot": graph.source if graph is not None else "",
        "caption": list(graph.caption) if graph is not None else [],
        "note": graph.note if graph is not None else "",
    }


def take_quiz(expression, values, wrt, answers):
    """The quiz on d out / d wrt, given the answers typed so far (strings, oldest first).

    Returns {"transcript": what the quiz wrote, answers echoed; "prompt": the question it waits on
    ("" when done); "right", "asked", "finished"}, or {"error": message}.
    """
    try:
        out, leaves = build(expression, values)
        if wrt not in leaves:
            raise ValueError(f"the quiz takes d{out.label}/d(a name of the expression): {', '.join(leaves)}")
    except (ValueError, TypeError) as error:
        return {"error": str(error)}
    transcript = _Transcript()
    typed = iter(answers)
    waiting = {}

    def read(prompt):
        try:
            answer = next(typed)
        except StopIteration:  # nothing more typed: the page asks this question next
            waiting.update(prompt=prompt, at=transcript.tell())
            raise EOFError from None
        transcript.write(f"{prompt}{answer}\n")
        return answer

    try:
        score = quiz(out, wrt=leaves[wrt], read=read, out=transcript)
    except ValueError as error:  # more paths than the quiz walks
        return {"error": str(error)}
    text = transcript.getvalue()
    if waiting:
        text = text[:waiting["at"]]  # not the "Stopped." line the quiz writes when its input ends
    return {"transcript": text, "prompt": waiting.get("prompt", "").strip(), "right": score.right,
            "asked": score.asked, "finished": score.finished}


def worksheet_page(expression, values, wrt, variants=4, seed=1):
    """The printable worksheet's HTML, as `chainrule quiz ... --worksheet` writes it; {"error": ...} as text
    starting with "error: " if it is refused."""
    try:
        build(expression, values)  # the parser's message for a refused expression, before any variant is drawn
        return worksheet(expression, read_values(values), wrt, variants=variants, seed=seed)
    except (ValueError, TypeError, KeyError) as error:
        return f"error: {error}"


class _Transcript(io.StringIO):
    """Where the quiz writes: text that carries Unicode (its ✓ and ✗), with no colour (not a terminal)."""

    encoding = "utf-8"


def explore_json(expression, values, wrt="", rankdir="LR"):
    return json.dumps(explore(expression, values, wrt, rankdir=rankdir))


def take_quiz_json(expression, values, wrt, answers_json):
    return json.dumps(take_quiz(expression, values, wrt, json.loads(answers_json)))
