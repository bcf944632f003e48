"""The rabbit that learns to blink at a sound, from "How to program neural networks".

A puff of air makes the rabbit blink; a sound does not, until sound and puff have come
together a few times. The tutorial's learning rule is a fixed step, 0.30 a trial, on the
sound's weight, not a gradient. We reproduce it with the engine computing the weighted sums,
then show what gradient descent on a squared error does from the same start.
"""
from ..engine import Value, draw
from ..lessons.grads import gradient_descent
from ..lessons.labels import inputs
from ..lessons.steps import Number, Step
from ..nn import Neuron

PUFF_WEIGHT = 1.0  # a puff of air always makes the rabbit blink
THRESHOLD = 1.0  # "the second neuron limit - 1": blink when the weighted sum reaches 1
SOUND_STEP = 0.30  # "we chose 0.30": the sound's weight grows by this each paired trial
PAIRED_TRIALS = 4
LEARN_RATE = SOUND_STEP  # so that the first gradient step is the tutorial's 0.30


def blink_neuron(w_sound):
    """sum = w_puff*puff + w_sound*sound: a linear neuron without bias, the puff's weight fixed at 1."""
    return Neuron(2, "linear", weights=[Value(PUFF_WEIGHT, label="w_puff"), w_sound], bias=False)


def rabbit(sound_weight, puff, sound):
    """The weighted sum reaching the blink neuron, and w_sound (a Value)."""
    w_sound = Value(sound_weight, label="w_sound")
    total = blink_neuron(w_sound)(inputs("puff sound", [puff, sound])).named("sum")
    return total, w_sound


def blinks(total):
    return total.data >= THRESHOLD


def sound_weights_by_rule(trials=PAIRED_TRIALS):
    """The tutorial's training: each paired trial adds SOUND_STEP to the sound's weight."""
    weight, after = 0.0, []
    for _ in range(trials):
        weight += SOUND_STEP
        after.append(weight)
    return after


def _yes_no(flag):
    return "blinks" if flag else "does not blink"


def step_start():
    puff, _ = rabbit(0.0, puff=1.0, sound=0.0)
    sound, w_sound = rabbit(0.0, puff=0.0, sound=1.0)
    return Step(
        "A rabbit blinks at a puff of air, not at a sound",
        f"The blink neuron fires when its weighted sum reaches {THRESHOLD:g}. The puff comes in "
        f"with weight {PUFF_WEIGHT:g}: a puff alone gives a sum of {puff.data:g}, so the rabbit "
        f"{_yes_no(blinks(puff))}. The sound's weight is {w_sound.data:g}: a sound alone gives "
        f"{sound.data:g}, so the rabbit {_yes_no(blinks(sound))}.",
        numbers=(
            Number("sum for a puff alone", puff.data, tutorial="1"),
            Number("sum for a sound alone", sound.data, tutorial="0"),
        ),
        graph=draw(sound),
    )


def step_trial(trial):
    weight = sound_weights_by_rule(trial)[-1]
    paired, _ = rabbit(weight - SOUND_STEP, puff=1.0, sound=1.0)
    alone, _ = rabbit(weight, puff=0.0, sound=1.0)
    change = "and now, for the first time, " if trial == PAIRED_TRIALS else "but "
    ours = "" if trial == 1 else (f" The tutorial's text prints only the step, {SOUND_STEP:.2f}; this weight "
                                  f"is ours: the step added once per trial, {trial} times (plain arithmetic on "
                                  "the weight; the engine computes the sums).")
    return Step(
        f"Trial {trial}: sound and puff together",
        f"The sound plays, then the puff comes: the sum is {paired.data:.2f}, so the rabbit "
        f"{_yes_no(blinks(paired))}. Pairing them adds {SOUND_STEP:.2f} to the sound's weight "
        f"(the tutorial's fixed step; no gradient here), which is now {weight:.2f}. Then we "
        f"test the sound alone: its sum is {alone.data:.2f}, {change}the rabbit "
        f"{_yes_no(blinks(alone))} (threshold {THRESHOLD:g}).{ours}",
        numbers=(
            Number.chosen_to_fit("w_sound", weight, "0.30", "after one trial the weight is the tutorial's step "
                                                              "itself, taken as given")
            if trial == 1 else Number("w_sound", weight),
            Number("sum for the sound alone", alone.data),
        ),
        graph=draw(alone),
    )


def rabbit_loss(total):
    """L = 1/2 (1 - sum)^2: the blink (1) the sum should reach."""
    return (0.5 * (1.0 - total) ** 2).named("L")


def sound_weights_by_gradient(trials=PAIRED_TRIALS):
    """Gradient descent on the sound alone's L from w_sound = 0: the weight after each trial, and L before it."""
    w_sound = Value(0.0, label="w_sound", param=True)
    neuron = blink_neuron(w_sound)

    def loss():
        return rabbit_loss(neuron(inputs("puff sound", [0.0, 1.0])))

    weights, losses = [], []
    for L in gradient_descent(loss, [w_sound], LEARN_RATE, trials):
        weights.append(w_sound.data)
        losses.append(L.data)
    return weights, losses


def step_gradient():
    paired, paired_w_sound = rabbit(0.0, puff=1.0, sound=1.0)
    rabbit_loss(paired).backward()
    later, later_w_sound = rabbit(SOUND_STEP, puff=1.0, sound=1.0)  # the second paired trial's start
    rabbit_loss(later).backward()

    total, w_sound = rabbit(0.0, puff=0.0, sound=1.0)
    loss = rabbit_loss(total)
    loss.backward()
    weights, losses = sound_weights_by_gradient(12)
    first_blink = next((t for t, w in enumerate(weights, 1) if w >= THRESHOLD), None)
    return Step(
        "The same start, by gradient descent",
        "What would a gradient do? On the first paired trial, with w_sound = "
        f"{paired_w_sound.data:g}, the puff brings the sum to {paired.data:g}, the blink, so the "
        "squared error 1/2 (1 - sum)^2 is 0 and so is its gradient: nothing to learn, and w_sound "
        f"would stay {paired_w_sound.data:g}. Once the tutorial's rule has raised it to "
        f"{later_w_sound.data:.2f} (trial 2), the paired sum is {later.data:.2f}, past the blink, and the "
        f"gradient is {later_w_sound.grad:+.2f}: descent would take the weight back down. Either way "
        "pairing teaches the sound nothing by gradient. So we ask the sound alone to predict "
        f"the blink, L = 1/2 (1 - w_sound)^2, with learning rate {LEARN_RATE:.2f}. The first step is "
        f"{weights[0]:.2f}, the tutorial's step; after that each step is {LEARN_RATE:.2f} × the remaining "
        f"error, so the weight slows down as it nears {THRESHOLD:g} and "
        + (f"never quite reaches the threshold: the sum approaches {THRESHOLD:g} from below."
           if first_blink is None else f"reaches the threshold at trial {first_blink}."),
        numbers=(
            Number(f"dL/dw_sound on a paired trial, w_sound = {paired_w_sound.data:g}", paired_w_sound.grad),
            Number(f"dL/dw_sound on a paired trial, w_sound = {later_w_sound.data:.2f}", later_w_sound.grad),
            Number(f"dL/dw_sound, sound alone, w_sound = {w_sound.data:g}", w_sound.grad),
            *(Number.chosen_to_fit(f"w_sound after trial {t}", w, "0.30", "we chose the learning rate "
                                   "so that the first step is the tutorial's")
              if t == 1 else Number(f"w_sound after trial {t}", w)
              for t, w in enumerate(weights[:PAIRED_TRIALS], 1)),
            Number(f"w_sound after trial {len(weights)}", weights[-1]),
        ),
        graph=draw(loss, highlight=w_sound),
        history=tuple(losses),
    )


def build():
    return [step_start(), *(step_trial(t) for t in range(1, PAIRED_TRIALS + 1)), step_gradient()]
