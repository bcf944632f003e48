"""The engine against micrograd 0.1.0 and against itself before (an earlier commit, same run).

    python -m bench.engine_bench [--rounds 5] [--before main]

Engines: ours (this tree), before (the engine of --before REF, default main, extracted to a
temporary folder) and micrograd 0.1.0. The same code runs on each; only `Value` differs.

  forward     ops per second of `d = a*b + c`, the leaves made once (2 ops per pass)
  graph       seconds to build a 100,000-node graph and backprop through it
  memory      bytes per node of that graph kept alive (tracemalloc), after build and backward
  peak        the most memory backward() itself takes, per node, on a chain and a random DAG
  scaling     build + backward time per node of a chain and of a random DAG at 1e3 to 1e6
              nodes (ours and before; one process per size). The DAG's nodes read values made
              shortly before, as a network's layers do; "dag-anywhere" reads values from
              anywhere, which costs cache misses in the collector's scans and in backward
  chain       the deepest chain x = x*k, x = x+c that backward survives at the default
              recursion limit: ours at 1,000,000 nodes, micrograd's limit found by bisection
  start-up    `python -c "import chainrule"` and `python -m chainrule list` against a bare
              `python -c pass`, the median of many runs of each, taking turns
"""
import gc
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

from bench import harness

FORWARD_PASSES = 200_000
GRAPH_NODES = 100_000  # op nodes; the 1,000 leaves are made before the clock starts
LEAVES = 1_000
FORWARD_REPEATS = 5  # a worker times a case this many times and reports the best (as timeit does)
GRAPH_REPEATS = 3
PEAK_NODES = 100_000
SCALE_SIZES = [1_000, 10_000, 100_000, 1_000_000]
SCALE_NODES = 200_000  # a scaling worker repeats a small graph until it has built about this many nodes
SCALE_ROUNDS = 3  # at most; fewer if --rounds says fewer
CHAIN_TARGET = 1_000_000
START_RUNS = 21  # runs of each start-up command, taking turns

CASES = [  # ours, before and micrograd
    harness.Case("forward", "forward a*b + c", "ops/s", higher_is_better=True),
    harness.Case("graph", "build + backward, 100k nodes", "s", higher_is_better=False),
    harness.Case("memory", "memory per node, built", "B/node", higher_is_better=False),
    harness.Case("memory_bw", "memory per node, after backward", "B/node", higher_is_better=False),
]
PEAK_CASES = [  # ours and before
    harness.Case("peak-chain", "peak memory in backward, chain", "B/node", higher_is_better=False),
    harness.Case("peak-dag", "peak memory in backward, random DAG", "B/node", higher_is_better=False),
]
SHAPES = ["chain", "dag", "dag-anywhere"]
SCALE_CASES = [harness.Case(f"scale-{shape}-{n}", f"{shape} {n:,}", "us/node", higher_is_better=False)
               for shape in SHAPES for n in SCALE_SIZES]
ENGINES = ["ours", "before", "micrograd"]


def value_class(engine):
    if engine == "micrograd":
        from micrograd.engine import Value
    else:
        if engine == "before":
            harness.use_before()
        from chainrule.engine import Value
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


def build_chain(Value, nodes):
    """x = x*k + c, nodes/2 times: a chain of `nodes` op nodes over three leaves."""
    x, k, c = Value(0.5), Value(0.999), Value(0.001)
    for _ in range(nodes // 2):
        x = x * k + c
    return x


def build_dag(Value, nodes, reach=1_000):
    """nodes/3 neurons tanh(h*a + b): h the neuron made just before (so the last one depends on
    all), a and b taken at random among the `reach` values made last (100 leaves to start), as a
    network's layers read the activations just made; reach=None: among every value made so far,
    edges reaching all over memory. A random DAG that stays in tanh's range."""
    rng = random.Random(2)
    made = [Value(rng.uniform(-1.0, 1.0)) for _ in range(100)]
    pick = rng.randrange
    for _ in range(nodes // 3):
        start = 0 if reach is None else max(0, len(made) - reach)
        made.append((made[-1] * made[pick(start, len(made))] + made[pick(start, len(made))]).tanh())
    return made[-1]


BUILD = {"chain": build_chain, "dag": build_dag, "dag-anywhere": lambda Value, nodes: build_dag(Value, nodes, None)}


def peak(Value, shape):
    """The most memory backward() takes above what the graph holds, per op node (tracemalloc)."""
    root = BUILD[shape](Value, PEAK_NODES)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    root.backward()
    top = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"value": (top - before) / PEAK_NODES}


def scaling(Value, shape, nodes):
    """Build + backward time per op node, the median over as many graphs as make SCALE_NODES
    nodes (one graph at 1e5 and 1e6); each graph is dropped before the next is built."""
    per_node, builds, backwards = [], [], []
    for _ in range(max(1, SCALE_NODES // nodes)):
        start = time.perf_counter()
        root = BUILD[shape](Value, nodes)
        built = time.perf_counter()
        root.backward()
        done = time.perf_counter()
        del root
        builds.append((built - start) / nodes * 1e6)
        backwards.append((done - built) / nodes * 1e6)
        per_node.append((done - start) / nodes * 1e6)
    return {"value": statistics.median(per_node), "build": statistics.median(builds),
            "backward": statistics.median(backwards)}


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
    if case.startswith("peak-"):
        return peak(Value, case.split("-", 1)[1])
    if case.startswith("scale-"):
        shape, nodes = case.split("-", 1)[1].rsplit("-", 1)
        return scaling(Value, shape, int(nodes))
    raise SystemExit(f"unknown case {case!r}")


# ---- start-up: whole processes, timed from here


def start_up(runs=START_RUNS):
    """Milliseconds over a bare `python -c pass`: {(command, engine): [per-run differences]}.

    Each run starts the bare interpreter and then each command on each engine, in turn, from an
    empty folder (nothing there to import by accident); a difference is taken within a run.
    Bytecode is cached as in a usual environment (PYTHONDONTWRITEBYTECODE is dropped), so the
    first run compiles and the median shows what a user waits.
    """
    commands = {"import chainrule": ["-c", "import chainrule"], "chainrule list": ["-m", "chainrule", "list"]}
    usual = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as a user runs: .pyc cached
    environments = {"ours": usual, "before": dict(usual, PYTHONPATH=os.environ[harness.BEFORE])}
    extra = {(c, e): [] for c in commands for e in environments}
    with tempfile.TemporaryDirectory() as empty:
        def seconds(argv, env):
            start = time.perf_counter()
            subprocess.run([sys.executable, *argv], cwd=empty, env=env, check=True, capture_output=True)
            return time.perf_counter() - start

        for r in range(runs):
            bare = seconds(["-c", "pass"], usual)
            for (command, engine), differences in extra.items():
                differences.append((seconds(commands[command], environments[engine]) - bare) * 1e3)
            harness.say(f"start-up run {r + 1}/{runs}: bare {bare * 1e3:.0f} ms")
    return extra


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
    """The same graph must give the same numbers on every engine, or the timing means nothing."""
    for case, by_engine in results.items():
        checks = {engine: runs[0]["check"] for engine, runs in by_engine.items()}
        if not all(math.isclose(c, checks["ours"], rel_tol=1e-9, abs_tol=1e-12) for c in checks.values()):
            sys.exit(f"{case}: the engines computed different numbers: {checks}")


def fmt(value, unit):
    if unit == "ops/s":
        return f"{value / 1e6:.2f} M ops/s"
    if unit == "s":
        return f"{value * 1e3:.0f} ms"
    if unit == "us/node":
        return f"{value:.2f}"
    return f"{value:.0f} {unit}"


def spread(values, digits=2):
    """median (low-high) over rounds."""
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def ratios(case, results, theirs):
    """Per-round ratios ours vs theirs (> 1: ours better)."""
    runs = results[case.name]
    return [harness.speedup(case, a["value"], b["value"]) for a, b in zip(runs["ours"], runs[theirs])]


def verdict(passes):
    return "pass" if passes else "FAIL"


def main():
    options = harness.parse_args(__doc__.splitlines()[0], before=True)
    if options.worker:
        harness.report(worker(*options.worker))
        return
    with harness.checkout_before(options.before):
        results = harness.interleave("engine_bench", CASES, ENGINES, options.rounds)
        check_agreement(results)
        results.update(harness.interleave("engine_bench", PEAK_CASES, ENGINES[:2], options.rounds))
        scale = harness.interleave("engine_bench", SCALE_CASES, ENGINES[:2], min(SCALE_ROUNDS, options.rounds))
        startup = start_up()
    rows = []
    # ours against micrograd and against before, case by case
    # issue 16: the readable engine (no trick in value.py) keeps >= 2.5x micrograd's forward; before is
    # shown for what the tricks bought, with no target of its own
    targets = {"forward": (2.5, ">= 2.5x micrograd"), "graph": (1.5, ">= 1.5x micrograd")}
    for case in CASES + PEAK_CASES:
        runs = results[case.name]
        values = {engine: harness.median_value(runs[engine]) for engine in runs}
        vs_before = ratios(case, results, "before")
        vs_micrograd = ratios(case, results, "micrograd") if "micrograd" in runs else None
        if case.name in targets:
            least, target = targets[case.name]
            passes = statistics.median(vs_micrograd) >= least
        else:
            limit = 250 if case in PEAK_CASES else 200
            target, passes = f"<= {limit} B", values["ours"] <= limit
        rows.append([case.title, fmt(values["ours"], case.unit), fmt(values["before"], case.unit),
                     spread(vs_before), fmt(values["micrograd"], case.unit) if vs_micrograd else "-",
                     spread(vs_micrograd) if vs_micrograd else "-", target, verdict(passes)])
    # per-node time from 1e3 to 1e6 nodes
    for shape in SHAPES:
        cells, flat = {}, {}
        for engine in ENGINES[:2]:
            per_node = {n: harness.median_value(scale[f"scale-{shape}-{n}"][engine]) for n in SCALE_SIZES}
            cells[engine] = " / ".join(f"{per_node[n]:.2f}" for n in SCALE_SIZES)
            flat[engine] = per_node[SCALE_SIZES[-1]] / per_node[10_000]
        rows.append([f"build + backward, {shape}, us/node at 1e3 / 1e4 / 1e5 / 1e6", cells["ours"], cells["before"],
                     f"1e6/1e4: {flat['ours']:.2f}x (before {flat['before']:.2f}x)", "-", "-",
                     "1e6 <= 2x 1e4", verdict(flat["ours"] <= 2)])
    ours_ok = chain_ok("ours", CHAIN_TARGET)
    theirs_deepest = deepest_chain("micrograd")
    rows.append(["deepest chain, default recursion limit", f"{CHAIN_TARGET:,} ok" if ours_ok else "FAILED", "-", "-",
                 f"{theirs_deepest:,} (fails at {theirs_deepest + 1:,})",
                 f">= {CHAIN_TARGET / max(theirs_deepest, 1):,.0f}x" if ours_ok else "-",
                 f"{CHAIN_TARGET:,} ok", verdict(ours_ok)])
    for command in ("import chainrule", "chainrule list"):
        ours, before = startup[(command, "ours")], startup[(command, "before")]
        rows.append([f"start-up: {command}, ms over bare python", spread(ours, 1), spread(before, 1), "-", "-", "-",
                     "<= 40 ms", verdict(statistics.median(ours) <= 40)])
    print(harness.describe_run("engine_bench", options.before))
    print(f"{options.rounds} rounds ({min(SCALE_ROUNDS, options.rounds)} for scaling, {START_RUNS} start-up runs); "
          f"each number a median "
          f"over rounds; ratios are per round (> 1: ours better), as median (low-high)")
    print(harness.table(["case", "ours", f"before ({options.before})", "ours vs before", "micrograd 0.1.0",
                         "ours vs micrograd", "target", ""], rows))


if __name__ == "__main__":
    main()
