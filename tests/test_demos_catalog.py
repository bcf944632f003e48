"""The catalog: every demo listed without importing it, one file per demo named as the learner types it."""
import ast
import pathlib
import subprocess
import sys

from chainrule.demos.catalog import DEMOS
from chainrule.lessons.steps import Tutorial

DEMO_FOLDER = pathlib.Path(__file__).parents[1] / "demos"


def module_name(demo_name):
    return demo_name.replace("-", "_")


def python(code):
    """Run code in a fresh Python: (stdout, stderr); a failure shows its stderr."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def test_listing_the_demos_imports_no_demo_module():
    """`chainrule list` reads the static catalog: no demo, no drawing, and no dataclasses (with
    inspect and typing, a good part of its start-up: bench/README.md)."""
    code = ("import sys\n"
            "from chainrule import cli\n"
            "code = cli.main(['list'])\n"
            "print(sorted(m for m in sys.modules if m.startswith(('chainrule.', 'graphviz', 'dataclasses'))), "
            "file=sys.stderr)\n"
            "raise SystemExit(code)")
    listing, modules = python(code)
    imported = set(ast.literal_eval(modules))
    assert all(name in listing for name in DEMOS)
    demo_modules = {f"chainrule.demos.{module_name(name)}" for name in DEMOS}
    assert not imported & demo_modules
    assert not imported & {"chainrule.lessons.walkthrough_steps", "chainrule.lessons.labels", "chainrule.nn",
                           "chainrule.engine.drawing", "graphviz", "dataclasses"}


def test_building_a_demo_imports_its_module_then():
    code = ("import sys\n"
            "from chainrule.demos.catalog import DEMOS\n"
            "assert 'chainrule.demos.spam' not in sys.modules\n"
            "steps = DEMOS['spam'].build()\n"
            "print(len(steps), 'chainrule.demos.spam' in sys.modules, 'chainrule.demos.rabbit' in sys.modules)")
    assert python(code)[0].split() == ["2", "True", "False"]


def test_one_file_per_demo_named_as_the_learner_types_it():
    for name in DEMOS:
        path = DEMO_FOLDER / f"{module_name(name)}.py"
        tree = ast.parse(path.read_text())
        assert any(isinstance(node, ast.FunctionDef) and node.name == "build" for node in tree.body), path
    # and every module with a build() is a listed demo
    with_build = {path.stem for path in DEMO_FOLDER.glob("*.py")
                  if any(isinstance(node, ast.FunctionDef) and node.name == "build"
                         for node in ast.parse(path.read_text()).body)}
    assert with_build == {module_name(name) for name in DEMOS}


def test_each_demo_says_which_tutorial_it_follows():
    own = {name for name, demo in DEMOS.items() if demo.tutorial is None}
    assert own == {"spiral"}  # follows no text: every number it shows is the engine's alone
    for demo in (demo for demo in DEMOS.values() if demo.name not in own):
        assert isinstance(demo.tutorial, Tutorial) and demo.tutorial.title, demo.name
        assert demo.tutorial.link == "" or demo.tutorial.link.startswith("https://")
    assert str(DEMOS["gender"].tutorial) == "“Machine Learning for Beginners: An Introduction to Neural Networks” by Victor Zhou"
    assert str(DEMOS["xor"].tutorial).endswith("Step by Step Walkthrough”")  # the copy we have names no author
    assert DEMOS["two-layer"].tutorial.author == "James Loy"
    assert DEMOS["descent"].tutorial.link.startswith("https://hackernoon.com/dl01-")
