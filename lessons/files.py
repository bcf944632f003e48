"""What `--out DIR` writes: one SVG per step, the loss plot (NAME-loss.svg), the HTML page.

Each step's graph becomes a Picture once (steps that show the same graph share one): the whole
drawing as SVG, which goes into the .svg file and behind the page's "full graph" button, and
the part of it the page shows in the step, made to read at GRAPH_WIDTH px.
"""
import io
import math
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.drawing import render_svgs_soon
from ..engine.writer import write_file
from .loss_plot import LOG_SPAN, loss_svg


def slug(title):
    """'Backward: dL/dw1 = 0.0214' -> 'backward-dl-dw1-0-0214' (ASCII, at most 40 characters)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(words) > 40:  # cut at a word boundary when there is one
        words = words[:41].rsplit("-", 1)[0] if "-" in words[:41] else words[:40]
    return words or "step"


def svg_names(steps):
    """One file name per step, numbered in order: ['01-forward-pass.svg', ...]."""
    digits = max(2, len(str(len(steps))))
    return [f"{k:0{digits}d}-{slug(step.title)}.svg" for k, step in enumerate(steps, 1)]


GRAPH_WIDTH = 950  # CSS px a page gives a step's graph beside its text, in a 1400 x 900 window
GRAPH_HEIGHT = 760  # CSS px of the same pane's height, below the page's bar


@dataclass(frozen=True)
class Picture:
    """A step's graph: what the files and the page show of it.

    The page carries DOT text and draws it in the browser (engine.drawing.browser); only the
    .svg files need an SVG rendered here (`full_svg()`).
    """

    drawing: object  # the step's Drawing: the whole graph, its chain-rule caption included
    part: object  # the Drawing of the part that reads at GRAPH_WIDTH x GRAPH_HEIGHT px, without the caption
    omitted: str = ""  # what `part` folds or leaves out, in words
    caption: tuple = ()  # the chain-rule lines, for the page to write as text
    note: str = ""  # why no grads are drawn, when they are not

    @property
    def shown(self):
        """The DOT text of the part the page shows in the step."""
        return self.part.source

    @property
    def full(self):
        """The DOT text of the whole graph, caption included, for the page's full-graph viewer."""
        return self.drawing.source

    def full_svg(self):
        """The SVG of the whole drawing, caption included: what the step's .svg file holds."""
        return self.drawing.svg()


def render_pictures(steps):
    """Each step's graph as a Picture (None for a step without a graph), each distinct graph once."""
    from .layout import fit_steps

    made = {}  # (id(drawing), id(part)) -> its Picture
    pictures = []
    parts = fit_steps([step.graph for step in steps], GRAPH_WIDTH, GRAPH_HEIGHT)  # one direction per graph's run
    for step, part in zip(steps, parts):
        graph = step.graph
        if graph is None:
            pictures.append(None)
            continue
        key = (id(graph), id(part))
        if key not in made:
            made[key] = Picture(graph, part, part.omitted, tuple(graph.caption), graph.note)
        pictures.append(made[key])
    return pictures


def prepare_out(folder):
    """Make the output folder and check a file can be written in it; OSError says why not.

    The probe is a new file of a fresh name (mkstemp: O_CREAT | O_EXCL), so it never follows a
    link or touches a file that is already there.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    handle, probe = tempfile.mkstemp(prefix=".chainrule-write-check-", dir=folder)
    os.close(handle)
    os.unlink(probe)
    return folder


def plot_losses(steps, path, title=""):
    """Draw every step's loss history into one figure at `path`: SVG, drawn by our own code
    (lessons.loss_plot), or PNG for a path ending in .png, through matplotlib (the `plot` extra).

    Returns None when there was nothing to plot (no step has a history) or the plot was written;
    for a PNG without matplotlib, a note saying so instead.
    """
    curves = _distinct_curves(steps)
    if not curves:
        return None
    if Path(path).suffix.lower() != ".png":
        write_file(path, loss_svg(curves, title))
        return None
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return f"{Path(path).name} skipped: matplotlib is not installed (pip install 'chainrule[plot]')"
    figure = Figure(figsize=(7, 4), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for name, history in curves:
        points = [(i, v) for i, v in enumerate(history) if math.isfinite(v)]
        axes.plot([i for i, _ in points], [v for _, v in points], label=name, linewidth=1.6)
    finite = [v for _, history in curves for v in history if math.isfinite(v)]
    if finite and min(finite) > 0 and max(finite) / min(finite) > LOG_SPAN:
        axes.set_yscale("log")  # a diverging run would flatten the others on a linear axis
    axes.set_title(title)
    axes.set_xlabel("recorded step")
    axes.set_ylabel("loss")
    axes.grid(alpha=0.3)
    if len(curves) > 1:
        axes.legend(fontsize="small")
    figure.tight_layout()
    png = io.BytesIO()
    figure.savefig(png, format="png")
    write_file(path, png.getvalue())
    return None


def _distinct_curves(steps):
    """(step title, history) for each different history, in step order."""
    curves, seen = [], set()
    for step in steps:
        history = tuple(step.history)
        if history and history not in seen:
            seen.add(history)
            curves.append((step.title, history))
    return curves


@dataclass
class Written:
    """What write_demo put in the folder."""

    folder: Path
    svgs: list = field(default_factory=list)  # one Path (or None, no graph) per step
    plot: Path = None
    page: Path = None
    notes: list = field(default_factory=list)  # one line each, e.g. why the plot was skipped

    def summary(self):
        """'12 SVGs, gender-loss.svg, gender.html' — what a closing line lists."""
        count = sum(path is not None for path in self.svgs)
        parts = [f"{count} SVG{'s' * (count != 1)}"]
        parts += [path.name for path in (self.plot, self.page) if path is not None]
        return ", ".join(parts)


def write_demo(demo, steps, folder, *, html=False, index_href=None, pictures=None, renderer_href=None):
    """Write the demo's files into `folder`: NN-step.svg per step, NAME-loss.svg, NAME.html with html=True.

    `index_href` links the page back to an index of every demo; `pictures` are the steps' graphs
    when they were rendered already (render_pictures); `renderer_href` is a graphviz.js the page
    shares with others (engine.drawing.browser.write_renderer), else the page holds its own.
    """
    folder = prepare_out(folder)
    # the steps' whole drawings do not depend on the parts fitted: rendered on another thread meanwhile
    svgs_done = render_svgs_soon([step.graph for step in steps if step.graph is not None])
    pictures = pictures or render_pictures(steps)
    written = Written(folder)
    svgs_done()
    svgs = {}  # id(picture) -> its SVG: steps that show one graph share one rendering
    for name, picture in zip(svg_names(steps), pictures):
        path = None
        if picture is not None:
            path = folder / name
            if id(picture) not in svgs:
                svgs[id(picture)] = picture.full_svg()
            write_file(path, svgs[id(picture)])
        written.svgs.append(path)
    if any(step.history for step in steps):
        plot = folder / f"{demo.name}-loss.svg"  # named per demo: several demos may share one --out folder
        note = plot_losses(steps, plot, title=demo.title)
        if note:
            written.notes.append(note)
        else:
            written.plot = plot
    if html:
        from .pages import demo_page

        written.page = folder / f"{demo.name}.html"
        write_file(written.page, demo_page(demo, steps, pictures, index_href=index_href, renderer_href=renderer_href))
    return written
