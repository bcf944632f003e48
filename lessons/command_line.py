"""What every command shares: a mistake on the command line, and the standard streams, checked.

A mistake gets one line on stderr, a hint, and exit code 2. A standard stream that fails
(closed, a full disk, a reader that left) gets one line too, and exit code 1: never a traceback.
cli.py parses the words; the commands' work (demo_command, graph_command, quiz_command) and the
steppers read and write through these.
"""
import os
import sys


class UsageError(Exception):
    """A mistake on the command line: what went wrong, and a hint on what to do instead."""

    def __init__(self, message, hint=""):
        super().__init__(message)
        self.hint = hint


class StreamError(Exception):
    """A standard stream that cannot be used: closed, on a full disk, failing."""

    def __init__(self, message, stream=None):
        super().__init__(message)
        self.stream = stream


class Checked:
    """sys.stdout while the command runs: a failure raises StreamError naming the stream.

    A closed stream is None in sys (and print() would quietly write stderr's text to stdout); a
    character the stream's encoding lacks is written as an escape (\\xe9), not a crash.
    """

    def __init__(self, stream, name):
        self.stream, self.name = stream, name

    def write(self, text):
        try:
            return self._call("write", text)
        except UnicodeEncodeError:
            encoding = self.stream.encoding
            return self._call("write", text.encode(encoding, "backslashreplace").decode(encoding))

    def flush(self):
        return self._call("flush")

    def isatty(self):
        return is_terminal(self.stream)

    def __getattr__(self, name):  # encoding, fileno, ...
        return getattr(self.stream, name)

    def _call(self, method, *args):
        if self.stream is None:
            raise StreamError(f"standard {self.name} is closed")
        try:
            return getattr(self.stream, method)(*args)
        except BrokenPipeError:
            raise
        except OSError as error:
            reason = error.strerror or error
        raise StreamError(f"cannot write to standard {self.name}: {reason}", self.stream)


class Discarding(Checked):
    """sys.stderr while the command runs: if it is closed or fails, its messages are dropped.

    There is nowhere left to say them, and the command's work and exit code should not depend on them.
    """

    def _call(self, method, *args):
        try:
            return super()._call(method, *args)
        except (StreamError, BrokenPipeError):
            discard(self.stream)
            return None


def discard(stream):
    """Point a failed stream's file descriptor at /dev/null, so Python's flush at exit cannot fail again
    (nor turn the exit code into 120)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # None, or a stream that is no file (as in tests)
        return
    os.dup2(os.open(os.devnull, os.O_WRONLY), fd)


def read_line(prompt):
    """input(prompt), but a closed stdin is EOFError and a failing one StreamError, never a traceback."""
    if sys.stdin is None:
        raise EOFError
    try:
        return input(prompt)
    except UnicodeDecodeError as error:
        raise StreamError(f"cannot read standard input: it is not {error.encoding} text") from None
    except OSError as error:
        raise StreamError(f"cannot read standard input: {error.strerror or error}") from None


def is_terminal(stream):
    """stream.isatty(), and False for a stream that is closed (None in sys)."""
    return stream is not None and stream.isatty()
