"""The work of `chainrule site DIR` and `chainrule serve DIR [--port P]`, for cli.py.

    build(folder, demos)      the site, with every demo of `demos` (the catalog's, handed down by cli.py)
    serve(folder, port)       the site on http://127.0.0.1:PORT/ until Ctrl-C

A mistake (npm or node missing, a folder that cannot be written, a port in use) is a UsageError:
one line on stderr, a hint, exit code 2.
"""
import os
import shlex

from ..command_line import UsageError
from ..demo_command import write_all
from .build import SiteError, build_site
from .serve import serve as serve_forever


def build(folder, demos):
    """Write the site into folder: the playground and every demo's page (demos: steps.Demo, in order)."""
    try:
        index = build_site(folder, demos=lambda into: write_all(demos, into))
    except SiteError as error:
        raise UsageError(str(error)) from None  # its message says what to do
    except OSError as error:
        where = f" ({error.filename})" if error.filename and os.fspath(error.filename) != os.fspath(folder) else ""
        raise UsageError(f"cannot write the site into {folder}: {error.strerror or error}{where}",
                         "choose another folder") from None
    size = sum(path.stat().st_size for path in index.parent.rglob("*") if path.is_file())
    print(f"Wrote the site to {index.parent}{os.sep} ({size / 1e6:.1f} MB). To open it in a browser:")
    print(f"  chainrule serve {shlex.quote(os.fspath(folder))}")
    return 0


def serve(folder, port=None):
    """Serve folder on 127.0.0.1 (port None: a free one) until Ctrl-C; 0 once stopped."""
    try:
        serve_forever(folder, port)
    except (ValueError, OSError) as error:  # no site in that folder; the port is in use (each message says what to do)
        raise UsageError(getattr(error, "strerror", None) or str(error)) from None
    return 0
