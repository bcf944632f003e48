"""walkthrough(root): watch backward() go through any graph, one node at a time.

    from chainrule import Value, walkthrough
    x, w, b = Value(0.5, "x"), Value(-2.0, "w", param=True), Value(1.5, "b", param=True)
    y = (w * x + b).tanh().named("y")
    walk = walkthrough(y)        # in Jupyter: a stepper with buttons, a slider and the arrow keys
    print(walk)                  # anywhere: the steps and the grads in a few lines
    walk.step_through()          # in a terminal: one screen per step
    walk.save_html("walk.html")  # one self-contained page to step through in a browser

The steps are the forward pass, then one per node of backward() (lessons.walkthrough_steps), each with
its drawing; a model's loss too: past the node limit each neuron is one box and one step. In
Jupyter the stepper is a widget (anywidget, the optional `notebook` extra) around the same page
the browser shows; without anywidget, or where widgets are not shown, the page itself in a frame.
"""
from pathlib import Path

from ..engine.formula import number as fmt  # a float for the text, as the drawings write it: -0 as 0
from ..engine.writer import write_file
from .steps import Demo
from .walkthrough_steps import Names, walkthrough_steps

MAX_NODES = 100  # boxes a walk draws at every step before it groups neurons, and then before it refuses:
# fewer than one drawing's, since the page renders each step's drawing several times to find a readable view
# (bench/README.md has the figures). The terminal only writes their DOT text.
LISTED = 12  # steps a printed summary names, and grads it gives

def walkthrough(root, highlight=None, **draw_options):
    """The steps of backward() through root's graph: a Walkthrough (see the module docstring).

    highlight: a value of the graph (or its label) whose chain rule is drawn in full where its
        grad is complete; else each step lights the path from root to the node it reached.
    draw_options: rankdir, digits, group, and max_nodes (default MAX_NODES boxes, fewer than a
        single drawing's: past it each neuron is one box and one step; past it grouped too,
        ValueError says how to lift it).
    The grads of root's graph are those of one backward() from root when it returns.
    """
    from ..engine import Value

    if not isinstance(root, Value):
        hint = " (a model: walk through its loss, walkthrough(loss))" if hasattr(root, "parameters") else ""
        raise TypeError(f"walkthrough takes the Value whose backward() to watch, not {type(root).__name__}{hint}")
    draw_options.setdefault("max_nodes", MAX_NODES)
    names = Names(root)
    try:
        steps = walkthrough_steps(root, highlight=highlight, forward=True, names=names, **draw_options)
    except ValueError as e:  # draw()'s too: a graph past max_nodes, which the walk draws at every step
        raise ValueError(f"walkthrough: {str(e).removeprefix('draw: ')}") from None
    return Walkthrough(root, steps, draw_options.get("digits", 4), names)


class Walkthrough:
    """The steps of one walk: a list of steps.Step that shows itself.

    `.steps` (also walk[k], len(walk)), `.save_html(path)`, `.step_through()`, `.widget()`;
    print() gives a summary; Jupyter shows the stepper.
    """

    def __init__(self, root, steps, digits=4, names=None):
        names = Names(root) if names is None else names  # walkthrough() passes the walk's own
        name = names(root)  # y, or the formula when it is short, else out
        title = name if name == names.graph.formulas[0] else f"{name} = {names.graph.made_of(0)}"
        leaves = names.leaves()
        given = ", ".join(f"{names(v)} = {fmt(v.data, digits)}" for v in leaves) if len(leaves) <= 6 else \
            f"{len(leaves)} inputs and parameters"
        summary = f"{given}: the forward pass, then backward() one node at a time"
        self.steps = steps
        self.demo = Demo("walkthrough", title, summary, lambda: steps)  # what the pages and the stepper read
        named = [names(v) for v in leaves]  # a model's inputs: one x1 per sample, whose grads say little
        self.grads = [(names.partial(root, v), v.grad) for v, name in zip(leaves, named) if named.count(name) == 1]
        self.digits = digits
        self._pictures = None

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, k):
        return self.steps[k]

    def pictures(self):
        """Each step's graph rendered (files.Picture), once: the page, the widget and the SVG files share them."""
        if self._pictures is None:
            from .files import render_pictures

            self._pictures = render_pictures(self.steps)
        return self._pictures

    def html(self):
        """The walk as one self-contained HTML page."""
        from .pages import demo_page

        return demo_page(self.demo, self.steps, self.pictures())

    def save_html(self, path):
        """Write the page to `path`; the Path written."""

        path = Path(path)
        write_file(path, self.html())  # atomically; a character UTF-8 cannot hold is written escaped
        return path

    def save_svgs(self, folder):
        """One SVG per step into `folder` (made if needed): a files.Written listing them."""
        from .files import write_demo

        return write_demo(self.demo, self.steps, folder, pictures=self.pictures())

    def step_through(self, *, interactive=None, hints=None, read=input):
        """The terminal stepper: one screen per step, keys to move (straight through off a terminal).

        hints and read are the command line's (terminal.Hints; how to read a line where keys cannot be).
        """
        import sys

        from .command_line import is_terminal
        from .terminal import Hints, step_through

        if interactive is None:
            interactive = is_terminal(sys.stdin) and sys.stdout.isatty()
        hints = hints or Hints(".save_html(path) draws every step's graph on a page",
                               (self.grads_line() + ".",))
        step_through(self.demo, self.steps, interactive=interactive, read=read, hints=hints)

    def grads_line(self):
        """'The grads: dy/dx = -0.8399, dy/dw = 0.42, dy/db = 0.42' (the first LISTED)."""
        shown = ", ".join(f"{name} = {fmt(grad, self.digits)}" for name, grad in self.grads[:LISTED])
        more = f" and {len(self.grads) - LISTED} more" if len(self.grads) > LISTED else ""
        return f"The grads: {shown}{more}" if shown else "No inputs or parameters to get a grad"

    def widget(self):
        """The notebook stepper: an anywidget (ImportError without the `notebook` extra) whose `.step` is the
        step shown, 0-based."""
        from .notebook import widget_class

        return widget_class()(page=self.html(), count=len(self.steps), title=self.demo.title)

    def __repr__(self):
        return f"<Walkthrough of {self.demo.title}: {len(self.steps)} steps>"

    def __str__(self):
        titles = [f"  {k:>2}. {step.title}" for k, step in enumerate(self.steps[:LISTED], 1)]
        if len(self.steps) > LISTED:
            titles.append(f"      ... {len(self.steps) - LISTED} more")
        return "\n".join([f"Walkthrough of {self.demo.title}: {len(self.steps)} steps, "
                          "the forward pass, then backward() one node at a time",
                          *titles, f"{self.grads_line()}.",
                          ".step_through() shows each step here; .save_html(path) writes a page; "
                          "Jupyter shows a stepper"])

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Jupyter: the widget, with the page in a frame for where widgets are not shown (or anywidget is
        missing); elsewhere (a terminal IPython) the summary alone, without rendering a graph."""
        from ..nn.train import in_notebook
        from .notebook import frame

        bundle = {"text/plain": str(self)}
        if not in_notebook():
            return bundle
        bundle["text/html"] = frame(self.html(), self.demo.title)
        try:
            widget = self.widget()
        except ImportError:
            return bundle
        view, metadata = widget._repr_mimebundle_(include=include, exclude=exclude)  # anywidget's: (data, metadata)
        return {**view, **bundle}, metadata
