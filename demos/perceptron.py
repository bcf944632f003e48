"""Seed 001: the rabbit that learns to blink, the four-button machine, a spam-filter neuron
and James Loy's 2-layer network.

The tutorial ("How to program neural networks") teaches with rules that are not gradients:
the rabbit's sound weight grows by a fixed 0.30 a trial, the button machine adds the learning
rate to the pressed button's weight. We reproduce each rule with the engine computing the
outputs, then show what gradient descent on a squared error does from the same start.
"""
import random

from .. import engine
from ..engine import Value, dot, draw
from ..nn import datasets

from .model import Demo, Number, Step



def _params(values, names):
    return [Value(v, label=name, param=True) for v, name in zip(values, names)]


# ---------------------------------------------------------------------------------------------
# The four-button machine

# the third button is pressed, "var input = [0, 0, 1, 0]", and gives food, "var desiredResult = 1"
BUTTONS, DESIRED = datasets.four_buttons()[2]
BUTTONS_LR = 0.2  # "var learningRate = 0.20"
TRIALS = 6  # "var trials = 6"


def machine(weights):
    """output = w1*button1 + ... + w4*button4 (the tutorial's evaluateNeuralNetwork)."""
    xs = [Value(x, label=f"button{i}") for i, x in enumerate(BUTTONS, 1)]
    return dot(weights, xs).named("output")


def button_weights():
    return _params([0.0] * len(BUTTONS), [f"w{i}" for i in range(1, len(BUTTONS) + 1)])


def add_learning_rate(weights):
    """The tutorial's learn(): add the learning rate to the weight of every pressed button."""
    for w, x in zip(weights, BUTTONS):
        if x > 0:
            w.data += BUTTONS_LR


def button_trials_by_rule(trials=TRIALS):
    """The tutorial's train(): evaluate, then learn, `trials` times.

    Returns (output, error) per trial and the weights after the last trial.
    """
    weights = button_weights()
    results = []
    for _ in range(trials):
        output = machine(weights)
        error = (DESIRED - output).named("error")  # evaluateNeuralNetError: desired - actual
        results.append((output.data, error.data))
        add_learning_rate(weights)
    return results, weights


def button_loss(output):
    """L = 1/2 (desired - output)^2"""
    return (0.5 * (DESIRED - output) ** 2).named("L")


def button_trials_by_gradient(trials=TRIALS):
    """Gradient descent on L from the same start, same learning rate: (output, L) per trial."""
    weights = button_weights()
    results = []
    for _ in range(trials):
        output = machine(weights)
        loss = button_loss(output)
        for w in weights:
            w.grad = 0.0
        loss.backward()
        results.append((output.data, loss.data))
        for w in weights:
            w.data -= BUTTONS_LR * w.grad
    return results


BUTTON_OUTPUTS = ("0.00", "0.20", "0.40", "0.60", "0.80", "1.00")  # the final report, as printed
BUTTON_ERRORS = ("1.00", "0.80", "0.60", "0.40", "0.20", "0.00")


def step_buttons_start():
    weights = button_weights()
    output = machine(weights)
    error = (DESIRED - output).named("error")
    return Step(
        "Four buttons, and a network that knows nothing yet",
        "A machine gives dinner when the third button is pressed. The network sees which button "
        "was pressed (inputs 0, 0, 1, 0), multiplies each input by its weight and adds them up. "
        "All weights start at 0, so the output is 0.00; we wanted 1, so the error, desired - "
        "output, is 1.",
        numbers=(
            Number("output", output.data, tutorial="0.00"),
            Number("error = desired - output", error.data, tutorial="1"),
        ),
        graph=draw(error),
    )


def step_buttons_rule():
    results, _ = button_trials_by_rule()
    _, weights = button_trials_by_rule(TRIALS - 1)  # as they are when the sixth trial is evaluated
    numbers = []
    printed = zip(BUTTON_OUTPUTS, BUTTON_ERRORS)
    for trial, ((output, error), (shown_output, shown_error)) in enumerate(zip(results, printed), 1):
        numbers.append(Number(f"trial {trial}: output", output, tutorial=shown_output))
        numbers.append(Number(f"trial {trial}: error", error, tutorial=shown_error))
    return Step(
        "Six trials of \"add the learning rate to the pressed button's weight\"",
        "Each trial the network answers, then learns: the tutorial adds the learning rate 0.2 to "
        "the weight of every pressed button. The engine computes each output; the rule itself "
        "is the tutorial's, a fixed step, not a gradient. After six trials the output is 1.00 "
        "and the error 0.00: chicken dinner. The graph shows the network at the sixth trial.",
        numbers=tuple(numbers),
        graph=draw(machine(weights)),
        history=tuple(error for _, error in results),
    )


def step_buttons_gradient():
    weights = button_weights()
    loss = button_loss(machine(weights))
    loss.backward()
    return Step(
        "What gradient descent asks for",
        "Measure the miss as a squared error, L = 1/2 (desired - output)^2, and let backward() "
        "find how L changes with each weight. Only the pressed button's weight has a gradient: "
        "the others are multiplied by an input of 0, which is why the tutorial's rule touches "
        "only weights with input > 0. Its gradient is -(desired - output) x 1 = -1, so the "
        "first gradient step, 0 - 0.2 x -1 = 0.2, is the tutorial's step exactly.",
        numbers=tuple(Number(f"dL/dw{i}", w.grad) for i, w in enumerate(weights, 1))
        + (Number("w3 after one gradient step", weights[2].data - BUTTONS_LR * weights[2].grad, tutorial="0.20"),),
        graph=draw(loss, highlight=weights[2]),
    )


def step_buttons_descent():
    results = button_trials_by_gradient()
    seventh, _ = button_trials_by_rule(TRIALS + 1)[0][-1]
    return Step(
        "Six trials of gradient descent",
        "From the same start, with the same learning rate, gradient descent moves w3 by "
        "0.2 x (desired - output): a big step while the error is big, smaller and smaller as "
        "it shrinks, so the output creeps up to 1 and never passes it. The tutorial's fixed "
        "step gets there in five steps, but a seventh trial would push the output to 1.20, "
        "past the answer: the \"retraining\" its closing caution warns about.",
        numbers=tuple(Number(f"trial {t}: output", output) for t, (output, _) in enumerate(results, 1))
        + (Number("trial 7 with the tutorial's rule: output", seventh),),
        history=tuple(loss for _, loss in results),
    )


# ---------------------------------------------------------------------------------------------
# The rabbit

PUFF_WEIGHT = 1.0  # a puff of air always makes the rabbit blink
THRESHOLD = 1.0  # "the second neuron limit - 1": blink when the weighted sum reaches 1
SOUND_STEP = 0.30  # "we chose 0.30": the sound's weight grows by this each paired trial
PAIRED_TRIALS = 4
RABBIT_WEIGHTS = ("0.30", "0.60", "0.90", "1.20")  # the sound's weight after each trial


def rabbit(sound_weight, puff, sound):
    """The weighted sum reaching the blink neuron, w_puff*puff + w_sound*sound, and w_sound."""
    w_sound = Value(sound_weight, label="w_sound", param=True)
    ws = [Value(PUFF_WEIGHT, label="w_puff", param=True), w_sound]
    xs = [Value(puff, label="puff"), Value(sound, label="sound")]
    return dot(ws, xs).named("sum"), w_sound


def blinks(total):
    return total.data >= THRESHOLD


def sound_weights_by_rule(trials=PAIRED_TRIALS):
    """The tutorial's training: each paired trial adds SOUND_STEP to the sound's weight."""
    weight, after = 0.0, []
    for _ in range(trials):
        weight += SOUND_STEP
        after.append(weight)
    return after


def blink_pattern(trials=PAIRED_TRIALS):
    """Does the sound alone make the rabbit blink after each paired trial?"""
    return [blinks(rabbit(w, puff=0.0, sound=1.0)[0]) for w in sound_weights_by_rule(trials)]


def _yes_no(flag):
    return "blinks" if flag else "does not blink"


def step_rabbit_start():
    puff, _ = rabbit(0.0, puff=1.0, sound=0.0)
    sound, _ = rabbit(0.0, puff=0.0, sound=1.0)
    return Step(
        "A rabbit blinks at a puff of air, not at a sound",
        f"The blink neuron fires when its weighted sum reaches {THRESHOLD:g}. The puff comes in "
        f"with weight {PUFF_WEIGHT:g}: a puff alone gives a sum of 1, so the rabbit "
        f"{_yes_no(blinks(puff))}. The sound's weight is 0: a sound alone gives 0, so the rabbit "
        f"{_yes_no(blinks(sound))}.",
        numbers=(
            Number("sum for a puff alone", puff.data, tutorial="1"),
            Number("sum for a sound alone", sound.data, tutorial="0"),
        ),
        graph=draw(sound),
    )


def step_rabbit_trial(trial):
    weight = sound_weights_by_rule(trial)[-1]
    paired, _ = rabbit(weight - SOUND_STEP, puff=1.0, sound=1.0)
    alone, _ = rabbit(weight, puff=0.0, sound=1.0)
    change = "and now, for the first time, " if trial == PAIRED_TRIALS else "but "
    return Step(
        f"Trial {trial}: sound and puff together",
        f"The sound plays, then the puff comes: the sum is {paired.data:.2f}, so the rabbit "
        f"{_yes_no(blinks(paired))}. Pairing them adds {SOUND_STEP:.2f} to the sound's weight "
        f"(the tutorial's fixed step; no gradient here), which is now {weight:.2f}. Then we "
        f"test the sound alone: its sum is {alone.data:.2f}, {change}the rabbit "
        f"{_yes_no(blinks(alone))} (threshold {THRESHOLD:g}).",
        numbers=(
            Number("w_sound", weight, tutorial=RABBIT_WEIGHTS[trial - 1]),
            Number("sum for the sound alone", alone.data, tutorial=RABBIT_WEIGHTS[trial - 1]),
        ),
        graph=draw(alone),
    )


RABBIT_LR = SOUND_STEP  # so that the first gradient step is the tutorial's 0.30


def rabbit_loss(total):
    """L = 1/2 (1 - sum)^2: the blink (1) the sum should reach."""
    return (0.5 * (1.0 - total) ** 2).named("L")


def sound_weights_by_gradient(trials=PAIRED_TRIALS):
    """Gradient descent on the sound alone's L from w_sound = 0: the weight after each trial."""
    weight, after, losses = 0.0, [], []
    for _ in range(trials):
        total, w_sound = rabbit(weight, puff=0.0, sound=1.0)
        loss = rabbit_loss(total)
        loss.backward()
        weight -= RABBIT_LR * w_sound.grad
        after.append(weight)
        losses.append(loss.data)
    return after, losses


def step_rabbit_gradient():
    paired, paired_w_sound = rabbit(0.0, puff=1.0, sound=1.0)
    rabbit_loss(paired).backward()

    total, w_sound = rabbit(0.0, puff=0.0, sound=1.0)
    loss = rabbit_loss(total)
    loss.backward()
    weights, losses = sound_weights_by_gradient(12)
    first_blink = next((t for t, w in enumerate(weights, 1) if w >= THRESHOLD), None)
    return Step(
        "The same start, by gradient descent",
        "What would a gradient do? On the paired trial the puff already brings the sum to 1, "
        "the blink, so the squared error 1/2 (1 - sum)^2 is 0 and so is its gradient: nothing "
        "left to learn. So we ask the sound alone to predict the blink, L = 1/2 (1 - w_sound)^2, "
        f"with learning rate {RABBIT_LR:.2f}. The first step is the tutorial's 0.30; after that "
        "each step is 0.30 x the remaining error, so the weight slows down as it nears 1 and "
        + ("never quite reaches the threshold: the sum approaches 1 from below."
           if first_blink is None else f"reaches the threshold at trial {first_blink}."),
        numbers=(
            Number("dL/dw_sound on a paired trial", paired_w_sound.grad),
            Number("dL/dw_sound, sound alone, w_sound = 0", w_sound.grad),
            *(Number(f"w_sound after trial {t}", w, tutorial="0.30" if t == 1 else "")
              for t, w in enumerate(weights[:PAIRED_TRIALS], 1)),
            Number(f"w_sound after trial {len(weights)}", weights[-1]),
        ),
        graph=draw(loss, highlight=w_sound),
        history=tuple(losses),
    )


# ---------------------------------------------------------------------------------------------
# The spam-filter neuron

# Printed: the weights 7 and 3, the sum 5 and the rounded output 1. The inputs and the offset are
# in a picture; we chose both features present (1, 1) and an offset of -5: 7 + 3 - 5 = 5.
SPAM_INPUTS = (1.0, 1.0)
SPAM_WEIGHTS = (7.0, 3.0)
SPAM_OFFSET = -5.0


def spam_neuron():
    xs = [Value(SPAM_INPUTS[0], label="CAPITALS"), Value(SPAM_INPUTS[1], label="viagra")]
    ws = _params(SPAM_WEIGHTS, ["w1", "w2"])
    z = dot(ws, xs, Value(SPAM_OFFSET, label="offset", param=True)).named("z")
    return ws, z, z.sigmoid().named("spam")


def step_spam():
    _, z, out = spam_neuron()
    return Step(
        "A spam-filter neuron: 7 and 3 plus an offset make 5",
        "Two inputs say whether a text has words in CAPITALS and the word \"viagra\". The "
        "tutorial's picture with their values and the offset is not in the text; we chose both "
        "features present (1 and 1) and an offset of -5, so that 1 x 7 + 1 x 3 - 5 = 5 as "
        "printed. The neuron's output is sigmoid(5) = 0.9933, which rounds to 1: spam.",
        numbers=(
            Number("z = 7 x 1 + 3 x 1 - 5", z.data, tutorial="5"),
            Number("sigmoid(5)", out.data),
            Number("sigmoid(5), rounded", out.data, tutorial="1"),
        ),
        graph=draw(out),
    )


def step_spam_slope():
    ws, z, out = spam_neuron()
    out.backward()
    return Step(
        "A sure neuron is slow to change its mind",
        "backward() from the output shows how much it would move per unit change of each "
        "weight. At 5 the sigmoid is nearly flat, its slope sigmoid(5) (1 - sigmoid(5)) is "
        "0.0066: the neuron is so sure that nudging a weight barely moves its answer.",
        numbers=(
            Number("d spam / dz", z.grad),
            Number("d spam / dw1", ws[0].grad),
        ),
        graph=draw(out, highlight=z),
    )


# ---------------------------------------------------------------------------------------------
# James Loy's 2-layer network

TABLE = datasets.two_layer_table()  # [0,0,1], [0,1,1], [1,0,1], [1,1,1] -> 0, 1, 1, 0
TABLE_X, TABLE_Y = TABLE.X, TABLE.y
TARGETS_AS_PRINTED = ("0", "1", "1", "0")
HIDDEN_UNITS = 4
ITERATIONS = 1500
TWO_LAYER_LR = 1.0  # the original adds the full derivative: W += -dSSE/dW
INIT_SEED = 0  # the original draws np.random.rand, uniform in [0, 1): we draw the same way, seeded


class TwoLayer:
    """y_hat = sigmoid(W2 . sigmoid(W1 x)), no biases, weights uniform in [0, 1)."""

    def __init__(self, seed=INIT_SEED):
        rng = random.Random(seed)
        nin = len(TABLE_X[0])
        # weights1 has shape (3, 4) in the original: W1[i][j] joins input i to hidden unit j
        self.w1 = [[Value(rng.random(), label=f"W1[{i},{j}]", param=True) for j in range(HIDDEN_UNITS)]
                   for i in range(nin)]
        self.w2 = [Value(rng.random(), label=f"W2[{j}]", param=True) for j in range(HIDDEN_UNITS)]

    def parameters(self):
        return [w for row in self.w1 for w in row] + self.w2

    def __call__(self, x):
        xs = [Value(v, label=f"x{i}") for i, v in enumerate(x, 1)]
        hidden = [dot([row[j] for row in self.w1], xs).sigmoid().named(f"h{j + 1}") for j in range(HIDDEN_UNITS)]
        return dot(self.w2, hidden).sigmoid().named("y_hat")

    def sse(self):
        """sum over the table of (y - y_hat)^2, the tutorial's loss."""
        errors = []
        for row, (x, y) in enumerate(zip(TABLE_X, TABLE_Y), 1):
            y_hat = self(x).named(f"y_hat{row}")
            errors.append((y - y_hat) ** 2)
        return engine.sum(errors).named("SSE")


def train_two_layer(iterations=ITERATIONS, seed=INIT_SEED):
    """Full-batch gradient descent on the SSE; the loss before each update."""
    net = TwoLayer(seed)
    params = net.parameters()
    history = []
    for _ in range(iterations):
        loss = net.sse()
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= TWO_LAYER_LR * p.grad
        history.append(loss.data)
    return net, history


def step_two_layer_start():
    net = TwoLayer()
    loss = net.sse()
    loss.backward()
    drawn = TwoLayer()  # the same weights, to draw one row's error on its own
    x, y = TABLE_X[1], TABLE_Y[1]
    row_error = ((y - drawn(x)) ** 2).named("error")
    row_error.backward()
    return Step(
        "James Loy's network: 3 inputs, 4 hidden units, 1 output",
        "The four rows [0,0,1], [0,1,1], [1,0,1], [1,1,1] should give 0, 1, 1, 0. Every unit is "
        "a sigmoid with no bias; the weights start uniform in [0, 1) (the original's "
        f"np.random.rand; ours seeded with {INIT_SEED}). The loss is the sum of squared errors "
        "over the table. The drawing shows one row, [0,1,1], and follows the output unit's first "
        "weight back from that row's error. The SSE adds four such pictures, so backward adds "
        "one chain-rule product per row into W2[0]'s gradient.",
        numbers=tuple(Number(f"y_hat for {list(map(int, x))}", net(x).data) for x in TABLE_X)
        + (
            Number("SSE", loss.data),
            Number("d(error of [0,1,1])/dW2[0]", drawn.w2[0].grad),
            Number("dSSE/dW2[0], all four rows", net.w2[0].grad),
        ),
        graph=draw(row_error, highlight=drawn.w2[0]),
    )


def step_two_layer_train():
    net, history = train_two_layer()
    final = net.sse()
    history.append(final.data)  # the loss after the last update
    falls = sum(after < before for before, after in zip(history, history[1:]))
    return Step(
        f"{ITERATIONS} iterations of gradient descent",
        f"Each iteration: forward over all four rows, backward from the SSE, then every weight "
        f"moves by -{TWO_LAYER_LR:g} x its gradient (the original's backprop adds "
        f"2 (y - y_hat) sigmoid'(...) to the weights, the same thing written by hand). The loss "
        f"fell at {falls} of the {len(history) - 1} updates, from {history[0]:.3f} to "
        f"{final.data:.4f}, and the predictions converge on the true values without reaching "
        f"them exactly.",
        numbers=(Number("SSE before training", history[0]), Number("SSE after training", final.data))
        + tuple(Number(f"y_hat for {list(map(int, x))}", net(x).data, tutorial=shown)
                for x, shown in zip(TABLE_X, TARGETS_AS_PRINTED)),
        graph=draw(net(TABLE_X[1])),
        history=tuple(history),
    )


DEMOS = [
    Demo(
        name="buttons",
        title="The four-button machine: add the learning rate, or descend the gradient",
        seed="001",
        summary="inputs [0,0,1,0], weights 0, learning rate 0.2: outputs 0.00, 0.20, ..., 1.00 in 6 trials",
        build=lambda: [step_buttons_start(), step_buttons_rule(), step_buttons_gradient(), step_buttons_descent()],
    ),
    Demo(
        name="rabbit",
        title="The rabbit that learns to blink at a sound",
        seed="001",
        summary="puff weight 1, threshold 1, sound weight +0.30 a trial: blinks at the sound after trial 4",
        build=lambda: [step_rabbit_start(), *(step_rabbit_trial(t) for t in range(1, PAIRED_TRIALS + 1)),
                       step_rabbit_gradient()],
    ),
    Demo(
        name="spam",
        title="A spam-filter neuron: sigmoid(5) rounds to 1",
        seed="001",
        summary="weights 7 and 3 plus an offset give 5; sigmoid(5) = 0.9933, rounds to 1",
        build=lambda: [step_spam(), step_spam_slope()],
    ),
    Demo(
        name="two-layer",
        title="James Loy's 2-layer network, 1500 iterations",
        seed="001",
        summary="4 sigmoid hidden units, SSE, [0,0,1],[0,1,1],[1,0,1],[1,1,1] -> 0,1,1,0; loss falls every step",
        build=lambda: [step_two_layer_start(), step_two_layer_train()],
    ),
]
