"""Issue 16's floor: the smallest readable engine of our shape, beside ours and micrograd 0.1.0.

    python -m bench.floor_bench [--rounds 7]

The floor engine below is the engine of engine/value.py with everything but the algorithm taken
out: a Value of data, grad, op and inputs; written operators that call one apply(), which turns
numbers into leaves, runs the forward and records the node; backward() as the topological order
and the chain-rule loop. It checks nothing (no domain, no finite result or grad, no no_grad, no
label) and has a fused dot, as nn's Neuron does. What it reaches is what any engine of this shape
reaches on this machine, so the gap between it and ours is what our checks cost:

  forward   ops per second of `d = a*b + c` (engine_bench's workload)
  step      micrograd's two-moons demo step (train_bench's, builtin sum, p*p, by-hand update)

Each measurement is a fresh worker process; the three engines take turns; ratios per round
against micrograd, as median (low-high).
"""
import random
import statistics
from functools import reduce
from operator import add, mul

from bench import engine_bench, harness, train_bench

CASES = [harness.Case("forward", "forward a*b + c", "ops/s", higher_is_better=True),
         harness.Case("step", "micrograd-style step", "s", higher_is_better=False)]
ENGINES = ["floor", "ours", "micrograd"]


# ---- the floor engine


class Op:
    __slots__ = ("forward", "local")

    def __init__(self, forward, local):
        self.forward, self.local = forward, local


def _dot(*a):
    n = len(a) // 2
    total = reduce(add, map(mul, a[:n], a[n : 2 * n]))
    return total + a[-1] if len(a) % 2 else total


ADD = Op(add, lambda out, a, b: (1.0, 1.0))
MUL = Op(mul, lambda out, a, b: (b, a))
RELU = Op(lambda a: a if a > 0.0 else 0.0, lambda out, a: (1.0 if a > 0.0 else 0.0,))
DOT = Op(_dot, lambda out, *a: a[len(a) // 2 : 2 * (len(a) // 2)] + a[: len(a) // 2] + (1.0,) * (len(a) % 2))


class Value:
    __slots__ = ("data", "grad", "op", "inputs")

    def __init__(self, data):
        self.data, self.grad, self.op, self.inputs = float(data), 0.0, None, ()

    def __add__(self, other):
        return apply(ADD, self, other)

    def __radd__(self, other):
        return apply(ADD, other, self)

    def __mul__(self, other):
        return apply(MUL, self, other)

    def __rmul__(self, other):
        return apply(MUL, other, self)

    def relu(self):
        return apply(RELU, self)

    def backward(self):
        order = topological_order(self)
        for v in order:
            v.grad = 0.0
        self.grad = 1.0
        for v in order:
            if v.inputs:
                local = v.op.local(v.data, *[x.data for x in v.inputs])
                for x, d in zip(v.inputs, local):
                    x.grad += d * v.grad


def apply(op, *operands):
    xs = []
    for x in operands:
        if not isinstance(x, Value):
            return apply(op, *[y if isinstance(y, Value) else Value(y) for y in operands])
        xs.append(x.data)
    v = object.__new__(Value)
    v.data, v.grad, v.op, v.inputs = op.forward(*xs), 0.0, op, operands
    return v


def topological_order(root):
    finished, seen, stack = [], set(), [root]
    while stack:
        v = stack.pop()
        if v is None:
            finished.append(stack.pop())
        elif v not in seen:
            seen.add(v)
            stack += [v, None]
            stack += [x for x in v.inputs if x not in seen]
    finished.reverse()
    return finished


class MLP:
    """train_bench's MLP(2, [16, 16, 1]): relu hidden layers, a linear output, each neuron one dot."""

    def __init__(self, sizes):
        rng = random.Random(0)
        self.layers = [[([Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(0.0)) for _ in range(nout)]
                       for nin, nout in zip(sizes, sizes[1:])]

    def __call__(self, x):
        x = [Value(xi) for xi in x]
        for k, layer in enumerate(self.layers):
            x = [apply(DOT, *w, *x, b) for w, b in layer]
            if k < len(self.layers) - 1:
                x = [z.relu() for z in x]
        return x[0]

    def parameters(self):
        return [p for layer in self.layers for w, b in layer for p in (*w, b)]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0


def floor_step():
    X, y = train_bench.two_moons()
    model = MLP(train_bench.SIZES)
    params = model.parameters()
    train_bench.start(params)
    return train_bench.demo_step(model, params, lambda: X, y)


# ---- workers and the table


def worker(engine, case):
    if case == "forward":
        return engine_bench.forward(Value) if engine == "floor" else engine_bench.worker(engine, "forward")
    if case == "step":
        train_bench.IMPLEMENTATIONS["floor"] = floor_step
        return train_bench.time_steps({"ours": "micrograd-style"}.get(engine, engine))
    raise SystemExit(f"unknown case {case!r}")


def main():
    options = harness.parse_args(__doc__.splitlines()[0], default_rounds=7)
    if options.worker:
        harness.report(worker(*options.worker))
        return
    results = harness.interleave("floor_bench", CASES, ENGINES, options.rounds)
    rows = []
    for case in CASES:
        runs = results[case.name]
        for engine in ENGINES[:2]:
            ratios = [harness.speedup(case, a["value"], b["value"]) for a, b in zip(runs[engine], runs["micrograd"])]
            rows.append([case.title, engine, f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"])
    print(harness.describe_run("floor_bench"))
    print(harness.table(["case", "engine", "vs micrograd 0.1.0"], rows))


if __name__ == "__main__":
    main()
