"""What the pages cost to make: a walkthrough page of a small network, and `chainrule demo --all`.

    python -m bench.pages_bench [--rounds 3] [--before 945af2a]

  walkthrough   walkthrough(loss).save_html(path) for the mean squared error of an MLP(2, [4, 1])
                over 4 and over 20 samples (issue 19: <= 1.5 s and 1.5 MB; <= 6 s and 8 MB): the
                seconds from the call to the page on disk (chainrule imported and the loss built
                before the clock starts; what the call imports on first use is timed), the page's
                bytes, the process's largest resident size, and in a run of its own under
                tracemalloc the most memory Python held (the time of that run is not used)
  demo --all    `python -m chainrule demo --all --out DIR`, the whole process, this tree against
                --before REF's (default 945af2a, the tree issue 19 measured: its "today"), taking
                turns; and this tree again on the demos REF's catalog has (a demo added since
                makes the command do more)

Each run is a fresh process; a case's figure is the median over --rounds rounds, with the range;
a ratio is taken within a round (> 1: ours faster). Beside the seconds, the processor seconds the
process used (every thread): on a machine others share, the steadier of the two.
"""
import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench import harness

SAMPLES = (4, 20)
MAX_NODES = {4: 100, 20: 300}  # the 20-sample graph has 282 boxes with its neurons grouped
BEFORE = "945af2a"
TARGETS = {4: (1.5, 1.5e6), 20: (6.0, 8e6)}  # issue 19: seconds, page bytes
SPEED_UP = 2.0  # issue 19: demo --all at least this many times faster than before


def network_loss(samples, seed=0):
    """mse of MLP(2, [4, 1]) (seeded) over `samples` points of the square [-1, 1]^2 with targets -1 or 1."""
    from chainrule.nn import MLP, mse

    rng = random.Random(seed)
    model = MLP(2, [4, 1], seed=seed)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(samples)]
    y = [rng.choice([-1.0, 1.0]) for _ in range(samples)]
    return mse([model(x) for x in X], y)


def walkthrough_worker(samples, traced):
    """One walkthrough page written: {"value": seconds, "cpu": seconds of processor time (every thread),
    "bytes", "rss", "steps"}, or under tracemalloc {"value": the most bytes Python held}."""
    from chainrule import walkthrough

    loss = network_loss(samples)
    with tempfile.TemporaryDirectory() as folder:
        if traced:
            tracemalloc.start()
        start, cpu = time.perf_counter(), time.process_time()
        walk = walkthrough(loss, max_nodes=MAX_NODES[samples])
        path = walk.save_html(Path(folder, "walk.html"))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        if traced:
            return {"value": tracemalloc.get_traced_memory()[1]}
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        return {"value": seconds, "cpu": cpu, "bytes": path.stat().st_size, "rss": rss, "steps": len(walk)}


# `chainrule demo --all --out OUT` over the demos named in argv[1] only (the ones REF's catalog has)
SHARED_DEMOS = """import sys
from chainrule import cli
from chainrule.demos.catalog import DEMOS
names = sys.argv[1].split(",")
cli.catalog = lambda: {name: demo for name, demo in DEMOS.items() if name in names}
sys.exit(cli.main(["demo", "--all", "--out", sys.argv[2]]))
"""


def timed_process(argv, env, cwd):
    """(seconds, processor seconds) a whole process takes; SystemExit with its stderr when it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    return seconds, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def demo_all(rounds, before_env):
    """({"ours" | "before" | "shared": [(seconds, processor seconds) per round]}, the demos before has):
    demo --all, taking turns."""
    ours_env = dict(os.environ)
    check_tree(ours_env)
    listed = subprocess.run([sys.executable, "-m", "chainrule", "list"], env=before_env, capture_output=True,
                            text=True, check=True, cwd=tempfile.gettempdir()).stdout
    names = ",".join(line.split()[0] for line in listed.splitlines() if line.strip())
    command = [sys.executable, "-m", "chainrule", "demo", "--all", "--out"]
    runs = {"before": (command, before_env), "ours": (command, ours_env),
            "shared": ([sys.executable, "-c", SHARED_DEMOS, names], ours_env)}
    seconds = {name: [] for name in runs}
    for r in range(rounds):
        order = list(runs) if r % 2 == 0 else list(runs)[::-1]
        for name in order:
            argv, env = runs[name]
            with tempfile.TemporaryDirectory() as folder:  # the run's folder, empty: nothing there to import
                seconds[name].append(timed_process([*argv, str(Path(folder, "out"))], env, folder))
            harness.say(f"round {r + 1}/{rounds}  demo --all  {name:<7} {seconds[name][-1][0]:.2f} s, "
                        f"{seconds[name][-1][1]:.2f} s of processor time")
    return seconds, names


def check_tree(env):
    """The chainrule that `python -m chainrule` finds here must be this tree, or "ours" measures another."""
    found = subprocess.run([sys.executable, "-c", "import chainrule; print(chainrule.__file__)"], env=env,
                           capture_output=True, text=True, check=True, cwd=tempfile.gettempdir()).stdout.strip()
    if Path(found).resolve().parent != harness.ROOT.resolve():
        raise SystemExit(f"python -m chainrule runs {found}, not this tree ({harness.ROOT}): install it "
                         f"(pip install -e .) or set PYTHONPATH to a folder whose chainrule is this tree")


def walkthroughs(rounds):
    """{samples: {"runs": [result per round], "peak": bytes}}."""
    found = {n: {"runs": []} for n in SAMPLES}
    for r in range(rounds):
        for n in SAMPLES if r % 2 == 0 else SAMPLES[::-1]:
            result = harness.measure("pages_bench", "ours", "walkthrough", n)
            if "error" in result:
                raise SystemExit(f"walkthrough of {n} samples failed: {result['error']}")
            found[n]["runs"].append(result)
            harness.say(f"round {r + 1}/{rounds}  walkthrough {n:>2} samples  {result['value']:.2f} s "
                        f"({result['cpu']:.2f} s of processor time), "
                        f"{result['steps']} steps, {result['bytes'] / 1e6:.2f} MB")
    for n in SAMPLES:
        result = harness.measure("pages_bench", "ours", "walkthrough-traced", n)
        if "error" in result:
            raise SystemExit(f"walkthrough of {n} samples under tracemalloc failed: {result['error']}")
        found[n]["peak"] = result["value"]
    return found


def spread(values, unit="s"):
    return f"{statistics.median(values):.2f} {unit} ({min(values):.2f}-{max(values):.2f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of turns (default %(default)s)")
    parser.add_argument("--before", default=BEFORE, metavar="REF",
                        help="the commit whose `demo --all` runs beside this tree's (default %(default)s)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        _, case, samples = options.worker
        harness.report(walkthrough_worker(int(samples), traced=case == "walkthrough-traced"))
        return

    walks = walkthroughs(options.rounds)
    with harness.checkout_before(options.before):
        before_env = dict(os.environ, PYTHONPATH=os.environ[harness.BEFORE])
        demos, names = demo_all(options.rounds, before_env)

    rows = []
    per_step = {}
    for n in SAMPLES:
        runs = walks[n]["runs"]
        seconds = [r["value"] for r in runs]
        page = statistics.median(r["bytes"] for r in runs)
        steps = runs[0]["steps"]
        per_step[n] = statistics.median(seconds) / steps
        most_seconds, most_bytes = TARGETS[n]
        passes = statistics.median(seconds) <= most_seconds and page <= most_bytes
        rows.append([f"walkthrough, MLP(2, [4, 1]), {n} samples ({steps} steps)", spread(seconds),
                     spread([r["cpu"] for r in runs]), f"{page / 1e6:.2f} MB", f"{walks[n]['peak'] / 1e6:.1f} MB",
                     f"{statistics.median(r['rss'] for r in runs) / 1e6:.0f} MB",
                     f"<= {most_seconds:g} s, <= {most_bytes / 1e6:g} MB", "pass" if passes else "FAIL"])

    def column(name, k):
        return [run[k] for run in demos[name]]

    ratios = [b / o for b, o in zip(column("before", 0), column("ours", 0))]
    shared = [b / o for b, o in zip(column("before", 0), column("shared", 0))]
    rows.append(["demo --all --out DIR: before", spread(column("before", 0)), spread(column("before", 1)),
                 "-", "-", "-", "-", ""])
    rows.append(["demo --all --out DIR: ours", spread(column("ours", 0)), spread(column("ours", 1)), "-", "-", "-",
                 f">= {SPEED_UP:g}x before: {spread(ratios, 'x')}",
                 "pass" if statistics.median(ratios) >= SPEED_UP else "FAIL"])
    rows.append(["demo --all, ours on before's demos only", spread(column("shared", 0)), spread(column("shared", 1)),
                 "-", "-", "-", f"vs before: {spread(shared, 'x')}", ""])
    print(harness.describe_run("pages_bench", options.before))
    print(f"{options.rounds} rounds; seconds as median (low-high) over rounds; ratios per round (> 1: ours faster); "
          f"walkthrough time per step {per_step[4] * 1e3:.0f} ms at 4 samples, {per_step[20] * 1e3:.0f} ms at 20 "
          f"({per_step[20] / per_step[4]:.2f}x); before's demos: {names.replace(',', ', ')}")
    print(harness.table(["case", "seconds", "processor seconds", "page", "Python peak", "max RSS", "target", ""],
                        rows))


if __name__ == "__main__":
    main()
