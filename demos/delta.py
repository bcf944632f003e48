"""A sigmoid network and the tutorial's hand-derived update (the "delta" rule).

The tutorial (Andrey, "Do-it-yourself neural network from scratch. Part 1") pushes inputs
[1, 0, 1] through a hidden neuron with weights [0.43, 0.18, -0.21], gets an output of 0.60
where 0 was expected, and updates two output weights by hand. Here every one of its numbers
comes out of the engine, and beside its hand rule we show what backward() gives.
"""
from ..engine import Value, draw
from ..lessons.labels import inputs, named_forward, params
from ..lessons.steps import Number, Step
from ..nn import MLP

X = (1.0, 0.0, 1.0)  # the inputs, as printed
W_H1 = (0.43, 0.18, -0.21)  # h1's weights, as printed
# Hidden in the tutorial's pictures; chosen so that h2 = 0.60 (see network_text).
W_H2 = (0.29, -0.33, 0.12)
V = (0.22, 0.47)  # the output's weights from h1 and h2, as printed in its two updates
TARGET = 0.0  # "expected 0"
LR = 0.3  # "learning rate 0,3"
# What the tutorial prints, its decimal commas written as points: "0 1 0,5 0" is sigmoid(0) = 0.5, and
# h2 is the output 0.60 that its update of the weight 0.47 multiplies by
PRINTED = {"z_h1": "0.22", "h1": "0.55", "sigmoid(0)": "0.5", "h2": "0.60", "out": "0.60", "error": "0.60",
           "delta": "0.24", "v1 updated": "0.18", "v2 updated": "0.43", "hidden error": "0.04"}
NAMES = ("x1, x2, x3 are the inputs; h1's weights from them are w1, w2, w3 and h2's are u1, u2, u3; "
         "v1 and v2 are the output neuron's weights from h1 and from h2.")


def build_network():
    """The forward pass: inputs -> h1, h2 -> out, every node labelled like the tutorial."""
    xs = inputs("x1 x2 x3", X)
    w, u, v = params("w1 w2 w3", W_H1), params("u1 u2 u3", W_H2), params("v1 v2", V)
    model = MLP(3, [2, 1], "sigmoid", "sigmoid", weights=[[w, u], [v]], biases=False, fused=False)
    nodes = named_forward(model, xs, ["h1 h2", "out"], sums=True)
    return dict(nodes, xs=xs, w=w, u=u, v1=v[0], v2=v[1])


def printed(key):
    """A number the tutorial prints, as a Value (for redoing its hand arithmetic in the engine)."""
    return Value(float(PRINTED[key]))


def _listed(values):
    return ", ".join(f"{v.data:g}" for v in values)


def _fitted_out(net):
    """The network's output, which rests on the weights we chose (see network_text)."""
    return Number.chosen_to_fit("out", net["out"].data, PRINTED["out"],
                                f"from our h2 and the output weights v1 = {net['v1'].data:g} and v2 = "
                                f"{net['v2'].data:g} that the tutorial's two updates start from, with no bias")


def network_text(net, h2, out):
    """What we rebuilt of the network the tutorial draws in pictures; h2 and out are its Numbers."""
    return (
        "The tutorial draws its network in pictures we cannot see, so we rebuilt one that gives "
        f"every number it prints: inputs x1, x2, x3 = {_listed(net['xs'])}; hidden neuron h1 with the "
        f"printed weights w1, w2, w3 = {_listed(net['w'])}; a second hidden neuron h2 whose weights "
        f"u1, u2, u3 = {_listed(net['u'])} we chose so that h2 = {h2.shown} (the tutorial multiplies "
        f"the weight {net['v2'].data:g} by an output of {h2.shown}); and an output neuron with weights "
        f"v1 = {net['v1'].data:g} from h1 and v2 = {net['v2'].data:g} from h2 and no bias, which gives "
        f"the tutorial's output {out.shown}."
    )


def squared_error(out):
    """L = 1/2 (out - expected)^2: the error whose gradient backprop follows."""
    return (0.5 * (out - TARGET) ** 2).named("L")


def step_hidden_neuron():
    net = build_network()
    z_h1 = Number("weighted sum z_h1", net["z_h1"].data, tutorial=PRINTED["z_h1"])
    h1 = Number("h1 = sigmoid(z_h1)", net["h1"].data, tutorial=PRINTED["h1"])
    half = Number("sigmoid(0)", Value(0.0).sigmoid().data, tutorial=PRINTED["sigmoid(0)"])
    products = " + ".join(f"{x.data:g} × {w.data:g}" for x, w in zip(net["xs"], net["w"]))
    return Step(
        "One hidden neuron: weighted sum, then sigmoid",
        f"The tutorial multiplies each input (x1, x2, x3) by its weight (h1's w1, w2, w3) and adds "
        f"them up: {products} = {z_h1.shown}. The sigmoid 1 / (1 + e^-x) squeezes any number into "
        f"(0, 1), and 0 into the middle: sigmoid(0) = {half.shown} (the tutorial's \"0 1 0,5 0\"). "
        f"So sigmoid({z_h1.shown}) = {h1.shown}. The numbers below come out of the engine's forward pass.",
        numbers=(z_h1, h1, half),
        graph=draw(net["h1"]),
    )


def step_network_output():
    net = build_network()
    h2 = Number.chosen_to_fit("h2 (weights chosen by us)", net["h2"].data, PRINTED["h2"],
                              f"we chose h2's weights u1, u2, u3 = {_listed(net['u'])}")
    out = _fitted_out(net)
    return Step(
        f"The whole network: output {out.shown}",
        network_text(net, h2, out) + f" Expected was {TARGET:g}, so the network is wrong and must learn.",
        numbers=(Number("h1", net["h1"].data, tutorial=PRINTED["h1"]), h2, out),
        graph=draw(net["out"]),
    )


def step_error():
    net = build_network()
    error = (net["out"] - TARGET).named("error")  # the tutorial's error = output - expected
    loss = squared_error(net["out"])
    loss.backward()
    ours = "our output, which rests on the weights we chose"
    numbers = (
        Number.chosen_to_fit("error = out - expected", error.data, PRINTED["error"], ours),
        Number.chosen_to_fit("dL/dout by backward", net["out"].grad, PRINTED["error"], ours),
    )
    out = f"{net['out'].data:.2f}"
    return Step(
        f"The error: {out} - {TARGET:g} = {numbers[0].shown}",
        "The tutorial's error is output minus expected. That is exactly the slope of the "
        f"squared error L = 1/2 (out - {TARGET:g})^2 with respect to out, which backward() finds: "
        f"dL/dout = out - {TARGET:g} = {numbers[1].shown}.",
        numbers=numbers,
        graph=draw(loss, highlight=net["out"]),
    )


def step_tutorial_delta():
    net = build_network()
    net["out"].backward()  # d out / d everything: the sigmoid's slope lands in z_out.grad
    out = printed("out")
    by_hand = Number("delta = out (1 - out), the tutorial's arithmetic", (out * (1 - out)).data, PRINTED["delta"])
    by_backward = Number.chosen_to_fit("d out / d z_out by backward", net["z_out"].grad, PRINTED["delta"],
                                       "the slope at our output, which rests on the weights we chose")
    return Step(
        f"The tutorial's delta: the sigmoid's slope, {by_hand.shown}",
        "The tutorial takes the derivative of the sigmoid at the output, "
        f"sigmoid'(x) = sigmoid(x) (1 - sigmoid(x)) = {out.data:.2f} × (1 - {out.data:.2f}) = {by_hand.shown}, "
        "and calls it delta. Running backward() from out itself gives the same number as d out / d z_out: "
        "how fast the output moves when its weighted sum moves.",
        numbers=(by_hand, by_backward),
        graph=draw(net["out"], highlight=net["z_out"]),
    )


def step_exact_delta():
    net = build_network()
    loss = squared_error(net["out"])
    loss.backward()
    out = net["out"].data
    error, slope, exact = out - TARGET, out * (1 - out), net["z_out"].grad
    product = f"{error:.2f} × {slope:.2f} = {exact:.3g}"
    return Step(
        f"The exact gradient: error × slope = {exact:.3g}",
        "To make the error smaller we want dL/dz_out, the slope of the squared error with "
        "respect to the output's weighted sum. The chain rule multiplies the two slopes on the "
        f"way: dL/dout × dout/dz_out = {product}. The tutorial's delta leaves out the "
        f"first factor, the error {error:.2f}.",
        numbers=(
            Number.chosen_to_fit("the tutorial's delta", slope, PRINTED["delta"],
                                 "the slope at our output, which rests on the weights we chose"),
            Number(
                "dL/dz_out by backward",
                exact,
                note=f"the tutorial's delta is d out / d z_out; the gradient of the error also "
                f"multiplies by the error out - {TARGET:g} = {error:.2f}, so it is {product}.",
            ),
        ),
        graph=draw(loss, highlight=net["z_out"]),
    )


def step_update_output_weights():
    net = build_network()
    net["out"].backward()  # the tutorial's rule: output × delta = d out / d v
    by_rule = [v.data - v.grad * LR for v in (net["v1"], net["v2"])]
    hand = [h.data * net["z_out"].grad for h in (net["h1"], net["h2"])]  # output × delta, as written
    v1, v2 = net["v1"].data, net["v2"].data
    h1, h2 = net["h1"].data, net["h2"].data
    # the tutorial's two lines, "w = 0,22 - 0,55 * 0,24 * 0,3 = 0,18" and "w = 0.47 - 0.60 * 0.24 * 0.3 = 0.43",
    # redone by the engine from the numbers it prints
    delta = printed("delta")
    lines = [(v, printed(h), v - printed(h) * delta * LR) for v, h in ((v1, "h1"), (v2, "h2"))]
    arithmetic = [f"{v:g} - {h.data:.2f} × {delta.data:.2f} × {LR:g}" for v, h, _ in lines]

    net = build_network()
    loss = squared_error(net["out"])
    loss.backward()
    by_gradient = [v.data - LR * v.grad for v in (net["v1"], net["v2"])]
    error, slope = net["out"].data - TARGET, net["out"].data * (1 - net["out"].data)
    ours = "the step rests on our output and on v1, v2 taken from the tutorial's updates"
    numbers = (
        Number(f"{arithmetic[0]}, the tutorial's arithmetic", lines[0][2].data, PRINTED["v1 updated"]),
        Number(f"{arithmetic[1]}, the tutorial's arithmetic", lines[1][2].data, PRINTED["v2 updated"]),
        Number("output × delta for v1", hand[0]),
        Number.chosen_to_fit("v1 by the tutorial's rule", by_rule[0], PRINTED["v1 updated"], ours),
        Number.chosen_to_fit("v2 by the tutorial's rule", by_rule[1], PRINTED["v2 updated"], ours),
        Number(
            "v1 by gradient descent on L",
            by_gradient[0],
            note=f"gradient descent steps by dL/dv1 = {error:.2f} × {slope:.2f} × {h1:.2f}, the tutorial by "
            f"{slope:.2f} × {h1:.2f}: without the error factor {error:.2f} its step is larger.",
        ),
        Number("v2 by gradient descent on L", by_gradient[1]),
    )
    new_v1, new_v2 = numbers[0].shown, numbers[1].shown
    return Step(
        f"Updating the output weights: {v1:g} -> {new_v1}, {v2:g} -> {new_v2}",
        f"{NAMES} The tutorial's rule is weight = weight - output × delta × learning rate, with the "
        f"output of the neuron the weight comes from ({h1:.2f} for v1 = {v1:g}, {h2:.2f} for v2 = {v2:g}) "
        f"and learning rate {LR:g}: {arithmetic[0]} = {new_v1} and {arithmetic[1]} = {new_v2}. "
        "Output × delta is d out / d weight, which backward() from out gives, so the rule pushes "
        f"the output itself down, which happens to be the right way here because {TARGET:g} was "
        "expected. True gradient descent uses dL/dweight = error × output × delta instead: "
        f"{error:.2f} times the tutorial's step, so it moves the weights less.",
        numbers=numbers,
        graph=draw(loss, highlight=net["v1"]),
    )


def step_hidden_error():
    net = build_network()
    net["out"].backward()
    delta = net["z_out"].grad
    v1_updated = net["v1"].data - net["v1"].grad * LR
    v1 = net["v1"].data
    # the tutorial's "error = 0.18 * 0.24 = 0.04", redone by the engine from the numbers it prints
    by_hand = printed("v1 updated") * printed("delta")

    net = build_network()
    loss = squared_error(net["out"])
    loss.backward()
    exact, h1 = net["z_out"].grad, net["h1"].data
    return Step(
        f"The hidden neuron's error: {v1_updated:.2f} × {delta:.2f} = {by_hand.data:.2f}",
        f"{NAMES} To pass the blame back to h1, the tutorial multiplies the weight joining h1 to the "
        f"output, v1, by the output's delta: {v1_updated:.2f} × {delta:.2f} = {by_hand.data:.2f}. Backprop "
        "does the same with two differences: it uses the weight that produced the output "
        f"(v1 = {v1:g}, before the update) and the exact delta {exact:.3g}, giving dL/dh1 = {v1:g} × "
        f"{exact:.3g} = {net['h1'].grad:.2g}. Multiplying by h1's own slope, {h1:.2f} × (1 - {h1:.2f}), "
        "gives dL/dz_h1, the delta to update h1's weights w1, w2, w3 with.",
        numbers=(
            Number("hidden error, the tutorial's arithmetic", by_hand.data, tutorial=PRINTED["hidden error"]),
            Number(
                "dL/dh1 by backward",
                net["h1"].grad,
                note=f"backprop multiplies the old weight {v1:g} by the exact delta {exact:.3g}; the "
                f"tutorial uses the updated weight {v1_updated:.2f} and its delta {delta:.2f}.",
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
