"""The four-button machine from "How to program neural networks": add the learning rate, or descend the gradient.

The tutorial teaches with a rule that is not a gradient: each trial adds the learning rate to
the pressed button's weight. We reproduce the rule with the engine computing the outputs,
then show what gradient descent on a squared error does from the same start.
"""
from ..engine import draw
from ..lessons.grads import gradient_descent
from ..lessons.labels import inputs, params
from ..lessons.steps import Number, Step
from ..nn import Neuron, datasets

# the third button is pressed, "var input = [0, 0, 1, 0]", and gives food, "var desiredResult = 1"
BUTTONS, DESIRED = datasets.four_buttons()[2]
LEARN_RATE = 0.2  # "var learningRate = 0.20"
TRIALS = 6  # "var trials = 6"
OUTPUTS = ("0.00", "0.20", "0.40", "0.60", "0.80", "1.00")  # the final report, as printed
ERRORS = ("1.00", "0.80", "0.60", "0.40", "0.20", "0.00")


def machine():
    """output = w1*button1 + ... + w4*button4, the tutorial's evaluateNeuralNetwork: a linear neuron
    without bias, every weight 0 at the start. Unfused: each weight meets its button at its own ×
    in the drawing, as the tutorial's loop multiplies them."""
    return Neuron(len(BUTTONS), "linear", weights=params("w1 w2 w3 w4", [0.0] * len(BUTTONS)), bias=False,
                  fused=False)


def press(neuron):
    """The machine's output when the third button is pressed."""
    return neuron(inputs("button1 button2 button3 button4", BUTTONS)).named("output")


def add_learning_rate(neuron):
    """The tutorial's learn(): add the learning rate to the weight of every pressed button."""
    for w, x in zip(neuron.w, BUTTONS):
        if x > 0:
            w.data += LEARN_RATE


def trials_by_rule(trials=TRIALS):
    """The tutorial's train(): evaluate, then learn, `trials` times.

    Returns (output, error) per trial and the machine after the last trial.
    """
    neuron = machine()
    results = []
    for _ in range(trials):
        output = press(neuron)
        error = (DESIRED - output).named("error")  # evaluateNeuralNetError: desired - actual
        results.append((output.data, error.data))
        add_learning_rate(neuron)
    return results, neuron


def button_loss(output):
    """L = 1/2 (desired - output)^2"""
    return (0.5 * (DESIRED - output) ** 2).named("L")


def trials_by_gradient(trials=TRIALS):
    """Gradient descent on L from the same start, same learning rate: (output, L) per trial."""
    neuron = machine()
    outputs = []

    def loss():
        output = press(neuron)
        outputs.append(output.data)
        return button_loss(output)

    losses = [L.data for L in gradient_descent(loss, neuron.parameters(), LEARN_RATE, trials)]
    return list(zip(outputs, losses))


def step_start():
    neuron = machine()
    output = press(neuron)
    error = (DESIRED - output).named("error")
    numbers = (
        Number("output", output.data, tutorial="0.00"),
        Number("error = desired - output", error.data, tutorial="1"),
    )
    pressed = ", ".join(f"{x:g}" for x in BUTTONS)
    start = sorted({f"{w.data:g}" for w in neuron.w})
    return Step(
        "Four buttons, and a network that knows nothing yet",
        "A machine gives dinner when the third button is pressed. The network sees which button "
        f"was pressed (inputs {pressed}), multiplies each input by its weight and adds them up. "
        f"All weights start at {', '.join(start)}, so the output is {numbers[0].shown}; we wanted "
        f"{DESIRED:g}, so the error, desired - output, is {numbers[1].shown}.",
        numbers=numbers,
        graph=draw(error),
    )


def step_rule():
    results, _ = trials_by_rule()
    _, neuron = trials_by_rule(TRIALS - 1)  # as it is when the sixth trial is evaluated
    numbers = []
    for trial, ((output, error), shown_output, shown_error) in enumerate(zip(results, OUTPUTS, ERRORS), 1):
        numbers.append(Number(f"trial {trial}: output", output, tutorial=shown_output))
        numbers.append(Number(f"trial {trial}: error", error, tutorial=shown_error))
    return Step(
        "Six trials of \"add the learning rate to the pressed button's weight\"",
        f"Each trial the network answers, then learns: the tutorial adds the learning rate {LEARN_RATE:g} to "
        "the weight of every pressed button. The engine computes each output; the rule itself "
        f"is the tutorial's, a fixed step, not a gradient. After {TRIALS} trials the output is "
        f"{numbers[-2].shown} and the error {numbers[-1].shown}: chicken dinner. The graph shows the "
        f"network at trial {TRIALS}.",
        numbers=tuple(numbers),
        graph=draw(press(neuron)),
        history=tuple(error for _, error in results),
    )


def step_gradient():
    neuron = machine()
    output = press(neuron)
    loss = button_loss(output)
    loss.backward()
    w3 = neuron.w[2]
    step = w3.data - LEARN_RATE * w3.grad
    return Step(
        "What gradient descent asks for",
        "Measure the miss as a squared error, L = 1/2 (desired - output)^2, and let backward() "
        "find how L changes with each weight. Only the pressed button's weight has a gradient: "
        "the others are multiplied by an input of 0, which is why the tutorial's rule touches "
        f"only weights with input > 0. Its gradient is -(desired - output) × {BUTTONS[2]:g} = "
        f"{w3.grad:g}, so the first gradient step, {w3.data:g} - {LEARN_RATE:g} × {w3.grad:g} = "
        f"{step:g}, is the tutorial's step exactly.",
        numbers=tuple(Number(f"dL/d{w.label}", w.grad) for w in neuron.w)
        + (Number("w3 after one gradient step", step, tutorial="0.20"),),
        graph=draw(loss, highlight=w3),
    )


def step_descent():
    results = trials_by_gradient()
    by_rule, _ = trials_by_rule(TRIALS + 1)
    (seventh, _) = by_rule[-1]
    reached = next(k for k, (output, _) in enumerate(by_rule) if round(output, 9) >= DESIRED)  # steps taken
    return Step(
        "Six trials of gradient descent",
        "From the same start, with the same learning rate, gradient descent moves w3 by "
        f"{LEARN_RATE:g} × (desired - output): a big step while the error is big, smaller and smaller as "
        f"it shrinks, so the output creeps up to {DESIRED:g} and never passes it. The tutorial's fixed "
        f"step gets there in {reached} steps, but a seventh trial would push the output to "
        f"{seventh:.2f}, past the answer: the over-training its closing caution warns about (in the "
        "translation, \"retraining effects (when in large numbers repetitions will result in more "
        "than 1)\").",
        numbers=tuple(Number(f"trial {t}: output", output) for t, (output, _) in enumerate(results, 1))
        + (Number("trial 7 with the tutorial's rule: output", seventh),),
        history=tuple(loss for _, loss in results),
    )


def build():
    return [step_start(), step_rule(), step_gradient(), step_descent()]
