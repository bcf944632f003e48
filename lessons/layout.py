"""The part of each step's graph a page shows, with one layout direction for every run of steps on one graph.

Drawing.fit(width, height) picks, for one drawing, the first view that reads at that width,
left to right and then top to bottom. Steps that walk one graph (a forward step, then backward
node by node) fill in grads, which widens the boxes: fitted one by one, the picture would turn
from left-right to top-down and back between two presses of Next. fit_steps fits each run of
consecutive steps on one graph, and where they would not agree, fits them all in the direction
most of them take, or else in the other, if every step still reads in it, and still with its
op circles where its own fit has them (views.py: an inline view only where no other reads); when
neither direction does for all of them, each keeps its own.
"""
from collections import Counter
from dataclasses import replace

from ..engine.drawing import Drawing
from ..engine.drawing.views import SMALLEST, fitted, layout_size, readable_view


def fit_steps(graphs, width, height=None):
    """The fitted drawing of each graph (None for None), consecutive graphs of one structure in one direction."""
    once = {}  # a drawing shown by several steps is fitted once
    fitted = [None if g is None else once.get(id(g)) or once.setdefault(id(g), g.fit(width, height)) for g in graphs]
    for run in _runs(graphs):
        directions = Counter(fitted[k].view.rankdir for k in run)
        if len(directions) < 2:
            continue
        first = "LR" if directions["LR"] >= directions["TB"] else "TB"
        for chosen in (first, "TB" if first == "LR" else "LR"):  # most steps' direction first
            refitted, lost = {}, False
            for k in run:
                if fitted[k].view.rankdir == chosen:
                    continue
                graph = graphs[k]
                if id(graph) not in refitted:
                    again = refitted[id(graph)] = fit_in_direction(graph, width, height, chosen)
                    lost = (lost or _reads(again, width, height) < _reads(fitted[k], width, height)
                            or (again.view.inline and not fitted[k].view.inline))  # op circles kept where they fit
            if not lost:  # every step reads in it as well as it read on its own, as fully drawn
                for k in run:
                    fitted[k] = refitted.get(id(graphs[k]), fitted[k])
                break
    return fitted


def _reads(drawing, width, height):
    """Whether a fitted drawing reads: its text is >= views.SMALLEST px when it is shrunk to fit
    `width` x `height` (readable_view's test)."""
    smallest, _ = fitted(layout_size(drawing.layout_source()), width, height)
    return smallest >= SMALLEST


def fit_in_direction(graph, width, height, rankdir):
    """As graph.fit(width, height), trying only views laid out in `rankdir`."""
    made = []  # (view, (drawing, size)): readable_view asks for each view twice, once per direction

    def variant(view):
        view = replace(view, rankdir=rankdir)
        for seen, result in made:
            if seen == view:
                return result
        drawing = Drawing(graph.snapshot, view, graph.digits, in_svg=False)
        made.append((view, (drawing, layout_size(drawing.layout_source()))))
        return made[-1][1]

    limit = None if graph.max_nodes is None else max(graph.max_nodes, graph.boxes)
    views = [graph.view] if graph.view.groups else None  # a layer view stays one, as in graph.fit
    return readable_view(variant, graph.snapshot, graph.view.target, width, height, limit, views)


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
