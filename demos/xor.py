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

O1_PRINTED = "0.77"  # the tutorial's output o1 for x = [1, 1]
ERRORS_PRINTED = ("-0.040", "0.146")  # the output errors the tutorial goes on with


def printed(text):
    """A number the tutorial prints, as a Value (for redoing its hand arithmetic in the engine)."""
    return Value(float(text))


def network_text(nodes):
    """What we rebuilt of the network the tutorial draws in pictures, with the numbers `nodes` give."""
    (w11, w12), b1 = HIDDEN[0]
    to_outputs = " and ".join(f"{ws[0]:g}" for ws, _ in OUTPUT)
    x = ", ".join(f"{v:g}" for v in X)
    errors = " and ".join(f"{nodes[z].grad:.3f}" for z in ("z_o1", "z_o2"))
    return (
        f"The tutorial's network ({len(X)} inputs, a hidden layer, {len(OUTPUT)} outputs) is drawn in pictures "
        f"we cannot see. It says there are {len(HIDDEN) - 1 + len(OUTPUT)} more neurons after the first, so we "
        f"use {len(HIDDEN)} hidden and {len(OUTPUT)} output sigmoid neurons, one output per answer: o1 means "
        f"\"XOR is 0\", o2 \"XOR is 1\", so for x = [{x}] the targets are {TARGET[0]:g} and {TARGET[1]:g}. "
        f"The printed weights are kept (h1: {w11:g}, {w12:g}, bias {b1:g}; h1 to the outputs: {to_outputs}); "
        f"the others we chose so that every number it prints comes out: o1 = {nodes['o1'].data:.2f}, and the "
        f"output errors {errors}."
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
    (w11, w12), b1 = HIDDEN[0]
    numbers = (
        Number("weighted sum", weighted.data, tutorial="0.49"),
        Number("plus bias, z_h1", nodes["z_h1"].data, tutorial="0.61"),
        Number("h1 = sigmoid(z_h1)", nodes["h1"].data, tutorial="0.6479"),
        Number("h1, rounded", nodes["h1"].data, tutorial="0.65"),
    )
    total, z, h1, about = (n.shown for n in numbers)
    products = " + ".join(f"{w:g} × {x:g}" for w, x in zip((w11, w12), X))
    return Step(
        "Forward pass: the first hidden neuron",
        "Take the weighted sum of the inputs, add the neuron's bias, apply the sigmoid: "
        f"{products} = {total}; {total} + {b1:g} = {z}; sigmoid({z}) = {h1}, about {about}. "
        "Each number is a node of the engine's graph.",
        numbers=numbers,
        graph=draw(nodes["h1"]),
    )


def _fitted(why="the weights we chose"):
    return f"it rests on {why} so that o1 = {O1_PRINTED} and the output errors are the tutorial's"


def step_forward_pass():
    nodes = forward(network(), X)
    loss = error([nodes["o1"], nodes["o2"]], TARGET)
    graph = draw(loss)  # the forward pass, drawn before backward(): no grads yet
    loss.backward()  # for the errors network_text quotes
    return Step(
        "The completed forward pass",
        network_text(nodes) + " The same recipe, neuron by neuron, gives the outputs.",
        numbers=(
            Number("h1", nodes["h1"].data, tutorial="0.65"),
            Number("h2 (our weights)", nodes["h2"].data),
            Number("h3 (our weights)", nodes["h3"].data),
            Number.chosen_to_fit(f"o1, target {TARGET[0]:g}", nodes["o1"].data, O1_PRINTED,
                                 "we chose the weights of h2, h3 and the outputs"),
            Number(f"o2, target {TARGET[1]:g} (our weights)", nodes["o2"].data),
        ),
        graph=graph,
    )


def o1_range(error=ERRORS_PRINTED[0]):
    """(lowest, highest) o1 whose error (o1 - 1) o1 (1 - o1) rounds to the printed `error`, each
    found by bisection on the engine's arithmetic (the error rises with o1 from 0.5 to 1)."""
    decimals = len(error.split(".")[1])

    def o1_for(level):
        low, high = 0.5, 1.0
        for _ in range(60):
            middle = (low + high) / 2
            o1 = Value(middle)
            low, high = (middle, high) if ((o1 - 1) * o1 * (1 - o1)).data < level else (low, middle)
        return low

    half = 0.5 * 10 ** -decimals
    return o1_for(float(error) - half), o1_for(float(error) + half)


def step_output_errors():
    _, nodes, loss = worked_example()
    o1 = nodes["o1"]
    target = TARGET[0]
    printed_o1 = printed(O1_PRINTED)
    miss = printed_o1 - target  # the tutorial's arithmetic, redone by the engine
    slope = printed_o1 * (1 - printed_o1)
    by_hand = miss * slope
    exact = (o1 - target) * o1 * (1 - o1)
    carried = ERRORS_PRINTED[0]
    cut_off = int(by_hand.data * 1000) / 1000  # -0.040733 cut off at three decimals, not rounded
    low, high = o1_range(carried)
    p, t = O1_PRINTED, f"{target:g}"
    ours = _fitted()
    numbers = (
        Number(f"{p} - {t}, the tutorial's arithmetic", miss.data, tutorial="-0.23"),
        Number(f"({p} - {t}) × {p} × (1 - {p}), the tutorial's arithmetic", by_hand.data, tutorial="-0.040733"),
        Number(
            f"({p} - {t}) × {p} × (1 - {p}), at three decimals",
            by_hand.data,
            tutorial=carried,
            note=f"at three decimals -0.040733 is {by_hand.data:.3f}; the tutorial goes on with {carried} all "
            f"the same, which is -0.040733 cut off ({cut_off:.3f}), and also the error of any o1 from "
            f"{low:.4f} to {high:.4f}: the text does not say which",
        ),
        Number.chosen_to_fit("(o1 - 1) o1 (1 - o1) on the engine's o1", exact.data, "-0.04", ours),
        Number.chosen_to_fit("dL/dz_o1 by backward", nodes["z_o1"].grad, "-0.04", ours),
        Number.chosen_to_fit("dL/dz_o1, three decimals", nodes["z_o1"].grad, carried, ours),
        Number.chosen_to_fit("dL/dz_o2 by backward (our o2)", nodes["z_o2"].grad, ERRORS_PRINTED[1], ours),
    )
    return Step(
        "The output neurons' errors are gradients",
        "The tutorial's error for an output neuron is (output - expected) × output × "
        f"(1 - output): ({p} - {t}) × {p} × (1 - {p}) = {numbers[0].shown} × {slope.data:.4f} = "
        f"{numbers[1].shown}, about {by_hand.data:.2f}. That is exactly the chain rule for the squared error "
        f"L = 1/2 (o1 - {t})^2 + 1/2 (o2 - {TARGET[1]:g})^2 at o1's weighted sum: dL/do1 × do1/dz_o1. "
        "backward() fills it in as z_o1's grad. "
        f"One slip in the tutorial: at three decimals its {numbers[1].shown} is {by_hand.data:.3f}, yet its next "
        f"step goes on with {carried}. The text does not say why: {carried} is {numbers[1].shown} cut off rather "
        f"than rounded, and it is also the error of any o1 from {low:.4f} to {high:.4f}, all of which print as "
        f"{p}. Our o1, {o1.data:.4f}, was chosen among them: its error is {exact.data:.4f}.",
        numbers=numbers,
        graph=draw(loss, highlight=nodes["z_o1"]),
    )


def step_hidden_error():
    model, nodes, loss = worked_example()
    v11, v21 = (neuron.w[0] for neuron in model.layers[1].neurons)  # the weights from h1 to o1 and o2
    # the tutorial's arithmetic on its printed, rounded numbers, redone by the engine
    error_o1, error_o2 = (printed(e) for e in ERRORS_PRINTED)
    to_o1, to_o2 = v11 * error_o1, v21 * error_o2
    weighted = to_o1 + to_o2
    weighted_printed, h1_printed = printed("0.00418"), printed("0.65")
    error_h1 = weighted_printed * h1_printed * (1 - h1_printed)
    ours = _fitted("o1 and o2, from the weights we chose")
    numbers = (
        Number(f"{v11.data:g} × {ERRORS_PRINTED[0]}, the tutorial's arithmetic", to_o1.data, tutorial="-0.0148"),
        Number(f"{v21.data:g} × {ERRORS_PRINTED[1]}, the tutorial's arithmetic", to_o2.data, tutorial="0.01898"),
        Number("-0.0148 + 0.01898, the tutorial's arithmetic", weighted.data, tutorial="0.00418"),
        Number.chosen_to_fit("dL/dh1 by backward", nodes["h1"].grad, "0.00418", ours),
        Number("0.00418 × 0.65 × 0.35, the tutorial's arithmetic", error_h1.data, tutorial="0.00095"),
        Number.chosen_to_fit("dL/dz_h1 by backward", nodes["z_h1"].grad, "0.00095", ours),
        Number.chosen_to_fit("dL/dz_h1, rounded", nodes["z_h1"].grad, "0.001", ours),
    )
    to_o1_, to_o2_, total, _, error, _, rounded = (n.shown for n in numbers)
    h1 = f"{h1_printed.data:.2f}"
    return Step(
        "The hidden neuron's error: the sum over both paths",
        "h1 feeds both outputs, so it shares the blame for both errors: weight to o1 × o1's "
        f"error + weight to o2 × o2's error = {v11.data:g} × {ERRORS_PRINTED[0]} + {v21.data:g} × "
        f"{ERRORS_PRINTED[1]} = {to_o1_} + {to_o2_} = {total}. "
        "That weighted sum is dL/dh1: backward adds up one chain-rule product per path from L to "
        f"h1 (both paths are drawn). Times h1's own slope {h1} × (1 - {h1}) it becomes h1's "
        f"error {error}, about {rounded}: dL/dz_h1.",
        numbers=numbers,
        graph=draw(loss, highlight=nodes["h1"]),
    )


def step_update():
    model, nodes, loss = worked_example()
    h1 = model.layers[0].neurons[0]
    w11, b1, x1 = h1.w[0], h1.b, nodes["x1"]
    error = printed("0.001")  # the tutorial updates with its rounded error
    w11_by_hand = w11 - error * LR * x1
    b1_by_hand = b1 - error * LR
    ours = _fitted("the gradient of the network we chose")
    numbers = (
        Number("w11 with the rounded error, the tutorial's arithmetic", w11_by_hand.data, tutorial="0.4599"),
        Number("w11 by hand, at two decimals", w11_by_hand.data, tutorial="0.46"),
        Number("b1 with the rounded error, the tutorial's arithmetic", b1_by_hand.data, tutorial="0.1199"),
        Number("b1 by hand, at two decimals", b1_by_hand.data, tutorial="0.12"),
        Number("dL/dw11 by backward", w11.grad),
        Number.chosen_to_fit(f"w11 - {LR:g} × dL/dw11", w11.data - LR * w11.grad, "0.4599", ours),
        Number.chosen_to_fit(f"b1 - {LR:g} × dL/db1", b1.data - LR * b1.grad, "0.1199", ours),
    )
    new_w11, two_w11, new_b1, two_b1, _, exact_w11, exact_b1 = (n.shown for n in numbers)
    e, lr = f"{error.data:g}", f"{LR:g}"
    return Step(
        f"Updating h1's first weight and bias, learning rate {lr}",
        "weight = weight - error × learning rate × input, bias = bias - error × learning rate. "
        "Error × input is dL/dw11 and error alone is dL/db1, so this is gradient descent. The "
        f"tutorial rounds the error to {e} first: {w11.data:g} - {e} × {lr} × {x1.data:g} = {new_w11}, and "
        f"{b1.data:g} - {e} × {lr} = {new_b1}; rounded back to two decimals they are {two_w11} and {two_b1} "
        "again, so the weights look unchanged. With the exact gradient from backward the step is "
        f"{LR * w11.grad:.6f} instead of {(error * LR).data:g}; at four decimals both give {exact_w11} and {exact_b1}.",
        numbers=numbers,
        graph=draw(loss, highlight=w11),
    )


def train(lr=TRAIN_LR, epochs=TRAIN_EPOCHS):
    """Gradient descent one row at a time from the worked example's weights: (model, mean loss of each epoch)."""
    model = network()
    # error's graph is the same whatever the numbers: compiled, the same floats bit for bit, several times faster
    history = fit(model, ROWS, error, SGD(model.parameters(), lr=lr), epochs, batch_size=1, progress=False,
                  compile=True)
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
        f"example's {LR:g}, which needs many more epochs to get there. The loss falls and the "
        f"network answers every row right: {lines}. On [1, 1], o1 (the network's probability that "
        f"XOR is 0, which it is there) is now {nodes['o1'].data:.3f}, where it started at {O1_PRINTED}.",
        numbers=(
            Number("loss in the first epoch (mean over the 4 rows)", history[0]),
            Number("loss in the last epoch", history[-1]),
            Number("accuracy", accuracy(model)),
            Number("o1 on [1, 1] after training: the probability that XOR is 0", nodes["o1"].data),
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
