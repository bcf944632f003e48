"""A sigmoid network and the tutorial's hand-derived update (the "delta" rule).

The tutorial (Andrey, "Do-it-yourself neural network from scratch. Part 1") pushes inputs
[1, 0, 1] through a hidden neuron with weights [0.43, 0.18, -0.21], gets an output of 0.60
where 0 was expected, and updates two output weights by hand. Here every one of its numbers
comes out of the engine, and beside its hand rule we show what backward() gives.
"""
from ..engine import draw
from ..lessons.labels import inputs, named_forward, params
from ..lessons.steps import Number, Step
from ..nn import MLP

X = (1.0, 0.0, 1.0)  # the inputs, as printed
W_H1 = (0.43, 0.18, -0.21)  # h1's weights, as printed
# Hidden in the tutorial's pictures; chosen so that h2 = 0.60 (see NETWORK_TEXT).
W_H2 = (0.29, -0.33, 0.12)
V = (0.22, 0.47)  # the output's weights from h1 and h2, as printed in its two updates
TARGET = 0.0  # "expected 0"
LR = 0.3  # "learning rate 0,3"

NETWORK_TEXT = (
    "The tutorial draws its network in pictures we cannot see, so we rebuilt one that gives "
    "every number it prints: inputs 1, 0, 1; hidden neuron h1 with the printed weights "
    "0.43, 0.18, -0.21; a second hidden neuron h2 whose weights we chose as 0.29, -0.33, 0.12 "
    "so that h2 = 0.60 (the tutorial multiplies the weight 0.47 by an output of 0.60); and an "
    "output neuron with weights 0.22 from h1 and 0.47 from h2 and no bias, which gives the "
    "tutorial's output 0.60."
)


def build_network():
    """The forward pass: inputs -> h1, h2 -> out, every node labelled like the tutorial."""
    xs = inputs("x1 x2 x3", X)
    w, u, v = params("w1 w2 w3", W_H1), params("u1 u2 u3", W_H2), params("v1 v2", V)
    model = MLP(3, [2, 1], "sigmoid", "sigmoid", weights=[[w, u], [v]], biases=False, fused=False)
    nodes = named_forward(model, xs, ["h1 h2", "out"], sums=True)
    return dict(nodes, xs=xs, w=w, u=u, v1=v[0], v2=v[1])


def squared_error(out):
    """L = 1/2 (out - expected)^2: the error whose gradient backprop follows."""
    return (0.5 * (out - TARGET) ** 2).named("L")


def step_hidden_neuron():
    net = build_network()
    return Step(
        "One hidden neuron: weighted sum, then sigmoid",
        "The tutorial multiplies each input by its weight and adds them up: "
        "1 × 0.43 + 0 × 0.18 + 1 × -0.21 = 0.22. The sigmoid 1 / (1 + e^-x) squeezes that "
        "into (0, 1): sigmoid(0.22) = 0.55. Both numbers below come out of the engine's "
        "forward pass.",
        numbers=(
            Number("weighted sum z_h1", net["z_h1"].data, tutorial="0.22"),
            Number("h1 = sigmoid(z_h1)", net["h1"].data, tutorial="0.55"),
        ),
        graph=draw(net["h1"]),
    )


def step_network_output():
    net = build_network()
    return Step(
        "The whole network: output 0.60",
        NETWORK_TEXT + " Expected was 0, so the network is wrong and must learn.",
        numbers=(
            Number("h1", net["h1"].data, tutorial="0.55"),
            Number("h2 (weights chosen by us)", net["h2"].data, tutorial="0.60"),
            Number("out", net["out"].data, tutorial="0.60"),
        ),
        graph=draw(net["out"]),
    )


def step_error():
    net = build_network()
    error = (net["out"] - TARGET).named("error")  # the tutorial's error = output - expected
    loss = squared_error(net["out"])
    loss.backward()
    return Step(
        "The error: 0.60 - 0 = 0.60",
        "The tutorial's error is output minus expected. That is exactly the slope of the "
        "squared error L = 1/2 (out - 0)^2 with respect to out, which backward() finds: "
        "dL/dout = out - 0.",
        numbers=(
            Number("error = out - expected", error.data, tutorial="0.60"),
            Number("dL/dout by backward", net["out"].grad, tutorial="0.60"),
        ),
        graph=draw(loss, highlight=net["out"]),
    )


def step_tutorial_delta():
    net = build_network()
    net["out"].backward()  # d out / d everything: the sigmoid's slope lands in z_out.grad
    out = net["out"].data
    return Step(
        "The tutorial's delta: the sigmoid's slope, 0.24",
        "The tutorial takes the derivative of the sigmoid at the output, "
        "sigmoid'(x) = sigmoid(x) (1 - sigmoid(x)) = 0.60 × (1 - 0.60) = 0.24, and calls it "
        "delta. Running backward() from out itself gives the same number as d out / d z_out: "
        "how fast the output moves when its weighted sum moves.",
        numbers=(
            Number("delta = out (1 - out), the tutorial's arithmetic", out * (1 - out), tutorial="0.24"),
            Number("d out / d z_out by backward", net["z_out"].grad, tutorial="0.24"),
        ),
        graph=draw(net["out"], highlight=net["z_out"]),
    )


def step_exact_delta():
    net = build_network()
    loss = squared_error(net["out"])
    loss.backward()
    return Step(
        "The exact gradient: error × slope = 0.144",
        "To make the error smaller we want dL/dz_out, the slope of the squared error with "
        "respect to the output's weighted sum. The chain rule multiplies the two slopes on the "
        "way: dL/dout × dout/dz_out = 0.60 × 0.24 = 0.144. The tutorial's delta leaves out the "
        "first factor, the error 0.60.",
        numbers=(
            Number("the tutorial's delta", net["out"].data * (1 - net["out"].data), tutorial="0.24"),
            Number(
                "dL/dz_out by backward",
                net["z_out"].grad,
                note="the tutorial's delta is d out / d z_out; the gradient of the error also "
                "multiplies by the error out - 0 = 0.60, so it is 0.60 × 0.24 = 0.144.",
            ),
        ),
        graph=draw(loss, highlight=net["z_out"]),
    )


def step_update_output_weights():
    net = build_network()
    net["out"].backward()  # the tutorial's rule: output × delta = d out / d v
    by_rule = [v.data - v.grad * LR for v in (net["v1"], net["v2"])]
    hand = [h.data * net["z_out"].grad for h in (net["h1"], net["h2"])]  # output × delta, as written

    net = build_network()
    loss = squared_error(net["out"])
    loss.backward()
    by_gradient = [v.data - LR * v.grad for v in (net["v1"], net["v2"])]
    return Step(
        "Updating the output weights: 0.22 -> 0.18, 0.47 -> 0.43",
        "The tutorial's rule is weight = weight - output × delta × learning rate, with the "
        "output of the neuron the weight comes from (0.55 for 0.22, 0.60 for 0.47) and "
        "learning rate 0.3. Output × delta is d out / d weight, which backward() from out "
        "gives, so the rule pushes the output itself down, which happens to be the right way "
        "here because 0 was expected. True gradient descent uses dL/dweight = error × output × delta instead: "
        "0.60 times the tutorial's step, so it moves the weights less.",
        numbers=(
            Number("output × delta for v1 (the tutorial's arithmetic)", hand[0]),
            Number("v1 by the tutorial's rule", by_rule[0], tutorial="0.18"),
            Number("v2 by the tutorial's rule", by_rule[1], tutorial="0.43"),
            Number(
                "v1 by gradient descent on L",
                by_gradient[0],
                note="gradient descent steps by dL/dv1 = 0.60 × 0.24 × 0.55, the tutorial by "
                "0.24 × 0.55: without the error factor 0.60 its step is larger.",
            ),
            Number("v2 by gradient descent on L", by_gradient[1]),
        ),
        graph=draw(loss, highlight=net["v1"]),
    )


def step_hidden_error():
    net = build_network()
    net["out"].backward()
    delta = net["z_out"].grad
    v1_updated = net["v1"].data - net["v1"].grad * LR
    hand = v1_updated * delta  # the tutorial's arithmetic: updated weight × delta

    net = build_network()
    loss = squared_error(net["out"])
    loss.backward()
    return Step(
        "The hidden neuron's error: 0.18 × 0.24 = 0.04",
        "To pass the blame back to h1, the tutorial multiplies the weight joining h1 to the "
        "output by the output's delta: 0.18 × 0.24 = 0.04. Backprop does the same with two "
        "differences: it uses the weight that produced the output (0.22, before the update) "
        "and the exact delta 0.144, giving dL/dh1 = 0.22 × 0.144 = 0.032. Multiplying by h1's "
        "own slope, 0.55 × (1 - 0.55), gives dL/dz_h1, the delta to update w1, w2, w3 with.",
        numbers=(
            Number("hidden error, the tutorial's arithmetic", hand, tutorial="0.04"),
            Number(
                "dL/dh1 by backward",
                net["h1"].grad,
                note="backprop multiplies the old weight 0.22 by the exact delta 0.144; the "
                "tutorial uses the updated weight 0.18 and its delta 0.24.",
            ),
            Number("dL/dz_h1 by backward", net["z_h1"].grad),
            Number("dL/dw1 by backward", net["w"][0].grad),
        ),
        graph=draw(loss, highlight=net["h1"]),
    )


def build():
    return [
        step_hidden_neuron(),
        step_network_output(),
        step_error(),
        step_tutorial_delta(),
        step_exact_delta(),
        step_update_output_weights(),
        step_hidden_error(),
    ]

