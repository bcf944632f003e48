"""walkthrough(root): any expression or model, stepped through in Python, on a page, in a widget and in a terminal."""
import json
import math
import re
import subprocess
import sys

import pytest

import chainrule
from chainrule import Value, engine, walkthrough
from chainrule.lessons.notebook import ESM, WIDGET_CSS
from chainrule.lessons.walkthrough import Walkthrough
from chainrule.nn import MLP, datasets, mse
from test_html import Page, browser  # noqa: F401 (browser: a fixture)
from test_stepper import terminal  # noqa: F401 (a fixture)


def neuron():
    """tanh(w*x + b) at x = 0.5, w = -2, b = 1.5: the README's example (u2 = 0.5, so tanh' = 0.7864 is no 1)."""
    x, w, b = Value(0.5, "x"), Value(-2.0, "w", param=True), Value(1.5, "b", param=True)
    return (w * x + b).tanh().named("y"), x, w, b


def gender_loss(model, samples=4):
    data = datasets.gender()
    return mse([model(x) for x in data.X[:samples]], data.y[:samples])


def test_an_expression_walks_forward_then_node_by_node_to_backwards_grads():
    y, x, w, b = neuron()
    walk = walkthrough(y)
    assert isinstance(walk, Walkthrough) and chainrule.walkthrough is walkthrough
    assert [s.title for s in walk] == ["Forward: y = 0.4621", "Backward 1/3: y", "Backward 2/3: w*x + b",
                                      "Backward 3/3: w*x"]
    assert [(n.name, n.engine) for n in walk[0].numbers] == [("w*x", -1.0), ("w*x + b", 0.5),
                                                             ("y = tanh(w*x + b)", math.tanh(0.5))]
    assert "from w, x and b" in walk[0].text and "No grads yet" in walk[0].text
    assert walk[0].graph.caption == [] and "grad" not in walk[0].graph.source  # before backward: no grads drawn
    fresh, *leaves = neuron()
    fresh.backward()
    slope = 1 - math.tanh(0.5) ** 2
    assert (x.grad, w.grad, b.grad) == tuple(v.grad for v in leaves) == (-2.0 * slope, 0.5 * slope, slope)
    assert walk.grads == [("dy/dw", 0.5 * slope), ("dy/dx", -2.0 * slope), ("dy/db", slope)]  # as written
    assert "to w: local 0.5 × grad 0.7864 = 0.3932." in walk[-1].text and "That was the last node" in walk[-1].text


def test_a_share_of_zero_is_written_0_as_the_drawing_writes_it_not_minus_0():
    w, x = Value(2.0, "w", param=True), Value(-1.0, "x")
    walk = walkthrough(-(w * x).relu())  # relu(-2) = 0, so -relu(...) is -0.0 and its shares are -0.0
    assert walk[0].title == "Forward: -relu(w*x) = 0"
    text = "\n".join(step.text for step in walk)
    assert "to w*x: local 0 × grad -1 = 0." in text and "to w: local -1 × grad 0 = 0." in text
    assert "-0" not in re.sub(r"-0\.\d", "", text)  # no -0 left anywhere, as the drawing writes it: 0
    assert 'label="local 0\\n0 × -1 = 0"' in walk[2].graph.source


def test_import_chainrule_stays_lean_until_walkthrough_is_asked_for():
    code = ("import sys, chainrule\n"
            "print(sorted(m for m in sys.modules if m.startswith(('chainrule.demos', 'chainrule.lessons')) or m == 'graphviz'))\n"
            "chainrule.walkthrough\n"
            "print('chainrule.lessons.walkthrough' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.splitlines() == ["[]", "True"]
    assert "walkthrough" in chainrule.__all__


def test_printed_it_is_a_short_summary():
    walk = walkthrough(neuron()[0])
    assert str(walk).splitlines() == [
        "Walkthrough of y = tanh(w*x + b): 4 steps, the forward pass, then backward() one node at a time",
        "   1. Forward: y = 0.4621", "   2. Backward 1/3: y", "   3. Backward 2/3: w*x + b", "   4. Backward 3/3: w*x",
        "The grads: dy/dw = 0.3932, dy/dx = -1.573, dy/db = 0.7864.",
        ".step_through() shows each step here; .save_html(path) writes a page; Jupyter shows a stepper"]
    assert repr(walk) == "<Walkthrough of y = tanh(w*x + b): 4 steps>"
    assert walk._repr_mimebundle_() == {"text/plain": str(walk)}  # outside a notebook nothing is rendered


def test_the_highlighted_value_gets_its_chain_rule():
    y, x, w, b = neuron()
    walk = walkthrough(y, highlight="w", digits=3)
    assert walk[-1].graph.caption[0].startswith("dy/dw = ")
    assert walk[1].graph.caption == ["dy/dy = 1"]  # before w's grad is complete: the path to the node reached


def test_bad_input_is_refused_with_what_to_do():
    with pytest.raises(TypeError, match="walkthrough takes the Value whose backward\\(\\) to watch, not float"):
        walkthrough(3.0)
    with pytest.raises(TypeError, match=re.escape("not MLP (a model: walk through its loss, walkthrough(loss))")):
        walkthrough(MLP(2, [1], seed=0))
    with pytest.raises(ValueError, match="nothing to walk through: x was not computed from other values"):
        walkthrough(Value(1.0, "x"))
    with pytest.raises(ValueError, match="highlight: 'v' is not a value of the graph of y"):
        walkthrough(neuron()[0], highlight="v")
    xs = [Value(float(i), f"x{i}") for i in range(12)]
    total = chainrule.engine.sum([x * x for x in xs]).named("s")
    with pytest.raises(ValueError) as refused:
        walkthrough(total, max_nodes=20)
    message = str(refused.value)
    assert message.startswith("walkthrough: this graph has 25 values") and "more than max_nodes=20" in message
    lifted = int(re.search(r"Pass max_nodes=(\d+)", message).group(1))
    assert len(walkthrough(total, max_nodes=lifted)) == 1 + 13  # the forward pass, the sum, 12 squares


def test_a_shared_label_is_refused_as_a_highlight_as_draw_refuses_it():
    a = Value(2.0, "a")
    with pytest.raises(ValueError, match="walkthrough: highlight='a': 2 values in this graph have that label"):
        walkthrough((a * Value(3.0, "a")).named("y"), highlight="a")


def test_past_the_node_limit_a_models_loss_is_walked_neuron_by_neuron():
    model = MLP(2, [2, 1], activation="tanh", seed=0).label_parameters()
    loss = gender_loss(model)
    nodes = walkthrough(loss)
    boxes = walkthrough(loss, max_nodes=60)  # 86 boxes: past 60 each neuron is one box
    assert not nodes[1].graph.grouped and all(step.graph.grouped for step in boxes)
    assert len(boxes) == 23 < len(nodes) == 31
    fresh = MLP(2, [2, 1], activation="tanh", seed=0)
    gender_loss(fresh).backward()
    assert [p.grad for p in model.parameters()] == [p.grad for p in fresh.parameters()]  # exactly backward's
    assert dict(boxes.grads) == {f"dL/d{p.label}": p.grad for p in model.parameters()}  # nn's mse: L, never "out"; not each person's x1
    neuron_steps = [s for s in boxes if "Its neuron is one box here" in s.text]
    assert len(neuron_steps) == 8  # two tanh neurons for each of four people (the linear output is one node)
    assert boxes[0].text.endswith("(Each neuron is one box in this big graph, so one step passes the grad through "
                                  "its whole box.)")


def test_a_neurons_box_passes_d_neuron_d_input_and_completes_its_own_parameters():
    model = MLP(2, [2, 1], activation="tanh", seed=0).label_parameters()
    loss = gender_loss(model, samples=1)  # one person: each parameter sits inside one neuron's box
    walk = walkthrough(loss, group=True)
    w1, w2, b1 = model.layers[0].neurons[0].parameters()
    h1 = next(s for s in walk if "to x1" in s.text and "dL/dw1 =" in s.text)
    x1, x2 = datasets.gender().X[0]
    z = w1.data * x1 + w2.data * x2 + b1.data
    slope = 1 - Value(z).tanh().data ** 2  # d tanh(z)/dz
    grad = float(re.search(r"= (\S+)\.\n", h1.text).group(1))  # the neuron's grad, as the step says it
    assert f"to x1: local {slope * w1.data:.4g} × grad {grad:.4g}" in h1.text
    assert {n.name: n.engine for n in h1.numbers}.items() >= {"dL/dw1": w1.grad, "dL/db1": b1.grad}.items()
    assert "Inside the box, its parameters' grads are complete: dL/dw1 = " in h1.text


def test_the_page_and_the_svgs(tmp_path):
    walk = walkthrough(neuron()[0])
    page = Page(walk.save_html(tmp_path / "walk.html").read_text(encoding="utf-8"))
    assert [attrs["id"] for tag, attrs in page.tags if tag == "section"] == [f"step-{k}" for k in range(1, 5)]
    text = " ".join(page.text)
    assert "w = -2, x = 0.5, b = 1.5: the forward pass, then backward() one node at a time" in text
    assert "value" in text and "tutorial" not in text  # no tutorial: no column for one
    written = walk.save_svgs(tmp_path / "svgs")
    assert [p.name for p in written.svgs] == ["01-forward-y-0-4621.svg", "02-backward-1-3-y.svg",
                                              "03-backward-2-3-w-x-b.svg", "04-backward-3-3-w-x.svg"]
    assert walk.pictures() is walk.pictures()  # rendered once, for the page, the files and the widget


# --- in Chromium: the page, and the notebook widget around it ---------------------------------------

LIT = ("[...document.querySelectorAll('.step.current figure.graph g.node')]"
       ".filter(g => g.querySelector('[stroke=\"#d62728\"]')).map(g => g.name).sort()")


def test_next_and_back_move_the_lit_path_in_chromium(browser, tmp_path):
    walk = walkthrough(neuron()[0])
    browser.open(walk.save_html(tmp_path / "walk.html"))
    lit = [browser.js(LIT)]
    for _ in range(3):
        browser.click("#next")
        lit.append(browser.js(LIT))
    # nothing before backward; then the root, then down to w*x + b, then to w*x: its path from y grows
    assert lit == [[], ["op0", "v0"], ["op0", "op1", "v0", "v1"], ["op0", "op1", "op2", "v0", "v1", "v2"]]
    assert browser.js("document.getElementById('counter').textContent") == "Step 4 of 4"
    browser.press("ArrowLeft", 37)
    browser.click("#prev")
    assert browser.js(LIT) == ["op0", "v0"]
    assert browser.problems() == []


def widget_harness(path, walk):
    """A page running the widget's ESM and CSS as anywidget would, with a model that keeps its state in the page."""
    page = json.dumps(walk.html()).replace("</", "<\\/")
    path.write_text(f"""<!doctype html><style>{WIDGET_CSS}</style><body><div id="widget"></div>
<script type="module">
{ESM}
const state = {{page: {page}, count: {len(walk)}, title: "walk", step: 0}}, listeners = {{}};
window.saved = [];
window.model = {{
  get: key => state[key],
  set: (key, value) => {{ state[key] = value; (listeners["change:" + key] || []).forEach(f => f()); }},
  save_changes: () => window.saved.push(state.step),
  on: (event, f) => (listeners[event] = listeners[event] || []).push(f),
  off: (event, f) => {{ listeners[event] = listeners[event].filter(g => g !== f); }},
}};
render({{model: window.model, el: document.getElementById("widget")}});
</script>""", encoding="utf-8")
    return path


SHOWN = ("new Promise(done => setTimeout(() => { const page = document.querySelector('iframe').contentDocument; "
         "done([page.querySelector('.step.current').id, document.querySelector('.where').textContent]); }, 50))")


def shown(browser):
    """The step the widget's page shows and the widget's counter, once the page had its hashchange (a task later)."""
    return browser.send("Runtime.evaluate", expression=SHOWN, awaitPromise=True, returnByValue=True)["result"]["value"]


def test_the_notebook_widget_steps_with_buttons_slider_and_keys_in_chromium(browser, tmp_path):
    walk = walkthrough(neuron()[0])
    browser.open(widget_harness(tmp_path / "widget.html", walk))
    assert shown(browser) == ["step-1", "Step 1 of 4"]
    assert browser.js("getComputedStyle(document.querySelector('iframe').contentDocument"
                      ".querySelector('.bar')).display") == "none"  # the widget's bar steps the page
    assert browser.js("document.querySelector('.back').disabled") is True
    browser.click(".next")
    assert shown(browser) == ["step-2", "Step 2 of 4"] and browser.js("window.saved") == [1]
    browser.js("(() => { const s = document.querySelector('.slider'); s.value = 4; "
               "s.dispatchEvent(new Event('input')); })()")
    assert shown(browser) == ["step-4", "Step 4 of 4"]
    assert browser.js("document.querySelector('.next').disabled") is True
    browser.click("iframe")  # the keys inside the page move the widget, once
    browser.press("ArrowLeft", 37)
    assert shown(browser) == ["step-3", "Step 3 of 4"]
    browser.click(".back")
    browser.press("ArrowRight", 39)  # the widget itself has the focus now
    assert shown(browser) == ["step-3", "Step 3 of 4"]
    browser.js("window.model.set('step', 0)")  # Python sets widget.step
    assert shown(browser) == ["step-1", "Step 1 of 4"] and browser.js("window.saved") == [1, 3, 2, 1, 2]
    assert browser.problems() == []


def test_the_widget_in_python():
    pytest.importorskip("anywidget")
    walk = walkthrough(neuron()[0])
    widget = walk.widget()
    assert (widget.count, widget.step, widget.title) == (4, 0, "y = tanh(w*x + b)")
    assert widget.page == walk.html()
    widget.step = 9
    assert widget.step == 3  # kept to the steps there are


# --- in a terminal -------------------------------------------------------------------------------------------

GRAPH = "from chainrule import cli\nraise SystemExit(cli.main(['graph', *__import__('sys').argv[1:]]))"


def test_an_expression_steps_through_a_pseudo_terminal(terminal):  # noqa: F811 (the fixture)
    term = terminal("tanh(w*x + b)", "x=0.5", "w=-2", "b=1.5", "--steps", program=GRAPH)
    shown = term.read_until("[q] quit")
    assert "step 1/4" in shown and "Forward: y = 0.4621" in shown and "y = tanh(w*x + b)" in shown
    for key, where, title in ((" ", 2, "Backward 1/3: y"), ("b", 1, "Forward: y = 0"), ("\033[C", 2, "Backward 1/3"),
                              ("\r", 3, "Backward 2/3: w*x + b"), ("\n", 4, "Backward 3/3: w*x")):
        term.type(key)
        term.read_until(f"step {where}/4")
        shown = term.read_until("[q] quit")
        assert title in shown
    lines = re.sub(r"\033\[[0-9;]*m", "", shown).splitlines()  # without the colours
    assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
    assert "dy/d(w*x) = 0.7864 × 1 = 0.7864" in shown  # the path to the node reached, written out
    term.type(" ")  # the rest of the last step: the grads and what to try next
    shown = term.read_until("[Enter] finish")
    assert "The grads: dy/dw = 0.3932, dy/dx = -1.573, dy/db = 0.7864." in shown
    assert "`chainrule quiz 'tanh(w*x + b)' x=0.5 w=-2 b=1.5 --wrt w`" in " ".join(shown.split())
    term.type("\n")
    assert term.exit_code() == 0 and term.restored()


def test_issue18_part3_an_unlabelled_dot_is_written_as_its_sum_in_titles_and_captions():
    from chainrule import draw, engine

    w1, w2, b = (Value(v, label, param=True) for v, label in ((0.0, "w1"), (1.0, "w2"), (4.0, "b")))
    y = engine.dot([w1, w2], [Value(2.0), Value(3.0)], b).sigmoid()  # unlabelled: named by its formula
    caption = " ".join(draw(y, highlight=w1).caption)
    assert "d(sigmoid(w1*2 + w2*3 + b))/dw1" in caption and "dot(" not in caption
    walk = walkthrough(y)
    titles = " ".join(step.title for step in walk)
    assert "w1*2 + w2*3 + b" in titles and "dot(" not in titles + " ".join(step.text for step in walk)


def test_issue18_part3_an_unlabelled_output_is_y_never_out():
    model = MLP(2, [2, 1], activation="tanh", seed=0)
    total = engine.sum([model(x) for x in datasets.gender().X[:2]])  # unlabelled, too long to be named by its formula
    walk = walkthrough(total, max_nodes=60)
    said = " ".join(step.title + step.text for step in walk)
    assert "dy/dw" in said and "dout" not in said and "dout" not in " ".join(walk[-1].graph.caption)
    assert "dL/" not in said  # no loss here
    from chainrule.lessons.graph_command import build_expression

    assert build_expression("x*y", ["x=1", "y=2"])[0].label == "f"  # y is an input's name: f, not out


def test_issue18_part3_the_steppers_rule_uses_the_learners_names():
    """It said '(mul): d/da = b, d/db = a' beside the learner's own b = 1.5."""
    y, x, w, b = neuron()
    text = " ".join(step.text for step in walkthrough(y))
    assert "d(w*x)/dw = x = 0.5, d(w*x)/dx = w = -2" in text
    assert "dy/d(w*x + b) = 1 - tanh(w*x + b)^2 = " in text
    assert "d/da" not in text and "d/db" not in text


def test_issue18_part3_the_buttons_machine_shows_which_weight_meets_which_button():
    from chainrule.demos import buttons

    g = buttons.build()[0].graph.snapshot
    products = [g.inputs[i] for i, kind in enumerate(g.kinds) if kind == "mul"]
    pairs = sorted((g.labels[a], g.labels[b]) for a, b in products)
    assert pairs == [(f"w{k}", f"button{k}") for k in range(1, 5)]
