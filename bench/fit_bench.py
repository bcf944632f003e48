"""fit() with its defaults against fit(..., compile=True) of an earlier commit, in the same run.

    python -m bench.fit_bench --before acb3eab    # issue 16: defaults at least as fast as that compile=True

The workload: MLP 2 -> 16 -> 16 -> 1 (relu hidden, linear out), 100 two-moons points, hinge
loss, SGD with lr 0.1, full batch, EPOCHS epochs, timed from the fit() call to its return (so
a compiled path pays for its recording). "ours" calls fit with its defaults (compile=None: the
batch replay where numpy is installed); "before" is the commit --before names, called with
compile=True. Both must give the same loss history to within rounding (1e-9 relative), which
the driver checks before it prints.
"""
import math
import statistics
import sys
import time

from . import harness

EPOCHS = 100
CASE = harness.Case("fit", f"fit, two moons, {EPOCHS} epochs", "s", higher_is_better=False)


def worker(engine, case="fit"):
    if engine == "before":
        harness.use_before()
    from chainrule.nn import MLP, SGD, datasets, fit, hinge

    data = datasets.two_moons(100)
    model = MLP(2, [16, 16, 1], activation="relu", seed=1)
    opt = SGD(model.parameters(), lr=0.1)
    options = {"compile": True} if engine == "before" else {}
    start = time.perf_counter()
    history = fit(model, data.X, data.y, hinge, opt, EPOCHS, progress=False, **options)
    seconds = time.perf_counter() - start
    return {"value": seconds, "history": [float(h) for h in history]}


def main():
    options = harness.parse_args(__doc__.splitlines()[0], before=True)
    if options.worker:
        harness.report(worker(*options.worker))
        return
    kept = harness.checkout_before(options.before)
    try:
        results = harness.interleave("fit_bench", [CASE], ["ours", "before"], options.rounds)
    finally:
        kept.cleanup()
    ours, before = results["fit"]["ours"], results["fit"]["before"]
    if any(not all(math.isclose(x, y, rel_tol=1e-9) for x, y in zip(a["history"], b["history"]))
           for a, b in zip(ours, before)):  # the batch replay sums in another order: equal to rounding
        sys.exit("fit_bench: the two fits did not compute the same loss history")
    ratios = [b["value"] / a["value"] for a, b in zip(ours, before)]
    print(harness.describe_run("fit_bench", options.before))
    print(harness.table(
        ["case", "ours (s, median)", "before compile=True (s, median)", "x before: median", "range over rounds"],
        [[CASE.title, f"{statistics.median(a['value'] for a in ours):.3f}",
          f"{statistics.median(b['value'] for b in before):.3f}", f"{statistics.median(ratios):.2f}",
          f"{min(ratios):.2f}-{max(ratios):.2f}"]]))


if __name__ == "__main__":
    main()
