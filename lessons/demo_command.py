"""The work of `chainrule list` and `chainrule demo`, for demos cli.py has found in the catalog.

    list_demos(DEMOS)             one line per demo
    check_writable(folder)        --out DIR, made and probed before any demo is built
    show(demo, folder, html=..., interactive=...)   build, write --out's files, step through
    write_all(demos, folder)      every demo under DIR/NAME/ with its page, and DIR/index.html

Each takes the demos themselves (steps.Demo), so that it knows no catalog: the worked examples
sit above this package and hand themselves down.
"""
import os
import sys
from pathlib import Path

from ..engine.writer import write_file
from .command_line import UsageError, read_line



def list_demos(demos):
    """One line per demo: its name, what comes out of it, and whom (or what text) it follows."""
    if not demos:
        print("no demos yet", file=sys.stderr)
        return 0
    width = max(len(name) for name in demos)
    for name, demo in demos.items():
        tutorial = demo.tutorial
        source = f" (follows {tutorial.author or f'“{tutorial.title}”'})" if tutorial else ""
        print(f"{name:<{width}}  {demo.summary}{source}")
    return 0


def check_writable(folder):
    """Make --out DIR and probe it; UsageError says why it cannot be written."""
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


def show(demo, out, *, html, interactive):
    """Build the demo, write its files into `out` (a Path, or None), and step through it."""
    from .terminal import demo_hints, step_through

    if interactive:
        print(f"Running the engine for {demo.title}...", flush=True)
    steps = demo.build()
    written = None
    if out is not None:
        written = _write(demo, steps, out, html=html)
    hints = demo_hints(demo, steps, page=written.page if written else None)
    step_through(demo, steps, interactive=interactive, svg_paths=written.svgs if written else None, read=read_line,
                 hints=hints)
    if written:
        for note in written.notes:
            print(note)
        where = f"open {written.page}" if written.page else f"see {written.folder}{os.sep}"
        print(f"Wrote {written.summary()} to {written.folder}{os.sep}: {where}")


def write_all(demos, out):
    """Every demo built and written under out/NAME/ with its page; one summary line per demo, then an index."""
    from .pages import index_page
    from .text import agreement

    from ..engine.drawing.browser import RENDERER_FILE, write_renderer

    out = Path(out)
    try:
        write_renderer(out)  # one Graphviz for every page, beside them
    except OSError as error:
        raise UsageError(f"cannot write {error.filename or out}: {error.strerror or error}", "choose another --out DIR")
    entries = []
    width = max((len(demo.name) for demo in demos), default=0)
    for demo in demos:
        print(f"{demo.name:<{width}}  ", end="", flush=True)
        steps = demo.build()
        written = _write(demo, steps, out / demo.name, html=True, index_href="../index.html",
                         renderer_href=f"../{RENDERER_FILE}")
        entries.append((demo, len(steps), f"{demo.name}/{written.page.name}"))
        print(f"{len(steps):>2} steps  {agreement(steps)}")
        for note in written.notes:
            print(" " * (width + 2) + note)
    index = out / "index.html"
    try:
        write_file(index, index_page(entries))
    except OSError as error:
        raise UsageError(f"cannot write {index}: {error.strerror or error}", "choose another --out DIR")
    print(f"Wrote {len(demos)} demos to {out}{os.sep}: open {index} in a browser")
    return 0


def _write(demo, steps, folder, **options):
    from .files import write_demo

    try:
        return write_demo(demo, steps, folder, **options)
    except OSError as error:
        raise UsageError(f"cannot write {error.filename or folder}: {error.strerror or error}",
                         "choose another --out DIR")
