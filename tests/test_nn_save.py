"""nn save/load: JSON that round-trips exactly; every malformed file is refused and changes nothing."""
import json

import pytest

from chainrule.nn import MLP, Neuron


def saved(tmp_path, model):
    path = tmp_path / "model.json"
    model.save(path)
    return path


def test_save_then_load_gives_identical_outputs(tmp_path):
    model = MLP(2, [4, 3, 1], activation="tanh", seed=1)
    path = saved(tmp_path, model)
    other = MLP(2, [4, 3, 1], activation="tanh", seed=2)
    assert other([0.3, -1.7]).data != model([0.3, -1.7]).data
    assert other.load(path) is other
    assert other.state_dict() == model.state_dict()
    for x in ([0.3, -1.7], [5.0, 2.0], [-1e-3, 0.0]):
        assert other(x).data == model(x).data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]  # no temporary file left


def test_the_file_is_readable_json_with_names_in_order(tmp_path):
    model = Neuron(2, "sigmoid", weights=[0, 1], bias=4)
    document = json.loads(saved(tmp_path, model).read_text())
    assert document == {"format": "chainrule-parameters", "version": 1, "module": "Neuron",
                        "parameters": {"w.0": 0.0, "w.1": 1.0, "b": 4.0}}


def test_load_state_dict_checks_everything_before_changing_anything():
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    state = dict(before, **{"layers.0.neurons.0.w.0": 9.0, "layers.1.neurons.0.b": "oops"})
    with pytest.raises(ValueError, match="parameter layers.1.neurons.0.b should be a number"):
        model.load_state_dict(state)
    assert model.state_dict() == before
    with pytest.raises(TypeError, match="expected a dict"):
        model.load_state_dict([1.0] * 9)
    model.load_state_dict({name: 0 for name in before})
    assert set(model.state_dict().values()) == {0.0}


def test_save_refuses_a_non_finite_parameter(tmp_path):
    model = Neuron(1, weights=[1.0])
    model.w[0].data = float("nan")
    with pytest.raises(ValueError, match="parameter w.0 is nan"):
        model.save(tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()


def edit_parameters(change):
    """A broken file: the saved document with `change` applied to its parameters."""

    def make(document):
        change(document["parameters"])
        return json.dumps(document)

    return make


def rename(old, new):
    return lambda ps: ps.__setitem__(new, ps.pop(old))


FIRST = "layers.0.neurons.0.w.0"

BROKEN = {
    "invalid JSON": (lambda d: json.dumps(d).replace(":", "=", 3), "invalid JSON at line 1, column"),
    "truncated": (lambda d: json.dumps(d, indent=1)[:-40], "invalid JSON at line"),
    "empty": (lambda d: "", "the file is empty"),
    "top level is a list": (lambda d: json.dumps(list(d["parameters"].values())),
                            "expected a JSON object at the top, found an array"),
    "top level is a number": (lambda d: "3.5", "expected a JSON object at the top, found float"),
    "not our format": (lambda d: json.dumps({"weights": d["parameters"]}), "not a chainrule parameter file"),
    "future version": (lambda d: json.dumps(dict(d, version=2)), "unsupported version 2"),
    "no parameters": (lambda d: json.dumps({k: v for k, v in d.items() if k != "parameters"}),
                      'no "parameters" object'),
    "parameters is a list": (lambda d: json.dumps(dict(d, parameters=[1, 2])),
                             '"parameters" should be an object of name: number, found an array'),
    "missing name": (edit_parameters(lambda ps: ps.pop("layers.1.neurons.0.b")),
                     "missing 1 name (layers.1.neurons.0.b)"),
    "extra name": (edit_parameters(lambda ps: ps.__setitem__("layers.2.neurons.0.b", 0.0)),
                   "unexpected 1 name (layers.2.neurons.0.b)"),
    "wrong name": (edit_parameters(rename(FIRST, "layer.0.neuron.0.w.0")),
                   f"missing 1 name ({FIRST}); unexpected 1 name (layer.0.neuron.0.w.0)"),
    "wrong shape": (lambda d: json.dumps(dict(d, parameters=MLP(2, [3, 1]).state_dict())),
                    "unexpected 4 names (layers.0.neurons.2.w.0"),
    "string": (edit_parameters(lambda ps: ps.__setitem__(FIRST, "0.5")),
               f"parameter {FIRST} should be a number, not a string '0.5'"),
    "bool": (edit_parameters(lambda ps: ps.__setitem__(FIRST, True)),
             f"parameter {FIRST} should be a number, not a boolean True"),
    "null": (edit_parameters(lambda ps: ps.__setitem__(FIRST, None)), f"parameter {FIRST} should be a number"),
    "list": (edit_parameters(lambda ps: ps.__setitem__(FIRST, [0.5])), f"parameter {FIRST} should be a number"),
    "NaN": (lambda d: json.dumps(d).replace(repr(d["parameters"][FIRST]), "NaN"), f"parameter {FIRST} is nan"),
    "Infinity": (lambda d: json.dumps(d).replace(repr(d["parameters"][FIRST]), "-Infinity"),
                 f"parameter {FIRST} is -inf"),
    "overflowing number": (lambda d: json.dumps(d).replace(repr(d["parameters"][FIRST]), "1e999"),
                           f"parameter {FIRST} is inf"),
    "repeated name": (lambda d: json.dumps(d).replace('"layers.0.neurons.0.w.1"', f'"{FIRST}"'),
                      f"the name '{FIRST}' appears twice"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_file_raises_a_clear_error_and_changes_nothing(tmp_path, case):
    make, words = BROKEN[case]
    document = json.loads(saved(tmp_path, MLP(2, [2, 1], seed=1)).read_text())
    path = tmp_path / "broken.json"
    path.write_text(make(document), encoding="utf-8")
    model = MLP(2, [2, 1], seed=2)
    before = model.state_dict()
    with pytest.raises(ValueError) as e:
        model.load(path)
    message = str(e.value)
    assert str(path) in message and words in message, message
    assert model.state_dict() == before


def test_a_binary_file_is_refused(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"\x80\x04\x95 pickled bytes")
    model = MLP(2, [2, 1])
    before = model.state_dict()
    with pytest.raises(ValueError, match="not a text file"):
        model.load(path)
    assert model.state_dict() == before


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        MLP(2, [2, 1]).load(tmp_path / "nope.json")
