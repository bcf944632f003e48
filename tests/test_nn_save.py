"""nn save/load: JSON that round-trips exactly; every malformed file is refused and changes nothing."""
import json
import os
import stat

import pytest

from chainrule import nn
from chainrule.engine import Value
from chainrule.nn import MLP, Layer, Module, Neuron


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
                        "architecture": {"nin": 2, "activation": "sigmoid"},
                        "parameters": {"w.0": 0.0, "w.1": 1.0, "b": 4.0}}
    assert list(document) == ["format", "version", "module", "architecture", "parameters"]


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
    "NaN": (lambda d: json.dumps(d).replace(repr(d["parameters"][FIRST]), "NaN"), f"parameter {FIRST} takes a finite number, not nan"),
    "Infinity": (lambda d: json.dumps(d).replace(repr(d["parameters"][FIRST]), "-Infinity"),
                 f"parameter {FIRST} takes a finite number, not -inf"),
    "overflowing number": (lambda d: json.dumps(d).replace(repr(d["parameters"][FIRST]), "1e999"),
                           f"parameter {FIRST} takes a finite number, not inf"),
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


# --- nn.save / nn.load: the architecture is in the file ---------------------------------------

@pytest.mark.parametrize("model", [
    MLP(2, [4, 3, 1], activation="relu", seed=3),
    MLP(3, [4, 1], activation="sigmoid", out_activation="sigmoid", biases=False, fused=False, seed=1),
    Layer(2, 3, "tanh", seed=5),
    Neuron(2, "sigmoid", weights=[0, 1], bias=4),
], ids=repr)
def test_nn_load_rebuilds_the_model_from_the_file(tmp_path, model):
    path = tmp_path / "model.json"
    nn.save(model, path)
    again = nn.load(path)
    assert type(again) is type(model) and repr(again) == repr(model)
    assert again.state_dict() == model.state_dict()
    x = [0.3, -1.7, 2.0][:model.nin]
    out, back = model(x), again(x)
    assert [v.data for v in out] == [v.data for v in back] if isinstance(out, list) else out.data == back.data
    assert [p.label for p in again.label_parameters().parameters()] == [
        p.label for p in type(model)(**model.architecture()).label_parameters().parameters()]


def test_nn_load_refuses_a_model_it_cannot_rebuild(tmp_path):
    class Scale(Module):
        def __init__(self):
            self.a = Value(2.0, param=True)

    path = tmp_path / "scale.json"
    nn.save(Scale(), path)
    with pytest.raises(ValueError, match="holds the parameters of a 'Scale', which nn.load cannot rebuild.*model.load"):
        nn.load(path)
    model = Scale()
    model.a.data = 0.0
    assert model.load(path).a.data == 2.0  # the method still reads it
    with pytest.raises(TypeError, match="takes a Module"):
        nn.save([Value(1.0)], path)


def broken_architecture(tmp_path, change):
    document = json.loads(saved(tmp_path, MLP(2, [2, 1], seed=0)).read_text())
    change(document)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("change, words", [
    (lambda d: d["architecture"].update(sizes=[10**9, 1]), "the architecture has 4000000001 parameters but the file holds 9"),
    (lambda d: d["architecture"].update(sizes=[2, 10**400]), "the architecture has"),
    (lambda d: d["architecture"].update(sizes=[2, True]), "every size should be a whole number >= 1, not True"),
    (lambda d: d["architecture"].update(sizes=[]), "sizes should be a non-empty list"),
    (lambda d: d["architecture"].update(activation="softmax"), "architecture: unknown activation 'softmax'"),
    (lambda d: d["architecture"].update(seed=3), "should be an object with nin, sizes"),
    (lambda d: d["architecture"].pop("nin"), "should be an object with nin, sizes"),
    (lambda d: d.update(architecture=[2, [2, 1]]), "should be an object with nin, sizes"),
    (lambda d: d.update(module="Sequential"), "holds the parameters of a 'Sequential'"),
    (lambda d: d.pop("architecture"), "which nn.load cannot rebuild"),
])
def test_nn_load_checks_the_architecture_before_building_anything(tmp_path, change, words):
    path = broken_architecture(tmp_path, change)
    with pytest.raises(ValueError) as e:
        nn.load(path)
    assert str(path) in str(e.value) and words in str(e.value), str(e.value)


# --- hostile files: the documented ValueError, naming the file ----------------------------------

def neuron_file(version="1", weight="0.5"):
    """The file a Neuron(1, bias=False) saves, with its version and weight written as given."""
    return ('{"format": "chainrule-parameters", "version": ' + version + ', "module": "Neuron", '
            '"architecture": {"nin": 1, "activation": "tanh", "bias": false}, "parameters": {"w.0": ' + weight + '}}')


@pytest.mark.parametrize("text, words", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (neuron_file(weight="9" * 401), "parameter w.0 takes a finite number; this int is too large for a float"),
    (neuron_file(weight="9" * 5000), "digits"),
    (neuron_file(version="true"), "unsupported version True"),
    (neuron_file(version="1.0"), "unsupported version 1.0"),
], ids=["100000 deep", "401 digits", "5000 digits", "version true", "version 1.0"])
def test_a_hostile_file_gives_a_value_error_naming_the_file(tmp_path, text, words):
    fine = tmp_path / "fine.json"
    fine.write_text(neuron_file())
    assert nn.load(fine).w[0].data == 0.5  # well formed, the same file loads
    path = tmp_path / "hostile.json"
    path.write_text(text)
    for read in (Neuron(1, weights=[0.0], bias=False).load, nn.load):
        with pytest.raises(ValueError) as e:
            read(path)
        assert str(path) in str(e.value) and words in str(e.value), str(e.value)


# --- save writes where the user meant, leaves nothing behind ------------------------------------

def test_save_to_a_directory_raises_and_leaves_no_temporary_file(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    with pytest.raises(IsADirectoryError):
        Neuron(1).save(folder)
    assert list(tmp_path.iterdir()) == [folder] and list(folder.iterdir()) == []


def test_save_into_a_missing_folder_raises_and_leaves_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        Neuron(1).save(tmp_path / "nope" / "model.json")
    assert list(tmp_path.iterdir()) == []


def test_issue17_item7_save_replaces_a_planted_symlink_and_leaves_its_target_alone(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.json"
    target.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    model = Neuron(2, "sigmoid", weights=[0, 1], bias=4)
    model.save(link)
    assert target.read_text() == "old"
    assert not link.is_symlink() and json.loads(link.read_text())["parameters"] == model.state_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "real"]
    assert [p.name for p in target.parent.iterdir()] == ["model.json"]
    dangling = tmp_path / "next.json"
    dangling.symlink_to(tmp_path / "real" / "new.json")
    model.save(dangling)
    assert not dangling.is_symlink() and not (tmp_path / "real" / "new.json").exists()
    assert nn.load(dangling).state_dict() == model.state_dict()


def test_issue17_item6_save_on_a_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    Neuron(1, weights=[0.5]).save(path)
    before = path.read_bytes()

    def no_space(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError) as e:
        Neuron(1, weights=[0.25]).save(path)
    monkeypatch.undo()
    assert e.value.filename == str(path) and "No space left on device" in str(e.value)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.json"]


def test_save_refuses_a_pipe_or_device_and_never_replaces_it(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(OSError, match="it is a pipe, not a regular file"):
        Neuron(1).save(pipe)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode) and sorted(tmp_path.iterdir()) == [pipe]
    link = tmp_path / "full"
    link.symlink_to("/dev/full")
    Neuron(1).save(link)  # the link is replaced; the device it named is left alone
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode) and not link.is_symlink()


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_honours_the_umask(tmp_path, umask):
    before = os.umask(umask)
    try:
        Neuron(1).save(tmp_path / "model.json")
    finally:
        os.umask(before)
    assert stat.S_IMODE(os.stat(tmp_path / "model.json").st_mode) == 0o666 & ~umask


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("{}")
    path.chmod(0o640)
    Neuron(1).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640 and json.loads(path.read_text())["module"] == "Neuron"


# --- issue 17 item 4: layers held in a dict count; a module that refers to itself is walked once -----

class Blocks(Module):
    def __init__(self):
        self.blocks = {"enc": Layer(2, 2, seed=1), "dec": [Neuron(2, seed=2), (Neuron(1, seed=3),)]}
        self.nested = {"inner": {"deep": Neuron(1, seed=4)}}
        self.me = self  # refers to itself
        self.again = [self.blocks, self]  # a cycle through a list

    def __call__(self, x):
        h = self.blocks["enc"](x)
        return (self.blocks["dec"][0](h) + self.blocks["dec"][1][0]([h[0]])) * self.nested["inner"]["deep"]([h[1]])


def test_issue17_item4_layers_in_a_dict_count_and_a_cycle_is_visited_once(tmp_path):
    from chainrule.nn import SGD

    model = Blocks()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["blocks.enc.neurons.0.w.0", "blocks.enc.neurons.0.w.1", "blocks.enc.neurons.0.b",
                     "blocks.enc.neurons.1.w.0", "blocks.enc.neurons.1.w.1", "blocks.enc.neurons.1.b",
                     "blocks.dec.0.w.0", "blocks.dec.0.w.1", "blocks.dec.0.b", "blocks.dec.1.0.w.0",
                     "blocks.dec.1.0.b", "nested.inner.deep.w.0", "nested.inner.deep.b"]
    deep = model.nested["inner"]["deep"]
    assert model.parameters()[-2:] == [deep.w[0], deep.b]
    loss = (model([0.5, -1.0]) - 1) ** 2
    model.zero_grad()
    loss.backward()
    before = deep.w[0].data
    SGD(model.parameters(), lr=0.1).step()
    assert deep.w[0].data == before - 0.1 * deep.w[0].grad != before  # the optimiser reaches the dict's layers
    path = tmp_path / "blocks.json"
    model.save(path)
    assert set(json.loads(path.read_text())["parameters"]) == set(names)
    other = Blocks()
    other.nested["inner"]["deep"].w[0].data = 123.0
    assert other.load(path).state_dict() == model.state_dict()
    other.label_parameters()
    assert len({p.label for p in other.parameters()}) == len(names)


# --- issue 17 item 12: nn.load reads only a regular file of bounded size ------------------------

def test_issue17_item12_load_refuses_a_pipe_at_once(tmp_path):
    import threading

    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    outcome = []

    def load():
        try:
            nn.load(pipe)
        except Exception as e:  # noqa: BLE001 - what it raised is the test
            outcome.append(e)
    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(5)
    if reader.is_alive():  # main hangs here: unblock it by opening the writing end
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(5)
        pytest.fail("nn.load blocked on a pipe")
    (error,) = outcome
    assert isinstance(error, ValueError) and f"{pipe}: it is a pipe, not a regular file" in str(error)


def test_issue17_item12_load_refuses_a_device_and_a_directory(tmp_path):
    from chainrule.nn import module

    assert module.MAX_FILE_BYTES  # first, so that a chainrule that reads /dev/zero fails here, not out of memory
    with pytest.raises(ValueError, match="/dev/zero: it is a character device, not a regular file"):
        nn.load("/dev/zero")
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(ValueError, match="it is a character device"):
        Neuron(1).load(link)
    with pytest.raises(IsADirectoryError) as e:
        nn.load(tmp_path)
    assert e.value.filename == str(tmp_path)


def test_issue17_item12_a_2_gb_sparse_file_is_refused_by_its_size_without_reading_it(tmp_path, monkeypatch):
    from chainrule.nn import module

    assert module.MAX_FILE_BYTES == 64 * 2**20  # first, so that a chainrule without a limit never reads 2 GB here
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(2 * 10**9)
    with pytest.raises(ValueError) as e:
        nn.load(path)
    assert str(path) in str(e.value) and "2,000,000,000 bytes" in str(e.value) and "64 MiB" in str(e.value)
    monkeypatch.setattr(module, "MAX_FILE_BYTES", 100)  # the limit holds for a file that is read too
    small = tmp_path / "model.json"
    Neuron(3).save(small)
    with pytest.raises(ValueError, match="larger than a parameter file may be"):
        nn.load(small)


# --- issue 17 item 18: a field of the wrong JSON type is a ValueError naming the file and the field ----

WRONG_TYPES = [["MLP"], {"a": 1}, 3, 2.5, "two", None, True, False]
RIGHT_TYPES = {"module": str, "nin": int, "activation": str, "out_activation": str, "fused": bool}  # biases: only false


@pytest.mark.parametrize("field", ["module", "nin", "sizes", "activation", "out_activation", "biases", "fused"])
@pytest.mark.parametrize("wrong", WRONG_TYPES, ids=repr)
def test_issue17_item18_a_field_of_the_wrong_type_names_the_file_and_the_field(tmp_path, field, wrong):
    if type(wrong) is RIGHT_TYPES.get(field) or (field == "biases" and wrong is False):
        return  # the right type (another class or activation name, a bad size: tested above)
    document = json.loads(saved(tmp_path, MLP(2, [2, 1], seed=0)).read_text())
    if field == "module":
        document["module"] = wrong
    else:
        document["architecture"][field] = wrong
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError) as e:
        nn.load(path)
    message = str(e.value)
    assert str(path) in message and field in message and "unhashable" not in message, message


def test_issue17_item18_a_layer_or_neurons_fields_are_checked_too(tmp_path):
    for model, field in [(Layer(2, 3, seed=0), "nout"), (Neuron(2), "activation"), (Neuron(2, bias=False), "bias")]:
        document = json.loads(saved(tmp_path, model).read_text())
        document["architecture"][field] = [1]
        path = tmp_path / "wrong.json"
        path.write_text(json.dumps(document))
        with pytest.raises(ValueError, match=f"wrong.json: architecture: {field} should be"):
            nn.load(path)


@pytest.mark.parametrize("written, value", [("NaN", float("nan")), ("-Infinity", float("-inf")),
                                            ("9" * 401, 10**401 - 1)])
def test_a_parameter_is_checked_by_engine_checks_real_named_with_the_file(tmp_path, written, value):
    from chainrule.engine.checks import real

    path = tmp_path / "odd.json"
    path.write_text(neuron_file(weight=written))
    with pytest.raises(ValueError) as expected:
        real(value, "parameter w.0")
    with pytest.raises(ValueError) as e:
        nn.load(path)
    assert str(e.value) == f"{path}: {expected.value}"
