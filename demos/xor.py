"""Seed 003: XOR from scratch, one neuron's forward pass and its hand-computed deltas.

The tutorial ("Learn Neural Networks: Build an XOR Gate From Scratch") works one example by
hand: the first hidden neuron on x = [1, 1], the two output neurons' errors, the hidden
neuron's error and one update at learning rate 0.1, then trains. Its network is drawn in
pictures we cannot see; HIDDEN and OUTPUT below are one network that gives every number
it prints.
"""
from .. import engine
from ..engine import Value, dot, draw
from ..nn import datasets

from .model import Demo, Number, Step

X = (1.0, 1.0)  # the worked example's input, as printed
LR = 0.1  # "lets assume learning rate of 0.1"

# (weights, bias) per neuron. Printed: h1's weights 0.46, 0.03 and bias 0.12, and the weights
# 0.37 and 0.13 from h1 to the two outputs. The rest we chose (see NETWORK_TEXT).
HIDDEN = (((0.46, 0.03), 0.12), ((0.21, 0.58), -0.34), ((-0.25, 0.71), 0.05))
OUTPUT = (((0.37, 0.61, 0.48), 0.31), ((0.13, 0.80, 0.66), -0.08))

# Two outputs, one per answer: o1 says "XOR is 0", o2 says "XOR is 1". For x = [1, 1] the
# targets are (1, 0): the tutorial's first output is 0.77 against a target of 1.


def targets(y):
    """What (o1, o2) should be for the XOR answer y: (1, 0) for 0, (0, 1) for 1."""
    return (1.0 - y, y)


ROWS = [(x, targets(y)) for x, y in datasets.xor()]
TARGET = targets(0.0)  # 1 XOR 1 = 0

TRAIN_LR = 1.0
TRAIN_EPOCHS = 1500

NETWORK_TEXT = (
    "The tutorial's network (2 inputs, a hidden layer, 2 outputs) is drawn in pictures we "
    "cannot see. It says there are 4 more neurons after the first, so we use 3 hidden and "
    "2 output sigmoid neurons, one output per answer: o1 means \"XOR is 0\", o2 \"XOR is 1\", "
    "so for x = [1, 1] the targets are 1 and 0. The printed weights are kept (h1: 0.46, 0.03, "
    "bias 0.12; h1 to the outputs: 0.37 and 0.13); the others we chose so that every number "
    "it prints comes out: o1 = 0.77, and the output errors -0.040 and 0.146."
)


class Network:
    """The 2-3-2 sigmoid network: parameters as Values, labelled like the tutorial's picture."""

    def __init__(self, hidden=HIDDEN, output=OUTPUT):
        self.hidden = [_neuron_params(ws, b, f"w{j}", f"b{j}") for j, (ws, b) in enumerate(hidden, 1)]
        self.output = [_neuron_params(ws, b, f"v{k}", f"c{k}") for k, (ws, b) in enumerate(output, 1)]

    def parameters(self):
        return [p for ws, b in self.hidden + self.output for p in (*ws, b)]

    def forward(self, x, written_out=False):
        """Every node of the forward pass by name: x1, x2, z_h1, h1, ..., z_o1, o1, ...

        written_out: each weighted sum as the tutorial writes it (w1*x1 + w2*x2, then + bias)
        instead of one dot node; the same floats, a bigger drawing.
        """
        nodes = {f"x{i}": Value(v, label=f"x{i}") for i, v in enumerate(x, 1)}
        xs = list(nodes.values())
        hs = [self._neuron(ws, b, xs, f"h{j}", nodes, written_out) for j, (ws, b) in enumerate(self.hidden, 1)]
        for k, (ws, b) in enumerate(self.output, 1):
            self._neuron(ws, b, hs, f"o{k}", nodes, written_out)
        return nodes

    @staticmethod
    def _neuron(ws, b, inputs, name, nodes, written_out):
        if written_out:
            weighted = ws[0] * inputs[0]
            for w, x in zip(ws[1:], inputs[1:]):
                weighted = weighted + w * x
            nodes[f"sum_{name}"] = weighted.named(f"sum_{name}")
            z = weighted + b
        else:
            z = dot(ws, inputs, b)
        nodes[f"z_{name}"] = z.named(f"z_{name}")
        nodes[name] = z.sigmoid().named(name)
        return nodes[name]


def error(outputs, targets):
    """L = 1/2 sum_k (o_k - t_k)^2, the squared error whose gradient the tutorial's errors are."""
    return (0.5 * engine.sum((o - t) ** 2 for o, t in zip(outputs, targets))).named("L")


def _neuron_params(ws, b, weight_name, bias_name):
    weights = [Value(w, label=f"{weight_name}{i}", param=True) for i, w in enumerate(ws, 1)]
    return weights, Value(b, label=bias_name, param=True)



def worked_example():
    """The network on x = [1, 1], with backward() run from the squared error."""
    net = Network()
    nodes = net.forward(X)
    loss = error([nodes["o1"], nodes["o2"]], TARGET)
    loss.backward()
    return net, nodes, loss


def step_first_neuron():
    nodes = Network().forward(X, written_out=True)
    return Step(
        "Forward pass: the first hidden neuron",
        "Take the weighted sum of the inputs, add the neuron's bias, apply the sigmoid: "
        "0.46 x 1 + 0.03 x 1 = 0.49; 0.49 + 0.12 = 0.61; sigmoid(0.61) = 0.6479, about 0.65. "
        "Each number is a node of the engine's graph.",
        numbers=(
            Number("weighted sum", nodes["sum_h1"].data, tutorial="0.49"),
            Number("plus bias, z_h1", nodes["z_h1"].data, tutorial="0.61"),
            Number("h1 = sigmoid(z_h1)", nodes["h1"].data, tutorial="0.6479"),
            Number("h1, rounded", nodes["h1"].data, tutorial="0.65"),
        ),
        graph=draw(nodes["h1"]),
    )


def step_forward_pass():
    _, nodes, loss = worked_example()
    return Step(
        "The completed forward pass",
        NETWORK_TEXT + " The same recipe, neuron by neuron, gives the outputs.",
        numbers=(
            Number("h1", nodes["h1"].data, tutorial="0.65"),
            Number("h2 (our weights)", nodes["h2"].data),
            Number("h3 (our weights)", nodes["h3"].data),
            Number("o1, target 1", nodes["o1"].data, tutorial="0.77"),
            Number("o2, target 0 (our weights)", nodes["o2"].data),
        ),
        graph=draw(loss),
    )


def step_output_errors():
    _, nodes, loss = worked_example()
    o1 = nodes["o1"].data
    printed_o1 = Value(0.77, label="o1 as printed")
    by_hand = (printed_o1 - 1) * printed_o1 * (1 - printed_o1)  # the tutorial's arithmetic
    return Step(
        "The output neurons' errors are gradients",
        "The tutorial's error for an output neuron is (output - expected) x output x "
        "(1 - output): (0.77 - 1) x 0.77 x (1 - 0.77) = -0.040733, about -0.04. That is exactly "
        "the chain rule for the squared error L = 1/2 (o1 - 1)^2 + 1/2 (o2 - 0)^2 at o1's "
        "weighted sum: dL/do1 x do1/dz_o1. backward() fills it in as z_o1's grad.",
        numbers=(
            Number(
                "(0.77 - 1) x 0.77 x (1 - 0.77), the tutorial's arithmetic",
                by_hand.data,
                tutorial="-0.040733",
                note="the tutorial rounds o1 to 0.77 first; our network's o1 is 0.7724, whose "
                "exact error is -0.0400: both are -0.04 to the tutorial's two decimals.",
            ),
            Number("(o1 - 1) o1 (1 - o1) on the engine's o1", (o1 - 1) * o1 * (1 - o1), tutorial="-0.04"),
            Number("dL/dz_o1 by backward", nodes["z_o1"].grad, tutorial="-0.04"),
            Number("dL/dz_o1, three decimals", nodes["z_o1"].grad, tutorial="-0.040"),
            Number("dL/dz_o2 by backward (our o2)", nodes["z_o2"].grad, tutorial="0.146"),
        ),
        graph=draw(loss, highlight=nodes["z_o1"]),
    )


def step_hidden_error():
    net, nodes, loss = worked_example()
    (v11, *_), _ = net.output[0]
    (v21, *_), _ = net.output[1]
    # the tutorial's arithmetic on its printed, rounded numbers
    delta_o1, delta_o2 = round(nodes["z_o1"].grad, 3), round(nodes["z_o2"].grad, 3)
    weighted = v11.data * delta_o1 + v21.data * delta_o2
    h1_printed = round(nodes["h1"].data, 2)
    delta_h1 = round(weighted, 5) * h1_printed * (1 - h1_printed)
    return Step(
        "The hidden neuron's error: the sum over both paths",
        "h1 feeds both outputs, so it shares the blame for both errors: weight to o1 x o1's "
        "error + weight to o2 x o2's error = 0.37 x -0.040 + 0.13 x 0.146 = 0.00418. That "
        "weighted sum is dL/dh1: backward adds up one chain-rule product per path from L to "
        "h1 (both paths are drawn). Times h1's own slope 0.65 x (1 - 0.65) it becomes h1's "
        "error 0.00095, about 0.001: dL/dz_h1.",
        numbers=(
            Number("0.37 x -0.040 + 0.13 x 0.146, the tutorial's arithmetic", weighted, tutorial="0.00418"),
            Number("dL/dh1 by backward", nodes["h1"].grad, tutorial="0.00418"),
            Number("0.00418 x 0.65 x 0.35, the tutorial's arithmetic", delta_h1, tutorial="0.00095"),
            Number("dL/dz_h1 by backward", nodes["z_h1"].grad, tutorial="0.00095"),
            Number("dL/dz_h1, rounded", nodes["z_h1"].grad, tutorial="0.001"),
        ),
        graph=draw(loss, highlight=nodes["h1"]),
    )


def step_update():
    net, nodes, loss = worked_example()
    (w11, _), b1 = net.hidden[0]
    delta_rounded = round(nodes["z_h1"].grad, 3)  # the tutorial updates with its rounded 0.001
    x1 = nodes["x1"].data
    return Step(
        "Updating h1's first weight and bias, learning rate 0.1",
        "weight = weight - error x learning rate x input, bias = bias - error x learning rate. "
        "Error x input is dL/dw11 and error alone is dL/db1, so this is gradient descent. The "
        "tutorial rounds the error to 0.001 first: 0.46 - 0.001 x 0.1 x 1 = 0.4599. With the "
        "exact gradient from backward the step is 0.000095 instead of 0.0001; at four decimals "
        "both give 0.4599 and 0.1199.",
        numbers=(
            Number("w11 with the rounded error, the tutorial's arithmetic", w11.data - delta_rounded * LR * x1,
                   tutorial="0.4599"),
            Number("b1 with the rounded error, the tutorial's arithmetic", b1.data - delta_rounded * LR,
                   tutorial="0.1199"),
            Number("dL/dw11 by backward", w11.grad),
            Number("w11 - 0.1 x dL/dw11", w11.data - LR * w11.grad, tutorial="0.4599"),
            Number("b1 - 0.1 x dL/db1", b1.data - LR * b1.grad, tutorial="0.1199"),
        ),
        graph=draw(loss, highlight=w11),
    )


def train(lr=TRAIN_LR, epochs=TRAIN_EPOCHS):
    """Gradient descent one row at a time from the worked example's weights; the loss per epoch."""
    net = Network()
    params = net.parameters()
    history = []
    for _ in range(epochs):
        total = 0.0
        for x, target in ROWS:
            nodes = net.forward(x)
            loss = error([nodes["o1"], nodes["o2"]], target)
            for p in params:
                p.grad = 0.0
            loss.backward()
            for p in params:
                p.data -= lr * p.grad
            total += loss.data
        history.append(total)
    return net, history


def predictions(net):
    """For each row: the network's answer (the output that is larger) and the right one."""
    answers = []
    for x, target in ROWS:
        nodes = net.forward(x)
        answers.append((x, 0 if nodes["o1"].data > nodes["o2"].data else 1, 0 if target[0] > target[1] else 1))
    return answers


def accuracy(net):
    answers = predictions(net)
    return sum(said == right for _, said, right in answers) / len(answers)


def step_train():
    net, history = train()
    nodes = net.forward(X)
    lines = ", ".join(f"{int(x[0])} XOR {int(x[1])} -> {said}" for x, said, _ in predictions(net))
    return Step(
        "Training on all four rows",
        f"The same forward pass, backward and update, for every row of the XOR table, "
        f"{TRAIN_EPOCHS} times. We use learning rate {TRAIN_LR:g} rather than the worked "
        f"example's 0.1, which needs many more epochs to get there. The loss falls and the "
        f"network answers every row right: {lines}.",
        numbers=(
            Number("loss in the first epoch (sum over the 4 rows)", history[0]),
            Number("loss in the last epoch", history[-1]),
            Number("accuracy", accuracy(net)),
            Number("o1 on [1, 1] after training", nodes["o1"].data),
        ),
        graph=draw(nodes["o1"]),
        history=tuple(history),
    )


def build():
    return [
        step_first_neuron(),
        step_forward_pass(),
        step_output_errors(),
        step_hidden_error(),
        step_update(),
        step_train(),
    ]


DEMOS = [
    Demo(
        name="xor",
        title="XOR from scratch: hand-computed deltas are gradients",
        seed="003",
        summary="h1 on [1,1]: 0.49, 0.61, 0.6479; errors -0.04, 0.00418, 0.001; update 0.4599; train to 100%",
        build=build,
    )
]
