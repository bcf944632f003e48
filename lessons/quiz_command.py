"""The work of `chainrule quiz` (cli.py parses its words): the quiz on an expression typed, or a
printable worksheet of it (--worksheet FILE).

Exit codes: 0 every question answered, 1 stopped early, 2 a mistake in the command.
"""
import random
import sys

from ..engine.writer import write_file
from .command_line import is_terminal, read_line
from .graph_command import Mistake, build_expression, leaf
from .quiz import Chain, take
from .text import printable

PROG = "chainrule quiz"


def run(args):
    """Carry out `chainrule quiz` for parsed arguments; the exit code (0 done, 1 stopped early, 2 a mistake)."""
    try:
        out, leaves = build_expression(args.expression, args.values, prog=PROG)
        try:
            chain = Chain(out, leaf(leaves, args.wrt, "--wrt"), args.max_paths)
        except ValueError as e:
            raise Mistake(e) from None
        if args.worksheet:
            return _write_worksheet(args, {name: v.data for name, v in leaves.items()})
        if sys.stdin is None:
            raise Mistake("the quiz reads your answers from standard input, which is closed")
    except Mistake as mistake:
        print(printable(f"{PROG}: {mistake}"), file=sys.stderr)  # EXPR's text, its # comment too, escaped
        return 2
    return 0 if take(chain, read=_reader()).finished else 1


def _reader():
    """read_line, echoing each answer when it comes from a file or a pipe, so the transcript shows it."""
    if is_terminal(sys.stdin):
        return read_line

    def read_and_echo(prompt):
        line = read_line(prompt)
        print(line)
        return line

    return read_and_echo


def _write_worksheet(args, values):
    from .worksheet import worksheet

    seed = args.seed if args.seed is not None else random.randrange(1, 1_000_000)
    try:
        page = worksheet(args.expression, values, args.wrt, variants=args.variants, seed=seed,
                         max_paths=args.max_paths)
    except ValueError as e:
        raise Mistake(e) from None
    try:
        write_file(args.worksheet, page)
    except OSError as e:
        raise Mistake(f"cannot write {args.worksheet}: {e.strerror or e}") from None
    print(f"wrote {args.worksheet}: {args.variants} variant{'s' * (args.variants != 1)} and the answer key "
          f"(seed {seed}); open it in a browser and print it")
    return 0
