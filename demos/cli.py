"""The `chainrule` command (also `python -m chainrule`): list the demos, step through one, draw a graph.

    chainrule list
    chainrule demo gender                       # Enter = next, b = back, q = quit
    chainrule demo gender --auto --out out/gender --html
    chainrule demo --all --out out              # every demo, written with its page; open out/index.html

Mistakes on the command line get one line on stderr, a hint, and exit code 2.
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
    return parser


def main(argv=None):
    """Run the command line; returns the exit code (0 done, 2 a mistake on the command line)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        if args.command == "list":
            return run_list()
        return args.run(args)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        if error.hint:
            print(f"  hint: {error.hint}", file=sys.stderr)
        return 2
    except SystemExit as done:  # --help and --version end this way
        return done.code if isinstance(done.code, int) else 0
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:  # `chainrule list | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def catalog():
    from .catalog import DEMOS

    return DEMOS


def run_list():
    demos = catalog()
    if not demos:
        print("no demos yet", file=sys.stderr)
        return 0
    width = max(len(name) for name in demos)
    for name, demo in demos.items():
        print(f"{name:<{width}}  seed {demo.seed}  {demo.summary}")
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
    interactive = sys.stdin.isatty() and sys.stdout.isatty() and not (args.auto or args.all)
    for demo in demos:
        _run_one(demo, out, html=args.html, interactive=interactive)
    return 0


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
    step_through(demo, steps, interactive=interactive, svg_paths=written.svgs if written else None)
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
