"""A walk draws each step as a moment of one snapshot, and the DOT writer reuses the lines of boxes and
edges that did not change: every picture must be the one draw() makes from scratch at that moment."""
import copy
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from chainrule import Value, walkthrough
from chainrule.engine import backward_steps, draw
from chainrule.engine.drawing import Drawing
from chainrule.engine.drawing.views import View, levels
from chainrule.lessons import walkthrough_steps as walk_module
from chainrule.nn import MLP, datasets, mse


def network_loss(samples):
    data = datasets.gender()
    model = MLP(2, [2, 1], seed=3)
    return mse([model(x) for x in data.X[:samples]], data.y[:samples])


def repeated():
    """A repeated operand, a constant, and a value used twice: shares added up at one node."""
    a, b = Value(0.7, "a", param=True), Value(-1.3, "b")
    s = (a * a + b).named("s")
    return ((s * 3 - a).tanh() + s * b).named("out")


def every_view(drawing):
    """The step's drawing and every view the page's search may try of it, in both directions."""
    g = drawing.snapshot
    views = levels(g, drawing.view.target) + [drawing.view]
    return [View(rankdir, v.target, v.box, v.hidden, v.groups) for v in views for rankdir in ("LR", "TB")]


def texts(drawing, view, afresh=False):
    """What a drawing of `view` writes: its DOT with tooltips and caption, and the layout's DOT;
    afresh=True: from a copy of its snapshot that holds no lines written for other drawings."""
    g = drawing.snapshot
    if afresh:
        g = copy.copy(g)
        g.shared = {}
    d = Drawing(g, view, drawing.digits, drawing.max_nodes)
    return d.source, d.layout_source(), tuple(d.caption), d.note


def drawn_afresh(monkeypatch, root, **options):
    """The walk's steps with each backward step's graph made by draw() itself, from a new snapshot."""
    def fresh(drawn, names, highlight):
        group = drawn.grouped
        return draw(names.order[0], highlight=highlight, rankdir=drawn.view.rankdir, digits=drawn.digits,
                    max_nodes=drawn.max_nodes, group=group)

    with monkeypatch.context() as patched:
        patched.setattr(walk_module, "_drawn_now", fresh)
        return walkthrough(root, **options)


@pytest.mark.parametrize("make, options", [
    (lambda: network_loss(1), {}),                                   # neurons drawn op by op
    (lambda: network_loss(3), {"max_nodes": 60}),                    # neurons grouped into boxes
    (repeated, {"highlight": "a", "rankdir": "TB", "digits": 3}),    # a*a, constants, a chain rule drawn in full
])
def test_every_step_is_the_picture_draw_makes_at_that_moment(monkeypatch, make, options):
    shared = walkthrough(make(), **options)
    fresh = drawn_afresh(monkeypatch, make(), **options)
    assert len(shared) == len(fresh) > 3
    for mine, theirs in zip(shared, fresh):
        assert mine.title == theirs.title and mine.text == theirs.text
        assert (mine.graph.source, mine.graph.caption, mine.graph.grouped) == \
            (theirs.graph.source, theirs.graph.caption, theirs.graph.grouped)
        for view in every_view(theirs.graph):  # what the page's view search measures, and what it shows
            assert texts(mine.graph, view) == texts(theirs.graph, view, afresh=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.sampled_from(["LR", "TB"]), st.booleans())
def test_a_moment_of_a_snapshot_writes_what_a_fresh_snapshot_writes(seed, rankdir, grouped):
    """A random little network at each moment of backward(), drawn from one snapshot's moments (the
    lines of earlier moments reused) and from a snapshot made then, each highlighting a random value."""
    rng = random.Random(seed)
    xs = [Value(rng.uniform(-2, 2), f"x{i}") for i in range(2)]
    hidden = [(sum((Value(rng.uniform(-1, 1), param=True) * x for x in xs), Value(0.1, param=True))).tanh()
              for _ in range(2)]
    out = hidden[0] * rng.choice([2.0, -0.5]) + hidden[1] * hidden[rng.randrange(2)]
    root = (out - rng.uniform(-1, 1)) ** 2
    base = draw(root, group=grouped, rankdir=rankdir)
    for _ in backward_steps(root):
        target = rng.randrange(len(base.snapshot))
        fresh = draw(root, group=grouped, rankdir=rankdir)
        moment = base.snapshot.moment(fresh.snapshot.grads)
        view = View(rankdir, target, fresh.view.box)
        now = Drawing(moment, view, base.digits)
        assert (now.source, now.layout_source(), tuple(now.caption)) == texts(fresh, view, afresh=True)[:3]
        for other in every_view(now):
            assert texts(now, other) == texts(fresh, other, afresh=True)
