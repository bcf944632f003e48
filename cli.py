"""The `chainrule` command (also `python -m chainrule`): list the demos, step through one, draw a graph.

    chainrule list
    chainrule demo gender                       # Enter = next, b = back, q = quit
    chainrule demo gender --auto --out out/gender --html
    chainrule demo --all --out out              # every demo, written with its page; open out/index.html

Mistakes on the command line get one line on stderr, a hint, and exit code 2. A standard
stream that fails (closed, a full disk, a reader that left) gets one line too, and exit code 1:
never a traceback.
"""
import argparse
import difflib
import os
import sys
from pathlib import Path

from .. import __version__

PROG = "chainrule"


class UsageError(Exception):
    """A mistake on the command line: what went wrong, and a hint on what to do instead."""

    def __init__(self, message, hint=""):
        super().__init__(message)
        self.hint = hint


class StreamError(Exception):
    """A standard stream that cannot be used: closed, on a full disk, failing."""

    def __init__(self, message, stream=None):
        super().__init__(message)
        self.stream = stream


class Checked:
    """sys.stdout while the command runs: a failure raises StreamError naming the stream.

    A closed stream is None in sys (and print() would quietly write stderr's text to stdout); a
    character the stream's encoding lacks is written as an escape (\\xe9), not a crash.
    """

    def __init__(self, stream, name):
        self.stream, self.name = stream, name

    def write(self, text):
        try:
            return self._call("write", text)
        except UnicodeEncodeError:
            encoding = self.stream.encoding
            return self._call("write", text.encode(encoding, "backslashreplace").decode(encoding))

    def flush(self):
        return self._call("flush")

    def isatty(self):
        return is_terminal(self.stream)

    def __getattr__(self, name):  # encoding, fileno, ...
        return getattr(self.stream, name)

    def _call(self, method, *args):
        if self.stream is None:
            raise StreamError(f"standard {self.name} is closed")
        try:
            return getattr(self.stream, method)(*args)
        except BrokenPipeError:
            raise
        except OSError as error:
            reason = error.strerror or error
        raise StreamError(f"cannot write to standard {self.name}: {reason}", self.stream)


class Discarding(Checked):
    """sys.stderr while the command runs: if it is closed or fails, its messages are dropped.

    There is nowhere left to say them, and the command's work and exit code should not depend on them.
    """

    def _call(self, method, *args):
        try:
            return super()._call(method, *args)
        except (StreamError, BrokenPipeError):
            _discard(self.stream)
            return None


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake raises UsageError instead of printing the usage and exiting."""

    def error(self, message):
        raise UsageError(message, f"see '{self.prog} --help'")


def build_parser():
    parser = Parser(prog=PROG, description="chainrule: a scalar autograd engine that shows the chain rule.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser("list", help="the worked examples, one line each", description="List the worked examples.")

    demo = commands.add_parser(
        "demo", help="step through a worked example",
        description="Step through a worked example: Enter = next step, b = back, q = quit. "
                    "Off a terminal, or with --auto, it runs straight through.")
    demo.add_argument("name", nargs="?", help="the demo's name (see 'chainrule list')")
    demo.add_argument("--all", action="store_true",
                      help="run every demo straight through; with --out, write each one's files and "
                           "HTML page under DIR/NAME/ and an index at DIR/index.html")
    demo.add_argument("--auto", action="store_true", help="run straight through without waiting for keys")
    demo.add_argument("--out", metavar="DIR", help="write one SVG per step and the loss plot (loss.png) to DIR")
    demo.add_argument("--html", action="store_true", help="with --out, also write DIR/NAME.html, a page to step through")
    demo.set_defaults(run=run_demo)

    from . import graph

    draw = commands.add_parser("graph", help="draw the graph of an expression", description=graph.__doc__)
    graph.add_arguments(draw)
    draw.set_defaults(run=graph.run)

    from . import quiz

    asked = commands.add_parser("quiz", help="work out a derivative by hand, checked factor by factor",
                                description=quiz.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    quiz.add_arguments(asked)
    asked.set_defaults(run=quiz.run)
    return parser


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
        _discard(error.stream)  # what is still buffered for it would fail again at exit
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:  # `chainrule list | head`: the reader left; say nothing more
        _discard(streams[0])
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
    if args.command == "list":
        return run_list()
    return args.run(args)


def _parse(parser, argv):
    """parse_args, except that an expression starting with - (`graph "-x" x=1`) is not an option.

    argparse reads every word that starts with - as an option, but a word with a space in it as
    a positional: when the line is refused, the first such word that then parses as the
    expression is taken, with a space after it (the expression parser ignores it).
    """
    try:
        return parser.parse_args(argv)
    except UsageError as refused:
        for k, word in enumerate(argv):
            if len(word) > 1 and word[0] == "-" and word[1] != "-":
                spaced = argv[:k] + [word + " "] + argv[k + 1:]
                try:
                    args = parser.parse_args(spaced)
                except UsageError:
                    continue
                if getattr(args, "expression", None) == spaced[k]:
                    return args
        raise refused


def _discard(stream):
    """Point a failed stream's file descriptor at /dev/null, so Python's flush at exit cannot fail again
    (nor turn the exit code into 120)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # None, or a stream that is no file (as in tests)
        return
    os.dup2(os.open(os.devnull, os.O_WRONLY), fd)


def catalog():
    from .catalog import DEMOS

    return DEMOS


def run_list():
    """One line per demo: its name, what comes out of it, and whom (or what text) it follows."""
    demos = catalog()
    if not demos:
        print("no demos yet", file=sys.stderr)
        return 0
    width = max(len(name) for name in demos)
    for name, demo in demos.items():
        tutorial = demo.tutorial
        source = f" (follows {tutorial.author or f'“{tutorial.title}”'})" if tutorial else ""
        print(f"{name:<{width}}  {demo.summary}{source}")
    return 0


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


def run_demo(args):
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
        _check_writable(out)
    if args.all and out is not None:
        return _write_all(demos, out)
    interactive = is_terminal(sys.stdin) and sys.stdout.isatty() and not (args.auto or args.all)
    for demo in demos:
        _run_one(demo, out, html=args.html, interactive=interactive)
    return 0


def read_line(prompt):
    """input(prompt), but a closed stdin is EOFError and a failing one StreamError, never a traceback."""
    if sys.stdin is None:
        raise EOFError
    try:
        return input(prompt)
    except UnicodeDecodeError as error:
        raise StreamError(f"cannot read standard input: it is not {error.encoding} text") from None
    except OSError as error:
        raise StreamError(f"cannot read standard input: {error.strerror or error}") from None


def is_terminal(stream):
    """stream.isatty(), and False for a stream that is closed (None in sys)."""
    return stream is not None and stream.isatty()


def _check_writable(folder):
    from .files import prepare_out

    try:
        prepare_out(folder)
    except FileExistsError:
        raise UsageError(f"cannot write to --out {folder}: it is a file, not a folder", "choose another --out DIR")
    except NotADirectoryError:
        raise UsageError(f"cannot write to --out {folder}: part of that path is a file, not a folder",
                         "choose another --out DIR")
    except OSError as error:
        raise UsageError(f"cannot write to --out {folder}: {error.strerror or error}", "choose another --out DIR")


def _run_one(demo, out, *, html, interactive):
    from .terminal import step_through

    if interactive:
        print(f"Running the engine for {demo.title}...", flush=True)
    steps = demo.build()
    written = None
    if out is not None:
        written = _write(demo, steps, out, html=html)
    step_through(demo, steps, interactive=interactive, svg_paths=written.svgs if written else None, read=read_line)
    if written:
        for note in written.notes:
            print(note)
        where = f"open {written.page}" if written.page else f"see {written.folder}{os.sep}"
        print(f"Wrote {written.summary()} to {written.folder}{os.sep}: {where}")


def _write(demo, steps, folder, **options):
    from .files import write_demo

    try:
        return write_demo(demo, steps, folder, **options)
    except OSError as error:
        raise UsageError(f"cannot write to --out {folder}: {error.strerror or error}", "choose another --out DIR")


def _write_all(demos, out):
    """Every demo built and written under out/NAME/ with its page; one summary line per demo, then an index."""
    from .html import index_page
    from .text import agreement

    entries = []
    width = max((len(demo.name) for demo in demos), default=0)
    for demo in demos:
        print(f"{demo.name:<{width}}  ", end="", flush=True)
        steps = demo.build()
        written = _write(demo, steps, out / demo.name, html=True, index_href="../index.html")
        entries.append((demo, len(steps), f"{demo.name}/{written.page.name}"))
        print(f"{len(steps):>2} steps  {agreement(steps)}")
        for note in written.notes:
            print(" " * (width + 2) + note)
    index = out / "index.html"
    try:
        index.write_text(index_page(entries), encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {index}: {error.strerror or error}", "choose another --out DIR")
    print(f"Wrote {len(demos)} demos to {out}{os.sep}: open {index} in a browser")
    return 0
