"""compile(fn): record the graph that fn() builds, then replay its forward and backward on floats.

    step = chainrule.compile(lambda: hinge([model(x) for x in X], y) + 1e-4 * l2(params))
    for _ in range(100):
        opt.zero_grad()
        loss = step()       # a float; every parameter's grad is filled, as by fn().backward()
        opt.step()

Recording calls fn() twice and compares the two graphs: a value that is the same object both
times (a parameter, an input you hold) is *read* at every call, its data and its grad; a value
that fn() makes anew each time (a data point wrapped in a Value, a constant such as the 1 in
1 - y*s) is a number written into the replay. Everything computed from read values is
recomputed; everything computed from numbers alone is a number too. The replay is Python source
made from the graph, one line per node, compiled once: it holds only numbers and names made
here, never text from a label or from the user.
"""
import builtins
from math import isfinite
from operator import attrgetter

from .value import Value, backward_order

_data, _grad = attrgetter("data"), attrgetter("grad")


def compile(fn, *, check=False):
    """Record the graph that `fn()` builds once; each call replays forward and backward on floats.

    fn takes no arguments and returns the loss, a Value computed from the parameters. Each call
    of the result returns the loss as a float and adds d loss / d p to the grad of every value p
    that fn() reads rather than makes (parameters, and Values you made outside fn), exactly as
    `fn().backward()` would: grads add up across calls until you zero them. No Value is made.

    The guarantee: the loss and every grad are the same floats, bit for bit, as
    `L = fn(); L.backward()` computes on the same parameters (the same operations in the same
    order, the table's own forward and derivative rules; the replay also adds the zero terms
    that backward skips, which change nothing), unless you set a grad to -0.0 yourself, where
    a zero may come out as 0.0.

    What cannot be replayed: Python that looks at numbers while fn() runs. `if x.data > 0:`,
    `max(...)` over Values, `w * w.data`, `v.detach()` or `no_grad()` inside fn, a random
    mini-batch drawn inside fn: the recording keeps the branch taken and the numbers seen the
    first time. Recording catches what two calls reveal (two
    different graphs, or a number that changed: an error), and check=True re-runs fn() at every
    call, compares its graph with the recording and records anew when it differs (as slow as
    the forward pass without compile, for finding such code). A parameter replaced by a new
    Value object is not seen unless check=True.

    Recording costs: Python compiles one line per value and per term of the chain rule (for
    micrograd's two-moons step, 72,000 lines: one to three seconds, the time of a few hundred
    replays), so it pays off for a step that runs many times.

    Errors: when anything in the replay is not a finite float (a domain error, an overflow, a
    non-finite grad), the call is done again without compile, so it raises what
    `fn().backward()` raises, or returns what it returns; grads are written only after the
    replay has checked them, so a failed replay changes nothing. Grads of the values fn()
    makes afresh are neither computed nor checked: nothing keeps them.
    """
    if not callable(fn):
        raise TypeError(f"compile takes a function of no arguments that returns the loss, not {type(fn).__name__}")
    if not isinstance(check, bool):
        raise TypeError(f"check must be True or False, not {check!r}")
    return Compiled(fn, check)


class Compiled:
    """The replay of fn's graph; call it for the loss (a float) with the grads filled in."""

    def __init__(self, fn, check):
        self.fn = fn
        self.check = check
        self._replay = None  # made by the first call

    def __call__(self):
        if self._replay is None or (self.check and not self._replay.matches(_loss(self.fn))):
            self._replay = _Replay(self.fn)
        loss = self._replay.run()
        if loss is None:  # something was not finite: do it the plain way, to raise what it raises
            return self._uncompiled()
        return loss

    @property
    def source(self):
        """The replay as Python source: one line per value, then one per term of the chain rule."""
        if self._replay is None:
            raise ValueError("nothing recorded yet: call the compiled function once first")
        return self._replay.source

    def _uncompiled(self):
        root = _loss(self.fn)
        if not self._replay.matches(root):
            self._replay = None  # the graph changed: record again next time
        root.backward()
        return root.data

    def __repr__(self):
        return f"<compiled {getattr(self.fn, '__qualname__', self.fn)!r}>"


class _Replay:
    """The recorded graph as a compiled Python function over floats."""

    def __init__(self, fn):
        first, second = backward_order(_loss(fn)), backward_order(_loss(fn))
        read = [a for a, b in zip(first, second) if a is b]  # the values fn() reads rather than makes
        self.read_ids = {id(v) for v in read}
        self.shape = _shape(first, self.read_ids)
        if len(first) != len(second) or _shape(second, self.read_ids) != self.shape:
            raise ValueError(
                "compile: fn() built two different graphs on two calls with the same parameters "
                "(is something random inside fn?); such a function cannot be replayed"
            )
        made_before = next((v for v in read if v.inputs), None)
        if made_before is not None:
            raise ValueError(
                f"compile: fn() uses {made_before!r}, a value computed before fn() was called; compute it "
                "inside fn (or detach() it) so that the replay knows where its number comes from"
            )
        if not read:
            raise ValueError(
                "compile: the loss depends on no value that fn() reads (a parameter, or a Value made outside "
                "fn), so there is nothing to train; was fn() called inside no_grad()?"
            )
        self.leaves = tuple(read)
        self.source = _source(first, self.read_ids)
        namespace = {f"F_{name}": op.forward for name, op in _ops(first)}
        namespace.update({f"L_{name}": op.local for name, op in _ops(first)})
        namespace.update(isfinite=isfinite, _data=_data, _grad=_grad)
        builtins.exec(builtins.compile(self.source, "<chainrule.compile>", "exec"), namespace)
        self._run = namespace["replay"]

    def matches(self, root):
        """Whether root's graph is the recorded one: same ops, wiring, numbers and read values."""
        return _shape(backward_order(root), self.read_ids) == self.shape

    def run(self):
        try:
            return self._run(self.leaves)
        except (ArithmeticError, ValueError, TypeError):
            return None


def _loss(fn):
    root = fn()
    if not isinstance(root, Value):
        raise TypeError(f"compile: fn() must return the loss as a Value, not {type(root).__name__} {root!r}")
    return root


def _shape(order, read_ids):
    """The graph as comparable data: per value, its op and inputs' positions, its number, or its identity."""
    position = {id(v): i for i, v in enumerate(order)}
    return [
        ("read", id(v)) if id(v) in read_ids
        else (v.op, tuple(position[id(x)] for x in v.inputs)) if v.inputs
        else (v.op, v.data)
        for v in order
    ]


def _ops(order):
    return {v.op.name: v.op for v in order if v.inputs}.items()


# The ops networks are made of, written inline: forward and local derivatives as source text, the
# same float operations in the same order as the table's functions (a test holds them to it).
# Every other op calls the table's own forward (F_name) and local (L_name).
def _dot_forward(*args):
    n = len(args) // 2
    terms = [f"{w} * {x}" for w, x in zip(args[:n], args[n : 2 * n])]
    return " + ".join(terms + list(args[2 * n :]))


def _dot_local(out, *args):
    n = len(args) // 2
    return args[n : 2 * n] + args[:n] + ("1.0",) * (len(args) % 2)


_INLINE = {
    "add": (lambda a, b: f"{a} + {b}", lambda out, a, b: ("1.0", "1.0")),
    "sub": (lambda a, b: f"{a} - {b}", lambda out, a, b: ("1.0", "-1.0")),
    "mul": (lambda a, b: f"{a} * {b}", lambda out, a, b: (b, a)),
    "neg": (lambda a: f"-{a}", lambda out, a: ("-1.0",)),
    "relu": (lambda a: f"{a} if {a} > 0.0 else 0.0", lambda out, a: (f"(1.0 if {a} > 0.0 else 0.0)",)),
    "sum": (lambda *xs: " + ".join(xs), lambda out, *xs: ("1.0",) * len(xs)),
    "dot": (_dot_forward, _dot_local),
}


def _source(order, read_ids):
    """def replay(leaves): read data and grads, forward, backward, check, write the grads.

    A value computed from read values is live: it is recomputed (v<i>) and gets a grad (g<i>);
    any other value is its number. The backward walks the live values in backward()'s order and
    adds each contribution to its input's grad in the order backward() does.
    """
    position = {id(v): i for i, v in enumerate(order)}
    interior = [v for v in order if v.inputs]  # backward's order, the root first
    live = set(read_ids)
    for v in reversed(interior):
        if any(id(x) in live for x in v.inputs):
            live.add(id(v))

    def term(v):
        return f"v{position[id(v)]}" if id(v) in live else _number(v.data)

    root = order[0]  # live, since it reads at least one value
    has_grad = set(read_ids) | {id(root)}  # a read value's grad starts from its .grad; others from a first term
    forward, backward = [], [f"g0 {'+' if id(root) in read_ids else ''}= 1.0"]
    for v in interior:
        if id(v) not in live:
            continue
        i, args = position[id(v)], [term(x) for x in v.inputs]
        if v.op.name in _INLINE:
            forward_text, local_text = _INLINE[v.op.name]
            forward.append(f"v{i} = {forward_text(*args)}")
            derivatives = local_text(f"v{i}", *args)
        else:
            forward.append(f"v{i} = F_{v.op.name}({', '.join(args)})")
            derivatives = [f"d{k}" for k in range(len(args))]
            backward.append(f"{', '.join(derivatives)}, = L_{v.op.name}(v{i}, {', '.join(args)})")
        for x, d in zip(v.inputs, derivatives):
            if id(x) in live:
                step = f"g{i}" if d == "1.0" else f"-g{i}" if d == "-1.0" else f"{d} * g{i}"
                backward.append(f"g{position[id(x)]} {'+' if id(x) in has_grad else ''}= {step}")
                has_grad.add(id(x))
    forward.reverse()  # made root first; run inputs first
    read = sorted(position[i] for i in read_ids)
    values, grads = ("".join(f"{letter}{i}, " for i in read) for letter in "vg")
    computed = "".join(f"v{i}, " for i in sorted(position[i] for i in live))
    body = [f"({values}) = map(_data, leaves)", f"({grads}) = map(_grad, leaves)", *forward, *backward,
            f"grads = ({grads})",
            f"if not isfinite(sum(({computed})) + sum(grads)):  # an inf or a nan anywhere: let the caller redo it",
            "    return None",
            "for p, g in zip(leaves, grads):",
            "    p.grad = g",
            "return v0"]
    return "def replay(leaves):\n" + "".join(f"    {line}\n" for line in body)


def _number(x):
    """A float as source text that reads back as the same float."""
    return f"({x!r})" if repr(x).startswith("-") else repr(x)
