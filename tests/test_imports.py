"""The arrows between the package's rooms run one way: cli -> demos -> lessons -> nn and drawing -> engine.

Every module's imports are read from its source (ast, imports inside functions included, since
a lazy import is still an arrow), and three things are refused: a circle between modules, an
arrow that runs up the layers (or sideways between nn and the drawing), and a private name
(`_x`) imported from another top-level package.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"tests", "bench", "build", "dist"}

# Top first. A module may import modules of its own layer and of any layer below it.
LAYERS = ["cli", "demos", "lessons", "nn and drawing", "engine"]


def modules():
    """{dotted name: (path, is a package's __init__)} for every module of the chainrule package."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in SKIP or any(p.startswith(".") or p.endswith(".egg-info") for p in parts):
            continue
        name = ["chainrule", *parts[:-1]] + ([] if path.name == "__init__.py" else [path.stem])
        found[".".join(name)] = (path, path.name == "__init__.py")
    return found


MODULES = modules()


def imports(name):
    """(module imported, name imported from it or None, line) for every import of module `name` that
    lands in chainrule, relative ones resolved, wherever it stands in the file."""
    path, is_package = MODULES[name]
    package = name if is_package else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "chainrule"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] == "chainrule":
                found += [(source, a.name, node.lineno) for a in node.names]
    return found


def target(source, imported):
    """The module an import reaches: `from chainrule.lessons import quiz` reaches chainrule.lessons.quiz."""
    for candidate in ([f"{source}.{imported}"] if imported else []) + [source]:
        while candidate not in MODULES and "." in candidate:
            candidate = candidate.rsplit(".", 1)[0]
        if candidate in MODULES:
            return candidate
    raise AssertionError(f"an import of {source} reaches no module of the package")


def edges():
    """{module: {module it imports: first line}}."""
    graph = {}
    for name in MODULES:
        graph[name] = {}
        for source, imported, line in imports(name):
            reached = target(source, imported)
            if reached != name:
                graph[name].setdefault(reached, line)
    return graph


def layer(name):
    """The layer a module sits in: the root's __init__, __main__ and cli are the front door."""
    parts = name.split(".")[1:]
    if not parts or parts[0] in ("cli", "__main__"):
        return "cli"
    if parts[0] == "engine" and parts[1:2] == ["drawing"]:
        return "nn and drawing"
    if parts[0] == "nn":
        return "nn and drawing"
    return parts[0]


def circles(graph):
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(sorted(graph[start])))]
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def wrong_arrows(graph):
    """The imports that run up the layers, or sideways between nn and the drawing."""
    wrong = []
    for name, reached in graph.items():
        for other, line in reached.items():
            if MODULES.get(name, (None, False))[1] and other.startswith(name + "."):
                continue  # a package's __init__ re-exports its own subpackages (engine.draw from engine.drawing)
            here, there = LAYERS.index(layer(name)), LAYERS.index(layer(other))
            sideways = here == there and layer(name) == "nn and drawing" and \
                (name.split(".")[1] == "nn") != (other.split(".")[1] == "nn")
            if there < here or sideways:
                wrong.append(f"{name} (line {line}) imports {other}: {layer(name)} -> {layer(other)}")
    return wrong


def private_imports(found):
    """The private names (`_x`, or a module `_x`) imported from another top-level package: found is
    {module: [(source, name, line), ...]} as imports() gives them."""
    wrong = []
    for name, listed in found.items():
        for source, imported, line in listed:
            private = [part for part in source.split(".")[1:] + [imported or ""]
                       if part.startswith("_") and not part.startswith("__")]
            if private and source.split(".")[1:2] != name.split(".")[1:2]:
                wrong.append(f"{name} (line {line}) imports {source}.{imported}")
    return wrong


def test_every_room_of_the_layout_is_found():
    assert {layer(name) for name in MODULES} == set(LAYERS)
    assert {"chainrule", "chainrule.cli", "chainrule.lessons.walkthrough", "chainrule.engine.expression",
            "chainrule.demos.catalog", "chainrule.engine.drawing.snapshot"} <= set(MODULES)


def test_no_circle_between_modules():
    assert circles(edges()) == []


def test_the_arrows_run_down_the_layers():
    assert wrong_arrows(edges()) == []


def test_no_private_name_is_imported_from_another_package():
    assert private_imports({name: imports(name) for name in MODULES}) == []


def test_the_checks_refuse_what_they_are_for(tmp_path):
    """Each check fails where it should: a circle, an arrow up or sideways, a private name across
    packages, and an import inside a function is read like any other."""
    assert circles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]
    assert wrong_arrows({"chainrule.engine.value": {"chainrule.lessons.quiz": 3}}) == [
        "chainrule.engine.value (line 3) imports chainrule.lessons.quiz: engine -> lessons"]
    assert wrong_arrows({"chainrule.nn.train": {"chainrule.engine.drawing": 9}})  # sideways
    assert not wrong_arrows({"chainrule.demos.gender": {"chainrule.engine": 7, "chainrule.lessons.steps": 8}})
    assert private_imports({"chainrule.lessons.walkthrough": [("chainrule.nn.train", "_in_notebook", 5)]})
    assert not private_imports({"chainrule.engine.drawing.snapshot": [("chainrule.engine.value", "_real", 5)]})
    path = tmp_path / "probe.py"
    path.write_text("import chainrule.nn\n\n\ndef f():\n    from ..lessons import quiz\n")
    MODULES["chainrule.demos.probe"] = (path, False)
    try:
        assert {target(s, i) for s, i, _ in imports("chainrule.demos.probe")} == {"chainrule.nn",
                                                                                 "chainrule.lessons.quiz"}
    finally:
        del MODULES["chainrule.demos.probe"]
