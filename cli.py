"""The `chainrule` command (also `python -m chainrule`): argparse and dispatch, nothing else.

    chainrule list
    chainrule demo gender                       # Enter = next, b = back, q = quit
    chainrule demo gender --auto --out out/gender --html
    chainrule demo --all --out out              # every demo, written with its page; open out/index.html
    chainrule graph "tanh(w*x + b)" x=0.5 w=-2 b=1.5 --steps
    chainrule quiz "tanh(w*x + b)" x=0.5 w=-2 b=1.5 --wrt w
    chainrule site out/site                     # the playground and every demo, run in the browser
    chainrule serve out/site [--port P]         # on http://127.0.0.1:P/ until Ctrl-C

The work of each command is in chainrule.lessons (demo_command, graph_command, quiz_command,
site.command);
the worked examples come from chainrule.demos.catalog. Mistakes on the command line get one
line on stderr, a hint, and exit code 2. A standard stream that fails (closed, a full disk, a
reader that left) gets one line too, and exit code 1: never a traceback.
"""
import argparse
import difflib
import math
import sys
from pathlib import Path

from . import __version__
from .lessons import graph_command, quiz, quiz_command
from .lessons.command_line import Checked, Discarding, StreamError, UsageError, discard, is_terminal

PROG = "chainrule"


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake raises UsageError instead of printing the usage and exiting.

    intermixed=True (graph, quiz): options may come between the positional words, as in
    `graph "x*y" -o f.svg x=1 y=2`, where argparse alone stops reading NAME=VALUE at -o.
    """

    def __init__(self, *args, intermixed=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.intermixed, self._mixing = intermixed, False

    def parse_known_args(self, args=None, namespace=None):
        if not self.intermixed or self._mixing:
            return super().parse_known_args(args, namespace)
        self._mixing = True  # parse_known_intermixed_args calls parse_known_args twice
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._mixing = False

    def error(self, message):
        raise UsageError(message, f"see '{self.prog} --help'")


def build_parser():
    parser = Parser(prog=PROG, description="chainrule: a scalar autograd engine that shows the chain rule.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    listing = commands.add_parser("list", help="the worked examples, one line each",
                                  description="List the worked examples.")
    listing.set_defaults(run=run_list)

    demo = commands.add_parser(
        "demo", help="step through a worked example",
        description="Step through a worked example: Enter = next step, b = back, q = quit. "
                    "Off a terminal, or with --auto, it runs straight through.")
    demo.add_argument("name", nargs="?", help="the demo's name (see 'chainrule list')")
    demo.add_argument("--all", action="store_true",
                      help="run every demo straight through; with --out, write each one's files and "
                           "HTML page under DIR/NAME/ and an index at DIR/index.html")
    demo.add_argument("--auto", action="store_true", help="run straight through without waiting for keys")
    demo.add_argument("--out", metavar="DIR", help="write one SVG per step and the loss plot (NAME-loss.svg) to DIR")
    demo.add_argument("--html", action="store_true", help="with --out, also write DIR/NAME.html, a page to step through")
    demo.set_defaults(run=run_demo)

    draw = commands.add_parser("graph", help="draw the graph of an expression", description=graph_command.__doc__,
                               formatter_class=argparse.RawDescriptionHelpFormatter, intermixed=True)
    add_graph_arguments(draw)
    draw.set_defaults(run=graph_command.run)

    asked = commands.add_parser("quiz", help="work out a derivative by hand, checked factor by factor",
                                description=quiz.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                intermixed=True)
    add_quiz_arguments(asked)
    asked.set_defaults(run=quiz_command.run)

    site = commands.add_parser(
        "site", help="write a static site: the playground and every demo, running in the browser",
        description="Write a static site into DIR: a playground where an expression typed (or given in the "
                    "URL: index.html?expr=tanh(w*x%2Bb)&x=0.5&w=-2&b=1.5&wrt=w) runs chainrule itself in "
                    "the browser (Pyodide), and every demo's page. Building needs Node.js and npm once, to "
                    "fetch Pyodide (cached); the site fetches nothing from any other host when it runs. "
                    "Then: chainrule serve DIR.")
    site.add_argument("folder", metavar="DIR", help="where to write the site (made if needed)")
    site.set_defaults(run=run_site)

    served = commands.add_parser(
        "serve", help="serve a site written by 'chainrule site' on 127.0.0.1",
        description="Serve DIR (written by 'chainrule site DIR') on http://127.0.0.1:PORT/, reachable from "
                    "this machine only, and print the URL; Ctrl-C stops it.")
    served.add_argument("folder", metavar="DIR", help="the site's folder")
    served.add_argument("--port", type=_port, metavar="P", help="the port to listen on (default: a free one)")
    served.set_defaults(run=run_serve)
    return parser


def add_graph_arguments(parser):
    """The words of `chainrule graph`."""
    parser.add_argument("expression", metavar="EXPR", help='e.g. "sigmoid(w1*x1 + w2*x2 + b)"')
    parser.add_argument("values", nargs="*", metavar="NAME=VALUE", help="a number for each name, e.g. x1=2")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the drawing here (.svg, .dot, .gv, .png, .pdf); without it the value and "
                             "every grad are printed")
    parser.add_argument("--dot", action="store_true", help="print the drawing's DOT text (Graphviz's language)")
    parser.add_argument("--highlight", metavar="NAME",
                        help="mark every path from the output to NAME and write its chain rule")
    parser.add_argument("--param", action="append", metavar="NAME",
                        help="make NAME a parameter (repeat for several); default: names starting with w or b")
    parser.add_argument("--digits", type=int, default=4, metavar="N", help="significant digits shown (default 4)")
    parser.add_argument("--engine", choices=("auto", "wasm", "dot"), default="auto",
                        help="wasm: Graphviz as WebAssembly, no install needed; dot: the system Graphviz")
    parser.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                        help="layout direction (default LR: inputs left, output right)")
    parser.add_argument("--max-nodes", type=_limit, default=None, metavar="N",
                        help="boxes drawn before neurons are grouped and then refused; 'none' for no limit")
    parser.add_argument("--steps", action="store_true",
                        help="step through the forward pass and backward(), one node at a time")
    parser.add_argument("--html", metavar="FILE", help="with --steps: write the steps as one page to FILE")
    parser.add_argument("--out", metavar="DIR", help="with --steps: write one SVG per step into DIR")
    return parser


def add_quiz_arguments(parser):
    """The words of `chainrule quiz`."""
    parser.add_argument("expression", metavar="EXPR", help='e.g. "tanh(w*x + b)" (as for chainrule graph)')
    parser.add_argument("values", nargs="*", metavar="NAME=VALUE", help="a number for each name, e.g. x=0.5")
    parser.add_argument("--wrt", required=True, metavar="NAME", help="the name to take the derivative by")
    parser.add_argument("--max-paths", type=_positive, default=quiz.MAX_PATHS, metavar="N",
                        help=f"refuse an expression whose output reaches NAME along more paths "
                             f"(default {quiz.MAX_PATHS})")
    parser.add_argument("--worksheet", metavar="FILE.html",
                        help="write a printable worksheet for a class instead: variants, blanks, an answer key")
    parser.add_argument("--variants", type=_positive, default=4, metavar="N",
                        help="with --worksheet: how many variants of the expression (default 4)")
    parser.add_argument("--seed", type=int, metavar="S",
                        help="with --worksheet: the seed of the variants' values (default: a new one, printed)")
    return parser


def _limit(text):
    """--max-nodes N: a positive whole number, or 'none' (read as inf: no limit)."""
    if text.lower() == "none":
        return math.inf
    return _whole(text, 1, None, "a positive whole number or 'none'")


def _positive(text):
    return _whole(text, 1, 100, "a whole number from 1 to 100")


def _port(text):
    return _whole(text, 1, 65535, "a whole number from 1 to 65535")


def _whole(text, low, high, wanted):
    """text as an int from low to high (None: no upper bound), or argparse's error asking for `wanted`."""
    try:
        n = int(text)
    except ValueError:
        n = low - 1
    if n < low or (high is not None and n > high):
        raise argparse.ArgumentTypeError(f"{text!r}: give {wanted}")
    return n


def main(argv=None):
    """Run the command line; returns the exit code (0 done, 1 a stream failed, 2 a mistake on the command line)."""
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = Checked(sys.stdout, "output"), Discarding(sys.stderr, "error")
    try:
        code = _run(build_parser(), sys.argv[1:] if argv is None else list(argv))
        sys.stdout.flush()  # a full disk shows here, not as a traceback when Python exits
        return code
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        if error.hint:
            print(f"  hint: {error.hint}", file=sys.stderr)
        return 2
    except StreamError as error:
        discard(error.stream)  # what is still buffered for it would fail again at exit
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:  # `chainrule list | head`: the reader left; say nothing more
        discard(streams[0])
        return 0
    finally:
        sys.stdout, sys.stderr = streams


def _run(parser, argv):
    try:
        args = _parse(parser, argv)
    except SystemExit as done:  # --help and --version end this way
        return done.code if isinstance(done.code, int) else 0
    if args.command is None:
        parser.print_help()
        return 0
    return args.run(args)


def _parse(parser, argv):
    """parse_args, except that an expression starting with - (`graph "-x" x=1`) is not an option.

    argparse reads every word that starts with - as an option, but a word with a space in it as
    a positional: when the line is refused, the first such word that then parses as the
    expression is taken, with a space after it (the expression parser ignores it). If the line
    is still refused for another reason (`graph "-x*y" x=1 --bogus`), that reason is the one
    given, not the expression.
    """
    try:
        return parser.parse_args(argv)
    except UsageError as refused:
        other_reason = None
        for k, word in enumerate(argv):
            if len(word) > 1 and word[0] == "-" and word[1] != "-":
                spaced = argv[:k] + [word + " "] + argv[k + 1:]
                try:
                    args = parser.parse_args(spaced)
                except UsageError as error:
                    if other_reason is None and argv[0] in ("graph", "quiz") and word not in str(error):
                        other_reason = error
                    continue
                if getattr(args, "expression", None) == spaced[k]:
                    return args
        raise other_reason or refused


def catalog():
    """The worked examples by name (demos.catalog, imported when a command needs them)."""
    from .demos.catalog import DEMOS

    return DEMOS


def find_demo(name):
    """The demo called `name`, or a UsageError that suggests the closest names."""
    demos = catalog()
    if name in demos:
        return demos[name]
    close = difflib.get_close_matches(name, list(demos), n=3, cutoff=0.5)
    message = f"no demo named {name!r}"
    if close:
        message += "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    raise UsageError(message, f"'{PROG} list' shows every demo")


def run_list(args):
    from .lessons.demo_command import list_demos

    return list_demos(catalog())


def run_demo(args):
    from .lessons import demo_command

    if args.all and args.name:
        raise UsageError(f"give a demo's name or --all, not both (got {args.name!r} and --all)",
                         f"'{PROG} demo --all --out out' runs every demo")
    if not args.all and not args.name:
        raise UsageError("which demo? give its name, or --all for every demo", f"'{PROG} list' shows every demo")
    if args.html and not args.out:
        raise UsageError("--html writes a page into the --out folder; add --out DIR",
                         f"'{PROG} demo {args.name or '--all'} --out out --html'")
    demos = list(catalog().values()) if args.all else [find_demo(args.name)]
    out = Path(args.out) if args.out else None
    if out is not None:
        demo_command.check_writable(out)
    if args.all and out is not None:
        return demo_command.write_all(demos, out)
    interactive = is_terminal(sys.stdin) and sys.stdout.isatty() and not (args.auto or args.all)
    for demo in demos:
        demo_command.show(demo, out, html=args.html, interactive=interactive)
    return 0


def run_site(args):
    from .lessons.site import command

    return command.build(args.folder, list(catalog().values()))


def run_serve(args):
    from .lessons.site import command

    return command.serve(args.folder, args.port)
