"""The shared walkthrough: backward one node at a time, for any graph, not only a demo's."""
import pytest

from chainrule.demos import gender
from chainrule.lessons.labels import pre_activation
from chainrule.lessons.walkthrough_steps import Names, backward_walk, walkthrough_steps
from chainrule.engine import Value, backward_order
from chainrule.engine.formula import describe


def neuron(b=1.0):
    """tanh(w*x + b), the CLI's example, with its leaves."""
    x, w, b = Value(0.5, "x"), Value(-2.0, "w", param=True), Value(b, "b", param=True)
    return (w * x + b).tanh().named("y"), x, w, b


def test_an_expression_walks_node_by_node_to_the_grads_of_backward():
    y, x, w, b = neuron()
    steps = walkthrough_steps(y)
    assert [s.title for s in steps] == ["Backward 1/3: y", "Backward 2/3: w*x + b", "Backward 3/3: w*x"]
    walked = {n.name: n.engine for s in steps for n in s.numbers}
    fresh, *leaves = neuron()
    fresh.backward()
    assert walked == {"dy/d(w*x + b)": pytest.approx(1 - 0.0**2), "dy/d(w*x)": 1.0, "dy/db": 1.0,
                      "dy/dw": leaves[1].grad, "dy/dx": leaves[0].grad}
    assert (w.grad, x.grad, b.grad) == (leaves[1].grad, leaves[0].grad, leaves[2].grad)
    assert steps[0].text.startswith("Backward starts at y: dy/dy = 1.")
    assert "local 1 × grad 1 = 1" in steps[1].text  # d(w*x + b)/db = 1


def test_stale_grads_are_cleared_first_so_every_number_is_d_root_d_value():
    y, x, w, b = neuron()
    w.grad, x.grad = 100.0, -7.0  # left over from an earlier backward
    walked = {n.name: n.engine for s in walkthrough_steps(y) for n in s.numbers}
    fresh, fx, fw, _ = neuron()
    fresh.backward()
    assert walked["dy/dw"] == fw.grad and walked["dy/dx"] == fx.grad


def test_a_leaf_has_nothing_to_walk_and_unknown_labels_are_refused():
    with pytest.raises(ValueError, match="nothing to walk through: x was not computed"):
        walkthrough_steps(Value(1.0, "x"))
    y, *_ = neuron()
    with pytest.raises(ValueError, match="no value of the graph of y is labelled 'v', 'w7'"):
        walkthrough_steps(y, remarks={"w7": "a typo"}, tutorial={"v": ("1", "")})


def test_an_unlabelled_root_is_named_by_its_formula():
    a, b = Value(2.0, "a"), Value(3.0, "b")
    steps = walkthrough_steps(a * b + a)
    assert steps[0].title == "Backward 1/2: a*b + a"
    assert [n.name for n in steps[0].numbers] == ["d(a*b + a)/d(a*b)", "d(a*b + a)/da"]
    assert [n.engine for n in steps[-1].numbers] == [4.0, 2.0]  # a is used twice: 1 + b; then b gets a
    assert "added to what it had: now 4" in steps[-1].text


def test_draw_options_reach_every_drawing_and_digits_the_text():
    y, *_ = neuron(b=0.3)
    steps = walkthrough_steps(y, rankdir="TB", digits=2)
    assert all("rankdir=TB" in s.graph.source for s in steps)
    slope = 1 - y.data**2  # d tanh(z)/dz, the grad that reaches w*x: 0.63
    assert f"{slope:.2g}" == "0.63"
    assert f"to x: local -2 × grad {slope:.2g} = {-2 * slope:.2g}." in steps[-1].text


def test_the_highlighted_value_gets_its_chain_rule_where_its_grad_is_complete():
    y, x, w, b = neuron(b=0.3)
    steps = walkthrough_steps(y, highlight="w")
    assert [bool(s.graph.caption) for s in steps] == [True, True, True]  # every step highlights something
    assert steps[-1].graph.caption[0].startswith("dy/dw = ")  # the step that completes dy/dw: w's chain rule
    assert steps[-1].graph.caption == walkthrough_steps(y, highlight=w)[-1].graph.caption
    assert not walkthrough_steps(y)[-1].graph.caption[0].startswith("dy/dw = ")  # else: the node reached, w*x
    with pytest.raises(ValueError, match="highlight: 'v' is not a value of the graph of y"):
        walkthrough_steps(y, highlight="v")


def test_a_label_that_several_values_share_cannot_be_highlighted_as_draw_refuses_it():
    a = Value(2.0, "a")
    y = (a * Value(3.0, "a")).named("y")
    with pytest.raises(ValueError, match="draw: highlight='a': 2 values in this graph have that label; "
                                         "pass the Value itself"):
        walkthrough_steps(y, highlight="a")
    assert walkthrough_steps(y, highlight=a)[-1].graph.caption[0].startswith("dy/da = ")  # the Value itself


def test_a_tutorials_printed_grad_goes_on_the_step_where_it_is_complete():
    *_, L = gender.alice_network()
    steps = walkthrough_steps(L, tutorial={"x1": ("0.5", "why"), "w1": ("0.0214", "rounded factors")})
    x1 = [n for s in steps for n in s.numbers if n.name == "dL/dx1"]
    assert [n.tutorial for n in x1] == ["", "0.5"]  # x1 feeds h1 and h2: complete after the second
    (w1,) = [n for s in steps for n in s.numbers if n.name == "dL/dw1"]
    assert (w1.tutorial, w1.note, w1.verdict) == ("0.0214", "rounded factors", "explained")


def test_walkthrough_grads_fill_in_monotonically_to_a_plain_backward():
    *_, L = gender.alice_network()
    nodes = backward_order(L)
    filled, final = [], set()
    for v, passes in backward_walk(L):
        final.add(id(v))
        grads = {id(x): x.grad for x in nodes}
        filled.append(sum(1 for g in grads.values() if g != 0.0))
        for x, d, share in passes:
            assert id(x) not in final  # a node passes on only after its grad is whole
            assert share == d * v.grad
    assert filled == sorted(filled) and filled[0] < filled[-1]
    *_, fresh = gender.alice_network()
    fresh_nodes = backward_order(fresh)  # (before backward: backward_order resets intermediate grads)
    fresh.backward()
    assert [x.grad for x in nodes] == [x.grad for x in fresh_nodes]


def test_walkthrough_steps_report_the_grads_of_their_moment():
    ws, bs, _, _, _, L = gender.alice_network()
    walk = walkthrough_steps(L)
    _, _, _, _, _, fresh = gender.alice_network()
    fresh.backward()
    grads = {p.label: p.grad for p in (*ws, *bs)}
    seen = {n.name: n.engine for s in walk for n in s.numbers}
    for label, grad in grads.items():
        assert seen[f"dL/d{label}"] == grad
    # x1 feeds two products: its grad is half-filled after the first, whole after the second
    x1 = [n.engine for s in walk for n in s.numbers if n.name == "dL/dx1"]
    assert len(x1) == 2 and x1[1] == pytest.approx(2 * x1[0])
    assert any("dL/dw1 is complete" in s.text for s in walk)


def test_describe_and_partial_name_nodes_like_the_tutorial():
    ws, bs, h1, _, y_pred, L = gender.alice_network()
    z = pre_activation(h1)
    assert describe(z) == "w1*x1 + w2*x2 + b1"
    assert describe(L.inputs[0]) == "y_true - y_pred"
    assert describe(Value(2.0) * (Value(1.0, "a") + Value(3.0, "b"))) == "2*(a + b)"
    assert Names(L).partial(L, z) == "dL/d(w1*x1 + w2*x2 + b1)"
