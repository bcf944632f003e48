"""serve(folder): the site on http://127.0.0.1:PORT/ for a learner with no web host; Ctrl-C stops it.

Pyodide does not load from file:// (browsers refuse a module and WebAssembly from local files),
so the playground needs a server; this one listens on the loopback address only, so nothing
outside this machine can reach it.
"""
import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOST = "127.0.0.1"
TYPES = {".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript", ".json": "application/json",
         ".whl": "application/zip", ".zip": "application/zip", ".svg": "image/svg+xml", ".html": "text/html"}


class SiteHandler(SimpleHTTPRequestHandler):
    """Files of the site folder, with the types the browser insists on (application/wasm, text/javascript)."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def end_headers(self):
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache")  # a rebuilt site is seen at the next load
        super().end_headers()

    def log_message(self, format, *args):  # quiet: a page load is a dozen requests
        pass

    def log_error(self, format, *args):
        sys.stderr.write(f"{self.address_string()}: {format % args}\n")


def make_server(folder, port=None):
    """The server of folder on 127.0.0.1 (port None or 0: a free one), not yet serving; .server_port says where.

    ValueError if folder is no site folder; OSError (with a clear message) if the port is taken.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder: build the site first (chainrule site {folder})")
    if not (folder / "index.html").is_file():
        raise ValueError(f"{folder} has no index.html: build the site into it first (chainrule site {folder})")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535):
        raise ValueError(f"port={port!r}: give a whole number from 1 to 65535, or none for a free port")
    handler = functools.partial(SiteHandler, directory=str(folder.resolve()))
    try:
        return ThreadingHTTPServer((HOST, port or 0), handler)
    except OSError as error:
        raise OSError(error.errno, f"cannot serve on {HOST}:{port}: {error.strerror or error}"
                                   " (another program uses that port? leave --port out for a free one)") from None


def serve(folder, port=None, *, out=None):
    """Serve folder on http://127.0.0.1:PORT/ until Ctrl-C (a free port unless one is given); prints the URL.

    Returns when stopped, with nothing on stderr: Ctrl-C is how it is meant to end.
    """
    out = out or sys.stdout
    server = make_server(folder, port)
    url = f"http://{HOST}:{server.server_port}/"
    print(f"Serving {folder} at {url}  (open it in a browser; Ctrl-C stops)", file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped.", file=out, flush=True)
    finally:
        server.server_close()
    return url
