"""Three interleaved spirals, a 2-16-16-3 network, softmax and cross-entropy: the gradient p - onehot(y).

No tutorial: the data set is generated (nn.datasets.spiral), the network trained here, and
every number shown is the engine's own. The page trains the network, then follows one point
through its loss node by node, and shows that the grad that reaches each logit z_i is p_i - 1
for the point's class and p_i for the others; then the network at the level of its layers.
"""
from ..engine import Value, draw
from ..lessons.steps import Number, Step
from ..lessons.walkthrough_steps import walkthrough_steps
from ..nn import MLP, Adam, accuracy, cross_entropy, datasets, fit, softmax

POINTS = 50  # per class: 150 points in all
CLASSES = 3
SIZES = [16, 16, CLASSES]
EPOCHS = 50
LEARN_RATE = 0.05
SEED = 0


def data():
    return datasets.spiral(n_per_class=POINTS, classes=CLASSES, seed=SEED)


def train(spirals):
    """An MLP(2, [16, 16, 3]) with relu, trained by full-batch Adam on the mean cross-entropy:
    (model, the loss of each epoch, taken before its step)."""
    model = MLP(2, SIZES, activation="relu", seed=SEED)
    opt = Adam(model.parameters(), lr=LEARN_RATE)
    # fit lays a model's outputs end to end and each target list beside them: [class] per row.
    # Every epoch is the same full batch, so fit records its graph once and replays it: as numpy
    # arrays where numpy is installed, else on floats (cross_entropy's shift c stays the recorded
    # one: the same loss in exact math)
    history = fit(model, spirals.X, [[t] for t in spirals.y], cross_entropy, opt, EPOCHS, progress=False)
    model.zero_grad()  # drawings of the trained model show no grads left from training
    return model, history


SURE = 0.75  # the point followed is the one the trained network gives about this probability of its class


def fairly_sure(model, spirals):
    """The index of the point whose probability of its own class is nearest SURE: right, but not by much,
    so every part of p - onehot(y) is large enough to read."""
    p_true = [softmax(model(x))[t].data for x, t in spirals]
    return min(range(len(p_true)), key=lambda i: abs(p_true[i] - SURE))


def labelled_loss(logits, target):
    """cross_entropy over logits z1..zk, with the nodes of its graph labelled as the page names them:
    log p1.., p1.., S, log S and L."""
    L = cross_entropy(logits, target).named("L")
    log_S, _ = L.inputs
    log_S.label = "log S"
    (S,) = log_S.inputs
    S.label = "S"
    for i, p in enumerate(S.inputs):
        p.label = f"p{i + 1}"
        p.inputs[0].label = f"log p{i + 1}"
    return L


def _vector(values):
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"


def build():
    spirals = data()
    untrained = MLP(2, SIZES, activation="relu", seed=SEED)
    start_accuracy = accuracy(untrained, spirals.X, spirals.y)
    model, history = train(spirals)
    final = cross_entropy([model(x) for x in spirals.X], spirals.y).data
    trained_accuracy = accuracy(model, spirals.X, spirals.y)
    k = fairly_sure(model, spirals)
    x, y = spirals[k]
    z_data = [zi.data for zi in model(x)]
    p = [pi.data for pi in softmax(z_data)]

    steps = [_data_step(spirals, untrained, start_accuracy),
             _training_step(history, final, start_accuracy, trained_accuracy)]

    z = [Value(zi, label=f"z{i + 1}") for i, zi in enumerate(z_data)]  # the logits, cut from the network
    L = labelled_loss(z, y)
    steps.append(_sample_step(k, x, y, z_data, p, L))
    steps += walkthrough_steps(L, remarks=_remarks(y))
    steps.append(_p_minus_onehot_step(y, z, p, L))
    steps += _layer_steps(model, x, y)
    return steps


def _data_step(spirals, untrained, start_accuracy):
    logits = untrained(spirals.X[0])
    for i, zi in enumerate(logits):
        zi.label = f"z{i + 1}"
    return Step(
        "Three spirals, a 2-16-16-3 network",
        f"{len(spirals)} points in the plane, {POINTS} on each of {CLASSES} spiral arms that wind around each "
        "other (nn.datasets.spiral: arm k turns from the centre out through 4 radians, with a little "
        "noise). No straight line separates them. The network: 2 inputs, two hidden layers of 16 relu "
        f"units, and {CLASSES} outputs, the logits z1, z2, z3, one per class. softmax turns them into "
        "probabilities p_i = e^z_i / (e^z1 + e^z2 + e^z3), and the loss of a point of class y is the "
        "cross-entropy L = -log p_y. The drawing shows the network by layers: each box is one layer, "
        "its 16 neurons' dots the rows of one matrix product.",
        (Number("points", len(spirals)), Number("parameters", len(untrained.parameters())),
         Number("training accuracy before training", start_accuracy)),
        draw(labelled_loss(logits, spirals.y[0]), group="layers"),
    )


def _training_step(history, final, start_accuracy, trained_accuracy):
    return Step(
        f"Training: {EPOCHS} epochs of Adam",
        f"Each epoch: forward all {POINTS * CLASSES} points, L = the mean of their cross-entropies, "
        f"backward(), then Adam moves every parameter (learning rate {LEARN_RATE}). The loss falls from "
        f"{history[0]:.3f} to {final:.4f}; the network now puts {trained_accuracy:.1%} of the training "
        f"points on the right arm (it started at {start_accuracy:.1%}, a guess among three).",
        (Number("mean cross-entropy before training", history[0]), Number("after training", final),
         Number("training accuracy", trained_accuracy)),
        history=tuple([*history, final]),
    )


def _one_and_zero(L):
    """'1, log S is 0', or where the floats round otherwise, what the graph shows instead."""
    log_S = L.inputs[0]
    if log_S.data == 0.0:
        return "1, log S is 0"
    return f"1 and log S is 0 up to float rounding (the engine's log S is {log_S.data:.3g})"


def _sample_step(k, x, y, z_data, p, L):
    return Step(
        f"One point, class {y + 1}: its loss, forward",
        f"Point {k} at ({x[0]:.3f}, {x[1]:.3f}), on arm {y + 1}: the trained network gives it "
        f"p{y + 1} = {p[y]:.3f}, right but not certain. Its logits are z = {_vector(z_data)}; we cut them from the network (as leaves z1..z3) "
        "to follow the loss alone. cross_entropy writes -log p_y without dividing by a sum that could "
        "overflow: it subtracts c = log(e^z1 + e^z2 + e^z3), a plain number, from every logit, so "
        "log p_i = z_i - c, and p_i = exp(log p_i) are the probabilities themselves. S = p1 + p2 + p3 is "
        f"{_one_and_zero(L)}, and L = log S - log p{y + 1} = -log p{y + 1}. log S adds nothing to the loss, "
        "but it is the path by which every logit gets its share of the gradient.",
        tuple(Number(f"p{i + 1}", pi) for i, pi in enumerate(p)) + (Number("L", L.data),),
        draw(L),
    )


def _remarks(y):
    target = f"log p{y + 1}"
    remarks = {"S": "Every p_i gets grad 1/S = 1 from the sum: the same push down for every class.",
               target: (f"{target} gets -1 straight from L (L = log S - {target}), and p{y + 1} × 1/S "
                        f"through exp: its grad is p{y + 1} - 1.")}
    for i in range(CLASSES):
        if i != y:
            remarks[f"log p{i + 1}"] = (f"log p{i + 1} gets only p{i + 1} × 1/S = p{i + 1}, through exp: "
                                        f"class {i + 1} is not the point's, so nothing pulls it up.")
    return remarks


def _p_minus_onehot_step(y, z, p, L):
    numbers = []
    for i, (zi, pi) in enumerate(zip(z, p)):
        onehot = 1.0 if i == y else 0.0
        numbers += [Number(f"dL/dz{i + 1} from backward", zi.grad),
                    Number(f"p{i + 1} - onehot{i + 1} = {pi:.4f} - {onehot:g}", pi - onehot)]
    return Step(
        "The gradient of cross-entropy through softmax is p - onehot(y)",
        f"backward() found for each logit z_i the grad p_i minus 1 for the point's class ({y + 1}) and p_i "
        "for the others: the edges out of z1, z2, z3 carry exactly that. Nobody wrote this rule into the "
        "engine: it is the chain rule through exp, sum, log and the subtractions. Read it as a tug: the "
        "true class's logit is pulled up by 1 - p_y (the less sure the network, the harder), every other "
        "logit pushed down by its own probability.",
        tuple(numbers),
        draw(L, highlight=z[y]),
    )


def _layer_steps(model, x, y):
    model.zero_grad()
    logits = model(x)
    for i, zi in enumerate(logits):
        zi.label = f"z{i + 1}"
    L = labelled_loss(logits, y)
    L.backward()
    by_layers = draw(L, group="layers")
    w = model.layers[-1].neurons[y].w
    h1 = logits[y].inputs[len(w)]  # the dot reads (w1..w16, h1..h16, b): h1 is layer 2's first output
    return [
        Step(
            "The same point through the whole network, by layers",
            "Now the logits are the network's own, and backward goes on into it. Each purple box is a "
            "layer: its 16 (or 3) neurons read the same inputs, so their dots are the rows of one matrix "
            "product W x + b, followed by the activation on each; the orange box holds that W and b. The "
            "edges say how many values travel along them. Layer 3's box shows the logits and their grads: "
            "p - onehot again, now flowing on into W3 and the layers below.",
            tuple(Number(f"dL/dz{i + 1}", zi.grad) for i, zi in enumerate(logits))
            + (Number("parameters", len(model.parameters())),),
            by_layers,
        ),
        Step(
            "Layer 3 opened: three dots over the same 16 inputs",
            "The same drawing with layer 3 opened back to its dots: three dot nodes z1, z2, z3, one per "
            "class, all reading the same 16 outputs of layer 2, each with its own 16 weights and bias from "
            "the orange box. Stacked, those rows of weights are W3 (3 × 16): that is why a layer of dots is "
            "a matrix product. Each "
            "weight's grad is the input it multiplies times its logit's grad (p_i - onehot_i): for class "
            f"{y + 1}'s first weight, h1 (layer 2's first output) × dL/dz{y + 1}.",
            (Number("h1, layer 2's first output", h1.data), Number(f"dL/dz{y + 1}", logits[y].grad),
             Number(f"h1 × dL/dz{y + 1}", h1.data * logits[y].grad),
             Number(f"dL/dw1 of neuron {y + 1} in layer 3, from backward", w[0].grad)),
            by_layers.opened(len(model.layers)),
        ),
    ]
