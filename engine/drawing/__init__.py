"""draw(root): the graph behind a Value, with the chain rule written on its edges.

    g = draw(loss, highlight=w1)   # shown inline in Jupyter
    g.source                       # the DOT text
    g.pipe(format="svg")           # bytes
    g.render("loss", format="svg") # writes loss.svg
    g.fit(1200)                    # the part of it that reads well 1200 px wide

What the picture shows:

- A value is a box `label | data | grad`. Parameters are orange, inputs you give blue,
  intermediate values white, the root green; a constant written in an expression is a small
  grey dashed box with just its number, and its edge is quiet (no label).
- An op is a circle with its symbol (× for multiplication).
- Every operand draws its own edge from the input's box to the op (`a*a` draws two). The edge
  says `local d`: d out / d input, read from the primitive table, the same numbers backward()
  uses. Once the op's value has passed its grad back, it also says `d × g = p`: the local
  derivative times the grad of the op's output, the term of the chain rule that lands in the
  input's grad.
- Grads are shown only as a backward() from the drawn root made them: complete, or filled in
  so far when backward was stopped part way (backward_steps). Grads that no moment of such a
  backward gives (left from training, or from a backward of another value) are not shown, and
  `.note` says why; before any backward there are no grads to show.
- Hovering a box shows its formula and role (and, for an input or parameter, the chain rule to
  it); hovering an edge shows local × upstream = contribution.
- `highlight=v` (a Value, or the label of one) draws every path from the root to v in red and
  writes the chain rule for it in the caption (see drawing.caption).
- Big graphs: past `max_nodes` boxes the drawing groups each neuron (an activation, or a `dot`
  over parameters, with the arithmetic and parameters only it uses) into one box, whose edges
  carry d neuron / d input. If that is still too many, draw() refuses and says how to lift
  the limit. `group=True` groups always, `group=False` never.
- `group="layers"`: a network's graph at the level of its layers. The dots that read the same
  inputs (the same values in the same order: the neurons of one layer) are the rows of one
  matrix product W x + b; each layer, with its activation, is one box ("layer 2: relu(W·x + b)",
  "16 → 16"), its parameters another ("W 16 × 16, b 16"), and the inputs it reads a third; the
  edges carry the shapes ("16 values", "16 × 16 weights"). What is no layer (a loss) is drawn as
  scalars. `.opened(2)` draws layer 2's dots and activations again (its W stays a box;
  params=True opens that too), `.opened()` every layer: the scalar graph.

A Drawing is a snapshot: it shows the values as they were when draw() was called, however
they change afterwards. Rendering (drawing.render) needs no system Graphviz for SVG. Node ids
are positions in the backward order, so the same graph gives byte-identical DOT.
"""
import os
from dataclasses import replace

from ..formula import number
from ..writer import write_file
from .caption import MAX_FACTORS, MAX_PATHS, chain_rule
from .dot import Writer
from .render import TIMEOUT, render as render_bytes, render_soon_all
from .snapshot import ACTIVATIONS, Snapshot
from .views import View, layer_view, layout_key, readable_view

MAX_NODES = 800  # boxes drawn (a value and its op count two): 0.2-0.5 s with wasm, measured
RANKDIRS = ("LR", "TB", "RL", "BT")

__all__ = ["draw", "Drawing", "number", "MAX_NODES", "MAX_PATHS", "MAX_FACTORS", "ACTIVATIONS"]


class Drawing:
    """A drawn graph: `.source` (DOT), `.pipe(format)` -> bytes, `.render(filename)` -> path.

    `.caption` holds the chain-rule lines written for `highlight=` (empty without), `.note` why
    grads are not shown when they are not ("" otherwise), `.grouped` whether neurons were
    grouped into boxes, `.layers` the layers folded into boxes (group="layers"; `.opened()`
    opens them), `.boxes` how many boxes are drawn, `.digraph` the graphviz.Digraph.
    `.fit(width)` gives the view of the same moment that reads well at that width.
    Jupyter shows it scaled to the cell, with its full size one click away.
    """

    def __init__(self, snapshot, view, digits, max_nodes=None, in_svg=True):
        self.snapshot, self.view, self.digits, self.max_nodes = snapshot, view, digits, max_nodes
        num = self.num
        self.caption = chain_rule(snapshot, view.target, num) if view.target is not None else []
        self.note = _note(snapshot, num)
        self.in_svg = in_svg
        self.grouped = bool(view.box) and not view.groups
        self.layers = sorted((group.layers[0] for group in view.groups.values() if group.kind == "layer"),
                             key=lambda layer: layer.depth)
        self.boxes = view.boxes(snapshot)
        self._svg = self._source = self._layout_source = self._layout_key = None
        self._variants = []  # (view, Drawing of it): the other views of this moment made by fit()

    def _dot(self, tooltips=True):
        under = [*self.caption, *filter(None, [self.note])] if self.in_svg else []
        return Writer(self.snapshot, self.view, self.digits, tooltips).digraph(under)

    @property
    def digraph(self):
        """The drawing as a graphviz.Digraph (made when asked for)."""
        return self._dot().digraph()

    def layout_source(self):
        """The DOT text without its tooltips: the same layout, the same size (what a view search measures)."""
        if self._layout_source is None:
            self._layout_source = self._dot(tooltips=False).source
        return self._layout_source

    def layout_key(self):
        """layout_source() as views.layout_size measures it (its labels' digits made 0)."""
        if self._layout_key is None:
            self._layout_key = layout_key(self.layout_source())
        return self._layout_key

    def num(self, x):
        """x as this drawing writes numbers."""
        return number(x, self.digits)

    @property
    def source(self):
        """The DOT text (written when first asked for, then kept)."""
        if self._source is None:
            self._source = self._dot().source
        return self._source

    @property
    def omitted(self):
        """What this view leaves out, in words ("" when it shows everything): folded neurons, values left out."""
        parts = []
        if self.layers:
            depths = sorted({layer.depth for layer in self.layers})
            parts.append(f"layer{'s' * (len(depths) > 1)} {_names([str(d) for d in depths])} folded into "
                         f"one box each, with {'their' if len(depths) > 1 else 'its'} parameters and inputs")
        folded = [] if self.view.groups else self.view.folded(self.snapshot)
        if len(folded) == 1:
            parts.append(f"{folded[0]}'s neuron folded into one box" if folded[0] else "a neuron folded into one box")
        elif folded:
            named = f"the {_names(folded)} neurons" if all(folded) else f"{len(folded)} neurons"
            parts.append(f"{named} folded into one box each")
        hidden = len(self.view.hidden)
        if hidden:
            target = self.snapshot.name(self.view.target)
            parts.append(f"{hidden} value{'s' * (hidden > 1)} not on a path to {target} left out")
        if self.view.inline:
            parts.append("each op written in its value's box")
        return "; ".join(parts)

    def fit(self, width, height=None):
        """The view of this moment whose text reads at >= 9.5 px when shown at most `width` CSS px
        wide (and `height` tall, if one fits): everything if it fits, else neurons folded into
        boxes, then only the paths to the highlighted value (see drawing.views). Its SVG leaves
        the caption and note out: a page writes them as text. It may be this drawing itself."""
        draw_view, arguments = self.fit_search(width, height)
        return readable_view(draw_view, *arguments)

    def fit_search(self, width, height=None, rankdir=None):
        """(draw_view, arguments) of the view search fit() runs: `readable_view(draw_view, *arguments)`
        is fit(width, height). With `rankdir`, the search tries only views laid out that way."""
        limit = None if self.max_nodes is None else max(self.max_nodes, self.boxes)
        views = [self.view] if self.view.groups else None  # a layer view stays one
        arguments = (self.snapshot, self.view.target, width, height, limit, views)
        if rankdir is None:
            return self._fit_variant, arguments
        return (lambda view: self._variant(replace(view, rankdir=rankdir))), arguments

    def _fit_variant(self, view):
        """The drawing fit() tries for `view`: this one, or another of this moment (the caption
        moves to the page)."""
        return self if view == self.view and not self.caption and not self.note else self._variant(view)

    def _variant(self, view):
        """This moment drawn in `view`, without caption or note in the SVG (made once per view:
        a search asks for each view twice, once per direction, and a refit again)."""
        for seen, drawing in self._variants:
            if seen == view:
                return drawing
        drawing = Drawing(self.snapshot, view, self.digits, in_svg=False)
        self._variants.append((view, drawing))
        return drawing

    def opened(self, *depths, params=False):
        """The same moment with the layers at these depths (1 nearest the inputs; see `.layers`)
        drawn as their dots and activations again, the others still boxes. Their parameters stay
        one box (W and b, an edge into each dot) and their inputs one, unless params=True draws
        those one by one too. With no depth given: every layer and every parameter, the scalar
        graph."""
        folded = {layer.depth for layer in self.layers}
        if not folded:
            raise ValueError("opened: this drawing has no layer boxes to open; draw(root, group=\"layers\") folds them")
        for depth in depths:
            if depth not in folded:
                raise ValueError(f"opened: no folded layer {depth!r} here; the folded layers are "
                                 f"{', '.join(map(str, sorted(folded)))}")
        view = self.view
        if not depths:
            return Drawing(self.snapshot, View(view.rankdir, view.target), self.digits, self.max_nodes)
        every = {layer.depth for layer in self.snapshot.layers()}
        boxed = {layer.depth for group in view.groups.values() if group.kind == "weights" for layer in group.layers}
        params_opened = (every - boxed) | (set(depths) if params else set())
        view = layer_view(self.snapshot, view.rankdir, view.target, frozenset(every - (folded - set(depths))),
                          frozenset(params_opened))
        return Drawing(self.snapshot, view, self.digits, self.max_nodes)

    def svg(self):
        """The SVG text (rendered once, then kept)."""
        if self._svg is None:
            self._svg = self.pipe("svg").decode("utf-8")
        return self._svg

    def pipe(self, format="svg", engine="auto", timeout=TIMEOUT):
        """The drawing as bytes: "svg", "png", "pdf", ...; "dot"/"gv" give the DOT text itself.

        engine: "auto", "wasm" (no system Graphviz needed; svg, and png with resvg) or "dot".
        """
        if format in ("dot", "gv"):
            return self.source.encode("utf-8")
        return render_bytes(self.source, format, engine, timeout)

    def render(self, filename, format=None, engine="auto", timeout=TIMEOUT):
        """Write the drawing to `filename` (".<format>" added unless it ends so); the path written.

        format defaults to the file's suffix when it is one we write (svg, png, pdf, dot, gv),
        else svg. Written atomically (engine.writer): a failure leaves the old file as it was,
        and a symlink at the path is replaced, never written through.
        """
        path = os.fspath(filename)
        suffix = os.path.splitext(path)[1][1:].lower()
        if format is None:
            format = suffix if suffix in ("svg", "png", "pdf", "dot", "gv") else "svg"
        if suffix != format.lower():
            path = f"{path}.{format}"
        write_file(path, self.pipe(format, engine, timeout))
        return path

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        """Jupyter: the SVG scaled to the cell's width, full size one click away; never raises."""
        try:
            svg = self.svg()
        except Exception as e:  # shown in a notebook, so it must not raise
            return {"text/plain": f"{self!r}: could not draw it as SVG ({e}); .source has the DOT text"}
        inline = svg[svg.find("<svg"):]
        scaled = inline.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)
        html = (f'<div class="chainrule-drawing">{scaled}<details><summary>full size</summary>'
                f'<div style="overflow:auto;max-height:80vh">{inline}</div></details></div>')
        return {"text/html": html, "image/svg+xml": svg, "text/plain": repr(self)}

    def __repr__(self):
        grouped = ", neurons grouped" if self.grouped else f", {len(self.layers)} layers folded" if self.layers else ""
        return f"<Drawing: {self.boxes} boxes{grouped}>"


def render_svgs_soon(drawings):
    """Start rendering the SVG of every drawing here that has none yet, one after another on a
    render thread, while this thread goes on; a function that waits for them and keeps each
    (a drawing whose render failed is left without, for its .svg() to raise the error in its turn)."""
    waiting = _without_svg(drawings)
    if not waiting:
        return lambda: None
    sources = [d.source for d in waiting]
    later = render_soon_all(sources)
    return lambda: _keep_svgs(waiting, later.result())


def _without_svg(drawings):
    """The Drawings here not rendered yet, each once."""
    return list({id(d): d for d in drawings if getattr(d, "_svg", "") is None}.values())


def _keep_svgs(drawings, svgs):
    for drawing, svg in zip(drawings, svgs):
        if drawing._svg is None and not isinstance(svg, Exception):
            drawing._svg = svg.decode("utf-8")


def draw(root, highlight=None, rankdir="LR", max_nodes=MAX_NODES, digits=4, group=None):
    """The graph behind `root` as a Drawing (see the module docstring).

    highlight: a Value in the graph (or its label) whose paths from root are marked and whose
        chain rule is written in the caption.
    rankdir: "LR" (inputs left, root right), "TB", "RL" or "BT".
    max_nodes: most boxes to draw before neurons are grouped, and then before refusing;
        None for no limit.
    digits: significant digits of every number shown.
    group: None groups neurons only past max_nodes; True always; False never; "layers" folds
        each layer of a network into one box (see the module docstring).
    """
    _check_options(rankdir, max_nodes, digits, group)
    g = Snapshot(root)
    target = g.find(highlight) if highlight is not None else None
    view = View(rankdir, target)
    full = view.boxes(g)
    if group == "layers":
        view = layer_view(g, rankdir, target)
    elif group or (group is None and max_nodes is not None and full > max_nodes):
        view = View(rankdir, target, g.neurons())
    size = view.boxes(g)
    if max_nodes is not None and size > max_nodes:
        how = "layer" if view.groups else "neuron"
        grouped = f", {size} with each {how} grouped into one box" if view.box and size < full else ""
        raise ValueError(
            f"draw: this graph has {len(g)} values, {full} boxes to draw{grouped}: more than "
            f"max_nodes={max_nodes}. Pass max_nodes={size} (or max_nodes=None for no limit) to draw it "
            f"anyway; layout time grows quickly past about {MAX_NODES} boxes, or draw a smaller part")
    return Drawing(g, view, digits, max_nodes)


def _check_options(rankdir, max_nodes, digits, group):
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw: rankdir={rankdir!r}; choose one of {', '.join(RANKDIRS)}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)
                                  or max_nodes < 1):
        raise ValueError(f"draw: max_nodes={max_nodes!r}; give a positive whole number, or None for no limit")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"draw: digits={digits!r}; give a whole number from 1 to 17")
    if not (group is None or group is True or group is False or group == "layers"):
        raise ValueError(f"draw: group={group!r}; give None (group neurons past max_nodes), True, False or \"layers\"")


def _note(g, num):
    """Why the grads are not shown, when they are not: "" when backward from the root made them."""
    if g.passed is not None:
        return ""
    odd, root = g.odd, g.name(0)
    return (f"No grads shown: {g.name(odd)} holds grad {num(g.grads[odd])}, which a backward() from {root} "
            f"does not give (left from an earlier backward?)")


def _names(names):
    """'h1', 'h1 and h2', 'h1, h2 and y_pred'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
