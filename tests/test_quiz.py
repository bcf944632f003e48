"""The chain-rule quiz (`chainrule quiz`, `quiz(root, wrt=w)`) fed answers through stdin, and the worksheet."""
import base64
import hashlib
import io
import json
import math
import re
import sys
from decimal import Decimal
from html.parser import HTMLParser

import pytest

import chainrule
from chainrule import Value
from chainrule import cli
from chainrule.engine.expression import parse_expression as parse
from chainrule.lessons.quiz import Chain, quiz
from chainrule.lessons.worksheet import CSS, worksheet
from chainrule.engine import PRIMITIVES

NEURON = ["tanh(w*x + b)", "x=0.5", "w=-2", "b=1.5"]  # u2 = 0.5: tanh' = 0.786448
TWO_PATHS = ["tanh(w*x + b) * w", "x=0.5", "w=-2", "b=1.5"]  # y = u3*w: w reaches y directly and through tanh
GENDER = ["L = (1 - sigmoid(w5*sigmoid(w1*x1 + w2*x2 + b1) + w6*sigmoid(w3*x1 + w4*x2 + b2) + b3))**2",
          "x1=-2", "x2=-1", "w1=1", "w2=1", "w3=1", "w4=1", "w5=1", "w6=1", "b1=0", "b2=0", "b3=0"]


def run_quiz(monkeypatch, capsys, argv, answers):
    """`chainrule quiz ARGV --wrt w` with the answers on stdin, one a line; (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{a}\n" for a in answers)))
    code = cli.main(["quiz", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def exact(argv, wrt):
    """The engine's d out / d wrt for the expression on a command line, by plain backward()."""
    out, leaves = parse(argv[0], {k: float(v) for k, v in (a.split("=") for a in argv[1:])})
    out.backward()
    return leaves[wrt].grad


def verdicts(out):
    """The lines that judge an answer: '✓ right ...' or '✗ not ...' (wrapped lines joined)."""
    lines, judged = out.splitlines(), []
    for k, line in enumerate(lines):
        if line.strip().startswith(("✓", "✗")):
            text, indent = line.strip(), " " * (len(line) - len(line.lstrip()) + 2)
            for more in lines[k + 1:]:
                if not more.startswith(indent):
                    break
                text += " " + more.strip()
            judged.append(text)
    return judged


def test_right_answers_all_the_way(monkeypatch, capsys):
    total = exact(NEURON, "w")
    assert total == pytest.approx(0.5 * (1 - math.tanh(-0.5) ** 2))
    code, out, err = run_quiz(monkeypatch, capsys, NEURON + ["--wrt", "w"], ["0.786", "1", "0.5", "0.3932"])
    assert code == 0 and err == ""
    forward = ["  x = 0.5, w = -2, b = 1.5", "  u1 = w*x      = -1", "  u2 = u1 + b   = 0.5", "  y  = tanh(u2) = 0.462117"]
    assert "\n".join(forward) in out
    assert "Path 1 of 1: y ← u2 ← u1 ← w" in out
    for asked in ["∂y/∂u2 = ? 0.786", "∂u2/∂u1 = ? 1", "∂u1/∂w = ? 0.5", "dy/dw = ? 0.3932"]:
        assert asked in out  # the answers from a pipe are echoed after their prompts
    assert verdicts(out) == [f"✓ right (the engine: {v})" for v in ("0.78644773", "1", "0.5", "0.39322387")]
    assert out.rstrip().splitlines()[-1] == "4 of 4 right at the first try. dy/dw = 0.39322387, as backward() gives it."


@pytest.mark.parametrize("answer, right", [
    ("0.79", True), ("0.786", True), ("0.7864", True), ("0.78645", True), ("7.86e-1", True), ("−0.79", False),
    ("0.7865", False), ("0.78", False), ("0.786448", True), ("0.7864477", True), ("0.7864478", False),
])
def test_an_answer_is_checked_at_the_precision_typed(monkeypatch, capsys, answer, right):
    code, out, _ = run_quiz(monkeypatch, capsys, NEURON + ["--wrt", "w"], [answer])
    assert code == 1  # stopped after the first question: no more input
    assert verdicts(out)[0].startswith("✓ right" if right else f"✗ not {answer.replace('−', '-')}")


def test_too_few_digits_is_asked_again_without_costing_a_try(monkeypatch, capsys):
    _, out, _ = run_quiz(monkeypatch, capsys, NEURON + ["--wrt", "w"], ["1", "0.8", "0.79"])
    assert "1 is too coarse to check: give at least two significant digits" in out
    assert "0.8 is too coarse to check" in out
    assert verdicts(out) == ["✓ right (the engine: 0.78644773)"]
    assert "Stopped. 1 of 1 right at the first try." in out  # the coarse answers cost nothing


def test_what_is_not_a_number_is_asked_again_with_a_hint(monkeypatch, capsys):
    code, out, err = run_quiz(monkeypatch, capsys, NEURON + ["--wrt", "w"], ["abc", "0,786", "", "1/0", "nan", "0.786"])
    assert err == "" and "Traceback" not in out
    assert out.count("type a number, such as 0.25, -2, 1.5e-3 or 1/4 (Ctrl-D stops the quiz)") == 4
    assert "write the decimal point as a point: 0.786 (Ctrl-D stops the quiz)" in out
    assert verdicts(out) == ["✓ right (the engine: 0.78644773)"]


def test_a_wrong_local_derivative_names_the_factor_and_shows_the_tables_rule(monkeypatch, capsys):
    _, out, _ = run_quiz(monkeypatch, capsys, NEURON + ["--wrt", "w"], ["0.46", "0.6", "1", "-2", "2"])
    first, second, right, third, fourth = verdicts(out)
    tanh = "The table's rule for tanh: ∂y/∂u2 = 1 - tanh(u2)^2, with u2 = 0.5."  # the quiz's names, not a and b
    assert first == f"✗ not 0.46. That is the value of y, not the derivative. {tanh}" and "∂y/∂u2 = ? 0.46" in out
    assert second == f"✗ not 0.6. {tanh}" and "try again: ∂y/∂u2 = ? 0.6" in out
    assert "The answer is 0.786448." in out  # after two tries
    assert right == "✓ right (the engine: 1)"
    assert third == ("✗ not -2. That is the value of w, not the derivative. The table's rule for mul: "
                     "∂u1/∂w = x, with x = 0.5.")
    assert fourth == "✗ not 2. The table's rule for mul: ∂u1/∂w = x, with x = 0.5."


def test_issue18_part3_the_rule_is_written_in_the_learners_own_names(monkeypatch, capsys):
    """It was 'with a = u1 = 6, b = 1; here you want d/da' beside the learner's own a and b."""
    _, out, _ = run_quiz(monkeypatch, capsys, ["2*a + b", "a=3", "b=1", "--wrt", "a"], ["0", "1", "0", "2"])
    add, times = verdicts(out)[0], verdicts(out)[2]
    assert add.endswith("The table's rule for add: ∂y/∂u1 = 1.")
    assert times.endswith("The table's rule for mul: ∂u1/∂a = 2.")  # the constant 2 is its own number
    assert "d/da" not in out and "d/db" not in out

# y = u3*w with u3 = tanh(u2), u2 = u1 + b, u1 = w*x. Path 1: ∂y/∂u3 = w = -2, ∂u3/∂u2 = 1 - tanh(0.5)^2,
# ∂u2/∂u1 = 1, ∂u1/∂w = x = 0.5; path 2: ∂y/∂w = u3 = tanh(0.5).
TANH_D = 1 - math.tanh(0.5) ** 2
PATH_1 = ["-2", repr(TANH_D), "1", "0.5"]
PATH_2 = [repr(math.tanh(0.5))]
PRODUCT_1 = -2 * TANH_D * 0.5
TOTAL = PRODUCT_1 + math.tanh(0.5)


def test_the_two_paths_add_up_to_backwards_grad():
    assert exact(TWO_PATHS, "w") == pytest.approx(TOTAL)


def test_a_path_left_out_of_the_sum(monkeypatch, capsys):
    answers = [*PATH_1, repr(PRODUCT_1), *PATH_2, f"{PRODUCT_1:.4f}"]
    code, out, _ = run_quiz(monkeypatch, capsys, TWO_PATHS + ["--wrt", "w"], answers)
    assert "Path 1 of 2: y ← u3 ← u2 ← u1 ← w" in out and "Path 2 of 2: y ← w" in out
    assert "7. the sum over the 2 paths\n" in out
    assert verdicts(out)[-1] == (f"✗ not {PRODUCT_1:.4f}. That leaves out path 2, y ← w. When w reaches y along "
                                 "several paths, the derivative is the sum over all of them.")
    assert code == 1


def test_an_activations_derivative_left_out(monkeypatch, capsys):
    _, out, _ = run_quiz(monkeypatch, capsys, TWO_PATHS + ["--wrt", "w"], [*PATH_1, "-1.0"])  # -2 x 0.5 x 1
    missing = ("The derivative of tanh is missing: ∂u3/∂u2 = 0.786448 belongs in the product (tanh: "
               f"{PRIMITIVES['tanh'].rule}).")
    assert verdicts(out)[-1] == f"✗ not -1.0. {missing}"
    total_without = -1.0 + math.tanh(0.5)
    answers = [*PATH_1, repr(PRODUCT_1), *PATH_2, f"{total_without:.4f}"]  # the total, tanh's factor left out
    _, out, _ = run_quiz(monkeypatch, capsys, TWO_PATHS + ["--wrt", "w"], answers)
    assert verdicts(out)[-1] == f"✗ not {total_without:.4f}. {missing}"


def test_a_wrong_sign(monkeypatch, capsys):
    answers = [*PATH_1, repr(PRODUCT_1), *PATH_2, f"{-TOTAL:.4f}", f"{TOTAL:.4f}"]
    code, out, _ = run_quiz(monkeypatch, capsys, TWO_PATHS + ["--wrt", "w"], answers)
    assert verdicts(out)[-2:] == [f"✗ not {-TOTAL:.4f}. The size is right but the sign is not: count the negative "
                                  "factors again.", f"✓ right (the engine: {TOTAL:.8g})"]
    assert code == 0 and "6 of 7 right at the first try" in out


def test_rounding_as_you_go_the_gender_tutorials_slip(monkeypatch, capsys):
    """The tutorial multiplies rounded factors and prints dL/dw1 = 0.0214; the exact value is 0.02147."""
    factors = ["0.95", "-1", "0.25", "1", "1", "1", "0.045", "1", "1", "-2"]  # each right at the digits typed
    code, out, _ = run_quiz(monkeypatch, capsys, GENDER + ["--wrt", "w1"], [*factors, "0.0214", "0.02147"])
    judged = verdicts(out)
    assert judged[:10] == [j for j in judged[:10] if j.startswith("✓ right")]
    assert judged[10] == ("✗ not 0.0214. Your factors are right, but multiplying them rounded gives 0.0214; the "
                          "unrounded product is 0.0214695. Carry more digits and round only at the end.")
    assert judged[11] == "✓ right (the engine: 0.021469535)"
    assert exact(GENDER, "w1") == pytest.approx(0.021469535)
    assert code == 0 and "10 of 11 right at the first try" in out


def test_ctrl_d_and_ctrl_c_stop_cleanly(monkeypatch, capsys):
    code, out, err = run_quiz(monkeypatch, capsys, NEURON + ["--wrt", "w"], ["0.786"])
    assert code == 1 and err == "" and out.rstrip().endswith("Stopped. 1 of 1 right at the first try.")
    x, w = Value(0.5, "x"), Value(-2.0, "w")
    y = (w * x).tanh()

    def interrupted(prompt):
        raise KeyboardInterrupt

    score = quiz(y, w, read=interrupted, out=io.StringIO())
    assert (score.finished, score.asked) == (False, 0)


@pytest.mark.parametrize("argv, message", [
    (NEURON + ["--wrt", "q"], "chainrule quiz: --wrt q: no such name in the expression (its names: w, x, b)"),
    (NEURON[:-1] + ["--wrt", "w"], "chainrule quiz: b has no value"),
    (["sqrt(w)", "w=0", "--wrt", "w"], "the derivative of sqrt(0.0) is not finite"),
    (["w*w*w*w*w*w*w", "w=1", "--wrt", "w"], "the output reaches w along 7 paths; the quiz walks at most 6"),
    (["w*w*w", "w=1", "--wrt", "w", "--max-paths", "2"], "the output reaches w along 3 paths; the quiz walks at most 2 "
                                                         "(max_paths=N in Python, --max-paths N on the command line"),
])
def test_mistakes_are_one_message_and_exit_code_2(monkeypatch, capsys, argv, message):
    code, out, err = run_quiz(monkeypatch, capsys, argv, [])
    assert code == 2 and out == "" and message in err.splitlines()[0] and "Traceback" not in err


def test_more_paths_when_asked_for(monkeypatch, capsys):
    code, out, _ = run_quiz(monkeypatch, capsys, ["w*w*w*w*w*w*w", "w=1", "--wrt", "w", "--max-paths", "7"], [])
    assert code == 1 and "y depends on w along 7 paths" in out


def test_a_closed_stdin_is_a_mistake_not_a_traceback(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", None)
    assert cli.main(["quiz", *NEURON, "--wrt", "w"]) == 2
    closed = "chainrule quiz: the quiz reads your answers from standard input, which is closed\n"
    assert capsys.readouterr().err == closed


def test_wrt_is_a_value_of_the_graph_or_the_label_of_exactly_one_as_draw_takes_highlight():
    x, w = Value(2.0, "x"), Value(3.0, "w", param=True)
    y = x * w + Value(1.0, "x")  # two values labelled x
    assert Chain(y, "w").wrt is w and Chain(y, x).wrt is x
    with pytest.raises(ValueError, match="wrt='x': 2 values in this graph"):
        Chain(y, "x")
    with pytest.raises(ValueError, match="wrt='q': no value in this graph has that label"):
        Chain(y, "q")
    with pytest.raises(ValueError, match="is not part of the graph of the output"):
        Chain(y, Value(1.0, "stranger"))


def test_in_python_quiz_is_exported_and_sets_the_grads_afresh():
    assert chainrule.quiz is quiz and "quiz" in chainrule.__all__
    x, w = Value(2.0, "x"), Value(3.0, "w", param=True)
    y = (x * w + x).named("y")  # two paths to x
    y.backward()
    y.backward()  # grads accumulated twice
    answers = iter(["1", "3", "3", "1", "4"])  # path 1: ∂y/∂u1, ∂u1/∂x, their product; path 2: ∂y/∂x; dy/dx
    out = io.StringIO()
    score = quiz(y, wrt="x", read=lambda prompt: next(answers), out=out)
    assert (score.right, score.asked, score.finished) == (5, 5, True)
    assert (x.grad, w.grad, y.grad) == (4.0, 2.0, 1.0)  # one backward's grads, as the walkthrough leaves them
    assert "Path 1 of 2: y ← u1 ← x" in out.getvalue() and "Path 2 of 2: y ← x" in out.getvalue()


def test_a_repeated_operand_makes_two_paths_and_a_shared_step_is_asked_once():
    x = Value(3.0, "x")
    chain = Chain((x * x).tanh(), x)
    assert [chain.describe_path(p) for p in chain.paths] == ["y ← u1 ← x (first)", "y ← u1 ← x (second)"]
    asked = [(q.kind, q.ask, q.where) for q in chain.questions]
    assert asked == [("local", "∂y/∂u1", "y = tanh(u1)"), ("local", "∂u1/∂x", "u1 = x*x, through its first x"),
                     ("product", "∂y/∂u1 × ∂u1/∂x", "the product along path 1"),
                     ("local", "∂u1/∂x", "u1 = x*x, through its second x"),  # ∂y/∂u1 is not asked again
                     ("product", "∂y/∂u1 × ∂u1/∂x", "the product along path 2"),
                     ("total", "dy/dx", "the sum over the 2 paths")]
    out = io.StringIO()
    answers = iter([repr(q.exact) for q in chain.questions])
    quiz((x * x).tanh(), x, read=lambda prompt: next(answers), out=out)
    assert "∂y/∂u1 = 6.09199e-8 (found on an earlier path)" in out.getvalue()  # 1 - tanh(9)**2, as number() writes it


class Page(HTMLParser):
    """The worksheet's key rows and a few facts about the page, read back from its HTML."""

    def __init__(self, html):
        super().__init__()
        self.keys, self.tags, self.variants = [], [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "section" and "data-values" in attrs:
            self.keys.append((json.loads(attrs["data-values"]), []))
        if tag == "tr" and "data-exact" in attrs:
            self.keys[-1][1].append((attrs["data-kind"], float(attrs["data-exact"])))
        if tag == "section" and "data-variant" in attrs and "data-values" not in attrs:
            self.variants.append(attrs["data-variant"])


def test_the_worksheets_key_is_the_engines_grads():
    text = TWO_PATHS[0]
    page = Page(worksheet(text, {"x": 0.5, "w": -2.0, "b": 1.5}, "w", variants=5, seed=3))
    assert page.variants == ["1", "2", "3", "4", "5"] and len(page.keys) == 5
    seen = set()
    for values, rows in page.keys:
        assert values["x"] > 0 and values["w"] < 0 and values["b"] > 0  # each keeps the sign given
        seen.add(tuple(values.values()))
        out, leaves = parse(text, values)
        out.backward()
        kinds = [kind for kind, _ in rows]
        assert kinds == ["local", "local", "local", "local", "product", "local", "total"]
        assert rows[-1][1] == leaves["w"].grad  # the total is backward()'s grad, to the last bit
        h = 1e-6  # and the local derivatives multiply up to it along the paths
        assert math.prod(v for _, v in rows[:4]) == pytest.approx(rows[4][1])
        assert rows[4][1] + rows[5][1] == pytest.approx(rows[6][1])
        numeric = (parse(text, {**values, "w": values["w"] + h})[0].data
                   - parse(text, {**values, "w": values["w"] - h})[0].data) / (2 * h)
        assert rows[-1][1] == pytest.approx(numeric, rel=1e-6)
    assert len(seen) == 5  # no variant twice
    assert "script" not in page.tags


def test_the_worksheet_is_self_contained_printable_and_reproducible():
    html = worksheet("tanh(w*x + b)", {"x": 0.5, "w": -2.0, "b": 1.0}, "w", variants=2, seed=11)
    digest = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
    assert f"content=\"default-src 'none'; style-src 'sha256-{digest}'\"" in html
    assert f"<style>{CSS}</style>" in html  # the hash allows exactly this stylesheet, and nothing else runs
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert ".key { break-before: page;" in CSS and "@media print" in CSS
    assert html == worksheet("tanh(w*x + b)", {"x": 0.5, "w": -2.0, "b": 1.0}, "w", variants=2, seed=11)
    assert html != worksheet("tanh(w*x + b)", {"x": 0.5, "w": -2.0, "b": 1.0}, "w", variants=2, seed=12)
    assert "--variants 2 --seed 11" in html and html.count('class="blank"') == 2 * 4
    # the chain rule's line breaks between factors, never inside one ("∂u2/" | "∂u1")
    assert '<span class="factor">∂u2/∂u1</span> × <span class="factor">∂u1/∂w</span>' in html
    assert ".factor { white-space: nowrap; }" in CSS


def test_the_worksheet_from_the_command_line(monkeypatch, capsys, tmp_path):
    sheet = tmp_path / "sheet.html"
    code, out, err = run_quiz(monkeypatch, capsys, NEURON + ["--wrt", "w", "--worksheet", str(sheet),
                                                             "--variants", "3", "--seed", "5"], [])
    assert code == 0 and err == ""
    assert out == f"wrote {sheet}: 3 variants and the answer key (seed 5); open it in a browser and print it\n"
    assert len(Page(sheet.read_text(encoding="utf-8")).keys) == 3
    for argv, message in [(["--variants", "0"], "'0': give a whole number from 1 to 100"),
                          (["--worksheet", str(tmp_path / "no" / "s.html")], "cannot write"),
                          ]:
        code, _, err = run_quiz(monkeypatch, capsys, NEURON + ["--wrt", "w", "--worksheet", str(sheet), *argv], [])
        assert code == 2 and message in err and "Traceback" not in err
    code, _, err = run_quiz(monkeypatch, capsys, ["w*w*w", "w=1", "--wrt", "w", "--max-paths", "2", "--worksheet",
                                                  str(sheet)], [])
    assert code == 2 and "the output reaches w along 3 paths" in err  # said for the values given, not hidden
    code, _, err = run_quiz(monkeypatch, capsys, ["log(x - 10)", "x=11", "--wrt", "x", "--worksheet", str(sheet)], [])
    assert code == 2 and "only 1 variant of log(x - 10) could be drawn" in err  # the learner's own x = 11
    code, _, err = run_quiz(monkeypatch, capsys, ["2*x", "x=1", "--wrt", "x", "--worksheet", str(sheet),
                                                  "--variants", "7"], [])
    assert code == 2 and "only 6 variants of 2*x could be drawn (each name keeps its sign" in err


def test_issue18_part4_a_fraction_is_an_answer(monkeypatch, capsys):
    _, out, err = run_quiz(monkeypatch, capsys, ["x*y", "x=0.25", "y=3", "--wrt", "y"], ["1/4", "1/4"])
    assert verdicts(out) == ["✓ right (the engine: 0.25)", "✓ right (the engine: 0.25)"] and err == ""
    _, out, _ = run_quiz(monkeypatch, capsys, ["x/y", "x=1", "y=3", "--wrt", "x"], ["1/3", "1/3"])
    assert verdicts(out)[0] == "✓ right (the engine: 0.33333333)"
    _, out, _ = run_quiz(monkeypatch, capsys, ["x*y", "x=0.25", "y=3", "--wrt", "y"],
                         ["1e999999999/1", "(1)/4", "1/4", "0.25"])
    assert out.count("type a number") == 2 and "Traceback" not in out  # read as numbers, never evaluated


def test_issue18_part4_variant_1_is_the_learners_own_and_no_variant_saturates():
    """tanh(-5) gave a factor of 0.00018 that a learner cannot get by hand from y = -0.999909."""
    for seed in range(8):
        page = Page(worksheet("tanh(w*x + b)", {"x": 0.5, "w": -2.0, "b": 1.5}, "w", variants=6, seed=seed))
        assert page.keys[0][0] == {"x": 0.5, "w": -2.0, "b": 1.5}
        for values, rows in page.keys[1:]:
            assert abs(values["w"] * values["x"] + values["b"]) <= 2.0, values
            assert rows[0][1] >= 1 - math.tanh(2.0) ** 2  # the activation's factor: informative
    page = Page(worksheet("sigmoid(w*x)", {"x": 3.0, "w": 2.0}, "w", variants=3, seed=1))
    assert page.keys[0][0] == {"x": 3.0, "w": 2.0}  # the learner's own, even saturated (their choice)
    assert all(abs(v["w"] * v["x"]) <= 2.0 for v, _ in page.keys[1:])


def test_issue17_item11_an_answer_with_a_billion_decimals_is_judged_at_once_in_little_memory():
    import os
    import resource
    import subprocess

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # formatting 1e9 decimals needs 2.4 GB

    done = subprocess.run([sys.executable, "-m", "chainrule", "quiz", *NEURON, "--wrt", "w"],
                          input="1e-999999999\n-1e-999999999\n", capture_output=True, text=True, timeout=120,
                          preexec_fn=limit_memory, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert done.returncode == 1  # stopped by the end of input, after both tries
    judged = verdicts(done.stdout)
    assert len(judged) == 2 and judged[0].startswith("✗ not 1E-999999999") and judged[1].startswith("✗ not -1E")
    assert "The answer is 0.786448." in done.stdout


def test_issue17_item11_answers_past_a_floats_decimals_are_compared_exactly(monkeypatch, capsys):
    root, _ = parse(NEURON[0], {"x": 0.5, "w": -2.0, "b": 1.5})
    value = Chain(root, "w").questions[0].exact  # ∂y/∂u2
    written_out = f"{Decimal(value)}{'0' * 2000}"  # the float's every decimal, then zeros: 2,000 more
    off_far_out = written_out[:-1] + "1"
    for answer, right in ((written_out, True), (off_far_out, False)):
        code, out, _ = run_quiz(monkeypatch, capsys, NEURON + ["--wrt", "w"], [answer])
        assert verdicts(out)[0].startswith("✓ right" if right else "✗ not")
