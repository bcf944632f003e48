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
import hashlib
import math
import re
import sys
import types
import warnings
import zlib
from _thread import RLock
from operator import attrgetter, is_

from .value import Value, backward_order

_data, _grad = attrgetter("data"), attrgetter("grad")

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
            (root1, side1), (root2, side2) = _record(fn), _record(fn)
            first, second = backward_order(root1), backward_order(root2)
            if len(first) != len(second):
                raise _different()
            n_root = len(first)
            side_first, side_second = _side_order(first, side1), _side_order(second, side2)
            if len(side_first) != len(side_second):
                side_first = side_second = []  # fn() computed other side values each time: not replayed
            first += side_first
            second += side_second
            read = [a for a, b in zip(first, second) if a is b]  # the values fn() reads rather than makes
            self.read_ids = {id(v) for v in read}
            self.n_root = n_root
            self.shape = _shape(first[:n_root], self.read_ids)
            if _shape(second[:n_root], self.read_ids) != self.shape:
                raise _different()
            if side_first and _shape(side_first, self.read_ids, first) != _shape(side_second, self.read_ids, second):
                first = first[:n_root]  # the side values differ between the calls: not replayed
            made_before = next((v for v in read if v.inputs), None)
            if made_before is not None:
                raise ValueError(
                    f"compile: fn() uses {made_before!r}, a value computed before fn() was called; compute it "
                    "inside fn (or detach() it) so that the replay knows where its number comes from"
                )
            if not any(id(v) in self.read_ids for v in first[:n_root]):
                raise ValueError(
                    "compile: the loss depends on no value that fn() reads (a parameter, or a Value made outside "
                    "fn), so there is nothing to train; was fn() called inside no_grad()?"
                )
            self.leaves = tuple(v for v in first[:n_root] if id(v) in self.read_ids)
            del second, side_second, root2, side2
            position = {id(v): i for i, v in enumerate(first)}
            grads = [f"g{position[id(v)]}" for v in self.leaves]
            del position
            blocks = _source(first, n_root, self.read_ids, self.leaves)
            namespace = {f"F_{op.name}": op.forward for op in _ops(first)}
            namespace.update({f"L_{op.name}": op.local for op in _ops(first)})
            namespace.update(__name__=__name__, _data=_data, _grad=_grad, _inf=math.inf, _nan=math.nan, _L=self.leaves, _sum=builtins.sum)
            self._source, self._chunks, self._write = _build(blocks, grads, namespace)

    @property
    def source(self):
        return zlib.decompress(self._source).decode()

    def matches(self, root):
        """Whether root's graph is the recorded one: same ops, wiring, numbers and read values."""
        return _shape(backward_order(root), self.read_ids) == self.shape

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


def _record(fn):
    """fn()'s loss, and every Value some function returned while fn() ran (those off the loss's graph
    are replayed forward only). Seen through a profile hook, only while no profiler is set."""
    made = []
    if sys.getprofile() is not None:
        return _loss(fn), made

    def hook(frame, event, value):
        if event == "return" and isinstance(value, Value):
            made.append(value)

    sys.setprofile(hook)
    try:
        root = fn()
    finally:
        sys.setprofile(None)
    if not isinstance(root, Value):
        raise TypeError(f"compile: fn() must return the loss as a Value, not {type(root).__name__} {root!r}")
    return root, made


def _side_order(order, made):
    """The values fn() made that the loss does not depend on, with what they depend on that the
    loss does not, each before its inputs."""
    seen = set(map(id, order))
    groups = []
    for v in made:  # in the order they were made: a later one may be made from an earlier one
        if v.inputs and id(v) not in seen:
            group = [x for x in backward_order(v) if id(x) not in seen]
            seen.update(map(id, group))
            groups.append(group)
    return [x for group in reversed(groups) for x in group]  # each value before its inputs, as backward_order


def _shape(order, read_ids, context=None):
    """The graph as a digest to compare: per value, its op and inputs' positions, its number, or
    its identity (a digest instead of the data itself, which would take more memory than the code)."""
    position = {id(v): i for i, v in enumerate(context if context is not None else order)}
    digest = hashlib.blake2b(digest_size=32)
    for k in range(0, len(order), 256):
        part = tuple(
            ("read", id(v)) if id(v) in read_ids
            else (v.op.name, tuple(position[id(x)] for x in v.inputs)) if v.inputs
            else (v.op.name, v.data.hex())
            for v in order[k : k + 256]
        )
        digest.update(hash(part).to_bytes(8, "little", signed=True))  # 256 values in 64 bits, 2**-64 to collide
    return len(order), digest.digest()


def _ops(order):
    return {v.op.name: v.op for v in order if v.inputs}.values()


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


def _source(order, n_root, read_ids, leaves):
    """The replay as blocks of lines: (condition, lines, lines if not, splittable).

    A value computed from read values is live: it is recomputed (v<i>); one of the loss's graph
    (the first n_root values of order) also gets a grad (g<i>). Any other value is its number.
    The backward walks the live values in backward()'s order and adds each contribution to its
    input's grad in the order backward() does.
    """
    position = {id(v): i for i, v in enumerate(order)}
    live = set(read_ids)
    for v in reversed(order):  # inputs come after the values made from them
        if v.inputs and any(id(x) in live for x in v.inputs):
            live.add(id(v))

    spelled = {key: f"v{position[key]}" for key in live}
    numbers = {}

    def term(v):
        name = spelled.get(id(v))
        if name is None:
            x = v.data
            name = numbers.get(x) if x else None  # not for zeros: 0.0 and -0.0 are one key
            if name is None:
                name = numbers[x] = _number(x)
        return name

    read = [position[id(v)] for v in leaves]
    for start in range(0, len(read), TERMS):
        names = read[start : start + TERMS]
        for letter, get in (("v", "_data"), ("g", "_grad")):
            yield None, [f"{''.join(f'{letter}{i}, ' for i in names)}= map({get}, _L[{start}:{start + len(names)}])"], (), False

    # forward: the loss's graph inputs first, then the side values' graphs, each inputs first
    interior = [v for v in order[:n_root] if v.inputs and id(v) in live]
    side = [v for v in order[n_root:] if v.inputs and id(v) in live]
    computed = []
    for v in [*reversed(interior), *reversed(side)]:
        i, args = position[id(v)], [term(x) for x in v.inputs]
        if v.op.name in _INLINE:
            parts = _INLINE[v.op.name][0](*args)
            lines = [f"v{i} = {' + '.join(parts[:TERMS])}"]
            lines += [f"v{i} = v{i} + {' + '.join(parts[k : k + TERMS])}" for k in range(TERMS, len(parts), TERMS)]
        else:
            lines = [f"v{i} = F_{v.op.name}({', '.join(args)})"]
        yield None, lines, (), False
        computed.append(i)
    yield from _checks([f"v{i}" for i in computed])

    # backward
    root = order[0]  # live, since the loss reads at least one value
    has_grad = set(read_ids) | {id(root)}  # a read value's grad starts from its .grad; others from a first term
    yield None, [f"g0 {'+' if id(root) in read_ids else ''}= 1.0"], (), False
    written = [0]
    for v in interior:
        i, args = position[id(v)], [term(x) for x in v.inputs]
        lines, first_writes = [], []
        if v.op.name in _INLINE:
            derivatives = _INLINE[v.op.name][1](f"v{i}", *args)
        else:
            derivatives = [f"d{k}" for k in range(len(args))]
            lines.append(f"{', '.join(derivatives)}, = L_{v.op.name}(v{i}, {', '.join(args)})")
        for x, d in zip(v.inputs, derivatives):
            if id(x) in live:
                step = f"g{i}" if d == "1.0" else f"-g{i}" if d == "-1.0" else f"{d} * g{i}"
                j = position[id(x)]
                if id(x) in has_grad:
                    lines.append(f"g{j} += {step}")
                else:
                    lines.append(f"g{j} = {step}")
                    first_writes.append(j)
                    written.append(j)
                    has_grad.add(id(x))
        # Trick: the zero-grad skip. A value whose grad is 0 passes on only zeros through an op
        # whose local derivatives are finite, and adding a zero leaves a grad as it is; in a relu
        # network that is most of the backward (a unit that is off, a sample past the hinge's
        # margin). Tested once per value with many terms, where it pays.
        if v.op.name in _ZERO_SAFE and len(lines) >= 4:
            yield f"g{i}", lines, [f"g{j} = 0.0" for j in first_writes], v.op.name in _INLINE
        else:
            yield None, lines, (), v.op.name in _INLINE
    yield from _checks([f"g{i}" for i in written + read])


def _checks(names):
    """Lines that add the values named to _s, which each function returns: a sum that is finite only
    if every one is (or, rarely, a sum of finite values that overflows: then the call runs plain)."""
    return [(None, [f"_s += _sum(({''.join(f'{n}, ' for n in names[k : k + TERMS])}))"], (), False)
            for k in range(0, len(names), TERMS)]


def _number(x):
    """A float as source text that reads back as the same float (inf and nan by name)."""
    if not math.isfinite(x):
        return "_nan" if x != x else "_inf" if x > 0 else "(-_inf)"
    return f"({x!r})" if repr(x).startswith("-") else repr(x)


_NAME = re.compile(r"\b([vg]\d+)\b")


def _build(blocks, grads, namespace):
    """Compile the blocks into functions of at most CHUNK characters that share cells: the source text
    (compressed), the functions (each returns the sum of the values it checks) and the one that
    writes the grads. The blocks come one at a time, and only one chunk's lines are held at once."""
    cells, functions, pending, size, compiled = {}, [], [], [0], {}
    text = zlib.compressobj()
    source = []

    def flush():
        if pending:
            source.append(text.compress("".join(f"{line}\n" for line in pending).encode()))
            functions.append(_function(["_s = 0.0", *pending, "return _s"], cells, namespace, compiled))
            pending.clear()
            size[0] = 0

    for condition, lines, otherwise, splittable in blocks:
        step = max(1, CHUNK // 30)  # lines of a splittable block per piece: a term of the chain rule is short
        for piece in [lines[k : k + step] for k in range(0, len(lines), step)] if splittable else [lines]:
            length = builtins.sum(map(len, piece))
            if size[0] + length > CHUNK:
                flush()
            size[0] += length
            if condition is None:
                pending.extend(piece)
            else:  # the first writes of a skipped value's inputs still set them (to 0.0)
                pending.append(f"if {condition}:")
                pending.extend(f"    {line}" for line in piece)
                if otherwise:
                    pending.append("else:")
                    pending.extend(f"    {line}" for line in otherwise)
    flush()
    lines = []
    for k in range(0, len(grads), TERMS):
        group = grads[k : k + TERMS]
        lines.append(f"for p, g in zip(_L[{k}:{k + len(group)}], ({''.join(f'{n}, ' for n in group)})):")
        lines.append("    p.grad = g")
    write = _function([*lines, "return v0"], cells, namespace, compiled)
    source.append(text.compress("".join(f"{line}\n" for line in lines).encode()))
    source.append(text.flush())
    return b"".join(source), functions, write


def _function(lines, cells, namespace, compiled):
    """def chunk(): lines, its v<i> and g<i> closure cells shared with the other chunks (made here once).

    Trick: a chunk is compiled with its names renamed a0, a1, ... in the order they appear, and a
    chunk whose renamed text was compiled before (a long chain, a layer repeated) reuses that code
    with its own cells: compiling is most of the cost of recording.
    """
    text = "".join(f"        {line}\n" for line in lines)
    pieces = _NAME.split(text)  # text, name, text, name, ..., text
    names = list(dict.fromkeys(pieces[1::2])) or ["v0"]
    renamed = {name: f"a{k}" for k, name in enumerate(names)}
    pieces[1::2] = map(renamed.__getitem__, pieces[1::2])
    text = "".join(pieces)
    code = compiled.get(text)
    if code is None:
        declared = "".join(f"a{k} = " for k in range(len(names)))
        outer = (f"def _outer():\n    {declared}None\n    def chunk():\n"
                 f"        nonlocal {', '.join(f'a{k}' for k in range(len(names)))}\n{text}    return chunk\n")
        scope = {}
        builtins.exec(builtins.compile(outer, "<chainrule.compile>", "exec"), namespace, scope)
        # Trick: the line table dropped (it takes as much memory as the code): the replay's lines are
        # never shown in a traceback, since any error in it sends the call down the plain path.
        code = compiled[text] = scope["_outer"]().__code__.replace(co_linetable=b"")
    closure = tuple(cells[name] if name in cells else cells.setdefault(name, types.CellType())
                    for name in (names[int(free[1:])] for free in code.co_freevars))
    return types.FunctionType(code, namespace, "replay", None, closure)


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
