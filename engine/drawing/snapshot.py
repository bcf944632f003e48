"""The graph behind a root as draw() found it: values, local derivatives, neurons, how far backward got.

A drawing is a picture of one moment. Demos draw a step, then train on: so everything a
drawing shows is copied here when draw() is called (data, grads, labels, names), and views
made later (a step's part of the graph, the full graph) all show that same moment.

Values are numbered by their position in backward_order(root): 0 is the root, and every
value comes before the values it was made from. Those numbers are also the DOT ids.
"""
import copy
import math
from collections import namedtuple

from ..formula import ATOM, NEGATIVE, describe, output_name, precedence, write
from ..primitives import PRIMITIVES
from ..value import backward_order

ACTIVATIONS = frozenset(op.name for op in PRIMITIVES.values() if op.kind == "activation")  # from the table
FORMULA_SIZE = 16  # values a formula may spell out before a value is named by its op alone
FORMULA_LENGTH = 60  # characters of formula a name may have
CAPTION_FORMULA = 32  # characters of formula that may name a value in a caption


class Snapshot:
    """The values behind `root`, numbered in backward order, with what a drawing needs to know."""

    def __init__(self, root):
        if not hasattr(root, "inputs") or not hasattr(root, "op"):
            raise TypeError(f"draw takes a Value, not {type(root).__name__} {root!r}")
        order = backward_order(root)
        position = {id(v): i for i, v in enumerate(order)}
        self.position = position  # {id(value): index}, while the graph is alive; the Values are not kept
        self.labels = [v.label for v in order]
        self.kinds = [v.op.name for v in order]
        self.ops = [v.op for v in order]
        self.data = [v.data for v in order]
        self.grads = [v.grad for v in order]
        self.inputs = [tuple(position[id(x)] for x in v.inputs) for v in order]
        self.local = [_local(v) for v in order]
        self.users = [[] for _ in order]
        for i, xs in enumerate(self.inputs):
            for x in xs:
                self.users[x].append(i)
        self.interior = sum(1 for xs in self.inputs if xs)  # values with inputs come first
        self.formulas = _formulas(order, self.inputs)
        self.roles = _roles(self.kinds, self.labels, self.inputs)
        called = own_name(root, self.labels)
        if called:
            self.roles[0] = called  # an unlabelled loss: L
        self.passed, self.odd = backward_state(self)
        self.shared = {}  # what drawings work out once for this graph (dot.py's lines), shared by its moments

    def once(self, key, make):
        """shared[key], made by make() the first time it is asked for: a fact of this graph's shape
        that its drawings and moments work out once."""
        found = self.shared.get(key)
        if found is None:
            found = self.shared[key] = make()
        return found

    def moment(self, grads):
        """The same graph at another moment of a backward: `grads` (one per value, in backward order)
        in place of the ones copied; everything else, `shared` included, is this snapshot's."""
        other = copy.copy(self)
        other.grads = list(grads)
        other.passed, other.odd = backward_state(other)
        return other

    def __len__(self):
        return len(self.labels)

    def __contains__(self, value):
        """`v in snapshot`: whether v is one of this graph's Values (ask while the graph is alive)."""
        return id(value) in self.position

    def index(self, value):
        """The number of a Value of this graph: its position in backward order (ask while the graph is
        alive); KeyError for a Value that is not in it."""
        return self.position[id(value)]

    def name(self, i, short=False):
        """What to call value i: its label (or role: `w1` for an unlabelled weight of a dot, `L` for an
        unlabelled loss), else its formula (`w1*x1 + b1`), else its op (`tanh(…)`), or for an
        unlabelled leaf its number.

        short=True names it for a caption: the label, or the formula in parentheses when it is
        short (`(w1*x1 + b1)`); None when there is no short name.
        """
        label, formula = self.labels[i] or self.roles.get(i), self.formulas[i]
        if label:
            return label
        if short:
            return f"({formula})" if formula and len(formula) <= CAPTION_FORMULA else None
        if formula:
            return formula
        return f"{self.ops[i].symbol}(…)" if self.inputs[i] else f"{self.data[i]:.4g}"

    def made_of(self, i):
        """How value i was made, one op deep, its inputs by name: `sigmoid(w1*x1 + b1)`, `(1 - y)**2`,
        the op written as describe() writes it (formula.write)."""
        return write(self.ops[i], [self._operand(x) for x in self.inputs[i]])[0]

    def _operand(self, x):
        """(name, precedence) of value x as formula.write takes an operand: a label or a role holds
        together; a formula (`w*x + b`, or one cut short, `-(…)`) binds as its op; a number as
        describe() writes it."""
        name = self.name(x)
        if self.labels[x] or x in self.roles:
            return name, ATOM
        if not self.inputs[x]:
            return name, NEGATIVE if self.data[x] < 0.0 else ATOM
        return name, precedence(self.ops[x])

    def find(self, wanted):
        """The index of the value `highlight=` names: a Value of this graph, or the label of exactly one
        (find() below, which the quiz's wrt= uses too).

        Called while the root is alive (in draw()), so an id names one Value of the graph."""
        return find(wanted, self.labels, self.position, "draw: highlight", self.name(0))

    def reaching(self, target):
        """The values on some path from the root down to target (those that depend on it), target included."""
        on = {target}
        for i in range(target - 1, -1, -1):  # every value comes before its inputs
            if any(x in on for x in self.inputs[i]):
                on.add(i)
        return on

    def has_passed(self, i):
        """True when value i has passed its grad on to its inputs in the backward this snapshot shows."""
        return self.passed is not None and i < self.passed

    # --- neurons ----------------------------------------------------------------------------------

    def neurons(self):
        """{i: head} for every value drawn inside a neuron's box (a head maps to itself).

        A head is an activation, or a `dot` over parameters not fed to an activation. A box takes
        in the parameters, constants and arithmetic used only inside it; inputs, other heads and
        values used elsewhere stay outside and become the box's incoming edges. The root is
        never inside another value's box.
        """
        box = {}
        for i, kind in enumerate(self.kinds):  # users come before the values they use
            users = self.users[i]
            if kind in ACTIVATIONS or (kind == "dot" and any(self.kinds[x] == "param" for x in self.inputs[i])
                                       and not all(self.kinds[u] in ACTIVATIONS for u in users)):
                box[i] = i
            elif i != 0 and kind != "input":
                heads = {box.get(u) for u in users}
                if len(heads) == 1 and None not in heads:
                    box[i] = heads.pop()
        return box

    def members(self, box):
        """{head: [values inside its box]} in backward order, the head first."""
        inside = {}
        for i, head in box.items():
            inside.setdefault(head, []).append(i)
        return {head: sorted(values) for head, values in inside.items()}

    def params_as_written(self, head, members):
        """The parameters among a box's members, left to right as the expression was written."""
        found, seen, stack = [], set(), [head]
        while stack:
            i = stack.pop()
            if i in seen or i not in members:
                continue
            seen.add(i)
            if self.kinds[i] == "param":
                found.append(i)
            stack.extend(reversed(self.inputs[i]))
        return found

    def into_box(self, inside):
        """[(outside input, d head / d input)] for a neuron's box, each input once, in order met."""
        head, members = inside[0], set(inside)
        d = {head: 1.0}
        outside = {}
        for i in inside:  # in backward order: a value's d head/d value is complete before its inputs
            for x, dx in zip(self.inputs[i], self.local[i]):
                share = d.get(i, 0.0) * dx
                if x in members:
                    d[x] = d.get(x, 0.0) + share
                else:
                    outside[x] = outside.get(x, 0.0) + share
        return list(outside.items())

    def above(self, inside, x):
        """The members of a box whose value depends on x (they pass x its share of the box's grad)."""
        depends = {x}
        for i in reversed(inside):  # inputs before the values made from them
            if any(y in depends for y in self.inputs[i]):
                depends.add(i)
        return depends - {x}

    # --- layers -----------------------------------------------------------------------------------

    def layers(self):
        """The layers of the graph, nearest the inputs first: a list of Layer records.

        A layer is the `dot` nodes over parameters that read exactly the same inputs, the same
        values in the same order (nn's neurons of one layer share one tuple of inputs), with
        the activation applied to each of them: the rows of one matrix product W x + b, then
        the activation elementwise. A dot whose only user is an activation ends in it; any
        other ends in itself (a linear layer). A dot whose inputs are all parameters (l2's
        p . p) is no layer.
        """
        written = self.as_written()
        found = {}  # the inputs read, as a tuple of values -> the dots that read them
        for i, kind in enumerate(self.kinds):
            if kind != "dot":
                continue
            inputs = self.inputs[i]
            n = len(inputs) // 2
            weights, xs = inputs[:n] + inputs[2 * n :], inputs[n : 2 * n]
            if all(self.kinds[w] == "param" for w in weights) and not all(self.kinds[x] == "param" for x in xs):
                found.setdefault(xs, []).append(i)
        made = {}  # value -> the found group whose output it is
        groups = []
        for xs, dots in found.items():
            dots.sort(key=written.__getitem__)  # the neurons in the order the expression reads them
            outputs = tuple(self._activation_of(d) for d in dots)
            for out in outputs:
                made[out] = len(groups)
            groups.append((xs, tuple(dots), outputs))
        depth = [1] * len(groups)
        changed = True
        while changed:  # a layer is one deeper than the deepest layer it reads from
            changed = False
            for k, (xs, _, _) in enumerate(groups):
                deepest = max((depth[made[x]] + 1 for x in xs if x in made), default=1)
                if deepest > depth[k]:
                    depth[k], changed = deepest, True
        layers = []
        for k, (xs, dots, outputs) in enumerate(groups):
            n = len(xs)
            weights = tuple(w for d in dots for w in self.inputs[d][:n])
            biases = tuple(self.inputs[d][2 * n] for d in dots if len(self.inputs[d]) > 2 * n)
            kinds = {self.kinds[out] for out, d in zip(outputs, dots) if out != d} | (
                {"linear"} if any(out == d for out, d in zip(outputs, dots)) else set())
            activation = kinds.pop() if len(kinds) == 1 else "mixed"
            layers.append(Layer(depth[k], dots, outputs, xs, activation, weights, biases))
        layers.sort(key=lambda layer: (layer.depth, -max(layer.dots)))
        return layers

    def _activation_of(self, dot):
        """The activation a dot ends in: its only user when that is an activation, else the dot itself."""
        users = self.users[dot]
        return users[0] if len(users) == 1 and self.kinds[users[0]] in ACTIVATIONS else dot

    def as_written(self):
        """{value: its place in a left-to-right reading of the root's expression} (the root is 0)."""
        place, stack = {}, [0]
        while stack:
            i = stack.pop()
            if i in place:
                continue
            place[i] = len(place)
            stack.extend(reversed(self.inputs[i]))
        return place


class Layer(namedtuple("Layer", "depth dots outputs xs activation weights biases")):
    """One layer found in a snapshot (Snapshot.layers): value indices, in the neurons' order.

    depth       1 for a layer that reads no other layer's outputs, else one more than the deepest it reads
    dots        its dot nodes, one per neuron: the rows of W x + b
    outputs     what each neuron ends in: its activation, or its dot when it has none
    xs          the inputs every dot reads, in order
    activation  the activations' name ("relu"), "linear" for none, "mixed" when they differ
    weights     the weight parameters, neuron by neuron (W row by row)
    biases      the bias parameters, one per neuron (none when the dots have no bias)
    """

    __slots__ = ()

    @property
    def shape(self):
        """(nout, nin): W's shape."""
        return len(self.dots), len(self.xs)

    def members(self):
        """The values its box draws: the dots and their activations."""
        return set(self.dots) | set(self.outputs)


def find(wanted, labels, position, what, graph):
    """The index of `wanted` among a graph's values, numbered by position ({id(value): index}) and
    labelled `labels`: a Value of the graph, or the label of exactly one. draw()'s highlight= and
    the quiz's wrt= take a value so.

    Otherwise ValueError, its message starting `what=wanted` ("draw: highlight='w9'", "wrt='q'");
    `graph` names the graph there (its root's name, "the output"). Call it while the graph is
    alive, so that an id names one of its Values.
    """
    if isinstance(wanted, str):
        found = [i for i, label in enumerate(labels) if label == wanted]
        if len(found) != 1:
            how = "no value in this graph has" if not found else f"{len(found)} values in this graph have"
            raise ValueError(f"{what}={wanted!r}: {how} that label; pass the Value itself")
        return found[0]
    if id(wanted) not in position:
        raise ValueError(f"{what}={wanted!r} is not part of the graph of {graph}")
    return position[id(wanted)]


def _local(v):
    """d v / d input for each input of v, from the primitive table (nan where undefined)."""
    if not v.inputs:
        return ()
    try:
        return tuple(float(d) for d in v.op.local(v.data, *[x.data for x in v.inputs]))
    except (ArithmeticError, ValueError):
        return (math.nan,) * len(v.inputs)


def _formulas(order, inputs):
    """The formula of every unlabelled value with inputs (`w1*x1 + b1`), or None when it would be long.

    describe() spells a formula down to labelled values and numbers; a value it would spell
    out with more than FORMULA_SIZE values (shared ones counted each time) gets none, so
    naming every value of a big graph stays linear.
    """
    size = [1] * len(order)
    for i in range(len(order) - 1, -1, -1):  # inputs before the values made from them
        if inputs[i] and not order[i].label:
            size[i] = min(FORMULA_SIZE + 1, 1 + sum(size[x] for x in inputs[i]))
    formulas = []
    for i, v in enumerate(order):
        formula = None
        if inputs[i] and not v.label and size[i] <= FORMULA_SIZE:
            formula = describe(v)
            formula = formula if len(formula) <= FORMULA_LENGTH else None
        formulas.append(formula)
    return formulas


def own_name(root, taken=()):
    """What an unlabelled root is called for what it is, or None: L for a loss. The class of what
    nn's loss functions return (nn.losses.Loss) says so in `unlabelled_name`; a name that one of
    `taken` (the graph's labels) already is, is not given again."""
    name = getattr(root, "unlabelled_name", None)
    return name if name and not root.label and name not in taken else None


def root_name(root, taken=()):
    """What an unlabelled root is called: L for a loss (own_name), else y, or f, g, h where y is
    taken (formula.output_name)."""
    return own_name(root, taken) or output_name(taken)


def _roles(kinds, labels, inputs):
    """Names for unlabelled parameters and inputs by their place in the `dot(ws, xs, b)` they
    feed, as a neuron's formula reads: w1, w2, ..., x1, x2, ..., b. Any other unlabelled
    parameter is a "param"; another unlabelled input keeps its number."""
    roles = {}
    for i, xs in enumerate(inputs):
        n = len(xs) // 2 if kinds[i] == "dot" else 0
        for j, x in enumerate(xs):
            if labels[x] or x in roles or kinds[x] not in ("param", "input"):
                continue
            if n:
                roles[x] = f"w{j + 1}" if j < n else f"x{j - n + 1}" if j < 2 * n else "b"
            elif kinds[x] == "param":
                roles[x] = "param"
    return roles


def backward_state(g):
    """How far a backward() from the root explains the grads the values hold: (passed, odd).

    passed is -1 when no backward has run (every grad 0); k >= 0 when the grads are what
    backward gives after seeding d root/d root = 1 and letting the first k values (in backward
    order) pass their grad on; the largest such k. It is None when no moment of a backward from
    this root gives these grads (grads left from training, or from a backward of another value):
    then `odd` is a value whose grad shows it, and the drawing shows no grads.
    """
    stored = g.grads
    if not any(stored):
        return -1, None
    scale = max([1.0, *(abs(x) for x in stored if math.isfinite(x))])

    def off(i):
        return not math.isclose(stored[i], expected[i], rel_tol=1e-9, abs_tol=1e-12 * scale)

    expected = [0.0] * len(stored)
    expected[0] = 1.0
    wrong = {i for i in range(len(stored)) if off(i)}
    passed = None if wrong else 0
    for k in range(g.interior):  # backward's own walk: value k adds local x its grad to each input
        grad = expected[k]
        for x, dx in zip(g.inputs[k], g.local[k]):
            expected[x] += dx * grad
            if off(x):
                wrong.add(x)
            else:
                wrong.discard(x)
        if not wrong:
            passed = k + 1
    if passed is not None:
        return passed, None
    return None, min(wrong, key=lambda i: (stored[i] == 0.0, i))  # one that holds a grad, if any
