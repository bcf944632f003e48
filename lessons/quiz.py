"""The chain-rule quiz: work out d out / d NAME by hand, one factor at a time, and be told which is off.

    chainrule quiz "tanh(w*x + b)" x=0.5 w=-2 b=1.5 --wrt w
    chainrule quiz "tanh(w*x + b)" x=0.5 w=-2 b=1.5 --wrt w --worksheet sheet.html --variants 6 --seed 1

    from chainrule import Value, quiz
    x, w, b = Value(0.5, "x"), Value(-2.0, "w", param=True), Value(1.5, "b", param=True)
    quiz((w * x + b).tanh().named("y"), wrt=w)

The quiz shows the forward pass with every step named (u1 = w*x, u2 = u1 + b, y = tanh(u2)).
Then, along each path from the output back to NAME, it asks for the local derivative of each
step (∂y/∂u2), then for the path's product, and at the end for d out / d NAME (dy/dw), the sum
over the paths.
The local derivatives come from the table of primitives, the numbers backward() uses, and
d out / d NAME is the engine's own backward().

An answer is right when the engine's value, rounded to the decimals typed, is the number typed
(the rule the tutorials' printed numbers are held to), with at least two significant digits
unless it is exact. A wrong local derivative is shown the table's rule for its op; a wrong
product or total is told what it is where that can be seen: the product of factors rounded as
you went, the right size with the wrong sign, an activation's derivative left out, a path left
out of the sum. Each question gets two tries; then the answer is shown. Ctrl-D or Ctrl-C stops
the quiz with the score so far. Exit codes: 0 every question answered, 1 stopped early, 2 a
mistake in the command.
"""
import math
import sys
import textwrap
from collections import namedtuple
from decimal import Decimal, InvalidOperation
from itertools import combinations, count

from ..engine import backward_order
from ..engine.formula import ATOM, describe, local_rule, number, write
from .text import printable

MAX_PATHS = 6  # paths from the output to NAME that the quiz walks
TRIES = 2
ORDINALS = ("first", "second", "third", "fourth")


# One blank: kind is "local" (one step's derivative), "product" (one path's) or "total" (d out / d NAME);
# ask is what is asked ("∂y/∂u2" for one step, the others held fixed; "dy/dw" for the whole chain), where
# the line that explains it ("y = tanh(u2)"), exact the engine's value, path the path it belongs to, and
# step (head, index) for a local question: d head / d head.inputs[index].
Question = namedtuple("Question", "kind ask where exact path step", defaults=(0, ()))


class Score:
    """How a quiz went: questions right at the first try, questions answered, and whether it ran to the end."""

    def __init__(self):
        self.right, self.asked, self.finished = 0, 0, False

    def __repr__(self):
        return f"Score(right={self.right}, asked={self.asked}, finished={self.finished})"


class Chain:
    """d root / d wrt taken apart for the quiz and the worksheet: names, forward pass, paths, questions.

    wrt is a Value in root's graph or the label of one. Raises ValueError if it is not in the
    graph, if it is root itself, or if root reaches it along more than max_paths paths. Like the
    walkthrough, it runs a fresh backward() from root: the graph's grads are that one pass's.
    """

    def __init__(self, root, wrt, max_paths=MAX_PATHS):
        # imported here: `chainrule list` builds its parser from this module's docstring, and needs no drawing or nn
        from ..engine.drawing.snapshot import find
        from .grads import derivative

        order = backward_order(root)
        position = {id(v): i for i, v in enumerate(order)}  # find() resolves wrt= as draw() does highlight=
        self.root, self.wrt = root, order[find(wrt, [v.label for v in order], position, "wrt", "the output")]
        if self.wrt is root:
            raise ValueError("d out / d out is 1: choose a value the output was computed from")
        paths_below = _count_paths(order, self.wrt)
        if paths_below[root] > max_paths:
            raise ValueError(f"the output reaches {self.wrt.label or describe(self.wrt)} along {paths_below[root]} "
                             f"paths; the quiz walks at most {max_paths} (max_paths=N in Python, --max-paths N on "
                             "the command line, allows more)")
        self.paths = _paths(root, self.wrt, paths_below)
        self.names = _names(order, self.paths, root, self.wrt)
        self.total = derivative(root, self.wrt)
        self.questions = self._questions()

    def name(self, v):
        return self.names[v]

    def given(self):
        """'x = 0.5, w = -2, b = 1.5': the named leaves the quiz speaks of."""
        return ", ".join(f"{self.names[v]} = {_number(v.data)}" for v in self.names if not v.inputs and v.label)

    def forward(self):
        """The forward pass, 'u1 = w*x    = -1', for every step the quiz speaks of, inputs first."""
        on_path = {head for path in self.paths for head, _ in path}
        rows = [(self.names[v], self.formula(v) if v in on_path else describe(v), _number(v.data))
                for v in self.names if v.inputs]
        name_width = max((len(name) for name, _, _ in rows), default=0)
        formula_width = max((len(formula) for _, formula, _ in rows), default=0)
        return [f"{name:<{name_width}} = {formula:<{formula_width}} = {value}" for name, formula, value in rows]

    def formula(self, v):
        """v one step back, in the names of its inputs: 'w*x', 'u1 + b', 'tanh(u2)', as describe() writes
        the op. Every name is an atom: a label, u1, a number (a negative one in parentheses)."""
        return write(v.op, [(self.names[x], ATOM) for x in v.inputs])[0]

    def describe_path(self, path):
        """'y ← u2 ← u1 ← w', and 'x (second)' where a step uses its input twice (u1 = x*x)."""
        names = [self.names[self.root]]
        for head, index in path:
            nth = _nth(head, index)
            names.append(self.names[head.inputs[index]] + (f" ({nth})" if nth else ""))
        return " ← ".join(names)

    def _questions(self):
        questions, asked = [], set()
        for k, path in enumerate(self.paths):
            for head, index in path:
                if (head, index) in asked:
                    continue  # a step shared with an earlier path is asked once
                asked.add((head, index))
                tail, nth = self.names[head.inputs[index]], _nth(head, index)
                where = f"{self.names[head]} = {self.formula(head)}" + (f", through its {nth} {tail}" if nth else "")
                questions.append(Question("local", f"∂{self.names[head]}/∂{tail}", where, _local(head, index), k,
                                          (head, index)))
            if len(self.paths) > 1 and len(path) > 1:
                questions.append(Question("product", self.product_text(path), f"the product along path {k + 1}",
                                          math.prod(_local(h, i) for h, i in path), k))
        top, bottom = self.names[self.root], self.names[self.wrt]
        if len(self.paths) > 1:
            where = f"the sum over the {len(self.paths)} paths"
        else:
            where = "the chain rule: " + self.product_text(self.paths[0])
        questions.append(Question("total", f"d{top}/d{bottom}", where, self.total))
        return questions

    def product_text(self, path):
        return " × ".join(f"∂{self.names[h]}/∂{self.names[h.inputs[i]]}" for h, i in path)


def quiz(root, wrt, *, read=input, out=None, max_paths=MAX_PATHS):
    """Ask the learner for d root / d wrt factor by factor (see the module's docstring); returns a Score.

    wrt: a Value in root's graph, or its label. read(prompt) returns a line of input (EOFError
    at its end); out is where the quiz writes (sys.stdout by default). Ctrl-D or Ctrl-C stops
    the quiz cleanly, with the score so far.
    """
    return take(Chain(root, wrt, max_paths), read=read, out=out)


def take(chain, *, read=input, out=None):
    """The quiz for a Chain already built (the CLI builds it first, so that its mistakes come before any question)."""
    from .terminal import Style, terminal_width

    out = out or sys.stdout
    style = Style(out)
    session = _Session(chain, read, out, style, terminal_width())
    top, bottom = chain.name(chain.root), chain.name(chain.wrt)
    paths = len(chain.paths)
    say = session.say
    say(style.bold(f"The chain rule by hand: d{top}/d{bottom}"))
    say("")
    say("The forward pass:")
    for line in [chain.given(), *chain.forward()]:
        say("  " + line)
    say("")
    say(f"{top} depends on {bottom} along {paths} path{'s' * (paths != 1)}. ∂ marks one step's local "
        f"derivative, d{top}/d{bottom} the whole chain. Type each number to the digits you like: it is checked "
        "at the precision you type. Ctrl-D stops.", wrap=True)
    try:
        shown = -1
        for k, question in enumerate(chain.questions, 1):
            say("")
            if question.kind != "total" and question.path != shown:
                shown = question.path
                say(style.bold(f"Path {shown + 1} of {paths}: {chain.describe_path(chain.paths[shown])}"))
                for earlier in session.known(shown):
                    say(style.dim(f"  {earlier} (found on an earlier path)"))
            session.ask(k, question)
    except (EOFError, KeyboardInterrupt):
        say("")
        say(f"Stopped. {session.score.right} of {session.score.asked} right at the first try.")
        return session.score
    session.score.finished = True
    say("")
    say(style.bold(f"{session.score.right} of {session.score.asked} right at the first try.") +
        f" d{top}/d{bottom} = {_number(chain.total, 8)}, as backward() gives it.")
    return session.score


class _Session:
    """One run of the quiz: asks, checks, diagnoses, and keeps the learner's numbers for later diagnoses."""

    def __init__(self, chain, read, out, style, width):
        self.chain, self.read, self.out, self.style, self.width = chain, read, out, style, width
        self.score = Score()
        self.used = {}  # question -> the value the learner goes on with (theirs if right, else the engine's)

    def say(self, line, wrap=False, indent=""):
        """Write a line; with wrap=True, wrapped to the terminal's width, its later lines indented."""
        self.out.write((self.wrapped(line, indent) if wrap else line) + "\n")

    def wrapped(self, text, indent):
        return "\n".join(textwrap.wrap(text, self.width, subsequent_indent=indent))

    def known(self, path):
        """'dy/du2 = 0.7864' for the steps of this path that an earlier path asked."""
        for question in self.used:
            if question.kind == "local" and question.path < path and question.step in self.chain.paths[path]:
                yield f"{question.ask} = {_number(self.used[question])}"

    def ask(self, k, question):
        style = self.style
        number = f"  {k:>{len(str(len(self.chain.questions)))}}. "
        pad = " " * len(number)
        self.say(number + question.where, wrap=True, indent=pad + "  ")
        prompt = f"{pad}{question.ask} = ? "
        tries = 0
        while tries < TRIES:
            typed = self._number(prompt, pad)
            if _right(typed, question.exact):
                engine = style.dim(f" (the engine: {_number(question.exact, 8)})")
                self.say(pad + style.green(f"{style.ok} right") + engine)
                self._done(question, float(typed), right=tries == 0)
                return
            if _agrees(typed, question.exact):  # right, but "0" for 0.0018 says too little to tell
                self.say(style.dim(f"{pad}{typed} is too coarse to check: give at least two significant digits"))
                continue
            tries += 1
            wrong = self.wrapped(f"{pad}{style.off} not {typed}. {self._diagnose(question, typed)}", pad + "  ")
            self.say(wrong.replace(style.off, style.red(style.off), 1))  # colour after wrapping: codes take no room
            prompt = f"{pad}try again: {question.ask} = ? "
        self.say(f"{pad}The answer is {_number(question.exact)}.")
        self._done(question, question.exact, right=False)

    def _done(self, question, value, right):
        self.used[question] = value
        self.score.asked += 1
        self.score.right += right

    def _number(self, prompt, pad):
        """The next answer that is a number, as typed (a Decimal); anything else is asked again with a hint."""
        while True:
            text = self.read(prompt).strip().replace("−", "-")  # the tutorials print a minus sign
            typed = _typed_number(text)
            if typed is not None:
                return typed
            hint = ("write the decimal point as a point: " + text.replace(",", ".") if "," in text
                    else "type a number, such as 0.25, -2, 1.5e-3 or 1/4")
            self.say(self.style.dim(f"{pad}{hint} (Ctrl-D stops the quiz)"))

    def _diagnose(self, question, typed):
        """What a wrong answer is, where it can be told; else the rule or the sum that gives the right one."""
        chain = self.chain
        if question.kind == "local":
            return self._diagnose_local(question, typed)
        paths = range(len(chain.paths)) if question.kind == "total" else [question.path]
        if any(_right(typed, value) for value in self._rounded(paths)):
            return (f"Your factors are right, but multiplying them rounded gives {typed}; the unrounded product "
                    f"is {_number(question.exact, 6)}. Carry more digits and round only at the end.")
        if question.exact and _right(typed, -question.exact):
            return "The size is right but the sign is not: count the negative factors again."
        for head in _activations(chain, paths):
            without = sum(math.prod(1.0 if h is head else _local(h, i) for h, i in chain.paths[k]) for k in paths)
            if _right(typed, without):
                name = chain.name(head)
                return (f"The derivative of {head.op.name} is missing: ∂{name}/∂{chain.name(head.inputs[0])} = "
                        f"{_number(_local(head, 0))} belongs in the product ({head.op.name}: {head.op.rule}).")
        if question.kind == "total":
            for subset in _proper_subsets(len(chain.paths)):
                if _right(typed, sum(math.prod(_local(h, i) for h, i in chain.paths[k]) for k in subset)):
                    left_out = [k for k in range(len(chain.paths)) if k not in subset]
                    described = "; ".join(f"path {k + 1}, {chain.describe_path(chain.paths[k])}" for k in left_out)
                    top, bottom = chain.name(chain.root), chain.name(chain.wrt)
                    return (f"That leaves out {described}. When {bottom} reaches {top} along several paths, the "
                            "derivative is the sum over all of them.")
            if len(chain.paths) > 1:
                return f"Add up the products of the {len(chain.paths)} paths."
        return f"Multiply the factors: {chain.product_text(chain.paths[question.path])}."

    def _diagnose_local(self, question, typed):
        chain = self.chain
        head, index = question.step
        tail = head.inputs[index]
        if question.exact and _right(typed, -question.exact):
            return "The size is right but the sign is not."
        for v, what in ((head, f"the value of {chain.name(head)}"), (tail, f"the value of {chain.name(tail)}")):
            if v.data != question.exact and _right(typed, v.data):
                return f"That is {what}, not the derivative. {_rule(chain, head, index)}"
        return _rule(chain, head, index)

    def _rounded(self, paths):
        """The learner's own numbers, as rounded as they typed them, multiplied along the paths and added."""
        factors = {q.step: v for q, v in self.used.items() if q.kind == "local"}
        products = {q.path: v for q, v in self.used.items() if q.kind == "product"}
        by_factors = [math.prod(factors[step] for step in self.chain.paths[k]) for k in paths]
        return [sum(by_factors), sum(products.get(k, p) for k, p in zip(paths, by_factors))]


def _rule(chain, head, index):
    """'The table's rule for mul: ∂u1/∂w = x, with x = 0.5.': the rule in the quiz's own names, and
    the numbers it needs (the table's general letters, d/da = ..., only where it writes none per input)."""
    op, inputs = head.op, head.inputs
    operands = [chain.name(x) for x in inputs]
    rule = local_rule(op, index, operands)
    if rule is None:
        return f"The table's rule for {op.name}: {op.rule}."
    text, used = rule
    given = [f"{operands[k]} = {_number(inputs[k].data)}" for k in used if operands[k] != _number(inputs[k].data)]
    return (f"The table's rule for {op.name}: ∂{chain.name(head)}/∂{operands[index]} = {text}"
            + (f", with {', '.join(dict.fromkeys(given))}" if given else "") + ".")


def _typed_number(text):
    """The number a learner typed, as a Decimal: a decimal (0.25, -2, 1.5e-3) or a fraction (1/4, -3/8),
    a fraction read as the float nearest it (so 1/3 is right for the engine's 1/3); None for anything else.
    Parsed as numbers, never evaluated."""
    top, slash, bottom = text.partition("/")
    try:
        typed = Decimal(top.strip())
        if slash:
            quotient = float(typed / Decimal(bottom.strip()))
            typed = Decimal(repr(quotient)) if math.isfinite(quotient) else None
    except (InvalidOperation, ArithmeticError, ValueError):  # not a number, or a division by zero
        return None
    return typed if typed is not None and typed.is_finite() else None


def _right(typed, value):
    """typed (a Decimal) is value at the precision typed, with two significant digits at least unless exact."""
    if Decimal(repr(value)) == typed:  # 0.1 typed for the float 0.1
        return True
    return _agrees(typed, value) and len(typed.as_tuple().digits) >= 2


FLOAT_DECIMALS = 1074  # the decimals of 2**-1074, the smallest float: no float has more


def _agrees(typed, value):
    """value rounded to the decimals typed is typed: the rule a tutorial's printed number is held to.

    Past FLOAT_DECIMALS decimals rounding leaves every float as it is, so such an answer
    (`1e-999999999`) is compared exactly rather than by writing value out to all its decimals.
    """
    from .steps import Number

    if -typed.as_tuple().exponent > FLOAT_DECIMALS:
        return Decimal(value) == typed
    return Number("answer", value, tutorial=str(typed)).matches


def _activations(chain, paths):
    """The activations (the factor learners most often leave out) on these paths, each once, in path order."""
    seen = []
    for k in paths:
        for head, _ in chain.paths[k]:
            if head.op.kind == "activation" and head not in seen:
                seen.append(head)
    return seen


def _proper_subsets(n):
    for size in range(1, n):
        yield from combinations(range(n), size)


def _local(head, index):
    """d head / d head.inputs[index], from the table of primitives (what backward() multiplies by)."""
    return head.op.local(head.data, *(x.data for x in head.inputs))[index]


def _count_paths(order, wrt):
    """{value: how many paths lead from it down to wrt}, inputs before the values made from them."""
    below = {}
    for v in reversed(order):
        below[v] = 1 if v is wrt else sum(below[x] for x in v.inputs)
    return below


def _paths(root, wrt, below):
    """Every path from root to wrt as [(head, index), ...], root first; the first input's paths first."""
    paths, stack = [], [(root, ())]
    while stack:
        v, path = stack.pop()
        if v is wrt:
            paths.append(list(path))
            continue
        for index in reversed(range(len(v.inputs))):
            if below[v.inputs[index]]:
                stack.append((v.inputs[index], path + ((v, index),)))
    return paths


def _names(order, paths, root, wrt):
    """{value: name} for the values the quiz speaks of, in forward order: labels, numbers, u1, u2, ..."""
    from ..engine.drawing.snapshot import root_name  # as the drawing names the root: L for a loss, else y

    wanted = {root, wrt}
    for path in paths:
        for head, _ in path:
            wanted.add(head)
            wanted.update(head.inputs)
    taken = {v.label for v in order if v.label}
    fresh = (name for name in (f"u{k}" for k in count(1)) if name not in taken)
    names = {}
    for v in reversed(order):  # leaves, then each value after its inputs
        if v not in wanted:
            continue
        if v.label:
            names[v] = printable(v.label)  # a label's control characters never reach the terminal raw
        elif v is root:
            names[v] = root_name(v, taken)
        elif v.inputs or v is wrt:
            names[v] = next(fresh)
        else:  # a number written in the expression, or an unlabelled leaf
            names[v] = _number(v.data) if v.data >= 0 else f"({_number(v.data)})"
    return names


def _nth(head, index):
    """'first', 'second', ... when head uses its input at index more than once (x*x), else ''."""
    tail = head.inputs[index]
    if sum(x is tail for x in head.inputs) < 2:
        return ""
    nth = sum(x is tail for x in head.inputs[:index])
    return ORDINALS[nth] if nth < len(ORDINALS) else f"#{nth + 1}"


def _number(x, digits=6):
    """A number as a learner reads it: engine.formula.number, with 6 significant digits rather than 4."""
    return number(x, digits)
