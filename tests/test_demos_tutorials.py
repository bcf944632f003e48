"""The worked examples of the other tutorials (delta, xor, buttons, rabbit, spam, two-layer, descent):
every printed number, out of the engine."""
import math
import time

import pytest

from chainrule.demos import buttons, delta, descent, rabbit, spam, two_layer, xor
from chainrule.demos.catalog import DEMOS as ALL
from chainrule.lessons.steps import Number, Step

NAMES = ("delta", "buttons", "rabbit", "spam", "two-layer", "xor", "descent")
DEMOS = {name: ALL[name] for name in NAMES}
BUILD_SECONDS = {}


@pytest.fixture(scope="module")
def built():
    """Every demo built once: name -> steps."""
    steps = {}
    for name, demo in DEMOS.items():
        start = time.perf_counter()
        steps[name] = demo.build()
        BUILD_SECONDS[name] = time.perf_counter() - start
    return steps


def step_named(steps, start):
    (step,) = [s for s in steps if s.title.startswith(start)]
    return step


def number(step, name):
    (n,) = [n for n in step.numbers if n.name == name]
    return n


def assert_all_printed(step, printed):
    """Each number of the step named in `printed` shows as the tutorial's string there."""
    for name, value in printed.items():
        assert_printed(number(step, name), value)


def assert_printed(n, printed):
    """The engine's value, rounded as the tutorial prints it, is the printed string."""
    assert n.tutorial == printed
    assert n.matches is True, f"{n.name}: engine {n.engine!r} shows as {n.shown}, tutorial {printed}"
    decimals = n.decimals
    assert round(n.engine, decimals) == pytest.approx(float(printed), abs=10 ** -(decimals + 6))


# --- every demo ----------------------------------------------------------------------------------


def test_every_demo_builds_with_steps_numbers_and_graphs(built):
    for name, steps in built.items():
        assert steps, name
        for step in steps:
            assert isinstance(step, Step)
            assert step.title and step.text
            for n in step.numbers:
                assert isinstance(n, Number)
                assert isinstance(n.engine, float) and math.isfinite(n.engine), (name, n)
            assert all(isinstance(h, float) for h in step.history)
        assert sum(step.graph is not None for step in steps) >= len(steps) - 1, name
        for step in steps:
            if step.graph is not None:
                assert step.graph.source.startswith("digraph")


def test_every_printed_number_matches_or_says_why(built):
    for name, steps in built.items():
        for step in steps:
            for n in step.numbers:
                if n.tutorial:
                    assert n.verdict in ("matches", "explained"), f"{name} / {step.title} / {n.name}: {n.shown} vs {n.tutorial}"
    explained = [(name, n.name) for name, steps in built.items() for s in steps for n in s.numbers
                 if n.verdict == "explained"]
    assert explained == [("xor", "(0.77 - 1) × 0.77 × (1 - 0.77), at three decimals")]  # the tutorial's own slip


def test_training_demos_build_quickly(built):
    for name in ("xor", "two-layer", "descent", "buttons", "rabbit"):
        assert BUILD_SECONDS[name] < 3.0, (name, BUILD_SECONDS[name])


# --- delta (seed 000) ----------------------------------------------------------------------------


def test_delta_forward_pass(built):
    steps = built["delta"]
    first = steps[0]
    assert_printed(number(first, "weighted sum z_h1"), "0.22")
    assert_printed(number(first, "h1 = sigmoid(z_h1)"), "0.55")
    net = delta.build_network()
    assert round(net["z_h1"].data, 2) == 0.22
    assert round(net["h1"].data, 2) == 0.55
    assert round(net["h2"].data, 2) == 0.60  # our choice, for "0.47 - 0.60 * 0.24 * 0.3"
    assert round(net["out"].data, 2) == 0.60
    assert_printed(number(steps[1], "out"), "0.60")


def test_delta_error_and_the_tutorials_delta(built):
    steps = built["delta"]
    error = step_named(steps, "The error")
    assert_printed(number(error, "error = out - expected"), "0.60")
    assert_printed(number(error, "dL/dout by backward"), "0.60")
    tutorial = step_named(steps, "The tutorial's delta")
    assert_printed(number(tutorial, "d out / d z_out by backward"), "0.24")
    assert_printed(number(tutorial, "delta = out (1 - out), the tutorial's arithmetic"), "0.24")


def test_delta_exact_gradient_differs_by_the_error_factor(built):
    step = step_named(built["delta"], "The exact gradient")
    exact = number(step, "dL/dz_out by backward")
    assert round(exact.engine, 3) == 0.144
    assert exact.note  # why it differs from the tutorial's 0.24
    net = delta.build_network()
    out = net["out"].data
    assert exact.engine == pytest.approx((out - 0.0) * out * (1 - out), rel=1e-12)


def test_delta_updates(built):
    step = step_named(built["delta"], "Updating the output weights")
    assert_printed(number(step, "v1 by the tutorial's rule"), "0.18")
    assert_printed(number(step, "v2 by the tutorial's rule"), "0.43")
    v1 = number(step, "v1 by gradient descent on L")
    v2 = number(step, "v2 by gradient descent on L")
    assert v1.note
    # gradient descent steps are 0.60 (the error) times the tutorial's
    by_rule = number(step, "v1 by the tutorial's rule").engine
    assert (0.22 - v1.engine) == pytest.approx(0.6 * (0.22 - by_rule), rel=0.01)
    assert 0.18 < v1.engine < 0.22 and 0.43 < v2.engine < 0.47


def test_delta_hidden_error(built):
    step = step_named(built["delta"], "The hidden neuron's error")
    assert_printed(number(step, "hidden error, the tutorial's arithmetic"), "0.04")
    exact = number(step, "dL/dh1 by backward")
    assert exact.note
    assert exact.engine == pytest.approx(0.22 * number(step_named(built["delta"], "The exact gradient"),
                                                       "dL/dz_out by backward").engine)


# --- xor (seed 003) ------------------------------------------------------------------------------


def test_xor_first_neuron(built):
    step = built["xor"][0]
    assert_all_printed(step, {
        "weighted sum": "0.49",
        "plus bias, z_h1": "0.61",
        "h1 = sigmoid(z_h1)": "0.6479",
        "h1, rounded": "0.65",
    })


def test_xor_output_errors_are_gradients(built):
    step = step_named(built["xor"], "The output neurons' errors")
    assert_all_printed(step, {
        "0.77 - 1, the tutorial's arithmetic": "-0.23",
        "(0.77 - 1) × 0.77 × (1 - 0.77), the tutorial's arithmetic": "-0.040733",
        "dL/dz_o1 by backward": "-0.04",
        "dL/dz_o1, three decimals": "-0.040",
        "dL/dz_o2 by backward (our o2)": "0.146",
    })
    _, nodes, _ = xor.worked_example()
    o1 = nodes["o1"].data
    assert round(o1, 2) == 0.77
    # the tutorial's formula is exactly the gradient backward() computes
    assert nodes["z_o1"].grad == pytest.approx((o1 - 1) * o1 * (1 - o1), rel=1e-12)
    o2 = nodes["o2"].data
    assert nodes["z_o2"].grad == pytest.approx((o2 - 0) * o2 * (1 - o2), rel=1e-12)


def test_xor_says_where_the_tutorial_rounds_inconsistently(built):
    step = step_named(built["xor"], "The output neurons' errors")
    slip = number(step, "(0.77 - 1) × 0.77 × (1 - 0.77), at three decimals")
    assert (slip.shown, slip.tutorial, slip.verdict) == ("-0.041", "-0.040", "explained")
    assert "-0.040733 is -0.041" in slip.note
    assert "at three decimals its -0.040733 is -0.041, yet its next step goes on with -0.040" in step.text


def test_xor_hidden_error(built):
    step = step_named(built["xor"], "The hidden neuron's error")
    assert_all_printed(step, {
        "0.37 × -0.040, the tutorial's arithmetic": "-0.0148",
        "0.13 × 0.146, the tutorial's arithmetic": "0.01898",
        "-0.0148 + 0.01898, the tutorial's arithmetic": "0.00418",
        "dL/dh1 by backward": "0.00418",
        "0.00418 × 0.65 × 0.35, the tutorial's arithmetic": "0.00095",
        "dL/dz_h1 by backward": "0.00095",
        "dL/dz_h1, rounded": "0.001",
    })
    model, _, _ = xor.worked_example()
    assert [n.w[0].data for n in model.layers[1].neurons] == [0.37, 0.13]  # the printed weights from h1
    assert [n.w[0].label for n in model.layers[1].neurons] == ["v11", "v21"]


def test_xor_update(built):
    step = step_named(built["xor"], "Updating h1's first weight")
    assert_all_printed(step, {
        "w11 with the rounded error, the tutorial's arithmetic": "0.4599",
        "b1 with the rounded error, the tutorial's arithmetic": "0.1199",
        "w11 by hand, at two decimals": "0.46",  # "0.4599 =~ 0.46"
        "b1 by hand, at two decimals": "0.12",
        "w11 - 0.1 × dL/dw11": "0.4599",
        "b1 - 0.1 × dL/db1": "0.1199",
    })
    assert number(step, "w11 - 0.1 × dL/dw11").engine != number(
        step, "w11 with the rounded error, the tutorial's arithmetic").engine


def test_xor_trains_to_every_row_right(built):
    step = step_named(built["xor"], "Training")
    assert number(step, "accuracy").engine == 1.0
    assert len(step.history) == xor.TRAIN_EPOCHS
    assert step.history[-1] < step.history[0] / 10
    model, _ = xor.train()
    assert xor.accuracy(model) == 1.0
    assert [said for _, said, _ in xor.predictions(model)] == [0, 1, 1, 0]
    assert all(p.grad == 0.0 for p in model.parameters())  # nothing left over to draw


# --- buttons, rabbit, spam, two-layer ------------------------------------------------------------


def test_buttons_six_trials_by_the_tutorials_rule(built):
    results, neuron = buttons.trials_by_rule()
    assert [w.data for w in neuron.w] == [0.0, 0.0, pytest.approx(1.2), 0.0]  # only the pressed button's
    assert [f"{o:.2f}" for o, _ in results] == ["0.00", "0.20", "0.40", "0.60", "0.80", "1.00"]
    assert [f"{e:.2f}" for _, e in results] == ["1.00", "0.80", "0.60", "0.40", "0.20", "0.00"]
    step = step_named(built["buttons"], "Six trials of \"add")
    for t, (printed_output, printed_error) in enumerate(zip(buttons.OUTPUTS, buttons.ERRORS), 1):
        assert_printed(number(step, f"trial {t}: output"), printed_output)
        assert_printed(number(step, f"trial {t}: error"), printed_error)
    start = built["buttons"][0]
    assert_printed(number(start, "output"), "0.00")
    assert_printed(number(start, "error = desired - output"), "1")


def test_buttons_gradient_descent_steps_shrink(built):
    step = step_named(built["buttons"], "What gradient descent asks for")
    assert [number(step, f"dL/dw{i}").engine for i in (1, 2, 3, 4)] == [0.0, 0.0, -1.0, 0.0]
    assert_printed(number(step, "w3 after one gradient step"), "0.20")
    outputs = [o for o, _ in buttons.trials_by_gradient()]
    assert outputs[:2] == pytest.approx([0.0, 0.2])
    steps = [b - a for a, b in zip(outputs, outputs[1:])]
    assert all(later < earlier for earlier, later in zip(steps, steps[1:]))
    assert all(o < 1.0 for o in outputs)
    assert round(outputs[-1], 2) == 0.67
    descent_step = step_named(built["buttons"], "Six trials of gradient descent")
    assert number(descent_step, "trial 7 with the tutorial's rule: output").engine == pytest.approx(1.2)
    assert "push the output to 1.20" in descent_step.text


def test_rabbit_blinks_at_the_sound_after_trial_four(built):
    blinks = [f"the rabbit blinks (threshold" in step_named(built["rabbit"], f"Trial {trial}:").text
              for trial in range(1, 5)]
    assert blinks == [False, False, False, True]  # at the sound alone, after each paired trial
    assert [f"{w:.2f}" for w in rabbit.sound_weights_by_rule()] == ["0.30", "0.60", "0.90", "1.20"]
    for trial, ours in enumerate(rabbit.sound_weights_by_rule(), 1):
        step = step_named(built["rabbit"], f"Trial {trial}:")
        alone, weight = number(step, "sum for the sound alone"), number(step, "w_sound")
        assert alone.engine == pytest.approx(ours) and alone.tutorial == ""  # the text prints no sums
        # the text prints the step 0.30 only: after trial 1 the weight is that step; later ones are ours
        assert weight.tutorial == ("0.30" if trial == 1 else "") and weight.engine == pytest.approx(ours)
        assert ("this weight is ours" in step.text) == (trial > 1)
        assert ("for the first time, the rabbit blinks" in step.text) == (trial == 4)
    start = built["rabbit"][0]
    assert_printed(number(start, "sum for a puff alone"), "1")
    assert_printed(number(start, "sum for a sound alone"), "0")


def test_rabbit_by_gradient_descent(built):
    step = step_named(built["rabbit"], "The same start, by gradient descent")
    assert number(step, "dL/dw_sound on a paired trial, w_sound = 0").engine == 0.0
    assert number(step, "dL/dw_sound on a paired trial, w_sound = 0.30").engine == pytest.approx(0.3)
    assert_printed(number(step, "w_sound after trial 1"), "0.30")
    weights, losses = rabbit.sound_weights_by_gradient(12)
    assert weights[:2] == pytest.approx([0.3, 0.51])  # 0.3 + 0.3 × (1 - 0.3)
    assert all(b < a for a, b in zip(losses, losses[1:]))
    assert all(w < rabbit.THRESHOLD for w in weights)  # approaches the threshold from below


def test_spam_neuron(built):
    step = built["spam"][0]
    assert_printed(number(step, "z = 7 × 1 + 3 × 1 - 5"), "5")
    assert_printed(number(step, "sigmoid(5), rounded"), "1")
    assert round(number(step, "sigmoid(5)").engine, 4) == 0.9933
    _, z, out = spam.spam_neuron()
    assert z.data == 5.0 and round(out.data, 4) == 0.9933 and round(out.data) == 1


def test_two_layer_loss_falls_every_iteration_and_predictions_converge(built):
    model, history = two_layer.train()
    assert len(history) == two_layer.ITERATIONS
    assert all(after < before for before, after in zip(history, history[1:]))
    for x, y in two_layer.TABLE:
        assert abs(model(x).data - y) < 0.1
    step = step_named(built["two-layer"], "1500 iterations")
    assert len(step.history) == two_layer.ITERATIONS + 1
    assert all(after < before for before, after in zip(step.history, step.history[1:]))
    for x, y in two_layer.TABLE:
        row = f"[{', '.join(f'{v:g}' for v in x)}]"
        prediction = number(step, f"y_hat for {row} (target {y:g})")
        assert prediction.tutorial == ""  # the targets are the table's: the text prints no predictions
        assert f"{prediction.engine:.4f} for {row} (target {y:g})" in step.text  # shown to 4 digits
    assert not any(n.tutorial for s in built["two-layer"] for n in s.numbers)


def test_two_layer_is_james_loys_network_built_with_nn():
    model = two_layer.two_layer()
    assert repr(model) == "MLP(3, [4, 1], activation='sigmoid', out_activation='sigmoid', biases=False)"
    assert len(model.parameters()) == 3 * 4 + 4 and model.parameters()[-1].label == "weights2[3]"


# --- descent (seed 004) --------------------------------------------------------------------------


def test_descent_slope_by_backward(built):
    step = built["descent"][0]
    assert number(step, "J(w)").engine == 10.0
    assert number(step, "dJ/dw by backward").engine == -6.0


def test_descent_three_regimes(built):
    good_w, good_j = descent.descend(descent.GOOD_LR)
    assert abs(good_w[-1] - descent.MINIMUM) < descent.CLOSE
    assert all(b < a for a, b in zip(good_j, good_j[1:]))

    small_w, small_j = descent.descend(descent.SMALL_LR)
    assert all(b < a for a, b in zip(small_j, small_j[1:]))  # right way ...
    assert abs(small_w[-1] - descent.MINIMUM) > 2.0  # ... but crawling
    assert descent.steps_to_minimum(descent.SMALL_LR) > 10 * descent.steps_to_minimum(descent.GOOD_LR)

    large_w, large_j = descent.descend(descent.LARGE_LR)
    assert all(b > a for a, b in zip(large_j, large_j[1:]))  # J grows every step
    distances = [abs(w - descent.MINIMUM) for w in large_w]
    assert all(b > a for a, b in zip(distances, distances[1:]))
    assert descent.steps_to_minimum(descent.LARGE_LR, limit=200) is None

    titles = [s.title for s in built["descent"]]
    assert any("converge" in t or "good" in t for t in titles)
    assert any("crawls" in t for t in titles) and any("diverges" in t for t in titles)
