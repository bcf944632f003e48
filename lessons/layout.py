"""The part of each step's graph a page shows, with one layout direction for every run of steps on one graph.

Drawing.fit(width, height) picks, for one drawing, the first view that reads at that width,
left to right and then top to bottom. Steps that walk one graph (a forward step, then backward
node by node) fill in grads, which widens the boxes: fitted one by one, the picture would turn
from left-right to top-down and back between two presses of Next. fit_steps fits each run of
consecutive steps on one graph, and where they would not agree, fits them all in the direction
most of them take.
"""
from collections import Counter

from ..engine.drawing import Drawing
from ..engine.drawing.views import View, readable_view


def fit_steps(graphs, width, height=None):
    """The fitted drawing of each graph (None for None), consecutive graphs of one structure in one direction."""
    once = {}  # a drawing shown by several steps is fitted once
    fitted = [None if g is None else once.get(id(g)) or once.setdefault(id(g), g.fit(width, height)) for g in graphs]
    for run in _runs(graphs):
        directions = Counter(fitted[k].view.rankdir for k in run)
        if len(directions) < 2:
            continue
        chosen = "LR" if directions["LR"] >= directions["TB"] else "TB"
        refitted = {}
        for k in run:
            if fitted[k].view.rankdir != chosen:
                graph = graphs[k]
                fitted[k] = refitted.get(id(graph)) or refitted.setdefault(
                    id(graph), fit_in_direction(graph, width, height, chosen))
    return fitted


def fit_in_direction(graph, width, height, rankdir):
    """As graph.fit(width, height), trying only views laid out in `rankdir`."""
    made = []  # (view, (drawing, svg)): readable_view asks for each view twice, once per direction

    def variant(view):
        view = View(rankdir, view.target, view.box, view.hidden)
        for seen, result in made:
            if seen == view:
                return result
        drawing = Drawing(graph.snapshot, view, graph.digits, in_svg=False)
        made.append((view, (drawing, drawing.svg())))
        return made[-1][1]

    limit = None if graph.max_nodes is None else max(graph.max_nodes, graph.boxes)
    return readable_view(variant, graph.snapshot, graph.view.target, width, height, limit)


def structure(graph):
    """What makes two drawings pictures of one graph: the same values, ops and edges (None: not a Drawing)."""
    g = getattr(graph, "snapshot", None)
    if g is None:
        return None
    return tuple(g.labels), tuple(g.kinds), tuple(g.inputs)


def _runs(graphs):
    """Index lists of consecutive graphs with one structure (runs of one are left out)."""
    runs, run, key = [], [], None
    for k, graph in enumerate(graphs):
        here = None if graph is None else structure(graph)
        if here is not None and here == key:
            run.append(k)
            continue
        if len(run) > 1:
            runs.append(run)
        run, key = ([k] if here is not None else []), here
    if len(run) > 1:
        runs.append(run)
    return runs
