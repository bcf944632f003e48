"""The part of a graph a step shows (engine.drawing.views): a long chain rule drawn whole, its ops inside their values' boxes."""
import re
from collections import Counter
from dataclasses import replace

from chainrule.demos.gender import alice_network
from chainrule.engine import Value, draw
from chainrule.engine.drawing.views import SMALLEST, View, drawn_size, levels
from chainrule.lessons.files import GRAPH_HEIGHT, GRAPH_WIDTH
from chainrule.lessons.layout import fit_in_direction
from chainrule.nn import MLP, cross_entropy

EDGE = re.compile(r'^\t(\S+) -> (\S+)(?: \[label=("(?:[^"\\]|\\.)*"|[^ \]]+))?', re.M)
NODE = re.compile(r'^\t(\S+) \[label=("(?:[^"\\]|\\.)*"|[^ \]]+)', re.M)


def edges(source):
    """Counter of (tail, head, label) over the DOT text's edges (label None for an edge without)."""
    return Counter(m.groups() for m in EDGE.finditer(source))


def nodes(source):
    return {m.group(1).strip('"'): m.group(2).strip('"') for m in NODE.finditer(source)}


def alice_backward():
    ws, _, _, _, _, L = alice_network()
    L.backward()
    return L, ws[0]


def test_issue18_part2_a_chain_rule_too_long_for_the_pane_is_drawn_whole_with_each_op_in_its_values_box():
    """gender's "The chain rule for w1": the lit path w1 -> ... -> L is 14 boxes and circles long; no
    view with circles reads in the pane at 9 px, so its ops are written in their values' boxes."""
    L, w1 = alice_backward()
    whole = draw(L, highlight=w1)
    part = whole.fit(GRAPH_WIDTH, GRAPH_HEIGHT)
    g, target = whole.snapshot, whole.view.target
    assert part.view.inline and not whole.view.inline
    with_circles = [view for view in levels(g, target) if not view.inline]
    for view in with_circles:  # why: none of the views with op circles reads here, either way round
        for rankdir in ("LR", "TB"):
            drawing = type(whole)(g, replace(view, rankdir=rankdir), whole.digits, in_svg=False)
            assert drawn_size(drawing.svg(), GRAPH_WIDTH, GRAPH_HEIGHT)[0] < SMALLEST
    assert drawn_size(part.svg(), GRAPH_WIDTH, GRAPH_HEIGHT)[0] >= SMALLEST
    shown = nodes(part.source)
    assert not any(name.startswith("op") for name in shown)  # no circle
    for i in g.reaching(target):  # every value on the lit path is drawn, its op in its first cell
        assert part.view.shows(i) and f"v{i}" in shown or part.view.box.get(i) not in (None, i), i
        if g.inputs[i] and part.view.box.get(i) is None:
            sign = {"*": "×"}.get(g.ops[i].symbol, g.ops[i].symbol)
            assert shown[f"v{i}"].lstrip("{").startswith(sign), (i, shown[f"v{i}"])
    assert part.omitted.endswith("each op written in its value's box")
    assert part.caption == whole.caption  # the chain-rule line beside it is the same
    assert any(name.startswith("op") for name in nodes(whole.source))  # the full graph keeps its circles


def test_issue18_part2_an_inline_view_moves_only_where_the_op_is_written():
    """The same edges with the same labels (local derivative, local × upstream = share), each into the
    value's box instead of into its op's circle; the op's local derivatives move to the box's tooltip."""
    L, w1 = alice_backward()
    whole = draw(L, highlight=w1)
    g = whole.snapshot
    for view in [view for view in levels(g, whole.view.target) if not view.inline][-2:]:  # those the inline ones redraw
        circles = type(whole)(g, view, whole.digits, in_svg=False).source
        inline = type(whole)(g, replace(view, inline=True), whole.digits, in_svg=False).source
        moved = Counter()
        for (tail, head, label), n in edges(circles).items():
            if tail.startswith("op"):
                assert head == "v" + tail[2:] and label is None  # the circle's own edge to its value: gone
                continue
            moved[(tail, "v" + head[2:] if head.startswith("op") else head, label)] += n
        assert edges(inline) == moved
        for i, xs in enumerate(g.inputs):
            if xs and f"op{i}" in nodes(circles):
                assert re.search(rf'^\tv{i} \[.*tooltip="[^"]*local derivatives of {g.ops[i].name}: ', inline, re.M)


def test_issue18_part2_a_graph_that_reads_is_drawn_as_it_is():
    w, x, b = Value(-2.0, label="w", param=True), Value(0.5, label="x"), Value(1.5, label="b", param=True)
    y = (w * x + b).tanh()
    y.backward()
    drawn = draw(y, highlight=w)
    fitted = drawn.fit(GRAPH_WIDTH, GRAPH_HEIGHT).view  # all of it, circles and all (top to bottom here)
    assert replace(fitted, rankdir="LR") == View("LR", drawn.view.target)
    assert "op0" in nodes(drawn.source) and not drawn.view.inline
    L, w1 = alice_backward()
    whole = draw(L, highlight=w1)
    roomy = whole.fit(2400).view  # room enough: the whole graph
    assert replace(roomy, rankdir="LR") == whole.view


def test_issue18_part2_a_layer_view_too_tall_writes_its_loss_ops_in_their_boxes_and_stays_by_layers():
    model = MLP(2, [16, 16, 3], activation="relu", seed=1)
    L = cross_entropy(model([0.3, -0.7]), 2)
    L.backward()
    layers = draw(L, group="layers")
    tall = layers.fit(GRAPH_WIDTH, 820)  # spiral's "the same point through the whole network": too tall with circles
    assert tall.view.inline and tall.view.groups == layers.view.groups
    assert drawn_size(tall.svg(), GRAPH_WIDTH, 820)[0] >= SMALLEST
    assert replace(layers.fit(GRAPH_WIDTH, 2000).view, rankdir="LR") == layers.view  # where the circles fit, they stay
    across = fit_in_direction(layers, GRAPH_WIDTH, 820, "TB")  # a run of steps refitted in one direction
    assert across.view.groups == layers.view.groups and across.view.rankdir == "TB"  # still by layers
