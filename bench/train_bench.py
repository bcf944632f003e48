"""A training step, micrograd's own demo, in three implementations: ours, micrograd, the floor.

    python -m bench.train_bench [--rounds 5]

The step: MLP 2 -> 16 -> 16 -> 1 (relu hidden, linear out) on 100 two-moons points,
loss = mean_i relu(1 - y_i * score_i) + 1e-4 * sum_p p*p, backward, SGD p -= 0.1 * grad.
Every implementation starts from the same weights on the same points, and the driver checks
that they compute the same first loss before it prints a time.

  ours           nn.MLP, nn.hinge, engine.dot for sum_p p*p, nn.SGD (default Python settings)
  micrograd      micrograd 0.1.0's nn.MLP, the loss written as its demo writes it (default settings)
  micrograd-gc   the same, gc tuned by hand: gc.freeze() after setup, automatic gc off,
                 one gc.collect(0) at the end of every step (context, not a target)
  floor          the same math on plain floats and lists, forward and backward by hand, no graph

Also, for ours only: memory growth over 100 steps (after 50 warm-up steps) with the garbage
collector off, so that whatever reference counting does not free would show: bytes as
tracemalloc counts them, and the number of live container objects.
"""
import gc
import math
import random
import sys
import time
import tracemalloc
from operator import mul

from bench import harness

SIZES = [2, 16, 16, 1]
POINTS = 100
ALPHA = 1e-4  # weight of the L2 term
LR = 0.1
STEPS = 10  # timed steps per worker, after one untimed warm-up step
GROWTH_STEPS = 100  # steps over which memory must not grow
WARM_UP_STEPS = 50  # before them

CASES = [harness.Case("step", "training step", "s", higher_is_better=False)]
ENGINES = ["ours", "micrograd", "floor", "micrograd-gc"]


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


def flat(weights):
    """The starting weights in parameters() order: neuron by neuron, its weights then its bias."""
    return [x for layer in weights for w, b in layer for x in (*w, b)]


# ---- ours: chainrule's nn


def ours():
    from chainrule.engine import dot
    from chainrule.nn import MLP, SGD, hinge

    X, y = two_moons()
    model = MLP(SIZES[0], SIZES[1:], activation="relu", out_activation="linear", seed=0)
    params = model.parameters()
    for p, x in zip(params, flat(initial_weights()), strict=True):
        p.data = x
    opt = SGD(params, lr=LR)

    def step():
        scores = [model(x) for x in X]
        loss = hinge(scores, y) + ALPHA * dot(params, params)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.data

    return step


# ---- micrograd 0.1.0, its MLP and its demo's loss


def micrograd(tuned_gc=False):
    from micrograd.engine import Value
    from micrograd.nn import MLP

    X, y = two_moons()
    model = MLP(SIZES[0], SIZES[1:])  # relu hidden layers, linear output
    params = model.parameters()
    for p, x in zip(params, flat(initial_weights()), strict=True):
        p.data = x

    def step():
        inputs = [list(map(Value, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        loss = data_loss + reg_loss
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= LR * p.grad
        if tuned_gc:
            gc.collect(0)  # this step's graph: all of it young, all of it garbage
        return loss.data

    if tuned_gc:
        gc.collect()
        gc.freeze()  # the model and data: never scanned again
        gc.disable()
    return step


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


IMPLEMENTATIONS = {
    "ours": ours,
    "micrograd": micrograd,
    "micrograd-gc": lambda: micrograd(tuned_gc=True),
    "floor": floor,
}


def time_steps(engine):
    """Seconds per step, the mean over STEPS steps after one warm-up step (GC pauses included)."""
    step = IMPLEMENTATIONS[engine]()
    first_loss = step()
    start = time.perf_counter()
    for _ in range(STEPS):
        loss = step()
    seconds = (time.perf_counter() - start) / STEPS
    return {"value": seconds, "first_loss": first_loss, "last_loss": loss}


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


def worker(engine, case):
    if case == "step":
        return time_steps(engine)
    if case == "growth":
        return growth(engine)
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


def main():
    options = harness.parse_args(__doc__.splitlines()[0])
    if options.worker:
        harness.report(worker(*options.worker))
        return
    results = harness.interleave("train_bench", CASES, ENGINES, options.rounds)
    first_loss = check_same_math(results)
    runs = results["step"]
    case = CASES[0]
    seconds = {engine: harness.median_value(runs[engine]) for engine in ENGINES}
    vs_micrograd = harness.median_speedup(case, runs["ours"], runs["micrograd"])
    vs_tuned = harness.median_speedup(case, runs["ours"], runs["micrograd-gc"])
    vs_floor = 1.0 / harness.median_speedup(case, runs["ours"], runs["floor"])  # ours / floor
    grown = harness.measure("train_bench", "ours", "growth")
    if "error" in grown:
        sys.exit(f"growth run failed: {grown['error']}")
    harness.say(f"growth: {grown}")

    def ms(engine):
        return f"{seconds[engine] * 1e3:.1f} ms"

    rows = [
        ["ours vs micrograd 0.1.0 (default gc)", ms("ours"), ms("micrograd"),
         f"{vs_micrograd:.1f}x faster", ">= 50x faster", "pass" if vs_micrograd >= 50 else "FAIL"],
        ["ours vs the plain-float floor", ms("ours"), ms("floor"),
         f"{vs_floor:.1f}x slower", "<= 10x slower", "pass" if vs_floor <= 10 else "FAIL"],
        ["ours vs micrograd, gc tuned (context)", ms("ours"), ms("micrograd-gc"),
         f"{vs_tuned:.1f}x faster", "-", ""],
        [f"ours, memory growth over {GROWTH_STEPS} steps, gc off", f"{grown['value']:+,} B",
         f"{grown['objects']:+,} objects", "-", "< 1 KiB, +0 objects",
         "pass" if grown["value"] < 1024 and grown["objects"] <= 0 else "FAIL"],
    ]
    print(harness.describe_run("train_bench"))
    print(f"{options.rounds} rounds; time per step = mean of {STEPS} steps after a warm-up, median over rounds; "
          f"ratio = median of per-round ratios")
    print(f"first loss, the same in all four: {first_loss:.12f}; "
          f"last loss of ours in its growth run: {grown['last_loss']:.6f}")
    print(harness.table(["comparison", "ours", "other", "ratio", "target", ""], rows))


if __name__ == "__main__":
    main()
