"""backward() one node at a time, as steps a learner can follow: the walkthrough of any graph.

    steps = walkthrough_steps(L)   # one Step per node that passes a grad on

Each step pauses backward at one node and says what happened there: the grad the node holds,
the local derivatives its op reads from the engine's table of primitives, and the share
(local × grad) that each input receives. The drawing of the step highlights the path from the
root to that node. Nothing here knows about any one demo: a tutorial's network, an expression
typed on the command line or a model's loss are walked alike. Values are named as the drawing
names them. Where the drawing groups each neuron into one box (a graph past its node limit),
the walk steps box by box too: a box's step comes when every node inside it has passed its grad.
"""
from ..engine import backward_order, backward_steps, draw
from ..engine.drawing import Drawing
from ..engine.drawing.snapshot import Snapshot
from ..engine.drawing.views import View
from ..engine.formula import local_rule, output_name
from ..engine.formula import number as fmt  # a float for the step text, as the drawings write it: -0 as 0
from .grads import zero_grads
from .steps import Number, Step


def backward_walk(root, graph=None):
    """backward() one node at a time: yields (node, passes) for every node that passes a grad.

    `passes` lists, for each input that is not a constant, (input, local derivative,
    local × node's grad): the local derivative from the engine's table of primitives, as
    `graph` (root's Snapshot, made here if not given) read it. Leaves and constants pass
    nothing, so backward_steps gives them no step of their own.
    """
    graph = Snapshot(root) if graph is None else graph
    for v in backward_steps(root):
        local = graph.local[graph.index(v)]
        passes = [(x, d, d * v.grad) for x, d in zip(v.inputs, local) if x.op.name != "const"]
        yield v, passes


def walkthrough_steps(root, *, remarks=None, tutorial=None, highlight=None, forward=False, names=None,
                      **draw_options):
    """One Step per node of backward() from `root` (per neuron box where the drawing groups them),
    the grads filling in on the drawing.

    Every grad in root's graph is set to 0 first, so each number shown is d root / d that value.
    Each step is written while the walk is paused at its node: its text, numbers and drawing
    show the grads of that moment.

    remarks: {label: sentence}, a sentence added to the step that passes a grad to that label.
    tutorial: {label: (printed, note)}, what a tutorial prints for d root / d label: it goes on
        that Number in the step where the grad is complete (every user of the value has passed
        its share); `note` says why the two differ, "" if they should not.
    highlight: a value of the graph (or its label) whose chain rule matters: the step where its
        grad is complete draws every path from the root to it, with the product in the caption,
        instead of the path to the node the walk has reached. A label that several values
        share is refused, as draw(highlight=...) refuses it.
    forward: start with a step that shows the forward pass: every value, before any grad.
    names: Names(root), if the caller has made them already (walkthrough() keeps them).
    draw_options: passed on to draw() (rankdir, digits, max_nodes, group); `digits` also sets
        the significant figures of the text. draw()'s ValueError for a graph past max_nodes
        comes before any step is made.
    """
    if not root.inputs:
        raise ValueError(f"nothing to walk through: {_label(root)} was not computed from other values")
    remarks, tutorial = remarks or {}, tutorial or {}
    names = Names(root) if names is None else names
    unknown = sorted((set(remarks) | set(tutorial)) - {v.label for v in names.order})
    if unknown:
        raise ValueError(f"no value of the graph of {names(root)} is labelled {', '.join(map(repr, unknown))}")
    digits = draw_options.get("digits", 4)
    target = None if highlight is None else _find(names, highlight)
    zero_grads(root)
    before = draw(root, **draw_options)  # the graph before backward: it groups neurons or not, and the walk with it
    box = names.graph.neurons() if before.grouped else {}
    drawn = draw(root, **{**draw_options, "group": before.grouped})  # as every backward step draws the graph
    # (its ValueError past max_nodes comes here); each step draws a moment of this snapshot (_drawn_now)
    units = _units(names, box)
    steps = [_forward_step(root, names, units, before, digits)] if forward else []
    waiting = {v: len(users) for v, users in zip(names.order, names.graph.users)}  # uses not passed yet
    done = set()  # values whose grad is complete and was said so
    k = 0
    for v, passes in backward_walk(root, names.graph):
        for x in v.inputs:
            waiting[x] -= 1
        unit = units.get(v)
        if unit is None:  # inside a neuron's box, not the last of it to pass
            continue
        k += 1
        if len(unit) > 1:
            passes = _box_passes(names, unit)
        inside = [x for x in unit[1:] if not x.inputs and x.op.name != "const"]  # a box's own parameters: complete now
        complete = {x for x, _, _ in passes if waiting[x] == 0 and x not in done} | set(inside)
        done |= complete
        lines = _walk_lines(names, unit, passes, inside, complete, k, len(units), digits)
        lines += ["\n" + remarks[x.label] for x in [*(x for x, _, _ in passes), *inside] if x.label in remarks]
        numbers = tuple(_number(names, x, x in complete and tutorial.get(x.label))
                        for x in [*(x for x, _, _ in passes), *inside])
        focus = target if target in complete else unit[0]  # else the path from the root to where the walk is now
        graph = _drawn_now(drawn, names, focus)
        steps.append(Step(f"Backward {k}/{len(units)}: {names(unit[0])}", "\n".join(lines), numbers, graph))
    return steps


def _drawn_now(drawn, names, highlight):
    """What draw(root, highlight=highlight) with `drawn`'s options gives now: `drawn`'s snapshot with
    the grads the values hold now. Its graph is the same at every step, so what a drawing works out
    once about it (its DOT lines, the chain rule to each input) the steps share."""
    moment = drawn.snapshot.moment([v.grad for v in names.order])
    view = View(drawn.view.rankdir, names.index(highlight), drawn.view.box)
    return Drawing(moment, view, drawn.digits, drawn.max_nodes)


class Names:
    """What the walk calls the values of root's graph: what its drawing calls them (a label, a
    formula when it is short, else the op), and the root y (formula.output_name) when it has neither
    label nor short formula, as the chain rule under the drawing does."""

    def __init__(self, root):
        self.graph = Snapshot(root)
        self.order = backward_order(root)  # the snapshot's numbering: order[i] is its value i

    def index(self, v):
        return self.graph.index(v)

    def __call__(self, v):
        i, g = self.index(v), self.graph
        if i == 0 and not (g.labels[0] or 0 in g.roles or g.formulas[0]):  # a role: L for a loss
            return output_name(g.labels)
        return g.name(i)

    def partial(self, y, x):
        """'dL/dw1' for Values y and x, or 'dL/d(w1*x1 + b1)' where one is named by a formula."""
        return f"d{_bracketed(self(y))}/d{_bracketed(self(x))}"

    def leaves(self):
        """The inputs and parameters (not the constants), left to right as the expression is written."""
        found, seen, stack = [], set(), [self.order[0]]
        while stack:
            v = stack.pop()
            if v in seen:
                continue
            seen.add(v)
            if not v.inputs and v.op.name != "const":
                found.append(v)
            stack.extend(reversed(v.inputs))
        return found


def _bracketed(name):
    return name if name.isidentifier() else f"({name})"


def _label(v):
    return v.label or f"the value {v.data:.4g}"


def _find(names, wanted):
    """The value of root's graph that is `wanted` or is labelled so, as draw(highlight=...) finds it:
    ValueError if there is none, and draw's where several values have that label."""
    g = names.graph
    if not (wanted in g.labels if isinstance(wanted, str) else wanted in g):
        raise ValueError(f"highlight: {wanted!r} is not a value of the graph of {names(names.order[0])}")
    return names.order[g.find(wanted)]


def _units(names, box):
    """{the node whose pass completes a step: [the step's node or box head, the box's other members]}.

    Without boxes every node with inputs is its own step. A neuron's box is one step, made when
    the last of its nodes has passed its grad: the walk reaches the box's inputs then.
    """
    g, order = names.graph, names.order
    members = g.members(box)
    units = {}
    for i in range(g.interior):
        head = box.get(i)
        if head is None:
            units[order[i]] = [order[i]]
        elif head == i:
            last = max(m for m in members[i] if g.inputs[m])
            units[order[last]] = [order[m] for m in members[i]]
    return units


def _box_passes(names, unit):
    """(input, d head / d input through the box, that × the head's grad) for each input into a neuron's box."""
    g, head = names.graph, unit[0]
    inside = [names.index(m) for m in unit]
    return [(names.order[x], d, d * head.grad) for x, d in g.into_box(inside) if g.kinds[x] != "const"]


def _forward_step(root, names, units, drawing, digits):
    """The forward pass: each value the walk will visit, computed from the inputs up, before any grad."""
    g = names.graph
    leaves = names.leaves()
    made = [unit[0] for unit in reversed(units.values())]  # the inputs' side first
    start = _list([names(v) for v in leaves]) if len(leaves) <= 6 else f"its {len(leaves)} inputs and parameters"
    lines = [f"The forward pass computes every value from {start or 'its numbers'}, each from its inputs "
             "(the table, in that order). No grads yet: every grad is 0.",
             "",
             f"Then backward() starts at {names(root)} with {names.partial(root, root)} = 1 and passes the grad back, "
             f"one node at a time: {len(units)} step{'s' * (len(units) != 1)}."]
    if len(units) < g.interior:
        lines.append("(Each neuron is one box in this big graph, so one step passes the grad through its whole box.)")
    numbers = tuple(Number(f"{names(v)} = {g.made_of(names.index(v))}" if v.label else names(v), v.data)
                    for v in made)
    return Step(f"Forward: {names(root)} = {fmt(root.data, digits)}", "\n".join(lines), numbers, drawing)


def _list(words):
    """'x', 'x and w', 'x, w and b'."""
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


def _number(names, x, printed):
    """The Number d root / d x; `printed` is (tutorial's string, note) or falsy."""
    tutorial, note = printed or ("", "")
    return Number(names.partial(names.order[0], x), x.grad, tutorial=tutorial, note=note)


def _rules(names, v, digits):
    """The table's rule for each input of v in the graph's own names: 'd(w*x)/dw = x = 0.5, d(w*x)/dx = w = -2'
    (the table's general letters, 'mul: d/da = b, d/db = a', only where it writes none per input)."""
    operands = [names(x) for x in v.inputs]
    local = names.graph.local[names.index(v)]
    parts = []
    for index, x in enumerate(v.inputs):
        if x.op.name == "const":
            continue  # a number written in the expression gets no grad
        rule = local_rule(v.op, index, operands)
        if rule is None:
            return f"{v.op.name}: {v.op.rule}"
        value = fmt(local[index], digits)
        parts.append(f"{names.partial(v, x)} = {rule[0]}" + ("" if rule[0] == value else f" = {value}"))
    return ", ".join(parts)


def _walk_lines(names, unit, passes, inside, complete, step, total, digits):
    """What one backward step did, in words: the grad the node (or box) holds and what it passed on."""
    root, v = names.order[0], unit[0]
    if step == 1:
        lines = [f"Backward starts at {names(root)}: {names.partial(root, v)} = 1."]
    else:
        lines = [f"{names(v)} holds its whole grad now: {names.partial(root, v)} = {fmt(v.grad, digits)}."]
    if step == 2:
        lines.append("(Whole, because every node that uses it has passed its share: that is why backward\n"
                     "visits the nodes in reverse topological order.)")
    if len(unit) > 1:
        lines.append(f"Its neuron is one box here: backward passes the grad through the box's nodes, and each "
                     f"input receives d{_bracketed(names(v))}/d(input) × grad.")
    else:
        lines.append(f"Its local derivatives, from the engine's table of primitives: {_rules(names, v, digits)}.")
    for x, d, share in passes:
        line = f"  to {names(x)}: local {fmt(d, digits)} × grad {fmt(v.grad, digits)} = {fmt(share, digits)}"
        if x.grad != share:
            line += f", added to what it had: now {fmt(x.grad, digits)}"
        lines.append(line + ".")
        if x in complete and not x.inputs:
            lines.append(f"    {names.partial(root, x)} is complete: every node that uses {names(x)} "
                         "has passed its share.")
    if inside:
        lines.append("Inside the box, its parameters' grads are complete: "
                     + ", ".join(f"{names.partial(root, p)} = {fmt(p.grad, digits)}" for p in inside) + ".")
    if any(share == 0.0 for _, _, share in passes):
        lines.append(f"A share of 0 means that input cannot move {names(root)} along this path.")
    if step == total:
        lines.append(f"\nThat was the last node: every grad is complete, as one call of {names(root)}.backward() "
                     "leaves them.")
    return lines
