"""A training step, micrograd's own demo, written many ways: batched, compiled, ours, micrograd, numpy, the floor.

    python -m bench.train_bench [--rounds 5]

The step: MLP 2 -> 16 -> 16 -> 1 (relu hidden, linear out) on 100 two-moons points,
loss = mean_i relu(1 - y_i * score_i) + 1e-4 * sum_p p*p, backward, SGD p -= 0.1 * grad.
Every implementation starts from the same weights on the same points, and the driver checks
that they compute the same first loss before it prints a time.

  batched           ours, one sample's loss recorded by chainrule.compile(per_sample, batch=(X, y),
                    extra=the L2 term) and the batch replayed as numpy arrays (the `fast` extra);
                    opt.step(replay): nn.SGD's update in the same pass over the parameters
  compiled          ours, the loss recorded once by chainrule.compile and replayed on floats
  ours              nn.MLP, nn.hinge, nn.l2, nn.SGD: the library's own step (default settings)
  micrograd-style   nn.MLP with the loss and update written as micrograd's demo writes them:
                    builtin sum over Values, p*p for the L2 term, p.data -= lr * p.grad
  micrograd         micrograd 0.1.0's nn.MLP, the same demo code (default settings)
  micrograd-gc      the same, gc tuned by hand: gc.freeze() after setup, automatic gc off,
                    one gc.collect(0) at the end of every step (context, not a target)
  floor             the same math on plain floats and lists, forward and backward by hand, no graph
  numpy             the same math on numpy arrays, forward and backward written by hand
  autograd          HIPS autograd on numpy arrays (when installed: pip install autograd)
  mygrad            mygrad's tensors (when installed: pip install mygrad)

Also from the same run: the compiled and the plain library step over 100 steps from the same
start (the loss histories must be equal, bit for bit), the time compile takes to record, and
ours' memory growth over 100 steps with the garbage collector off (bytes that tracemalloc
counts and live container objects: whatever reference counting does not free would show),
and the compiled step at 100, 400 and 800 points (recording time, replay time, recording memory
per graph node), and the batched step at 100 and 2,000 points (recording time, step time).
"""
import gc
import importlib.util
import math
import random
import statistics
import sys
import time
import tracemalloc
from operator import mul

from bench import harness

SIZES = [2, 16, 16, 1]
POINTS = 100
ALPHA = 1e-4  # weight of the L2 term
LR = 0.1
STEPS = 10  # timed steps per worker at least, after one untimed warm-up step ...
SECONDS = 0.5  # ... and at least this long
HISTORY_STEPS = 100  # steps over which compiled and plain must agree
GROWTH_STEPS = 100  # steps over which memory must not grow
WARM_UP_STEPS = 50  # before them
SCALING_POINTS = (100, 400, 800)  # graph sizes for the compiled step's recording and replay
BATCH_POINTS = (100, 2_000)  # batch sizes for the batched step

CASES = [harness.Case("step", "training step", "s", higher_is_better=False)]
ENGINES = ["batched", "numpy", "compiled", "floor", "ours", "micrograd-style", "micrograd", "micrograd-gc"]
OPTIONAL = ["autograd", "mygrad"]  # compared with when installed


# ---- the shared inputs: points, labels and starting weights, the same for everyone


def two_moons(n=POINTS, noise=0.1, seed=0):
    """n points on two interleaved half circles, label +1 (upper) or -1 (lower), with noise."""
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        upper = i % 2 == 0
        t = math.pi * (i // 2) / (n // 2 - 1)
        if upper:
            px, py = math.cos(t), math.sin(t)
        else:
            px, py = 1.0 - math.cos(t), 0.5 - math.sin(t)
        X.append([px + rng.gauss(0.0, noise), py + rng.gauss(0.0, noise)])
        y.append(1 if upper else -1)
    return X, y


def initial_weights(seed=1):
    """Per layer, per neuron: (weights uniform in [-1, 1], bias 0), as micrograd initialises."""
    rng = random.Random(seed)
    return [[([rng.uniform(-1.0, 1.0) for _ in range(nin)], 0.0) for _ in range(nout)]
            for nin, nout in zip(SIZES, SIZES[1:])]


def start(params):
    """Give the parameters the shared starting weights, neuron by neuron, its weights then its bias."""
    weights = [x for layer in initial_weights() for w, b in layer for x in (*w, b)]
    for p, x in zip(params, weights, strict=True):
        p.data = x


# ---- ours: chainrule's nn, plain or compiled


def our_model():
    from chainrule.nn import MLP, SGD

    model = MLP(SIZES[0], SIZES[1:], activation="relu", out_activation="linear", seed=0)
    params = model.parameters()
    start(params)
    return model, params, SGD(params, lr=LR)


def library_loss(model, params, X, y):
    from chainrule.nn import hinge, l2

    return hinge([model(x) for x in X], y) + ALPHA * l2(params)


def ours():
    X, y = two_moons()
    model, params, opt = our_model()

    def step():
        loss = library_loss(model, params, X, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.data

    return step


def compiled():
    import chainrule

    X, y = two_moons()
    model, params, opt = our_model()
    loss = chainrule.compile(lambda: library_loss(model, params, X, y))
    return replayed(loss, opt)


def batched(n=POINTS):
    import chainrule
    from chainrule.nn import hinge, l2

    X, y = two_moons(n)
    model, params, opt = our_model()
    loss = chainrule.compile(lambda x, label: hinge(model(x), label), batch=(X, y), extra=lambda: ALPHA * l2(params))
    return replayed(loss, opt)


def replayed(loss, opt):
    """One training step with a compiled loss: zero the grads, then opt.step(loss), which replays (the
    loss, grads filled) and updates; a batch replay does both in one pass over the parameters."""

    def step():
        opt.zero_grad()
        return opt.step(loss)

    return step


# ---- micrograd's demo code, run on micrograd 0.1.0 and on ours


def demo_step(model, params, inputs, y, tuned_gc=False):
    """micrograd's demo: its loss (builtin sum, p*p), zero_grad, backward, its update by hand."""

    def step():
        scores = list(map(model, inputs()))
        losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in params)
        loss = data_loss + reg_loss
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        if tuned_gc:
            gc.collect(0)  # this step's graph: all of it young, all of it garbage
        return loss.data

    if tuned_gc:
        gc.collect()
        gc.freeze()  # the model and data: never scanned again
        gc.disable()
    return step


def micrograd_style():
    X, y = two_moons()
    model, params, _ = our_model()
    return demo_step(model, params, lambda: X, y)  # nn.MLP takes rows of numbers


def micrograd(tuned_gc=False):
    from micrograd.engine import Value
    from micrograd.nn import MLP

    X, y = two_moons()
    model = MLP(SIZES[0], SIZES[1:])  # relu hidden layers, linear output
    params = model.parameters()
    start(params)
    return demo_step(model, params, lambda: [list(map(Value, row)) for row in X], y, tuned_gc)


# ---- the floor: plain floats and lists, the gradient written out by hand


def floor():
    """The same step on plain floats: weights as lists of rows, every product computed (no
    skipping of zero grads), so it does the graph's arithmetic without the graph."""
    X, y = two_moons()
    W = [[list(w) for w, _ in layer] for layer in initial_weights()]  # W[layer][neuron][input]
    B = [[b for _, b in layer] for layer in initial_weights()]
    last = len(W) - 1
    scale = 1.0 / len(X)

    def step():
        gW = [[[0.0] * len(row) for row in w] for w in W]
        gB = [[0.0] * len(b) for b in B]
        W_T = [[list(col) for col in zip(*w)] for w in W]  # columns, for the grads of the inputs
        data_loss = 0.0
        for x, label in zip(X, y):
            hs, zs = [x], []  # each layer's input, each layer's pre-activation
            for i, (w, b) in enumerate(zip(W, B)):
                z = [sum(map(mul, row, hs[-1])) + bj for row, bj in zip(w, b)]
                zs.append(z)
                hs.append(z if i == last else [zj if zj > 0.0 else 0.0 for zj in z])
            margin = 1.0 - label * hs[-1][0]
            data_loss += margin if margin > 0.0 else 0.0
            up = [-label * scale if margin > 0.0 else 0.0]  # d loss / d score
            for i in range(last, -1, -1):
                if i < last:  # through the relu
                    up = [u if zj > 0.0 else 0.0 for u, zj in zip(up, zs[i])]
                h_in, g_w, g_b = hs[i], gW[i], gB[i]
                for j, u in enumerate(up):
                    g_w[j] = [g + u * h for g, h in zip(g_w[j], h_in)]
                    g_b[j] += u
                if i:
                    up = [sum(map(mul, up, col)) for col in W_T[i]]
        # the L2 term, its grad (2 alpha p), and the SGD update
        reg = 0.0
        for w, b, g_w, g_b in zip(W, B, gW, gB):
            for j, (row, g_row) in enumerate(zip(w, g_w)):
                reg += sum(map(mul, row, row)) + b[j] * b[j]
                w[j] = [p - LR * (g + 2.0 * ALPHA * p) for p, g in zip(row, g_row)]
                b[j] -= LR * (g_b[j] + 2.0 * ALPHA * b[j])
        return data_loss * scale + ALPHA * reg

    return step


# ---- tensor libraries: the same step on arrays, a layer one matrix product


def arrays(np, n=POINTS):
    """The points, the labels and the starting weights as arrays: W (nin, nout) and b (nout,) per layer."""
    X, y = two_moons(n)
    layers = [(np.array([w for w, _ in layer]).T.copy(), np.array([b for _, b in layer])) for layer in initial_weights()]
    return np.array(X), np.array(y, dtype=float), layers


def numpy_by_hand(n=POINTS):
    import numpy as np

    X, y, layers = arrays(np, n)
    last = len(layers) - 1

    def step():
        hs, zs = [X], []
        for i, (W, b) in enumerate(layers):
            z = hs[-1] @ W + b
            zs.append(z)
            hs.append(z if i == last else np.maximum(z, 0.0))
        margin = 1.0 - y * hs[-1][:, 0]
        loss = np.maximum(margin, 0.0).mean() + ALPHA * sum(float((W * W).sum() + (b * b).sum()) for W, b in layers)
        up = np.where(margin > 0.0, -y / len(y), 0.0)[:, None]  # d loss / d score
        for i in range(last, -1, -1):
            if i < last:
                up = up * (zs[i] > 0.0)
            W, b = layers[i]
            g_W, g_b = hs[i].T @ up, up.sum(axis=0)
            if i:
                up = up @ W.T
            W -= LR * (g_W + 2.0 * ALPHA * W)
            b -= LR * (g_b + 2.0 * ALPHA * b)
        return float(loss)

    return step


def hips_autograd(n=POINTS):
    import autograd.numpy as anp
    import numpy as np
    from autograd import value_and_grad

    X, y, layers = arrays(np, n)
    params = [p for layer in layers for p in layer]

    def loss(params):
        h = X
        for i in range(0, len(params), 2):
            z = anp.dot(h, params[i]) + params[i + 1]
            h = z if i == len(params) - 2 else anp.maximum(z, 0.0)
        margin = 1.0 - y * h[:, 0]
        return anp.mean(anp.maximum(margin, 0.0)) + ALPHA * sum(anp.sum(p * p) for p in params)

    both = value_and_grad(loss)

    def step():
        value, grads = both(params)
        for k, g in enumerate(grads):
            params[k] = params[k] - LR * g
        return float(value)

    return step


def my_grad(n=POINTS):
    import mygrad as mg
    import numpy as np

    X, y, layers = arrays(np, n)
    params = [mg.tensor(p) for layer in layers for p in layer]

    def step():
        h = X
        for i in range(0, len(params), 2):
            z = mg.matmul(h, params[i]) + params[i + 1]
            h = z if i == len(params) - 2 else mg.maximum(z, 0.0)
        margin = 1.0 - y * h[:, 0]
        loss = mg.mean(mg.maximum(margin, 0.0)) + ALPHA * sum(mg.sum(p * p) for p in params)
        loss.backward()
        for k, p in enumerate(params):
            params[k] = mg.tensor(p.data - LR * p.grad)
        return float(loss.item())

    return step


IMPLEMENTATIONS = {
    "batched": batched,
    "numpy": numpy_by_hand,
    "autograd": hips_autograd,
    "mygrad": my_grad,
    "compiled": compiled,
    "ours": ours,
    "micrograd-style": micrograd_style,
    "micrograd": micrograd,
    "micrograd-gc": lambda: micrograd(tuned_gc=True),
    "floor": floor,
}


# ---- what a worker measures


def time_steps(engine):
    """Seconds per step: the mean over at least STEPS steps and SECONDS, after one warm-up step
    (for compiled, the warm-up records; GC pauses are included)."""
    step = IMPLEMENTATIONS[engine]()
    first_loss = step()
    steps, begin = 0, time.perf_counter()
    while steps < STEPS or time.perf_counter() - begin < SECONDS:
        loss = step()
        steps += 1
    seconds = (time.perf_counter() - begin) / steps
    return {"value": seconds, "first_loss": first_loss, "last_loss": loss, "steps": steps}


def histories():
    """The plain and the compiled library step, HISTORY_STEPS each from the same start; and the recording time."""
    plain, replayed = ours(), compiled()
    begin = time.perf_counter()
    first = replayed()  # records: fn() twice, the source made and compiled; then the first replay
    recording = time.perf_counter() - begin
    runs = {"plain": [plain() for _ in range(HISTORY_STEPS)], "compiled": [first]}
    runs["compiled"] += [replayed() for _ in range(HISTORY_STEPS - 1)]
    same = runs["plain"] == runs["compiled"]
    return {"value": recording, "same": same, "first": [r[0] for r in runs.values()],
            "last": [r[-1] for r in runs.values()]}


def growth(engine):
    """Memory across GROWTH_STEPS steps after WARM_UP_STEPS, the garbage collector off throughout.

    Counted two ways: bytes that tracemalloc sees, and the number of live container objects
    (Values, tuples, lists...: what gc.get_objects() lists). With gc off, whatever reference
    counting does not free would show in both. CPython's free lists are filled on the way,
    and the first steps fill its other caches, so neither looks like a leak.
    """
    step = IMPLEMENTATIONS[engine]()
    gc.collect()
    gc.disable()
    tracemalloc.start()
    for i in range(WARM_UP_STEPS):
        step()
        if i == 10:
            fill_free_lists()
    bytes_before, objects_before = tracemalloc.get_traced_memory()[0], len(gc.get_objects())
    for _ in range(GROWTH_STEPS):
        loss = step()
    bytes_after, objects_after = tracemalloc.get_traced_memory()[0], len(gc.get_objects())
    tracemalloc.stop()
    return {"value": bytes_after - bytes_before, "bytes_before": bytes_before,
            "objects": objects_after - objects_before, "objects_before": objects_before, "last_loss": loss}


def fill_free_lists():
    """Fill CPython's free lists (2,000 tuples of each length up to 19, 100 floats).

    Freed small tuples and floats are kept there for reuse, and tracemalloc counts them as
    used: as a list fills, slowly, it looks like a leak of about one tuple a step. Filled
    first, it cannot grow.
    """
    keep = [tuple([0] * n) for n in range(1, 20) for _ in range(2_000)]
    keep += [float(i) + 0.5 for i in range(100)]
    del keep


def scaling():
    """The compiled step at 100, 400 and 800 points: recording time, replay time per step, graph
    size; and at 100 points the recording's memory per graph node (tracemalloc: its peak, and
    what the replay keeps), measured in a second recording so that tracemalloc slows no timing."""
    import chainrule
    from chainrule.engine import backward_order

    out = {}
    for n in SCALING_POINTS:
        X, y = two_moons(n)
        model, params, opt = our_model()
        fn = lambda: library_loss(model, params, X, y)  # noqa: E731
        nodes = len(backward_order(fn()))
        step = chainrule.compile(fn)
        begin = time.perf_counter()
        step()
        recording = time.perf_counter() - begin
        replays, begin = 0, time.perf_counter()
        while replays < STEPS or time.perf_counter() - begin < SECONDS:
            opt.zero_grad()
            step()
            replays += 1
        out[n] = {"nodes": nodes, "record": recording, "replay": (time.perf_counter() - begin) / replays}
    X, y = two_moons(POINTS)
    model, params, _ = our_model()
    fn = lambda: library_loss(model, params, X, y)  # noqa: E731
    nodes = len(backward_order(fn()))
    gc.collect()
    tracemalloc.start()
    step = chainrule.compile(fn)
    step()
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"value": out[POINTS]["record"], "sizes": out, "peak_per_node": peak / nodes,
            "kept_per_node": kept / nodes}


def batch_scaling():
    """The batched step at each of BATCH_POINTS: its recording (the first call) and its time per step."""
    out = {}
    for n in BATCH_POINTS:
        begin = time.perf_counter()
        step = batched(n)
        first = step()  # records: every sample's graph, one run again nudged, the plan
        recording = time.perf_counter() - begin
        steps, begin = 0, time.perf_counter()
        while steps < STEPS or time.perf_counter() - begin < SECONDS:
            step()
            steps += 1
        out[n] = {"record": recording, "step": (time.perf_counter() - begin) / steps, "first_loss": first}
    X, y = two_moons()
    plain = ours()
    plain_losses = [plain() for _ in range(HISTORY_STEPS)]
    step = batched()
    batch_losses = [step() for _ in range(HISTORY_STEPS)]
    close = all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(plain_losses, batch_losses))
    worst = max(abs(a - b) / abs(b) for a, b in zip(batch_losses, plain_losses))
    return {"value": out[POINTS]["record"], "sizes": out, "close": close, "worst": worst}


def worker(engine, case):
    if case == "scaling":
        return scaling()
    if case == "batch-scaling":
        return batch_scaling()
    if case == "step":
        return time_steps(engine)
    if case == "growth":
        return growth(engine)
    if case == "histories":
        return histories()
    raise SystemExit(f"unknown case {case!r}")


# ---- the driver


def check_same_math(results):
    """Same weights, same points: every implementation's first loss must agree."""
    losses = {engine: runs[0]["first_loss"] for engine, runs in results["step"].items()}
    reference = losses["floor"]
    for engine, loss in losses.items():
        if not math.isclose(loss, reference, rel_tol=1e-9):
            sys.exit(f"first losses differ: {losses}")
    return reference


def measure_once(case):
    result = harness.measure("train_bench", "ours", case)
    if "error" in result:
        sys.exit(f"{case} run failed: {result['error']}")
    harness.say(f"{case}: {result}")
    return result


def main():
    options = harness.parse_args(__doc__.splitlines()[0])
    if options.worker:
        harness.report(worker(*options.worker))
        return
    engines = ENGINES + [name for name in OPTIONAL if importlib.util.find_spec(name) is not None]
    results = harness.interleave("train_bench", CASES, engines, options.rounds)
    first_loss = check_same_math(results)
    runs = results["step"]
    history = measure_once("histories")
    grown = measure_once("growth")
    scaled = measure_once("scaling")
    batch_scaled = measure_once("batch-scaling")

    def ms(engine):
        return f"{harness.median_value(runs[engine]) * 1e3:.1f} ms"

    def ratio(ours, theirs, slower=False):
        """Per-round ratios (ours faster: theirs / ours; slower=True: ours / theirs): median and range."""
        per_round = [harness.speedup(CASES[0], a["value"], b["value"]) for a, b in zip(runs[ours], runs[theirs])]
        if slower:
            per_round = [1.0 / r for r in per_round]
        return statistics.median(per_round), min(per_round), max(per_round)

    def row(title, ours, theirs, target, passes, slower=False):
        median, low, high = ratio(ours, theirs, slower)
        words = "the time" if slower else "faster"
        verdict = "" if passes is None else "pass" if passes(median) else "FAIL"
        return [title, ms(ours), ms(theirs), f"{median:.2f}x {words} ({low:.2f}-{high:.2f})", target, verdict]

    same = history["same"]
    rows = [
        row("compiled vs the plain-float floor", "compiled", "floor", "<= 1.5x the time", lambda r: r <= 1.5, True),
        [f"compiled vs ours, {HISTORY_STEPS} steps from one start", f"{history['last'][1]:.12f}",
         f"{history['last'][0]:.12f}", "same history" if same else "histories DIFFER",
         "same first loss and history, bit for bit",
         "pass" if same and history["first"][0] == history["first"][1] else "FAIL"],
        row("micrograd-style vs micrograd 0.1.0", "micrograd-style", "micrograd", ">= 30x faster", lambda r: r >= 30),
        row("ours (nn.hinge, l2) vs micrograd 0.1.0", "ours", "micrograd", ">= 30x faster", lambda r: r >= 30),
        row("ours vs the plain-float floor", "ours", "floor", "<= 10x the time", lambda r: r <= 10, True),
        row("compiled vs micrograd 0.1.0 (context)", "compiled", "micrograd", "-", None),
        row("ours vs micrograd, gc tuned (context)", "ours", "micrograd-gc", "-", None),
        row("batched vs numpy written by hand", "batched", "numpy", "<= 3x the time", lambda r: r <= 3, True),
        *[row(f"batched vs {name}", "batched", name, "faster", lambda r: r > 1) for name in OPTIONAL if name in runs],
        row("batched vs micrograd 0.1.0", "batched", "micrograd", ">= 5,000x faster", lambda r: r >= 5000),
        row("batched vs compiled (context)", "batched", "compiled", "-", None),
        [f"batched vs ours, {HISTORY_STEPS} steps from one start", f"worst {batch_scaled['worst']:.1e}", "", "",
         "losses within 1e-12 relative", "pass" if batch_scaled["close"] else "FAIL"],
        [f"ours, memory growth over {GROWTH_STEPS} steps, gc off", f"{grown['value']:+,} B",
         f"{grown['objects']:+,} objects", "-", "< 1 KiB, +0 objects",
         "pass" if grown["value"] < 1024 and grown["objects"] <= 0 else "FAIL"],
    ]
    steps = {engine: statistics.median(r["steps"] for r in runs[engine]) for engine in engines}
    print(harness.describe_run("train_bench"))
    print(f"{options.rounds} rounds; time per step = mean of at least {STEPS} steps and {SECONDS} s after a "
          f"warm-up step, median over rounds; ratio = median of per-round ratios (range over rounds)")
    print(f"first loss, the same in all {len(engines)}: {first_loss:.12f}; compile records the step in "
          f"{history['value']:.2f} s (fn() twice, the source made and compiled), about "
          f"{history['value'] / harness.median_value(runs['compiled']):.0f} compiled steps")
    print("timed steps per worker (median): " + ", ".join(f"{e} {n:g}" for e, n in steps.items()))
    print(harness.table(["comparison", "ours", "other", "ratio (range)", "target", ""], rows))
    sizes = scaled["sizes"]
    print("compiled step by size (one run): " + "; ".join(
        f"{n} points, {s['nodes']:,} nodes: records in {s['record']:.2f} s, replays in {s['replay'] * 1e3:.2f} ms"
        for n, s in sorted(sizes.items(), key=lambda item: int(item[0]))))
    print(f"recording memory at {POINTS} points (tracemalloc): peak {scaled['peak_per_node']:,.0f} B and kept "
          f"{scaled['kept_per_node']:,.0f} B per graph node (target: under 2,048)")
    sizes = batch_scaled["sizes"]
    small, large = (sizes[str(n)] for n in BATCH_POINTS)
    growth_ratio = large["step"] / small["step"]
    print("batched step by size (one run): " + "; ".join(
        f"{n} points: records in {sizes[str(n)]['record']:.3f} s, steps in {sizes[str(n)]['step'] * 1e3:.3f} ms"
        for n in BATCH_POINTS) + f"; {BATCH_POINTS[1]} points take {growth_ratio:.2f}x the time of {BATCH_POINTS[0]} "
          f"({'pass' if growth_ratio <= 5 else 'FAIL'}: <= 5x); recording at {POINTS} points "
          f"{'pass' if small['record'] <= 0.5 else 'FAIL'} (<= 0.5 s)")


if __name__ == "__main__":
    main()
