"""The README tells the truth: its example prints what its comments say, CI runs its test
command, its figure is what `chainrule graph` draws today, and it lists every demo."""
import contextlib
import io
import re
from pathlib import Path

from chainrule import cli
from chainrule.demos.catalog import DEMOS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_example_prints_what_its_comments_say():
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    assert len(code.strip().splitlines()) <= 15
    promised = [line.split("#", 1)[1].strip() for line in code.splitlines() if line.startswith("print(")]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})  # our own README, not user text
    assert printed.getvalue().splitlines() == promised


def test_ci_runs_the_readme_test_command_verbatim():
    commands = re.findall(r"^    (pip install .*)$", README, re.M)
    assert len(commands) == 2  # one runs the demos, one the tests
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_the_figure_is_what_chainrule_graph_draws(tmp_path):
    figure = re.search(r"!\[[^\]]*\]\(([^)]+\.svg)\)", README).group(1)
    fresh = tmp_path / "neuron.svg"
    argv = ["sigmoid(w1*x1 + w2*x2 + b)", "x1=2", "x2=3", "w1=0", "w2=1", "b=4", "-o", str(fresh), "--highlight", "w1",
            "--rankdir", "TB"]  # top to bottom: it reads in a README column
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["graph", *argv]) == 0
    assert fresh.read_bytes() == (ROOT / figure).read_bytes()


def test_every_demo_is_listed():
    for name in DEMOS:
        assert f"| `{name}` |" in README


def test_issue18_part4_the_tanh_example_has_factors_that_teach():
    """At b=1, u2 = 0: tanh' = 1, so leaving the activation's factor out still gave the right dy/dw."""
    import math

    from chainrule import cli as command_line
    from chainrule.lessons import graph_command, quiz, walkthrough, worksheet
    from chainrule.lessons.graph_command import build_expression
    from chainrule.lessons.quiz import Chain

    texts = [README, graph_command.__doc__, quiz.__doc__, worksheet.__doc__, command_line.__doc__]
    examples = [re.findall(r'"tanh\(w\*x \+ b\)"((?: \w+=-?[\d.]+)+)', text) for text in texts]
    assert all(examples), [text[:60] for text, found in zip(texts, examples) if not found]
    assert re.search(r'Value\(1\.5, "b"', walkthrough.__doc__) and re.search(r'Value\(1\.5, "b"', quiz.__doc__)
    for values in {v for found in examples for v in found}:
        out, leaves = build_expression("tanh(w*x + b)", values.split())
        chain = Chain(out, leaves["w"])
        slope = 1 - out.data ** 2
        assert 0.1 < slope < 0.9, values  # the activation's factor is neither 1 nor saturated
        without = chain.total / slope
        assert f"{without:.2g}" != f"{chain.total:.2g}", values  # leaving it out is caught
        assert all(abs(v.data) not in (0.0, 1.0) for v in leaves.values()), values
        assert math.isclose(chain.total, leaves["x"].data * slope)
