"""`chainrule graph`: the words cli.py parses, the work lessons/graph_command.py does."""
import os
import re
import xml.etree.ElementTree as ET

import pytest

from chainrule import cli
from chainrule.lessons import graph_command

def chainrule_graph(argv):
    """`chainrule graph ARGV...`: its exit code."""
    return cli.main(["graph", *argv])


EXAMPLE = ["sigmoid(w1*x1 + w2*x2 + b)", "x1=2", "x2=3", "w1=0", "w2=1", "b=4"]


def svg_texts(path):
    root = ET.parse(path).getroot()
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_the_example_writes_an_svg_with_the_output_and_the_chain_rule(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no system Graphviz: the wasm route draws it
    out = tmp_path / "n.svg"
    assert chainrule_graph(EXAMPLE + ["-o", str(out), "--highlight", "w1"]) == 0
    words = svg_texts(out)
    assert "data 0.9991" in words
    assert "dy/dw1 = 0.0009102 × 1 × 1 × 2 = 0.00182" in words
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [
        "y = 0.9991",
        "dy/dw1 = 0.00182, dy/dx1 = 0, dy/dw2 = 0.002731, dy/dx2 = 0.0009102, dy/db = 0.0009102",
        "dy/dw1 = 0.0009102 × 1 × 1 × 2 = 0.00182",
        f"wrote {out}",
    ]
    assert printed.err == ""


def test_dot_output_and_stdout(tmp_path, capsys):
    out = tmp_path / "n.dot"
    assert chainrule_graph(EXAMPLE + ["-o", str(out)]) == 0
    assert out.read_text().startswith("digraph chainrule {")
    capsys.readouterr()
    assert chainrule_graph(["L = (1 - y)**2", "y=0.5", "--digits", "3", "--dot"]) == 0
    assert capsys.readouterr().out.startswith("digraph chainrule {")


def test_issue18_part4_without_o_the_value_and_every_grad_are_printed(capsys):
    """It printed 30 lines of DOT; --dot asks for those."""
    assert chainrule_graph(["tanh(w*x + b)", "x=0.5", "w=-2", "b=1.5"]) == 0
    assert capsys.readouterr().out.splitlines() == ["y = 0.4621", "dy/dw = 0.3932, dy/dx = -1.573, dy/db = 0.7864"]
    assert chainrule_graph(["tanh(w*x + b)", "x=0.5", "w=-2", "b=1.5", "--highlight", "w"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "dy/dw = 0.7864 × 1 × 0.5 = 0.3932"
    assert chainrule_graph(["x*2", "x=1", "--dot", "-o", "f.dot"]) == 2
    assert "--dot prints the DOT text; -o FILE.dot writes it" in capsys.readouterr().err


def test_issue18_part4_graph_help_keeps_its_examples_and_grammar_as_lines(capsys):
    assert cli.main(["graph", "--help"]) == 0
    out = capsys.readouterr().out
    assert '\nExample: chainrule graph "sigmoid(w1*x1 + w2*x2 + b)" x1=2' in out
    assert '\n         chainrule graph "tanh(w*x + b)" x=0.5 w=-2 b=1.5 --steps' in out
    assert "\nEXPR may use numbers, names, + - * / **, parentheses and the functions exp, log, tanh,\n" in out


def test_the_words_parsed_by_the_cli_and_the_work_done_by_graph_command(tmp_path):
    args = cli.build_parser().parse_args(["graph"] + EXAMPLE + ["-o", str(tmp_path / "n.svg"), "--param", "w1"])
    assert graph_command.run(args) == 0
    assert (tmp_path / "n.svg").read_bytes().startswith(b"<?xml")


@pytest.mark.parametrize("argv, message", [
    (EXAMPLE + ["w3"], "'w3': give a value as NAME=NUMBER"),
    (EXAMPLE[:-1] + ["b=four"], "'b=four': 'four' is not a number"),
    (EXAMPLE + ["b=5"], "b is given twice"),
    (EXAMPLE + ["--highlight", "w9"], "--highlight w9: no such name in the expression"),
    (EXAMPLE + ["-o", "/no/such/folder/n.svg"], "the folder /no/such/folder does not exist"),
    (EXAMPLE + ["-o", "n.jpg"], "cannot tell the format from .jpg"),
    (EXAMPLE[:-1], "b has no value"),
    (["open('f')"], "calling open() is not allowed"),
    (["sqrt(x)", "x=0"], "the derivative of sqrt(0.0) is not finite"),
    (EXAMPLE + ["--html", "page.html"], "--html page.html writes the steps of --steps: add --steps"),
    (EXAMPLE + ["--out", "n.svg"], "--out n.svg writes the steps of --steps: add --steps, or use -o FILE for one"),
    (EXAMPLE + ["--steps", "-o", "n.svg"], "-o draws one graph; --steps writes its steps with --out DIR"),
    (EXAMPLE + ["--steps", "--html", "/no/such/folder/p.html"], "the folder /no/such/folder does not exist"),
    (["x", "x=1", "--steps"], "nothing to walk through: x was not computed from other values"),
])
def test_mistakes_give_one_clear_message_and_exit_code_2(argv, message, capsys):
    assert chainrule_graph(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule graph: ") and message in err.splitlines()[0]
    assert "Traceback" not in err


def test_an_unwritable_output_file(tmp_path, capsys):
    folder = tmp_path / "taken.svg"
    folder.mkdir()  # a folder where the file should go
    assert chainrule_graph(EXAMPLE + ["-o", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"chainrule graph: cannot write {folder}") and len(err.splitlines()) == 1


@pytest.mark.parametrize("steps", [[], ["--steps"]])
def test_unused_names_are_noted_and_too_big_graphs_refused_with_how_to_lift_the_limit(capsys, steps):
    assert chainrule_graph(["x*2", "x=1", "q=3"] + steps) == 0
    assert "not in the expression, ignored: q" in capsys.readouterr().err
    long_sum = "+".join(f"x{i}" for i in range(60))
    values = [f"x{i}=1" for i in range(60)]
    assert chainrule_graph([long_sum] + values + steps + ["--max-nodes", "40"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule graph: this graph has 119 values") and "more than --max-nodes 40." in err
    lifted = re.search(r"Pass --max-nodes (\d+) \(or --max-nodes None for no limit\)", err).group(1)
    assert chainrule_graph([long_sum] + values + steps + ["--max-nodes", lifted]) == 0


def test_steps_off_a_terminal_print_every_step_straight_through(capsys):
    assert chainrule_graph(["tanh(w*x + b)", "x=0.5", "w=-2", "b=1.5", "--steps"]) == 0
    printed = capsys.readouterr()
    assert printed.err == "" and "\033[" not in printed.out
    titles = ["Forward: y = 0.4621", "Backward 1/3: y", "Backward 2/3: w*x + b", "Backward 3/3: w*x"]
    for k, title in enumerate(titles, 1):
        assert f"step {k}/4" in printed.out and f"\n{title}\n" in printed.out
    assert "  to x: local -2 × grad 0.7864 = -1.573." in printed.out
    assert printed.out.count("graph: add --out DIR for one SVG per step, --html FILE for a page") == 1  # once
    assert "The grads: dy/dw = 0.3932, dy/dx = -1.573, dy/db = 0.7864." in printed.out


def test_steps_written_as_a_page_and_one_svg_each(tmp_path, capsys):
    page, folder = tmp_path / "page.html", tmp_path / "steps"
    assert chainrule_graph(["L = (1 - y)**2", "y=0.5", "--steps", "--html", str(page), "--out", str(folder)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "L = 0.25: 3 steps", "The grads: dL/dy = -1.", f"wrote 3 SVGs to {folder}{os.sep} and {page}"]
    assert sorted(p.name for p in folder.iterdir()) == ["01-forward-l-0-25.svg", "02-backward-1-2-l.svg",
                                                        "03-backward-2-2-1-y.svg"]
    html = page.read_text(encoding="utf-8")
    assert html.count('<section class="step"') == 3 and "L = (1 - y)**2" in html


@pytest.mark.parametrize("argv", [
    ["x*y", "-o", "f.svg", "x=1", "y=2"],
    ["x*y", "x=1", "-o", "f.svg", "y=2"],
    ["-o", "f.svg", "x*y", "x=1", "y=2"],
    ["x*y", "--digits", "3", "x=1", "--highlight", "x", "y=2", "-o", "f.svg"],
])
def test_issue17_item20_options_may_come_between_expr_and_its_values(argv, tmp_path, capsys, monkeypatch):
    """argparse stopped reading NAME=VALUE at the first option: 'unrecognized arguments: x=1 y=2'."""
    monkeypatch.chdir(tmp_path)
    assert chainrule_graph(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "wrote f.svg" and "dx = 2" in out[1] and (tmp_path / "f.svg").stat().st_size > 1000


def test_issue17_item20_quiz_takes_its_values_after_wrt_too(monkeypatch, capsys):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.StringIO("3\n3\n"))
    assert cli.main(["quiz", "w*x", "--wrt", "w", "w=2", "x=3"]) == 0
    out = capsys.readouterr().out
    assert "w = 2" in out and "x = 3" in out and "2 of 2 right" in out


@pytest.mark.parametrize("argv, said", [
    (["-x*y", "x=1", "y=2", "-o", "f.svg"], "wrote f.svg"),
    (["-x*y", "-o", "f.svg", "x=1", "y=2"], "wrote f.svg"),
    (["-(a*b)", "a=1", "b=2", "-o", "g.svg"], "y = -2"),
])
def test_issue17_item20_an_expr_starting_with_minus_parses(argv, said, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert chainrule_graph(argv) == 0
    assert said in capsys.readouterr().out


def test_issue17_item20_another_mistake_is_not_blamed_on_an_expr_starting_with_minus(capsys):
    assert chainrule_graph(["-x*y", "x=1", "y=2", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --bogus" in err and "-x*y" not in err


ESCAPES = "\033[31mred\033]0;pwned\a\u202e"


def test_issue17_item21_a_comment_passes_no_escape_codes_to_the_terminal(capsys):
    assert chainrule_graph([f"x*2 # {ESCAPES}", "x=1", "--steps"]) == 0
    out = capsys.readouterr().out
    assert "\033" not in out and "\a" not in out and "\u202e" not in out
    assert "`chainrule quiz 'x*2' x=1 --wrt x`" in " ".join(out.split())  # the hint, without the comment
    assert chainrule_graph([f"x*q # {ESCAPES}", "x=1"]) == 2
    err = capsys.readouterr().err
    assert "\033" not in err and "\a" not in err and "q has no value" in err and "\\x1b[31mred" in err


def test_issue17_item21_labels_reach_the_terminal_stepper_and_the_quiz_escaped(capsys):
    from chainrule import Value, quiz, walkthrough

    x = Value(2.0, f"x{ESCAPES}")
    y = (x * 3).named(f"y{ESCAPES}")
    walkthrough(y).step_through(interactive=False)
    quiz(y, wrt=x, read=lambda prompt: "3")
    out = capsys.readouterr().out
    assert "\033" not in out and "\a" not in out and "\u202e" not in out and "x\\x1b[31mred" in out
