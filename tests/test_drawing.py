"""engine.draw: the DOT it writes, the SVG it renders, the chain rule in its caption."""
import math
import os
import shutil
import threading
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings, strategies as st

from chainrule import engine
from chainrule.engine import Value, backward_order, draw
from chainrule.engine import drawing
from chainrule.engine.drawing import dot, render
from chainrule.engine.drawing import MAX_NODES, number
from chainrule.engine.drawing.snapshot import Snapshot
from chainrule.engine.formula import describe

SVG = "{http://www.w3.org/2000/svg}"
RED = dot.HIGHLIGHT.lower()


def neuron():
    """The tutorial's neuron: y = sigmoid(w1*x1 + w2*x2 + b) with w = [0, 1], b = 4, x = [2, 3]."""
    x1, x2 = Value(2.0, "x1"), Value(3.0, "x2")
    w1, w2, b = Value(0.0, "w1", param=True), Value(1.0, "w2", param=True), Value(4.0, "b", param=True)
    y = (w1 * x1 + w2 * x2 + b).sigmoid()
    y.label = "y"
    return y, w1


def alice():
    """The tutorial's 2-2-1 sigmoid network, all weights 1, biases 0, on Alice: x = (-2, -1), y_true = 1."""
    x1, x2 = Value(-2.0, "x1"), Value(-1.0, "x2")
    w1, w2, w3, w4, w5, w6 = (Value(1.0, f"w{i}", param=True) for i in range(1, 7))
    b1, b2, b3 = (Value(0.0, f"b{i}", param=True) for i in range(1, 4))
    h1 = (w1 * x1 + w2 * x2 + b1).sigmoid()
    h2 = (w3 * x1 + w4 * x2 + b2).sigmoid()
    h1.label, h2.label = "h1", "h2"
    y_pred = (w5 * h1 + w6 * h2 + b3).sigmoid()
    y_pred.label = "y_pred"
    L = (1 - y_pred) ** 2
    L.label = "L"
    return L, w1, x1


def svg_of(g):
    return ET.fromstring(g.pipe("svg", engine="wasm"))


def texts(element):
    return ["".join(t.itertext()).replace("\xa0", " ") for t in element.iter(f"{SVG}text")]


def groups(svg, kind):
    """{title: <g>} for the nodes or edges of a rendered SVG."""
    return {g.find(f"{SVG}title").text: g for g in svg.iter(f"{SVG}g") if g.get("class") == kind}


def strokes(g):
    return {e.get("stroke") for e in g.iter() if e.get("stroke")}


# --- numbers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("x, digits, shown", [
    (-0.952, 4, "-0.952"), (0.02146953526581111, 4, "0.02147"), (0.02146953526581111, 3, "0.0215"),
    (0.0, 4, "0"), (-0.0, 4, "0"), (2.0, 4, "2"), (0.999088948805599, 4, "0.9991"), (1.5e-7, 4, "1.5e-7"),
    (123456.0, 4, "1.235e5"), (-1e30, 2, "-1e30"), (math.inf, 4, "inf"),
])
def test_number_shows_significant_digits_without_trailing_zeros(x, digits, shown):
    assert number(x, digits) == shown


# --- the chain rule in the caption -----------------------------------------------------------------

def test_caption_reads_like_the_tutorial_grouped_at_labelled_neurons():
    L, w1, _ = alice()
    L.backward()
    # The tutorial prints -0.952 × 0.249 × -0.0904 = 0.0214: it rounds y_pred to 0.524 before
    # computing -2(1 - 0.524), and multiplies the rounded factors. The engine keeps full precision.
    assert draw(L, highlight=w1, digits=3).caption == [
        "dL/dw1 = dL/dy_pred × dy_pred/dh1 × dh1/dw1 = -0.953 × 0.249 × -0.0904 = 0.0215",
        "op by op: (0.953 × -1) × (0.249 × 1 × 1 × 1) × (0.0452 × 1 × 1 × -2)",
    ]
    caption = draw(L, highlight=w1).caption
    assert caption[0] == "dL/dw1 = dL/dy_pred × dy_pred/dh1 × dh1/dw1 = -0.9526 × 0.2494 × -0.09035 = 0.02147"
    # the same factors as the tutorial's, to the digits it prints
    factors = [float(f) for f in caption[0].split(" = ")[2].split(" × ")]
    for ours, tutorial in zip(factors, (-0.952, 0.249, -0.0904)):
        assert ours == pytest.approx(tutorial, abs=1e-3)
    assert float(caption[0].rsplit(" = ", 1)[1]) == pytest.approx(w1.grad, rel=1e-3)


def test_caption_sums_over_paths_and_writes_every_op_factor_without_labels():
    y, w1 = neuron()
    y.backward()
    assert draw(y, highlight=w1).caption == ["dy/dw1 = 0.0009102 × 1 × 1 × 2 = 0.00182"]
    L, _, x1 = alice()
    L.backward()
    caption = draw(L, highlight=x1).caption[0]  # x1 feeds h1 and h2: two paths
    assert caption.startswith("dL/dx1 = dL/dy_pred × dy_pred/dh1 × dh1/dx1 + dL/dy_pred × dy_pred/dh2 × dh2/dx1 = ")
    assert float(caption.rsplit(" = ", 1)[1]) == pytest.approx(x1.grad, rel=1e-3)
    a = Value(3.0, "a")
    out = a * a  # a repeated operand: two edges, two paths
    out.label = "out"
    out.backward()
    assert draw(out, highlight=a).caption == ["dout/da = 3 + 3 = 6"]


def test_caption_past_max_paths_or_factors_gives_the_total_only():
    x = Value(1.5, "x")
    v = x
    for _ in range(4):
        v = v * v  # 2**4 = 16 paths from the root down to x
    v.label = "z"
    v.backward()
    caption = draw(v, highlight=x).caption
    assert caption[0].startswith("dz/dx = the sum over 16 paths of the product of the local derivatives along each = ")
    assert float(caption[0].rsplit(" = ", 1)[1]) == pytest.approx(x.grad, rel=1e-3)
    v = x
    for _ in range(30):
        v = (v + 1.0).tanh()  # one path of 60 factors
    v.label = "deep"
    v.backward()
    (line,) = draw(v, highlight=x).caption
    assert line.startswith("ddeep/dx = the product of the local derivatives along the path = ")


def test_highlight_by_label_and_errors():
    y, w1 = neuron()
    assert draw(y, highlight="w1").caption == draw(y, highlight=w1).caption
    assert draw(y, highlight=y).caption == ["dy/dy = 1"]
    with pytest.raises(ValueError, match="not part of the graph"):
        draw(y, highlight=Value(1.0, "stranger"))
    with pytest.raises(ValueError, match="no value in this graph has that label"):
        draw(y, highlight="w9")


# --- DOT -------------------------------------------------------------------------------------------

def test_dot_is_deterministic_and_leaves_grads_alone():
    sources = []
    for _ in range(2):
        L, w1, _ = alice()
        L.backward()
        kept = [(id(v), v.data, v.grad) for v in backward_order(L)]
        sources.append(draw(L, highlight=w1).source)
        assert [(id(v), v.data, v.grad) for v in backward_order(L)] == kept
    assert sources[0] == sources[1]


def test_one_edge_per_operand_and_kinds_styled_apart():
    a, w = Value(3.0, "a"), Value(2.0, "w", param=True)
    out = a * a + w * 2
    out.backward()
    src = draw(out).source
    # ids are positions in backward order: a*a has two edges from a's box into the same op
    mul = [line for line in src.splitlines() if "->" in line and f"v{backward_order(out).index(a)} ->" in line]
    assert len(mul) == 2
    assert f'fillcolor="{dot.FILL["param"]}"' in src and f'fillcolor="{dot.FILL["input"]}"' in src
    assert "dashed" in src  # the constant 2
    assert 'local derivatives of mul: d/da = b, d/db = a' in src  # the op's rule, from the table


def test_before_backward_edges_show_only_the_local_derivative():
    y, _ = neuron()
    svg = svg_of(draw(y))
    labels = [t for e in groups(svg, "edge").values() for t in texts(e)]
    assert "local 2" in labels and not any(" = " in t for t in labels)


# --- SVG -------------------------------------------------------------------------------------------

def test_svg_shows_values_local_derivatives_chain_products_and_the_highlighted_path():
    y, w1 = neuron()
    y.backward()
    g = draw(y, highlight=w1)
    svg = svg_of(g)
    nodes, edges = groups(svg, "node"), groups(svg, "edge")
    order = backward_order(y)
    box = lambda v: nodes[f"v{order.index(v)}"]
    assert texts(box(y)) == ["y", "data 0.9991", "grad 1"]
    assert texts(box(w1)) == ["w1", "data 0", "grad 0.00182"]
    x1 = next(v for v in order if v.label == "x1")
    product = next(v for v in order if w1 in v.inputs)  # w1 * x1
    w1_edge, x1_edge = (edges[f"v{order.index(v)}->op{order.index(product)}"] for v in (w1, x1))
    assert texts(w1_edge) == ["local 2", "2 × 0.0009102 = 0.00182"]  # d(w1*x1)/dw1 = x1 = 2
    assert texts(x1_edge) == ["local 0", "0 × 0.0009102 = 0"]
    assert RED in strokes(w1_edge) and RED not in strokes(x1_edge)
    assert RED in strokes(box(y)) and RED not in strokes(box(x1))
    lit = {title for title, e in edges.items() if RED in strokes(e)}
    assert len(lit) == 8  # w1 -> * -> + -> + -> sigmoid -> y: 4 operand edges, 4 op -> value edges
    assert "dy/dw1 = 0.0009102 × 1 × 1 × 2 = 0.00182" in texts(svg)


def test_svg_renders_without_dot_on_path_and_shows_in_jupyter(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("dot") is None
    y, w1 = neuron()
    y.backward()
    g = draw(y, highlight=w1)
    assert ET.fromstring(g.pipe()).tag == f"{SVG}svg"  # engine="auto" falls on wasm
    bundle = g._repr_mimebundle_()
    assert ET.fromstring(bundle["image/svg+xml"]).tag == f"{SVG}svg"
    path = g.render(tmp_path / "neuron")
    assert path.endswith("neuron.svg") and b"0.9991" in open(path, "rb").read()
    assert g.render(tmp_path / "neuron.dot").endswith("neuron.dot")
    with pytest.raises(render.RenderError, match="apt-get install graphviz"):
        g.pipe("pdf")
    if render._resvg() is None:
        with pytest.raises(render.RenderError, match=r"chainrule\[png\]"):
            g.pipe("png")
    else:
        assert g.pipe("png").startswith(b"\x89PNG")


def test_jupyter_repr_never_raises(monkeypatch):
    y, _ = neuron()
    g = draw(y)

    def broken(*args, **kwargs):
        raise render.RenderError("no way to draw here")

    monkeypatch.setattr(drawing, "render_bytes", broken)
    bundle = g._repr_mimebundle_()
    assert "image/svg+xml" not in bundle and "no way to draw here" in bundle["text/plain"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz `dot` program is not installed")
def test_dot_program_draws_the_same_labels():
    y, w1 = neuron()
    y.backward()
    g = draw(y, highlight=w1)
    by_wasm, by_dot = svg_of(g), ET.fromstring(g.pipe("svg", engine="dot"))
    assert sorted(texts(by_wasm)) == sorted(texts(by_dot))
    assert g.pipe("pdf", engine="dot").startswith(b"%PDF")


def test_svg_is_byte_identical_across_renders():
    y, w1 = neuron()
    y.backward()
    first = draw(y, highlight=w1).pipe(engine="wasm")
    y2, w12 = neuron()
    y2.backward()
    assert draw(y2, highlight=w12).pipe(engine="wasm") == first


# --- labels with any characters ---------------------------------------------------------------------

def _words(s):
    return " ".join(s.replace("\xa0", " ").split())


@pytest.mark.parametrize("label", ['say "hi"', "{x}|<y>", "back\\slash \\n \\N", "two\nlines",
                                   "é 中 😀", "a & b &amp; <b>", "]]> -->", "ctl\x01\x7f"])
def test_awkward_labels_render_and_round_trip(label):
    check_label(label)


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=24))
def test_fuzzed_labels_never_break_the_dot_or_the_svg(label):
    check_label(label)


def check_label(label):
    x = Value(1.0, label)
    out = (x * 2).tanh()
    out.label = label
    out.backward()
    svg = ET.fromstring(draw(out, highlight=x).pipe(engine="wasm"))  # parses: the XML is sound
    shown = [_words(t) for t in texts(svg) if _words(t)]
    expected = dot._XML_INVALID.sub(dot._visible, label)  # controls are written as \xNN
    for line in (_words(line) for line in dot.lines(expected)):
        if line:
            assert shown.count(line) >= 2  # in both boxes (and the caption)


def test_escaping_helpers():
    assert dot.text('a "b" \\ & c\nd') == 'a \\"b\\" \\\\ &amp; c\\nd'
    assert dot.field("{a|b} <c>") == "\\{a\\|b\\}\\ \\<c\\>"
    assert dot.text("\x00") == "\\\\x00"



# The WebAssembly Graphviz crashes ("out of bounds table access") on a label whose first line is
# empty once the text after it is long (58 characters in a one-node graph, about 118 in a drawing).
LONG = "a" * 130
CRASHES_THE_WASM_BUILD = f'digraph {{ v [label="\\n{LONG}"] }}'


@pytest.mark.parametrize("label", ["\n" + LONG, "\n\n" + LONG, "\r\n" + "b " * 80, "\n" + "ab\n" * 60])
def test_issue17_item13_a_label_that_starts_with_a_line_break_draws_in_wasm(label):
    x = Value(1.0, label)
    out = x * 2
    out.backward()
    shown = [_words(t) for t in texts(svg_of(draw(out, highlight=x)))]
    for line in filter(None, (_words(line) for line in dot.lines(label))):
        assert line in shown


def test_issue17_item13_record_edge_and_graph_labels_with_a_blank_first_line_draw():
    blank_first = "\n" + LONG
    source = ('digraph { label="%s"; a [shape=Mrecord label="{%s|x}"]; a -> b [label="%s"] }'
              % (dot.text(blank_first), dot.field(blank_first), dot.text(blank_first)))
    assert texts(ET.fromstring(render.wasm_svg(source))).count(LONG) == 3


@pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz `dot` program is not installed")
def test_issue17_item13_wasm_and_dot_show_the_same_lines_for_a_blank_first_line():
    x = Value(1.0, "\n" + LONG)
    out = x * 2
    out.backward()
    g = draw(out, highlight=x)
    by_wasm, by_dot = svg_of(g), ET.fromstring(g.pipe("svg", engine="dot"))
    assert sorted(_words(t) for t in texts(by_wasm)) == sorted(_words(t) for t in texts(by_dot))


def test_issue17_item13_a_crash_of_the_wasm_build_says_so_and_where_dot_helps(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot`
    with pytest.raises(render.RenderError) as auto:
        render.render(CRASHES_THE_WASM_BUILD)
    message = str(auto.value)
    assert "crashed" in message and "fault in that build of Graphviz, not in the graph" in message
    assert "apt-get install graphviz" in message and "engine='dot'" not in message  # auto falls back itself
    with pytest.raises(render.RenderError, match=r"crashed.*install Graphviz.*use engine='dot'"):
        render.render(CRASHES_THE_WASM_BUILD, engine="wasm")
    with pytest.raises(render.RenderError, match="longer than") as slow:  # a timeout: `dot` is no cure
        render.render(draw(layer_net(samples=12), max_nodes=None).source, timeout=0.05)
    assert "install" not in str(slow.value) and "engine='dot'" not in str(slow.value)
    with pytest.raises(render.RenderError, match="could not draw") as bad:  # bad DOT: nor here
        render.render("digraph { a -> ")
    assert "install" not in str(bad.value)


@pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz `dot` program is not installed")
def test_issue17_item13_auto_draws_with_dot_where_the_wasm_build_crashes():
    svg = ET.fromstring(render.render(CRASHES_THE_WASM_BUILD))
    assert LONG in texts(svg)
    with pytest.raises(render.RenderError, match="engine='dot' draws with the system Graphviz"):
        render.render(CRASHES_THE_WASM_BUILD, engine="wasm")

# --- big graphs ---------------------------------------------------------------------------------------

def layer_net(samples, width=6):
    """A 2-width-1 tanh network evaluated on several samples, summed into one loss."""
    ws = [[Value(0.1 * (i - j), f"l0.n{j}.w{i}", param=True) for i in range(2)] for j in range(width)]
    bs = [Value(0.0, f"l0.n{j}.b", param=True) for j in range(width)]
    vs = [Value(0.2 * j, f"l1.w{j}", param=True) for j in range(width)]
    loss = 0.0
    for s in range(samples):
        xs = [Value(s / 10, f"x{s}.{i}") for i in range(2)]
        hidden = [engine.dot(w, xs, b).tanh() for w, b in zip(ws, bs)]
        loss = loss + (engine.dot(vs, hidden).tanh() - 1.0) ** 2
    loss.backward()
    return loss


def test_groups_neurons_past_max_nodes_then_refuses():
    L, w1, _ = alice()
    L.backward()
    g = draw(L, highlight=w1, group=True)
    assert g.grouped
    svg = svg_of(g)
    words = texts(svg)
    for name in ("h1: sigmoid neuron", "h2: sigmoid neuron", "y_pred: sigmoid neuron", "w1, w2, b1"):
        assert name in words
    assert "local 0.04518" in words  # d h1 / d x1 = sigmoid'(-3) * w1, through the box
    assert any(w.startswith("dL/dw1 = dL/dy_pred × dy_pred/dh1 × dh1/dw1 = ") for w in words)

    wide = layer_net(samples=1, width=120)
    assert draw(wide, max_nodes=None).boxes > MAX_NODES
    auto = draw(wide)
    assert auto.grouped and auto.boxes < 150
    words = texts(svg_of(auto))
    assert "l0.n3.w0, l0.n3.w1, l0.n3.b" in words and "l1.* (120 params)" in words
    with pytest.raises(ValueError, match=r"max_nodes=20.*max_nodes=None"):
        draw(wide, max_nodes=20)
    batch = layer_net(samples=30)  # parameters shared by 30 samples stay outside the boxes
    assert draw(batch, group=True).boxes < draw(batch, group=False, max_nodes=None).boxes
    chain = Value(1.0, "x")
    for _ in range(30):
        chain = chain + 1.0
    with pytest.raises(ValueError, match="max_nodes=50"):
        draw(chain, max_nodes=50)
    assert not draw(chain, max_nodes=None).grouped


def test_a_long_chain_renders_on_the_wasm_stack():
    v = Value(0.5, "x")
    for _ in range(300):  # 2,401 boxes, about 600 ranks deep
        v = (v * 1.01 + 0.1).tanh()
    v.backward()
    svg = ET.fromstring(draw(v, max_nodes=None).pipe(engine="wasm"))
    assert svg.tag == f"{SVG}svg"


def test_options_are_checked():
    y, _ = neuron()
    for bad in ({"rankdir": "XY"}, {"digits": 0}, {"max_nodes": 0}, {"group": "yes"}):
        with pytest.raises(ValueError):
            draw(y, **bad)
    with pytest.raises(TypeError):
        draw(3.0)
    assert "rankdir=TB" in draw(y, rankdir="TB").source


# --- the wasm layer ----------------------------------------------------------------------------------

def test_renders_from_four_threads_at_once_with_failures_among_them():
    y, w1 = neuron()
    y.backward()
    source = draw(y, highlight=w1).source
    expected = render.wasm_svg(source)
    results, errors = [], []

    def work(k):
        for i in range(12):
            if (i + k) % 5 == 0:
                try:
                    render.wasm_svg("digraph { a -> ")
                except render.RenderError:
                    errors.append(k)
            else:
                results.append(render.wasm_svg(source) == expected)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) + len(errors) == 48 and all(results) and errors


def test_a_render_after_bad_dot_or_a_timeout_works_and_prints_nothing(capfd):
    with pytest.raises(render.RenderError, match="could not draw"):
        render.wasm_svg("digraph { a -> ")
    slow = layer_net(samples=12)
    with pytest.raises(render.RenderError, match="longer than"):
        render.wasm_svg(draw(slow, max_nodes=None).source, timeout=0.05)
    y, _ = neuron()
    svg = render.wasm_svg(draw(y).source)
    assert ET.fromstring(svg).tag == f"{SVG}svg"
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_bad_engine_and_formats():
    with pytest.raises(ValueError, match="engine"):
        render.render("digraph{}", engine="magic")
    with pytest.raises(render.RenderError, match="svg"):
        render.render("digraph{}", "pdf", engine="wasm")


def test_dot_program_missing_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(render.RenderError, match="brew install graphviz"):
        render.dot_program("digraph{}", "svg")


def test_importing_chainrule_does_not_import_graphviz():
    import subprocess
    import sys

    code = "import sys, chainrule; chainrule.Value(1.0); print('graphviz' in sys.modules, 'wasmtime' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.stdout.split() == ["False", "False"]


def test_an_unlabelled_target_is_named_by_its_formula_in_the_caption():
    w, x = Value(2.0, "w", param=True), Value(3.0, "x")
    z = w * x + 1
    y = z.tanh()
    y.label = "y"
    y.backward()
    assert draw(y, highlight=z).caption[0].startswith("dy/d(w*x + 1) = ")
    long = (w * x + w * w + x * x + w * w * w + x * x * x + w * x * w * x).tanh()  # too long to name
    long.label = "y"
    long.backward()
    assert draw(long, highlight=long.inputs[0]).caption[0].startswith("dy/dv = ")


# --- truthful grads ---------------------------------------------------------------------------------

def shown_grads_and_shares(g):
    """From the rendered SVG: {box: grad shown} and {box: [shares on the edges leaving it]}."""
    svg = svg_of(g)
    grads = {}
    for title, node in groups(svg, "node").items():
        for t in texts(node):
            if t.startswith("grad "):
                grads[title] = float(t.split()[1])
    shares = {}
    for title, edge in groups(svg, "edge").items():
        tail = title.split("->")[0]
        for t in texts(edge):
            if " × " in t:
                shares.setdefault(tail, []).append(float(t.rsplit(" = ", 1)[1]))
    return grads, shares


def assert_edges_add_up(g):
    """Every grad a box shows is the sum of the shares on the edges leaving it (the root's is 1),
    and no edge shows a share while the boxes show no grads."""
    grads, shares = shown_grads_and_shares(g)
    if not grads:
        assert not shares
        return
    for box, grad in grads.items():
        if box == "v0":
            assert grad == 1
        else:
            assert sum(shares.get(box, [])) == pytest.approx(grad, rel=2e-3, abs=1e-6), box


def test_grads_left_from_training_are_not_drawn():
    L, w1, _ = alice()
    params = {v.label: v for v in backward_order(L) if v.op.name == "param"}
    L.backward()  # the grads training left in the parameters
    fresh_h1 = (params["w1"] * Value(2.0, "x1") + params["w2"] * Value(3.0, "x2") + params["b1"]).sigmoid()
    fresh_h1.label = "h1"  # a fresh forward pass: nothing has run backward from it
    g = draw(fresh_h1)
    assert g.note.startswith("No grads shown: b1 holds grad -0.01073, which a backward() from h1 does not give")
    words = texts(svg_of(g))
    assert not any(w.startswith("grad ") or " × " in w for w in words)
    assert "local 2" in words and g.note in words  # local derivatives are still true, and the note says why
    assert_edges_add_up(g)
    fresh_h1.backward()  # the parameters' grads now hold dL/dw + dh1/dw: still no backward of h1 alone
    assert draw(fresh_h1).note
    for v in backward_order(fresh_h1):
        v.grad = 0.0  # zero_grad, inputs included
    fresh_h1.backward()
    assert draw(fresh_h1).note == "" and "grad 0.0133" in texts(svg_of(draw(fresh_h1)))  # dh1/dw1 = 0.006648 × 2
    assert_edges_add_up(draw(fresh_h1))


def test_a_backward_of_a_larger_graph_is_not_drawn_as_the_part_s():
    L, w1, _ = alice()
    L.backward()
    h1 = next(v for v in backward_order(L) if v.label == "h1")
    assert "h1 holds grad -0.2376" in draw(h1).note  # dL/dh1, where a backward from h1 gives 1
    assert draw(L).note == ""


def test_a_backward_stopped_part_way_shows_the_grads_so_far():
    L, w1, _ = alice()
    shown = []
    for k, v in enumerate(engine.backward_steps(L), 1):
        g = draw(L, highlight=v)
        assert g.note == "" and g.snapshot.passed == k
        if k in (1, 5, 9):
            assert_edges_add_up(g)
            shown.append(sum(" × " in t for e in groups(svg_of(g), "edge").values() for t in texts(e)))
    assert shown[0] < shown[1] < shown[2]  # more shares written as more values pass their grad
    assert_edges_add_up(draw(L))


def test_before_backward_there_are_no_grads_to_draw():
    y, _ = neuron()
    words = texts(svg_of(draw(y)))
    assert "data 0.9991" in words and not any(w.startswith("grad") for w in words)


# --- names and order ----------------------------------------------------------------------------------

def unlabelled_layer():
    """Three tanh neurons on (x1, x2) into one output neuron, with unlabelled parameters (as nn makes them)."""
    xs = [Value(0.5, "x1"), Value(-1.0, "x2")]
    hidden = [engine.dot([Value(0.3 * j - 0.2, param=True), Value(0.1 * j, param=True)], xs,
                         Value(0.05 * j, param=True)).tanh() for j in range(3)]
    out = engine.dot([Value(0.2 * j - 0.1, param=True) for j in range(3)], hidden, Value(0.0, param=True)).tanh()
    loss = (out - 1.0) ** 2
    loss.label = "L"
    loss.backward()
    return loss, hidden


def boxes_top_to_bottom(svg, wanted):
    """The node titles of the boxes whose first text is in `wanted`, from the top of the drawing down."""
    found = []
    for title, node in groups(svg, "node").items():
        words = texts(node)
        if words and words[0] in wanted:
            y = min(float(t.get("y")) for t in node.iter(f"{SVG}text"))
            found.append((y, words[0], title))
    return [word for _, word, _ in sorted(found)]


def test_unlabelled_parameters_are_named_by_their_place_in_their_neuron():
    loss, _ = unlabelled_layer()
    svg = svg_of(draw(loss))
    first_texts = [texts(node)[0] for node in groups(svg, "node").values()]
    assert first_texts.count("w1") == 4 and first_texts.count("w3") == 1 and first_texts.count("b") == 4
    assert boxes_top_to_bottom(svg, {"x1", "x2"}) == ["x1", "x2"]  # inputs keep their order
    w = next(v for v in backward_order(loss) if v.op.name == "param")
    assert "unlabelled: called w1 here, by its place in the dot it feeds" in draw(loss).source
    assert draw(loss, highlight=w).caption[0].startswith("dL/dw1 = ")
    y = engine.dot([Value(0.5, param=True)], [Value(2.0)], Value(0.1, param=True)).sigmoid()
    assert [texts(node)[0] for node in groups(svg_of(draw(y)), "node").values()][-3:] == ["w1", "x1", "b"]


@pytest.mark.parametrize("make, written", [
    (lambda a, b, c: a / b, "a/b"), (lambda a, b, c: -a, "-a"), (lambda a, b, c: a * b * c, "a*b*c"),
    (lambda a, b, c: (a + b) * c, "(a + b)*c"), (lambda a, b, c: a - (b - c), "a - (b - c)"),
    (lambda a, b, c: (-(a * b)) ** 2, "(-(a*b))**2"), (lambda a, b, c: (a * b + c).sigmoid() * c, "sigmoid(a*b + c)*c"),
    (lambda a, b, c: a * -2.0, "a*-2"), (lambda a, b, c: engine.sum([a, b * c]), "sum(a, b*c)"),
])
def test_a_labelled_value_is_made_of_what_describe_writes(make, written):
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")
    v = make(a, b, c)
    assert describe(v) == written
    v.label = "y"
    assert Snapshot(v).made_of(0) == written  # the tooltip's `y = ...`: one graph is written one way
    assert f'tooltip="y = {written}\\n' in draw(v).source


def test_grouped_neurons_keep_their_order():
    loss, hidden = unlabelled_layer()
    for rankdir in ("LR", "TB"):
        g = draw(loss, group=True, rankdir=rankdir)
        shown = [f"data {number(h.data)}" for h in hidden]
        svg = svg_of(g)
        found = []
        for node in groups(svg, "node").values():
            words = texts(node)
            for text in node.iter(f"{SVG}text"):
                if "".join(text.itertext()).replace("\xa0", " ") in shown:
                    found.append((float(text.get("y" if rankdir == "LR" else "x")), words[1]))
        assert [word for _, word in sorted(found)] == shown  # neuron 1, 2, 3: top to bottom, left to right


# --- the view that reads at a width ----------------------------------------------------------------------

def test_fit_folds_and_leaves_out_until_the_text_reads_at_the_width():
    from chainrule.engine.drawing.views import SMALLEST, drawn_size

    L, w1, _ = alice()
    L.backward()
    whole = draw(L, highlight=w1)
    assert drawn_size(whole.svg(), 1240)[0] < 6  # left to right, the whole graph shrinks to 3-5 px text
    for width in (1240, 900, 600):
        part = whole.fit(width)
        smallest, _ = drawn_size(part.svg(), width)
        assert smallest >= SMALLEST, (width, part.omitted)
        words = texts(svg_of(part))
        assert "grad 0.02147" in " ".join(words) and not any(w.startswith("dL/dw1 = ") for w in words)
        assert part.caption == whole.caption and part.note == whole.note  # the page writes them as text
    assert whole.fit(1240).omitted == ""  # top to bottom, all of it reads
    assert whole.fit(900).omitted == "h2's neuron folded into one box"
    assert whole.fit(800).omitted == ("the y_pred and h2 neurons folded into one box each; "
                                      "2 values not on a path to w1 left out")
    assert whole.fit(1240, height=1000).omitted == "the y_pred and h2 neurons folded into one box each"  # shorter
    y, _ = neuron()
    small = draw(y)
    assert small.fit(2000) is small  # it reads as it is, with nothing under it to move


def test_fit_skips_views_past_max_nodes():
    wide = layer_net(samples=1, width=120)
    grouped = draw(wide)
    assert grouped.grouped
    part = grouped.fit(1240)
    assert part.boxes <= max(MAX_NODES, grouped.boxes)
