"""write_file(path, data): the one way chainrule writes a file (a model, a drawing, a page).

The data goes to a temporary file beside the target, is flushed to the disk, and only then
renamed onto the target. So a full disk or a crash leaves the old file as it was (or the new
one whole), never half of one and never a temporary file. A symlink at the target is replaced
by the new file, never written through (the file it points to is left alone).
"""
import errno
import os
import stat


def write_file(path, data):
    """Write `data` (str or bytes) to the file `path` atomically; return `path`.

    A str is written as UTF-8, with any character UTF-8 cannot hold (a lone surrogate, such as
    "\\udcff") written as its backslash escape. A new file gets the permissions the umask allows
    (0o644 under the usual umask); a regular file replaced keeps its own. A directory, pipe or
    device at `path` is refused and left as it is. Any failure raises OSError whose filename is
    `path` (never the temporary file's name), e.g. "[Errno 28] No space left on device: 'out/x.svg'",
    and leaves the old file untouched.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", errors="backslashreplace")
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"write_file writes str or bytes, not {type(data).__name__}")
    target = os.fsdecode(os.fspath(path))
    mode = _mode_to_keep(target)
    temporary, fd = _create_beside(target)
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)  # a symlink at target is itself replaced
    except BaseException as error:
        _remove(temporary)
        if isinstance(error, OSError):
            raise _naming(error, target) from None
        raise
    return path


def _mode_to_keep(target):
    """The permissions of the regular file at target, None if there is none; OSError for a directory, pipe or device."""
    try:
        info = os.lstat(target)  # lstat: a symlink is replaced, so what it points to does not count
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _naming(error, target) from None
    if stat.S_ISLNK(info.st_mode):
        return None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "it is a directory, not a file", target)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, f"it is {file_kind(info.st_mode)}, not a regular file", target)
    return stat.S_IMODE(info.st_mode)


def _create_beside(target):
    """(name, fd) of a new empty file in target's folder: a short name, so any valid target name fits beside it."""
    folder = os.path.dirname(target)
    for _ in range(100):
        temporary = os.path.join(folder, f".tmp-{os.urandom(4).hex()}")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        except OSError as error:
            raise _naming(error, target) from None
    raise FileExistsError(errno.EEXIST, "could not find a free temporary name beside it", target)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _remove(temporary):
    try:
        os.unlink(temporary)
    except OSError:
        pass


def _naming(error, target):
    """The same kind of OSError, naming the user's path alone (not the temporary file)."""
    if error.errno is None:
        return OSError(f"{target}: {error}")
    return OSError(error.errno, error.strerror or os.strerror(error.errno), target)  # OSError picks the subclass


def file_kind(mode):
    """What a non-regular file is, in words: "a pipe", "a character device", ..."""
    kinds = [(stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a pipe"),
             (stat.S_ISSOCK, "a socket")]
    return next((name for test, name in kinds if test(mode)), "not a regular file")
