"""Draw the graph of an expression, with the chain rule on its edges, or step through its backward pass.

Example: chainrule graph "sigmoid(w1*x1 + w2*x2 + b)" x1=2 x2=3 w1=0 w2=1 b=4 -o neuron.svg --highlight w1
         chainrule graph "tanh(w*x + b)" x=0.5 w=-2 b=1.5 --steps [--html page.html] [--out DIR]

EXPR may use numbers, names, + - * / **, parentheses and the functions exp, log, tanh,
sigmoid, relu, abs, sqrt; nothing else is accepted (it is never run as Python). "L = EXPR"
names the output (default y). Give every name a number with NAME=VALUE (before, after or among
the options; an EXPR may start with -, as in "-x*y"). Names starting with w or b are parameters
(drawn orange), the others inputs (blue); --param NAME (repeatable) picks the parameters instead. The graph is computed, backward() runs, and the drawing is written
to -o FILE in the format of its suffix: .svg (no system Graphviz needed), .dot or .gv (the DOT
text), .png or .pdf (Graphviz's `dot`; PNG also through resvg). Without -o the output's value
and every grad are printed (y = ..., dy/dw = ...); --dot prints the DOT text instead.

--steps shows the forward values, then backward() one node at a time: the grads filling in,
the path from the output to the node reached lit (Enter, Space or Right: next; b or Left:
back; q: quit). With --html FILE the same steps are written as one page to open in a browser,
with --out DIR as one SVG per step. A graph past --max-nodes boxes (100 for --steps) has each
neuron grouped into one box, and one step; past it grouped too, it is refused.

Exit codes: 0 done, 2 a mistake in the command, 1 the drawing could not be rendered.
"""
import math
import os
import shlex
import sys

from .text import printable

PROG = "chainrule graph"
FORMATS = {".svg": "svg", ".dot": "dot", ".gv": "dot", ".png": "png", ".pdf": "pdf"}


class Mistake(Exception):
    """A mistake in the command: exit code 2 and the message on stderr."""


def run(args):
    """Carry out `chainrule graph` for parsed arguments; the exit code."""
    try:
        return _run(args)
    except Mistake as mistake:
        print(printable(f"{PROG}: {mistake}"), file=sys.stderr)  # EXPR's text, its # comment too, escaped
        return 2


def _run(args):
    from ..engine.drawing import MAX_NODES, draw
    from ..engine.drawing.render import RenderError
    from ..engine.writer import write_file

    _check_steps(args)
    format = _format(args.output) if args.output else None
    out, leaves = build_expression(args.expression, args.values, params=args.param, prog=PROG)
    target = None if args.highlight is None else leaf(leaves, args.highlight, "--highlight")
    if args.steps:
        return _steps(args, out, leaves, target)
    try:
        out.backward()
        drawing = draw(out, highlight=target, rankdir=args.rankdir, digits=args.digits,
                       max_nodes=_max_nodes(args, MAX_NODES))
    except ValueError as e:
        raise _mistake(e) from None
    if args.dot:
        sys.stdout.write(drawing.source)
        return 0
    if args.output is None:
        _summary(out, leaves, drawing, args.digits)
        return 0
    try:
        data = drawing.pipe(format, engine=args.engine)
    except RenderError as e:
        print(f"{PROG}: could not render {args.output}: {e}", file=sys.stderr)
        return 1
    try:
        write_file(args.output, data)  # whole or not at all: a full disk leaves the old file as it was
    except OSError as e:
        raise Mistake(f"cannot write {args.output}: {e.strerror or e}") from None
    _summary(out, leaves, drawing, args.digits)
    print(f"wrote {args.output}")
    return 0


def _check_steps(args):
    """--html and --out write steps: they need --steps, which -o (one drawing) does not go with."""
    if args.dot and (args.output or args.steps):
        raise Mistake("--dot prints the DOT text; -o FILE.dot writes it to a file"
                      if args.output else "--dot prints one drawing's DOT text; --steps shows the steps")
    if args.steps and args.output:
        raise Mistake("-o draws one graph; --steps writes its steps with --out DIR (one SVG each) "
                      "or --html FILE (one page)")
    for option, value in (("--html", args.html), ("--out", args.out)):
        if value is not None and not args.steps:
            raise Mistake(f"{option} {value} writes the steps of --steps: add --steps"
                          + (", or use -o FILE for one drawing" if option == "--out" else ""))
    if args.html is not None:
        folder = os.path.dirname(os.path.abspath(args.html))
        if not os.path.isdir(folder):
            raise Mistake(f"--html {args.html}: the folder {folder} does not exist")


def _steps(args, out, leaves, target):
    """`--steps`: the walkthrough in the terminal, or written to --html FILE and --out DIR."""
    from ..engine.drawing import number
    from ..engine.drawing.render import RenderError
    from .command_line import read_line
    from .terminal import Hints
    from .walkthrough import MAX_NODES, walkthrough

    try:
        walk = walkthrough(out, highlight=target, rankdir=args.rankdir, digits=args.digits,
                           max_nodes=_max_nodes(args, MAX_NODES))
    except ValueError as e:
        raise _mistake(e) from None
    if args.html is None and args.out is None:
        wrt = next((name for name, v in leaves.items() if v.op.name == "param"), next(iter(leaves), None))
        quiz = shlex.join([PROG.split()[0], "quiz", _without_comments(args.expression), *args.values] + (["--wrt", wrt] if wrt else []))
        hints = Hints("add --out DIR for one SVG per step, --html FILE for a page",
                      (f"{walk.grads_line()}.", f"Next: add --html page.html to explore every step's graph in a "
                                                f"browser; `{quiz}` asks you for the chain rule, factor by factor."))
        walk.step_through(hints=hints, read=read_line)  # keys on a terminal, else straight through
        return 0
    try:
        written = [f"{len(walk.save_svgs(args.out).svgs)} SVGs to {args.out}{os.sep}"] if args.out else []
        if args.html is not None:
            written.append(str(walk.save_html(args.html)))
    except RenderError as e:
        print(f"{PROG}: could not render the steps' graphs: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        raise Mistake(f"cannot write {e.filename or args.out}: {e.strerror or e}") from None
    print(f"{out.label} = {number(out.data, args.digits)}: {len(walk)} steps")
    print(f"{walk.grads_line()}.")
    print(f"wrote {' and '.join(written)}")
    return 0


def _without_comments(expression):
    """EXPR without its # comments (the grammar has no strings: a # starts a comment), for a command to suggest."""
    return " ".join(line.partition("#")[0].strip() for line in expression.splitlines()).strip()


def _max_nodes(args, default):
    """--max-nodes as draw() takes it: `default` when it is not given, None for 'none' (cli.py reads it as inf)."""
    if args.max_nodes is None:
        return default
    return None if args.max_nodes == math.inf else args.max_nodes


def _mistake(error):
    """A ValueError from drawing, as a Mistake in the command's words (--max-nodes N, not max_nodes=N)."""
    message = str(error).removeprefix("draw: ").removeprefix("walkthrough: ")
    return Mistake(message.replace("max_nodes=", "--max-nodes "))


def build_expression(expression, pairs, params=None, prog=PROG):
    """The expression from the command line's EXPR and NAME=VALUE words: (out, {name: leaf}).

    Mistake if either is wrong; names given but not in the expression are noted on stderr. An
    unnamed output is called y (f if y is an input: formula.output_name).
    """
    from ..engine.expression import parse_expression
    from ..engine.formula import output_name

    utf8(expression, "EXPR")
    for name in params or ():
        utf8(name, "--param")
    values = parse_values(pairs)
    try:
        out, leaves = parse_expression(expression, values, params=params)
    except ValueError as e:
        raise Mistake(e) from None
    unused = [name for name in values if name not in leaves]
    if unused:
        print(f"{prog}: note: not in the expression, ignored: {', '.join(unused)}", file=sys.stderr)
    if out.inputs and not out.label:
        out.label = output_name(leaves)
    return out, leaves


def leaf(leaves, name, option):
    """The leaf called name, or a Mistake that names the option and the expression's names."""
    utf8(name, option)
    if name not in leaves:
        raise Mistake(f"{option} {name}: no such name in the expression (its names: {', '.join(leaves) or 'none'})")
    return leaves[name]


def parse_values(pairs):
    """NAME=VALUE arguments -> {name: float} (engine.expression.read_values), as Mistakes."""
    from ..engine.expression import read_values

    for pair in pairs:
        utf8(pair, "NAME=VALUE")
    try:
        return read_values(pairs)
    except ValueError as e:
        raise Mistake(e) from None


def utf8(word, what):
    """Mistake if a word of the command line is not UTF-8 text (Python holds such bytes as lone surrogates)."""
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        typed = word.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise Mistake(f"{what} '{typed}' is not UTF-8 text: type it again (is the terminal set to UTF-8?)") from None


def _format(path):
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in FORMATS:
        raise Mistake(f"-o {path}: cannot tell the format from {suffix or 'no suffix'}; "
                      f"end the name with {', '.join(FORMATS)}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise Mistake(f"-o {path}: the folder {folder} does not exist")
    return FORMATS[suffix]


def _summary(out, leaves, drawing, digits):
    """The output, each name's grad and the highlighted chain rule, as the drawing shows them."""
    from ..engine.drawing import number

    top = out.label or "y"  # an output that is a leaf itself ("x"), unlabelled only if typed as a number
    print(f"{top} = {number(out.data, digits)}")
    grads = ", ".join(f"d{top}/d{name} = {number(leaf.grad, digits)}" for name, leaf in leaves.items()
                      if leaf is not out)
    if grads:
        print(grads)
    for line in drawing.caption:
        print(line)
