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
recomputed; everything computed from numbers alone is a number too.

The replay is Python source made from the graph: a line per value and per term of the chain
rule, cut into functions of at most CHUNK characters (and expressions of at most TERMS terms), so
that any graph the plain path takes compiles, in memory that grows with the graph and not
faster. The functions share their variables through closure cells (as fast to read as local
variables, and shared between the functions without copying). The source holds only numbers
and names made here, never text from a label or from the user.

This module is where the speed tricks live; each is marked "Trick:" once, where it is done.
"""
import builtins
import gc
import math
import re
import types
import warnings
from _thread import RLock, get_ident
from array import array
from bisect import bisect_left
from collections import defaultdict
from itertools import chain, compress, filterfalse, islice
from operator import attrgetter, is_, not_

from .value import Value, backward_order

_data, _grad, _op, _inputs = attrgetter("data"), attrgetter("grad"), attrgetter("op"), attrgetter("inputs")

CHUNK = 4_000  # characters of source per compiled function: bounds the compiler's memory, whatever the graph
TERMS = 64  # terms per line of a long sum or dot: the compiler recurses once per operator in a line
REPEATS = 3  # records caused by changed numbers before compile gives up replaying (and warns)

# One lock for every replay: a replay reads grads at its start and writes them at its end, so
# two replays (or a replay and a plain fallback) at once in two threads would lose each
# other's grads. Reentrant, for an fn() that calls a compiled step itself.
_LOCK = RLock()


def compile(fn, *, check=False, batch=None, extra=None):
    """Record the graph that `fn()` builds once; each call replays forward and backward on floats.

    With batch=(X, y): `compile(per_sample, batch=(X, y), extra=None)`, per_sample(x, y) returning
    one sample's loss as a Value, records one sample's graph and replays the whole batch as numpy
    arrays (the `fast` extra: pip install "chainrule[fast]"); each call returns the mean loss over
    the batch and adds the mean of the per-sample grads to every parameter's grad, as
    `(sum(losses) / n).backward()` would, equal within rounding (sums run in another order). A
    layer's dots become one matrix product. A penalty on the parameters (weight decay) goes in
    extra, a function of no arguments returning a Value: it is compiled on floats, as here, and its
    value and grads are added: `compile(per_sample, batch=(X, y), extra=lambda: 1e-4 * l2(params))`.
    What cannot be batched runs plain and warns: chainrule.engine.batch says what and why.

    fn takes no arguments and returns the loss, a Value computed from the parameters. Each call
    of the result returns the loss as a float and adds d loss / d p to the grad of every value p
    that fn() reads rather than makes (parameters, and Values you made outside fn), exactly as
    `fn().backward()` would: grads add up across calls until you zero them. No Value is made.

    The guarantee: the loss and every grad are the same floats, bit for bit, as
    `L = fn(); L.backward()` computes on the same parameters (the same operations in the same
    order, the table's own forward and derivative rules), unless you set a grad to -0.0
    yourself, where a zero may come out as 0.0.

    Threads: calls are safe from several threads at once. Every compiled step in the process
    takes one lock while it reads, computes and writes grads, so calls (of one step or of two
    that share parameters) run one after the other and every grad adds up as with plain
    backward(). A plain backward() running at the same moment in another thread on the same
    parameters is not under that lock.

    Numbers read from outside fn's graph: a data point or a constant such as a weight decay is
    a number in the replay. compile watches the lists, dicts, tuples, objects' attributes and
    closure variables that fn (and the functions of yours it names) can reach by name, and the
    globals its code names: when any of them changed since the recording (a mini-batch list
    refilled in place, an annealed `lam` set between calls), that call runs uncompiled, so its
    answer is right, and compile records again; after REPEATS such records it stops replaying,
    warns once, and runs uncompiled from then on. For mini-batches, hold the inputs as Values
    made once outside fn and set their .data: those are read at every call, at full speed.
    Numbers that reach fn some other way (returned by a function of a library, drawn at
    random, from a file) are not watched.

    What cannot be replayed: Python that looks at numbers while fn() runs. `if x.data > 0:`,
    `max(...)` over Values, `w * w.data`, `v.detach()` or `no_grad()` inside fn, a random
    mini-batch drawn inside fn: the recording keeps the branch taken and the numbers seen the
    first time. Recording catches what two calls reveal (two different graphs, or a number that
    changed: an error), and check=True re-runs fn() at every call, compares its graph with the
    recording and records anew when it differs (as slow as the forward pass without compile,
    for finding such code). A parameter replaced by a new Value object is not seen unless
    check=True.

    Errors: when anything in the replay is not a finite float (a domain error, an overflow, a
    non-finite grad), the call is done again without compile, so it raises what
    `fn().backward()` raises, or returns what it returns; grads are written only after the
    replay has checked them, so a failed replay changes nothing. Values that fn() computes but
    does not use in the loss (a check such as `(w - 2).log()`) are replayed too, forward only,
    so that their errors are raised as well (when a profiler or debugger is running while
    compile records, they cannot be seen, and are not replayed). Grads of the values fn()
    makes afresh are neither computed nor checked: nothing keeps them.

    Recording costs the time of a few hundred replays (fn() twice, the source made and compiled
    in chunks), so it pays off for a step that runs many times.
    """
    if not callable(fn):
        raise TypeError(f"compile takes a function of no arguments that returns the loss, not {type(fn).__name__}")
    if not isinstance(check, bool):
        raise TypeError(f"check must be True or False, not {check!r}")
    if batch is not None:
        if check:
            raise TypeError("compile: check=True is for a function of no arguments; a batch replay checks the graph "
                            "of every sample when it records")
        from .batch import batched  # numpy is imported there only

        return batched(fn, batch, extra, _LOCK)
    if extra is not None:
        raise TypeError("compile: extra= goes with batch=(X, y); without a batch, add the penalty inside fn")
    return Compiled(fn, check)


class Compiled:
    """The replay of fn's graph; call it for the loss (a float) with the grads filled in."""

    def __init__(self, fn, check):
        self.fn = fn
        self.check = check
        self._replay = None  # made by the first call
        self._watch = None  # the numbers fn can reach, as they were at the recording
        self._records = 0  # records caused by changed numbers
        self._plain = False  # given up replaying: numbers keep changing

    def __call__(self):
        if self._plain:
            return self._uncompiled()
        if self._replay is not None and self._watch.changed():
            return self._changed()
        if self._replay is None or (self.check and not self._replay.matches(_loss(self.fn))):
            self._replay = _Replay(self.fn)
            self._watch = _Watch(self.fn)
        with _LOCK:
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
        if self._replay is not None and not self._replay.matches(root):
            self._replay = None  # the graph changed: record again next time
        with _LOCK, _gc_paused():
            root.backward()
        return root.data

    def _changed(self):
        """A number fn can reach changed since the recording: this call runs plain; record again if it mattered."""
        root = _loss(self.fn)
        if self._replay.matches(root):
            self._watch = _Watch(self.fn)  # nothing the graph holds changed
        else:
            self._replay = None
            self._records += 1
            if self._records >= REPEATS:
                self._plain = True
                warnings.warn(
                    f"compile: numbers that {self!r} reads changed between calls {self._records} times "
                    "(a list refilled, a variable set); it runs uncompiled from now on. Hold such numbers "
                    "as Values made once outside fn and set their .data: those are replayed.",
                    RuntimeWarning, stacklevel=3)
        with _LOCK, _gc_paused():
            root.backward()
        return root.data

    def __repr__(self):
        return f"<compiled {getattr(self.fn, '__qualname__', self.fn)!r}>"


class _gc_paused:
    """Trick: the cyclic garbage collector kept out of recording and the plain fallback. Both
    make many Values at once, which would trigger collections that find nothing (graphs have no
    cycles: reference counting frees them)."""

    def __enter__(self):
        self.collecting = gc.isenabled()
        gc.disable()

    def __exit__(self, *error):
        if self.collecting:
            gc.enable()


class _Replay:
    """The recorded graph as compiled Python functions over floats."""

    def __init__(self, fn):
        with _gc_paused():
            root1, made = _record(fn, watch=True)
            first = backward_order(root1)
            n_root = len(first)
            position = _positions(first)
            side_first = _side_order(position, made)
            del made
            # Trick: the second call is watched only if the first made side values: watching is
            # what makes recording slower than two plain calls, and with no side values in the
            # first call there are none to compare (or, if the second made some, they would not
            # be replayed either way).
            root2, made = _record(fn, watch=bool(side_first))
            second = backward_order(root2)
            if len(second) != n_root:
                raise _different()
            side_second = _side_order(set(second), made) if side_first else []
            del made
            if len(side_first) != len(side_second):
                side_first = side_second = []  # fn() computed other side values each time: not replayed
            position.update(zip(side_first, range(n_root, n_root + len(side_first))))
            first += side_first
            second += side_second
            wires = _wiring(first[:n_root], position)
            n_wires = len(wires)  # the loss's; then the side values'
            wires += _wiring(side_first, position)
            read = list(compress(first, map(is_, first, second)))  # the values fn() reads rather than makes
            self.read = set(read)  # Values hash by identity
            signature = _signature(first[:n_root], self.read)
            if _signature(second[:n_root], self.read) != signature or not _wired_alike(first, second, wires, 0, n_root, 0):
                raise _different()
            if side_first and (_signature(side_first, self.read) != _signature(side_second, self.read)
                               or not _wired_alike(first, second, wires, n_root, len(first), n_wires)):
                del first[n_root:], wires[n_wires:]  # the side values differ between the calls: not replayed
            del second, side_second, root2
            made_before = next((v for v in read if v.inputs), None)
            if made_before is not None:
                raise ValueError(
                    f"compile: fn() uses {made_before!r}, a value computed before fn() was called; compute it "
                    "inside fn (or detach() it) so that the replay knows where its number comes from"
                )
            self.leaves = tuple(filter(self.read.__contains__, first[:n_root]))  # read and written each call
            if not self.leaves:
                raise ValueError(
                    "compile: the loss depends on no value that fn() reads (a parameter, or a Value made outside "
                    "fn), so there is nothing to train; was fn() called inside no_grad()?"
                )
            self.shape = _shape(first[:n_root], self.read, wires[:n_wires], signature)
            del signature
            loaded = self.leaves + tuple(filter(self.read.__contains__, first[n_root:]))  # side values read these too
            ops = set(map(_op, first))
            namespace = {f"F_{op.name}": op.forward for op in ops}
            namespace.update({f"L_{op.name}": op.local for op in ops})
            namespace.update(__name__=__name__, _data=_data, _grad=_grad, _L=loaded, _sum=builtins.sum)
            chunks = _Chunks(namespace, 2 * len(first) + 2)
            _source(first, n_root, position, wires, n_wires, loaded, len(self.leaves), chunks)
            template, refs = _write_back(position, self.leaves)
            self._write = chunks.function("", template, "", refs)
            self._chunks, self._source, self._numbers = chunks.functions, chunks.source, chunks.values

    @property
    def source(self):
        def name(ref):
            return f"{'vg'[ref & 1]}{ref >> 1}" if ref >= 0 else _number(self._numbers[~ref])

        return "".join(template.format(*map(name, refs)) for template, refs in self._source)

    def matches(self, root):
        """Whether root's graph is the recorded one: same ops, wiring, numbers and read values."""
        order = backward_order(root)
        return _shape(order, self.read, _wiring(order, _positions(order))) == self.shape

    def run(self):
        """The loss, with the leaves' grads written; None (and nothing written) if anything is not finite."""
        try:
            total = 0.0
            for chunk in self._chunks:
                total += chunk()
            if total - total != 0.0:  # an inf or a nan somewhere: let the caller redo it plainly
                return None
            return self._write()
        except (ArithmeticError, ValueError, TypeError):
            return None


def _different():
    return ValueError(
        "compile: fn() built two different graphs on two calls with the same parameters "
        "(is something random inside fn?); such a function cannot be replayed"
    )


def _loss(fn):
    root = fn()
    if not isinstance(root, Value):
        raise TypeError(f"compile: fn() must return the loss as a Value, not {type(root).__name__} {root!r}")
    return root


def _positions(order):
    """{value: its index in order}."""
    return dict(zip(order, range(len(order))))  # Values hash by identity


# ---- the values fn() makes


# Trick: the values fn() makes are seen by putting, while it runs, a property in place of the
# slot descriptor of Value.inputs, a slot every Value writes once when it is made (apply, the
# constants, Value(), a copy). The property reads the slot as before (in C) and, on a write,
# writes it and adds the value to the list of the thread that records. One Python call per
# value made: a profile hook, the other way to see them, calls Python at every call and return
# of every function and makes fn() several times slower.
_INPUTS = Value.__dict__["inputs"]
_watchers = {}  # thread id -> the list the values made in that thread go to, while it records
_WATCHING = RLock()


def _write_inputs(value, inputs, _set=_INPUTS.__set__, _watcher=_watchers.get):
    _set(value, inputs)
    made = _watcher(get_ident())
    if made is not None:
        made.append(value)


_WATCHED_INPUTS = property(_INPUTS.__get__, _write_inputs, None, _INPUTS.__doc__)


def _record(fn, watch):
    """fn()'s loss, and (if watch) every Value made while fn() ran in this thread, in the order they
    were made (those off the loss's graph are replayed forward only)."""
    made = []
    if not watch:
        return _loss(fn), made
    me = get_ident()
    with _WATCHING:
        outer = _watchers.get(me)  # fn() records a compiled step of its own: those values are not fn's
        _watchers[me] = made
        Value.inputs = _WATCHED_INPUTS
    try:
        root = _loss(fn)
    finally:
        with _WATCHING:
            if outer is None:
                del _watchers[me]
            else:
                _watchers[me] = outer
            if not _watchers:
                Value.inputs = _INPUTS
    return root, made


def _side_order(position, made):
    """The values fn() made that the loss (the keys of position) does not depend on, with what they
    depend on that the loss does not, each before its inputs."""
    seen = set()
    groups = []
    for v in filterfalse(position.__contains__, made):  # in the order they were made: a later one may be made from an earlier one
        if v.inputs and v not in seen:
            group = [x for x in backward_order(v) if x not in position and x not in seen]
            seen.update(group)
            groups.append(group)
    return [x for group in reversed(groups) for x in group]  # each value before its inputs, as backward_order


def _wiring(order, position):
    """The positions (in position) of the inputs of the values in order, one after the other."""
    return list(map(position.__getitem__, chain.from_iterable(map(_inputs, order))))


def _signature(values, read):
    """What two graphs alike have alike, value by value, as arrays: the number of inputs, the op (a
    row of the table is one object for the process's life), and the numbers of the leaves that are
    not read, as bytes (so that 0.0 and -0.0 differ)."""
    inputs = list(map(_inputs, values))
    return (array("q", map(len, inputs)), array("Q", map(id, map(_op, values))),
            array("d", map(_data, filterfalse(read.__contains__, compress(values, map(not_, inputs))))).tobytes())


def _wired_alike(first, second, wires, start, stop, at):
    """Whether second's values from start to stop (with as many inputs as first's) are wired as
    first's: the inputs of each are second's values at the positions where first's inputs are in
    first (wires, from at)."""
    inputs = chain.from_iterable(map(_inputs, islice(second, start, stop)))
    return all(map(is_, map(second.__getitem__, islice(wires, at, None)), inputs))


def _shape(values, read, wires, signature=None):
    """The graph as a digest to compare: its signature, its inputs' positions (wires) and which
    values are read, by identity (a digest instead of the data itself, which would take more memory
    than the code)."""
    import hashlib  # here, where it is used: `import chainrule` need not load it (start-up, bench/README.md)

    is_read = list(map(read.__contains__, values))
    digest = hashlib.blake2b(digest_size=32)
    # Trick: the digest is fed whole arrays made by map() and compress(), no Python per value.
    for part in (*(signature or _signature(values, read)), array("q", wires),
                 array("q", compress(range(len(values)), is_read)), array("Q", map(id, compress(values, is_read)))):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return len(values), digest.digest()


# ---- the source


# Trick: the ops networks are made of are written inline, forward and local derivatives as
# source text (the same float operations in the same order as the table's functions, which a
# test holds them to), so the replay calls no function for them; in particular a dot (the
# fused dot: most of a network) is its weighted sum written out and one line per term of its
# chain rule. Every other op calls the table's own forward (F_name) and local (L_name).
def _dot_forward(*args):
    n = len(args) // 2
    return [f"{w} * {x}" for w, x in zip(args[:n], args[n : 2 * n])] + list(args[2 * n :])


def _dot_local(out, *args):
    n = len(args) // 2
    return args[n : 2 * n] + args[:n] + ("1.0",) * (len(args) % 2)


_INLINE = {
    "add": (lambda a, b: [a, b], lambda out, a, b: ("1.0", "1.0")),
    "sub": (lambda a, b: [f"{a} - {b}"], lambda out, a, b: ("1.0", "-1.0")),
    "mul": (lambda a, b: [f"{a} * {b}"], lambda out, a, b: (b, a)),
    "neg": (lambda a: [f"-{a}"], lambda out, a: ("-1.0",)),
    "relu": (lambda a: [f"{a} if {a} > 0.0 else 0.0"], lambda out, a: (f"(1.0 if {a} > 0.0 else 0.0)",)),
    "sum": (lambda *xs: list(xs), lambda out, *xs: ("1.0",) * len(xs)),
    "dot": (_dot_forward, _dot_local),
}
# The ops whose local derivatives are finite wherever the forward values are, and where a grad of
# 0 therefore passes on only zeros.
_ZERO_SAFE = {"add", "sub", "mul", "neg", "relu", "sum", "dot", "tanh", "sigmoid", "abs", "exp"}
SPLIT = CHUNK // 30  # lines of an inline op's chain rule per unit: a term of the chain rule is short


# Trick: the source is made as templates and references, not as text. A template is source with
# "{}" where a name goes; its references say, in order, what: a value (2*i: v<i>), a grad
# (2*i + 1: g<i>) or a number (~k: the k-th number the replay uses). An op's templates are made
# once per recording (_rule), so a value costs a few list operations; a function names its
# variables a0, a1, ... in the order they appear (_Chunks.function), numbers included: a number
# is a closure cell too, so that two pieces of graph alike but for their numbers (a layer on two
# samples) share code. The text with v<i>, g<i> and the numbers written out is made only when the
# source is asked for.
def _indexed(text):
    """'{2} * {0}' -> ('{} * {}', (2, 0)): a template in str.format's numbered fields made automatic."""
    return re.sub(r"\{\d+\}", "{}", text), tuple(map(int, re.findall(r"\{(\d+)\}", text)))


def _rule(op, n):
    """An op's templates for a value with n inputs, over the references (value, input 1 .. n, grad):
    (forward, its references or None for all in order, its size), the local derivatives' line (or
    None), per input (grad +=, grad =, its references), zero_safe, inline."""
    args = [f"{{{k}}}" for k in range(1, n + 1)]
    out, grad = "{0}", f"{{{n + 1}}}"
    inline = op.name in _INLINE
    if inline:
        parts = _INLINE[op.name][0](*args)
        lines = [f"{out} = {' + '.join(parts[:TERMS])}\n"]
        lines += [f"{out} = {out} + {' + '.join(parts[k : k + TERMS])}\n" for k in range(TERMS, len(parts), TERMS)]
        derivatives, header = _INLINE[op.name][1](out, *args), None
    else:
        lines = [f"{out} = F_{op.name}({', '.join(args)})\n"]
        derivatives = [f"d{k}" for k in range(n)]
        header = _indexed(f"{', '.join(derivatives)}, = L_{op.name}({out}, {', '.join(args)})\n")
    steps = []
    for d in derivatives:
        step, refs = _indexed(grad if d == "1.0" else f"-{grad}" if d == "-1.0" else f"{d} * {grad}")
        steps.append((f"{{}} += {step}\n", f"{{}} = {step}\n", refs))
    forward, refs = _indexed("".join(lines))
    forward = forward, None if refs == tuple(range(n + 1)) else refs, _size(forward, refs)
    return forward, header, steps, op.name in _ZERO_SAFE, inline


def _size(template, refs):
    return len(template) + 3 * len(refs)  # a name a0 ... a999 takes about 5 characters for "{}"'s 2


def _source(order, n_root, position, wires, n_wires, loaded, n_leaves, chunks):
    """The replay, written into chunks: reads, forward, checks, backward, checks.

    A value computed from read values (loaded: the loss's leaves that are read, first n_leaves,
    then the side values') is live: it is recomputed (v<i>); one of the loss's graph (the first
    n_root values of order) also gets a grad (g<i>). Any other value is its number. The backward
    walks the live values in backward()'s order and adds each contribution to its input's grad
    in the order backward() does.
    """
    known = chunks.numbers.get
    number = chunks.number
    rules = {}
    # Trick: most units of source are added in place to the function being filled (templates,
    # refs), not handed over one by one; chunks.flush() makes it when it is full.
    templates, out = chunks.templates, chunks.refs

    # ref[k]: how the replay names the value at position k, v<k> (2k) if live, else its number;
    # the forward pass fills in the values made by ops
    n_interior = bisect_left(order, True, 0, n_root, key=lambda v: not v.inputs)  # backward_order: ops, then leaves
    ref = [None] * len(order)
    ref[n_interior:n_root] = map(known, map(_data, islice(order, n_interior, n_root)))  # numbers seen before
    for k in [k for k in range(n_interior, len(order)) if ref[k] is None and not order[k].inputs]:
        ref[k] = number(order[k].data)
    live = bytearray(len(order))
    has_grad = bytearray(len(order))  # a read value's grad starts from its .grad; others from a first term
    read = [2 * position[v] for v in loaded]
    for k in read:
        live[k // 2] = has_grad[k // 2] = 1
        ref[k // 2] = k
    size = 0  # of what chunks holds
    for start in range(0, len(read), TERMS):
        names = read[start : start + TERMS]
        size = chunks.add(f"{'{}, ' * len(names)}= map(_data, _L[{start}:{start + len(names)}])\n", names, size)
        if start < n_leaves:
            names = [r + 1 for r in names[: n_leaves - start]]
            size = chunks.add(f"{'{}, ' * len(names)}= map(_grad, _L[{start}:{start + len(names)}])\n", names, size)

    # forward: the loss's graph inputs first, then the side values' graphs, each inputs first
    computed = []
    for values, end in ((range(n_interior - 1, -1, -1), n_wires), (range(len(order) - 1, n_root - 1, -1), len(wires))):
        for i in values:
            v = order[i]
            inputs = v.inputs
            if not inputs:
                continue  # a leaf of the side values
            ks = wires[end - len(inputs) : end]  # the inputs' positions
            end -= len(inputs)
            if not any(map(live.__getitem__, ks)):
                ref[i] = known(v.data) or number(v.data)
                continue  # a number
            live[i] = 1
            ref[i] = me = i + i
            computed.append(me)
            rule = rules.get((v.op, len(ks)))
            if rule is None:
                rule = rules[v.op, len(ks)] = _rule(v.op, len(ks))
            template, pick, length = rule[0]
            templates.append(template)
            if pick is None:
                out.append(me)
                out.extend(map(ref.__getitem__, ks))
            else:
                out.extend(map([me, *map(ref.__getitem__, ks)].__getitem__, pick))
            size += length
            if size > CHUNK:
                size = chunks.flush()
    for template, names in _checks(computed):
        size = chunks.add(template, names, size)

    # backward
    size = chunks.add("{} += 1.0\n" if has_grad[0] else "{} = 1.0\n", [1], size)  # the root: live (it reads a value)
    has_grad[0] = 1
    written = [1]
    at = 0
    for i in range(n_interior):
        v = order[i]
        inputs = v.inputs
        ks = wires[at : at + len(inputs)]
        at += len(inputs)
        if not live[i]:
            continue
        me = ref[i]
        refs = [me, *map(ref.__getitem__, ks), me + 1]
        _, header, steps, zero_safe, inline = rules[v.op, len(ks)]
        lines, line_refs, first_writes = [], [], []
        if header is not None:
            lines.append(header[0])
            line_refs.extend(map(refs.__getitem__, header[1]))
        for k, (added, first, pick) in zip(ks, steps):
            if live[k]:
                grad = k + k + 1
                line_refs.append(grad)
                line_refs.extend(map(refs.__getitem__, pick))
                if has_grad[k]:
                    lines.append(added)
                else:
                    lines.append(first)
                    first_writes.append(grad)
                    has_grad[k] = 1
        written += first_writes
        # Trick: the zero-grad skip. A value whose grad is 0 passes on only zeros through an op
        # whose local derivatives are finite, and adding a zero leaves a grad as it is; in a relu
        # network that is most of the backward (a unit that is off, a sample past the hinge's
        # margin). Tested once per value with many terms, where it pays.
        if zero_safe and len(lines) >= 4:
            for template, piece_refs in _skipped(me + 1, lines, line_refs, first_writes, inline):
                size = chunks.add(template, piece_refs, size)
        else:
            templates += lines
            out += line_refs
            size += builtins.sum(map(len, lines)) + 3 * len(line_refs)
            if size > CHUNK:
                size = chunks.flush()
    for template, names in _checks(written + [r + 1 for r in read[:n_leaves]]):
        size = chunks.add(template, names, size)
    chunks.flush()


def _write_back(position, leaves):
    """The template that writes the leaves' grads and returns the loss, and its references."""
    grads = [2 * position[v] + 1 for v in leaves]
    text = "".join(f"for p, g in zip(_L[{k}:{k + len(grads[k : k + TERMS])}], ({'{}, ' * len(grads[k : k + TERMS])})):\n"
                   "    p.grad = g\n" for k in range(0, len(grads), TERMS))
    return text + "return {}\n", [*grads, 0]


def _skipped(grad, lines, refs, first_writes, splittable):
    """`if g<i>:` the lines, `else:` the first writes set to 0.0; an inline op's lines in units of
    at most SPLIT lines, each with its own if, and its own first writes in the else."""
    pieces = [(0, len(lines))] if not splittable else [(k, min(k + SPLIT, len(lines))) for k in range(0, len(lines), SPLIT)]
    counts = [line.count("{}") for line in lines]
    at = 0
    written = iter(first_writes)
    for start, stop in pieces:
        size = builtins.sum(counts[start:stop])
        piece_refs = refs[at : at + size]
        at += size
        firsts = [next(written) for line in lines[start:stop] if line.startswith("{} = ")]
        text = "if {}:\n" + "".join(f"    {line}" for line in lines[start:stop])
        if firsts:
            text += "else:\n" + "    {} = 0.0\n" * len(firsts)
        yield text, [grad, *piece_refs, *firsts]


def _checks(refs):
    """Units that add the values referred to to _s, which each function returns: a sum that is finite
    only if every one is (or, rarely, a sum of finite values that overflows: then the call runs plain)."""
    for k in range(0, len(refs), TERMS):
        names = refs[k : k + TERMS]
        yield f"_s += _sum(({'{}, ' * len(names)}))\n", names


def _number(x):
    """A float as source text that reads back as the same float."""
    text = repr(x) if math.isfinite(x) else f"float('{x}')"
    return f"({text})" if text.startswith("-") else text


_LOCAL = ()  # a0, a1, ...: the names a function gives its variables, as many as the largest needed so far


def _local_names(n):
    """At least n names a0, a1, ... (a new tuple when more are needed: threads that record share it)."""
    global _LOCAL
    local = _LOCAL
    if len(local) < n:
        local = _LOCAL = tuple(f"a{k}" for k in range(max(n, 2 * len(local))))
    return local


class _Chunks:
    """The replay's functions, of about CHUNK characters of source each, made as the source comes
    (one function's source held at a time), sharing their variables through closure cells; and
    the source itself, as (template, references) per function."""

    def __init__(self, namespace, bound):
        self.namespace = namespace
        self.numbers = {}  # a number (a float; a zero by its hex, 0.0 and -0.0 being one key) -> its reference
        self.values = []  # the numbers, in the order of their references ~0, ~1, ...
        self.cells = defaultdict(types.CellType)  # reference -> the cell of its variable, in every function
        self.compiled = {}  # a function's text -> its code and the references of its free variables' names
        self.templates, self.refs = [], []  # the function being filled
        self.source, self.functions = [], []
        self.typecode = "i" if bound < 2**31 else "q"  # bound: more than any reference

    def number(self, x):
        """x's reference: a cell holding it."""
        key = x if x else x.hex()
        ref = self.numbers.get(key)
        if ref is None:
            self.values.append(x)
            ref = self.numbers[key] = ~(len(self.values) - 1)
            self.cells[ref] = types.CellType(x)
        return ref

    def add(self, template, refs, size):
        """A unit of source (kept whole in one function) after the size characters held: the size held after."""
        length = _size(template, refs)
        if size + length > CHUNK:
            size = self.flush()
        self.templates.append(template)
        self.refs.extend(refs)
        return size + length

    def flush(self):
        """The function of what is held made (each returns the sum of the values it checks): 0 held."""
        if self.templates:
            self.functions.append(self.function("_s = 0.0\n", "".join(self.templates), "return _s\n", self.refs))
            self.templates.clear()
            self.refs.clear()
        return 0

    def function(self, prologue, template, epilogue, refs):
        """def chunk(): the template filled in, its variables closure cells shared with the other
        chunks (made here once), named a0, a1, ... in the order they appear.

        Trick: a chunk whose text (with those names) was compiled before (a long chain, a layer
        repeated) reuses that code with its own cells: compiling is most of the cost of recording.
        """
        self.source.append((template, array(self.typecode, refs)))
        names = list(dict.fromkeys(refs))
        local = _local_names(len(names))
        spelled = dict(zip(names, local))
        pieces = [None] * (2 * len(refs) + 1)
        pieces[::2] = template.split("{}")
        pieces[1::2] = map(spelled.__getitem__, refs)
        body = prologue + "".join(pieces) + epilogue
        found = self.compiled.get(body)
        if found is None:
            local = local[: len(names)]
            declared = f"    {' = '.join(local)} = None\n" if local else ""
            nonlocal_ = f"        nonlocal {', '.join(local)}\n" if local else ""
            outer = (f"def _outer():\n{declared}    def chunk():\n{nonlocal_}        "
                     f"{body.replace(chr(10), chr(10) + '        ')}\n    return chunk\n")
            scope = {}
            builtins.exec(builtins.compile(outer, "<chainrule.compile>", "exec"), self.namespace, scope)
            # Trick: the line table dropped (it takes as much memory as the code): the replay's lines are
            # never shown in a traceback, since any error in it sends the call down the plain path.
            code = scope["_outer"]().__code__.replace(co_linetable=b"")
            found = self.compiled[body] = code, [int(name[1:]) for name in code.co_freevars]
        code, order = found
        closure = tuple(map(self.cells.__getitem__, map(names.__getitem__, order)))
        return types.FunctionType(code, self.namespace, "replay", None, closure)


# ---- the numbers fn can reach


class _Watch:
    """What fn can reach by name, as it was: lists, dicts and objects' attributes by the identity of
    what they hold, closure cells and named globals by the object in them, buffers by their bytes.

    Walked from fn's closure, its defaults, the globals its code names, a bound method's object,
    a partial's arguments; into lists, tuples, dicts, objects' __dict__ and your own functions
    (not chainrule's, nor modules, classes or Values), at most LIMIT objects.
    """

    LIMIT = 100_000

    def __init__(self, fn):
        self.entries = []  # (kind, container, key or None, what it held)
        self._seen = set()
        self._count = 0
        self._visit_callable(fn)
        del self._seen

    def changed(self):
        try:
            for kind, container, key, held in self.entries:
                if kind == "seq":
                    if len(container) != len(held) or not all(map(is_, container, held)):
                        return True
                elif kind == "dict":
                    if container.keys() != held.keys() or not all(map(is_, container.values(), held.values())):
                        return True
                elif kind == "cell":
                    if container.cell_contents is not held:
                        return True
                elif kind == "global":
                    if container.get(key, _MISSING) is not held:
                        return True
                elif bytes(memoryview(container)) != held:  # a buffer
                    return True
        except Exception:  # a cell emptied, a buffer gone: something changed
            return True
        return False

    def _visit_callable(self, f):
        for _ in range(8):  # unwrap partials and bound methods
            if isinstance(f, types.MethodType):
                self._visit(f.__self__)
                f = f.__func__
            elif hasattr(f, "func") and hasattr(f, "args") and hasattr(f, "keywords"):  # functools.partial
                self._visit(f.args)
                self._visit(dict(f.keywords))
                f = f.func
            else:
                break
        if isinstance(f, types.FunctionType):
            self._visit(f)
        elif not isinstance(f, (types.BuiltinFunctionType, type)):
            self._visit(f)  # a callable object: its attributes

    def _visit(self, x):
        if id(x) in self._seen or self._count >= self.LIMIT:
            return
        kind = type(x)
        if kind in _ATOMS or isinstance(x, (Value, type, types.ModuleType, types.BuiltinFunctionType, Compiled, _Replay)):
            return
        self._seen.add(id(x))
        self._count += 1
        if kind is list:
            self.entries.append(("seq", x, None, list(x)))
            for item in x:
                self._visit(item)
        elif kind is tuple:
            for item in x:
                self._visit(item)
        elif kind is dict:
            self.entries.append(("dict", x, None, dict(x)))
            for item in x.values():
                self._visit(item)
        elif kind is types.FunctionType:
            if (getattr(x, "__module__", None) or "").split(".")[0] == __name__.split(".")[0]:
                return  # chainrule's own: nothing of yours in it
            for cell in x.__closure__ or ():
                try:
                    self.entries.append(("cell", cell, None, cell.cell_contents))
                    self._visit(cell.cell_contents)
                except ValueError:  # an empty cell
                    pass
            self._visit(x.__defaults__ or ())
            self._visit(x.__kwdefaults__ or {})
            for name in _names(x.__code__):
                if name in x.__globals__:
                    self.entries.append(("global", x.__globals__, name, x.__globals__[name]))
                    self._visit(x.__globals__[name])
        else:
            try:
                view = memoryview(x)
            except TypeError:
                attributes = getattr(x, "__dict__", None)
                if type(attributes) is dict:
                    self._visit(attributes)
            else:
                if view.nbytes <= 1 << 24:
                    self.entries.append(("buffer", x, None, bytes(view)))


_ATOMS = {int, float, complex, bool, str, bytes, type(None)}
_MISSING = object()


def _names(code):
    """The global names a code object (and the functions, lambdas and comprehensions in it) reads."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names
