"""compile(per_sample, batch=(X, y)): one sample's graph, replayed over the whole batch with numpy.

    step = chainrule.compile(lambda x, y: hinge(model(x), y), batch=(X, Y),
                             extra=lambda: 1e-4 * l2(model.parameters()))
    for _ in range(100):
        opt.zero_grad()
        loss = step()       # the mean loss over the batch (plus extra()), a float
        opt.step()          # every parameter's grad got the mean of the per-sample grads

Every sample of a batch builds the same graph, so the graph is recorded for the samples and
replayed once for all of them: each value of the graph becomes an array with one entry per
sample (or a single number, where it reads only parameters and constants). The dots of a layer
share their inputs (the same Values in the same order) and their weights are parameters: they
are the columns of one matrix product, X @ W + b, and their backward is two more (X^T G for the
weights, G W^T for the inputs). Everything else is the table's math on arrays: a numpy forward
and local derivative per op (written below, the same formulas as the table's float ones).

What the recording finds out, and what happens when it cannot batch (a RuntimeWarning says
why, and every call then runs the plain path: per_sample for each sample, the mean, backward()):
- Numbers in the graph that are the same for every sample are constants; numbers that differ
  (the x and y of the sample, 1 - y, anything computed from the data) are read per sample, as
  the recording saw them. The batch is read once, when recorded.
- A number computed from a parameter's value on floats (`w * w.data`) changes when the
  parameters do, so a replay would keep a stale one: the recording runs one sample again with
  every value nudged, and refuses to batch when such a number moved. A Shift (engine.value: the
  c that nn.cross_entropy and softmax take from the logits, which their result does not depend
  on) is the exception: each sample's is kept as recorded, as a number of the data.
- Python that branches on the data (an `if` on x, as nn.binary_cross_entropy does on a 0/1
  label) gives different graphs to different samples: the samples are grouped by graph, each
  group replayed on its own, up to MAX_GRAPHS groups; more than that is not batched. A branch
  on a parameter's value (nn.binary_cross_entropy(from_logits=True) picks a formula by each
  logit's sign) keeps the branch recorded, as compile does: there, the same function, equal
  within rounding.
Domain errors and any value that is not finite send that call down the plain path, so it
raises what the plain path raises.

numpy is imported only here, the `fast` extra: pip install "chainrule[fast]".
"""
import math
import warnings

from .primitives import PRIMITIVES
from .value import Shift, Value, backward_order, sum_values

np = None  # numpy, imported when a batch replay is made

MAX_GRAPHS = 8  # different graphs (groups of samples) a batch replay takes before it runs plain
SMALL_PRODUCT = 2**16  # multiply-adds of a matrix product small enough to take its bias in (_Plan._fuse_biases)
NUDGE = 2.0**-12  # relative change of every value when recording checks which numbers read parameters


def batched(per_sample, batch, extra, lock):
    """The batch replay of per_sample over batch = (X, y): see compile() and this module's docstring.
    lock: the one that every compiled step takes while it reads and writes grads (compile.py's)."""
    global np
    try:
        import numpy
    except ImportError:
        raise ImportError('compile(..., batch=) replays the batch as numpy arrays, and numpy is not installed: '
                          'pip install "chainrule[fast]"') from None
    np = numpy
    if not callable(per_sample):
        raise TypeError(f"compile(per_sample, batch=): per_sample must be a function of (x, y) that returns one "
                        f"sample's loss, not {type(per_sample).__name__}")
    if extra is not None and not callable(extra):
        raise TypeError(f"compile: extra must be a function of no arguments that returns a Value (a penalty such as "
                        f"lambda: 1e-4 * l2(params)), not {type(extra).__name__}")
    X, Y = _batch(batch)
    return Batched(per_sample, X, Y, extra, lock)


def _batch(batch):
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise TypeError(f"compile: batch must be a pair (X, y) of rows and targets, not {type(batch).__name__}")
    X, Y = list(batch[0]), list(batch[1])
    if len(X) != len(Y):
        raise ValueError(f"compile: batch has {len(X)} rows in X but {len(Y)} targets in y")
    if not X:
        raise ValueError("compile: batch has no samples (an empty X)")
    for what, rows in (("X", X), ("y", Y)):
        for i, row in enumerate(rows):
            items = row if isinstance(row, (list, tuple)) else [row]
            if any(isinstance(v, Value) for v in items):
                raise TypeError(f"compile: batch {what}[{i}] holds a Value; batch= takes the data as numbers "
                                "(the replay reads them once); pass floats, or compile a function of no arguments")
    return X, Y


class Batched:
    """The batch replay; call it for the mean loss (a float), the mean grads added to every parameter."""

    def __init__(self, per_sample, X, Y, extra, lock):
        self.per_sample, self.X, self.Y, self.extra = per_sample, X, Y, extra
        self._lock = lock
        self._groups = None  # the plans, one per graph, made by the first call
        self._extra = None  # extra's plan
        self.reason = None  # why it runs plain, when it does
        self._known = None  # the last parameter list given to update() that holds the replay's parameters
        self._loaded = None  # the parameters' data as pv holds them (a list of floats)

    def __call__(self):
        with self._lock:
            if self._groups is None and self.reason is None:
                self._record()
            if self.reason is not None:
                return self._plain()
            result = self._run()
            if result is None:  # a domain error or a value not finite: the plain path raises what it raises
                return self._plain()
            loss, grads = result
            for p, g in zip(self._params, grads.tolist()):
                p.grad += g
            return loss

    def update(self, params, rule):
        """A call that also moves the parameters, for an optimizer (nn.SGD.step(closure) uses it): the
        mean loss as a call returns it, every grad added to as a call adds, then every parameter's
        data set to rule(data, grad) (arrays in the same order, one array out), in one pass.

        params: the parameters the replay reads, in any order. Returns None and changes nothing when
        it cannot do that: other parameters, a call that runs plain, a new data that is not finite;
        then call it and step as usual (which runs plain, or raises what the step raises)."""
        with self._lock:
            if self._groups is None and self.reason is None:
                self._record()
            if self.reason is not None or not self._reads_exactly(params):
                return None
            result = self._run()
            if result is None:
                return None
            loss, pg = result
            before = [p.grad for p in self._params]
            grads = np.fromiter(before, float, len(before)) + pg if any(before) else pg + 0.0  # as p.grad += g
            with np.errstate(all="ignore"):
                data = rule(self._pv, grads)
                check = np.add.reduce(data)
            if not math.isfinite(check):
                return None
            self._pv[:] = data
            self._loaded = data.tolist()  # what the next call reads, unless the data change before it
            for p, x, g in zip(self._params, self._loaded, grads.tolist()):
                p.data = x
                p.grad = g
            return loss

    def _reads_exactly(self, params):
        """Whether params holds the parameters the replay reads and no others (the last answer yes is kept)."""
        if self._known != params:  # compared by identity, item by item
            if len(params) != len(self._params) or {id(p) for p in params} != {id(p) for p in self._params}:
                return False
            self._known = list(params)
        return True

    @property
    def batched(self):
        """Whether calls replay the batch as arrays (False: each runs the plain path; .reason says why)."""
        if self._groups is None and self.reason is None:
            raise ValueError("nothing recorded yet: call the compiled function once first")
        return self.reason is None

    @property
    def plan(self):
        """What each call computes, a line per array operation (matrix products with their shapes)."""
        if self._groups is None:
            raise ValueError(self.reason or "nothing recorded yet: call the compiled function once first")
        lines = []
        for k, plan in enumerate(self._groups):
            lines.append(f"graph {k + 1} of {len(self._groups)}: {plan.m} samples")
            lines.extend(f"  {step.describe()}" for step in plan.steps)
        if self._extra is not None:
            lines.append("extra(), once")
            lines.extend(f"  {step.describe()}" for step in self._extra.steps)
        return "\n".join(lines)

    def __repr__(self):
        return f"<batch replay of {getattr(self.per_sample, '__qualname__', self.per_sample)!r} on {len(self.X)} samples>"

    def _plain(self):
        losses = [_loss(self.per_sample, x, y, i) for i, (x, y) in enumerate(zip(self.X, self.Y))]
        root = losses[0] if len(losses) == 1 else sum_values(losses) / len(losses)
        if self.extra is not None:
            root = root + _extra_loss(self.extra)
        root.backward()
        return root.data

    def _run(self):
        """(mean loss, grads as an array), or None if anything was not finite or outside an op's domain."""
        pv, pg = self._pv, self._pg  # the steps hold views of these two (a layer's W, its grad)
        data = [p.data for p in self._params]
        if data != self._loaded:  # (they are the same after update(), which wrote them)
            pv[:] = np.fromiter(data, float, len(data))
            self._loaded = data
        pg.fill(0.0)
        total = 0.0
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                for plan in self._groups:
                    total += plan.run(pv, pg)
                loss = total / len(self.X)
                if self._extra is not None:
                    loss += self._extra.run(pv, pg)
                check = np.add.reduce(pg) + loss  # finite numbers sum to a finite number (or overflow: then plain)
        except (FloatingPointError, ArithmeticError, ValueError):
            return None
        if not math.isfinite(check):
            return None
        return loss, pg

    def _record(self):
        try:
            params, index = [], {}
            groups = _Recording(self.per_sample, self.X, self.Y).plans(params, index, 1.0 / len(self.X))
            if self.extra is not None:  # a graph of its own, run once: its grads are not divided by n
                self._extra, = _Recording(lambda x, y: _extra_loss(self.extra), [None], [None]).plans(
                    params, index, 1.0, numbers="const")
            self._groups, self._params = groups, params
            self._pv, self._pg = np.zeros(len(params)), np.zeros(len(params))
            written = np.zeros(len(params), dtype=bool)  # the grads that a call's backward has written so far
            for plan in groups + [self._extra] * (self._extra is not None):  # in the order a call runs them
                plan.bind(self._pv, self._pg, written)
        except _Refused as refused:
            self.reason = str(refused)
            warnings.warn(f"compile(batch=): {refused}; every call runs the plain path (per_sample on each sample, "
                          "then backward)", RuntimeWarning, stacklevel=3)


class _Refused(Exception):
    """What the batch replay cannot take; the calls run plain."""


def _loss(per_sample, x, y, i):
    root = per_sample(x, y)
    if not isinstance(root, Value):
        raise TypeError(f"compile(batch=): per_sample(x, y) must return the sample's loss as a Value, not "
                        f"{type(root).__name__} {root!r} (sample {i})")
    return root


def _extra_loss(extra):
    root = extra()
    if not isinstance(root, Value):
        raise TypeError(f"compile: extra() must return a Value, not {type(root).__name__} {root!r}")
    return root


# ---- recording


class _Group:
    """The samples that build one graph: its first sample's graph, and every member's leaves."""

    def __init__(self, first, order):
        self.first = first
        self.order = order
        self.members = []
        self.rows = []  # per member, its leaves' numbers
        self.ids = []  # per member, its leaves' identities


class _Recording:
    """Every sample's graph, grouped; which leaves are parameters, constants and per-sample numbers."""

    def __init__(self, per_sample, X, Y):
        self.per_sample, self.X, self.Y = per_sample, X, Y
        self.groups = {}
        for i, (x, y) in enumerate(zip(X, Y)):
            order = backward_order(_loss(per_sample, x, y, i))
            key = _signature(order)
            group = self.groups.get(key)
            if group is None:
                if len(self.groups) == MAX_GRAPHS:
                    raise _Refused(f"per_sample builds more than {MAX_GRAPHS} different graphs over the batch "
                                   "(Python that branches on the data), so the samples cannot share a replay")
                group = self.groups[key] = _Group(i, order)
            leaves = [v for v in order if not v.inputs]
            group.members.append(i)
            group.rows.append([v.data for v in leaves])
            group.ids.append([id(v) for v in leaves])

    def plans(self, params, index, seed, numbers=None):
        """A plan per group; the parameters they read are added to params (index: id -> position).
        numbers="const": every number is a constant (extra(), which reads no sample), not data."""
        plans = []
        for group in self.groups.values():
            read = self._read(group)
            leaves = [v for v in group.order if not v.inputs]
            kinds = {}
            matrix = np.array(group.rows, dtype=float)
            ids = np.array(group.ids, dtype=np.uint64)
            for v in _layout(group.order, read):
                if id(v) not in index:
                    index[id(v)] = len(params)
                    params.append(v)
            for j, v in enumerate(leaves):
                if id(v) in read:
                    if (ids[:, j] != ids[0, j]).any():
                        raise _Refused("per_sample uses different parameters at the same place of the graph for "
                                       "different samples")
                    kinds[id(v)] = ("param", index[id(v)])
                else:
                    column = matrix[:, j]
                    # the same for every sample (with one sample, each number is its own, as data)
                    if numbers == "const" or len(column) > 1 and (column == column[0]).all():
                        kinds[id(v)] = ("const", float(column[0]))
                    else:
                        kinds[id(v)] = ("data", column.copy())
            interior_read = next((v for v in group.order if v.inputs and id(v) in read), None)
            if interior_read is not None:
                raise ValueError(f"compile: per_sample uses {interior_read!r}, a value computed before it was called; "
                                 "compute it inside per_sample (or detach() it)")
            plans.append(_Plan(group.order, kinds, len(group.members), seed))
        if not params:
            raise ValueError("compile: the loss depends on no value that per_sample reads (a parameter), so there "
                             "is nothing to train; was it called inside no_grad()?")
        return plans

    def _read(self, group):
        """The ids of the values of the group's graph that per_sample reads rather than makes: those that
        are the same objects when its first sample is run again. That run has every value nudged, so
        that a number per_sample computed from a value's float (not through the graph) shows by moving."""
        order = group.order
        saved = [(v, v.data) for v in order]
        i = group.first
        try:
            for v, x in saved:
                v.data = x + (abs(x) + 1.0) * NUDGE
            try:
                again = backward_order(_loss(self.per_sample, self.X[i], self.Y[i], i))
            except (ArithmeticError, ValueError) as error:
                raise _Refused(f"per_sample failed when run again with its values nudged ({error})") from None
        finally:
            for v, x in saved:
                v.data = x
        if _signature(again) != _signature(order):
            raise _Refused("per_sample builds another graph when the parameters change a little (Python that "
                           "branches on a parameter's value)")
        read = set()
        for v, (w, x) in zip(again, saved):
            if v is w:
                read.add(id(v))
            elif not v.inputs and v.data != x and not isinstance(v, Shift):
                raise _Refused(f"per_sample computes a number of its graph ({x!r}) from a value's float rather than "
                               "through the graph (as w * w.data does): it would go stale "
                               "in a replay")
        return read


def _layout(order, read):
    """The values read (parameters) in the order of their numbers in the replay's arrays.

    Trick: a layer's weights laid out as its matrix W (nin, nout) row by row, then its biases, so
    that the replay reads W and writes its grad as a view of one array, with no gather or scatter."""
    layers = {}
    for v in order:  # a layer's dots in the order the next layer reads them (as _Plan takes them)
        if v.op.name == "dot" and all(id(x) in read for x in v.inputs[: len(v.inputs) // 2]):
            n = len(v.inputs) // 2
            layers.setdefault((tuple(map(id, v.inputs[n : 2 * n])), len(v.inputs) % 2), []).append(v)
    laid = [d.inputs[j] for dots in layers.values() for j in [*range(len(dots[0].inputs) // 2), -1] for d in dots
            if j != -1 or len(d.inputs) % 2]
    laid += [v for v in order if not v.inputs and id(v) in read]
    return [v for v in laid if id(v) in read]


def _signature(order):
    """The graph's shape: per value its op and its inputs' positions (leaves: only the kind)."""
    position = {id(v): i for i, v in enumerate(order)}
    return tuple((v.op.name, tuple([position[id(x)] for x in v.inputs])) if v.inputs else v.op.name for v in order)


# ---- the numpy rules, one per op of the table: forward(*inputs) and local(out, *inputs)


def _sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _powc_local(out, a, n):
    if _ndim(n) == 0:
        return (n * a ** (n - 1.0) if n != 0.0 else 0.0 * a, 0.0)
    safe = np.where(n != 0.0, n, 1.0)
    return (np.where(n != 0.0, n * a ** (safe - 1.0), 0.0), 0.0)


def _pow_forward(a, b):
    if not np.all(a > 0.0):
        raise ValueError("pow: a non-positive base")
    return a**b


def _sum(*xs):
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    return total


def _dot(*args):
    n = len(args) // 2
    total = args[0] * args[n]
    for w, x in zip(args[1:n], args[n + 1 : 2 * n]):
        total = total + w * x
    return total + args[-1] if len(args) % 2 else total


def _dot_local(out, *args):
    n = len(args) // 2
    return args[n : 2 * n] + args[:n] + (1.0,) * (len(args) % 2)


RULES = {
    "add": (lambda a, b: a + b, lambda out, a, b: (1.0, 1.0)),
    "sub": (lambda a, b: a - b, lambda out, a, b: (1.0, -1.0)),
    "mul": (lambda a, b: a * b, lambda out, a, b: (b, a)),
    "div": (lambda a, b: a / b, lambda out, a, b: (1.0 / b, -out / b)),
    "neg": (lambda a: -a, lambda out, a: (-1.0,)),
    "powc": (lambda a, n: a**n, _powc_local),
    "pow": (_pow_forward, lambda out, a, b: (b * out / a, out * np.log(a))),
    "exp": (lambda a: np.exp(a), lambda out, a: (out,)),
    "log": (lambda a: np.log(a), lambda out, a: (1.0 / a,)),
    "sqrt": (lambda a: np.sqrt(a), lambda out, a: (0.5 / out,)),
    "tanh": (lambda a: np.tanh(a), lambda out, a: (1.0 - out * out,)),
    "sigmoid": (_sigmoid, lambda out, a: (out * (1.0 - out),)),
    "relu": (lambda a: np.maximum(a, 0.0), lambda out, a: (a > 0.0,)),  # True and False multiply as 1 and 0
    "abs": (lambda a: np.abs(a), lambda out, a: (np.sign(a),)),
    "sum": (_sum, lambda out, *xs: (1.0,) * len(xs)),
    "dot": (_dot, _dot_local),
}
INTO = {  # forward rules that write into a given array (out=) and return it, for _Columns.beside_ones
    "relu": lambda a, out: np.maximum(a, 0.0, out=out),
    "tanh": lambda a, out: np.tanh(a, out=out),
}
_UNIT = {"add": (1, 1), "sub": (1, -1), "neg": (-1,)}  # ops whose local derivatives are +-1: the grad passed on as is


def _rule(op):
    """The numpy rule for a row of the table: ours, or the row's float functions applied element by element."""
    if op.name in RULES:
        return RULES[op.name]
    if op.arity is None:
        raise _Refused(f"the op {op.name!r} has no numpy rule and takes any number of inputs")
    forward = np.vectorize(op.forward, otypes=[float])
    local = np.vectorize(op.local, otypes=[float] * op.arity)
    domain = None if op.domain is None else np.vectorize(op.domain[0], otypes=[bool])

    def checked(*xs):
        if domain is not None and not np.all(domain(*xs)):
            raise ValueError(f"{op.name}: {op.domain[1]}")
        return forward(*xs)

    return checked, lambda out, *xs: tuple(np.broadcast_to(d, np.shape(out)) for d in local(out, *xs))


# ---- the plan: a graph as array operations


class _Plan:
    """One graph's replay over its m samples: steps, each a matrix product, an op on a layer's
    columns at once, or one node's op; each value is a slot (or a column of a slot's matrix)."""

    def __init__(self, order, kinds, m, seed):
        self.m = m
        self.seed = seed  # d mean / d loss_i
        self.steps = []
        self.base = []  # each slot's fixed value: constants, data columns, numbers from them alone
        self.params = []  # (slot, k): parameter k's value, loaded into its slot
        ref, kind = {}, {}  # per value (by id): (slot, column or None); and param, const, data, scalar, vary

        def slot(value=None):
            self.base.append(value)
            return len(self.base) - 1

        for v in order:
            if not v.inputs:
                what, x = kinds[id(v)]
                kind[id(v)] = what
                if what == "param":
                    ref[id(v)] = (slot(), None)
                    self.params.append((ref[id(v)][0], x))
                else:
                    ref[id(v)] = (slot(x), None)
        interior = [v for v in reversed(order) if v.inputs]  # inputs first
        users = {}  # id -> the one-input nodes that read it
        for v in interior:
            if len(v.inputs) == 1:
                users.setdefault(id(v.inputs[0]), []).append(v)
        layers = {}  # the dots that share their inputs: (inputs, bias or not) -> those whose weights are parameters
        for v in reversed(interior):  # a layer's dots in the order the next layer reads them, in a network
            if v.op.name == "dot" and self._parameters(v, kind):
                n = len(v.inputs) // 2
                layers.setdefault((tuple(map(id, v.inputs[n : 2 * n])), len(v.inputs) % 2), []).append(v)
        block_nodes = {}  # slot of a matrix -> the values that are its columns
        done = set()
        for v in interior:
            if id(v) in done:
                continue
            inputs = [kind[id(x)] for x in v.inputs]
            if all(k in ("const", "data") for k in inputs):  # numbers alone: computed once, here
                with np.errstate(all="ignore"):  # the recording ran it on floats already, without error
                    value = _rule(v.op)[0](*[self.base[ref[id(x)][0]] for x in v.inputs])
                kind[id(v)] = "data" if np.ndim(value) else "const"
                ref[id(v)] = (slot(value if np.ndim(value) else float(value)), None)
                done.add(id(v))
                continue
            key = self._layer_key(v, kind)
            if key is not None:
                dots = layers[key]
                out = slot()
                step = _MatMul(self, dots, out, ref, kind, block_nodes, slot)
                self.steps.append(step)
                block_nodes[out] = dots
                for c, d in enumerate(dots):
                    ref[id(d)], kind[id(d)] = (out, c), "vary"
                    done.add(id(d))
                continue
            x = v.inputs[0]
            if len(v.inputs) == 1 and ref[id(x)][1] is not None and v.op.name in RULES:
                source = ref[id(x)][0]
                group = [u for c in block_nodes[source] for u in users.get(id(c), ()) if u.op is v.op
                         and id(u) not in done]
                cols = [ref[id(u.inputs[0])][1] for u in group]
                out = slot()
                self.steps.append(_Columns(v.op.name, out, source, cols, len(block_nodes[source])))
                block_nodes[out] = group
                for c, u in enumerate(group):
                    ref[id(u)], kind[id(u)] = (out, c), "vary"
                    done.add(id(u))
                continue
            out = slot()
            if v.op.name == "dot" and all(k == "param" for k in inputs):  # a penalty such as l2(params)
                k = dict(self.params)
                step = _ParamDot(out, [k[ref[id(x)][0]] for x in v.inputs])
            else:
                step = _Node(v.op, out, [ref[id(x)] for x in v.inputs], [kind[id(x)] for x in v.inputs])
            ref[id(v)] = (out, None)
            kind[id(v)] = "vary" if any(k in ("vary", "data") for k in inputs) else "scalar"
            self.steps.append(step)
            done.add(id(v))
        root = order[0]
        if kind[id(root)] in ("const", "data", "param"):
            raise ValueError("compile: the loss depends on no parameter through an op, so there is nothing to train")
        self.root, self.root_kind = ref[id(root)], kind[id(root)]
        self.param_slot = {s: k for s, k in self.params}
        self._fuse_biases()
        read = {r[0] for step in self.steps if isinstance(step, _Node) for r in step.refs}
        self.loads = [(s, k) for s, k in self.params if s in read]  # the parameters single ops read

    def _fuse_biases(self):
        """Trick: X @ W + b is [X 1] @ [W; b], one matrix product, and its backward [X 1]^T G gives the
        grads of W and b at once. _layout put b after W, so [W; b] is a view too. For a layer that
        reads the data, [X 1] is made once; for one that reads the layer before's activation, that
        activation writes its columns beside a column of ones (_Columns.beside_ones), for small
        products only (SMALL_PRODUCT): there a call costs more than its arithmetic, while a bigger
        product one row longer can cross the size past which BLAS splits it over threads."""
        made = {step.out: step for step in self.steps if isinstance(step, _Columns)}
        for step in self.steps:
            if not (isinstance(step, _MatMul) and step.views and step.b is not None):
                continue
            if step.x is not None:
                step.X1 = np.column_stack([step.x, np.ones(self.m)])
            elif (step.perm is None and step.x_slot in made and made[step.x_slot].cols is None
                  and self.m * (step.n_in + 1) * step.n_out <= SMALL_PRODUCT):
                step.X1 = made[step.x_slot].beside_ones(self.m)

    @staticmethod
    def _layer_key(v, kind):
        """For a dot whose weights (and bias) are parameters and whose inputs vary by sample: what the
        dots of its layer share (their inputs, in order); else None."""
        if v.op.name != "dot":
            return None
        n = len(v.inputs) // 2
        xs, rest = v.inputs[n : 2 * n], v.inputs[2 * n :]
        if not _Plan._parameters(v, kind):
            return None
        xk = [kind.get(id(x)) for x in xs]
        if not all(k in ("const", "data", "vary") for k in xk) or not any(k in ("data", "vary") for k in xk):
            return None
        return tuple(map(id, xs)), len(rest)

    @staticmethod
    def _parameters(v, kind):
        """Whether a dot's weights and bias are all parameters."""
        n = len(v.inputs) // 2
        return all(kind.get(id(w)) == "param" for w in v.inputs[:n] + v.inputs[2 * n :])

    def bind(self, pv, pg, written):
        """Let the steps hold views of the arrays that every call fills, the parameters' values pv and
        grads pg; written marks the grads that a call's backward has written before this graph's."""
        if self.root_kind == "vary":  # d mean / d loss_i for each sample, or their sum
            self.root_grad = np.full(self.m, self.seed)
            self.root_grad.flags.writeable = False  # the same array every call: no step may add to it
        else:
            self.root_grad = self.m * self.seed
        for step in reversed(self.steps):  # in the order backward runs them
            step.bind(pv, pg, written, self.param_slot)
        self.run = self._write_run()

    def _write_run(self):
        """run(pv, pg): forward and backward for this graph's samples, adding n-scaled grads to pg;
        it returns the sum of the losses.

        Trick: run is Python written here, once, and compiled: each step's forward, then the grad
        at the root, then each step's backward in reverse, written out with its arrays and rules as
        names (a step whose code is not written out is called: step.forward(vals, pv)). A call then
        runs no loop over the steps, no method call, no test of how a step was made. vals[k] is
        slot k's value, grads[k] its grad (None until something reaches it)."""
        src = _Source(self)
        src.add(0, "def run(pv, pg):")
        src.add(1, "vals = list(base)", f"grads = [None] * {len(self.base)}")
        src.add(1, *[f"vals[{s}] = pv[{k}]" for s, k in self.loads])
        for i, step in enumerate(self.steps):
            src.add(1, *(step.forward_code(src) or [f"{src.name(step, 'step')}.forward(vals, pv)"]))
        src.add(1, f"losses = {src.get(self.root)}")
        src.add(1, *src.give(self.root, self.root_kind, src.name(self.root_grad, "seed")))
        for step in reversed(self.steps):
            src.add(1, *(step.backward_code(src) or
                         [f"{src.name(step, 'step')}.backward(vals, grads, pv, pg, param_slot)"]))
        src.add(1, f"return float(add_reduce(losses)) if _ndim(losses) else {self.m} * float(losses)")
        run = src.compiled("run")
        self.source = src.text  # to read what a call runs
        return run


class _Source:
    """The text of a plan's run function, and the objects its names stand for."""

    def __init__(self, plan):
        self.names = {"np": np, "matmul": np.matmul, "add_reduce": np.add.reduce, "_give": _give, "_ndim": _ndim,
                      "base": plan.base, "param_slot": plan.param_slot}
        self.lines = []

    def add(self, depth, *lines):
        self.lines.extend("    " * depth + line for line in lines)

    def name(self, value, what):
        """A name for value in the function's globals (what: a word for it, such as its op's name)."""
        name = f"{what if what.isidentifier() else 'value'}_{len(self.names)}"
        self.names[name] = value
        return name

    @staticmethod
    def get(ref):
        slot, col = ref
        return f"vals[{slot}]" if col is None else f"vals[{slot}][:, {col}]"

    @staticmethod
    def give(ref, kind, g):
        """Lines that add g (an expression) to the grad of the value at ref, as _give does."""
        slot, col = ref
        if kind in ("const", "data"):
            return []
        if kind != "vary":
            return [f"_give(grads, pg, param_slot, vals, {ref!r}, {kind!r}, {g})"]
        if col is None:
            return [f"g_ = {g}", f"cur = grads[{slot}]", f"grads[{slot}] = g_ if cur is None else cur + g_"]
        return [f"g_ = {g}", f"G_ = grads[{slot}]", "if G_ is None:",
                f"    G_ = grads[{slot}] = np.zeros(vals[{slot}].shape)", f"    G_[:, {col}] = g_",
                "else:", f"    G_[:, {col}] += g_"]

    def compiled(self, function):
        self.text = "\n".join(self.lines) + "\n"
        exec(compile(self.text, "<batch replay>", "exec"), self.names)  # our own text, made from the plan
        return self.names[function]


def _indented(lines):
    return ["    " + line for line in lines]


def _give(grads, pg, param_slot, vals, ref, kind, g):
    """Add g (one number per sample, or one number) to the grad of the value at ref."""
    if kind in ("const", "data"):
        return
    if kind in ("param", "scalar") and _ndim(g):
        g = g.sum()
    slot, col = ref
    if kind == "param":
        pg[param_slot[slot]] += g
    elif col is None:
        current = grads[slot]
        grads[slot] = g if current is None else current + g
    else:
        G = grads[slot]
        if G is None:
            G = grads[slot] = np.zeros(vals[slot].shape)
            G[:, col] = g
        else:
            G[:, col] += g


def _ndim(x):
    """np.ndim(x), without its exception for a Python float."""
    return getattr(x, "ndim", 0)


def _get(vals, ref):
    slot, col = ref
    return vals[slot] if col is None else vals[slot][:, col]


class _MatMul:
    """A layer's dots as X @ W + b: X the inputs they share, one column each, W a column per dot."""

    def __init__(self, plan, dots, out, ref, kind, block_nodes, slot):
        n = len(dots[0].inputs) // 2
        xs = dots[0].inputs[n : 2 * n]
        self.out = out
        self.n_in, self.n_out, self.m = n, len(dots), plan.m
        k = dict(plan.params)  # slot -> parameter index
        self.W = np.array([[k[ref[id(d.inputs[j])][0]] for d in dots] for j in range(n)])
        self.b = np.array([k[ref[id(d.inputs[-1])][0]] for d in dots]) if len(dots[0].inputs) % 2 else None
        self.unique = len(set(self.W.ravel().tolist())) == self.W.size and (
            self.b is None or len(set(self.b.tolist())) == self.b.size)
        start, size = int(self.W[0, 0]), self.W.size
        self.views = (np.array_equal(self.W.ravel(), np.arange(start, start + size))
                      and (self.b is None or np.array_equal(self.b, np.arange(start + size, start + size + self.n_out))))
        if self.views:  # laid out by _layout: W and b as slices of the parameters' array
            self.W, self.b = slice(start, start + size), None if self.b is None else slice(start + size, start + size + self.n_out)
        refs = [ref[id(x)] for x in xs]
        kinds = [kind[id(x)] for x in xs]
        source = refs[0][0]
        self.perm = None
        if refs[0][1] is not None and sorted(refs) == [(source, c) for c in range(len(block_nodes[source]))]:
            self.x, self.x_slot, self.x_refs = None, source, None  # the matrix of the layer before
            if refs != sorted(refs):
                self.perm = np.array([c for _, c in refs])  # its columns in another order
        elif all(k in ("const", "data") for k in kinds):
            columns = [np.broadcast_to(plan.base[r[0]], (plan.m,)) for r in refs]
            self.x, self.x_slot, self.x_refs = np.column_stack(columns), None, None  # data: fixed
        else:
            self.x, self.x_slot, self.x_refs = None, None, list(zip(refs, kinds))
        self.aux = slot()  # W's values, kept for the backward
        self.X1 = None  # [X 1], when the bias rides in the matrix product (_Plan._fuse_biases)

    def describe(self):
        fused = ", their biases in the product ([X 1] @ [W; b])" if self.X1 is not None else ""
        return (f"matmul ({self.m}, {self.n_in}) @ ({self.n_in}, {self.n_out}): {self.n_out} dots that share their "
                f"inputs{fused}")

    def inputs(self, vals):
        if self.x is not None:
            return self.x
        if self.x_slot is not None:
            return vals[self.x_slot] if self.perm is None else vals[self.x_slot][:, self.perm]
        return np.column_stack([np.broadcast_to(_get(vals, r), (self.m,)) for r, _ in self.x_refs])

    def bind(self, pv, pg, written, param_slot):
        """Laid out by _layout, W and b (and their grads) are views of pv and pg, made once. The first
        step of a call to write these grads writes them; the others add to them."""
        self.fresh = self.views and not written[self.W].any() and (self.b is None or not written[self.b].any())
        written[self.W] = True
        if self.b is not None:
            written[self.b] = True
        if self.views:
            self.W_values, self.W_grad = (a[self.W].reshape(self.n_in, self.n_out) for a in (pv, pg))
            self.b_values, self.b_grad = (None, None) if self.b is None else (pv[self.b], pg[self.b])
            self.W_T = self.W_values.T
        if self.X1 is not None:  # [W; b] and its grad
            Wb = slice(self.W.start, self.b.stop)
            self.Wb_values, self.Wb_grad = (a[Wb].reshape(self.n_in + 1, self.n_out) for a in (pv, pg))
            self.X1_T = self.X1.T

    def forward(self, vals, pv):
        if self.X1 is not None:
            out = self.X1 @ self.Wb_values
        else:
            W = vals[self.aux] = self.W_values if self.views else pv[self.W]
            out = self.inputs(vals) @ W
            if self.b is not None:
                out += self.b_values if self.views else pv[self.b]
        total = out.sum()
        if total - total != 0.0:  # an overflow that the FPU's flags did not show (a BLAS thread)
            raise FloatingPointError("matmul overflow")
        vals[self.out] = out

    def _written_out(self):
        """Whether forward_code and backward_code write this product out: W and b views, and X the
        data or the layer before's matrix in order (else they return None: the methods are called)."""
        return self.views and (self.x is not None or self.x_slot is not None and self.perm is None)

    def forward_code(self, src):
        if not self._written_out():
            return None
        if self.X1 is not None:
            lines = [f"out = vals[{self.out}] = {src.name(self.X1, 'X1')} @ {src.name(self.Wb_values, 'Wb')}"]
        else:
            X = src.name(self.x, "X") if self.x is not None else f"vals[{self.x_slot}]"
            lines = [f"out = vals[{self.out}] = {X} @ {src.name(self.W_values, 'W')}"]
            if self.b is not None:
                lines.append(f"out += {src.name(self.b_values, 'b')}")
        return lines + ["total = add_reduce(out, None)", "if total - total != 0.0:",
                        "    raise FloatingPointError('matmul overflow')"]

    def backward_code(self, src):
        if not self._written_out():
            return None
        if self.X1 is not None:
            X1_T, Wb_grad = src.name(self.X1_T, "X1_T"), src.name(self.Wb_grad, "Wb_grad")
            body = [f"matmul({X1_T}, G, out={Wb_grad})" if self.fresh else f"{Wb_grad}[...] += {X1_T} @ G"]
        else:
            X_T = src.name(self.x.T, "X_T") if self.x is not None else f"vals[{self.x_slot}].T"
            W_grad = src.name(self.W_grad, "W_grad")
            body = [f"matmul({X_T}, G, out={W_grad})" if self.fresh else f"{W_grad}[...] += {X_T} @ G"]
            if self.b is not None:
                b_grad = src.name(self.b_grad, "b_grad")
                body.append(f"add_reduce(G, 0, out={b_grad})" if self.fresh else f"{b_grad}[...] += G.sum(axis=0)")
        if self.x is None:  # the layer before's matrix, in order; for one dot G W^T is an outer product,
            W_T = src.name(self.W_T, "W_T")  # quicker as a broadcast product
            body += [f"G_in = G * {W_T}" if self.n_out == 1 else f"G_in = G @ {W_T}", f"cur = grads[{self.x_slot}]",
                     "if cur is None:", f"    grads[{self.x_slot}] = G_in", "else:", "    cur += G_in"]
        return [f"G = grads[{self.out}]", "if G is not None:", *_indented(body)]

    def backward(self, vals, grads, pv, pg, param_slot):
        G = grads[self.out]
        if G is None:
            return
        if self.X1 is not None:
            if self.fresh:
                np.matmul(self.X1_T, G, out=self.Wb_grad)
            else:
                self.Wb_grad += self.X1_T @ G
            if self.x is None:
                self._give_inputs(grads, G @ self.W_T, vals, pg, param_slot)
            return
        X = self.inputs(vals)
        if self.fresh:  # straight into pg's views
            np.matmul(X.T, G, out=self.W_grad)
            if self.b is not None:
                np.sum(G, axis=0, out=self.b_grad)
        elif self.views:
            self.W_grad += X.T @ G
            if self.b is not None:
                self.b_grad += G.sum(axis=0)
        elif self.unique:
            pg[self.W] += X.T @ G
            if self.b is not None:
                pg[self.b] += G.sum(axis=0)
        else:
            np.add.at(pg, self.W, X.T @ G)
            if self.b is not None:
                np.add.at(pg, self.b, G.sum(axis=0))
        if self.x is None:
            self._give_inputs(grads, G @ vals[self.aux].T, vals, pg, param_slot)

    def _give_inputs(self, grads, G_in, vals, pg, param_slot):
        """The grad of the inputs X: G W^T."""
        if self.x_slot is not None:
            current = grads[self.x_slot]
            if current is None and self.perm is None:
                grads[self.x_slot] = G_in
            elif self.perm is None:
                current += G_in
            else:
                if current is None:
                    current = grads[self.x_slot] = np.zeros(vals[self.x_slot].shape)
                current[:, self.perm] += G_in  # a permutation: no column twice
        else:
            for c, (r, k) in enumerate(self.x_refs):
                _give(grads, pg, param_slot, vals, r, k, G_in[:, c])


class _Columns:
    """A one-input op (an activation) on many columns of a matrix at once: a layer's outputs."""

    def __init__(self, op, out, source, cols, width):
        self.op, self.out, self.source = op, out, source
        self.forward_rule, self.local_rule = RULES[op]
        self.cols = None if cols == list(range(width)) else np.array(cols)
        self.width = len(cols)
        self.buffer = None  # [out 1], when the next layer's product takes its bias in

    def beside_ones(self, m):
        """The array [out 1] that forward writes its columns into, for the next layer's [X 1] @ [W; b]."""
        if self.buffer is None:
            self.buffer = np.ones((m, self.width + 1))
            self.view = self.buffer[:, : self.width]
        return self.buffer

    def describe(self):
        return f"{self.op} on {self.width} columns at once"

    def bind(self, pv, pg, written, param_slot):
        pass  # it reads no parameter

    def forward(self, vals, pv):
        x = vals[self.source] if self.cols is None else vals[self.source][:, self.cols]
        if self.buffer is None:
            vals[self.out] = self.forward_rule(x)
        elif self.op in INTO:
            vals[self.out] = INTO[self.op](x, self.view)
        else:
            self.view[...] = self.forward_rule(x)
            vals[self.out] = self.view

    def forward_code(self, src):
        if self.cols is not None or self.buffer is not None and self.op not in INTO:
            return None
        x = f"vals[{self.source}]"
        if self.buffer is None:
            return [f"vals[{self.out}] = {src.name(self.forward_rule, self.op)}({x})"]
        return [f"vals[{self.out}] = {src.name(INTO[self.op], self.op)}({x}, {src.name(self.view, 'view')})"]

    def backward_code(self, src):
        if self.cols is not None:
            return None
        local = src.name(self.local_rule, f"d_{self.op}")
        body = [f"g = G * {local}(vals[{self.out}], vals[{self.source}])[0]", f"cur = grads[{self.source}]",
                "if cur is None:", f"    grads[{self.source}] = g", "else:", "    cur += g"]
        return [f"G = grads[{self.out}]", "if G is not None:", *_indented(body)]

    def backward(self, vals, grads, pv, pg, param_slot):
        G = grads[self.out]
        if G is None:
            return
        x = vals[self.source] if self.cols is None else vals[self.source][:, self.cols]
        g = G * self.local_rule(vals[self.out], x)[0]
        current = grads[self.source]
        if current is None and self.cols is None:
            grads[self.source] = g
            return
        if current is None:
            current = grads[self.source] = np.zeros(vals[self.source].shape)
        if self.cols is None:
            current += g
        else:
            np.add.at(current, (slice(None), self.cols), g)


class _ParamDot:
    """A dot of parameters alone, w . x + b (l2(params) is dot(params, params)): one number."""

    def __init__(self, out, indices):
        n = len(indices) // 2
        self.out, self.n = out, n
        self.w, self.x = np.array(indices[:n]), np.array(indices[n : 2 * n])
        self.b = indices[2 * n] if len(indices) % 2 else None
        self.unique = len(set(indices[:n])) == n and len(set(indices[n : 2 * n])) == n
        self.square = indices[:n] == indices[n : 2 * n]  # l2: dot(params, params)

    def describe(self):
        return f"dot of {self.n} parameters with {self.n} parameters, one number"

    def bind(self, pv, pg, written, param_slot):
        """l2 of a run of parameters (each once, in any order) reads and writes views of pv and pg."""
        written[self.w] = written[self.x] = True
        if self.b is not None:
            written[self.b] = True
        low, high = int(self.w.min()), int(self.w.max()) + 1
        self.span = None
        if self.unique and self.square and high - low == self.n:  # a sum of squares: in any order
            self.span = pv[low:high], pg[low:high]

    def forward_code(self, src):
        return None  # called: one number, once

    def backward_code(self, src):
        return None

    def forward(self, vals, pv):
        w = pv[self.w] if self.span is None else self.span[0]
        total = w @ (w if self.square else pv[self.x])
        vals[self.out] = total + pv[self.b] if self.b is not None else total

    def backward(self, vals, grads, pv, pg, param_slot):
        g = grads[self.out]
        if g is None:
            return
        if self.span is not None:
            w, w_grad = self.span
            w_grad += (2.0 * g) * w
        elif self.unique and self.square:
            pg[self.w] += (2.0 * g) * pv[self.w]
        elif self.unique:
            pg[self.w] += g * pv[self.x]
            pg[self.x] += g * pv[self.w]
        else:
            np.add.at(pg, self.w, g * pv[self.x])
            np.add.at(pg, self.x, g * pv[self.w])
        if self.b is not None:
            pg[self.b] += g


class _Node:
    """One value's op, on arrays (one number per sample) or numbers."""

    def __init__(self, op, out, refs, kinds):
        self.name, self.out, self.refs, self.kinds = op.name, out, refs, kinds
        self.forward_rule, self.local_rule = _rule(op)
        self.unit = _UNIT.get(op.name)
        if op.name == "sum":
            self.unit = (1,) * len(refs)

    def describe(self):
        return f"{self.name} of {len(self.refs)} inputs"

    def bind(self, pv, pg, written, param_slot):
        for (slot, _), kind in zip(self.refs, self.kinds):
            if kind == "param":
                written[param_slot[slot]] = True

    def forward_code(self, src):
        args = ", ".join(map(src.get, self.refs))
        return [f"vals[{self.out}] = {src.name(self.forward_rule, self.name)}({args})"]

    def backward_code(self, src):
        if self.unit is not None:
            body = [line for r, k, d in zip(self.refs, self.kinds, self.unit)
                    for line in src.give(r, k, "g" if d == 1 else "-g")]
        else:
            args = ", ".join(map(src.get, self.refs))
            body = [f"d = {src.name(self.local_rule, 'd_' + self.name)}(vals[{self.out}], {args})"]
            body += [line for i, (r, k) in enumerate(zip(self.refs, self.kinds))
                     for line in src.give(r, k, f"g * d[{i}]")]
        return [f"g = grads[{self.out}]", "if g is not None:", *_indented(body or ["pass"])]

    def forward(self, vals, pv):
        vals[self.out] = self.forward_rule(*[_get(vals, r) for r in self.refs])

    def backward(self, vals, grads, pv, pg, param_slot):
        g = grads[self.out]
        if g is None:
            return
        if self.unit is not None:
            for r, k, d in zip(self.refs, self.kinds, self.unit):
                if k not in ("const", "data"):
                    _give(grads, pg, param_slot, vals, r, k, g if d == 1 else -g)
            return
        args = [_get(vals, r) for r in self.refs]
        for r, k, d in zip(self.refs, self.kinds, self.local_rule(vals[self.out], *args)):
            if k not in ("const", "data"):
                _give(grads, pg, param_slot, vals, r, k, g * d)
