"""engine.writer.write_file: a file is replaced whole or not at all, never written through a link."""
import errno
import os
import stat

import pytest

from chainrule.engine import writer
from chainrule.engine.writer import write_file

OLD = b"<svg>a good drawing, 5,206 bytes of it</svg>\n"


def no_space(*args):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("call", ["write", "fsync", "replace"])
def test_issue17_item6_a_full_disk_leaves_the_old_file_and_names_the_users_path(tmp_path, monkeypatch, call):
    target = tmp_path / "keep.svg"
    target.write_bytes(OLD)
    monkeypatch.setattr(writer.os, call, no_space)
    with pytest.raises(OSError) as e:
        write_file(target, "<svg>new</svg>" * 1000)
    monkeypatch.undo()
    assert e.value.errno == errno.ENOSPC and e.value.filename == str(target)
    assert str(target) in str(e.value) and "No space left on device" in str(e.value)
    assert ".tmp" not in str(e.value)
    assert target.read_bytes() == OLD
    assert os.listdir(tmp_path) == ["keep.svg"]  # no temporary file left behind


def test_issue17_item6_a_short_write_is_finished_not_truncated(tmp_path, monkeypatch):
    real_write = os.write
    monkeypatch.setattr(writer.os, "write", lambda fd, data: real_write(fd, bytes(data[:7])))
    write_file(tmp_path / "f.txt", "0123456789" * 5)
    assert (tmp_path / "f.txt").read_text() == "0123456789" * 5


def test_issue17_item7_a_planted_symlink_is_replaced_and_its_target_untouched(tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_bytes(OLD)
    out = tmp_path / "out"
    out.mkdir()
    link = out / "01-a-neuron-with-two-inputs.svg"
    link.symlink_to(elsewhere)
    assert write_file(link, "<svg/>") == link
    assert elsewhere.read_bytes() == OLD
    assert not link.is_symlink() and stat.S_ISREG(os.lstat(link).st_mode) and link.read_text() == "<svg/>"
    dangling = out / "02.svg"
    dangling.symlink_to(tmp_path / "created-through-the-link.svg")
    write_file(dangling, b"x")
    assert not (tmp_path / "created-through-the-link.svg").exists() and dangling.read_bytes() == b"x"
    assert sorted(os.listdir(out)) == ["01-a-neuron-with-two-inputs.svg", "02.svg"]


def test_issue17_item6_a_245_character_name_works(tmp_path):
    target = tmp_path / ("a" * 241 + ".svg")
    assert len(target.name) == 245
    write_file(target, "<svg/>")
    assert target.read_text() == "<svg/>" and os.listdir(tmp_path) == [target.name]
    longest = tmp_path / ("b" * 255)
    write_file(longest, "ok")  # NAME_MAX itself
    assert longest.read_text() == "ok"


def test_issue17_item16_a_lone_surrogate_is_written_escaped_never_a_0_byte_file(tmp_path):
    target = tmp_path / "page.html"
    write_file(target, "<p>x\udcff</p>")
    assert target.read_bytes() == b"<p>x\\udcff</p>"
    write_file(target, "é ×")
    assert target.read_text(encoding="utf-8") == "é ×"


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_what_the_umask_allows(tmp_path, umask):
    before = os.umask(umask)
    try:
        write_file(tmp_path / "f.svg", "x")
    finally:
        os.umask(before)
    assert stat.S_IMODE(os.stat(tmp_path / "f.svg").st_mode) == 0o666 & ~umask


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "f.svg"
    target.write_text("old")
    target.chmod(0o640)
    write_file(target, "new")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640 and target.read_text() == "new"


def test_a_directory_pipe_or_missing_folder_is_refused_and_left_as_it_is(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as e:
        write_file(folder, "x")
    assert e.value.filename == str(folder)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(OSError, match="it is a pipe, not a regular file"):
        write_file(pipe, "x")  # refused at once: never opened, so it cannot hang
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    with pytest.raises(FileNotFoundError) as e:
        write_file(tmp_path / "nope" / "f.svg", "x")
    assert e.value.filename == str(tmp_path / "nope" / "f.svg")
    assert sorted(os.listdir(tmp_path)) == ["folder", "pipe"] and os.listdir(folder) == []


def test_an_interrupt_mid_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(writer.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_file(tmp_path / "f.svg", "x")
    assert os.listdir(tmp_path) == []


def test_only_text_or_bytes_is_written(tmp_path):
    with pytest.raises(TypeError, match="str or bytes, not dict"):
        write_file(tmp_path / "f.json", {"a": 1})
    assert os.listdir(tmp_path) == []


def test_issue17_item7_a_drawing_rendered_onto_a_planted_link_replaces_the_link(tmp_path, monkeypatch):
    from chainrule import Value, draw

    y = Value(2.0, label="x") * 3
    y.backward()
    elsewhere = tmp_path / "elsewhere.dot"
    elsewhere.write_bytes(OLD)
    link = tmp_path / "y.dot"
    link.symlink_to(elsewhere)
    g = draw(y)
    assert g.render(link) == str(link)
    assert elsewhere.read_bytes() == OLD and not link.is_symlink() and link.read_text() == g.source
    monkeypatch.setattr(writer.os, "fsync", no_space)
    with pytest.raises(OSError) as e:
        g.render(elsewhere)
    assert e.value.filename == str(elsewhere) and elsewhere.read_bytes() == OLD
