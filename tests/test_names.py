"""What an unlabelled root is called: L for a loss from nn's loss functions, y for any other output."""
import io
import re

import pytest

from chainrule import Value, draw, engine, quiz, walkthrough
from chainrule.engine.drawing.snapshot import Snapshot, root_name
from chainrule.nn import binary_cross_entropy, cross_entropy, hinge, mse, sse

NODE = re.compile(r'^\tv0 \[label="([^"]*)"', re.M)


def neuron():
    """tanh(w*x + b), the README's example, unlabelled."""
    w, x, b = Value(-2.0, "w", param=True), Value(0.5, "x"), Value(1.5, "b", param=True)
    return (w * x + b).tanh(), w


LOSSES = {  # each of nn's loss functions on the neuron's output p, unlabelled
    "mse": lambda p: mse([p], [0.25]), "sse": lambda p: sse([p, p * 2], [0.25, 0.5]),
    "hinge": lambda p: hinge([p], [1]), "bce": lambda p: binary_cross_entropy([(p + 1) / 2], [1]),
    "bce-from-logits": lambda p: binary_cross_entropy([p], [0], from_logits=True),
    "cross_entropy": lambda p: cross_entropy([p, -p, p * 0.5], 1),
    "cross_entropy-batch": lambda p: cross_entropy([[p, -p], [p * 3, p]], [0, 1]),
}


def quiz_text(root, wrt):
    out = io.StringIO()
    quiz(root, wrt, read=lambda prompt: (_ for _ in ()).throw(EOFError), out=out)
    return out.getvalue()


@pytest.mark.parametrize("name", LOSSES)
def test_issue18_part3_a_loss_from_nn_is_L_in_the_caption_the_drawing_the_steps_and_the_quiz(name, capsys):
    y, w = neuron()
    L = LOSSES[name](y)
    assert L.label == ""  # not labelled: it is called L for what it is
    L.backward()
    drawn = draw(L, highlight=w)
    assert drawn.caption[0].startswith("dL/dw = "), drawn.caption
    assert NODE.search(drawn.source).group(1).lstrip("{").startswith("L|")  # the root's box says L
    walk = walkthrough(L)
    assert walk[0].title.startswith("Forward: L = ") and walk[1].title == f"Backward 1/{len(walk) - 1}: L"
    assert ("dL/dw", w.grad) in walk.grads
    walk.step_through(interactive=False)  # the terminal stepper
    stepped = capsys.readouterr().out
    assert "dL/dw = " in stepped and "dy/" not in stepped
    assert "The chain rule by hand: dL/dw" in quiz_text(L, w)


def test_issue18_part3_a_plain_unlabelled_output_is_still_y_or_its_formula_never_L():
    y, w = neuron()
    y.backward()
    assert "The chain rule by hand: dy/dw" in quiz_text(y, w)
    said = " ".join([*draw(y, highlight=w).caption, *(s.title + s.text for s in walkthrough(y))])
    assert "d(tanh(w*x + b))/dw" in said and "dL" not in said  # a short formula names it, as before
    assert root_name(y) == "y" and Snapshot(y).name(0) == "tanh(w*x + b)"


def test_issue18_part3_the_learners_own_label_wins_and_L_is_never_given_twice():
    y, w = neuron()
    labelled = mse([y], [0.25]).named("MSE")
    labelled.backward()
    assert draw(labelled, highlight=w).caption[0].startswith("dMSE/dw = ")
    assert "dMSE/dw" in quiz_text(labelled, w)
    p, L = Value(0.3, "p"), Value(2.0, "L")  # a leaf already called L: the loss is not called L too
    loss = mse([p * L], [1.0])
    assert root_name(loss, ["p", "L"]) == "y" and Snapshot(loss).name(0, short=True) != "L"


def test_issue18_part3_a_loss_inside_a_larger_expression_is_drawn_as_any_value():
    """xor's L = 0.5 * sse(outputs, targets), labelled L by the demo: one L, the root; the sse inside
    is named by its formula, exactly as the same sum written by hand is."""
    def xor_loss(total):
        o1, o2 = Value(0.77, "o1"), Value(0.25, "o2")
        L = (0.5 * total([o1, o2], [0, 1])).named("L")
        L.backward()
        return draw(L, highlight=o1)

    by_hand = xor_loss(lambda ys, ts: engine.sum([(y - t) ** 2 for y, t in zip(ys, ts)]))
    with_sse = xor_loss(sse)
    assert with_sse.source == by_hand.source and with_sse.caption == by_hand.caption
    assert with_sse.caption[0].startswith("dL/do1 = ")
    y, w = neuron()
    total = hinge([y], [1]) + 1e-4 * engine.dot([w], [w])  # a loss plus a penalty: the root is no Loss
    assert Snapshot(total).name(0, short=True) != "L" and root_name(total) == "y"
