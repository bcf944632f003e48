"""draw(root, group="layers"): a network's graph one box per layer, and opened back to its scalars."""
import re

import pytest

from chainrule import Value, draw
from chainrule.engine import backward_order
from chainrule.engine.drawing.snapshot import Snapshot
from chainrule.nn import MLP, Layer, cross_entropy, l2


def one_sample(sizes=(16, 16, 3), target=1):
    model = MLP(2, list(sizes), activation="relu", seed=0)
    z = model([0.5, -0.3])
    for i, zi in enumerate(z):
        zi.label = f"z{i + 1}"
    L = cross_entropy(z, target).named("L")
    L.backward()
    return model, z, L


def nodes(drawing):
    """{DOT id: label} of every node drawn."""
    return dict(re.findall(r'^\t(\w+) \[label="?(.*?)"? (?:fillcolor|fontcolor|height)', drawing.source, re.M))


def edges(drawing):
    """[(tail, head, label)] of every edge drawn."""
    found = re.findall(r'^\t(\w+) -> (\w+)(?: \[(?:arrowsize=\S+ )?(?:color=\S+ )?(?:fontcolor=\S+ )?'
                       r'(?:label="(.*?)")?)?', drawing.source, re.M)
    return [(a, b, label.replace("\\n", "\n")) for a, b, label in found]


def test_the_layers_of_an_mlp_are_found_with_their_shapes_in_order():
    model, z, L = one_sample()
    layers = Snapshot(L).layers()
    assert [(layer.depth, layer.shape, layer.activation) for layer in layers] == [
        (1, (16, 2), "relu"), (2, (16, 16), "relu"), (3, (3, 16), "linear")]
    g = Snapshot(L)
    # the last layer's outputs are the logits, in the model's order; its parameters are the model's own
    ids = {id(v): i for i, v in enumerate(backward_order(L))}
    assert layers[2].outputs == tuple(ids[id(zi)] for zi in z)
    last = model.layers[2]
    assert layers[2].weights == tuple(ids[id(w)] for n in last.neurons for w in n.w)
    assert layers[2].biases == tuple(ids[id(n.b)] for n in last.neurons)
    assert g.kinds[layers[0].xs[0]] == "input"


def test_the_layer_view_has_three_layer_boxes_and_the_loss_part_as_scalars():
    _, z, L = one_sample()
    full = draw(L, max_nodes=None)
    drawing = draw(L, group="layers")
    assert [layer.depth for layer in drawing.layers] == [1, 2, 3]
    labels = list(nodes(drawing).values())
    layer_boxes = [t for t in labels if t.startswith("layer\\ ")]
    assert len(layer_boxes) == 3
    assert layer_boxes[0].startswith("layer\\ 3:\\ W·x\\ +\\ b|16\\ →\\ 3")
    assert any(t.startswith("layer\\ 1:\\ relu(W·x\\ +\\ b)|2\\ →\\ 16") for t in layer_boxes)
    weight_boxes = sorted(t for t in labels if t.startswith("W\\ "))
    assert weight_boxes == ["W\\ 16\\ ×\\ 16,\\ b\\ 16|272\\ parameters", "W\\ 16\\ ×\\ 2,\\ b\\ 16|48\\ parameters",
                            "W\\ 3\\ ×\\ 16,\\ b\\ 3|51\\ parameters"]
    assert sum(t.startswith("x:\\ 2\\ inputs") for t in labels) == 1
    # the loss part stays scalars: its values and ops, L among them; no parameter is drawn alone
    assert any(t.startswith("{L|data") for t in labels)
    assert sum(op == "exp" for op in labels) == 3
    assert drawing.boxes == 1 + 3 + 3 + 3 * 4 + 3 + 2 * 3  # inputs, weights, layers; 4 per class; sum, log, L
    assert drawing.boxes < full.boxes / 10
    assert not drawing.grouped and drawing.omitted == (
        "layers 1, 2 and 3 folded into one box each, with their parameters and inputs")


def test_the_edges_of_the_layer_view_carry_shapes():
    _, _, L = one_sample()
    drawing = draw(L, group="layers")
    labels = [label for _, _, label in edges(drawing)]
    for shape, count in [("2 values", 1), ("16 values", 2), ("16 × 2 weights\n16 biases", 1),
                         ("16 × 16 weights\n16 biases", 1), ("3 × 16 weights\n3 biases", 1)]:
        assert labels.count(shape) == count, shape
    # an edge from a layer's box to a scalar names the value it carries and its chain rule
    z1 = [label for label in labels if label.startswith("z1\n")]
    assert len(z1) == 1 and z1[0].startswith("z1\nlocal 1\n1 × ")


def test_opening_a_layer_draws_its_scalars_and_opening_all_gives_the_scalar_graph():
    _, z, L = one_sample()
    drawing = draw(L, group="layers")
    third = drawing.opened(3)
    assert [layer.depth for layer in third.layers] == [1, 2]
    labels = list(nodes(third).values())
    assert sum(t == "dot" for t in labels) == 3  # the last layer's three dots
    assert sum(t.startswith("{z") for t in labels) == 3 and not any(t.startswith("{w") for t in labels)
    carried = [label for _, _, label in edges(third)]
    assert carried.count("16 values") == 1 + 3  # 1 -> 2, and 2 into each dot
    assert carried.count("16 weights\n1 bias") == 3  # each dot's row of W3, from W3's box
    assert "W\\ 3\\ ×\\ 16,\\ b\\ 3|51\\ parameters" in labels
    scalars = drawing.opened(3, params=True)
    labels = list(nodes(scalars).values())
    assert sum(t.startswith("{w") for t in labels) == 48 and sum(t.startswith("{b|") for t in labels) == 3
    assert "16 weights\n1 bias" not in [label for _, _, label in edges(scalars)]
    assert third.opened(2).layers == drawing.opened(2, 3).layers == drawing.layers[:1]
    scalar = drawing.opened()
    assert scalar.source == draw(L, max_nodes=None).source
    assert drawing.opened(1, 2, 3, params=True).source == scalar.source
    assert "16 weights\\n1 bias" in drawing.opened(1, 2, 3).source  # every W still a box
    with pytest.raises(ValueError, match="no folded layer 4"):
        drawing.opened(4)
    with pytest.raises(ValueError, match="no folded layer 3.*1 and 2|no folded layer 3.*1, 2"):
        third.opened(3)
    with pytest.raises(ValueError, match="no layer boxes"):
        scalar.opened()


def test_the_layer_view_renders_as_svg_and_fits_without_unfolding():
    _, _, L = one_sample()
    drawing = draw(L, group="layers")
    svg = drawing.svg()
    assert svg.count("layer 1: relu(W·x + b)") == 1 and "16 × 16 weights" in svg and "2 → 16" in svg
    fitted = drawing.fit(1200)
    assert fitted.layers == drawing.layers  # a narrow page keeps the layer boxes
    assert "<svg" in drawing.opened(3).svg()


def test_a_batch_draws_a_box_per_sample_sharing_one_box_of_parameters():
    model = MLP(2, [4, 3], activation="tanh", seed=0)
    L = cross_entropy([model(x) for x in ([0.1, 0.2], [0.3, -0.4])], [0, 2]) + 1e-3 * l2(model.parameters())
    L.backward()
    drawing = draw(L, group="layers")
    labels = list(nodes(drawing).values())
    assert sum(t.startswith("layer\\ 1:") for t in labels) == 2 and sum(t.startswith("layer\\ 2:") for t in labels) == 2
    assert sum(t.startswith("W\\ ") for t in labels) == 2  # one per layer, read by both samples
    weight_edges = [label for _, _, label in edges(drawing) if " × " in label and "weights" in label]
    assert sorted(weight_edges) == ["3 × 4 weights\n3 biases"] * 2 + ["4 × 2 weights\n4 biases"] * 2
    # the l2 term reads every parameter: one edge from each parameter box, saying how many (twice: p . p)
    assert sorted(label for _, _, label in edges(drawing) if "weights\n" in label and "×" not in label) == [
        "16 weights\n8 biases", "24 weights\n6 biases"]


def test_what_is_no_layer_is_drawn_as_before():
    x, w = Value(2.0, "x"), Value(-1.0, "w", param=True)
    out = (w * x).tanh()
    assert draw(out, group="layers").source == draw(out).source
    # a dot over parameters alone (l2) is no layer
    params = MLP(2, [2]).parameters()
    assert Snapshot(l2(params)).layers() == []


def test_a_single_layer_and_a_layer_without_biases():
    layer = Layer(3, 2, activation="sigmoid", biases=False, seed=1)
    out = layer([1.0, 2.0, 3.0])
    total = out[0] + out[1]
    drawing = draw(total, group="layers")
    labels = list(nodes(drawing).values())
    assert any(t.startswith("layer\\ 1:\\ sigmoid(W·x)|3\\ →\\ 2") for t in labels)
    assert any(t.startswith("W\\ 2\\ ×\\ 3|6\\ parameters") for t in labels)
    assert "2 × 3 weights" in [label for _, _, label in edges(drawing)]


def test_group_takes_layers_and_nothing_else_new():
    _, _, L = one_sample((4, 3))
    with pytest.raises(ValueError, match='"layers"'):
        draw(L, group="layer")
    with pytest.raises(ValueError, match="26 with each layer grouped into one box: more than max_nodes=5"):
        draw(L, group="layers", max_nodes=5)
