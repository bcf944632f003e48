"""Module: what every network shares. Its parameters by name, zero_grad, and save/load as JSON.

The file save() writes (nn.load and Module.load read it):

    {"format": "chainrule-parameters", "version": 1, "module": "MLP",
     "architecture": {"nin": 2, "sizes": [2, 1], "activation": "sigmoid", "out_activation": "linear"},
     "parameters": {"layers.0.neurons.0.w.0": 0.6888437030500962, ...}}

"architecture" is what the class's constructor needs to build the same shape again (Neuron,
Layer and MLP have one; a Module of your own has none, so only model.load can read its file).
Labels are not saved: after nn.load, label_parameters() gives the short names again.
"""
import errno
import json
import math
import os
import stat
from collections import Counter

from ..engine import Value
from ..engine.checks import real
from ..engine.writer import file_kind, write_file

FORMAT = "chainrule-parameters"  # the "format" field of a saved file
VERSION = 1
MAX_FILE_BYTES = 64 * 2**20  # nn.load reads no larger file: 64 MiB, over a million parameters


class Module:
    """A network part whose parameters are the Values among its attributes.

    named_parameters() walks the public attributes in the order they were set: a Value is a
    parameter, a Module is walked in turn, a list or tuple item by item, its index becoming
    part of the name (`layers.0.neurons.1.w.0`), and a dict entry by entry, its key becoming
    part of the name (`blocks.enc.w.0`). Each module or container is walked once, so one that
    refers to itself is fine. Attributes starting with `_` are private and never walked.
    """

    def named_parameters(self):
        """[(path name, Value)] in a fixed order, each parameter once. Reads only: labels are left as they are."""
        named, seen = [], set()
        for name, p in _walk(self, ""):
            if id(p) not in seen:
                seen.add(id(p))
                named.append((name, p))
        return named

    def parameters(self):
        """Every parameter, in the order of named_parameters()."""
        return [p for _, p in self.named_parameters()]

    def label_parameters(self):
        """Give every unlabelled parameter a short name for drawings, and return self.

        A parameter is named after the attribute that holds it (`w` for a neuron's weights,
        `b` for its bias), numbered in the order of named_parameters() where that name holds
        several: a Neuron(2) gets w1, w2, b; an MLP(2, [2, 1]) w1 ... w6 and b1, b2, b3, the
        tutorials' names. Labels already given are kept, and a name taken by one is skipped.
        """
        named = self.named_parameters()
        bases = [_base(name) for name, _ in named]
        holders = Counter(base for base, _ in bases)
        taken = {p.label for _, p in named if p.label}
        counters = Counter()
        for (_, p), (base, listed) in zip(named, bases):
            if p.label:
                continue
            label = base
            if listed or holders[base] > 1 or base in taken:  # numbered: w1, w2, ...
                counters[base] += 1
                while f"{base}{counters[base]}" in taken:
                    counters[base] += 1
                label = f"{base}{counters[base]}"
            p.label = label
            taken.add(label)
        return self

    def zero_grad(self):
        """Set every parameter's grad to 0 (grads add up across backward() calls until then)."""
        for p in self.parameters():
            p.grad = 0.0

    def architecture(self):
        """The arguments that build this module's shape again, for nn.load; None: it cannot be rebuilt."""
        return None

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
        """Write the parameters (and the architecture, if any) to `path` as JSON; see the module's docstring.

        Written by engine.writer.write_file: beside its final place, then renamed over it, so a
        crash or a full disk leaves the old file or the new one, never half of one, and no
        temporary file. A symlink at `path` is replaced, never written through. A directory or
        other non-regular file (a device, a pipe) is refused with OSError. A new file gets the
        permissions the umask allows; a file replaced keeps its own.
        """
        state = self.state_dict()
        bad = [name for name, x in state.items() if not math.isfinite(x)]
        if bad:
            raise ValueError(f"cannot save {path}: parameter {bad[0]} is {state[bad[0]]!r}, not a finite number")
        document = {"format": FORMAT, "version": VERSION, "module": type(self).__name__}
        architecture = self.architecture()
        if architecture is not None:
            document["architecture"] = architecture
        document["parameters"] = state
        write_file(path, json.dumps(document, indent=1) + "\n")

    def load(self, path):
        """Read parameters saved by save() into this model; return it.

        The names must match this model's exactly ("module" and "architecture" are not
        checked). A malformed or mismatched file raises ValueError naming the file and the
        problem, and changes nothing; a missing file raises FileNotFoundError.
        """
        document = read_parameter_file(path)
        return self.load_state_dict(document["parameters"], source=str(path))

    def __repr__(self):
        architecture = self.architecture()
        if architecture is None:
            return f"{type(self).__name__}({len(self.parameters())} parameters)"
        args = list(architecture.items())
        shown = [repr(value) for _, value in args[:2]] + [f"{key}={value!r}" for key, value in args[2:]]
        return f"{type(self).__name__}({', '.join(shown)})"


def save(model, path):
    """Write `model`'s parameters and architecture to `path` as JSON: model.save(path)."""
    if not isinstance(model, Module):
        raise TypeError(f"save(model, path) takes a Module (a Neuron, Layer, MLP or your own), not {type(model).__name__}")
    model.save(path)


def read_parameter_file(path):
    """The document save() wrote at `path`, checked down to "parameters" being an object.

    ValueError naming the file and the problem for anything else: not UTF-8, not JSON,
    nested too deeply, numbers too long, another format or version, no parameters.
    """
    document = _read_json(path)
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a JSON object at the top, found {_json_type(document)}")
    if document.get("format") != FORMAT:
        raise ValueError(f"{path}: not a chainrule parameter file (its \"format\" is {document.get('format')!r:.80}, "
                         f"expected {FORMAT!r})")
    version = document.get("version")
    if type(version) is not int or version != VERSION:  # true == 1 in Python: the type is checked too
        raise ValueError(f"{path}: unsupported version {version!r:.80} (this chainrule reads {VERSION})")
    if "parameters" not in document:
        raise ValueError(f"{path}: no \"parameters\" object")
    if not isinstance(document["parameters"], dict):
        raise ValueError(f"{path}: \"parameters\" should be an object of name: number, found "
                         f"{_json_type(document['parameters'])}")
    return document


def _base(path):
    """(the name a parameter is held by, whether it sits in a list): ("w", True) for "layers.0.neurons.1.w.0"."""
    parts = path.split(".")
    return next(part for part in reversed(parts) if not part.isdigit()), parts[-1].isdigit()


def _walk(root, name):
    """(name, Value) for every Value inside root, depth first, in attribute, list and dict order.

    Modules, lists, tuples and dicts are walked; each one once, so a module that holds itself
    (or any cycle) ends. A dict key becomes part of the name as it is written: `blocks.enc.w.0`.
    """
    stack, seen = [(name, root)], set()
    while stack:
        name, item = stack.pop()
        if isinstance(item, Value):
            yield name, item
            continue
        if isinstance(item, Module):
            children = [(key, child) for key, child in vars(item).items() if not key.startswith("_")]
        elif isinstance(item, dict):
            children = list(item.items())
        elif isinstance(item, (list, tuple)):
            children = list(enumerate(item))
        else:
            continue
        if id(item) in seen:
            continue
        seen.add(id(item))
        stack.extend((_join(name, str(key)), child) for key, child in reversed(children))


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
    """x as a finite float by engine.checks.real, its error naming the file (`source`) and the parameter."""
    try:
        return real(x, f"parameter {name}")
    except TypeError:  # in words of the JSON the file holds: "a string", "an array", "null"
        raise ValueError(f"{source}: parameter {name} should be a number, not {_json_type(x)} {x!r:.80}") from None
    except ValueError as e:  # not finite, or an integer too large for a float
        raise ValueError(f"{source}: {e}") from None


def _some(names, limit=5):
    shown = ", ".join(names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{len(names)} name{'s' if len(names) != 1 else ''} ({shown}{more})"


def _read_json(path):
    """The JSON in the file at path; ValueError with the file, line and column if it is not JSON."""
    text = _read_text(path)
    if not text.strip():
        raise ValueError(f"{path}: the file is empty")
    try:
        return json.loads(text, object_pairs_hook=_no_repeated_keys)  # NaN and Infinity read as floats, refused later
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise ValueError(f"{path}: the JSON is nested too deeply to be a parameter file") from None
    except ValueError as e:  # a repeated name, or an integer too long to convert (Python stops at 4300 digits)
        raise ValueError(f"{path}: {e}") from None


def _read_text(path):
    """The text of the regular file at path, of at most MAX_FILE_BYTES; ValueError naming the file otherwise.

    Opened without blocking and checked before anything is read, so a pipe never hangs,
    /dev/zero is never read and a huge (or sparse) file is refused by its size alone.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "it is a directory, not a parameter file", os.fspath(path))
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path}: it is {file_kind(info.st_mode)}, not a regular file; a parameter file is a file")
        _check_size(info.st_size, path)
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)  # a file that grows while it is read is held to the limit too
    _check_size(len(data), path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: not a text file (byte {e.start} is not UTF-8)") from None


def _check_size(size, path):
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{path}: the file is {size:,} bytes, larger than a parameter file may be (at most "
                         f"{MAX_FILE_BYTES >> 20} MiB, chainrule.nn.module.MAX_FILE_BYTES)")


def _no_repeated_keys(pairs):
    seen = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"the name {key!r} appears twice in one object")
        seen.add(key)
    return dict(pairs)


def _json_type(x):
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(x), type(x).__name__)
