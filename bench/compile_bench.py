"""compile's recording of a long chain: time, peak memory and the replay (issue 17 item 8).

    python -m bench.compile_bench [--rounds 3] [--sizes 1e4 1e5 1e6] [--before REF]

fn builds a chain `x = x * K + C` from a parameter (two op nodes a step, each with a constant
of its own) and returns its end; `chainrule.compile(fn)` is called twice in a fresh process per
size and round:

  record     the first call: fn() twice, the graphs compared, the source made and compiled
  replay     the second call
  peak       the process's peak resident memory (ru_maxrss) when both calls are done, and how
             much of it came after the parameter was made (what fn's graphs and the recording took)
  exact      the loss and the grad of both calls equal, bit for bit, what fn().backward() gives
             on a second parameter with the same data (checked after the figures are taken)

With --before REF, the compile of another commit (default: none) runs beside ours, taking turns.
"""
import argparse
import gc
import resource
import statistics
import sys
import time

from bench import harness

K, C = 0.99999, 1e-05
SIZES = ["1e4", "1e5", "1e6"]
TARGET = 25.0  # seconds to record 1e6 nodes (issue 17 item 8)


def resident_mb():
    """This process's resident memory now, in MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def chain(w, nodes):
    x = w
    for _ in range(nodes // 2):
        x = x * K + C
    return x


def worker(engine, size):
    if engine == "before":
        harness.use_before()
    import chainrule
    from chainrule import Value

    nodes = int(float(size))
    w = Value(0.5, param=True)
    step = chainrule.compile(lambda: chain(w, nodes))
    gc.collect()
    before = resident_mb()
    begin = time.perf_counter()
    loss = step()
    record = time.perf_counter() - begin
    grad, w.grad = w.grad, 0.0
    begin = time.perf_counter()
    again = step()
    replay = time.perf_counter() - begin
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    twin = Value(0.5, param=True)
    plain = chain(twin, nodes)
    plain.backward()
    exact = loss.hex() == again.hex() == plain.data.hex() and grad.hex() == w.grad.hex() == twin.grad.hex()
    return {"value": record, "replay": replay, "nodes": nodes, "peak_mb": peak, "grown_mb": peak - before,
            "exact": exact}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of turns (default %(default)s)")
    parser.add_argument("--sizes", nargs="+", default=SIZES, metavar="N",
                        help="op nodes in the chain (default %(default)s)")
    parser.add_argument("--before", metavar="REF", help="the commit whose compile runs beside ours")
    parser.add_argument("--worker", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    return parser.parse_args()


def main():
    options = parse_args()
    if options.worker:
        harness.report(worker(*options.worker))
        return
    cases = [harness.Case(size, f"{int(float(size)):,} nodes", "s", higher_is_better=False) for size in options.sizes]
    engines = ["ours", "before"] if options.before else ["ours"]
    if options.before:
        with harness.checkout_before(options.before):
            results = harness.interleave("compile_bench", cases, engines, options.rounds)
    else:
        results = harness.interleave("compile_bench", cases, engines, options.rounds)
    rows = []
    for case in cases:
        for engine in engines:
            runs = results[case.name][engine]
            median = {key: statistics.median(run[key] for run in runs) for key in ("value", "replay", "peak_mb",
                                                                                   "grown_mb")}
            nodes = runs[0]["nodes"]
            rows.append([case.title, engine if engine == "ours" else f"before ({options.before})",
                         f"{median['value']:.2f} ({min(r['value'] for r in runs):.2f}-{max(r['value'] for r in runs):.2f})",
                         f"{median['value'] / nodes * 1e6:.1f}", f"{median['replay'] * 1e3:.1f}",
                         f"{median['peak_mb']:,.0f} (+{median['grown_mb']:,.0f})",
                         "yes" if all(run["exact"] for run in runs) else "NO"])
    print(harness.describe_run("compile_bench", options.before))
    print(f"{options.rounds} rounds, one process per size and round; each number the median over rounds (low-high); "
          f"target: {TARGET:.0f} s at 1,000,000 nodes, peak not above 1.1 GB")
    print(harness.table(["chain", "compile", "record s", "us/node", "replay ms", "peak MB (+ by fn and compile)",
                         "exact"], rows))
    if any(not run["exact"] for case in results.values() for runs in case.values() for run in runs):
        sys.exit("the replay did not give what backward() gives")


if __name__ == "__main__":
    main()
