"""Which part of the graph a drawing shows, and the view that can be read at a given width.

A view folds neurons into boxes (`box`), leaves values out (`hidden`), may write each op inside
the box of the value it makes (`inline`) and picks a direction. `readable_view` tries views from
the most detailed to the most reduced:

1. everything;
2. neurons off the highlighted path folded into one box each ("h2's neuron");
3. every neuron folded but the one the highlighted value sits in (and the root's own);
4. as 3, keeping only the paths from the root to the highlighted value and what feeds them;
5. as 4, where an op with more than FEEDING inputs keeps only those on the paths;
6. and 7. as 4 and 5 with every op written in its value's box instead of a circle of its own:
   a path to the highlighted value then takes half the ranks (an op and its value are one box),
   so a long chain rule still reads whole in a window's height;

each left to right, then top to bottom, and takes the first whose smallest text is still
SMALLEST px when the SVG is shrunk to fit the width (and the height, when one is given); when
none is, the most readable one. A view given instead (a layer view) is tried as it is, then
inline. The graph is drawn as it is (view 1) wherever that reads.

`layer_view` is the other way to fold a graph: one box per layer of a network (its matrix
product and activation), one for the layer's parameters and one for the inputs it reads,
with the shapes on the edges; any layer can be opened back to its scalars.
"""
import re
import threading
from collections import namedtuple
from dataclasses import dataclass, field, replace

SMALLEST = 9.1  # CSS px: the smallest text a view may be drawn at (9, and a little for rounding)
FEEDING = 3  # inputs off the paths an op may keep in view 5
PX_PER_PT = 4 / 3  # Graphviz measures SVGs in points


@dataclass(frozen=True)
class View:
    """What one drawing of a snapshot shows: folded neurons, values left out, the direction."""

    rankdir: str = "LR"
    target: int = None
    box: dict = field(default_factory=dict)  # value -> the head of the neuron box it is drawn in
    hidden: frozenset = frozenset()  # values left out
    groups: dict = field(default_factory=dict)  # head -> Group, for the boxes of a layer view
    inline: bool = False  # each op written in the box of the value it makes, with no circle of its own

    def shows(self, i):
        return i not in self.hidden

    def folded(self, g):
        """The labels of the folded neurons, in backward order: ["h2", "y_pred"] ("" for one without)."""
        return [g.labels[head] for head in sorted(set(self.box.values())) if self.shows(head)]

    def boxes(self, g):
        """Boxes drawn: one per value shown (two when an op made it, unless the op is inline), one per neuron."""
        def count():
            n = 0
            for i in range(len(g)):
                head = self.box.get(i)
                if self.shows(i) and head in (None, i):
                    n += 1 if head == i or not g.inputs[i] or self.inline else 2
            return n

        # the same for every direction and moment; every view that folds nothing counts alike
        return _per_box(g, ("views boxes", self.hidden, self.inline), self.box or None, count)


class Group(namedtuple("Group", "kind members layers")):
    """A box of a layer view: kind "layer" (its dots and activations), "weights" (the parameters
    of the layers it feeds, one box for several samples' copies of a layer) or "inputs" (the
    input values a layer reads); members in backward order, the head first; the Layers it
    belongs to (Snapshot.layers)."""

    __slots__ = ()


def layer_view(g, rankdir="LR", target=None, opened=(), params_opened=None):
    """The view of g by layers: every layer not in `opened` (depths, 1 nearest the inputs) folded
    into one box; the parameters of every layer not in `params_opened` (None: the same as
    opened) into another, and the inputs it reads, when they are all inputs you gave, into a
    third. Everything else (a loss, a layer opened) is drawn as scalars."""
    params_opened = opened if params_opened is None else params_opened
    box, groups = {}, {}

    def fold(kind, members, layers):
        members = sorted(m for m in set(members) if m not in box)
        if members:
            for m in members:
                box[m] = members[0]
            groups[members[0]] = Group(kind, tuple(members), tuple(layers))

    layers = g.layers()
    for layer in layers:
        if layer.depth not in opened:
            fold("layer", layer.members(), [layer])
    sharing = {}  # the same parameters read by several layers (one per sample of a batch): one box
    for layer in layers:
        if layer.depth not in params_opened:
            sharing.setdefault(layer.weights + layer.biases, []).append(layer)
    for params, readers in sharing.items():
        fold("weights", params, readers)
    for layer in layers:
        if layer.depth not in params_opened and all(g.kinds[x] == "input" for x in layer.xs):
            fold("inputs", layer.xs, [layer])
    return View(rankdir, target, box, groups=groups)


def levels(g, target):
    """The views of `readable_view`, most detailed first, without direction (duplicates dropped)."""
    neurons = g.once("views neurons", g.neurons)
    heads = set(neurons.values()) - {0}  # the root's own neuron stays open

    def fold(folded):  # one dict per set of folded neurons, whatever the target: its boxes counted once
        return g.once(("views fold", frozenset(folded)),
                      lambda: {i: head for i, head in neurons.items() if head in folded})

    if target is None:
        found = [View(), View(box=fold(heads))]
    else:
        on, own = reaching(g, target), neurons.get(target)
        foldable = heads - {own} if own != target else heads  # open: the neuron the target sits inside
        folded = fold(foldable)
        found = [View(target=target), View(target=target, box=fold({h for h in foldable if h not in on})),
                 View(target=target, box=folded),
                 *(View(target=target, box=folded, hidden=_far(g, folded, on, feeding)) for feeding in (None, FEEDING))]
        found += [replace(view, inline=True) for view in found[-2:]]
    unique = []
    for view in found:
        if view not in unique:
            unique.append(view)
    return unique


def members(g, box):
    """g.members(box), worked out once per box of a graph (its moments share it)."""
    return _per_box(g, ("views members",), box, lambda: g.members(box))


def _per_box(g, key, box, make):
    """make(), worked out once per graph for the box dict `box` (a dict cannot be a key: its id is,
    and the box is kept beside what was made, so that a new dict given a dead one's id is not
    taken for it)."""
    key = (*key, id(box))
    found = g.shared.get(key)
    if found is None or found[0] is not box:
        found = g.shared[key] = (box, make())
    return found[1]


def reaching(g, target):
    """g.reaching(target) as a frozenset, worked out once per graph (the DOT writer shares it)."""
    return g.once(("reaching", target), lambda: frozenset(g.reaching(target)))


def _far(g, box, on, feeding=None):
    """The values neither on a path to the target nor feeding one directly (left out of views 4
    and 5); a value with more than `feeding` inputs keeps only those on the paths."""
    near = set(on)
    for i in on:
        if feeding is None or len(g.inputs[i]) <= feeding:
            near.update(g.inputs[i])
    for head, inside in members(g, box).items():
        if head in on:
            near.update(x for x, _ in g.into_box(inside))
    return frozenset(i for i in range(len(g)) if i not in near and box.get(i) in (None, i))


def svg_size(svg):
    """(width, height, smallest font size) of a Graphviz SVG, all in CSS px."""
    width, height = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
    return float(width) * PX_PER_PT, float(height) * PX_PER_PT, min(sizes, default=0.0) * PX_PER_PT


def drawn_size(svg, width, height=None):
    """(smallest text in px, height in px) of the SVG shrunk to fit `width` px (and `height` px,
    when given), never enlarged."""
    w, h, smallest = svg_size(svg)
    scale = min(1.0, width / w if w else 1.0, height / h if height and h else 1.0)
    return smallest * scale, h * scale


_LABEL = re.compile(r'(label=)("(?:[^"\\]|\\.)*"|[-.\d]+)')
_DIGIT = re.compile(r"\d")
_sizes = {}  # DOT with its labels' digits made 0 -> (width, height, smallest text) of its SVG, px
_failed = {}  # the same key -> the RenderError its layout gave, when laid out ahead of its turn
MEASURED = 4096  # sizes kept before the table starts again


# The fewest boxes of a view of a graph (its shape, whatever its numbers, in one direction) whose
# text came out smaller than CROWDED x SMALLEST px. The steps of a walk or a demo draw one graph
# again and again with more numbers written (the grads filling in), so a view with as many boxes is
# not laid out again: it would come out too small as well. One table per fitting (`with
# one_fitting():`, as fit_steps fits a page's steps; else one per search), so that what a page
# shows depends on its own steps alone, never on what was fitted before it in the process.
CROWDED = 0.75
_fitting = threading.local()  # .crowded: the table of the fitting under way on this thread


class one_fitting:
    """`with one_fitting():` the view searches inside, on this thread, share one new table of
    crowded views (see above); the table before it is back after."""

    def __enter__(self):
        self.before = getattr(_fitting, "crowded", None)
        _fitting.crowded = {}
        return self

    def __exit__(self, *exc):
        _fitting.crowded = self.before


def crowded_table():
    """The table of crowded views the searches on this thread read and write: the fitting's, or a new one."""
    table = getattr(_fitting, "crowded", None)
    return {} if table is None else table


def layout_key(source):
    """DOT `source` with every digit of its labels made 0: what layout_size measures (see there)."""
    return _LABEL.sub(lambda m: m.group(1) + _DIGIT.sub("0", m.group(2)), source)


def layout_size(source):
    """(width, height, smallest text) in px of the drawing of DOT `source`, laid out by the wasm Graphviz.

    Every digit of a label counts as 0: Graphviz sizes text by its characters' widths, and its
    digits are all as wide, so drawings that differ only in their numbers' digits (the steps of a
    walk, as the grads fill in) share one layout. Within `ahead(...)`, the layouts the next
    searches will ask for are made while this one is (on other cores).
    """
    return _size_of_key(layout_key(source))


def _size_of_key(key):
    if key in _sizes:
        return _sizes[key]
    later = _pending.pop(key, None)
    coming = getattr(_ahead, "coming", None)
    if coming is not None and (later is not None or key not in _failed):
        _look_ahead(coming, key)  # the thread that made `key` ahead (or the one about to) is taken
    if later is not None:  # laid out ahead: wait for it
        _keep(key, later)
        return _size_of_key(key)
    if key in _failed:
        raise _failed.pop(key)
    from .render import render

    return _remember(key, render(key))


def _look_ahead(coming, key):
    """Start laying out, on the render threads, what coming() says the next searches will ask for."""
    from .render import RENDER_THREADS, render_soon

    for done, later in list(_pending.items()):  # (a copy: another thread may look ahead too)
        if later.done() and _pending.pop(done, None) is later:
            _keep(done, later)
    room = RENDER_THREADS - 1 - len(_pending)  # the drawing `key` takes a thread of its own
    if room <= 0:
        return
    _ahead.coming = None  # the searches that look ahead lay out nothing themselves
    try:
        extra = coming({key, *_pending}, room)
    finally:
        _ahead.coming = coming
    for k in extra[:room]:
        _pending[k] = render_soon(k)


def _keep(key, later):
    """A layout made ahead (a Future of its SVG), kept where layout_size finds it: its size, or its error."""
    from .render import RenderError

    try:
        _remember(key, later.result())
    except RenderError as error:
        _failed[key] = error


def _remember(key, svg):
    """The size of the layout `key` drew as `svg` (bytes), kept in the table layout_size reads."""
    if len(_sizes) >= MEASURED:
        _sizes.clear()
    _sizes[key] = size = svg_size(svg.decode("utf-8"))
    return size


_pending = {}  # layout key -> the Future of its SVG, being laid out ahead on a render thread


class ahead:
    """`with ahead(coming): ...`: when layout_size lays out a drawing on this thread, it asks
    `coming(busy, room)` for at most `room` keys the next searches will want (next_unmeasured;
    `busy`: the keys being laid out) and starts laying those out on the other render threads,
    to be waited for when a search asks for one. Only sizes are made early: every search still
    runs in its order, and chooses what it would have chosen."""

    def __init__(self, coming):
        self.coming = coming

    def __enter__(self):
        self.before = getattr(_ahead, "coming", None)
        _ahead.coming = self.coming
        return self

    def __exit__(self, *exc):
        _ahead.coming = self.before


_ahead = threading.local()


class _Unmeasured(Exception):
    """A search looking ahead reached a drawing not laid out yet: its key."""

    def __init__(self, key):
        super().__init__(key)
        self.key = key


def next_unmeasured(draw_view, g, target, width, height=None, limit=None, views=None, crowded=None, busy=()):
    """The layout key of the first drawing `readable_view(...)` (the same arguments) would lay out
    that is not laid out yet; None when its search needs none, or when the first is in `busy`
    (being laid out) so that what comes after it cannot be known. `crowded`: a copy of the table
    the search reads and writes (what it learns goes there, not into the real one)."""
    def measured(drawing):
        key = drawing.layout_key()
        if key in _sizes:
            return _sizes[key]
        raise _Unmeasured(None if key in busy or key in _pending or key in _failed else key)

    try:
        _search(draw_view, g, target, width, height, limit, views, measured,
                crowded_table().copy() if crowded is None else crowded)
    except _Unmeasured as missing:
        return missing.key
    return None


def fitted(size, width, height=None):
    """(smallest text, height) in px of a drawing of `size` (svg_size) shrunk to fit width (and height)."""
    w, h, smallest = size
    scale = min(1.0, width / w if w else 1.0, height / h if height and h else 1.0)
    return smallest * scale, h * scale


def readable_view(draw_view, g, target, width, height=None, limit=None, views=None):
    """The first view (see the module docstring) readable when fitted into `width` x `height`
    px; else the most readable. Views of more than `limit` boxes are not tried.
    `draw_view(view)` -> its drawing (a Drawing: what layout_size measures is its layout_key()).
    `views`: the views to try instead of levels(g, target) (a layer view tries itself, left to
    right and top to bottom)."""
    return _search(draw_view, g, target, width, height, limit, views, lambda d: _size_of_key(d.layout_key()),
                   crowded_table())


def _search(draw_view, g, target, width, height, limit, views, measured, crowded):
    tried = []  # (smallest text, drawing)
    shape = g.once("views shape", lambda: hash((tuple(g.kinds), tuple(g.inputs), tuple(g.labels))))  # not its numbers
    found = _levels(g, target) if views is None else \
        [(view, view.boxes(g)) for view in [*views, *(replace(view, inline=True) for view in views)]]
    for view, boxes in found:
        if limit is not None and boxes > limit:
            continue
        for rankdir in ("LR", "TB"):
            seen = (shape, rankdir, width, height)
            if boxes >= crowded.get(seen, boxes + 1) and (tried or view is not found[-1][0]):
                continue  # as many boxes as a view of this graph that was far too small (see CROWDED);
                # the most reduced view is drawn all the same when no other was
            drawing = draw_view(replace(view, rankdir=rankdir))
            smallest, _ = fitted(measured(drawing), width, height)
            if smallest >= SMALLEST:
                return drawing
            if smallest < CROWDED * SMALLEST:
                if len(crowded) >= MEASURED:
                    crowded.clear()
                crowded[seen] = min(boxes, crowded.get(seen, boxes))
            tried.append((smallest, drawing))
    return max(tried, key=lambda t: t[0])[1]


def _levels(g, target):
    """[(view, its boxes)] for levels(g, target), worked out once per graph and target (a graph's
    moments share them: they depend on its shape alone)."""
    return g.once(("views levels", target), lambda: [(view, view.boxes(g)) for view in levels(g, target)])
