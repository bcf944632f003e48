"""What both benches share: one fresh process per measurement, engines taking turns, medians.

The machine is small and noisy, so no number here is a single timing. Each measurement runs
in its own `python -m bench.<module> --worker <engine> <case> [args]` process (nothing left
over from the other engine: no warm caches, no garbage, no raised recursion limit). Within a
round the engines take turns, in reverse order every other round (ours, micrograd, then
micrograd, ours) so that slow drift of the machine falls on both. A case's result is the
median over rounds of that round's ratio, not a ratio of two medians.

A worker prints one JSON object as its last line of output, at least {"value": number}.

`--before REF` (engine_bench) puts the engine of an earlier commit beside today's in the same
run: REF's tree is extracted to a temporary folder (`git archive`, the repository untouched),
and a worker for the engine "before" imports chainrule from there (use_before()).
"""
import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repo: `python -m bench.x` runs from here
BEFORE = "CHAINRULE_BENCH_BEFORE"  # the folder holding REF's chainrule, for workers of "before"


@dataclass
class Case:
    """One row of a table: what a worker measures and how to read the number."""

    name: str  # what the worker is asked for
    title: str  # what the table says
    unit: str
    higher_is_better: bool  # throughput: yes; seconds or bytes: no


def measure(module, engine, case, *args, timeout=900):
    """Run one worker in a fresh process; its JSON result, or {"error": ...} if it failed."""
    cmd = [sys.executable, "-m", f"bench.{module}", "--worker", engine, case, *map(str, args)]
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return {"error": last}
    return json.loads(lines[-1])


def interleave(module, cases, engines, rounds):
    """{case name: {engine: [one result per round]}}, engines taking turns in every round."""
    results = {case.name: {engine: [] for engine in engines} for case in cases}
    for r in range(rounds):
        order = engines if r % 2 == 0 else engines[::-1]
        for case in cases:
            for engine in order:
                result = measure(module, engine, case.name)
                if "error" in result:
                    sys.exit(f"{module} {engine} {case.name} failed: {result['error']}")
                results[case.name][engine].append(result)
                say(f"round {r + 1}/{rounds}  {case.name:<12} {engine:<14} {result['value']:.6g} {case.unit}")
    return results


def speedup(case, ours, theirs):
    """How many times better ours is than theirs (> 1: ours wins), in one round."""
    return ours / theirs if case.higher_is_better else theirs / ours


def median_speedup(case, ours_results, their_results):
    """The median over rounds of the per-round ratio."""
    ratios = [speedup(case, a["value"], b["value"]) for a, b in zip(ours_results, their_results)]
    return statistics.median(ratios)


def median_value(results):
    return statistics.median(result["value"] for result in results)


def table(headers, rows):
    """A plain-text table with aligned columns (it also reads as Markdown)."""
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def describe_run(module, before=None):
    """The command that printed the table, and what it ran on (and the commit `before` names)."""
    command = " ".join(["python -m", f"bench.{module}", *sys.argv[1:]])
    commit = _git("rev-parse", "--short", "HEAD")
    if _git("status", "--porcelain", "--untracked-files=no", "--", "engine", "nn"):
        commit += " (engine/ or nn/ modified)"
    beside = f", before = {before} at {_git('rev-parse', '--short', before)}" if before else ""
    return (
        f"command: {command}\n"
        f"python {platform.python_version()}, micrograd {metadata.version('micrograd')}, "
        f"chainrule at {commit}{beside}, {platform.machine()}, {_cores()} cores"
    )


def parse_args(description, default_rounds=5, before=False):
    """--rounds for the driver; --worker ENGINE CASE [ARGS...] for the processes it starts;
    with before=True, --before REF (default main): the commit whose engine runs as "before"."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=default_rounds, help="rounds of turns (default %(default)s)")
    if before:
        parser.add_argument("--before", default="main", metavar="REF",
                            help="the commit whose engine runs beside today's as 'before' (default %(default)s)")
    parser.add_argument("--worker", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    return parser.parse_args()


def checkout_before(ref):
    """Extract ref's tree to a temporary folder as the package chainrule; workers started from
    now on find it through the environment. The folder is removed when the driver exits."""
    folder = tempfile.TemporaryDirectory(prefix="chainrule-before-")
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    tree = Path(folder.name, "chainrule")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    os.environ[BEFORE] = folder.name
    return folder


def use_before():
    """In a worker for "before": import chainrule from the extracted tree, not from this one."""
    folder = os.environ[BEFORE]
    sys.path.insert(0, folder)
    import chainrule

    if not chainrule.__file__.startswith(folder):
        raise SystemExit(f"'before' imported chainrule from {chainrule.__file__}, not from {folder}")


def report(result):
    """A worker's last line: its result as JSON for the driver."""
    print(json.dumps(result), flush=True)


def say(text):
    print(text, file=sys.stderr, flush=True)


def _git(*args):
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "?"


def _cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
