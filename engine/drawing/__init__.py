"""draw(root): the graph behind a Value, with the chain rule written on its edges.

    g = draw(loss, highlight=w1)   # shown inline in Jupyter
    g.source                       # the DOT text
    g.pipe(format="svg")           # bytes
    g.render("loss", format="svg") # writes loss.svg

What the picture shows:

- A value is a box `label | data | grad`. Parameters are orange, inputs you give blue,
  intermediate values white, the root green; a constant written in an expression is a small
  grey dashed box with just its number.
- An op is a circle with its symbol (hover over it for its rule, e.g. "d/da = b, d/db = a").
- Every operand draws its own edge from the input's box to the op (`a*a` draws two). The edge
  says `local d`: d out / d input, read from the primitive table, the same numbers backward()
  uses. After backward it also says `d x g = p`: the local derivative times the grad of the
  op's output, the term of the chain rule that lands in the input's grad.
- `highlight=v` (a Value, or the label of one) draws every path from the root to v in red and
  writes the chain rule for it in the caption, e.g.

      dL/dw1 = dL/dy_pred x dy_pred/dh1 x dh1/dw1 = -0.9526 x 0.2494 x -0.09035 = 0.02147
      op by op: (0.9526 x -1) x (0.2494 x 1 x 1 x 1) x (0.04518 x 1 x 1 x -2)

  The first line groups the factors between labelled values (here y_pred and h1), so it reads
  like a tutorial's neuron-level derivation; the second gives every op's local derivative on
  the way. Several paths add up (`a x b + c x d`); past MAX_PATHS paths or MAX_FACTORS
  factors the caption says what was summed and gives the total.
- Big graphs: past `max_nodes` boxes the drawing groups each neuron (an activation, or a `dot`
  over parameters, with the arithmetic and parameters only it uses) into one box, whose edges
  carry d neuron / d input. If that is still too many, draw() refuses and says how to lift
  the limit. `group=True` groups always, `group=False` never.

Rendering (engine.render) needs no system Graphviz for SVG. Node ids are positions in the
backward order, so the same graph gives byte-identical DOT.
"""
import math
import os
import re

import graphviz
from graphviz import nohtml

from ..formula import describe
from ..primitives import PRIMITIVES
from .render import TIMEOUT, render as render_bytes
from ..value import backward_order

MAX_NODES = 800  # boxes drawn (a value and its op count two): 0.2-0.5 s with wasm, measured
MAX_PATHS = 6  # paths written out in a highlight's caption; more are summed without factors
MAX_FACTORS = 24  # local derivatives written out in a caption; more: the total alone
MAX_FORMULA = 32  # characters of formula that may name an unlabelled value in a caption
ACTIVATIONS = frozenset(op.name for op in PRIMITIVES.values() if op.kind == "activation")  # from the table
RANKDIRS = ("LR", "TB", "RL", "BT")

FILL = {"param": "#FFE1BD", "input": "#D5E6F8", "value": "#FFFFFF", "root": "#D9F0D3",
        "neuron": "#ECE3F5"}
LINE = "#555555"
HIGHLIGHT = "#D62728"
FONT = "Helvetica"


class Drawing:
    """A drawn graph: `.source` (DOT), `.pipe(format)` -> bytes, `.render(filename)` -> path.

    `.digraph` is the underlying graphviz.Digraph, `.caption` the chain-rule lines written for
    `highlight=` (empty without), `.grouped` whether neurons were grouped into boxes.
    Jupyter shows it as SVG (rendered without system Graphviz); if that fails it shows a hint.
    """

    def __init__(self, digraph, caption=(), grouped=False, boxes=0):
        self.digraph = digraph
        self.caption = list(caption)
        self.grouped = grouped
        self.boxes = boxes
        self._svg = None

    @property
    def source(self):
        """The DOT text."""
        return self.digraph.source

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
        else svg.
        """
        path = os.fspath(filename)
        suffix = os.path.splitext(path)[1][1:].lower()
        if format is None:
            format = suffix if suffix in ("svg", "png", "pdf", "dot", "gv") else "svg"
        if suffix != format.lower():
            path = f"{path}.{format}"
        data = self.pipe(format, engine, timeout)
        with open(path, "wb") as file:
            file.write(data)
        return path

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        """Jupyter: the SVG; never raises (a text hint instead)."""
        try:
            if self._svg is None:
                self._svg = self.pipe("svg").decode("utf-8")
        except Exception as e:  # shown in a notebook, so it must not raise
            return {"text/plain": f"{self!r}: could not draw it as SVG ({e}); .source has the DOT text"}
        return {"image/svg+xml": self._svg, "text/plain": repr(self)}

    def __repr__(self):
        return f"<Drawing: {self.boxes} boxes{', neurons grouped' if self.grouped else ''}>"


def draw(root, highlight=None, rankdir="LR", max_nodes=MAX_NODES, digits=4, group=None):
    """The graph behind `root` as a Drawing (see the module docstring).

    highlight: a Value in the graph (or its label) whose paths from root are marked and whose
        chain rule is written in the caption.
    rankdir: "LR" (inputs left, root right), "TB", "RL" or "BT".
    max_nodes: most boxes to draw before neurons are grouped, and then before refusing;
        None for no limit.
    digits: significant digits of every number shown.
    group: None groups neurons only past max_nodes; True always; False never.
    """
    _check_options(rankdir, max_nodes, digits, group)
    graph = _Graph(root, digits, rankdir)
    target = graph.find(highlight) if highlight is not None else None
    boxes = {}
    if group or (group is None and max_nodes is not None and graph.size({}) > max_nodes):
        boxes = graph.neurons()
    size = graph.size(boxes)
    if max_nodes is not None and size > max_nodes:
        full = graph.size({})
        grouped = f", {size} with each neuron grouped into one box" if boxes and size < full else ""
        raise ValueError(
            f"draw: this graph has {len(graph.order)} values, {full} boxes to draw{grouped}: more than "
            f"max_nodes={max_nodes}. Pass max_nodes={size} (or max_nodes=None for no limit) to draw it "
            f"anyway; layout time grows quickly past about {MAX_NODES} boxes, or draw a smaller part")
    caption = graph.chain_rule(target) if target is not None else []
    return Drawing(graph.dot(boxes, target, caption), caption, grouped=bool(boxes), boxes=size)


def _check_options(rankdir, max_nodes, digits, group):
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw: rankdir={rankdir!r}; choose one of {', '.join(RANKDIRS)}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)
                                  or max_nodes < 1):
        raise ValueError(f"draw: max_nodes={max_nodes!r}; give a positive whole number, or None for no limit")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"draw: digits={digits!r}; give a whole number from 1 to 17")
    if group not in (None, True, False):
        raise ValueError(f"draw: group={group!r}; give None (group past max_nodes), True or False")


def number(x, digits=4):
    """x with `digits` significant digits, no trailing zeros: -0.952, 0.02147, 2, 1.5e-7."""
    x = float(x)
    if x == 0.0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    shown = f"{x:.{digits}g}"
    if "e" in shown:
        mantissa, exponent = shown.split("e")
        shown = f"{mantissa}e{int(exponent)}"
    return shown


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_RECORD_SPECIAL = re.compile(r"([{}|<> ])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def text(s):
    """Any text as a DOT label string (pass it through graphviz.nohtml): a line break per line,
    & as an entity (Graphviz reads entities in labels), backslashes and quotes escaped, and
    characters XML cannot carry (controls, lone surrogates) written out as \\xNN."""
    return "\\n".join(_escape(line) for line in lines(s))


def field(s):
    """Any text as one field of a record label: as text(), with { } | < > and spaces escaped."""
    return "\\n".join(_RECORD_SPECIAL.sub(r"\\\1", _escape(line)) for line in lines(s))


def lines(s):
    """s split at line breaks: \\n, \\r\\n or \\r (other separators are shown, not broken at)."""
    return _LINE_BREAK.split(str(s))


def _escape(line):
    line = _XML_INVALID.sub(_visible, line.replace("\t", " "))  # a record drops tabs; a space stays
    return line.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')


def _visible(match):
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class _Graph:
    """The values behind a root, their local derivatives, and how to write them as DOT."""

    def __init__(self, root, digits, rankdir):
        if not hasattr(root, "inputs") or not hasattr(root, "op"):
            raise TypeError(f"draw takes a Value, not {type(root).__name__} {root!r}")
        self.root = root
        self.rankdir = rankdir
        self.across = rankdir in ("LR", "RL")  # a record's top level runs down in LR, across in TB
        self.order = backward_order(root)  # root first, each value before its inputs
        self.index = {id(v): i for i, v in enumerate(self.order)}
        self.digits = digits
        self.local = {id(v): _local(v) for v in self.order if v.inputs}
        self.after_backward = any(v.grad != 0.0 for v in self.order)

    def num(self, x):
        return number(x, self.digits)

    def find(self, wanted):
        """The value `highlight=` names: a Value in this graph, or the label of exactly one."""
        if isinstance(wanted, str):
            found = [v for v in self.order if v.label == wanted]
            if len(found) != 1:
                how = "no value" if not found else f"{len(found)} values"
                raise ValueError(f"draw: highlight={wanted!r}: {how} in this graph has that label; "
                                 f"pass the Value itself")
            return found[0]
        if id(wanted) not in self.index or self.order[self.index[id(wanted)]] is not wanted:
            raise ValueError(f"draw: highlight={wanted!r} is not part of the graph of {self.root!r}")
        return wanted

    def reaching(self, target):
        """ids of the values on some path from the root to target (those that depend on it)."""
        on = {id(target)}
        for v in reversed(self.order):  # inputs before the values made from them
            if any(id(x) in on for x in v.inputs):
                on.add(id(v))
        return on

    # --- neurons --------------------------------------------------------------------------------

    def neurons(self):
        """id(v) -> the head of the neuron box v is drawn in (a head maps to itself).

        A head is an activation, or a `dot` over parameters not fed to an activation. A box takes
        in the parameters, constants and arithmetic used only inside it; inputs, other heads and
        values used elsewhere stay outside and become the box's incoming edges.
        """
        users = {}
        for v in self.order:
            for x in v.inputs:
                users.setdefault(id(x), []).append(v)
        box = {}
        for v in self.order:  # every value comes after all the values made from it
            name = v.op.name
            if name in ACTIVATIONS or (name == "dot" and any(x.op.name == "param" for x in v.inputs)
                                       and not all(u.op.name in ACTIVATIONS for u in users.get(id(v), ()))):
                box[id(v)] = v
            elif v is not self.root and name != "input":
                heads = {id(box.get(id(u))) for u in users[id(v)]}
                head = box.get(id(users[id(v)][0]))
                if head is not None and len(heads) == 1:
                    box[id(v)] = head
        return box

    def size(self, box):
        """Boxes drawn: one per value (two when an op made it), one per neuron."""
        n = 0
        for v in self.order:
            head = box.get(id(v))
            n += 1 if head is v else 0 if head is not None else 2 if v.inputs else 1
        return n

    # --- the chain rule for highlight= ----------------------------------------------------------

    def chain_rule(self, target):
        """The caption lines: d root / d target as products of local derivatives along paths."""
        num = self.num
        top, bottom = _name(self.root, "out"), _name(target, "v")
        if target is self.root:
            return [f"d{top}/d{top} = 1"]
        on = self.reaching(target)
        paths_below = {id(target): 1}  # number of paths from a value down to target
        for v in reversed(self.order):
            if id(v) in on and v is not target:
                paths_below[id(v)] = sum(paths_below.get(id(x), 0) for x in v.inputs)
        d = {id(self.root): 1.0}  # d root / d v over the paths to target: backward, restricted
        for v in self.order:
            if id(v) in on and v is not target:
                for x, dx in zip(v.inputs, self.local[id(v)]):
                    if id(x) in on:
                        d[id(x)] = d.get(id(x), 0.0) + d[id(v)] * dx
        total, count = d[id(target)], paths_below[id(self.root)]
        short = [f"d{top}/d{bottom} = " + (
            "the product of the local derivatives along the path" if count == 1 else
            f"the sum over {count} paths of the product of the local derivatives along each")
            + f" = {num(total)}"]
        if count > MAX_PATHS:
            return short
        paths = [self._segments(path, target, top) for path in self._paths(target, on)]
        written = sum(len(f) for segments in paths for _, _, f in segments)  # op-level factors
        if max(len(segments) for segments in paths) > 1:  # labelled values on the way: group
            if sum(len(segments) for segments in paths) > MAX_FACTORS:
                return short
            names = " + ".join(" x ".join(f"d{a}/d{b}" for a, b, _ in segments) for segments in paths)
            values = " + ".join(" x ".join(num(math.prod(f)) for _, _, f in segments) for segments in paths)
            lines = [_equation(f"d{top}/d{bottom}", names, values, num(total))]
            if written <= MAX_FACTORS:
                lines.append("op by op: " + " + ".join(
                    " x ".join(_factors(f, num, brackets=True) for _, _, f in segments) for segments in paths))
            return lines
        if written > MAX_FACTORS:
            return short
        values = " + ".join(_factors(segments[0][2], num) for segments in paths)
        return [_equation(f"d{top}/d{bottom}", values, num(total))]

    def _paths(self, target, on):
        """Every path from the root to target, as the list of local derivatives and the values
        it passes (a repeated operand makes two paths)."""
        out = []
        stack = [(self.root, [], [])]
        while stack:
            v, factors, passed = stack.pop()
            if v is target:
                out.append((factors, passed))
                continue
            steps = [(x, dx) for x, dx in zip(v.inputs, self.local[id(v)]) if id(x) in on]
            for x, dx in reversed(steps):
                stack.append((x, factors + [dx], passed + [x]))
        return out

    @staticmethod
    def _segments(path, target, top):
        """Split a path at labelled intermediate values: [(from name, to name, factors)]."""
        factors, passed = path
        segments, start, run = [], top, []
        for dx, x in zip(factors, passed):
            run.append(dx)
            if x is target or (x.label and x.inputs):
                end = _name(x, "v")
                segments.append((start, end, run))
                start, run = end, []
        return segments

    # --- DOT ------------------------------------------------------------------------------------

    def dot(self, box, target, caption):
        """The graphviz.Digraph: boxes in backward order, ids v<i> (value or neuron), op<i>."""
        on = self.reaching(target) if target is not None else set()
        g = graphviz.Digraph("chainrule", graph_attr={
            "rankdir": self.rankdir, "fontname": FONT, "bgcolor": "white", "pad": "0.2", "nodesep": "0.25",
            "ranksep": "0.35", "labelloc": "b", "fontsize": "13", "fontcolor": HIGHLIGHT},
            node_attr={"fontname": FONT, "fontsize": "11", "color": LINE, "style": "filled"},
            edge_attr={"fontname": FONT, "fontsize": "9", "color": LINE, "fontcolor": "#333333",
                       "arrowsize": "0.6"})
        members = {}
        for v in self.order:
            head = box.get(id(v))
            if head is not None:
                members.setdefault(id(head), []).append(v)
        for i, v in enumerate(self.order):
            head = box.get(id(v))
            if head is v:
                inside = members[id(v)]
                g.node(f"v{i}", self._neuron_label(v, inside), shape="Mrecord", fillcolor=FILL["neuron"],
                       **_lit(any(id(m) in on for m in inside)))
                for x, dx in self._into_box(inside):
                    self._edge(g, x, f"v{i}", dx, v.grad, id(x) in on)
            elif head is None:
                self._value_node(g, f"v{i}", v, id(v) in on)
                if v.inputs:
                    symbol = v.op.symbol
                    g.node(f"op{i}", nohtml(text(symbol)), tooltip=nohtml(text(v.op.rule)),
                           shape="circle" if len(symbol) <= 2 else "ellipse", fillcolor="#F4F4F4",
                           margin="0.03", width="0.3", height="0.3", **_lit(id(v) in on))
                    g.edge(f"op{i}", f"v{i}", **_lit(id(v) in on))
                    for x, dx in zip(v.inputs, self.local[id(v)]):
                        self._edge(g, x, f"op{i}", dx, v.grad, id(x) in on)
        if caption:
            g.attr(label=nohtml(text("\n".join(caption))))
        return g

    def _edge(self, g, x, head, dx, grad, lit):
        """input x -> op (or neuron): the local derivative and, after backward, local x grad."""
        num = self.num
        label = f"local {num(dx)}"
        if self.after_backward:
            label += f"\n{num(dx)} x {num(grad)} = {num(dx * grad)}"
        style = {"fontcolor": HIGHLIGHT, **_lit(True)} if lit else {}
        g.edge(f"v{self.index[id(x)]}", head, label=nohtml(text(label)), **style)

    def _value_node(self, g, name, v, lit):
        kind = v.op.name
        if kind == "const":
            g.node(name, nohtml(text(self.num(v.data))), shape="box", style="rounded,dashed,filled",
                   fillcolor="#F2F2F2", fontcolor="#444444", margin="0.06,0.02", width="0.3",
                   height="0.25", **_lit(lit))
            return
        cells = [field(v.label)] if v.label else []
        cells += [field(f"data {self.num(v.data)}"), field(f"grad {self.num(v.grad)}")]
        fill = FILL["root"] if v is self.root else FILL.get(kind, FILL["value"])
        g.node(name, nohtml(self._row(cells)), shape="Mrecord", fillcolor=fill, **_lit(lit))

    def _neuron_label(self, head, inside):
        params = _params_as_written(head, {id(m) for m in inside})
        title = f"{head.label}: " if head.label else ""
        rows = [field(f"{title}{head.op.symbol} {'neuron' if params else 'node'}"),
                self._row([field(f"data {self.num(head.data)}"), field(f"grad {self.num(head.grad)}")])]
        if params:
            rows.append(field(_summary(params)))
        return nohtml(self._column(rows))

    def _row(self, cells):
        return "{" + "|".join(cells) + "}" if self.across else "|".join(cells)

    def _column(self, cells):
        return "|".join(cells) if self.across else "{" + "|".join(cells) + "}"

    def _into_box(self, inside):
        """(outside input, d head / d input) for a neuron box, each input once, in order."""
        head, members = inside[0], {id(m) for m in inside}
        d = {id(head): 1.0}
        outside = {}
        for v in inside:  # in backward order: a value's grad is complete before its inputs
            for x, dx in zip(v.inputs, self.local.get(id(v), ())):
                share = d.get(id(v), 0.0) * dx
                if id(x) in members:
                    d[id(x)] = d.get(id(x), 0.0) + share
                else:
                    previous = outside.get(id(x), (x, 0.0))[1]
                    outside[id(x)] = (x, previous + share)
        return list(outside.values())


def _lit(lit):
    """The style of a box or edge on a highlighted path."""
    return {"color": HIGHLIGHT, "penwidth": "2"} if lit else {}


def _local(v):
    """d v / d input for each input of v, from the primitive table (nan where undefined)."""
    try:
        return tuple(float(d) for d in v.op.local(v.data, *[x.data for x in v.inputs]))
    except (ArithmeticError, ValueError):
        return (math.nan,) * len(v.inputs)


def _name(v, fallback):
    """v's label; else its formula in parentheses when short (`(w1*x1 + b1)`); else fallback."""
    if v.label:
        return v.label
    formula = describe(v)
    return f"({formula})" if len(formula) <= MAX_FORMULA else fallback


def _factors(factors, num, brackets=False):
    written = " x ".join(num(f) for f in factors)
    return f"({written})" if brackets and len(factors) > 1 else written


def _equation(*sides):
    """a = b = c, leaving out a side equal to the one before it (d/dx = 2, not d/dx = 2 = 2)."""
    kept = [sides[0]]
    for side in sides[1:]:
        if side != kept[-1]:
            kept.append(side)
    return " = ".join(kept)


def _params_as_written(head, members):
    """The parameters among a box's members, left to right as the expression was written."""
    found, seen, stack = [], set(), [head]
    while stack:
        v = stack.pop()
        if id(v) in seen or id(v) not in members:
            continue
        seen.add(id(v))
        if v.op.name == "param":
            found.append(v)
        stack.extend(reversed(v.inputs))
    return found


def _summary(params):
    """The parameters of a neuron box in a few words: their labels, or a shared prefix and a count."""
    labels = [p.label for p in params]
    if len(params) <= 3 and all(labels):
        return ", ".join(labels)
    prefix = os.path.commonprefix(labels) if all(labels) else ""
    prefix = prefix[: prefix.rfind(".") + 1] if "." in prefix else prefix
    return f"{prefix}* ({len(params)} params)" if prefix else f"{len(params)} params"
