"""The engine against micrograd 0.1.0: forward speed, build + backward, memory, deepest chain.

    python -m bench.engine_bench [--rounds 5]

Cases (the same code runs on both engines; only `Value` differs):
  forward  ops per second of `d = a*b + c`, the leaves made once (2 ops per pass)
  graph    seconds to build a 100,000-node graph and backprop through it
  memory   bytes per node of that graph kept alive (tracemalloc), after build and backward
  chain    the deepest chain x = x*k, x = x+c that backward survives at the default
           recursion limit: ours at 1,000,000 nodes, micrograd's limit found by bisection
"""
import gc
import math
import random
import sys
import time
import tracemalloc

from bench import harness

FORWARD_PASSES = 200_000
GRAPH_NODES = 100_000  # op nodes; the 1,000 leaves are made before the clock starts
LEAVES = 1_000
FORWARD_REPEATS = 5  # a worker times a case this many times and reports the best (as timeit does)
GRAPH_REPEATS = 3
CHAIN_TARGET = 1_000_000

CASES = [
    harness.Case("forward", "forward a*b + c", "ops/s", higher_is_better=True),
    harness.Case("graph", "build + backward, 100k nodes", "s", higher_is_better=False),
    harness.Case("memory", "memory per node, built", "B/node", higher_is_better=False),
    harness.Case("memory_bw", "memory per node, after backward", "B/node", higher_is_better=False),
]
ENGINES = ["ours", "micrograd"]


def value_class(engine):
    if engine == "ours":
        from engine import Value
    else:
        from micrograd.engine import Value
    return Value


# ---- the workloads: plain code over whichever Value class they are given


def forward(Value):
    """Ops per second of `d = a*b + c`: two nodes made per pass, the result dropped."""
    a, b, c = Value(1.5), Value(-2.0), Value(0.25)
    best = math.inf
    for _ in range(FORWARD_REPEATS):
        start = time.perf_counter()
        for _ in range(FORWARD_PASSES):
            d = a * b + c
        best = min(best, time.perf_counter() - start)
    return {"value": 2 * FORWARD_PASSES / best, "check": d.data}


def make_leaves(Value):
    rng = random.Random(1)
    return [Value(rng.uniform(-1.0, 1.0)) for _ in range(LEAVES)]


def build_graph(leaves):
    """acc = acc + x_i * x_j, 50,000 times: 100,000 nodes, each leaf used 100 times as each
    factor, and 50,000 deep (micrograd's recursive sort needs a raised limit for it)."""
    acc = leaves[0]
    for i in range(GRAPH_NODES // 2):
        acc = acc + leaves[i % LEAVES] * leaves[(7 * i + 3) % LEAVES]
    return acc


def graph(Value):
    """Seconds to build the graph and backprop through it (the best of GRAPH_REPEATS)."""
    best = math.inf
    for _ in range(GRAPH_REPEATS):
        leaves = make_leaves(Value)
        start = time.perf_counter()
        root = build_graph(leaves)
        root.backward()
        best = min(best, time.perf_counter() - start)
        check = grad_checksum(leaves)
        del root, leaves
        gc.collect()  # micrograd's graph is garbage cycles; free them off the clock
    return {"value": best, "check": check}


def memory(Value, after_backward=False):
    """Bytes per node of the graph, alive, as tracemalloc counts them (leaves not included)."""
    leaves = make_leaves(Value)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    root = build_graph(leaves)
    if after_backward:
        root.backward()
    gc.collect()  # count only what is alive
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return {"value": used / GRAPH_NODES, "check": root.data}


def grad_checksum(leaves):
    return math.fsum(x.grad * (i + 1) for i, x in enumerate(leaves))


def chain(Value, nodes):
    """Build a chain of `nodes` nodes (x*k and x+c in turn) and backprop from its end.

    Runs at the default recursion limit. {"value": 1} if backward completed and d end / d x0
    is right, {"value": 0} if it raised RecursionError.
    """
    x0, k, c = Value(1.0), Value(1.0000001), Value(0.0)
    x = x0
    for i in range(nodes):
        x = x * k if i % 2 == 0 else x + c
    start = time.perf_counter()
    try:
        x.backward()
    except RecursionError:
        return {"value": 0, "error": "RecursionError", "limit": sys.getrecursionlimit()}
    seconds = time.perf_counter() - start
    expected = 1.0000001 ** ((nodes + 1) // 2)
    if not math.isclose(x0.grad, expected, rel_tol=1e-9):
        return {"value": 0, "error": f"wrong grad {x0.grad!r}, expected {expected!r}"}
    return {"value": 1, "backward_seconds": seconds, "limit": sys.getrecursionlimit()}


def worker(engine, case, *args):
    Value = value_class(engine)
    if case == "chain":
        return chain(Value, int(args[0]))  # the default recursion limit, untouched
    if engine == "micrograd":
        # micrograd's topological sort recurses once per node along the graph's depth.
        # Python 3.11 runs Python-to-Python calls without growing the C stack, so a raised
        # limit is all it needs (no thread with a bigger stack).
        sys.setrecursionlimit(4 * GRAPH_NODES)
    if case == "forward":
        return forward(Value)
    if case == "graph":
        return graph(Value)
    if case in ("memory", "memory_bw"):
        return memory(Value, after_backward=case == "memory_bw")
    raise SystemExit(f"unknown case {case!r}")


# ---- the driver


def chain_ok(engine, nodes):
    result = harness.measure("engine_bench", engine, "chain", nodes)
    harness.say(f"chain {engine:<10} {nodes:>9,} nodes: {'ok' if result.get('value') else result.get('error')}")
    return bool(result.get("value"))


def deepest_chain(engine, start=64, cap=CHAIN_TARGET):
    """The longest chain backward survives, by doubling then bisection, a process per try."""
    if not chain_ok(engine, start):
        return 0
    good, bad = start, None
    while bad is None:
        n = min(2 * good, cap)
        if chain_ok(engine, n):
            good = n
            if n == cap:
                return cap
        else:
            bad = n
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if chain_ok(engine, mid) else (good, mid)
    return good


def check_agreement(results):
    """The same graph must give the same numbers on both engines, or the timing means nothing."""
    for case, by_engine in results.items():
        ours, theirs = by_engine["ours"][0]["check"], by_engine["micrograd"][0]["check"]
        if not math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12):
            sys.exit(f"{case}: ours computed {ours!r}, micrograd {theirs!r}")


TARGETS = {  # case: (what the table says, does it pass given (ours, micrograd, ratio))
    "forward": (">= 4x", lambda ours, theirs, ratio: ratio >= 4),
    "graph": (">= 3x faster", lambda ours, theirs, ratio: ratio >= 3),
    "memory": ("<= 200 B", lambda ours, theirs, ratio: ours <= 200),
    "memory_bw": ("<= 200 B", lambda ours, theirs, ratio: ours <= 200),
}


def fmt(value, unit):
    if unit == "ops/s":
        return f"{value / 1e6:.2f} M ops/s"
    if unit == "s":
        return f"{value * 1e3:.0f} ms"
    return f"{value:.0f} {unit}"


def main():
    options = harness.parse_args(__doc__.splitlines()[0])
    if options.worker:
        harness.report(worker(*options.worker))
        return
    results = harness.interleave("engine_bench", CASES, ENGINES, options.rounds)
    check_agreement(results)
    rows = []
    for case in CASES:
        ours, theirs = results[case.name]["ours"], results[case.name]["micrograd"]
        a, b = harness.median_value(ours), harness.median_value(theirs)
        ratio = harness.median_speedup(case, ours, theirs)
        target, passes = TARGETS[case.name]
        rows.append([case.title, fmt(a, case.unit), fmt(b, case.unit), f"{ratio:.2f}x", target,
                     "pass" if passes(a, b, ratio) else "FAIL"])
    ours_ok = chain_ok("ours", CHAIN_TARGET)
    theirs_deepest = deepest_chain("micrograd")
    rows.append(["deepest chain, default recursion limit",
                 f"{CHAIN_TARGET:,} ok" if ours_ok else f"{CHAIN_TARGET:,} FAILED",
                 f"{theirs_deepest:,} (fails at {theirs_deepest + 1:,})",
                 f">= {CHAIN_TARGET / max(theirs_deepest, 1):,.0f}x" if ours_ok else "-",
                 f"{CHAIN_TARGET:,} ok", "pass" if ours_ok else "FAIL"])
    print(harness.describe_run("engine_bench"))
    print(f"{options.rounds} rounds; each number a median over rounds, ratio = median of per-round ratios "
          f"(> 1: ours better)")
    print(harness.table(["case", "ours", "micrograd 0.1.0", "ratio", "target", ""], rows))


if __name__ == "__main__":
    main()
