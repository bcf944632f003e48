"""Fidelity and wording of the tutorial demos (issue 18, part 5): the prose says what is true, its
numbers come from the engine, and the score counts apart what was chosen to fit."""
import ast
import inspect
import re

import pytest

from chainrule.demos import buttons, delta, descent, gender, rabbit, spam, two_layer, xor
from chainrule.demos.catalog import DEMOS
from chainrule.lessons.steps import Number, Step
from chainrule.engine.formula import number as fmt
from chainrule.lessons.text import agreement

MODULES = (rabbit, xor, gender, descent, delta, two_layer, buttons, spam)


@pytest.fixture(scope="module")
def built():
    return {module.__name__.rsplit(".", 1)[1]: module.build() for module in MODULES}


def step_named(steps, start):
    (step,) = [s for s in steps if s.title.startswith(start)]
    return step


def number(step, name):
    (n,) = [n for n in step.numbers if n.name == name]
    return n


def words(text):
    return " ".join(text.split())


# --- the prose's numbers come from the engine ------------------------------------------------------

# A decimal, or an integer above 2, standing alone (not part of a name like w13, nor a power ^3);
# 0, 1 and 2 are let through as the constants of formulas (1/2 (1 - out)^2, -2(1 - y_pred)).
TYPED_NUMBER = re.compile(r"(?<![\w.^])(\d+\.\d+|\d*[3-9]\d*|\d{2,})(?!\w)")
QUOTED = re.compile(r'"[^"]*"')  # the tutorial's own words, quoted as it wrote them


def _literal_parts(node, constants, seen=()):
    """The string pieces typed into a Step's title or text: constants and the fixed parts of
    f-strings, following names of module-level constants (NAMES = "...")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        yield from (v.value for v in node.values if isinstance(v, ast.Constant))
    elif isinstance(node, ast.BinOp):
        yield from _literal_parts(node.left, constants, seen)
        yield from _literal_parts(node.right, constants, seen)
    elif isinstance(node, ast.IfExp):
        yield from _literal_parts(node.body, constants, seen)
        yield from _literal_parts(node.orelse, constants, seen)
    elif isinstance(node, ast.Name) and node.id in constants and node.id not in seen:
        yield from _literal_parts(constants[node.id], constants, seen + (node.id,))


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_step_prose_types_no_number_it_could_take_from_the_engine(module):
    tree = ast.parse(inspect.getsource(module))
    constants = {n.targets[0].id: n.value for n in tree.body
                 if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)}
    typed = []
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Step":
            prose = call.args[:2] + [k.value for k in call.keywords if k.arg in ("title", "text")]
            for node in prose:
                for piece in _literal_parts(node, constants):
                    typed += [(call.lineno, found) for found in TYPED_NUMBER.findall(QUOTED.sub("", piece))]
    assert typed == []


def test_the_typed_number_check_catches_what_it_is_for():
    for caught in ("output 0.60", "0.46 × 1", "1000 epochs", "learning rate 0.1", "J = 346"):
        assert TYPED_NUMBER.search(caught), caught
    for passed in ("1/2 (out - 0)^2", "dL/dw13", "x1 = -2", "weights2[0]", "(1 - sigmoid(z))", "w3"):
        assert not TYPED_NUMBER.search(passed), passed


def test_delta_prose_follows_the_engines_numbers(monkeypatch):
    monkeypatch.setattr(delta, "W_H1", (0.5, 0.18, -0.21))  # another first weight: every figure moves
    first = delta.step_hidden_neuron()
    z = number(first, "weighted sum z_h1")
    assert "1 × 0.5 + 0 × 0.18 + 1 × -0.21 = 0.29" in first.text and z.shown == "0.29"
    assert f"sigmoid(0.29) = {number(first, 'h1 = sigmoid(z_h1)').shown}" in first.text
    output = delta.step_network_output()
    out = number(output, "out")
    assert output.title == f"The whole network: output {out.shown}" and "w1, w2, w3 = 0.5, 0.18, -0.21" in output.text


def test_xor_prose_follows_the_engines_numbers(monkeypatch):
    monkeypatch.setattr(xor, "HIDDEN", (((0.5, 0.03), 0.12),) + xor.HIDDEN[1:])
    first = xor.step_first_neuron()
    assert "0.5 × 1 + 0.03 × 1 = 0.53; 0.53 + 0.12 = 0.65;" in first.text
    assert f"sigmoid(0.65) = {number(first, 'h1 = sigmoid(z_h1)').shown}" in first.text
    monkeypatch.setattr(xor, "LR", 0.2)
    update = xor.step_update()
    assert update.title.endswith("learning rate 0.2") and "0.5 - 0.001 × 0.2 × 1 = 0.4998" in update.text


def test_descent_first_step_prose_follows_the_cost(monkeypatch):
    monkeypatch.setattr(descent, "MINIMUM", 4.0)
    step = descent.step_cost()
    assert "J(w) = (w - 4)^2 + 1, lowest (J = 1) at w = 4" in step.text
    assert f"dJ/dw there: {fmt(number(step, 'dJ/dw by backward').engine)}." in step.text  # -8


# --- what the prose says is true -----------------------------------------------------------------------

def test_rabbit_says_the_weight_is_plain_arithmetic_not_the_engine(built):
    assert all(type(w) is float for w in rabbit.sound_weights_by_rule())  # plain floats, added up
    for trial in (2, 3, 4):
        text = step_named(built["rabbit"], f"Trial {trial}:").text
        assert "added up by the engine" not in text
        assert f"the step added once per trial, {trial} times (plain arithmetic on the weight" in text


def test_rabbit_the_paired_gradient_is_zero_only_at_the_start(built):
    step = step_named(built["rabbit"], "The same start, by gradient descent")
    at_start = number(step, "dL/dw_sound on a paired trial, w_sound = 0")
    later = number(step, "dL/dw_sound on a paired trial, w_sound = 0.30")
    assert at_start.engine == 0.0 and later.engine == pytest.approx(rabbit.SOUND_STEP)
    paired, _ = rabbit.rabbit(rabbit.SOUND_STEP, puff=1.0, sound=1.0)
    text = words(step.text)
    assert f"the paired sum is {paired.data:.2f}, past the blink, and the gradient is {later.engine:+.2f}" in text
    assert "with w_sound = 0, the puff brings the sum to 1" in text


def test_xor_says_only_what_is_known_of_the_tutorials_minus_0_040(built):
    step = step_named(built["xor"], "The output neurons' errors")
    text = words(step.text)
    assert "which is what an unrounded o1 gives" not in text
    low, high = xor.o1_range("-0.040")
    for o1, inside in ((low + 1e-9, True), (high - 1e-9, True), (low - 1e-4, False), (high + 1e-4, False)):
        error = (o1 - 1) * o1 * (1 - o1)
        assert (f"{error:.3f}" == "-0.040") == inside, o1
    assert round(low, 4) == 0.7708 and round(high, 4) == 0.7741
    assert f"-0.040 is -0.040733 cut off rather than rounded, and it is also the error of any o1 from " \
           f"{low:.4f} to {high:.4f}" in text
    assert int(-0.040733 * 1000) / 1000 == -0.040  # "cut off" is so
    slip = number(step, "(0.77 - 1) × 0.77 × (1 - 0.77), at three decimals")
    assert "the text does not say which" in slip.note and "a little above" not in slip.note


def test_gender_last_step_says_which_gradient_the_drawing_shows(built):
    step = built["gender"][-1]
    assert step.title == "Stochastic gradient descent: one step"
    used = number(step, "dL/dw1 before the step (the one it uses)").engine
    drawn = number(step, "dL/dw1 after the step (drawn)").engine
    assert fmt(used) == "0.02147" and fmt(drawn) == "0.02131"  # the two the issue saw side by side
    assert step.graph.caption[0].endswith(f"= {fmt(drawn)}")  # the drawing's chain rule is the later one
    text = words(step.text)
    assert f"dL/dw1 = {fmt(drawn)} is the next step's gradient; this step used {fmt(used)}" in text
    _, _, _, _, _, L = gender.alice_network()
    assert f"{fmt(L.data)} to" in text


def test_descent_says_descent_goes_against_the_gradient(built):
    text = words(built["descent"][0].text)
    assert "against the slope" in text and '"in the direction of the gradient"; that would climb the bowl' in text


def test_descent_follows_the_articles_real_title():
    tutorial = DEMOS["descent"].tutorial
    slug = re.sub(r"[^a-z0-9]+", "-", tutorial.title.lower()).strip("-")
    assert tutorial.link.startswith(f"https://hackernoon.com/{slug}-")  # the title its link spells out
    assert tutorial.title == "DL01: Writing a Neural Network from Scratch (Theory)"


def test_delta_shows_sigmoid_of_zero_and_names_its_weights(built):
    steps = built["delta"]
    first = steps[0]
    half = number(first, "sigmoid(0)")
    assert half.tutorial == "0.5" and half.engine == 0.5 and half.verdict == "matches"
    assert "sigmoid(0) = 0.5 (the tutorial's \"0 1 0,5 0\")" in first.text
    for title in ("Updating the output weights", "The hidden neuron's error"):
        text = step_named(steps, title).text
        for defined in ("h1's weights from them are w1, w2, w3", "h2's are u1, u2, u3",
                        "v1 and v2 are the output neuron's weights from h1 and from h2"):
            assert defined in text, (title, defined)


def test_two_layer_uses_james_loys_names(built):
    model = two_layer.two_layer()
    hidden, output = model.layers
    assert [[w.label for w in unit.w] for unit in hidden.neurons][1] == ["weights1[0][1]", "weights1[1][1]",
                                                                         "weights1[2][1]"]
    assert [w.label for w in output.neurons[0].w] == [f"weights2[{j}]" for j in range(4)]
    shown = " ".join(s.text + s.title + " ".join(n.name for n in s.numbers) for s in built["two_layer"])
    assert "weights2[0]" in shown and not re.search(r"\bw1[0-6]\b", shown)
    first = built["two_layer"][0]
    assert "w13" not in first.graph.source and "weights2[0]" in first.graph.source


def test_buttons_says_over_training_and_quotes_retraining_only_as_the_translation(built):
    text = words(step_named(built["buttons"], "Six trials of gradient descent").text)
    assert "the over-training its closing caution warns about" in text
    assert text.count("retraining") == 1 and '(in the translation, "retraining effects' in text


# --- the score counts apart what was chosen to fit --------------------------------------------------

FITTED = {  # (demo, step title's start, number): the values the issue names, chosen so that they match
    ("delta", "The whole network", "h2 (weights chosen by us)"),
    ("delta", "The whole network", "out"),
    ("delta", "Updating the output weights", "v1 by the tutorial's rule"),
    ("delta", "Updating the output weights", "v2 by the tutorial's rule"),
    ("xor", "The completed forward pass", "o1, target 1"),
    ("xor", "The output neurons' errors", "dL/dz_o2 by backward (our o2)"),
    ("xor", "The hidden neuron's error", "dL/dh1 by backward"),
    ("spam", "A spam-filter neuron", "z = 7 × 1 + 3 × 1 - 5"),
    ("rabbit", "Trial 1:", "w_sound"),
    ("rabbit", "The same start, by gradient descent", "w_sound after trial 1"),
}


def test_the_values_chosen_to_fit_are_marked_so(built):
    for name, title, label in FITTED:
        n = number(step_named(built[name], title), label)
        assert n.fitted and n.matches and n.verdict == "matches", (name, label)
        assert n.note.startswith("chosen to fit the tutorial's figure: "), (name, label)


def test_the_tutorials_own_arithmetic_redone_is_a_reproduction(built):
    for name, title, label in (("delta", "The tutorial's delta", "delta = out (1 - out), the tutorial's arithmetic"),
                               ("delta", "Updating the output weights", "0.22 - 0.55 × 0.24 × 0.3, the tutorial's arithmetic"),
                               ("delta", "The hidden neuron's error", "hidden error, the tutorial's arithmetic"),
                               ("xor", "The hidden neuron's error", "-0.0148 + 0.01898, the tutorial's arithmetic"),
                               ("xor", "Forward pass: the first hidden neuron", "h1 = sigmoid(z_h1)")):
        n = number(step_named(built[name], title), label)
        assert n.matches and not n.fitted, (name, label)


def test_every_fitted_number_matches_and_says_what_was_chosen(built):
    for name, steps in built.items():
        for step in steps:
            for n in step.numbers:
                if n.fitted:
                    assert n.tutorial and n.matches, (name, n)
                    assert n.note.startswith("chosen to fit the tutorial's figure: ") and len(n.note) > 40, (name, n)


def test_the_score_counts_fitted_numbers_apart(built):
    for name, steps in built.items():
        printed = [n for s in steps for n in s.numbers if n.tutorial]
        if not printed:  # descent: the tutorial prints none
            assert agreement(steps) == "the tutorial prints no numbers here; the steps show the engine's"
            continue
        fitted = [n for n in printed if n.fitted]
        rest = [n for n in printed if not n.fitted]
        score = agreement(steps)
        assert score.startswith(f"{sum(n.verdict == 'matches' for n in rest)}/{len(rest)} tutorial numbers match"), \
            (name, score)
        assert ("chosen to fit the tutorial's figure" in score) == bool(fitted), (name, score)
        if fitted:
            assert score.endswith(f"; {len(fitted)} more {'was' if len(fitted) == 1 else 'were'} chosen to fit "
                                  "the tutorial's figure"), (name, score)
    assert agreement(built["xor"]).startswith("15/16 tutorial numbers match, 1 differs on purpose")


def test_agreement_on_made_up_steps():
    fit = Number.chosen_to_fit("h2", 0.6004, "0.60", "we chose h2's weights")
    missed = Number.chosen_to_fit("h3", 0.71, "0.60", "we chose h3's weights")
    plain, note = Number("a", 0.5, "0.5"), Number("b", 0.56, "0.5", note="rounded differently")
    assert fit.verdict == "matches" and missed.verdict == "differs"  # a fit that misses is a bug, not a note
    steps = [Step("s", "t", (fit, plain, note, Number("c", 3.0)))]
    assert agreement(steps) == ("1/2 tutorial numbers match, 1 differs on purpose (see the notes); "
                                "1 more was chosen to fit the tutorial's figure")
    assert agreement([Step("s", "t", (fit, missed))]) == (
        "0/1 tutorial numbers match, 1 DIFFERS without a note; 1 more was chosen to fit the tutorial's figure")
    assert agreement([Step("s", "t", (fit,))]) == "the 1 tutorial number here agrees because the demo chose values to fit it"
    assert agreement([Step("s", "t", (Number("c", 3.0),))]) == "the tutorial prints no numbers here; the steps show the engine's"
