"""The Graphviz a page runs itself (engine/drawing/browser.js), in real headless Chromium from file://.

It runs the wheel's graphviz.wasm, so its SVG must be the SVG that render.py makes under wasmtime,
byte for byte; it must load with no request to any host, stop a render past its timeout, and say
what is wrong when it cannot draw.
"""
import json
import os

import pytest

from chainrule import Value, draw
from chainrule.engine.drawing.browser import CONTENT_SECURITY, RENDERER_FILE, renderer_script, write_renderer
from chainrule.engine.drawing.render import wasm_svg
from test_html import Chromium, chromium_binary

# what a chainrule page allows today, plus what the renderer needs
POLICY = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; {CONTENT_SECURITY}"


@pytest.fixture(scope="module")
def browser():
    chromium = Chromium(chromium_binary())
    yield chromium
    chromium.close()


def neuron(highlight=True, backward=True):
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1", param=True), Value(1.0, "w2", param=True)
    b = Value(6.8813735870195432, "b", param=True)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    if backward:
        o.backward()
    return draw(o, highlight=w1 if highlight else None).source


def awkward():
    label = 'say "hi" {x}|<y> & z\ntwo lines é 😀'
    x = Value(1.0, label)
    out = (x * 2).tanh()
    out.label = label
    out.backward()
    return draw(out, highlight=x).source


def tangle(n):
    """n boxes in a chain with edges crossing back: seconds to lay out at n = 100."""
    edges = " ".join(f"n{i} -> n{i + 1}; n{i} -> n{(i * 7) % n};" for i in range(n - 1))
    return f"digraph {{ {edges} }}"


def line(n):
    """n + 1 boxes in one line: Graphviz recurses once per box."""
    return "digraph { " + " ".join(f"n{i} -> n{i + 1};" for i in range(n)) + " }"


def write_page(folder, script=None, policy=POLICY, name="page.html", src=None):
    """A page holding just the renderer: `script` inline, or a classic <script src=`src`>."""
    tag = f'<script src="{src}"></script>' if src else f"<script>{script}</script>"
    path = folder / name
    path.parent.mkdir(exist_ok=True)
    path.write_text('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                    f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
                    f"<title>graphviz</title>{tag}</head><body></body></html>", encoding="utf-8")
    return path


def render(browser, dot, **options):
    """chainruleGraphviz.render(dot, options) in the page: {'svg': text} or {'error': message}."""
    expression = (f"chainruleGraphviz.render({json.dumps(dot)}, {json.dumps(options)})"
                  ".then(svg => ({svg}), error => ({error: error.message}))")
    result = browser.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
    if "exceptionDetails" in result:
        raise AssertionError(result["exceptionDetails"])
    return result["result"]["value"]


def requests(browser):
    """Every URL the page asked for since it was opened."""
    browser.js("0")  # a round trip, so the events raised so far have arrived
    return [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]


def assert_no_request_left_the_machine(browser):
    for url in requests(browser):
        # the page's own files, and the worker's script, made in the page from its own text
        assert url.startswith(("file:", "blob:null/")), url


@pytest.fixture(scope="module")
def graphs():
    return {"neuron": neuron(), "neuron before backward": neuron(highlight=False, backward=False),
            "awkward label": awkward()}


def test_the_page_draws_the_svg_that_wasmtime_draws(browser, tmp_path, graphs):
    browser.open(write_page(tmp_path, renderer_script()))
    for name, dot in graphs.items():
        drawn = render(browser, dot)
        assert "error" not in drawn, (name, drawn)
        assert drawn["svg"].encode("utf-8") == wasm_svg(dot), name  # the same program, the same bytes
    awkward_svg = render(browser, graphs["awkward label"])["svg"]  # and the label is really in it, whole
    assert ">say &quot;hi&quot; {x}|&lt;y&gt; &amp; z</text>" in awkward_svg and ">two lines é 😀</text>" in awkward_svg
    assert browser.js("chainruleGraphviz.where") == "worker"
    assert_no_request_left_the_machine(browser)
    assert [p for p in browser.problems() if not str(p).startswith("request: blob:null/")] == []


def test_pages_can_share_one_graphviz_js_beside_them(browser, tmp_path, graphs):
    path = write_renderer(tmp_path)
    assert path == os.path.join(tmp_path, RENDERER_FILE)
    shared = POLICY.replace("script-src", "script-src 'self'")
    # as `demo --all` writes them: an index beside it, each demo's page in a folder of its own
    for name, src in (("index.html", RENDERER_FILE), ("gender/gender.html", f"../{RENDERER_FILE}")):
        page = write_page(tmp_path, policy=shared, name=name, src=src)
        browser.open(page)
        assert render(browser, graphs["neuron"])["svg"].encode("utf-8") == wasm_svg(graphs["neuron"])
        assert_no_request_left_the_machine(browser)
        files = [url for url in requests(browser) if url.startswith("file:")]
        assert files == [page.as_uri(), (tmp_path / RENDERER_FILE).as_uri()]


def test_bad_dot_says_why_and_the_next_render_still_works(browser, tmp_path, graphs):
    browser.open(write_page(tmp_path, renderer_script()))
    assert render(browser, "digraph { a -> }") == {"error": "Graphviz could not draw this DOT: Failed to parse DOT source"}
    assert render(browser, graphs["neuron"])["svg"].encode("utf-8") == wasm_svg(graphs["neuron"])
    assert render(browser, 42) == {"error": "chainruleGraphviz.render takes DOT text (a string), not number"}
    assert "timeout must be a number of seconds > 0" in render(browser, "digraph {}", timeout=0)["error"]


def test_a_render_past_its_timeout_is_stopped_and_the_next_one_runs(browser, tmp_path, graphs):
    browser.open(write_page(tmp_path, renderer_script()))
    stopped = render(browser, tangle(400), timeout=0.05)
    assert stopped == {"error": "Graphviz took longer than 0.05 s and was stopped; draw fewer boxes or pass a "
                                "longer timeout"}
    assert render(browser, graphs["neuron"])["svg"].encode("utf-8") == wasm_svg(graphs["neuron"])


def test_a_graph_too_deep_for_a_workers_stack_is_drawn_in_the_page(browser, tmp_path):
    # Chromium gives a worker a smaller stack than the page: here a line of about 7000 boxes (far
    # more than draw() draws) is too deep for a worker and not for the page or for wasmtime
    deep = line(8000)
    browser.open(write_page(tmp_path, renderer_script()))
    assert render(browser, deep)["svg"].encode("utf-8") == wasm_svg(deep)
    assert render(browser, line(40000)) == {"error": "the graph is too deep for the WebAssembly Graphviz's stack; "
                                                    "draw a smaller part"}


def test_a_page_that_forbids_workers_draws_in_the_page(browser, tmp_path, graphs):
    browser.open(write_page(tmp_path, renderer_script(), POLICY.replace("; worker-src blob:", "")))
    assert render(browser, graphs["awkward label"])["svg"].encode("utf-8") == wasm_svg(graphs["awkward label"])
    assert browser.js("chainruleGraphviz.where") == "page"


def test_a_policy_without_wasm_says_what_to_allow(browser, tmp_path, graphs):
    browser.open(write_page(tmp_path, renderer_script(), POLICY.replace(" 'wasm-unsafe-eval'", "")))
    failed = render(browser, graphs["neuron"])
    assert failed == {"error": "the WebAssembly Graphviz cannot load in this page: its Content-Security-Policy "
                               "must allow script-src 'wasm-unsafe-eval'"}


def test_the_script_can_be_inlined_and_weighs_half_a_megabyte():
    script = renderer_script()
    assert renderer_script() is script  # built once per process
    assert "</script" not in script.lower() and "<!--" not in script
    assert '"@GRAPHVIZ_WASM@"' not in script
    assert len(script.encode("utf-8")) < 560_000  # the wasm is 933 kB; gzip then base64 leaves about 500 kB


def test_write_renderer_replaces_a_planted_link_and_never_writes_through_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / RENDERER_FILE).symlink_to(victim)
    write_renderer(tmp_path)
    assert victim.read_text() == "keep me"
    assert not (tmp_path / RENDERER_FILE).is_symlink()
    assert (tmp_path / RENDERER_FILE).read_text(encoding="utf-8") == renderer_script()
    assert sorted(p.name for p in tmp_path.iterdir()) == [RENDERER_FILE, "victim.txt"]  # no temporary left
