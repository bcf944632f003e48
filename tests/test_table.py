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
from chainrule.engine.value import apply
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


def softplus(self):
    """softplus(self); d/da = sigmoid(a)"""
    return apply(SOFTPLUS, self)


@contextmanager
def extra_row(row, method):
    """The table with one more row, and Value with the one-line method a contributor would write in
    value.py beside the others; then both taken away again."""
    PRIMITIVES[row.name] = row
    setattr(Value, method.__name__, method)
    try:
        yield row
    finally:
        del PRIMITIVES[row.name]
        delattr(Value, method.__name__)


def test_a_new_row_reaches_value_backward_gradcheck_parser_formula_and_drawing():
    with extra_row(SOFTPLUS, softplus):
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


@pytest.mark.parametrize("op", [op for op in ROWS if op.arity == 1], ids=lambda op: op.name)
@given(x=reals(-1e308, 1e308))
@settings(max_examples=200, deadline=None)
def test_issue17_item1_every_op_of_one_input_gives_a_finite_value_or_refuses_naming_itself(op, x):
    try:
        out = apply(op, Value(x))
    except DomainError:
        assert op.domain is not None and not op.domain[0](x)
        return
    except ValueError as e:
        assert op.name in str(e) and "overflows" in str(e)
        return
    assert math.isfinite(out.data) and out.op is op


@pytest.mark.parametrize("make, op", [
    (lambda x: x * 1e308 * 10, "mul"), (lambda x: x * 1e308 + 1e308 * 1.5, "add"), (lambda x: -1e308 * x - 1e308, "sub"),
    (lambda x: (x * 10) / 1e-308, "div"), (lambda x: (x * 710).exp(), "exp"), (lambda x: (x * 1e200) ** 2, "powc"),
    (lambda x: 10 ** (x * 400), "pow"), (lambda x: engine.sum([x * 1e308, x * 1e308]), "sum"),
    (lambda x: engine.dot([x * 1e200], [x * 1e200]), "dot"),
])
def test_issue17_item1_an_overflow_is_refused_where_it_appears_naming_the_op(make, op):
    x = Value(1.0)
    with pytest.raises(ValueError) as caught:
        make(x)
    assert str(caught.value).startswith(f"{op}: ") and "overflows a float" in str(caught.value)


def test_issue17_item1_nan_never_becomes_a_finite_answer():
    x = Value(1.0)
    with pytest.raises(ValueError, match="mul: .* overflows"):
        big = x * 1e308 * 10
        (big - big).relu()  # was inf - inf = nan, and relu(nan) = 0.0 with every grad 0


@pytest.mark.parametrize("op, outside", [
    (PRIMITIVES["log"], (0.0,)), (PRIMITIVES["sqrt"], (-1e-9,)), (PRIMITIVES["div"], (1.0, 0.0)),
    (PRIMITIVES["pow"], (-2.0, 0.5)), (PRIMITIVES["powc"], (-8.0, 1 / 3)),
])
def test_a_row_with_a_domain_refuses_what_is_outside_it_saying_what_it_needs(op, outside):
    test, needs = op.domain
    assert not test(*outside)
    with pytest.raises(DomainError) as caught:
        apply(op, *[Value(x) for x in outside])
    assert needs in str(caught.value)


def test_the_parser_calls_the_tables_functions_of_one_input():
    assert functions() == ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs"]  # in the table's order
    for name in functions():
        out, _ = parse(f"{name}(x)", {"x": 0.25})
        assert out.op is PRIMITIVES[name] and out.data == PRIMITIVES[name].forward(0.25)
    with pytest.raises(ValueError, match="the functions are exp, log, sqrt, tanh, sigmoid, relu, abs"):
        parse("neg(x)", {"x": 1})  # an operator row is written as an operator, not called


def test_nn_activations_are_the_tables():
    from chainrule.nn import Neuron
    from chainrule.nn.layers import ACTIVATIONS

    assert sorted(ACTIVATIONS) == ["linear", "relu", "sigmoid", "tanh"]
    for name in ("relu", "sigmoid", "tanh"):
        y = Neuron(1, name, weights=[2.0], bias=0.5)([-0.75])
        assert y.op is PRIMITIVES[name] and y.data == PRIMITIVES[name].forward(-1.0)
    assert Neuron(1, "linear", weights=[2.0], bias=0.5)([-0.75]).op is PRIMITIVES["dot"]


# ---- formulas


def test_formulas_put_parentheses_only_where_python_needs_them():
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")
    cases = {
        "a*b + c": a * b + c, "a*(b + c)": a * (b + c), "a - (b - c)": a - (b - c), "a - b - c": a - b - c,
        "a + (b + c)": a + (b + c), "a/(b*c)": a / (b * c), "a*b/c": a * b / c, "(a**b)**c": (a**b) ** c,
        "a**b**c": a ** (b**c), "-a**2": -(a**2), "(-a)**2": (-a) ** 2, "-(a + b)": -(a + b),
        "(-2)**2": Value(-2.0) ** 2, "a*-2": a * -2, "a - -2": a - -2, "2**a": 2**a,
        "tanh(sigmoid(a) + exp(b))": (a.sigmoid() + b.exp()).tanh(),
        "a*b + c*2": engine.dot([a, c], [b, Value(2.0)]), "(a*b + c)*2": engine.dot([a], [b], c) * 2,  # as its sum
    }
    for text, v in cases.items():
        assert describe(v) == text
        assert eval(text, {"tanh": math.tanh, "sigmoid": _sigmoid, "exp": math.exp},  # our own text only
                    {"a": 1.0, "b": 2.0, "c": 3.0}) == pytest.approx(v.data)


def test_a_formula_of_any_depth_is_written_without_recursion():
    x = Value(0.5, "x")
    y = x
    for _ in range(3000):
        y = y * 0.5 + 1
    text = describe(y)
    assert text.startswith("(" * 2999 + "x*0.5 + 1)*0.5 + 1)") and text.endswith("*0.5 + 1")


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
