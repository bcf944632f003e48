"""Every file the command line writes goes through engine.writer.write_file: whole or not at all, never
through a link planted where it goes, and a failure names the user's path."""
import errno
import io
import os
import sys

import pytest

from chainrule import Value, cli, draw
from chainrule.engine import writer
from chainrule.lessons.steps import Demo, Number, Step


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def tiny_steps():
    x, w = Value(2.0, "x"), Value(-0.5, "w", param=True)
    y = (w * x).tanh().named("y")
    before = draw(y)
    y.backward()
    return [Step("A neuron with two inputs", "y = tanh(w*x)", numbers=(Number("y", y.data, ""),), graph=before),
            Step("Backward", "dy/dw", numbers=(Number("dy/dw", w.grad, ""),), graph=draw(y)),
            Step("Training", "a loss curve", history=(0.5, 0.3, 0.2, 0.15))]


TINY = Demo("tiny", "A tiny demo", "one neuron", tiny_steps)


@pytest.fixture
def tiny_catalog(monkeypatch):
    monkeypatch.setattr(cli, "catalog", lambda: {"tiny": TINY})
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: straight through


def full_disk(monkeypatch):
    def no_space(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(writer.os, "write", no_space)


def snapshot(folder):
    """{name: bytes} of every file under folder."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_issue17_item6_a_full_disk_leaves_a_good_graph_svg_byte_identical(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "graph", "sigmoid(w*x + b)", "x=2", "w=0.5", "b=1", "-o", "keep.svg")[0] == 0
    good = (tmp_path / "keep.svg").read_bytes()
    assert len(good) > 1000
    full_disk(monkeypatch)
    code, out, err = run(capsys, "graph", "tanh(w*x)", "x=1", "w=2", "-o", "keep.svg")
    assert code == 2 and err == "chainrule graph: cannot write keep.svg: No space left on device\n"
    assert (tmp_path / "keep.svg").read_bytes() == good
    assert os.listdir(tmp_path) == ["keep.svg"]  # no temporary file left beside it


@pytest.mark.parametrize("argv, names", [
    (["graph", "tanh(w*x)", "x=1", "w=2", "--steps", "--html", "page.html"], ["page.html"]),
    (["graph", "tanh(w*x)", "x=1", "w=2", "--steps", "--out", "steps"], ["steps/01-forward-y-0-964.svg"]),
    (["quiz", "tanh(w*x)", "x=1", "w=2", "--wrt", "w", "--worksheet", "sheet.html", "--seed", "3"],
     ["sheet.html"]),
    (["demo", "tiny", "--auto", "--out", "d", "--html"],
     ["d/01-a-neuron-with-two-inputs.svg", "d/tiny.html", "d/tiny-loss.svg"]),
    (["demo", "--all", "--out", "all"], ["all/index.html", "all/tiny/tiny.html"]),
], ids=["html", "steps-out", "worksheet", "demo-out", "index"])
def test_issue17_item6_every_file_written_is_whole_or_left_as_it_was(tmp_path, capsys, monkeypatch, tiny_catalog,
                                                                   argv, names):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    before = snapshot(tmp_path)
    assert set(names) <= set(before)
    full_disk(monkeypatch)
    code, _, err = run(capsys, *argv)
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    assert any(f"cannot write {name}" in err for name in before), err  # the user's path, no temporary name
    assert ".tmp" not in err
    assert snapshot(tmp_path) == before


def test_issue17_item7_a_link_planted_in_out_dir_is_replaced_and_its_target_untouched(tmp_path, capsys,
                                                                                     tiny_catalog):
    precious = tmp_path / "precious.txt"
    precious.write_text("a year of notes")
    out = tmp_path / "out"
    out.mkdir()
    for name in ["01-a-neuron-with-two-inputs.svg", "tiny.html", "tiny-loss.svg"]:
        (out / name).symlink_to(precious)
    (out / "02-backward.svg").symlink_to(tmp_path / "made-through-the-link.svg")  # a dangling one
    code, _, err = run(capsys, "demo", "tiny", "--auto", "--out", str(out), "--html")
    assert code == 0, err
    assert precious.read_text() == "a year of notes"
    assert not (tmp_path / "made-through-the-link.svg").exists()
    for name in ["01-a-neuron-with-two-inputs.svg", "02-backward.svg", "tiny.html", "tiny-loss.svg"]:
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 100


def test_issue17_item7_graph_output_and_steps_out_replace_a_planted_link(tmp_path, capsys):
    precious = tmp_path / "precious.svg"
    precious.write_text("<svg>mine</svg>")
    (tmp_path / "n.svg").symlink_to(precious)
    steps = tmp_path / "steps"
    steps.mkdir()
    (steps / "01-forward-y-0-964.svg").symlink_to(precious)
    page = tmp_path / "p.html"
    page.symlink_to(precious)
    assert run(capsys, "graph", "tanh(w*x)", "x=1", "w=2", "-o", str(tmp_path / "n.svg"))[0] == 0
    assert run(capsys, "graph", "tanh(w*x)", "x=1", "w=2", "--steps", "--out", str(steps),
               "--html", str(page))[0] == 0
    assert precious.read_text() == "<svg>mine</svg>"
    for path in [tmp_path / "n.svg", steps / "01-forward-y-0-964.svg", page]:
        assert not path.is_symlink() and path.read_bytes()[:15].lower().startswith((b"<?xml", b"<!doctype"))


def test_issue17_item16_a_lone_surrogate_label_is_written_escaped_by_save_html(tmp_path):
    from chainrule import walkthrough

    x = Value(0.5, "x\udcff")
    y = (x * 3).named("y")
    path = tmp_path / "walk.html"
    walkthrough(y).save_html(path)
    html = path.read_bytes().decode("utf-8")  # valid UTF-8 throughout
    assert "x\\udcff" in html


def test_issue17_item16_invalid_utf8_in_argv_is_a_clear_message(tmp_path):
    """Python holds bytes that are not UTF-8 as lone surrogates; the parser met them as a codec error."""
    import subprocess

    def chainrule(*argv):
        done = subprocess.run([sys.executable, "-m", "chainrule", *argv], cwd=tmp_path, capture_output=True,
                              timeout=60, stdin=subprocess.DEVNULL, env={**os.environ, "LC_ALL": "C.UTF-8"})
        return done.returncode, done.stderr.decode("utf-8", "replace")

    for argv, said in [([b"graph", b"x\xff*2", b"x=1"], "EXPR 'x\\xff*2' is not UTF-8 text"),
                       ([b"graph", b"x*2 # \xff", b"x=1", b"--steps"], "EXPR 'x*2 # \\xff' is not UTF-8 text"),
                       ([b"graph", b"x*2", b"x\xff=1"], "NAME=VALUE 'x\\xff=1' is not UTF-8 text"),
                       ([b"quiz", b"x*2", b"x=1", b"--wrt", b"\xff"], "--wrt '\\xff' is not UTF-8 text")]:
        code, err = chainrule(*argv)
        assert code == 2 and said in err and "codec" not in err and "Traceback" not in err, err
    code, err = chainrule(b"graph", b"x*2", b"x=1", b"-o", b"\xff.svg")  # a file name need not be UTF-8
    assert code == 0 and os.listdir(os.fsencode(tmp_path)) == [b"\xff.svg"], err


def test_issue18_part6_demos_sharing_an_out_folder_keep_their_own_loss_plot(tmp_path, capsys, monkeypatch):
    other = Demo("other", "Another demo", "a second loss curve",
                 lambda: [Step("Training", "falls faster", history=(0.9, 0.1, 0.01))])
    monkeypatch.setattr(cli, "catalog", lambda: {"tiny": TINY, "other": other})
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    for name in ("tiny", "other"):
        assert run(capsys, "demo", name, "--out", str(tmp_path))[0] == 0
    plots = sorted(p.name for p in tmp_path.glob("*-loss.*"))
    assert plots == ["other-loss.svg", "tiny-loss.svg"]
    assert (tmp_path / "tiny-loss.svg").read_bytes() != (tmp_path / "other-loss.svg").read_bytes()
