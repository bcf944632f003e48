"""The notebook stepper: Back, a slider, Next and the arrow keys around a walkthrough's page (an anywidget,
the optional `notebook` extra), and the page in a frame where widgets are not shown."""
import functools
from html import escape

FRAME_HEIGHT = 840  # CSS px of notebook output the page gets (its graph fits it); with the bar, within 900

ESM = """
function render({ model, el }) {
  const bar = document.createElement("div");
  bar.className = "chainrule-walk-bar";
  bar.innerHTML = '<button type="button" class="back">\\u2190 Back</button>' +
    '<input type="range" class="slider" min="1" step="1" aria-label="step">' +
    '<button type="button" class="next">Next \\u2192</button><span class="where"></span>';
  const [back, slider, next, where] = [".back", ".slider", ".next", ".where"].map(s => bar.querySelector(s));
  const frame = document.createElement("iframe");
  frame.className = "chainrule-walk-page";
  frame.title = model.get("title");
  el.classList.add("chainrule-walk");
  el.tabIndex = 0;
  el.append(bar, frame);
  let loaded = false;
  const count = () => model.get("count");
  function go(k) {
    k = Math.max(0, Math.min(count() - 1, k));
    if (k !== model.get("step")) { model.set("step", k); model.save_changes(); }
  }
  function keys(event) {  // the arrow keys, on the widget or inside its page
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const move = {ArrowLeft: -1, ArrowRight: 1}[event.key];
    if (!move) return;
    go(model.get("step") + move);
    event.preventDefault();
    event.stopPropagation();
  }
  function show() {
    const k = model.get("step");
    slider.max = count();
    slider.value = k + 1;
    where.textContent = "Step " + (k + 1) + " of " + count();
    back.disabled = k === 0;
    next.disabled = k === count() - 1;
    if (loaded) frame.contentWindow.location.hash = "#" + (k + 1);  // the page shows the step its hash names
  }
  back.addEventListener("click", () => go(model.get("step") - 1));
  next.addEventListener("click", () => go(model.get("step") + 1));
  slider.addEventListener("input", () => go(slider.valueAsNumber - 1));
  el.addEventListener("keydown", keys);
  frame.addEventListener("load", () => {
    loaded = true;
    const page = frame.contentDocument;
    if (page) {  // the page's own bar gives way to the widget's
      const style = page.createElement("style");
      style.textContent = ".bar { display: none; }";
      page.head.append(style);
      page.addEventListener("keydown", keys, true);
    }
    show();
  });
  model.on("change:step", show);
  frame.srcdoc = model.get("page");
  show();
  return () => model.off("change:step", show);
}
export default { render };
"""

WIDGET_CSS = f"""
.chainrule-walk {{ outline: none; }}
.chainrule-walk-bar {{ display: flex; align-items: center; gap: 10px; margin: 4px 0 8px;
                      font: 14px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }}
.chainrule-walk-bar button {{ font: inherit; padding: 4px 14px; border-radius: 8px; cursor: pointer;
                             border: 1px solid #2f6fdf; background: #2f6fdf; color: #fff; }}
.chainrule-walk-bar button.back {{ background: transparent; color: #2f6fdf; }}
.chainrule-walk-bar button:disabled {{ opacity: .35; cursor: default; }}
.chainrule-walk-bar .slider {{ flex: 1; min-width: 80px; }}
.chainrule-walk-bar .where {{ min-width: 8em; text-align: right; font-variant-numeric: tabular-nums; }}
.chainrule-walk-page {{ display: block; box-sizing: border-box; width: 100%; height: {FRAME_HEIGHT}px;
                       border: 1px solid #e3e6ec; border-radius: 8px; background: #fbfbfd; }}
"""


def frame(page, title):
    """The page as an HTML iframe for a notebook's output, for where the widget is not shown."""
    return (f'<iframe srcdoc="{escape(page)}" title="{escape(title)}" '
            f'style="box-sizing:border-box;width:100%;height:{FRAME_HEIGHT}px;'
            f'border:1px solid #e3e6ec;border-radius:8px"></iframe>')


@functools.cache
def widget_class():
    """The anywidget class, defined when first asked for (anywidget is optional)."""
    try:
        import anywidget
        import traitlets
    except ImportError:
        raise ImportError("the notebook stepper needs anywidget: pip install 'chainrule[notebook]'") from None

    class WalkthroughWidget(anywidget.AnyWidget):
        """Back, a slider, Next and the arrow keys around the walk's page; `step` is the step shown (0-based)."""

        _esm = ESM
        _css = WIDGET_CSS
        page = traitlets.Unicode().tag(sync=True)
        title = traitlets.Unicode().tag(sync=True)
        count = traitlets.Int(1).tag(sync=True)
        step = traitlets.Int(0).tag(sync=True)

        @traitlets.validate("step")
        def _within(self, proposal):
            return max(0, min(self.count - 1, proposal["value"]))

    return WalkthroughWidget
