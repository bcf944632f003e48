"""The HTML walkthrough: the page parsed as it was written, then opened in real headless Chromium.

Chromium is driven over --remote-debugging-pipe: DevTools protocol messages as JSON ending in a
NUL byte, written to its fd 3 and read from its fd 4. No websocket and no pip package needed.
"""
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chainrule import cli
from chainrule.lessons.files import render_pictures, write_demo
from chainrule.lessons.pages import demo_page, index_page
from chainrule.lessons.steps import Demo, Number, Step, Tutorial
from test_cli import GENDER

VOID = {"meta", "link", "br", "img", "input", "hr", "col", "area", "base", "embed", "source", "track", "wbr"}


class Page(HTMLParser):
    """The page's tags, checked to nest properly, with the ids, text and attributes collected."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.open, self.tags, self.ids, self.text = [], [], [], []
        self.feed(text)
        self.close()
        if self.open:
            raise AssertionError(f"unclosed tags: {self.open}")

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if "id" in dict(attrs):
            self.ids.append(dict(attrs)["id"])
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if "id" in dict(attrs):
            self.ids.append(dict(attrs)["id"])

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            raise AssertionError(f"</{tag}> does not close <{self.open[-1] if self.open else None}>")
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def gender_page(**options):
    steps = GENDER.build()
    return demo_page(GENDER, steps, render_pictures(steps), **options), steps


def test_the_page_parses_and_holds_every_step():
    html, steps = gender_page()
    page = Page(html)
    sections = [attrs for tag, attrs in page.tags if tag == "section"]
    assert [s["id"] for s in sections] == ["step-1", "step-2", "step-3"]
    text = " ".join(page.text)
    for step in steps:
        assert step.title in text  # escaped in the source, the same text once parsed
    assert "Backward: dL/dw1 &lt;the path&gt; &amp; co" in html
    assert "0.0214" in text and "✓" in text and "The tutorial leaves out the error factor." in text
    assert '<td class="mark">note</td>' in html and "✗" not in text  # explained, not marked wrong
    assert len(page.ids) == len(set(page.ids)), "ids must be unique across the inlined SVGs"
    # the graph both steps show, once, as DOT (the figure shows the whole graph: no pan-and-zoom copy);
    # a loss chart, the one SVG written here
    graphs = json.loads(html.split('<script type="application/json" id="graphs">')[1].split("</script>")[0])
    assert graphs == {"lines": [steps[0].graph.source], "graphs": [[0]]}
    assert [attrs.get("data-graph") for tag, attrs in page.tags if tag == "div" and "data-graph" in attrs] == ["0", "0"]
    assert sum(tag == "svg" for tag, _ in page.tags) == 1 and "Full graph" not in html and "<kbd>Esc</kbd>" not in html
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html


def test_the_page_needs_no_network():
    html, _ = gender_page()
    page = Page(html)
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        for name in ("href", "xlink:href"):  # a link to a tutorial (<a>) is followed by a reader, not loaded
            assert tag == "a" or not attrs.get(name, "#").startswith(("http:", "https:", "//")), (tag, attrs)
    assert ("meta", {"http-equiv": "Content-Security-Policy",
                     "content": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                "script-src 'unsafe-inline' 'wasm-unsafe-eval'; worker-src blob:"}) in page.tags


def test_text_is_escaped():
    evil = Demo("evil", "<script>alert(1)</script>", "a & b", lambda: [
        Step("<b>bold</b>", "</p><script>x()</script>", numbers=(Number("<n>", 1.0, "1", note="<i>why</i>"),))])
    steps = evil.build()
    html = demo_page(evil, steps, render_pictures(steps))
    assert html.count("<script") == 2  # only the page's own, and the list of its graphs (none here)
    assert "<kbd>Tab</kbd>" not in html  # no graph: no boxes to reach
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;n&gt;" in html and "&lt;i&gt;why&lt;/i&gt;" in html
    Page(html)


def test_the_index_and_pages_name_the_tutorial_each_demo_follows():
    zhou = Tutorial("Machine Learning for Beginners: An Introduction to Neural Networks", "Victor Zhou")
    gupta = Tutorial("DL01: Neural networks theory", "Sarthak Gupta", "https://hackernoon.com/dl01-theory")
    demos = [GENDER._replace(tutorial=zhou), GENDER._replace(name="descent", tutorial=gupta)]
    html = index_page([(demo, 3, f"{demo.name}/{demo.name}.html") for demo in demos])
    page = Page(html)
    assert ("a", {"href": "gender/gender.html"}) in page.tags
    text = " ".join(" ".join(page.text).split())
    assert "Follows “Machine Learning for Beginners: An Introduction to Neural Networks” by Victor Zhou" in text
    assert "Follows “DL01: Neural networks theory” by Sarthak Gupta" in text
    assert ("a", {"href": "https://hackernoon.com/dl01-theory", "rel": "noreferrer"}) in page.tags
    assert "seed" not in text
    steps = demos[0].build()
    html = demo_page(demos[0], steps, render_pictures(steps))
    assert "Follows “Machine Learning for Beginners" in " ".join("".join(Page(html).text).split())
    assert "seed 002" not in html


# --- in real headless Chromium -------------------------------------------------------------------

def chromium_binary():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is missing in CI: .ci/run installs Debian's chromium package")
    pytest.skip("chromium is not installed (apt-get install chromium); CI runs these tests")


class Chromium:
    """Headless Chromium over --remote-debugging-pipe, with one page (tab) attached."""

    def __init__(self, binary, timeout=30):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="chainrule-chromium-")
        to_chromium, self.write_fd = os.pipe()
        self.read_fd, from_chromium = os.pipe()
        # Chromium reads fd 3 and writes fd 4; ours go above 4 first so that moving them cannot collide
        theirs = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5) for fd in (to_chromium, from_chromium)]
        os.close(to_chromium)
        os.close(from_chromium)

        def onto_fds_3_and_4():  # in the child, before exec; dup2's copies stay open across exec
            os.dup2(theirs[0], 3)
            os.dup2(theirs[1], 4)

        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--mute-audio",
                 "--remote-debugging-pipe", f"--user-data-dir={self.profile}", "--window-size=1000,900",
                 "about:blank"]
        self.process = subprocess.Popen([binary, *flags], close_fds=False, preexec_fn=onto_fds_3_and_4,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        for fd in theirs:
            os.close(fd)
        self.buffer, self.last_id, self.events = b"", 0, []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def call(self, method, session=None, **params):
        """Send one DevTools command and wait for its answer (events that arrive meanwhile are kept)."""
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def send(self, method, **params):
        """A command to the attached page."""
        return self.call(method, session=self.session, **params)

    def wait_for(self, method):
        deadline = time.monotonic() + self.timeout
        while True:
            for event in self.events:
                if event.get("method") == method:
                    self.events.remove(event)
                    return event
            self.events.append(self._receive(deadline))

    def _receive(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.read_fd, 1 << 16)
            if not chunk:
                raise ConnectionError("Chromium closed its end of the pipe")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def open(self, path):
        self.events.clear()
        self.send("Page.navigate", url=Path(path).resolve().as_uri())
        self.wait_for("Page.loadEventFired")
        self.drawn()

    def drawn(self):
        """Wait (up to 20 s) until the step on screen has drawn its graph, if it has one (the page draws
        each step's DOT in the browser when the step is first shown)."""
        try:
            self._wait_drawn()
        except AssertionError as error:  # a click that followed a link: the next page waits in open()
            if "navigated" not in str(error):
                raise

    def _wait_drawn(self):
        self.send("Runtime.evaluate", awaitPromise=True, expression=(
            "new Promise(done => { const start = performance.now(); (function wait() {"
            " const step = document.querySelector('.step.current'), box = step && step.querySelector('.drawing[data-graph]');"
            " if (!box) done();"  # not a lessons page (the site's playground draws its own way)
            " else if (box.querySelector('svg') || /could not be drawn/.test(box.textContent)"
            " || performance.now() - start > 20000) { requestAnimationFrame(() => requestAnimationFrame(done));"
            " setTimeout(done, 500); }"
            " else setTimeout(wait, 20); })(); })"))

    def js(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector):
        """A real mouse click in the middle of the element (the page first brought to the front: a
        window it opened may have sent it to the background, where it draws no frames)."""
        self.send("Page.bringToFront")
        x, y = settled(self, f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                             "e.scrollIntoView({block: 'center'}); return () => { const r = e.getBoundingClientRect(); "
                             "return [r.x + r.width / 2, r.y + r.height / 2]; }; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
        self.drawn()

    def press(self, key, keycode):
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=keycode)
        self.drawn()

    def problems(self):
        """Console errors and warnings, uncaught exceptions, and any request that left the page's own file."""
        self.js("0")  # a round trip, so events raised so far have arrived
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(params["exceptionDetails"].get("text"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
                found.append([a.get("value", a.get("description")) for a in params.get("args", [])])
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                found.append(params["entry"]["text"])
            elif method == "Network.requestWillBeSent" and not params["request"]["url"].startswith(("file:", "blob:null/")):
                # blob:null/: the page's Graphviz worker, made in the page from its own text
                found.append("request: " + params["request"]["url"])
        return found

    def close(self):
        try:
            os.write(self.write_fd, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            self.process.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        os.close(self.write_fd)
        os.close(self.read_fd)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    chromium = Chromium(chromium_binary())
    yield chromium
    chromium.close()


SHOWN = ("(() => { const shown = [...document.querySelectorAll('.step')]"
         ".filter(s => getComputedStyle(s).display !== 'none'); "
         "return shown.map(s => s.id).concat([document.getElementById('counter').textContent]); })()")


def test_next_back_and_arrow_keys_in_chromium(browser, tmp_path):
    written = write_demo(GENDER, GENDER.build(), tmp_path, html=True)
    browser.open(written.page)
    assert browser.js(SHOWN) == ["step-1", "Step 1 of 3"]
    assert browser.js("document.getElementById('prev').disabled") is True
    browser.click("#next")
    assert browser.js(SHOWN) == ["step-2", "Step 2 of 3"]
    assert browser.js("location.hash") == "#2"
    browser.press("ArrowRight", 39)
    assert browser.js(SHOWN) == ["step-3", "Step 3 of 3"]
    assert browser.js("document.getElementById('next').disabled") is True
    browser.press("ArrowLeft", 37)
    browser.click("#prev")
    assert browser.js(SHOWN) == ["step-1", "Step 1 of 3"]
    graph = browser.js("(() => { const r = document.querySelector('#step-1 figure.graph svg')"
                       ".getBoundingClientRect(); return [r.width, r.height]; })()")
    assert graph[0] > 100 and graph[1] > 20  # the inline SVG is laid out, not empty
    assert browser.problems() == []


def test_the_index_and_every_page_of_all_in_chromium(browser, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "catalog", lambda: {"gender": GENDER})
    assert cli.main(["demo", "--all", "--out", str(tmp_path)]) == 0
    browser.open(tmp_path / "index.html")
    browser.click("a[href='gender/gender.html']")
    browser.wait_for("Page.loadEventFired")
    assert browser.js("location.pathname").endswith("/gender/gender.html")
    assert browser.js(SHOWN) == ["step-1", "Step 1 of 3"]
    assert browser.problems() == []


def neuron_demo():
    """One real drawing: the tutorial's neuron after backward, w1 highlighted."""
    from chainrule.engine import Value, draw

    x1, x2 = Value(2.0, "x1"), Value(3.0, "x2")
    w1, w2, b = Value(0.0, "w1", param=True), Value(1.0, "w2", param=True), Value(4.0, "b", param=True)
    y = (w1 * x1 + w2 * x2 + b).sigmoid().named("y")
    y.backward()
    return Demo("neuron", "One neuron", "y = sigmoid(w1*x1 + w2*x2 + b)",
                lambda: [Step("The chain rule for w1", "Follow the red path.", graph=draw(y, highlight=w1))])


def network_demo():
    """A drawing too big to read whole: a 2-4-4-1 network's loss, w1 highlighted, so the step
    shows the part about w1 and the whole graph waits in the pan-and-zoom viewer."""
    from chainrule.engine import draw
    from chainrule.nn import MLP

    model = MLP(2, [4, 4, 1], seed=0).label_parameters()
    loss = ((model([0.5, -1.0]) - 1.0) ** 2).named("L")
    loss.backward()
    w1 = model.parameters()[0]
    return Demo("network", "A 2-4-4-1 network", "its loss",
                lambda: [Step("The chain rule for w1", "Follow the red path.", graph=draw(loss, highlight=w1))])


def settled(browser, expression):
    """Run `expression` (which returns a function), let the page lay itself out again (a scroll
    refits the graph's pane), then call that function: its value."""
    # Two frames, or half a second where no frame comes (a page another window has sent to the background)
    script = (f"new Promise(done => {{ const then = {expression}; let over = false; "
              "const finish = () => { if (!over) { over = true; done(then()); } }; "
              "requestAnimationFrame(() => requestAnimationFrame(finish)); setTimeout(finish, 500); })")
    result = browser.send("Runtime.evaluate", expression=script, awaitPromise=True, returnByValue=True)
    if "exceptionDetails" in result:
        raise AssertionError(f"{expression}: {result['exceptionDetails']}")
    return result["result"]["value"]


def centre(browser, selector):
    return browser.js(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                      ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")


def node_of(label):
    """An expression for the box of the step's graph whose first text is `label`."""
    return (f"[...document.querySelectorAll('figure.graph g.node')].find(g => g.querySelector('text')"
            f".textContent === {json.dumps(label)})")


def test_hover_reads_a_box_or_an_edge_and_a_click_lights_a_values_paths(browser, tmp_path):
    demo = neuron_demo()
    written = write_demo(demo, demo.build(), tmp_path, html=True)
    browser.open(written.page)
    info = "document.querySelector('figure.graph .info').textContent"
    assert browser.js(info).startswith("Point at a box")
    assert "dy/dw1 = 0.0009102 × 1 × 1 × 2 = 0.00182" in browser.js("document.querySelector('.chain').textContent")

    def move_to(expression):
        x, y = settled(browser, f"(() => {{ const e = {expression}; e.scrollIntoView({{block: 'center'}}); "
                                "return () => { const r = e.getBoundingClientRect();"
                                " return [r.x + r.width / 2, r.y + r.height / 2]; }; })()")
        browser.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        return x, y

    move_to(node_of("w1"))
    shown = browser.js(info)
    assert shown.startswith("w1\na parameter that training changes\ndata 0, grad 0.00182\n")
    assert "dy/dw1 = 0.0009102 × 1 × 1 × 2 = 0.00182" in shown
    move_to("[...document.querySelectorAll('figure.graph g.edge text')].find(t => t.textContent === 'local 2')")
    assert browser.js(info) == ("d(w1*x1)/dw1 = 2 (local)\n× dy/d(w1*x1) = 0.0009102 (upstream)\n"
                                "= 0.00182, the share of dy/dw1 that comes along this edge")
    move_to(node_of("data 3"))  # w1*x1 + w2*x2: an unlabelled value is named by its formula
    assert browser.js(info).startswith("w1*x1 + w2*x2\nan intermediate value, computed in the forward pass")
    assert "v0" not in browser.js("document.querySelector('figure.graph').textContent")

    x, y = move_to(node_of("x1"))
    for kind in ("mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
    picked = browser.js("[...document.querySelectorAll('figure.graph .picked')].map(g => g.name)")
    assert "v0" in picked and len(picked) == 17  # x1 -> × -> w1*x1 -> + -> ... -> y: 5 boxes, 4 ops, 8 edges
    browser.send("Input.dispatchMouseEvent", type="mouseMoved", x=1, y=1)
    assert "dy/dx1 = " in browser.js(info)  # the picked value's chain rule stays when the mouse leaves
    assert browser.problems() == []


def small_demo():
    """A graph that reads whole beside its text: y = tanh(w*x), w highlighted."""
    from chainrule.engine import Value, draw

    x, w = Value(0.5, "x"), Value(-2.0, "w", param=True)
    y = (w * x).tanh().named("y")
    y.backward()
    return Demo("small", "tanh(w*x)", "one product", lambda: [Step("The chain rule for w", "", graph=draw(y, highlight=w))])


def test_a_step_that_shows_its_whole_graph_carries_no_second_copy(tmp_path):
    for demo, copies in ((small_demo(), 1), (network_demo(), 2)):
        page = write_demo(demo, demo.build(), tmp_path / demo.name, html=True).page.read_text(encoding="utf-8")
        assert page.count("data-graph=") == copies and (copies == 2) == ("<kbd>Esc</kbd>" in page), demo.name


def test_the_full_graph_pans_zooms_and_fits(browser, tmp_path):
    demo = network_demo()
    written = write_demo(demo, demo.build(), tmp_path, html=True)
    assert "<kbd>Esc</kbd> closes the full graph" in written.page.read_text(encoding="utf-8")
    browser.open(written.page)
    browser.click("details.full > summary")
    browser.send("Runtime.evaluate", awaitPromise=True, expression=(  # the full graph is drawn when first opened
        "new Promise(done => (function wait() { document.querySelector('details.full .stage svg') ? "
        "setTimeout(done, 50) : setTimeout(wait, 20); })())"))
    stage = "document.querySelector('details.full .stage')"
    assert browser.js("document.querySelector('details.full').open") is True
    box = browser.js(f"(() => {{ const r = {stage}.getBoundingClientRect(); return [r.width, r.height]; }})()")
    window = browser.js("[innerWidth, innerHeight]")
    assert box == [window[0], window[1] - 52]  # the whole window, less the toolbar

    def transform():
        m = browser.js(f"getComputedStyle({stage}.querySelector('svg')).transform")
        a, _, _, _, e, f = (float(v) for v in m[m.index("(") + 1:-1].split(","))
        return a, e, f

    fitted, x, y = transform()
    size = browser.js(f"(() => {{ const r = {stage}.querySelector('svg').getBoundingClientRect(); "
                      "return [r.width, r.height]; })()")
    assert size[0] <= box[0] + 1 and size[1] <= box[1] + 1  # fitted: all of it in view
    cx, cy = centre(browser, "details.full .stage")
    browser.send("Input.dispatchMouseEvent", type="mouseWheel", x=cx, y=cy, deltaX=0, deltaY=-300)
    assert transform()[0] > fitted  # the wheel zooms in
    browser.send("Input.dispatchMouseEvent", type="mousePressed", x=cx, y=cy, button="left", clickCount=1)
    browser.send("Input.dispatchMouseEvent", type="mouseMoved", x=cx + 80, y=cy + 30, button="left")
    browser.send("Input.dispatchMouseEvent", type="mouseReleased", x=cx + 80, y=cy + 30, button="left", clickCount=1)
    zoomed, x2, y2 = transform()
    browser.click("details.full .fit")
    assert transform() == (fitted, x, y)  # fit undoes the zoom and the drag
    assert (x2, y2) != (x, y)
    browser.send("Emulation.setTouchEmulationEnabled", enabled=True, maxTouchPoints=2)
    try:  # two fingers move apart: a pinch zooms in
        for kind, apart in (("touchStart", 50), ("touchMove", 90), ("touchMove", 150), ("touchEnd", None)):
            points = [{"x": cx - apart, "y": cy, "id": 1}, {"x": cx + apart, "y": cy, "id": 2}] if apart else []
            browser.send("Input.dispatchTouchEvent", type=kind, touchPoints=points)
        assert transform()[0] > 1.5 * fitted
    finally:
        browser.send("Emulation.setTouchEmulationEnabled", enabled=False)
    browser.press("Escape", 27)
    assert browser.js("document.querySelector('details.full').open") is False
    assert browser.problems() == []


# --- keyboard and screen readers -----------------------------------------------------------------

def test_tab_reaches_a_box_and_enter_or_space_lights_it_as_a_click_does(browser, tmp_path):
    demo = neuron_demo()
    written = write_demo(demo, demo.build(), tmp_path, html=True)
    browser.open(written.page)
    label = browser.js("document.querySelector('figure.graph').getAttribute('aria-label')")
    chain = browser.js("[...document.querySelectorAll('.chain p')].map(p => p.textContent).join(' ')")
    assert label and label == chain  # the graph's accessible name is its chain rule, as written above it
    info = "document.querySelector('figure.graph .info').textContent"
    active = "(document.activeElement.matches('figure.graph g.node') ? document.activeElement.name : null)"
    boxes = browser.js("[...document.querySelectorAll('figure.graph g.node')].map(g => g.name)")
    reached = []
    for _ in range(len(boxes) + 10):  # the page's own buttons and links come first
        browser.press("Tab", 9)
        name = browser.js(active)
        if name:
            reached.append(name)
            # focus reads the box as hovering does: its tooltip, which is also its accessible name
            assert browser.js(info) == browser.js("document.activeElement.getAttribute('aria-label')") != ""
            assert browser.js("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # seen
        elif reached:
            break
    assert reached == boxes  # every box, in the drawing's order
    x1 = node_of("x1")
    browser.send("Page.bringToFront")  # a page in the background gets no focus events
    settled(browser, f"(() => {{ {x1}.focus(); return () => 0; }})()")
    assert browser.js(info).startswith("x1\n")
    lit = "[...document.querySelectorAll('figure.graph .picked')].map(g => g.name).sort()"
    assert browser.js(lit) == []
    browser.press("Enter", 13)
    by_enter = browser.js(lit)
    assert browser.js(f"{x1}.getAttribute('aria-pressed')") == "true"
    browser.press("Enter", 13)  # again: off, as a second click
    assert browser.js(lit) == [] and browser.js(f"{x1}.getAttribute('aria-pressed')") == "false"
    scrolled = browser.js("scrollY")
    browser.send("Input.dispatchKeyEvent", type="keyDown", key=" ", code="Space", windowsVirtualKeyCode=32, text=" ")
    browser.send("Input.dispatchKeyEvent", type="keyUp", key=" ", code="Space", windowsVirtualKeyCode=32)
    by_space = browser.js(lit)
    assert browser.js("scrollY") == scrolled  # Space lights the box, it does not scroll the page
    browser.press("Enter", 13)
    x, y = settled(browser, f"(() => {{ const e = {x1}; return () => {{ const r = e.getBoundingClientRect();"
                            " return [r.x + r.width / 2, r.y + r.height / 2]; }; })()")
    for kind in ("mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
    by_click = browser.js(lit)
    assert len(by_click) == 17 and by_enter == by_space == by_click
    assert "<kbd>Tab</kbd> reads a graph's boxes" in written.page.read_text(encoding="utf-8")
    browser.js("document.activeElement.blur()")
    browser.send("Input.dispatchMouseEvent", type="mouseMoved", x=1, y=1)
    assert "dy/dx1 = " in browser.js(info)  # the lit value's chain rule stays when focus leaves
    assert browser.problems() == []


def test_a_graph_is_named_by_its_chain_rule(tmp_path):
    demo = neuron_demo()
    steps = demo.build()
    pictures = render_pictures(steps)
    page = Page(demo_page(demo, steps, pictures))
    figures = [attrs for tag, attrs in page.tags if tag == "figure" and "graph" in attrs.get("class", "")]
    assert len(figures) == 1 and figures[0]["role"] == "group"
    assert figures[0]["aria-label"] == " ".join(pictures[0].caption)
    assert "dy/dw1 = 0.0009102 × 1 × 1 × 2 = 0.00182" in figures[0]["aria-label"]
    # without a chain rule: the step's title and the number of values the graph shows
    from chainrule.engine import Value, draw
    a = Value(2.0, "a")
    y = (a * a + 1.0).named("y")
    bare = Demo("bare", "a*a + 1", "no highlight", lambda: [Step("The forward pass", "", graph=draw(y))])
    steps = bare.build()
    pictures = render_pictures(steps)
    assert not pictures[0].caption
    page = Page(demo_page(bare, steps, pictures))
    name = [attrs["aria-label"] for tag, attrs in page.tags if tag == "figure" and "aria-label" in attrs]
    assert name == ["The forward pass: graph of 4 values"]  # a, a*a, the constant 1, y


def test_the_figure_names_its_graph_and_next_announces_the_step_in_chromium(browser, tmp_path):
    written = write_demo(GENDER, GENDER.build(), tmp_path, html=True)
    browser.open(written.page)
    said = "document.getElementById('said')"
    assert browser.js(f"{said}.getAttribute('aria-live')") == "polite"
    assert browser.js(f"{said}.textContent") == ""  # the first step is read with the page
    titles = [step.title for step in GENDER.build()]
    label = browser.js("document.querySelector('#step-1 figure.graph').getAttribute('aria-label')")
    assert label == f"{titles[0]}: graph"  # a graph not drawn by the engine: its boxes are not counted
    browser.click("#next")
    assert browser.js(f"{said}.textContent") == f"Step 2 of 3: {titles[1]}"
    browser.press("ArrowRight", 39)
    assert browser.js(f"{said}.textContent") == f"Step 3 of 3: {titles[2]}"
    browser.press("ArrowLeft", 37)
    assert browser.js(f"{said}.textContent") == f"Step 2 of 3: {titles[1]}"
    boxes = browser.js("[...document.querySelectorAll('#step-2 figure.graph g.node')]"
                       ".map(g => [g.getAttribute('tabindex'), g.getAttribute('aria-label')])")
    assert boxes == [["0", "o1 = 0.524"], ["0", "b"]]  # DOT without tooltips: a box is named by what it says
    assert browser.problems() == []
