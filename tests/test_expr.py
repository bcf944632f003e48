"""chainrule.parse and engine.expression.parse_expression: a whitelist of Python's expression syntax
built into Values, never run."""
import ast
import builtins
import math
import subprocess
import sys

import pytest

import chainrule
from chainrule.engine import backward_order
from chainrule.engine.expression import parse_expression as parse

NEURON = {"x1": 2, "x2": 3, "w1": 0, "w2": 1, "b": 4}


def test_chainrule_parse_returns_the_root_and_the_inputs_are_labelled_leaves():
    y = chainrule.parse("tanh(w*x + b)", x=0.5, w=-2, b=1.5)
    assert y.data == pytest.approx(math.tanh(-2 * 0.5 + 1.5))
    leaves = {v.label: v for v in backward_order(y) if not v.inputs}
    assert {name: v.op.name for name, v in leaves.items()} == {"w": "param", "x": "input", "b": "param"}
    y.backward()
    assert leaves["w"].grad == pytest.approx((1 - y.data ** 2) * 0.5)
    assert chainrule.parse("L = (1 - y)**2", y=0.5).label == "L"
    assert chainrule.parse("text * 2", text=3).data == 6.0  # the expression's own argument is positional-only
    with pytest.raises(ValueError, match="b has no value"):
        chainrule.parse("w*x + b", w=1, x=2)
    assert "parse" in chainrule.__all__


def test_import_chainrule_leaves_the_parser_until_it_is_asked_for():
    code = ("import sys, chainrule\n"
            "print('chainrule.engine.expression' in sys.modules)\n"
            "chainrule.parse\n"
            "print('chainrule.engine.expression' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["False", "True"]


def test_the_tutorials_neuron():
    out, leaves = parse("sigmoid(w1*x1 + w2*x2 + b)", NEURON)
    assert out.data == pytest.approx(0.9990889488055994)
    out.backward()
    assert leaves["w1"].grad == pytest.approx(2 * 0.9990889488055994 * (1 - 0.9990889488055994))
    assert list(leaves) == ["w1", "x1", "w2", "x2", "b"]  # left to right as written
    kinds = {name: leaf.op.name for name, leaf in leaves.items()}
    assert kinds == {"w1": "param", "x1": "input", "w2": "param", "x2": "input", "b": "param"}
    assert all(leaf.label == name for name, leaf in leaves.items())


def test_params_can_be_named():
    _, leaves = parse("w*x + b", {"w": 1, "x": 2, "b": 3}, params=["x"])
    assert {n: v.op.name for n, v in leaves.items()} == {"w": "input", "x": "param", "b": "input"}


def test_a_name_used_twice_is_one_leaf_and_numbers_are_constants():
    out, leaves = parse("x*x - 2", {"x": 3})
    (x,) = leaves.values()
    product, two = out.inputs
    assert product.inputs == (x, x)
    assert two.op.name == "const" and two.data == 2.0
    out.backward()
    assert x.grad == 6.0


def test_every_function_and_operator():
    text = ("exp(x) + log(x) + tanh(x) + sigmoid(x) + relu(x) + abs(-x) + sqrt(x) + x**2 + 2**x"
            " + x**(1/2) + x/3 - -x")
    out, leaves = parse(text, {"x": 1.5})
    x = 1.5
    expected = (math.exp(x) + math.log(x) + math.tanh(x) + 1 / (1 + math.exp(-x)) + x + x + math.sqrt(x)
                + x**2 + 2**x + x**0.5 + x / 3 + x)
    assert out.data == pytest.approx(expected)
    out.backward()
    h = 1e-6
    numeric = (parse(text, {"x": x + h})[0].data - parse(text, {"x": x - h})[0].data) / (2 * h)
    assert leaves["x"].grad == pytest.approx(numeric, rel=1e-6)


def test_constant_exponents_use_the_constant_power():
    out, _ = parse("x ** 2", {"x": 3})
    assert out.op.name == "powc"
    out, _ = parse("x ** (1/2)", {"x": 4})
    assert out.op.name == "powc" and out.data == 2.0
    out, _ = parse("x ** -1", {"x": 4})
    assert out.op.name == "powc" and out.data == 0.25
    out, _ = parse("x ** y", {"x": 2, "y": 3})
    assert out.op.name == "pow" and out.data == 8.0


def test_naming_the_output():
    out, leaves = parse("L = (1 - y_pred)**2", {"y_pred": 0.524})
    assert out.label == "L" and out.data == pytest.approx(0.476**2)
    assert "L" not in leaves


@pytest.mark.parametrize("text, message, caret", [
    ("__import__('os')", "calling __import__() is not allowed", "^^^^^^^^^^"),
    ("x.__class__", "attribute access is not allowed", "^^^^^^^^^^^"),
    ("(lambda: 1)()", "only the engine's functions can be called", " ^^^^^^^^^"),
    ("open('f')", "calling open() is not allowed", "^^^^"),
    ("2**10**10", "the exponent 1e+10 is too large", "^^^^^^^^^"),
    ("x ** 5000", "the exponent 5000 is too large", "^^^^^^^^^"),
    ("x[0]", "indexing is not allowed", "^^^^"),
    ("x < 1", "a comparison is not allowed", "^^^^^"),
    ("x + 'a'", "'a' is not a number", "    ^^^"),
    ("True + x", "True is not a number", "^^^^"),
    ("1j * x", "1j is not a number", "^^"),
    ("x + y", "y has no value", "    ^"),
    ("exp + x", "exp is a function", "^^^"),
    ("exp(x, 2)", "exp() takes exactly one argument", "^^^^^^^^^"),
    ("exp(x=1)", "exp() takes exactly one argument", "^^^^^^^^"),
    ("x @ x", "the operator in this part is not allowed", "^^^^^"),
    ("x % 2", "the operator in this part is not allowed", "^^^^^"),
    ("not x", "this unary operator is not allowed", "^^^^^"),
    ("[x]", "a list is not allowed", "^^^"),
    ("(x := 1)", "an assignment (:=) is not allowed", " ^^^^^^"),
    ("f'{x}'", "an f-string is not allowed", "^^^^^^"),
    ("x if x else 1", "an if-expression is not allowed", "^^^^^^^^^^^^^"),
    ("_secret * x", "names starting with _ are not allowed", "^^^^^^^"),
    ("1e999 * x", "too large for a float", "^^^^^"),
    ("1/(x - x)", "division by zero", "^^^^^^^^^"),
    ("log(x - x)", "log needs a positive input", "^^^^^^^^^^"),
    ("exp(exp(x * 1000))", "overflows", "    ^^^^^^^^^^^^^"),
    ("x +", "not a valid expression", "   ^"),
    ("sigmoid(x", "not a valid expression ('(' was never closed)", "       ^"),
    ("é + x.real", "attribute access", "    ^^^^^^"),  # carets count characters, not UTF-8 bytes
])
def test_refused_with_a_caret_under_the_offending_part(text, message, caret):
    with pytest.raises(ValueError) as refused:
        parse(text, {"x": 1.5, "é": 1.0})
    lines = str(refused.value).splitlines()
    assert message in lines[0]
    assert lines[1] == f"  {text}"
    assert lines[2] == f"  {caret}"


def test_nothing_is_evaluated_as_python(monkeypatch):
    real_compile = builtins.compile

    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec must not be used")

    def parse_only(source, filename, mode, flags=0, *args, **kwargs):
        assert flags & ast.PyCF_ONLY_AST, "compile may only parse (ast.parse), never make code to run"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", parse_only)
    out, _ = parse("sigmoid(w1*x1 + w2*x2 + b)", NEURON)
    assert out.data == pytest.approx(0.999088948805599)
    with pytest.raises(ValueError):
        parse("__import__('os').system('echo no')", {})


def test_huge_and_deep_input_is_refused_not_crashed():
    with pytest.raises(ValueError, match="nested"):
        parse("(" * 500 + "x" + ")" * 500, {"x": 1})
    with pytest.raises(ValueError, match="characters long"):
        parse("x+" * 6000 + "x", {"x": 1})
    with pytest.raises(ValueError, match="finite number"):
        parse("x", {"x": math.nan})
    with pytest.raises(TypeError):
        parse(b"x", {"x": 1})


@pytest.mark.parametrize("number, message", [
    (10**400, "x takes a finite number; this int is too large for a float"),  # was an OverflowError
    (-(10**309), "x takes a finite number; this int is too large for a float"),
    (math.inf, "x takes a finite number, not inf"),
    ("2", "x takes a real number (int or float), not str '2'"),
    (True, "x takes a real number (int or float), not bool True"),
], ids=["10**400", "-10**309", "inf", "str", "bool"])
def test_a_value_that_is_no_finite_float_is_a_value_error_naming_it(number, message):
    with pytest.raises(ValueError) as refused:
        parse("2*x", {"x": number})
    first, line, caret = str(refused.value).splitlines()
    assert first.startswith(message) and (line, caret) == ("  2*x", "    ^")


def test_a_long_sum_builds_without_recursion():
    out, _ = parse("+".join(["x"] * 500), {"x": 1})
    assert out.data == 500.0


def test_a_name_python_folds_says_what_was_written():
    """ast reads names NFKC-folded: a fullwidth ｘ becomes x, and then x 'has no value' though ｘ was given."""
    with pytest.raises(ValueError) as refused:
        parse("2*ｘ", {"ｘ": 1.0})
    first, line, caret = str(refused.value).splitlines()
    assert first.startswith("x has no value (written ｘ, which Python reads as x: it folds such letters by NFKC)")
    assert "give it one (e.g. x=1)" in first and (line, caret) == ("  2*ｘ", "    ^")
    out, leaves = parse("2*ｘ", {"x": 1.0})  # the folded name is the name
    assert out.data == 2.0 and list(leaves) == ["x"]
    with pytest.raises(ValueError, match=r"^y has no value; give it one"):  # a plain name: no note
        parse("2*y", {})
