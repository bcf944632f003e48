"""Seed 002: a neuron, a 2-2-1 network, and training it to tell gender from weight and height.

Every number on screen comes out of the engine: forward by its ops, every derivative by
backward(). The only numbers typed in are the tutorial's inputs and the strings it prints
(the `tutorial=` side of each Number).
"""
import random

from ..engine import Value, draw, no_grad
from ..nn import Module, Neuron, SGD, datasets
from ..nn import mse as nn_mse

from .model import Demo, Number, Step
from .parts import derivative, fmt, inputs, params, pre_activation, zero_grads
from .walkthrough import walkthrough_steps

SEED = "002"
LEARN_RATE = 0.1  # the tutorial's eta


# ---------------------------------------------------------------- helpers


def sigmoid_neuron(ws, xs, b):
    """f(w1*x1 + w2*x2 + ... + b), one node per multiply and add, as the tutorial writes it."""
    total = ws[0] * xs[0]
    for w, x in zip(ws[1:], xs[1:]):
        total = total + w * x
    return (total + b).sigmoid()


# ---------------------------------------------------------------- demo: one neuron


def build_neuron():
    x1, x2 = inputs("x1 x2", [2, 3])
    w1, w2, b = params("w1 w2 b", [0, 1, 4])
    total = (w1 * x1 + w2 * x2 + b).named("total")  # the tutorial's code calls it `total`
    y = total.sigmoid().named("y")
    steps = [
        Step(
            "A neuron with two inputs",
            "A neuron multiplies each input by a weight, adds the results and a bias, then squashes\n"
            "the sum with an activation function. Here: inputs x = [2, 3], weights w = [0, 1], bias b = 4,\n"
            "and the sigmoid activation f(x) = 1 / (1 + e^-x). The drawing is the graph our engine\n"
            "recorded while computing it; the next steps walk through it.",
            graph=draw(y),
        ),
        Step(
            "The weighted sum",
            f"(w1*x1) + (w2*x2) + b = {fmt(w1.data)}*{fmt(x1.data)} + {fmt(w2.data)}*{fmt(x2.data)} + {fmt(b.data)}"
            f" = {fmt(total.data)}.\nEach * and + is one node of the graph.",
            (Number("w·x + b", total.data, tutorial="7"),),
            draw(total),
        ),
        Step(
            "The activation",
            f"y = f({fmt(total.data)}) = {fmt(y.data, 6)}. The sigmoid squashes any number into (0, 1): 7 is big,\n"
            "so y is "
            "close to 1. The tutorial's code prints the full float; our engine gives the very same one.",
            (
                Number("y = f(7)", y.data, tutorial="0.999"),
                Number("print(n.feedforward(x))", y.data, tutorial="0.9990889488055994"),
            ),
            draw(y),
        ),
        _neuron_backward_step(y, x1, x2, w1, w2, b),
    ]
    return steps


def _neuron_backward_step(y, x1, x2, w1, w2, b):
    slope = derivative(y, pre_activation(y))  # one backward from y: every grad below is dy/d(that)
    return Step(
        "What backward tells us (beyond the tutorial)",
        "The tutorial prints no gradients for this neuron; these come from our engine's backward().\n"
        "Each grad says how fast y moves when that value is nudged. At 7 the sigmoid is almost flat\n"
        f"(slope dy/dtotal = {fmt(slope)}), so every grad is tiny: this neuron is saturated.\n"
        f"dy/dw1 = {fmt(w1.grad)} is x1 = 2 times that slope; dy/dx1 = {fmt(x1.grad)} because w1 = 0.",
        (
            Number("dy/dtotal", slope),
            Number("dy/dw1", w1.grad),
            Number("dy/dw2", w2.grad),
            Number("dy/db", b.grad),
            Number("dy/dx1", x1.grad),
            Number("dy/dx2", x2.grad),
        ),
        draw(y, highlight=w1),
    )


# ---------------------------------------------------------------- the 2-2-1 network


def network_221(xs, ws, bs):
    """h1, h2, o1 of the tutorial's network: h1 = f(w1 x1 + w2 x2 + b1), h2 = f(w3 x1 + w4 x2 + b2),
    o1 = f(w5 h1 + w6 h2 + b3)."""
    w1, w2, w3, w4, w5, w6 = ws
    b1, b2, b3 = bs
    h1 = sigmoid_neuron([w1, w2], xs, b1).named("h1")
    h2 = sigmoid_neuron([w3, w4], xs, b2).named("h2")
    o1 = sigmoid_neuron([w5, w6], [h1, h2], b3)
    return h1, h2, o1



# ---------------------------------------------------------------- demo: 2-2-1 network


def build_network():
    xs = inputs("x1 x2", [2, 3])
    ws = params("w1 w2 w3 w4 w5 w6", [0, 1] * 3)
    bs = params("b1 b2 b3", [0, 0, 0])
    h1, h2, o1 = network_221(xs, ws, bs)
    o1.named("o1")
    return [
        Step(
            "A network: 2 inputs, 2 hidden neurons, 1 output",
            "Two hidden neurons h1 and h2 read the inputs x = [2, 3]; the output neuron o1 reads h1 and h2.\n"
            "As in the tutorial every neuron has weights [0, 1] and bias 0: so w1 = w3 = w5 = 0,\n"
            "w2 = w4 = w6 = 1, b1 = b2 = b3 = 0 (the tutorial's names for them come later, in training).",
            graph=draw(o1),
        ),
        _neuron_step("Hidden neuron h1", h1, "f(w1*x1 + w2*x2 + b1) = f(0*2 + 1*3 + 0)", "3", "0.9526"),
        _neuron_step("Hidden neuron h2", h2, "f(w3*x1 + w4*x2 + b2) = f(0*2 + 1*3 + 0)", "3", "0.9526",
                     extra="Same weights, same inputs: the same number as h1."),
        _output_step(o1),
        _network_backward_step(o1, ws, bs),
    ]


def _neuron_step(title, h, formula, tutorial_sum, tutorial_out, extra=""):
    z = pre_activation(h)
    text = f"{h.label} = {formula} = f({fmt(z.data)}) = {fmt(h.data)}.\nA weighted sum, then the sigmoid: one neuron."
    numbers = (
        Number(f"{h.label}'s weighted sum", z.data, tutorial=tutorial_sum),
        Number(h.label, h.data, tutorial=tutorial_out),
    )
    return Step(title, text + (f"\n{extra}" if extra else ""), numbers, draw(h))


def _output_step(o1):
    z = pre_activation(o1)
    return Step(
        "Output neuron o1",
        f"o1 = f(w5*h1 + w6*h2 + b3) = f(0*h1 + 1*h2 + 0) = f({fmt(z.data)}) = {fmt(o1.data)}.\n"
        "The hidden neurons' outputs are the output neuron's inputs: that is what makes it a network.\n"
        "The tutorial's code prints the full float; our engine gives the same one.",
        (
            Number("o1's weighted sum", z.data, tutorial="0.9526"),
            Number("o1", o1.data, tutorial="0.7216"),
            Number("print(network.feedforward(x))", o1.data, tutorial="0.7216325609518421"),
        ),
        draw(o1),
    )


def _network_backward_step(o1, ws, bs):
    zero_grads(o1)
    o1.backward()
    w1, w2, w3, w4, w5, w6 = ws
    return Step(
        "Backward from o1 (beyond the tutorial)",
        "The tutorial stops at the forward pass here; these grads come from our engine's backward().\n"
        f"do1/dw1 = {fmt(w1.grad)}: w5 = 0, so h1 does not reach o1 at all, and neither does w1.\n"
        f"do1/dw3 = {fmt(w3.grad)} is not 0: h2 reaches o1 through w6 = 1. Follow the edges of the drawing:\n"
        "each grad is the product of the local derivatives along the path from o1.",
        tuple(Number(f"do1/d{p.label}", p.grad) for p in (*ws, *bs)),
        draw(o1, highlight=w3),
    )


# ---------------------------------------------------------------- demo: gender, by hand

# what the tutorial prints for Alice (all weights 1, biases 0), as printed
ALICE = {"h1": "0.0474", "h2": "0.0474", "sum_h": "-3", "sum_o1": "0.0948", "y_pred": "0.524",
         "dL/dy_pred": "-0.952", "dy_pred/dh1": "0.249", "dh1/dw1": "-0.0904", "dL/dw1": "0.0214"}


def alice_network(weights=(1,) * 6, biases=(0,) * 3):
    """The tutorial's example: Alice only (x = [-2, -1], female), L = (y_true - y_pred)^2.

    The tutorial starts from every weight 1 and every bias 0. Returns the parameters and the
    named nodes: (ws, bs, h1, h2, y_pred, L).
    """
    xs = inputs("x1 x2", [-2, -1])
    ws = params("w1 w2 w3 w4 w5 w6", weights)
    bs = params("b1 b2 b3", biases)
    h1, h2, o1 = network_221(xs, ws, bs)
    y_pred = o1.named("y_pred")
    L = ((Value(1, label="y_true") - y_pred) ** 2).named("L")
    return ws, bs, h1, h2, y_pred, L


W1_REMARK = "This is the dL/dw1 the tutorial works out by hand; the step after this walk compares the two."


def build_gender():
    ws, bs, h1, h2, y_pred, L = alice_network()
    w1 = ws[0]
    return [
        _table_step(),
        Step(
            "Alice only: every weight 1, every bias 0",
            "To see backprop at work, the tutorial keeps only Alice (x1 = -2 weight, x2 = -1 height,\n"
            "female so y_true = 1) and starts from all weights 1 and all biases 0.\n"
            "The drawing is the whole computation, from the inputs to the loss L.",
            graph=draw(L),
        ),
        _neuron_step("Forward: h1", h1, "f(w1*x1 + w2*x2 + b1) = f(-2 + -1 + 0)", ALICE["sum_h"], ALICE["h1"]),
        _neuron_step("Forward: h2", h2, "f(w3*x1 + w4*x2 + b2)", ALICE["sum_h"], ALICE["h2"],
                     extra="Same weights: h2 = h1."),
        _alice_output_step(y_pred),
        _alice_loss_step(L, y_pred),
        *walkthrough_steps(L, remarks={"w1": W1_REMARK}),
        _chain_rule_step(L, y_pred, h1, w1),
        _sgd_step(L, ws, bs, w1),
    ]


def _table_step():
    data = datasets.gender()  # the tutorial's table, shifted: weight - 135 lb, height - 66 in; F = 1, M = 0
    y_preds = [Value(0, label=f"y_pred {name}") for name in data.names]
    loss = nn_mse(y_preds, data.y).named("MSE")
    rows = "\n".join(f"  {name:8} {x1:4g} {x2:4g}   {t:g}" for name, (x1, x2), t in zip(data.names, data.X, data.y))
    return Step(
        "The data, and the loss of always answering 'male'",
        "Weight minus 135 lb, height minus 66 in; female = 1, male = 0:\n"
        f"  name       x1   x2   gender\n{rows}\n\n"
        "A network that always outputs 0 is wrong on Alice and Diana: squared errors 1, 0, 0, 1.\n"
        f"Mean squared error = (1 + 0 + 0 + 1) / 4 = {fmt(loss.data)}. Training means making this smaller.",
        (Number("MSE", loss.data, tutorial="0.5"),),
        draw(loss),
    )


def _alice_output_step(y_pred):
    z = pre_activation(y_pred)
    h_sum = Value(float(ALICE["h1"])) + Value(float(ALICE["h2"]))  # the tutorial adds its rounded h1, h2
    return Step(
        "Forward: o1 = y_pred",
        f"y_pred = o1 = f(w5*h1 + w6*h2 + b3) = f(0.0474 + 0.0474 + 0) = f({fmt(z.data)}) = {fmt(y_pred.data)}.\n"
        "Barely above 0.5: the untrained network can't tell female (1) from male (0) yet.\n"
        f"(The tutorial adds its rounded 0.0474 + 0.0474 = {fmt(h_sum.data)}; unrounded, the sum is {fmt(z.data)}.)",
        (
            Number("o1's weighted sum", z.data, tutorial=ALICE["sum_o1"],
                   note=f"the tutorial adds the rounded h1 + h2 = 0.0474 + 0.0474; unrounded it is {z.data:.5f}"),
            Number("y_pred", y_pred.data, tutorial=ALICE["y_pred"]),
        ),
        draw(y_pred),
    )


def _alice_loss_step(L, y_pred):
    return Step(
        "The loss for Alice",
        f"With one sample the mean squared error is just Alice's squared error:\n"
        f"L = (y_true - y_pred)^2 = (1 - {fmt(y_pred.data)})^2 = {fmt(L.data)}.\n"
        "The tutorial writes the formula but doesn't print this number; ours is the engine's.\n"
        "Next: backward() from L, one node at a time, the grads filling in from the loss to the weights.",
        (Number("L", L.data),),
        draw(L),
    )


def _chain_rule_step(L, y_pred, h1, w1):
    # each factor by its own fresh backward; L's last, so the drawing shows backward from L
    dy_dh1 = derivative(y_pred, h1)
    dh1_dw1 = derivative(h1, w1)
    dL_dy = derivative(L, y_pred)
    dL_dw1 = derivative(L, w1)
    graph = draw(L, highlight=w1)
    rounded_dL_dy, rounded_product = _tutorial_rounding()
    t = ALICE
    return Step(
        "The chain rule for w1",
        "dL/dw1 = dL/dy_pred x dy_pred/dh1 x dh1/dw1: the product of the local derivatives along the\n"
        "highlighted path w1 -> h1 -> o1 (y_pred) -> L. Each factor below is a backward() of its own\n"
        "(from L, from y_pred, from h1); dL/dw1 is backward from L, and equals their product.\n\n"
        f"The tutorial rounds as it goes: it takes y_pred = {t['y_pred']}, so dL/dy_pred = -2(1 - y_pred)\n"
        f"= {fmt(rounded_dL_dy)} (unrounded: {fmt(dL_dy, 5)}), and it multiplies its rounded factors:\n"
        f"  {t['dL/dy_pred']} x {t['dy_pred/dh1']} x {t['dh1/dw1']} = {fmt(rounded_product)}"
        f"   (the tutorial's {t['dL/dw1']})\n"
        f"  {fmt(dL_dy, 5)} x {fmt(dy_dh1, 5)} x {fmt(dh1_dw1, 5)} = {fmt(dL_dw1, 5)}   (backward, unrounded)\n\n"
        "Same gradient, last digit apart. dL/dw1 > 0: raising w1 would raise the loss a tiny bit.",
        (
            Number("dL/dy_pred", dL_dy, tutorial=t["dL/dy_pred"],
                   note=f"the tutorial rounds y_pred to {t['y_pred']} first; unrounded it is {dL_dy:.4f}"),
            Number(f"dL/dy_pred at the tutorial's y_pred = {t['y_pred']}", rounded_dL_dy, tutorial=t["dL/dy_pred"]),
            Number("dy_pred/dh1", dy_dh1, tutorial=t["dy_pred/dh1"]),
            Number("dh1/dw1", dh1_dw1, tutorial=t["dh1/dw1"]),
            Number("dL/dw1", dL_dw1, tutorial=t["dL/dw1"],
                   note=f"the tutorial multiplies its rounded factors (product {rounded_product:.5f}); "
                        f"backward multiplies the unrounded ones ({dL_dw1:.5f})"),
            Number("the tutorial's rounded factors, multiplied", rounded_product, tutorial=t["dL/dw1"]),
        ),
        graph,
    )


def _tutorial_rounding():
    """The tutorial's hand arithmetic redone by the engine, from the numbers it prints.

    dL/dy_pred by backward through L = (1 - y_pred)^2 at its rounded y_pred, and the product
    of its three rounded factors. Returns both as floats.
    """
    y_pred = Value(float(ALICE["y_pred"]), label="y_pred")
    dL_dy = derivative((1 - y_pred) ** 2, y_pred)
    factors = [Value(float(ALICE[k])) for k in ("dL/dy_pred", "dy_pred/dh1", "dh1/dw1")]
    product = factors[0] * factors[1] * factors[2]
    return dL_dy, product.data


def _sgd_step(L, ws, bs, w1):
    dL_dw1 = derivative(L, w1)
    w1_before, loss_before = w1.data, L.data
    for p in (*ws, *bs):  # the update equation, for every weight and bias
        p.data -= LEARN_RATE * p.grad
    new_ws, _, _, _, _, new_L = alice_network([w.data for w in ws], [b.data for b in bs])
    new_L.backward()  # the next step's gradients, for the drawing
    return Step(
        "Stochastic gradient descent: one step",
        f"The update rule: w1 <- w1 - eta x dL/dw1, with the tutorial's learning rate eta = {LEARN_RATE}.\n"
        f"w1 = {fmt(w1_before)} - {LEARN_RATE} x {fmt(dL_dw1)} = {fmt(w1.data, 6)}: dL/dw1 > 0, so w1 goes down\n"
        "a little. "
"The tutorial prints the rule, not these numbers; they are our engine's.\n\n"
        f"Doing the same for every weight and bias takes Alice's loss from {fmt(loss_before)} to {fmt(new_L.data)}.\n"
        "Repeat this over all four people for 1000 epochs: that is the next demo, gender-train.",
        (Number("w1 after one step", w1.data), Number("L before", loss_before), Number("L after", new_L.data)),
        draw(new_L, highlight=new_ws[0]),
    )


# ---------------------------------------------------------------- demo: gender, trained

EPOCHS = 1000
TRAIN_SEED = 2  # fixed so every run shows the same numbers; the tutorial's own start is not printed
NAMES = "w1 w2 w3 w4 w5 w6 b1 b2 b3"


class GenderNetwork(Module):
    """The tutorial's OurNeuralNetwork: h1 and h2 read x = [weight, height], o1 reads h1 and h2.

    weights = [w1, ..., w6], biases = [b1, b2, b3]; the parameters keep the tutorial's names.
    Each neuron is nn's fused Neuron (its weighted sum is one `dot` node): fast enough to train.
    """

    def __init__(self, weights, biases):
        w1, w2, w3, w4, w5, w6 = weights
        b1, b2, b3 = biases
        self.h1 = Neuron(2, "sigmoid", weights=[w1, w2], bias=b1)
        self.h2 = Neuron(2, "sigmoid", weights=[w3, w4], bias=b2)
        self.o1 = Neuron(2, "sigmoid", weights=[w5, w6], bias=b3)
        for p, name in zip(self.parameters(), "w1 w2 b1 w3 w4 b2 w5 w6 b3".split()):
            p.label = name

    def __call__(self, x):
        h1, h2 = self.h1(x).named("h1"), self.h2(x).named("h2")
        return self.o1([h1, h2]).named("o1")


def random_start(seed):
    """The tutorial's np.random.normal() for w1..w6, then b1..b3, from a seeded Python RNG."""
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(9)]
    return GenderNetwork(values[:6], values[6:])


def train(model, data, epochs=EPOCHS, lr=LEARN_RATE):
    """The tutorial's loop: per sample, L = (y_true - y_pred)^2, backward, w <- w - lr dL/dw.

    Returns the MSE over all the data after epochs 0, 10, 20, ... (the tutorial prints those).
    """
    opt = SGD(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        for x, y_true in data:
            loss = (y_true - model(x)) ** 2
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch % 10 == 0:
            history.append(mean_loss(model, data))
    return history


def mean_loss(model, data):
    """MSE over the data set, computed without recording a graph."""
    with no_grad():
        return nn_mse([model(x) for x in data.X], data.y).data


# the tutorial's two new people, shifted like the table
EMILY, FRANK = ("Emily", [-7, -3], "128 lb, 63 in"), ("Frank", [20, 2], "155 lb, 68 in")


def build_gender_train():
    model, data = random_start(TRAIN_SEED), datasets.gender()
    start_step = _start_step(model, data)
    history = train(model, data)
    return [
        start_step,
        _training_step(history),
        _prediction_step(model, EMILY, tutorial="0.951", verdict="F"),
        _prediction_step(model, FRANK, tutorial="0.039", verdict="M"),
    ]


def _start_step(model, data):
    by_name = {p.label: p.data for p in model.parameters()}
    weights = ", ".join(f"{name} = {by_name[name]:.3f}" for name in NAMES.split()[:6])
    biases = ", ".join(f"{name} = {by_name[name]:.3f}" for name in NAMES.split()[6:])
    return Step(
        "A random start",
        "The network of the gender demo, on all four people this time. The tutorial starts every\n"
        "weight and bias at np.random.normal(): random numbers it doesn't print, so we cannot start\n"
        f"where it did. Ours come from Python's random.Random({TRAIN_SEED}).gauss(0, 1), the same on every run:\n"
        f"  {weights}\n  {biases}\nThe drawing: this start on Alice; each neuron's weighted sum is one dot node now.",
        (Number("MSE at the start", mean_loss(model, data)),),
        draw(model(data.X[0])),
    )


def _training_step(history):
    shown = [0, 10, 20, 50, 100, 200, 500, 990]
    lines = "\n".join(f"  Epoch {e} loss: {history[e // 10]:.3f}" for e in shown)
    last = 10 * (len(history) - 1)
    return Step(
        f"Training: {EPOCHS} epochs of stochastic gradient descent",
        "For each person in turn: forward, L = (y_true - y_pred)^2, backward(), then every weight\n"
        f"and bias takes a step w <- w - {LEARN_RATE} x dL/dw. Every 10 epochs we print the MSE over all four,\n"
        f"as the tutorial's code does (a few of our {len(history)} lines):\n{lines}\n\n"
        "The tutorial shows only a plot of its loss, from its own random start: ours falls the same way.",
        (Number("MSE after epoch 0", history[0]), Number(f"MSE after epoch {last}", history[-1])),
        history=tuple(history),
    )


def _prediction_step(model, person, tutorial, verdict):
    name, x, description = person
    y_pred = model(inputs("x1 x2", x))
    ours = "F" if y_pred.data > 0.5 else "M"
    number = Number(f"{name}: y_pred", y_pred.data, tutorial=tutorial)
    if ours != verdict:
        why = "a different verdict: this random start trained badly"
    elif number.matches:
        why = "the same verdict, and even the same 3 decimals"
    else:
        why = "the same verdict; the 3rd decimal differs because our random start does"
    note = (f"the tutorial's random initial weights are not printed; ours are seeded, so the trained value "
            f"can differ in the 3rd decimal: {why}")
    return Step(
        f"Predict: {name}",
        f"{name}, {description}, is x = {x} after the shift. The trained network says\n"
        f"{y_pred.data:.3f} - {ours} (above 0.5 means female). The tutorial prints \"{tutorial} - {verdict}\":\n"
        f"{why}.",
        (Number(number.name, number.engine, number.tutorial, note),),
        draw(y_pred),
    )


# ---------------------------------------------------------------- the demos
DEMOS = [
    Demo("neuron", "One neuron: f(w·x + b)", SEED, "a sigmoid neuron on x = [2, 3]: the sum 7, the output 0.999",
         build_neuron),
    Demo("network", "A 2-2-1 network, forward", SEED, "two hidden neurons and an output: h1 = h2 = 0.9526, o1 = 0.7216",
         build_network),
    Demo("gender", "Backprop by hand, by the engine", SEED,
         "Alice through the 2-2-1 network: MSE, forward, backward node by node, dL/dw1 by the chain rule",
         build_gender),
    Demo("gender-train", "Training the gender network", SEED,
         "SGD, 1000 epochs on four people, then Emily (F) and Frank (M)", build_gender_train),
]
