"""The table of primitives is the one source of every op fact: its rows keep their own promises,
and a new row reaches Value, backward, gradcheck, the parser, the formula printer and the drawing
with no other edit. Also: formulas, signatures and docstrings, and a lean `import chainrule`."""
import inspect
import math
import subprocess
import sys
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule import engine
from chainrule.engine.expression import functions, parse_expression as parse
from chainrule.engine import PRIMITIVES, DomainError, Primitive, Value, draw, gradcheck
from chainrule.engine import value as value_module
from chainrule.engine.formula import describe


def reals(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


# ---- a new row


def _softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # log(1 + e^x), never overflowing


def _sigmoid(x):
    return PRIMITIVES["sigmoid"].forward(x)


SOFTPLUS = Primitive("softplus", "softplus", _softplus, lambda out, a: (_sigmoid(a),), "d/da = sigmoid(a)",
                     kind="activation", arity=1, methods=("softplus",))


@contextmanager
def extra_row(row):
    """The table with one more row, bound to Value as the import binds every row; then without."""
    PRIMITIVES[row.name] = row
    value_module._bind(row)
    try:
        yield row
    finally:
        del PRIMITIVES[row.name]
        for name in row.methods:
            delattr(Value, name)


def test_a_new_row_reaches_value_backward_gradcheck_parser_formula_and_drawing():
    with extra_row(SOFTPLUS):
        x = Value(0.5, "x")
        y = x.softplus()  # Value
        assert y.op is SOFTPLUS and y.data == _softplus(0.5) and y.inputs == (x,)
        y.backward()  # backward
        assert x.grad == _sigmoid(0.5)
        assert gradcheck(lambda v: (v * 3 - 1).softplus(), 0.2)  # gradcheck
        assert "softplus" in functions()  # the parser
        out, leaves = parse("softplus(w*x) + 1", {"w": 2, "x": 0.5})
        assert out.inputs[0].op is SOFTPLUS and out.data == _softplus(1.0) + 1
        assert describe(out) == "softplus(w*x) + 1"  # the formula printer
        out.backward()
        source = draw(out).source  # the drawing: the op's symbol, its rule, its local derivative
        assert "softplus" in source and "d/da = sigmoid(a)" in source and f"local {_sigmoid(1.0):.4g}" in source
        with pytest.raises(ValueError, match="the functions are .*, softplus"):  # and its error messages
            parse("sofplus(x)", {"x": 1})
    assert not hasattr(Value, "softplus") and "softplus" not in functions() and "softplus" not in PRIMITIVES


# ---- each row keeps its promises


ROWS = [op for op in PRIMITIVES.values() if op.kind != "leaf"]
SAMPLE = {1: (0.7,), 2: (0.7, 1.3), None: (0.7, 1.3, -0.4, 0.2, 0.9)}  # inside every domain


@pytest.mark.parametrize("op", ROWS, ids=lambda op: op.name)
def test_a_row_says_how_many_inputs_its_local_rule_takes(op):
    xs = SAMPLE[op.arity]
    out = op.forward(*xs)
    assert len(op.local(out, *xs)) == len(xs)
    assert (op.precedence is not None) == (op.kind == "operator")


@pytest.mark.parametrize("op", [op for op in ROWS if op.methods], ids=lambda op: op.name)
def test_the_methods_a_row_names_apply_it(op):
    a, b = Value(0.7), Value(1.3)
    for name, reflected in zip(op.methods, (False, True)):
        if name is None:
            continue
        method = getattr(Value, name)
        out = method(a) if op.arity == 1 else method(a, b)
        assert out.op is op
        assert out.inputs == ((a,) if op.arity == 1 else (b, a) if reflected else (a, b))
        assert method.__name__ == name and op.rule in method.__doc__


def test_a_power_picks_its_row_by_the_exponent():
    x = Value(-2.0)
    assert (x**3).op.name == "powc" and (x**3).data == -8.0
    assert (Value(2.0) ** Value(3.0)).op.name == "pow" and (2 ** Value(3.0)).op.name == "pow"


@pytest.mark.parametrize("op", [op for op in ROWS if not op.overflows and op.arity == 1], ids=lambda op: op.name)
@given(x=reals(-1e308, 1e308))
@settings(max_examples=200, deadline=None)
def test_a_row_that_cannot_overflow_stays_finite_on_every_finite_input(op, x):
    if op.domain is None or op.domain[0](x):
        assert math.isfinite(op.forward(x))


@pytest.mark.parametrize("op, outside", [
    (PRIMITIVES["log"], (0.0,)), (PRIMITIVES["sqrt"], (-1e-9,)), (PRIMITIVES["div"], (1.0, 0.0)),
    (PRIMITIVES["pow"], (-2.0, 0.5)), (PRIMITIVES["powc"], (-8.0, 1 / 3)),
])
def test_a_row_with_a_domain_refuses_what_is_outside_it_saying_what_it_needs(op, outside):
    test, needs = op.domain
    assert not test(*outside)
    with pytest.raises(DomainError) as caught:
        value_module._apply(op, [Value(x) for x in outside])
    assert needs in str(caught.value)


def test_the_parser_calls_the_tables_functions_of_one_input():
    expected = [op.name for op in ROWS if op.arity == 1 and op.kind in ("function", "activation")]
    assert functions() == expected
    assert {"exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs"} == set(expected)
    for name in expected:
        out, _ = parse(f"{name}(x)", {"x": 0.25})
        assert out.op.name == name


def test_nn_activations_are_the_tables():
    from chainrule.nn.layers import ACTIVATIONS

    assert set(ACTIVATIONS) == {op.name for op in ROWS if op.kind == "activation"} | {"linear"}


# ---- formulas


def test_formulas_put_parentheses_only_where_python_needs_them():
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")
    cases = {
        "a*b + c": a * b + c, "a*(b + c)": a * (b + c), "a - (b - c)": a - (b - c), "a - b - c": a - b - c,
        "a + (b + c)": a + (b + c), "a/(b*c)": a / (b * c), "a*b/c": a * b / c, "(a**b)**c": (a**b) ** c,
        "a**b**c": a ** (b**c), "-a**2": -(a**2), "(-a)**2": (-a) ** 2, "-(a + b)": -(a + b),
        "(-2)**2": Value(-2.0) ** 2, "a*-2": a * -2, "a - -2": a - -2, "2**a": 2**a,
        "tanh(sigmoid(a) + exp(b))": (a.sigmoid() + b.exp()).tanh(), "dot(a, b, c)": engine.dot([a], [b], c),
    }
    for text, v in cases.items():
        assert describe(v) == text
        assert eval(text, {"tanh": math.tanh, "sigmoid": _sigmoid, "exp": math.exp,  # our own text only
                           "dot": lambda w, x, b: w * x + b}, {"a": 1.0, "b": 2.0, "c": 3.0}) == pytest.approx(v.data)


def test_a_formula_of_any_depth_is_written_without_recursion():
    x = Value(0.5, "x")
    y = x
    for _ in range(3000):
        y = y * 2 + 1
    text = describe(y)
    assert text.startswith("(" * 2999 + "x*2 + 1)*2 + 1)") and text.endswith("*2 + 1")


def test_a_labelled_value_stands_for_its_formula():
    w, x = Value(2.0, "w"), Value(3.0, "x")
    h = (w * x).tanh()
    assert describe(h * 2) == "tanh(w*x)*2"
    h.named("h")
    assert describe(h * 2) == "h*2" and describe(h) == "h"


# ---- signatures and docstrings


def test_draw_shows_the_drawings_real_signature_and_options():
    from chainrule.engine import drawing

    assert chainrule.draw is engine.draw
    assert inspect.signature(engine.draw) == inspect.signature(drawing.draw)
    for option in ("highlight", "rankdir", "max_nodes", "digits", "group"):
        assert option in engine.draw.__doc__ and option in drawing.draw.__doc__


def test_every_public_engine_name_has_a_docstring():
    public = [getattr(engine, name) for name in engine.__all__ if name != "PRIMITIVES"] + [engine.sum]
    methods = [getattr(Value, name) for op in ROWS for name in op.methods if name]
    methods += [Value.__lt__, Value.__ge__, Value.item, Value.backward, Value.detach, Value.__pow__]
    for obj in public + methods:
        assert inspect.getdoc(obj), obj
    assert str(inspect.signature(Value.__add__)) == "(self, other)"
    assert str(inspect.signature(Value.tanh)) == "(self)"


# ---- a lean import


def test_import_chainrule_loads_nothing_heavy():
    heavy = ["graphviz", "dataclasses", "inspect", "subprocess", "threading", "wasmtime", "contextlib", "typing"]
    code = f"import sys; before = set(sys.modules); import chainrule; print([m for m in {heavy!r} " \
           f"if m in sys.modules and m not in before])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
