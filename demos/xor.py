"""XOR from scratch: one neuron's forward pass and its hand-computed deltas, which are gradients.

The tutorial ("Learn Neural Networks: Build an XOR Gate From Scratch") works one example by
hand: the first hidden neuron on x = [1, 1], the two output neurons' errors, the hidden
neuron's error and one update at learning rate 0.1, then trains. Its network is drawn in
pictures we cannot see; HIDDEN and OUTPUT below are one network that gives every number
it prints.
"""
from ..engine import Value, draw
from ..lessons.labels import inputs, named_forward, params, pre_activation
from ..lessons.steps import Number, Step
from ..nn import MLP, SGD, datasets, fit, sse

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


def network(fused=True):
    """The 2-3-2 sigmoid network as an nn.MLP, its parameters labelled like the tutorial's picture:
    h_j's weights w_j1, w_j2 and bias b_j; o_k's weights v_k1, v_k2, v_k3 and bias c_k.
    fused=False writes out every * and + of a weighted sum, as the tutorial does by hand."""
    weights = [[params(f"w{j}1 w{j}2", ws) for j, (ws, _) in enumerate(HIDDEN, 1)],
               [params(f"v{k}1 v{k}2 v{k}3", ws) for k, (ws, _) in enumerate(OUTPUT, 1)]]
    biases = [params("b1 b2 b3", [b for _, b in HIDDEN]), params("c1 c2", [c for _, c in OUTPUT])]
    return MLP(2, [len(HIDDEN), len(OUTPUT)], "sigmoid", "sigmoid", weights=weights, biases=biases, fused=fused)


def forward(model, x):
    """Every node of the forward pass by name: x1, x2, z_h1, h1, ..., z_o1, o1, z_o2, o2."""
    xs = inputs("x1 x2", x)
    return dict(named_forward(model, xs, ["h1 h2 h3", "o1 o2"], sums=True), x1=xs[0], x2=xs[1])


def error(outputs, targets):
    """L = 1/2 sum_k (o_k - t_k)^2, the squared error whose gradient the tutorial's errors are."""
    return (0.5 * sse(outputs, targets)).named("L")


def worked_example():
    """The network on x = [1, 1], with backward() run from the squared error: (model, nodes, L)."""
    model = network()
    nodes = forward(model, X)
    loss = error([nodes["o1"], nodes["o2"]], TARGET)
    loss.backward()
    return model, nodes, loss


def step_first_neuron():
    nodes = forward(network(fused=False), X)
    weighted = pre_activation(nodes["h1"]).inputs[0]  # w11*x1 + w12*x2, before the bias is added
    return Step(
        "Forward pass: the first hidden neuron",
        "Take the weighted sum of the inputs, add the neuron's bias, apply the sigmoid: "
        "0.46 × 1 + 0.03 × 1 = 0.49; 0.49 + 0.12 = 0.61; sigmoid(0.61) = 0.6479, about 0.65. "
        "Each number is a node of the engine's graph.",
        numbers=(
            Number("weighted sum", weighted.data, tutorial="0.49"),
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
    o1 = nodes["o1"]
    printed_o1 = Value(0.77, label="o1 as printed")
    miss = printed_o1 - 1  # the tutorial's arithmetic, redone by the engine
    by_hand = miss * printed_o1 * (1 - printed_o1)
    exact = (o1 - 1) * o1 * (1 - o1)
    return Step(
        "The output neurons' errors are gradients",
        "The tutorial's error for an output neuron is (output - expected) × output × "
        "(1 - output): (0.77 - 1) × 0.77 × (1 - 0.77) = -0.23 × 0.1771 = -0.040733, about -0.04. That is "
        "exactly the chain rule for the squared error L = 1/2 (o1 - 1)^2 + 1/2 (o2 - 0)^2 at o1's "
        "weighted sum: dL/do1 × do1/dz_o1. backward() fills it in as z_o1's grad. "
        f"One slip in the tutorial: at three decimals its -0.040733 is {by_hand.data:.3f}, yet its next step "
        f"goes on with -0.040, which is what an unrounded o1 gives (ours, {o1.data:.4f}, gives {exact.data:.4f}).",
        numbers=(
            Number("0.77 - 1, the tutorial's arithmetic", miss.data, tutorial="-0.23"),
            Number(
                "(0.77 - 1) × 0.77 × (1 - 0.77), the tutorial's arithmetic",
                by_hand.data,
                tutorial="-0.040733",
            ),
            Number(
                "(0.77 - 1) × 0.77 × (1 - 0.77), at three decimals",
                by_hand.data,
                tutorial="-0.040",
                note=f"at three decimals -0.040733 is {by_hand.data:.3f}; the tutorial goes on with -0.040 all the "
                f"same, the error of an o1 a little above 0.77 (our o1 = {o1.data:.4f} gives {exact.data:.5f})",
            ),
            Number("(o1 - 1) o1 (1 - o1) on the engine's o1", exact.data, tutorial="-0.04"),
            Number("dL/dz_o1 by backward", nodes["z_o1"].grad, tutorial="-0.04"),
            Number("dL/dz_o1, three decimals", nodes["z_o1"].grad, tutorial="-0.040"),
            Number("dL/dz_o2 by backward (our o2)", nodes["z_o2"].grad, tutorial="0.146"),
        ),
        graph=draw(loss, highlight=nodes["z_o1"]),
    )


def step_hidden_error():
    model, nodes, loss = worked_example()
    v11, v21 = (neuron.w[0] for neuron in model.layers[1].neurons)  # the weights from h1 to o1 and o2
    # the tutorial's arithmetic on its printed, rounded numbers, redone by the engine
    error_o1, error_o2 = (Value(round(nodes[z].grad, 3)) for z in ("z_o1", "z_o2"))  # -0.040 and 0.146
    to_o1, to_o2 = v11 * error_o1, v21 * error_o2
    weighted = to_o1 + to_o2
    h1_printed = Value(round(nodes["h1"].data, 2))
    error_h1 = Value(round(weighted.data, 5)) * h1_printed * (1 - h1_printed)
    return Step(
        "The hidden neuron's error: the sum over both paths",
        "h1 feeds both outputs, so it shares the blame for both errors: weight to o1 × o1's "
        "error + weight to o2 × o2's error = 0.37 × -0.040 + 0.13 × 0.146 = -0.0148 + 0.01898 = 0.00418. "
        "That weighted sum is dL/dh1: backward adds up one chain-rule product per path from L to "
        "h1 (both paths are drawn). Times h1's own slope 0.65 × (1 - 0.65) it becomes h1's "
        "error 0.00095, about 0.001: dL/dz_h1.",
        numbers=(
            Number("0.37 × -0.040, the tutorial's arithmetic", to_o1.data, tutorial="-0.0148"),
            Number("0.13 × 0.146, the tutorial's arithmetic", to_o2.data, tutorial="0.01898"),
            Number("-0.0148 + 0.01898, the tutorial's arithmetic", weighted.data, tutorial="0.00418"),
            Number("dL/dh1 by backward", nodes["h1"].grad, tutorial="0.00418"),
            Number("0.00418 × 0.65 × 0.35, the tutorial's arithmetic", error_h1.data, tutorial="0.00095"),
            Number("dL/dz_h1 by backward", nodes["z_h1"].grad, tutorial="0.00095"),
            Number("dL/dz_h1, rounded", nodes["z_h1"].grad, tutorial="0.001"),
        ),
        graph=draw(loss, highlight=nodes["h1"]),
    )


def step_update():
    model, nodes, loss = worked_example()
    h1 = model.layers[0].neurons[0]
    w11, b1 = h1.w[0], h1.b
    error = Value(round(nodes["z_h1"].grad, 3))  # the tutorial updates with its rounded 0.001
    w11_by_hand = w11 - error * LR * nodes["x1"]
    b1_by_hand = b1 - error * LR
    return Step(
        "Updating h1's first weight and bias, learning rate 0.1",
        "weight = weight - error × learning rate × input, bias = bias - error × learning rate. "
        "Error × input is dL/dw11 and error alone is dL/db1, so this is gradient descent. The "
        "tutorial rounds the error to 0.001 first: 0.46 - 0.001 × 0.1 × 1 = 0.4599, and 0.12 - 0.001 × 0.1 "
        "= 0.1199; rounded back to two decimals they are 0.46 and 0.12 again, so the weights look unchanged. "
        "With the exact gradient from backward the step is 0.000095 instead of 0.0001; at four decimals "
        "both give 0.4599 and 0.1199.",
        numbers=(
            Number("w11 with the rounded error, the tutorial's arithmetic", w11_by_hand.data, tutorial="0.4599"),
            Number("w11 by hand, at two decimals", w11_by_hand.data, tutorial="0.46"),
            Number("b1 with the rounded error, the tutorial's arithmetic", b1_by_hand.data, tutorial="0.1199"),
            Number("b1 by hand, at two decimals", b1_by_hand.data, tutorial="0.12"),
            Number("dL/dw11 by backward", w11.grad),
            Number("w11 - 0.1 × dL/dw11", w11.data - LR * w11.grad, tutorial="0.4599"),
            Number("b1 - 0.1 × dL/db1", b1.data - LR * b1.grad, tutorial="0.1199"),
        ),
        graph=draw(loss, highlight=w11),
    )


def train(lr=TRAIN_LR, epochs=TRAIN_EPOCHS):
    """Gradient descent one row at a time from the worked example's weights: (model, mean loss of each epoch)."""
    model = network()
    history = fit(model, ROWS, error, SGD(model.parameters(), lr=lr), epochs, batch_size=1, progress=False)
    model.zero_grad()  # drawings of the trained model show no grads left over from training
    return model, history


def predictions(model):
    """For each row: the network's answer (the output that is larger) and the right one."""
    answers = []
    for x, target in ROWS:
        o1, o2 = model(x)
        answers.append((x, 0 if o1.data > o2.data else 1, 0 if target[0] > target[1] else 1))
    return answers


def accuracy(model):
    answers = predictions(model)
    return sum(said == right for _, said, right in answers) / len(answers)


def step_train():
    model, history = train()
    nodes = forward(model, X)
    lines = ", ".join(f"{int(x[0])} XOR {int(x[1])} -> {said}" for x, said, _ in predictions(model))
    return Step(
        "Training on all four rows",
        f"The same forward pass, backward and update, for every row of the XOR table, "
        f"{TRAIN_EPOCHS} times. We use learning rate {TRAIN_LR:g} rather than the worked "
        f"example's 0.1, which needs many more epochs to get there. The loss falls and the "
        f"network answers every row right: {lines}.",
        numbers=(
            Number("loss in the first epoch (mean over the 4 rows)", history[0]),
            Number("loss in the last epoch", history[-1]),
            Number("accuracy", accuracy(model)),
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
