"""James Loy's 2-layer network ("How to build your own Neural Network from scratch in Python"), 1500 iterations.

y_hat = sigmoid(W2 · sigmoid(W1 x)), no biases, the loss the sum of squared errors over a
four-row table, trained by full-batch gradient descent. The text prints no numbers of its
own; the table's targets 0, 1, 1, 0 and everything else shown are the engine's.
"""
import random

from ..engine import draw
from ..lessons.steps import Number, Step
from ..nn import MLP, SGD, datasets, fit, sse

TABLE = datasets.two_layer_table()  # [0,0,1], [0,1,1], [1,0,1], [1,1,1] -> 0, 1, 1, 0
HIDDEN_UNITS = 4
ITERATIONS = 1500
LEARN_RATE = 1.0  # the original adds the full derivative: W += -dSSE/dW
INIT_SEED = 0  # the original draws np.random.rand, uniform in [0, 1): we draw the same way, seeded


def two_layer(seed=INIT_SEED):
    """The network as an nn.MLP: 3 inputs, 4 sigmoid hidden units, 1 sigmoid output, no biases.

    The weights are drawn as the original lays them out, weights1 of shape (3, 4) row by row,
    then weights2 of shape (4, 1), and labelled with the original's names: weights1[i][j] joins
    input i to hidden unit j, weights2[j] hidden unit j to the output.
    """
    rng = random.Random(seed)
    nin = len(TABLE.X[0])
    weights1 = [[rng.random() for _ in range(HIDDEN_UNITS)] for _ in range(nin)]  # weights1[i][j]: input i to unit j
    weights2 = [rng.random() for _ in range(HIDDEN_UNITS)]
    hidden = [list(column) for column in zip(*weights1)]  # one list of nin weights per hidden unit
    model = MLP(nin, [HIDDEN_UNITS, 1], "sigmoid", "sigmoid", weights=[hidden, [weights2]], biases=False)
    for j, unit in enumerate(model.layers[0].neurons):
        for i, w in enumerate(unit.w):
            w.label = f"weights1[{i}][{j}]"
    for j, w in enumerate(model.layers[1].neurons[0].w):
        w.label = f"weights2[{j}]"
    return model


def table_sse(model):
    """sum over the table of (y_hat - y)^2, the tutorial's loss."""
    return sse([model(x) for x in TABLE.X], TABLE.y).named("SSE")


def train(iterations=ITERATIONS, seed=INIT_SEED):
    """Full-batch gradient descent on the SSE: (model, the loss before each update)."""
    model = two_layer(seed)
    history = fit(model, TABLE, sse, SGD(model.parameters(), lr=LEARN_RATE), iterations, progress=False)
    model.zero_grad()  # drawings of the trained model show no grads left over from training
    return model, history


def _row(x):
    return f"[{', '.join(f'{v:g}' for v in x)}]"


def _table():
    """'[0, 0, 1], ... should give 0, 1, ...': the table in words."""
    return f"{', '.join(_row(x) for x in TABLE.X)} should give {', '.join(f'{y:g}' for y in TABLE.y)}"


def step_start():
    model = two_layer()
    loss = table_sse(model)
    loss.backward()
    drawn = two_layer()  # the same weights, to draw one row's error on its own
    w_out = drawn.layers[1].neurons[0].w[0]  # the output unit's first weight
    x, y = TABLE[1]
    row_error = ((drawn(x) - y) ** 2).named("error")
    row_error.backward()
    return Step(
        f"James Loy's network: {len(TABLE.X[0])} inputs, {HIDDEN_UNITS} hidden units, 1 output",
        f"The {len(TABLE.X)} rows {_table()}. Every unit is "
        "a sigmoid with no bias; the weights start uniform in [0, 1) (the original's "
        f"np.random.rand; ours seeded with {INIT_SEED}), named as in the original: weights1[i][j] "
        "from input i to hidden unit j, weights2[j] from hidden unit j to the output. The loss is the "
        f"sum of squared errors over the table. The drawing shows one row, {_row(x)}, and follows the output unit's first "
        f"weight, {w_out.label}, back from that row's error. The SSE adds four such pictures, so "
        f"backward adds one chain-rule product per row into {w_out.label}'s gradient.",
        numbers=tuple(Number(f"y_hat for {_row(x)}", model(x).data) for x in TABLE.X)
        + (
            Number("SSE", loss.data),
            Number(f"d(error of {_row(x)})/d({w_out.label})", w_out.grad),
            Number(f"dSSE/d({w_out.label}), all four rows", model.layers[1].neurons[0].w[0].grad),
        ),
        graph=draw(row_error, highlight=w_out),
    )


def step_train():
    model, history = train()
    final = table_sse(model).data
    history.append(final)  # the loss after the last update
    falls = sum(after < before for before, after in zip(history, history[1:]))
    predictions = [(x, y, model(x).data) for x, y in TABLE]
    listed = ", ".join(f"{y_hat:.4f} for {_row(x)} (target {y:g})" for x, y, y_hat in predictions)
    return Step(
        f"{ITERATIONS} iterations of gradient descent",
        f"Each iteration: forward over all four rows, backward from the SSE, then every weight "
        f"moves by -{LEARN_RATE:g} × its gradient (the original's backprop adds "
        f"2 (y - y_hat) sigmoid'(...) to the weights, the same thing written by hand). The loss "
        f"fell at {falls} of the {len(history) - 1} updates, from {history[0]:.3f} to "
        f"{final:.4f}. The predictions, {listed}, converge on the targets without reaching "
        f"them exactly, as the tutorial says. The targets are the table's; the text prints no predictions.",
        numbers=(Number("SSE before training", history[0]), Number("SSE after training", final))
        + tuple(Number(f"y_hat for {_row(x)} (target {y:g})", y_hat) for x, y, y_hat in predictions),
        graph=draw(model(TABLE.X[1])),
        history=tuple(history),
    )


def build():
    return [step_start(), step_train()]
