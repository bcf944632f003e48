"""Gradient descent on a convex cost, and what the learning rate does.

The tutorial (Sarthak Gupta, "DL01: Writing a Neural Network from Scratch (Theory)") explains
gradient descent with a picture of a convex cost against one weight and says the updates are
multiplied by a learning rate. It prints no numbers, so we choose a cost, J(w) = (w - 3)^2 + 1,
and a start, w = 0, and let backward() find every slope. It says to step "in the direction of
the gradient"; descent steps against it, and the first step says so.
"""
from ..engine import Value, draw
from ..lessons.grads import gradient_descent
from ..lessons.steps import Number, Step

START = 0.0
MINIMUM = 3.0  # J is smallest at w = 3, where it is 1
STEPS = 10
GOOD_LR, SMALL_LR, LARGE_LR = 0.3, 0.01, 1.1
CLOSE = 0.01  # "at the minimum": within this of w = 3


def cost(w):
    """J(w) = (w - 3)^2 + 1: a bowl with its bottom at w = 3."""
    return ((w - MINIMUM) ** 2 + 1).named("J")


def descend(lr, steps=STEPS, start=START):
    """Gradient descent from `start`: the weights w0, w1, ... and the costs J(w0), J(w1), ...

    Each slope dJ/dw comes from backward().
    """
    w = Value(start, label="w", param=True)
    weights, costs = [w.data], []
    for j in gradient_descent(lambda: cost(w), [w], lr, steps):
        costs.append(j.data)
        weights.append(w.data)
    costs.append(cost(w).data)
    return weights, costs


def steps_to_minimum(lr, limit=10_000):
    """How many steps until w is within CLOSE of the minimum (None if not within `limit`)."""
    w = Value(START, label="w", param=True)
    if abs(w.data - MINIMUM) < CLOSE:
        return 0
    for n, _ in enumerate(gradient_descent(lambda: cost(w), [w], lr, limit), 1):
        if abs(w.data - MINIMUM) < CLOSE:
            return n
    return None


def _slope_at(w0):
    w = Value(w0, label="w", param=True)
    j = cost(w)
    j.backward()
    return w, j


def step_cost():
    w, j = _slope_at(START)
    _, lowest = _slope_at(MINIMUM)
    return Step(
        "A convex cost and its slope",
        "The tutorial draws a bowl-shaped cost against one weight and prints no numbers, so we "
        f"choose one: J(w) = (w - {MINIMUM:g})^2 + {lowest.data:g}, lowest (J = {lowest.data:g}) at "
        f"w = {MINIMUM:g}, and we start at w = {w.data:g}. backward() gives the slope dJ/dw there: "
        f"{w.grad:g}. Negative means J falls to the right, so gradient descent steps right: "
        "w <- w - learning rate × dJ/dw, against the slope. (The tutorial says to step \"in the "
        "direction of the gradient\"; that would climb the bowl. Descent goes the opposite way, "
        "downhill.)",
        numbers=(
            Number("w", w.data),
            Number("J(w)", j.data),
            Number("dJ/dw by backward", w.grad),
        ),
        graph=draw(j, highlight=w),
    )


def _trajectory(weights, costs, shown):
    return tuple(Number(f"w after {n} steps" if n != 1 else "w after 1 step", weights[n]) for n in shown) + (
        Number(f"J after {len(costs) - 1} steps", costs[-1]),
    )


def _graph_at(w0):
    w, j = _slope_at(w0)
    return draw(j, highlight=w)


def step_good():
    weights, costs = descend(GOOD_LR)
    return Step(
        f"A good learning rate: {GOOD_LR:g}",
        f"Each step moves w by -{GOOD_LR:g} × the slope. Far from the bottom the slope is steep "
        f"and the step big; near it the slope flattens and the steps shrink by themselves. With "
        f"this rate each step leaves {1 - 2 * GOOD_LR:g} of the distance to the minimum: after {STEPS} steps w is "
        f"{weights[-1]:.4f} and J is {costs[-1]:.4f}, the bottom of the bowl.",
        numbers=_trajectory(weights, costs, (1, 2, 3, STEPS)),
        graph=_graph_at(weights[-1]),
        history=tuple(costs),
    )


def step_small():
    weights, costs = descend(SMALL_LR)
    needed = steps_to_minimum(SMALL_LR)
    return Step(
        f"Too small: {SMALL_LR:g} crawls",
        f"Every step goes the right way, but only {SMALL_LR:g} × the slope: after {STEPS} steps "
        f"w has only reached {weights[-1]:.3f}, and it takes {needed} steps to get within "
        f"{CLOSE:g} of the minimum. Safe, but slow.",
        numbers=_trajectory(weights, costs, (1, 2, 3, STEPS)),
        graph=_graph_at(weights[-1]),
        history=tuple(costs),
    )


def step_large():
    weights, costs = descend(LARGE_LR)
    return Step(
        f"Too large: {LARGE_LR:g} diverges",
        f"Now each step jumps over the bottom and lands higher up the other side: from {weights[0]:g} to "
        f"{weights[1]:.1f}, then {weights[2]:.2f}, then {weights[3]:.2f}. The slope there is "
        f"steeper still, so the next jump is bigger, and J grows every step instead of falling "
        f"(J = {costs[-1]:.0f} after {STEPS} steps). No amount of training fixes that: lower the "
        f"learning rate.",
        numbers=_trajectory(weights, costs, (1, 2, 3, STEPS)),
        graph=_graph_at(weights[-1]),
        history=tuple(costs),
    )


def build():
    return [step_cost(), step_good(), step_small(), step_large()]

