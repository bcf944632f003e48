"""The part of each step's graph a page shows, with one layout direction for every run of steps on one graph.

Drawing.fit(width, height) picks, for one drawing, the first view that reads at that width,
left to right and then top to bottom. Steps that walk one graph (a forward step, then backward
node by node) fill in grads, which widens the boxes: fitted one by one, the picture would turn
from left-right to top-down and back between two presses of Next. fit_steps fits each run of
consecutive steps on one graph, and where they would not agree, fits them all in the direction
most of them take, or else in the other, if every step still reads in it, and still with its
op circles where its own fit has them (views.py: an inline view only where no other reads); when
neither direction does for all of them, each keeps its own.

The searches run one after another, as they would alone; while one lays out a drawing, the
drawings the next searches will ask for first are laid out beside it on the other cores
(views.ahead): the same views come out, sooner.
"""
from collections import Counter

from ..engine.drawing import Drawing, views
from ..engine.drawing.views import SMALLEST, fitted, layout_size, next_unmeasured, readable_view

LOOKAHEAD = 8  # searches after the running one looked into for drawings to lay out beside its own


def fit_steps(graphs, width, height=None):
    """The fitted drawing of each graph (None for None), consecutive graphs of one structure in one direction.

    The searches share what they learn of crowded views (views.one_fitting) with each other
    only: the same graphs fit alike whatever was fitted before in the process."""
    with views.one_fitting():
        return _fit_steps(graphs, width, height)


def _fit_steps(graphs, width, height):
    once = {}  # a drawing shown by several steps is fitted once
    distinct = list({id(g): g for g in graphs if g is not None}.values())
    searches = [g.fit_search(width, height) if isinstance(g, Drawing) else None for g in distinct]
    for g, search in _in_turn(distinct, searches):  # (a graph that is no Drawing fits itself, unseen)
        once[id(g)] = g.fit(width, height) if search is None else readable_view(search[0], *search[1])
    fitted = [None if g is None else once[id(g)] for g in graphs]
    for run in _runs(graphs):
        directions = Counter(fitted[k].view.rankdir for k in run)
        if len(directions) < 2:
            continue
        first = "LR" if directions["LR"] >= directions["TB"] else "TB"
        for chosen in (first, "TB" if first == "LR" else "LR"):  # most steps' direction first
            refitted, lost = {}, False
            turned = list({id(graphs[k]): k for k in run if fitted[k].view.rankdir != chosen}.values())
            searches = [graphs[k].fit_search(width, height, chosen) for k in turned]
            for k, (variant, search) in _in_turn(turned, searches):
                graph = graphs[k]
                again = refitted[id(graph)] = readable_view(variant, *search)
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
    draw_view, arguments = graph.fit_search(width, height, rankdir)
    return readable_view(draw_view, *arguments)


def _in_turn(items, searches):
    """Each (item, search) in order, for the caller to run that search (readable_view(draw_view,
    *arguments)); while it runs, what the next LOOKAHEAD searches will lay out first is laid out
    on the other render threads (views.ahead)."""
    at = 0

    def coming(busy, room):
        crowded, busy, extra = views.crowded_table().copy(), set(busy), []
        for search in searches[at + 1: at + 1 + LOOKAHEAD]:
            if len(extra) >= room:
                break
            if search is None:
                continue
            draw_view, arguments = search
            found = next_unmeasured(draw_view, *arguments, crowded=crowded, busy=busy)
            if found is not None:
                extra.append(found)
                busy.add(found)
        return extra

    with views.ahead(coming):
        for at, pair in enumerate(zip(items, searches)):
            yield pair


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
