"""Module: what every network shares. Its parameters by name, zero_grad, and save/load as JSON."""
import json
import math
import os
import tempfile
from numbers import Real

from ..engine import Value

FORMAT = "chainrule-parameters"  # the "format" field of a saved file
VERSION = 1


class Module:
    """A network part whose parameters are the Values among its attributes.

    named_parameters() walks the public attributes in the order they were set: a Value is a
    parameter, a Module is walked in turn, and a list or tuple is walked item by item, its
    index becoming part of the name (`layers.0.neurons.1.w.0`). Attributes starting with `_`
    are private and never walked.
    """

    def named_parameters(self):
        """[(name, Value)] in a fixed order, each parameter once; unlabelled ones get their name as label.

        A label someone gave (`Value(0.5, "w1")`) is kept; a label this method gave earlier
        from a part (`w.0` inside a neuron) grows into the full name (`layers.0.neurons.1.w.0`).
        """
        named, seen = [], set()
        for name, p in _walk(self, ""):
            if id(p) not in seen:
                seen.add(id(p))
                named.append((name, p))
                if not p.label or name.endswith("." + p.label):
                    p.label = name
        return named

    def parameters(self):
        """Every parameter, in the order of named_parameters()."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        """Set every parameter's grad to 0 (grads add up across backward() calls until then)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self):
        """{name: float} of every parameter, in order."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state, *, source="state dict"):
        """Set the parameters from {name: number}; check everything first, so a bad one changes nothing.

        The names must be exactly this module's; each value a finite int or float (not a
        bool). Errors are ValueErrors (TypeError for a non-dict) that start with `source`.
        """
        params = self.named_parameters()
        values = _check_state(state, [name for name, _ in params], source)
        for (_, p), x in zip(params, values):
            p.data = x
        return self

    def save(self, path):
        """Write the parameters to `path` as JSON: {"format", "version", "module", "parameters"}.

        The file is written beside its final place and then renamed, so a crash cannot leave
        a half-written file behind.
        """
        state = self.state_dict()
        bad = [name for name, x in state.items() if not math.isfinite(x)]
        if bad:
            raise ValueError(f"cannot save {path}: parameter {bad[0]} is {state[bad[0]]!r}, not a finite number")
        document = {"format": FORMAT, "version": VERSION, "module": type(self).__name__, "parameters": state}
        text = json.dumps(document, indent=1) + "\n"
        folder = os.path.dirname(os.path.abspath(path))
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, suffix=".tmp", delete=False) as f:
            f.write(text)
        os.replace(f.name, path)

    def load(self, path):
        """Read parameters saved by save(); a malformed or mismatched file raises ValueError and changes nothing.

        The names must match this model's exactly ("module", the saver's class, is not checked).
        """
        document = _read_json(path)
        if not isinstance(document, dict):
            raise ValueError(f"{path}: expected a JSON object at the top, found {_json_type(document)}")
        if document.get("format") != FORMAT:
            raise ValueError(f"{path}: not a chainrule parameter file (its \"format\" is {document.get('format')!r}, "
                             f"expected {FORMAT!r})")
        if document.get("version") != VERSION:
            raise ValueError(f"{path}: unsupported version {document.get('version')!r} (this chainrule reads {VERSION})")
        if "parameters" not in document:
            raise ValueError(f"{path}: no \"parameters\" object")
        state = document["parameters"]
        if not isinstance(state, dict):
            raise ValueError(f"{path}: \"parameters\" should be an object of name: number, found {_json_type(state)}")
        return self.load_state_dict(state, source=str(path))

    def __repr__(self):
        return f"{type(self).__name__}({len(self.parameters())} parameters)"


def _walk(item, name):
    """(name, Value) for every Value inside item, depth first, in attribute and list order."""
    if isinstance(item, Value):
        yield name, item
    elif isinstance(item, Module):
        for key, child in vars(item).items():
            if not key.startswith("_"):
                yield from _walk(child, _join(name, key))
    elif isinstance(item, (list, tuple)):
        for i, child in enumerate(item):
            yield from _walk(child, _join(name, str(i)))


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def _check_state(state, names, source):
    """The values of `state` in the order of `names`, as floats; ValueError naming the first problem."""
    if not isinstance(state, dict):
        raise TypeError(f"{source}: expected a dict of name: number, not {type(state).__name__}")
    expected = set(names)
    missing = [name for name in names if name not in state]
    unexpected = [name for name in state if name not in expected]
    if missing or unexpected:
        problems = []
        if missing:
            problems.append(f"missing {_some(missing)}")
        if unexpected:
            problems.append(f"unexpected {_some(unexpected)}")
        raise ValueError(f"{source}: parameter names do not match this model: {'; '.join(problems)}")
    return [_check_number(state[name], name, source) for name in names]


def _check_number(x, name, source):
    if isinstance(x, bool) or not isinstance(x, Real):
        raise ValueError(f"{source}: parameter {name} should be a number, not {_json_type(x)} {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{source}: parameter {name} is {x!r}; parameters must be finite numbers")
    return x


def _some(names, limit=5):
    shown = ", ".join(names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{len(names)} name{'s' if len(names) != 1 else ''} ({shown}{more})"


def _read_json(path):
    """The JSON in the file at path; ValueError with the file, line and column if it is not JSON."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not a text file (byte {e.start} is not UTF-8)") from None
    if not text.strip():
        raise ValueError(f"{path}: the file is empty")
    try:
        return json.loads(text, object_pairs_hook=_no_repeated_keys)  # NaN and Infinity read as floats, refused later
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except _JSONContentError as e:
        raise ValueError(f"{path}: {e}") from None


class _JSONContentError(ValueError):
    """JSON that parses but that a parameter file must not contain."""


def _no_repeated_keys(pairs):
    seen = set()
    for key, _ in pairs:
        if key in seen:
            raise _JSONContentError(f"the name {key!r} appears twice in one object")
        seen.add(key)
    return dict(pairs)


def _json_type(x):
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(x), type(x).__name__)
