"""The static site: `chainrule site DIR` and its files, `chainrule serve DIR` on 127.0.0.1, and the
playground in headless Chromium running chainrule in Pyodide with the same numbers and the same
SVG as CPython, hostile text kept as text.

The build fetches Pyodide with npm: without node and npm these tests skip, except on CI (CI=true),
where they must run.
"""
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from chainrule.engine.drawing.browser import renderer_script
from chainrule.engine.drawing.dot import HIGHLIGHT
from chainrule.engine.drawing.render import render
from chainrule.lessons.quiz import Chain
from chainrule.lessons.site import SiteError, build_site
from chainrule.lessons.site import build, playground
from chainrule.lessons.site.serve import make_server
from test_html import Chromium, Page, chromium_binary

SVG = "http://www.w3.org/2000/svg"
EXPR, VALUES, WRT = "sigmoid(w1*x1 + w2*x2 + b)", "x1=2 x2=3 w1=0 w2=1 b=4", "w1"
# What the CLI's and the pages' tests throw at the parser and the pages, in the URL and in the box
HOSTILE = ["<script>alert(1)</script>", "</p><script>alert(1)</script>", "<img src=x onerror=alert(1)>",
           '"><svg onload=alert(1)>', "<b>bold</b> + x", "__import__('os').system('echo no')", "x.__class__",
           "open('f')", "(lambda: 1)()", "L = x + '<i>why</i>'", "x\n<script>alert(1)</script>"]


def needs_npm():
    if shutil.which("npm") and shutil.which("node"):
        return
    if os.environ.get("CI"):
        pytest.fail("node and npm are missing in CI: the site's build fetches Pyodide with npm")
    pytest.skip("node and npm are not installed (the site's build fetches Pyodide with npm); CI runs these tests")


def chainrule(*argv, **options):
    """`python -m chainrule ARGV...`, run from / so that the installed package is the one run."""
    return subprocess.run([sys.executable, "-m", "chainrule", *argv], cwd="/", capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, **options)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site as a learner builds it: `chainrule site DIR`, with every demo of the catalog."""
    needs_npm()
    out = tmp_path_factory.mktemp("site") / "my site"
    done = chainrule("site", str(out), timeout=900)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert f"Wrote the site to {out}{os.sep}" in done.stdout
    assert done.stdout.rstrip().endswith(f"chainrule serve '{out}'")  # the command to run next, quoted for a shell
    return out


@pytest.fixture(scope="module")
def served(site):
    server = make_server(site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    chromium = Chromium(chromium_binary(), timeout=90)
    chromium.send("Page.addScriptToEvaluateOnNewDocument",  # a hostile script that ran would say so here
                  source="window.alert = () => { document.documentElement.dataset.pwned = 'yes'; };")
    yield chromium
    chromium.close()


def visit(browser, url):
    browser.events.clear()
    browser.send("Page.navigate", url=url)
    browser.wait_for("Page.loadEventFired")


def wait_until(browser, expression, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = browser.js(expression)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"never true: {expression}; the progress line says: {text(browser, 'progress')}")


def text(browser, element_id):
    return browser.js(f"document.getElementById({json.dumps(element_id)}).textContent")


def ran(browser):
    """Wait until the page has run an expression in Python (its own or one typed), and say how often."""
    wait_until(browser, "document.documentElement.dataset.python === 'ready'")
    return browser.js("Number(document.documentElement.dataset.shown || 0)")


def requests(browser):
    browser.js("0")
    return [e["params"]["request"]["url"] for e in browser.events if e.get("method") == "Network.requestWillBeSent"]


def cpython_svg(dot):
    return render(dot, "svg", engine="wasm").decode("utf-8")


def page_svg(browser, dot):
    """The SVG text the page's own Graphviz draws of dot (what the playground puts on screen)."""
    done = browser.send("Runtime.evaluate", awaitPromise=True, returnByValue=True,
                        expression=f"window.chainruleGraphviz.render({json.dumps(dot)})")
    assert "exceptionDetails" not in done, done
    return done["result"]["value"]


def shows(browser, svg):
    """Wait until the graph on screen holds every text of svg (CPython's drawing), in order."""
    texts = json.dumps(["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{{{SVG}}}text")],
                       ensure_ascii=False, separators=(",", ":"))  # as JSON.stringify writes it
    wait_until(browser, "JSON.stringify([...document.querySelectorAll('#graph svg text')].map(t => t.textContent))"
                        f" === {json.dumps(texts)}", 30)


def playground_url(served, expr, values, wrt=""):
    query = [("expr", expr), *(word.split("=", 1) for word in values.split())] + ([("wrt", wrt)] if wrt else [])
    return served + "index.html?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)  # space: %20


# --- the files ------------------------------------------------------------------------------------------

def test_the_site_holds_the_playground_pyodide_the_wheels_and_the_demos(site):
    assert sorted(p.name for p in (site / "pyodide").iterdir()) == sorted(build.PYODIDE.files)
    for name in ("index.html", "playground.js", "playground.css", "graphviz.js", "demos/index.html",
                 "demos/gender/gender.html", "demos/xor/xor.html"):
        assert (site / name).is_file(), name
    wheels = sorted((site / "wheels").iterdir())
    assert [w.name.split("-")[0] for w in wheels] == ["chainrule", "graphviz"]
    names = zipfile.ZipFile(wheels[0]).namelist()
    for module in ("chainrule/__init__.py", "chainrule/engine/value.py", "chainrule/lessons/site/playground.py"):
        assert module in names
    assert not any(n.startswith(("chainrule/tests/", "chainrule/bench/")) or "static/" in n for n in names)
    assert any(n.endswith(".dist-info/RECORD") for n in names)
    assert "graphviz/__init__.py" in zipfile.ZipFile(wheels[1]).namelist()
    assert (site / "graphviz.js").read_text(encoding="utf-8") == renderer_script()  # the package's own Graphviz


def test_the_first_view_is_drawn_into_the_page_and_nothing_is_loaded_from_elsewhere(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    page = Page(html)
    assert ("meta", {"http-equiv": "Content-Security-Policy", "content": build.CSP.replace(
        "$worksheet_style", build._worksheet_style())}) in page.tags
    assert build.CSP.startswith("default-src 'self';") and "'unsafe-inline'" not in build.CSP
    for tag, attrs in page.tags:
        for name in ("src", "href", "xlink:href"):
            assert not attrs.get(name, "").startswith(("http:", "https:", "//")), (tag, attrs)
    example = playground.explore(*playground.EXAMPLE)
    first = cpython_svg(example["steps"][0]["dot"])
    assert first[first.index("<svg"):] in html
    assert html.count("<svg") == 1  # the first step's graph, drawn; every step's is in the page's data
    narrow = playground.explore(*playground.EXAMPLE, rankdir=playground.NARROW)
    assert html.count("\\u003csvg") == 2 * len(example["steps"])  # and each drawn top to bottom, for a phone
    shown = " ".join(" ".join(page.text).split())
    assert f"{example['output']['name']} = {example['output']['shown']}" in shown
    for grad in example["grads"]:
        assert f"{grad['name']} = {grad['shown']}" in shown
    assert example["steps"][0]["title"] in shown
    config = json.loads(re.search(r'<script type="application/json" id="site-config">(.*?)</script>', html, re.S)[1])
    assert config["narrow"]["dots"] == [step["dot"] for step in narrow["steps"]]
    assert config["example"]["steps"] == example["steps"] and config["wheels"] == [f"wheels/{w.name}" for w in
                                                                                    sorted((site / "wheels").iterdir())]


def test_the_script_data_cannot_end_its_script_block():
    assert "<" not in build._script_json({"a": "</script><script>alert(1)</script>", "b": "<!--"})
    assert json.loads(build._script_json({"a": "</script>&"})) == {"a": "</script>&"}


def test_no_npm_or_node_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SiteError, match=r"needs node and npm to fetch pyodide@314\.0\.7 from npm: install Node\.js"):
        build.fetch_package(build.PYODIDE, tmp_path)


def fake_npm(tmp_path, monkeypatch, script):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (("node", "exit 0"), ("npm", script)):
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_npm_that_fails_is_reported_with_what_it_said(tmp_path, monkeypatch):
    fake_npm(tmp_path, monkeypatch, "echo 'npm error 404 Not Found - GET pyodide' >&2; exit 1")
    with pytest.raises(SiteError, match=r"`npm pack pyodide@314\.0\.7` failed \(exit code 1\): npm error 404"):
        build.fetch_package(build.PYODIDE, tmp_path / "cache")


def test_a_package_that_is_not_the_pinned_one_is_refused(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    fake_npm(tmp_path, monkeypatch, f"printf 'not pyodide' > {cache}/pyodide-314.0.7.tgz")
    with pytest.raises(SiteError, match="is not the package pinned here"):
        build.fetch_package(build.PYODIDE, cache)


def test_the_site_is_not_written_into_a_file_or_through_a_planted_link(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(SiteError, match="it is a file, not a folder"):
        build_site(tmp_path / "file", log=lambda line: None)
    (tmp_path / "site").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "site" / "pyodide").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(SiteError, match="pyodide is a symbolic link"):
        build._folder(tmp_path / "site" / "pyodide")


def test_wheels_are_assembled_from_the_installed_files():
    name, data = build.chainrule_wheel()
    assert name == f"chainrule-{__import__('chainrule').__version__}-py3-none-any.whl"
    archive = zipfile.ZipFile(io.BytesIO(data))
    record = archive.read(next(n for n in archive.namelist() if n.endswith("RECORD"))).decode()
    assert all(f"{n}," in record for n in archive.namelist())
    here = Path(build.__file__).resolve().parents[2]
    assert archive.read("chainrule/engine/value.py") == (here / "engine" / "value.py").read_bytes()
    assert build.chainrule_wheel()[1] == data  # the same files give the same bytes
    with pytest.raises(SiteError, match="not-a-distribution is not installed"):
        build.installed_wheel("not-a-distribution")


# --- what the page asks of Python, here in CPython ------------------------------------------------------

def test_the_playground_reads_values_as_the_command_line_does():
    assert playground.read_values("x=0.5 w=-2, b=1.5") == {"x": 0.5, "w": -2.0, "b": 1.5}
    for words, message in (("x", "give a value as NAME=NUMBER"), ("x=a", "'a' is not a number"),
                           ("x=nan", "finite"), ("x=1 x=2", "x is given twice"), ("class=1", "NAME=NUMBER")):
        with pytest.raises(ValueError, match=message):
            playground.read_values(words)
    assert playground.explore("x", "x=1")["error"].startswith("the expression is a single value")
    assert "calling __import__() is not allowed" in playground.explore("__import__('os')", "")["error"]
    assert playground.explore(EXPR, VALUES, wrt="q")["error"].startswith("wrt=q: no such name")


def test_the_quiz_is_the_terminal_quiz_fed_the_answers_typed(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out, leaves = playground.build(EXPR, VALUES)
    first = Chain(out, leaves[WRT]).questions[0]
    start = playground.take_quiz(EXPR, VALUES, WRT, [])
    assert start["prompt"] == f"{first.ask} = ?" and not start["finished"] and "Stopped" not in start["transcript"]
    right = playground.take_quiz(EXPR, VALUES, WRT, [f"{first.exact:.6f}"])
    assert "✓ right" in right["transcript"] and right["right"] == 1 and right["asked"] == 1
    wrong = playground.take_quiz(EXPR, VALUES, WRT, ["12345"])
    assert "✗ not 12345" in wrong["transcript"] and wrong["prompt"].startswith("try again")
    assert playground.take_quiz(EXPR, VALUES, "nope", [])["error"].startswith("the quiz takes dy/d")
    assert playground.worksheet_page(EXPR, VALUES, WRT).startswith("<!doctype html>")
    assert playground.worksheet_page("x +", "x=1", "x").startswith("error: not a valid expression")


# --- serve ----------------------------------------------------------------------------------------------

def test_serve_listens_on_loopback_only_with_the_types_browsers_need(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>x</title>")
    (tmp_path / "a.wasm").write_bytes(b"\0asm")
    (tmp_path / "a.mjs").write_text("export {}")
    server = make_server(tmp_path)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert server.server_address[0] == "127.0.0.1"
        base = f"http://127.0.0.1:{server.server_port}/"
        for name, kind in (("a.wasm", "application/wasm"), ("a.mjs", "text/javascript"), ("", "text/html")):
            with urllib.request.urlopen(base + name) as reply:
                assert reply.headers.get_content_type() == kind
        with pytest.raises(OSError, match=rf"cannot serve on 127\.0\.0\.1:{server.server_port}: .*leave --port out"):
            make_server(tmp_path, server.server_port)
    finally:
        server.shutdown()
        server.server_close()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="has no index.html: build the site"):
        make_server(tmp_path / "empty")
    with pytest.raises(ValueError, match="port=70000"):
        make_server(tmp_path, 70000)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_chainrule_serve_prints_the_url_and_ctrl_c_stops_it_cleanly(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>the site</title>")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "chainrule", "serve", str(tmp_path), "--port", str(port)],
                               cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line and "Ctrl-C" in line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=20) as reply:
            assert reply.status == 200 and b"the site" in reply.read()
        refused = chainrule("serve", str(tmp_path), "--port", str(port), timeout=60)  # the port is taken
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr.startswith(f"chainrule: error: cannot serve on 127.0.0.1:{port}: ")
        assert "leave --port out" in refused.stderr and "Traceback" not in refused.stderr
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0 and err == "" and "Stopped." in out


@pytest.mark.parametrize("argv, message", [
    (["serve", "{tmp}/nowhere"], "{tmp}/nowhere is not a folder: build the site first (chainrule site {tmp}/nowhere)"),
    (["serve", "{tmp}"], "{tmp} has no index.html: build the site into it first (chainrule site {tmp})"),
    (["serve", "{tmp}", "--port", "70000"], "argument --port: '70000': give a whole number from 1 to 65535"),
    (["site"], "the following arguments are required: DIR"),
])
def test_chainrule_serve_and_site_mistakes_are_one_line_and_exit_code_2(tmp_path, argv, message):
    done = chainrule(*[word.format(tmp=tmp_path) for word in argv], timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines()[0] == f"chainrule: error: {message.format(tmp=tmp_path)}"


def test_chainrule_site_into_a_file_is_one_line_and_exit_code_2(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    done = chainrule("site", str(tmp_path / "notes.txt"), timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"chainrule: error: cannot write the site into {tmp_path / 'notes.txt'}: "
                           "it is a file, not a folder\n")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_chainrule_site_without_npm_says_what_to_install(tmp_path):
    bare = tmp_path / "bin"  # a PATH with neither node nor npm on it, and an empty cache
    bare.mkdir()
    done = chainrule("site", str(tmp_path / "site"), timeout=120,
                     env={**os.environ, "PATH": str(bare), "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("chainrule: error: building the site needs node and npm to fetch pyodide@314.0.7 "
                                  "from npm: install Node.js with npm (apt-get install nodejs npm")
    assert not (tmp_path / "site" / "index.html").exists()


def test_chainrule_help_lists_site_and_serve():
    done = chainrule("--help", timeout=60)
    listed = {line.split()[0] for line in done.stdout.splitlines() if line.startswith("    ") and line.split()}
    assert done.returncode == 0 and {"site", "serve"} <= listed
    site_help = chainrule("site", "--help", timeout=60).stdout
    assert "Node.js and npm" in " ".join(site_help.split())


# --- in headless Chromium -------------------------------------------------------------------------------

def test_the_playground_gives_cpythons_numbers_and_steps_and_checks_a_quiz_answer(browser, served, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # the quiz wraps to 80 columns in the page (no terminal there)
    expected = playground.explore(EXPR, VALUES, WRT)
    visit(browser, playground_url(served, EXPR, VALUES, WRT))
    wait_until(browser, "Number(document.documentElement.dataset.shown || 0) >= 1")
    summary = browser.js("[...document.querySelectorAll('#summary span')].map(s => [s.textContent, s.dataset.value])")
    assert [(shown, float(value)) for shown, value in summary] == \
        [(f"y = {expected['output']['shown']}", expected["output"]["value"])] + [
        (f"{g['name']} = {g['shown']}", g["value"]) for g in expected["grads"]]  # the same floats, to the last bit
    assert browser.js("new URLSearchParams(location.search).get('wrt')") == WRT
    for k, step in enumerate(expected["steps"]):
        if k:
            browser.click("#next")
        assert text(browser, "counter") == f"Step {k + 1} of {len(expected['steps'])}"
        assert text(browser, "step-title") == step["title"]
        assert browser.js("[...document.querySelectorAll('#chain p')].map(p => p.textContent)") == \
            step["caption"] + ([step["note"]] if step["note"] else [])
        numbers = browser.js("[...document.querySelectorAll('#numbers tr')].map(r => [r.cells[0].textContent, "
                             "r.cells[1].textContent, r.cells[1].dataset.value])")
        assert [(name, shown, float(value)) for name, shown, value in numbers] == \
            [(n["name"], n["shown"], n["value"]) for n in step["numbers"]]
        svg = cpython_svg(step["dot"])  # the same graph, drawn by CPython
        shows(browser, svg)  # drawn in the page: every text of CPython's
        assert browser.js("document.querySelectorAll('#graph svg g.node').length") == svg.count('class="node"')
        assert page_svg(browser, step["dot"]) == svg  # the page's Graphviz: CPython's SVG, byte for byte
        assert browser.js("!!document.querySelector('#graph svg g.node[tabindex=\"0\"]')")
    assert browser.js("document.getElementById('next').disabled") is True
    lit = browser.js(f"document.querySelectorAll('#graph svg [stroke=\"{HIGHLIGHT.lower()}\"]').length")
    assert lit > 0, "the step lights its path"

    out, leaves = playground.build(EXPR, VALUES)
    first = Chain(out, leaves[WRT]).questions[0]
    browser.click("#quiz-start")
    assert text(browser, "quiz-prompt") == f"{first.ask} = ?"
    browser.js(f"document.getElementById('quiz-answer').value = {json.dumps(f'{first.exact:.6f}')}")
    browser.click("#answer button")
    transcript = text(browser, "quiz-log")
    assert transcript == playground.take_quiz(EXPR, VALUES, WRT, [f"{first.exact:.6f}"])["transcript"]
    assert "✓ right" in transcript and text(browser, "quiz-score") == "1 of 1 right at the first try"

    browser.click("#worksheet")
    wait_until(browser, "!document.getElementById('worksheet-link').hidden", 10)
    assert browser.send("Runtime.evaluate", awaitPromise=True, returnByValue=True, expression=(
        "fetch(document.getElementById('worksheet-link').href).then(r => r.text())"))["result"]["value"] == \
        playground.worksheet_page(EXPR, VALUES, WRT)

    left = [url for url in requests(browser) if not url.startswith((served, "blob:" + served[:-1], "data:"))]
    assert left == [], "no request leaves 127.0.0.1"
    problems = [p for p in browser.problems() if not str(p).startswith("request: ")]
    assert problems == []


def test_the_first_view_paints_before_python_and_the_demos_are_linked(browser, served):
    visit(browser, served)
    assert browser.js("document.documentElement.dataset.python") is None  # Python is still loading
    assert browser.js("!!document.querySelector('#graph svg g.node')")
    assert text(browser, "progress").startswith("Loading Python")
    ran(browser)
    assert "Ready in" in text(browser, "progress")
    browser.click("a[href='demos/index.html']")
    browser.wait_for("Page.loadEventFired")
    assert browser.js("location.pathname") == "/demos/index.html"
    assert browser.js("!!document.querySelector(\"a[href='gender/gender.html']\")")


def test_a_link_written_by_hand_keeps_its_plus_signs(browser, served):
    visit(browser, served + "index.html?expr=tanh(w*x+b)&x=0.5&w=-2&b=1&wrt=x")
    assert browser.js("document.getElementById('expr').value") == "tanh(w*x+b)"
    wait_until(browser, "Number(document.documentElement.dataset.shown || 0) >= 1")
    expected = playground.explore("tanh(w*x+b)", "x=0.5 w=-2 b=1", "x")
    grads = " ".join(f"{g['name']} = {g['shown']}" for g in expected["grads"])
    assert text(browser, "summary").split() == f"y = {expected['output']['shown']} {grads}".split()
    assert browser.js("document.getElementById('wrt').value") == "x"
    browser.js("document.getElementById('expr').value = 'x + w'")
    browser.click("#run")
    assert browser.js("location.search") == "?expr=x%20%2B%20w&x=0.5&w=-2&b=1&wrt=x"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_in_the_url_or_the_box_runs_nothing_and_shows_as_text(browser, served, hostile):
    url = playground_url(served, hostile, "x=1") + "&" + urllib.parse.urlencode({"<img src=x onerror=alert(1)>": "1"},
                                                                               quote_via=urllib.parse.quote)
    visit(browser, url)
    ran(browser)
    wait_until(browser, "document.getElementById('error').textContent !== ''", 30)
    refused = text(browser, "error")
    assert playground.explore(hostile, "x=1")["error"] in refused or "give a value as NAME=NUMBER" in refused
    browser.js("document.getElementById('values').value = 'x=1'; document.getElementById('expr').value = ''")
    browser.click("#expr")
    browser.send("Input.insertText", text=hostile)
    browser.click("#run")
    typed = browser.js("document.getElementById('expr').value")  # a one-line box keeps no newline
    assert typed.replace(" ", "") == hostile.replace("\n", "").replace(" ", "")
    refused = json.dumps(playground.explore(typed, "x=1")["error"])
    wait_until(browser, f"document.getElementById('error').textContent === {refused}", 30)
    assert browser.js("document.documentElement.dataset.pwned") is None
    inserted = "img, b, i, iframe, object, embed, svg:not(#graph svg)"  # any svg but the graph's
    assert browser.js(f"document.querySelectorAll({json.dumps(inserted)}).length") == 0
    scripts = browser.js("[...document.scripts].map(s => s.id || s.getAttribute('src'))")
    assert scripts == ["site-config", "graphviz.js", "playground.js"]  # the page's own, no other
    assert [p for p in browser.problems() if not str(p).startswith("request: ")] == []


@pytest.mark.parametrize("width, height, rankdir", [(1400, 900, "LR"), (390, 844, "TB")])
def test_the_graph_is_whole_and_readable_beside_or_above_its_text(browser, served, width, height, rankdir):
    """At 1400x900 a walk too wide for the column beside its text goes above it, full width; on a phone the
    graphs run top to bottom, after the step's buttons and title; the smallest text stays >= 9.5 CSS px."""
    expr, values = "tanh(w*x + b)", "x=0.5 w=-2 b=1.5"
    browser.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                 mobile=width < 600)
    try:
        visit(browser, playground_url(served, expr, values, "w"))  # the example: drawn in advance, both ways
        ran(browser)
        steps = playground.explore(expr, values, "w", rankdir=rankdir)["steps"]
        for k, step in enumerate(steps):
            if k:
                browser.click("#next")
            svg = cpython_svg(step["dot"])
            shows(browser, svg)  # drawn in the direction this screen wants
            seen = browser.js("""(() => {
              const svg = document.querySelector('#graph svg'), figure = document.getElementById('graph');
              const scale = svg.getBoundingClientRect().width / (parseFloat(svg.getAttribute('width')) * 4 / 3);
              const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')) * 4 / 3);
              return {smallest: Math.min(...sizes) * scale, overflow: figure.scrollWidth - figure.clientWidth,
                      page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                      graphTop: figure.getBoundingClientRect().top,
                      next: document.getElementById('next').getBoundingClientRect().top,
                      text: document.getElementById('step-text').getBoundingClientRect().top}; })()""")
            assert seen["smallest"] >= 9.5 - 0.01, (k, seen)  # layout rounds to a fraction of a pixel
            assert seen["page"] == 0, "nothing sticks out of the page sideways"
            if rankdir == "LR":
                assert seen["overflow"] <= 0, (k, seen)  # the whole graph, none of it scrolled out of view
            else:
                assert seen["overflow"] <= width / 8, (k, seen)  # at most a little to scroll sideways
            assert seen["graphTop"] < seen["text"] < height + seen["graphTop"]  # graph first, its text close by
            if width < 600:
                assert seen["next"] < seen["graphTop"], "on a phone the step's buttons come before its graph"
    finally:
        browser.send("Emulation.clearDeviceMetricsOverride")
