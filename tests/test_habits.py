"""The habits PyTorch users bring (issue 18 part 6): == with a number, int(v), v.abs(), one sample at a time."""
import pytest

from chainrule import Value
from chainrule.nn import MLP


def test_issue18_part6_equality_with_a_number_is_on_data_and_with_a_value_by_identity():
    x = Value(3.0, "x")
    assert x == 3 and x == 3.0 and 3 == x and not (x != 3) and x != 0 and x >= 3  # as < and >= already were
    zero = x * 0
    taken = "zero" if zero == 0 else "not zero"  # `if v == 0:` went the wrong way silently
    assert taken == "zero"
    twin = Value(3.0)
    assert x != twin and not (x == twin) and x == x  # Value to Value: identity, as graphs key them
    assert len({x, twin}) == 2 and {x: 1}[x] == 1  # hashed by identity
    assert (x == "3") is False and x != "3" and (x == None) is False  # noqa: E711 (the comparison is the test)
    assert x.grad == 0.0 and zero.inputs == (x, zero.inputs[1])  # recording nothing: no new node


def test_issue18_part6_int_and_abs():
    assert int(Value(2.7)) == 2 and int(Value(-2.7)) == -2 and isinstance(int(Value(1.0)), int)
    v = Value(-1.5)
    assert v.abs().data == 1.5 and abs(v).data == 1.5 and v.abs().inputs == (v,)


def test_issue18_part6_a_model_says_one_sample_at_a_time():
    model = MLP(2, [2, 1], seed=0)
    for batch in ([[1, 2], [3, 4]], [[1, 2], [3, 4], [5, 6]], ([1.0, 2.0],)):
        with pytest.raises(TypeError, match=r"one sample at a time.*\[model\(x\) for x in X\]"):
            model(batch)
    assert isinstance(model([1, 2]), Value)
