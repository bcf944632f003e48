"""`chainrule graph`: demos.graph.main / add_arguments + run, without the CLI wiring."""
import argparse
import xml.etree.ElementTree as ET

import pytest

from chainrule.demos import graph

EXAMPLE = ["sigmoid(w1*x1 + w2*x2 + b)", "x1=2", "x2=3", "w1=0", "w2=1", "b=4"]


def svg_texts(path):
    root = ET.parse(path).getroot()
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_the_example_writes_an_svg_with_the_output_and_the_chain_rule(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no system Graphviz: the wasm route draws it
    out = tmp_path / "n.svg"
    assert graph.main(EXAMPLE + ["-o", str(out), "--highlight", "w1"]) == 0
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
    assert graph.main(EXAMPLE + ["-o", str(out)]) == 0
    assert out.read_text().startswith("digraph chainrule {")
    capsys.readouterr()
    assert graph.main(["L = (1 - y)**2", "y=0.5", "--digits", "3"]) == 0
    assert capsys.readouterr().out.startswith("digraph chainrule {")


def test_as_a_subcommand_of_another_parser(tmp_path):
    parser = argparse.ArgumentParser(prog="chainrule")
    commands = parser.add_subparsers()
    graph.add_arguments(commands.add_parser("graph"))
    args = parser.parse_args(["graph"] + EXAMPLE + ["-o", str(tmp_path / "n.svg"), "--param", "w1"])
    assert graph.run(args) == 0
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
])
def test_mistakes_give_one_clear_message_and_exit_code_2(argv, message, capsys):
    assert graph.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule graph: ") and message in err.splitlines()[0]
    assert "Traceback" not in err


def test_an_unwritable_output_file(tmp_path, capsys):
    folder = tmp_path / "taken.svg"
    folder.mkdir()  # a folder where the file should go
    assert graph.main(EXAMPLE + ["-o", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"chainrule graph: cannot write {folder}") and len(err.splitlines()) == 1


def test_unused_names_are_noted_and_too_big_graphs_refused(capsys):
    assert graph.main(["x*2", "x=1", "q=3"]) == 0
    assert "not in the expression, ignored: q" in capsys.readouterr().err
    long_sum = "+".join(f"x{i}" for i in range(60))
    values = [f"x{i}=1" for i in range(60)]
    assert graph.main([long_sum] + values + ["--max-nodes", "40"]) == 2
    assert "max_nodes=40" in capsys.readouterr().err
