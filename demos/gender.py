"""Backprop by hand in Victor Zhou's tutorial, done by the engine: Alice through the 2-2-1 network.

The tutorial keeps only Alice (x = [-2, -1], female), starts from every weight 1 and every
bias 0, and works out dL/dw1 = 0.0214 by the chain rule, rounding as it goes. Here backward()
walks the same graph node by node, and the tutorial's rounding is redone by the engine.
"""
from ..engine import Value, draw
from ..engine.formula import number as fmt
from ..lessons.grads import derivative
from ..lessons.labels import inputs, named_forward, params, pre_activation
from ..lessons.steps import Number, Step
from ..lessons.walkthrough_steps import walkthrough_steps
from ..nn import SGD, datasets, mse

from .network import neuron_step, tutorial_network

LEARN_RATE = 0.1  # the tutorial's eta
EPOCHS = 1000  # the tutorial's training length, which gender-train runs

# what the tutorial prints for Alice (all weights 1, biases 0), as printed
ALICE = {"h1": "0.0474", "h2": "0.0474", "sum_h": "-3", "sum_o1": "0.0948", "y_pred": "0.524",
         "dL/dy_pred": "-0.952", "dy_pred/dh1": "0.249", "dh1/dw1": "-0.0904", "dL/dw1": "0.0214"}

SHIFT = (135, 66)  # the tutorial's table is shifted: weight - 135 lb, height - 66 in

W1_REMARK = "This is the dL/dw1 the tutorial works out by hand; the step after this walk compares the two."


def alice_network(weights=(1,) * 6, biases=(0,) * 3):
    """The tutorial's example: Alice only (x = [-2, -1], female), L = (y_true - y_pred)^2.

    The tutorial starts from every weight 1 and every bias 0. Returns the parameters and the
    named nodes: (ws, bs, h1, h2, y_pred, L).
    """
    xs = inputs("x1 x2", [-2, -1])
    ws = params("w1 w2 w3 w4 w5 w6", weights)
    bs = params("b1 b2 b3", biases)
    nodes = named_forward(tutorial_network(ws, bs), xs, ["h1 h2", "y_pred"])
    y_pred = nodes["y_pred"]
    L = ((Value(1, label="y_true") - y_pred) ** 2).named("L")
    return ws, bs, nodes["h1"], nodes["h2"], y_pred, L


def build():
    ws, bs, h1, h2, y_pred, L = alice_network()
    w1 = ws[0]
    forward = [  # drawn before any backward: a step shows the graph as it stands at that point of the story
        _table_step(),
        Step(
            "Alice only: every weight 1, every bias 0",
            "To see backprop at work, the tutorial keeps only Alice (x1 = -2 weight, x2 = -1 height,\n"
            "female so y_true = 1) and starts from all weights 1 and all biases 0.\n"
            "The drawing is the whole computation, from the inputs to the loss L.",
            graph=draw(L),
        ),
        neuron_step("Forward: h1", h1, f"f(w1*x1 + w2*x2 + b1) = f({_terms(h1)})", ALICE["sum_h"], ALICE["h1"]),
        neuron_step("Forward: h2", h2, "f(w3*x1 + w4*x2 + b2)", ALICE["sum_h"], ALICE["h2"], extra="Same weights: h2 = h1."),
        _output_step(y_pred, h1, h2),
        _loss_step(L, y_pred),
    ]
    printed = _tutorial_grads(L, y_pred, w1)  # backward from L: after the forward steps are drawn
    return [
        *forward,
        *walkthrough_steps(L, remarks={"w1": W1_REMARK}, tutorial=printed, highlight=w1),
        _chain_rule_step(L, y_pred, h1, w1, printed),
        _sgd_step(L, ws, bs, w1),
    ]


def _table_step():
    data = datasets.gender()  # the tutorial's table, shifted: weight - 135 lb, height - 66 in; F = 1, M = 0
    y_preds = [Value(0, label=f"y_pred {name}") for name in data.names]
    squared = [(y_true - y_pred) ** 2 for y_pred, y_true in zip(y_preds, data.y)]
    loss = mse(y_preds, data.y).named("MSE")
    rows = "\n".join(f"  {name:8} {x1:4g} {x2:4g}   {t:g}" for name, (x1, x2), t in zip(data.names, data.X, data.y))
    errors = ", ".join(fmt(e.data) for e in squared)
    return Step(
        "The data, and the loss of always answering 'male'",
        f"Weight minus {SHIFT[0]} lb, height minus {SHIFT[1]} in; female = 1, male = 0:\n"
        f"  name       x1   x2   gender\n{rows}\n\n"
        f"A network that always outputs 0 is wrong on Alice and Diana: squared errors {errors}.\n"
        f"Mean squared error = ({' + '.join(fmt(e.data) for e in squared)}) / {len(squared)} = {fmt(loss.data)}. "
        "Training means making this smaller.",
        tuple(Number(f"{name}: (y_true - y_pred)^2", e.data, tutorial=printed)
              for name, e, printed in zip(data.names, squared, ("1", "0", "0", "1")))
        + (Number("MSE", loss.data, tutorial="0.5"),),
        draw(loss),
    )


def _terms(neuron_out):
    """'-2 + -1 + 0': a neuron's weighted sum term by term (w·x, ..., b), from the engine's values."""
    total, terms = pre_activation(neuron_out), []
    while total.op.name == "add":  # unfused: ((w1*x1 + w2*x2) + b1), the bias last
        total, last = total.inputs
        terms.insert(0, last)
    terms.insert(0, total)
    return " + ".join(fmt(t.data) for t in terms)


def _output_step(y_pred, h1, h2):
    z = pre_activation(y_pred)
    h_sum = Value(float(ALICE["h1"])) + Value(float(ALICE["h2"]))  # the tutorial adds its rounded h1, h2
    rounded = f"{fmt(h1.data, 3)} + {fmt(h2.data, 3)}"  # h1 and h2 as the tutorial prints them
    return Step(
        "Forward: o1 = y_pred",
        f"y_pred = o1 = f(w5*h1 + w6*h2 + b3) = f({_terms(y_pred)}) = f({fmt(z.data)}) = {fmt(y_pred.data)}.\n"
        "Barely above one half: the untrained network can't tell female (1) from male (0) yet.\n"
        f"(The tutorial adds its rounded {rounded} = {fmt(h_sum.data)}; unrounded, the sum is {fmt(z.data)}.)",
        (
            Number("o1's weighted sum", z.data, tutorial=ALICE["sum_o1"],
                   note=f"the tutorial adds the rounded h1 + h2 = {rounded}; unrounded it is {z.data:.5f}"),
            Number("y_pred", y_pred.data, tutorial=ALICE["y_pred"]),
        ),
        draw(y_pred),
    )


def _loss_step(L, y_pred):
    return Step(
        "The loss for Alice",
        f"With one sample the mean squared error is just Alice's squared error:\n"
        f"L = (y_true - y_pred)^2 = (1 - {fmt(y_pred.data)})^2 = {fmt(L.data)}.\n"
        "The tutorial writes the formula but doesn't print this number; ours is the engine's.\n"
        "Next: backward() from L, one node at a time, the grads filling in from the loss to the weights.",
        (Number("L", L.data),),
        draw(L),
    )


def _tutorial_grads(L, y_pred, w1):
    """What the tutorial prints for dL/dy_pred and dL/dw1, and why backward's unrounded grads differ.

    {label: (printed, note)}, as walkthrough_steps and the chain-rule step show them.
    """
    dL_dy, dL_dw1 = derivative(L, y_pred), derivative(L, w1)
    _, rounded_product = _tutorial_rounding()
    return {
        "y_pred": (ALICE["dL/dy_pred"], f"the tutorial rounds y_pred to {ALICE['y_pred']} first; "
                                        f"unrounded it is {dL_dy:.4f}"),
        "w1": (ALICE["dL/dw1"], f"the tutorial multiplies its rounded factors (product {rounded_product:.5f}); "
                                f"backward multiplies the unrounded ones ({dL_dw1:.5f})"),
    }


def _chain_rule_step(L, y_pred, h1, w1, printed):
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
        "dL/dw1 = dL/dy_pred × dy_pred/dh1 × dh1/dw1: the product of the local derivatives along the\n"
        "path w1 -> h1 -> o1 (y_pred) -> L, lit in the drawing. Each factor below is a backward() of its own\n"
        "(from L, from y_pred, from h1); dL/dw1 is backward from L, and equals their product.\n\n"
        f"The tutorial rounds as it goes: it takes y_pred = {t['y_pred']}, so dL/dy_pred = -2(1 - y_pred)\n"
        f"= {fmt(rounded_dL_dy)} (unrounded: {fmt(dL_dy, 5)}), and it multiplies its rounded factors:\n"
        f"  {t['dL/dy_pred']} × {t['dy_pred/dh1']} × {t['dh1/dw1']} = {fmt(rounded_product)}"
        f"   (the tutorial's {t['dL/dw1']})\n"
        f"  {fmt(dL_dy, 5)} × {fmt(dy_dh1, 5)} × {fmt(dh1_dw1, 5)} = {fmt(dL_dw1, 5)}   (backward, unrounded)\n\n"
        "Same gradient, last digit apart. dL/dw1 > 0: raising w1 would raise the loss a tiny bit.",
        (
            Number("dL/dy_pred", dL_dy, *printed["y_pred"]),
            Number(f"dL/dy_pred at the tutorial's y_pred = {t['y_pred']}", rounded_dL_dy, tutorial=t["dL/dy_pred"]),
            Number("dy_pred/dh1", dy_dh1, tutorial=t["dy_pred/dh1"]),
            Number("dh1/dw1", dh1_dw1, tutorial=t["dh1/dw1"]),
            Number("dL/dw1", dL_dw1, *printed["w1"]),
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
    SGD([*ws, *bs], lr=LEARN_RATE).step()  # the update equation, for every weight and bias
    new_ws, _, _, _, _, new_L = alice_network([w.data for w in ws], [b.data for b in bs])
    new_L.backward()  # the next step's gradients, for the drawing
    drawn = new_ws[0].grad
    return Step(
        "Stochastic gradient descent: one step",
        f"The update rule: w1 <- w1 - eta × dL/dw1, with the tutorial's learning rate eta = {LEARN_RATE}.\n"
        f"w1 = {fmt(w1_before)} - {LEARN_RATE} × {fmt(dL_dw1)} = {fmt(w1.data, 6)}: dL/dw1 > 0, so w1 goes down\n"
        "a little. The tutorial prints the rule, not these numbers; they are our engine's.\n\n"
        f"Doing the same for every weight and bias takes Alice's loss from {fmt(loss_before)} to {fmt(new_L.data)}.\n"
        f"The drawing is the network after the step, with the grads of a fresh backward there: its\n"
        f"dL/dw1 = {fmt(drawn)} is the next step's gradient; this step used {fmt(dL_dw1)}, the gradient before it.\n"
        f"Repeat this over all four people for {EPOCHS} epochs: that is the next demo, gender-train.",
        (Number("dL/dw1 before the step (the one it uses)", dL_dw1), Number("w1 after one step", w1.data),
         Number("L before", loss_before), Number("L after", new_L.data),
         Number("dL/dw1 after the step (drawn)", drawn)),
        draw(new_L, highlight=new_ws[0]),
    )
