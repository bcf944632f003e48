"""What `pip install` puts in place: one import package, chainrule, and nothing that shadows a builtin."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import chainrule

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_one_top_level_package(tmp_path):
    # Built from a copy of the tracked files: building in the checkout would leave a build/
    # folder behind, whose stale files a later wheel would pick up.
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in tracked.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("chainrule-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"chainrule", f"chainrule-{chainrule.__version__}.dist-info"}
    for package in ("engine", "engine/drawing", "nn", "lessons", "lessons/site", "demos"):
        assert f"chainrule/{package}/__init__.py" in names
    # the files the package reads besides its Python: the page's Graphviz layer, the playground's page
    static = ROOT / "lessons" / "site" / "static"
    shipped = {name for name in names if name.startswith("chainrule/lessons/site/static/")}
    assert shipped == {f"chainrule/lessons/site/static/{p.name}" for p in static.iterdir() if p.is_file()}
    assert "chainrule/lessons/site/static/playground.html" in shipped
    assert "chainrule/engine/drawing/browser.js" in names
    assert "chainrule/cli.py" in names and "chainrule/__main__.py" in names
    assert not any(name.startswith(("chainrule/tests", "chainrule/bench")) for name in names)
    assert any(name.endswith("dist-info/licenses/LICENSE") for name in names)


def test_nothing_imports_the_bare_folder_names():
    # A learner's own engine.py or nn.py must not be picked up in place of ours, and ours must
    # not sit in sys.modules under names that other distributions use.
    code = ("import sys, chainrule, chainrule.nn, chainrule.cli, chainrule.demos.catalog, chainrule.engine.drawing;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('engine', 'nn', 'demos', 'lessons', 'cli')))")
    done = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_import_star_leaves_builtins_alone():
    namespace = {}
    exec("from chainrule import *", namespace)  # our own package, not user text
    exec("from chainrule.engine import *", namespace)
    exec("from chainrule.nn import *", namespace)
    assert "sum" not in namespace and "compile" not in namespace
    assert {"Value", "draw", "no_grad", "gradcheck"} <= set(namespace)
    assert chainrule.engine.sum([chainrule.Value(1.0), chainrule.Value(2.0)]).data == 3.0


def test_python_dash_m_chainrule_and_the_version():
    done = subprocess.run([sys.executable, "-m", "chainrule", "--version"], cwd="/", capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout == f"chainrule {chainrule.__version__}\n"


def test_pytest_runs_in_a_checkout_whose_folder_name_is_not_an_identifier(tmp_path):
    checkout = tmp_path / "my-chainrule"
    (checkout / "tests").mkdir(parents=True)
    shutil.copy2(ROOT / "pyproject.toml", checkout)
    (checkout / "__init__.py").write_text("raise ImportError('pytest must not import the checkout as a package')\n")
    (checkout / "tests" / "test_one.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"], cwd=checkout,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
