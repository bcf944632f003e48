"""One self-contained HTML page per demo: every step's text, numbers and graph, stepped with buttons or keys.

The page needs no network: the CSS and the script are inline, each step's graph is carried as
DOT text and drawn in the page by the Graphviz of engine.drawing.browser (inline, or one
graphviz.js shared by the pages beside it), and a Content-Security-Policy forbids loading
anything from elsewhere. Without JavaScript every step's words show, one under the other.

A step shows the part of its graph that reads at the window's width (files.Picture), its chain
rule written above it as text. Hovering a box or an edge writes what it is under the graph
(formula and role; local × upstream = share); clicking a value lights up every path from it to
the root and writes its chain rule. The whole graph is one click away, in a viewer that pans
(drag), zooms (wheel, pinch, + and -) and fits itself to the window.

From the keyboard and to a screen reader: Tab reaches each box (named by its tooltip) and reads
it as hovering does, Enter or Space lights a value as a click does; a graph is named by its chain
rule; and Next, Back and the arrow keys announce the step they come to (an aria-live region).
"""
import json
import math
import re
from html import escape

from ..engine.drawing.browser import CONTENT_SECURITY, renderer_script
from ..engine.drawing.views import SMALLEST
from .text import paragraphs

CSP = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; {CONTENT_SECURITY}"
SHARED_CSP = CSP.replace("script-src", "script-src 'self'")  # a page that loads a graphviz.js beside it

VALUE_BOX = re.compile(r"^\s*v\d+ \[", re.MULTILINE)  # a value's box in DOT (an operation's is op<i>)

# a Number's verdict -> (row class, mark): a difference the note explains is not marked wrong
MARKS = {"matches": ("ok", "✓"), "explained": ("explained", "note"), "differs": ("off", "✗"), "engine only": ("none", "")}

CSS = """
:root { --ink: #1d2330; --soft: #5b6475; --line: #e3e6ec; --paper: #fbfbfd; --accent: #2f6fdf;
        --ok: #1b8a4b; --off: #c0392b; --warn: #b7791f; --card: #ffffff; --hl: #c62828; }
@media (prefers-color-scheme: dark) {
  :root { --ink: #e6e9ef; --soft: #a3abba; --line: #343a46; --paper: #15181e; --accent: #7aa7ff;
          --ok: #4cc38a; --off: #ff7b6b; --warn: #e0b050; --card: #1d2129; --hl: #ff8a80; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--paper); color: var(--ink);
       font: 17px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.column { max-width: 860px; margin: 0 auto; padding: 0 20px; }
header { padding: 18px 0 4px; }
.bar { position: sticky; top: 0; z-index: 1; background: var(--paper); border-bottom: 1px solid var(--line);
       padding: 10px 0 0; }
.crumb { margin: 0; color: var(--soft); font-size: 14px; }
.crumb a { color: var(--accent); text-decoration: none; }
.follows { margin: 0 0 10px; color: var(--soft); font-size: 15px; }
.follows cite { font-style: italic; }
.follows a { color: var(--accent); }
h1 { margin: 2px 0 2px; font-size: 26px; line-height: 1.25; }
.summary { margin: 0 0 10px; color: var(--soft); }
nav { display: flex; align-items: center; gap: 12px; }
nav button { font: inherit; font-size: 15px; padding: 6px 16px; border-radius: 8px; cursor: pointer;
             border: 1px solid var(--accent); background: var(--accent); color: #fff; }
nav button#prev { background: transparent; color: var(--accent); }
nav button:disabled { opacity: .35; cursor: default; }
#counter { flex: 1; text-align: center; color: var(--soft); font-variant-numeric: tabular-nums; }
nav .name { display: none; }
.progress { height: 3px; background: var(--line); border-radius: 2px; margin-top: 10px; overflow: hidden; }
.index { border-bottom: 1px solid var(--line); }
#bar { height: 100%; width: 0; background: var(--accent); transition: width .2s; }
.nojs .bar { display: none; }
main { padding: 12px 0 40px; }
.step { padding: 10px 0 24px; }
.js .step:not(.current) { display: none; }
.nojs .step + .step { border-top: 1px solid var(--line); }
h2 { font-size: 21px; margin: 10px 0 8px; }
h2 .k { color: var(--soft); font-weight: 400; font-size: 15px; margin-right: 8px; }
.text p { margin: 0 0 12px; }
.text pre { margin: 0 0 12px; padding: 10px 14px; background: var(--card); border: 1px solid var(--line);
            border-radius: 8px; overflow-x: auto; font-size: 15px;
            white-space: pre-wrap; text-indent: 4ch hanging each-line; }  /* a long line wraps under its own text */
table.numbers { border-collapse: collapse; margin: 14px 0 18px; min-width: 60%; max-width: 100%;
                font-variant-numeric: tabular-nums; background: var(--card); border-radius: 8px; }
.numbers th, .numbers td { padding: 6px 14px; border-bottom: 1px solid var(--line); text-align: right; }
.numbers th { color: var(--soft); font-weight: 500; font-size: 14px; }
.numbers th:first-child, .numbers td:first-child { text-align: left; }
.numbers tr:not(.note) td:first-child { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: 15px;
                                        overflow-wrap: anywhere; }
@media (max-width: 600px) { .numbers th, .numbers td { padding: 6px 8px; } }
.numbers .mark { width: 2em; text-align: center; font-weight: 700; }
.numbers .ok .mark { color: var(--ok); }
.numbers .off .mark { color: var(--off); }
.numbers .explained .mark { color: var(--soft); font-weight: 400; font-size: 13px; }
.numbers tr.note td { text-align: left; color: var(--soft); font-size: 14px; padding-top: 0; }
figure { margin: 14px 0; }
.chain { margin: 10px 0 12px; padding: 6px 14px; border-left: 3px solid var(--hl); background: var(--card);
         border-radius: 0 8px 8px 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.chain p { margin: 4px 0; color: var(--hl); }
.chain p + p { color: var(--soft); font-size: 15px; }
.gradnote { margin: 12px 0; padding: 6px 14px; border-left: 3px solid var(--warn); background: var(--card);
            border-radius: 0 8px 8px 0; font-size: 15px; }
/* A step with a graph: its words on one side, the graph beside them in a pane that stays in view
   (sticky) and fits the window's height; on a narrow window the graph comes first, scrolling sideways. */
figure.graph { background: #fff; color: #1d2330; border: 1px solid var(--line); border-radius: 10px; padding: 8px;
               margin: 0; position: relative; }
figure.graph .drawing { overflow-x: auto; overflow-y: hidden; }
figure.graph svg { display: block; margin: 0 auto; max-width: 100%; height: auto; }
.js figure.graph svg { max-width: none; max-height: none; flex: none; }  /* the script fits it (fit) */
figure.graph figcaption { text-align: left; font-size: 14px; color: #5b6475; margin: 6px 4px 0; }
.sideways { display: none; font-size: 13px; color: #5b6475; margin: 0 4px 4px; }
.scrolls .sideways { display: block; }
figure.graph .drawing.more { -webkit-mask-image: linear-gradient(to right, #000 85%, rgba(0, 0, 0, .25));
                             mask-image: linear-gradient(to right, #000 85%, rgba(0, 0, 0, .25)); }
.pane { margin: 10px 0 0; }
.pane .under { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 14px; margin: 6px 0 0; }
.pane .under .shown { flex: 1 1 20em; font-size: 14px; color: var(--soft); }
.pane .under .hint { display: none; }
@media (min-width: 900px) { .pane .under .hint { display: inline; } }
.pane details.full { margin: 0; }
@media (min-width: 900px) {
  .column { max-width: 1800px; }
  header { padding: 10px 0 0; }
  h1 { font-size: 23px; }
  .summary, .follows { margin: 0 0 6px; font-size: 15px; }
  .bar { padding: 6px 0 0; }
  .progress { margin-top: 6px; }
  nav button { padding: 4px 16px; }
  nav .name { display: block; flex: 1; min-width: 0; font-weight: 600; white-space: nowrap; overflow: hidden;
              text-overflow: ellipsis; }
  #counter { flex: none; min-width: 9em; }
  .step:has(> .pane) { display: grid; grid-template-columns: minmax(300px, 26%) minmax(0, 1fr); gap: 24px; align-items: start; }
  .step:has(> .pane) > .pane { position: sticky; top: calc(var(--bar, 60px) + 8px); margin: 10px 0 0;
                        height: calc(100vh - var(--bar, 60px) - 20px); min-height: 320px;
                        display: flex; flex-direction: column; }
  .step:has(> .pane) > .pane > figure.graph { flex: 1; min-height: 0; display: flex; flex-direction: column; }
  figure.graph .drawing { flex: 1; min-height: 0; overflow: auto; display: flex; }
  figure.graph svg { margin: auto; max-height: 100%; width: auto; flex: none; }
  figure.graph .info { position: absolute; left: 8px; right: 8px; bottom: 8px; margin: 0; pointer-events: none;
                       background: rgba(255, 255, 255, .94); border: 1px solid var(--line); border-radius: 8px;
                       padding: 4px 8px; }
  figure.graph .info.top { top: 8px; bottom: auto; }
  figure.graph .info.idle { display: none; }
  .pane .under { flex: none; }
  /* beside the graph the words' column is narrow: a name wraps anywhere, a number and a heading keep
     their characters on one line, and only a long float (class long) breaks inside its cell, never cut off */
  .step:has(> .pane) table.numbers { min-width: 0; width: 100%; font-size: 15px; }
  .step:has(> .pane) .numbers th, .step:has(> .pane) .numbers td { padding: 6px 6px; overflow-wrap: anywhere; }
  .step:has(> .pane) .numbers th,
  .step:has(> .pane) .numbers td:not(:first-child):not(.long) { overflow-wrap: normal; white-space: nowrap; }
}
@media (max-width: 899px) {
  .step:has(> .pane) { display: flex; flex-direction: column; }
  .step:has(> .pane) > .words { display: contents; }
  .step:has(> .pane) h2 { order: -2; }
  .step:has(> .pane) > .pane { order: -1; }
}
.info { min-height: 1.4em; margin: 6px 4px 0; white-space: pre-wrap; font-size: 14px; line-height: 1.45;
        font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; color: #1d2330; }
svg .node, svg .edge { cursor: pointer; }
svg .picked path, svg .picked polygon, svg .picked ellipse, svg .picked polyline {
  stroke: #1f6feb; stroke-width: 3px; }
svg .picked text { fill: #1f6feb; }
svg .hovered path, svg .hovered polygon, svg .hovered ellipse { stroke-width: 2.5px; }
svg g.node:focus { outline: none; }
svg g.node:focus-visible { outline: 3px solid #1f6feb; outline-offset: 3px; border-radius: 4px; }
.sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
           clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
details.full { margin: 8px 0 0; }
details.full > summary { display: inline-block; cursor: pointer; color: var(--accent); font-size: 15px;
                         border: 1px solid var(--accent); border-radius: 8px; padding: 4px 12px; }
.viewer .stage { overflow: auto; background: #fff; border: 1px solid var(--line); border-radius: 10px;
                 margin-top: 8px; }
.viewer .stage svg { display: block; }
.viewer .tools { display: none; }
.js details.full[open] > .viewer { position: fixed; inset: 0; z-index: 5; background: var(--paper); }
html.viewing { overflow: hidden; }
.js .viewer .tools { display: flex; gap: 8px; align-items: center; height: 52px; padding: 0 12px;
                     border-bottom: 1px solid var(--line); }
.js .viewer .tools button { font: inherit; font-size: 15px; padding: 4px 14px; border-radius: 8px; cursor: pointer;
                            border: 1px solid var(--accent); background: transparent; color: var(--accent); }
.js .viewer .tools .hint { flex: 1; color: var(--soft); font-size: 14px; overflow: hidden; white-space: nowrap;
                          text-overflow: ellipsis; }
.js .viewer .stage { position: absolute; top: 52px; left: 0; right: 0; bottom: 0; margin: 0; border: 0;
                     border-radius: 0; overflow: hidden; touch-action: none; cursor: grab; }
.js .viewer .stage svg { transform-origin: 0 0; max-width: none; }
.js .viewer .info { position: absolute; left: 12px; bottom: 12px; max-width: min(640px, 90vw); margin: 0;
                    background: rgba(255, 255, 255, .94); border: 1px solid var(--line); border-radius: 8px;
                    padding: 6px 10px; pointer-events: none; }
.js .viewer .info:empty { display: none; }
.nojs .info { display: none; }
figcaption { color: var(--soft); font-size: 13px; text-align: center; margin-top: 4px; }
figure.loss svg { display: block; width: 100%; height: auto; }
.loss .curve { fill: none; stroke: var(--accent); stroke-width: 2; }
.loss .axis { stroke: var(--line); }
.loss text { fill: var(--soft); font-size: 12px; }
footer { color: var(--soft); font-size: 13px; padding-bottom: 30px; }
kbd { border: 1px solid var(--line); border-radius: 4px; padding: 0 5px; font-size: 12px; }
"""

SCRIPT = """
(function () {
  var steps = Array.prototype.slice.call(document.querySelectorAll(".step"));
  var prev = document.getElementById("prev"), next = document.getElementById("next");
  var counter = document.getElementById("counter"), bar = document.getElementById("bar");
  var said = document.getElementById("said");  // aria-live: a screen reader says the step it comes to
  var XLINK = "http://www.w3.org/1999/xlink";
  var current = 0;
  document.documentElement.classList.replace("nojs", "js");
  // The graph pane reaches from under the bar (or from where it starts, above the fold) to the
  // window's bottom; the graph is fitted into it, never enlarged and never drawn with text
  // smaller than SMALLEST px: then it scrolls inside the pane (sideways, on a phone).
  var SMALLEST = @SMALLEST@, wide = window.matchMedia("(min-width: 900px)");
  function fit() {
    var step = steps[current], pane = step && step.querySelector(".pane");
    var top = document.querySelector(".bar");
    document.documentElement.style.setProperty("--bar", (top ? top.offsetHeight : 0) + "px");
    if (!pane) return;
    if (wide.matches) pane.style.height = Math.max(320, innerHeight - Math.max(0, pane.getBoundingClientRect().top) - 12) + "px";
    else pane.style.height = "";
    var figure = pane.querySelector("figure.graph"), drawing = figure.querySelector(".drawing");
    var svg = drawing.querySelector("svg");
    if (!svg) return;
    var w = parseFloat(svg.getAttribute("width")) * 4 / 3, h = parseFloat(svg.getAttribute("height")) * 4 / 3;
    var smallest = parseFloat(svg.getAttribute("data-smallest")) || SMALLEST;
    var scale = Math.min(1, drawing.clientWidth / w, wide.matches ? drawing.clientHeight / h : 1);
    scale = Math.max(scale, Math.min(1, SMALLEST / smallest));
    svg.style.width = (w * scale) + "px";
    svg.style.height = (h * scale) + "px";
    sideways(figure);
  }
  // A graph wider than its pane (a phone) says so, and fades at the edge while there is more to the right.
  function sideways(figure) {
    var drawing = figure.querySelector(".drawing");
    var more = drawing.scrollWidth - drawing.clientWidth > 1;
    figure.classList.toggle("scrolls", more);
    drawing.classList.toggle("more", more && drawing.scrollLeft + drawing.clientWidth < drawing.scrollWidth - 1);
  }
  document.querySelectorAll("figure.graph .drawing").forEach(function (drawing) {
    drawing.addEventListener("scroll", function () { sideways(drawing.parentNode); }, {passive: true});
  });
  var pending = false;
  function later() { if (!pending) { pending = true; requestAnimationFrame(function () { pending = false; fit(); }); } }
  window.addEventListener("resize", later);
  window.addEventListener("scroll", later, {passive: true});
  function show(k, quiet) {
    current = Math.max(0, Math.min(steps.length - 1, k));
    steps.forEach(function (step, i) { step.classList.toggle("current", i === current); });
    // a step after the first starts under the bar: its graph pane has the window's height
    var main = document.querySelector("main"), below = main.offsetTop - (document.querySelector(".bar") || main).offsetHeight;
    if (wide.matches && (current > 0 || scrollY > below)) window.scrollTo(0, below);
    fit();
    drawStep();
    document.querySelectorAll("details.full[open]").forEach(function (d) { d.open = false; });
    counter.textContent = "Step " + (current + 1) + " of " + steps.length;
    if (!quiet) said.textContent = counter.textContent + ": " + steps[current].getAttribute("data-title");
    prev.disabled = current === 0;
    next.disabled = current === steps.length - 1;
    bar.style.width = (100 * (current + 1) / steps.length) + "%";
    // the whole URL: "#3" alone would resolve against the parent's URL in an iframe's srcdoc (a notebook)
    var here = location.href.split("#")[0] + "#" + (current + 1);
    if (location.href !== here) history.replaceState(null, "", here);
  }
  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var open = document.querySelector("details.full[open]");
    if (event.key === "Escape" && open) { open.open = false; event.preventDefault(); return; }
    if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
  });

  // A graph: hover a box or an edge to read it; click a value to light its paths to the root.
  // From the keyboard: Tab reaches each box in turn and reads it, Enter or Space lights a value.
  function explore(svg, info) {
    var parts = {}, out = {}, picked = null, hint = info.textContent;
    svg.querySelectorAll("g.node, g.edge").forEach(function (g) {
      var title = g.querySelector("title").textContent, link = g.querySelector("a");
      g.name = title;
      g.info = link ? link.getAttributeNS(XLINK, "title") || "" : "";
      if (link) link.removeAttributeNS(XLINK, "title");  // the panel shows it; no second, slower tooltip
      parts[title] = g;
      if (g.classList.contains("node")) {
        g.setAttribute("tabindex", "0");
        var words = [].map.call(g.querySelectorAll("text"), function (t) { return t.textContent; }).join(" ");
        g.setAttribute("aria-label", g.info || words);  // its tooltip, or (DOT without tooltips) what it says
        g.setAttribute("role", /^v/.test(title) ? "button" : "img");  // a value can be lit; an operation is read
        if (/^v/.test(title)) g.setAttribute("aria-pressed", "false");
      }
      if (g.classList.contains("edge")) {
        var ends = title.split("->");
        (out[ends[0]] = out[ends[0]] || []).push([g, ends[1]]);
      }
    });
    function say(g) {
      info.textContent = g ? g.info : picked ? picked.info : hint;
      info.classList.toggle("idle", !g && !picked);
    }
    function light(start) {
      svg.querySelectorAll(".picked").forEach(function (g) { g.classList.remove("picked"); });
      if (picked) picked.setAttribute("aria-pressed", "false");
      picked = start === picked ? null : start;
      if (!picked) return;
      picked.setAttribute("aria-pressed", "true");
      var todo = [picked.name], seen = {};
      while (todo.length) {
        var name = todo.pop();
        if (seen[name]) continue;
        seen[name] = true;
        parts[name].classList.add("picked");
        (out[name] || []).forEach(function (edge) { edge[0].classList.add("picked"); todo.push(edge[1]); });
      }
    }
    svg.addEventListener("mouseover", function (event) {
      var g = event.target.closest("g.node, g.edge");
      svg.querySelectorAll(".hovered").forEach(function (h) { h.classList.remove("hovered"); });
      if (g) g.classList.add("hovered");
      var box = svg.getBoundingClientRect();  // the panel over the graph: away from the pointer
      info.classList.toggle("top", event.clientY > box.top + box.height / 2);
      say(g);
    });
    svg.addEventListener("mouseleave", function () { say(null); });
    function pick(g) { if (g && /^v/.test(g.name)) { light(g); say(g); } }
    svg.addEventListener("click", function (event) {
      if (svg.parentNode.dragged) return;
      pick(event.target.closest("g.node"));
    });
    svg.addEventListener("keydown", function (event) {
      var g = event.target.closest("g.node");
      if (!g || (event.key !== "Enter" && event.key !== " ") || event.altKey || event.ctrlKey || event.metaKey) return;
      event.preventDefault();  // Space would scroll the page
      pick(g);
    });
    svg.addEventListener("focusin", function (event) {  // focus reads a box as the pointer does
      var g = event.target.closest("g.node");
      svg.querySelectorAll(".hovered").forEach(function (h) { h.classList.remove("hovered"); });
      if (g) {
        g.classList.add("hovered");
        var box = svg.getBoundingClientRect(), at = g.getBoundingClientRect();  // the panel away from the box
        info.classList.toggle("top", at.top + at.height / 2 > box.top + box.height / 2);
      }
      say(g);
    });
    svg.addEventListener("focusout", function (event) {
      var g = event.target.closest("g.node");
      if (g) g.classList.remove("hovered");
      say(null);
    });
    // ids like "v0" are Graphviz's titles, which a browser would show as tooltips
    svg.querySelectorAll("title").forEach(function (title) { title.remove(); });
  }

  // Each graph is DOT text in the page (#graphs: a table of lines, each graph as runs of them),
  // drawn by chainruleGraphviz (engine.drawing.browser) when it is first shown.
  var data = JSON.parse(document.getElementById("graphs").textContent), drawings = {};
  function dot(i) {
    var lines = [];
    data.graphs[i].forEach(function (run) {
      var first = typeof run === "number" ? run : run[0], last = typeof run === "number" ? run : run[1];
      for (var n = first; n <= last; n++) lines.push(data.lines[n]);
    });
    return lines.join("\\n");
  }
  function svgText(i) {
    if (!drawings[i]) drawings[i] = window.chainruleGraphviz ? chainruleGraphviz.render(dot(i))
      : Promise.reject(new Error("the page's Graphviz (graphviz.js) did not load"));
    return drawings[i];
  }
  // Draw box's graph into it, once, its ids made unique with `prefix`; a promise of the <svg>.
  function draw(box, prefix, info) {
    if (box.drawn) return box.drawn;
    box.drawn = svgText(+box.getAttribute("data-graph")).then(function (text) {
      text = text.slice(text.indexOf("<svg"));
      box.innerHTML = text.replace(/\\bid="([^"]*)"/g, 'id="' + prefix + '$1"')
        .replace(/url\\(#([^)]*)\\)/g, "url(#" + prefix + "$1)").replace(/href="#([^"]*)"/g, 'href="#' + prefix + '$1"');
      var svg = box.querySelector("svg"), sizes = [];
      svg.querySelectorAll("text[font-size]").forEach(function (t) { sizes.push(parseFloat(t.getAttribute("font-size"))); });
      if (sizes.length) svg.setAttribute("data-smallest", (Math.min.apply(null, sizes) * 4 / 3).toFixed(2));
      explore(svg, info);
      return svg;
    }, function (error) {
      box.textContent = "The graph could not be drawn here: " + error.message;
      throw error;
    });
    return box.drawn;
  }
  function drawStep() {
    var drawing = steps[current].querySelector("figure.graph .drawing");
    if (!drawing) return;
    draw(drawing, "s" + (current + 1) + "-", drawing.parentNode.querySelector(".info")).then(function () {
      fit();
      var after = steps[current + 1] && steps[current + 1].querySelector("figure.graph .drawing");
      if (after) svgText(+after.getAttribute("data-graph")).catch(function () {});  // drawn before Next is pressed
    }, function () {});
  }

  // The full graph: drag to pan; wheel, pinch or + and - to zoom; fit to the window.
  document.querySelectorAll("details.full").forEach(function (details) {
    var stage = details.querySelector(".stage"), svg = null, k = details.closest(".step").id.split("-")[1];
    var scale = 1, x = 0, y = 0, size = null, pointers = {}, last = null, start = null;
    function apply() { if (svg) svg.style.transform = "translate(" + x + "px," + y + "px) scale(" + scale + ")"; }
    function fit() {
      if (!svg) return;
      if (!size) { var r = svg.getBoundingClientRect(); size = [r.width, r.height]; }
      var box = stage.getBoundingClientRect();
      scale = Math.min(1, box.width / size[0], box.height / size[1]);
      x = (box.width - size[0] * scale) / 2;
      y = Math.max(0, (box.height - size[1] * scale) / 2);
      apply();
    }
    function zoom(factor, cx, cy) {
      var to = Math.max(0.05, Math.min(8, scale * factor));
      x = cx - (cx - x) * to / scale;
      y = cy - (cy - y) * to / scale;
      scale = to;
      apply();
    }
    function middle() { var r = stage.getBoundingClientRect(); return [r.width / 2, r.height / 2]; }
    details.addEventListener("toggle", function () {
      document.documentElement.classList.toggle("viewing", details.open);  // the page behind stays still
      if (details.open) {
        draw(stage, "f" + k + "-", details.querySelector(".viewer .info")).then(function (drawn) { svg = drawn; fit(); },
                                                                               function () {});
      }
    });
    details.querySelector(".fit").addEventListener("click", fit);
    details.querySelector(".in").addEventListener("click", function () { zoom(1.25, middle()[0], middle()[1]); });
    details.querySelector(".out").addEventListener("click", function () { zoom(0.8, middle()[0], middle()[1]); });
    details.querySelector(".close").addEventListener("click", function () { details.open = false; });
    details.addEventListener("keydown", function (event) {
      if (event.key === "+" || event.key === "=") zoom(1.25, middle()[0], middle()[1]);
      if (event.key === "-") zoom(0.8, middle()[0], middle()[1]);
      if (event.key === "0") fit();
    });
    stage.addEventListener("wheel", function (event) {
      event.preventDefault();  // a pinch on a touchpad comes as a wheel with ctrlKey
      var r = stage.getBoundingClientRect();
      zoom(Math.exp(-event.deltaY * (event.ctrlKey ? 0.01 : 0.002)), event.clientX - r.left, event.clientY - r.top);
    }, {passive: false});
    stage.addEventListener("pointerdown", function (event) {
      pointers[event.pointerId] = start = [event.clientX, event.clientY];
      stage.dragged = false;
      last = null;
    });
    stage.addEventListener("pointermove", function (event) {
      var at = pointers[event.pointerId];
      if (!at) return;
      var ids = Object.keys(pointers);
      if (ids.length === 1) {
        x += event.clientX - at[0];
        y += event.clientY - at[1];
        if (Math.abs(event.clientX - start[0]) + Math.abs(event.clientY - start[1]) > 4) stage.dragged = true;
        apply();
      } else if (ids.length === 2) {  // a pinch: zoom by the change in distance, around the middle
        pointers[event.pointerId] = [event.clientX, event.clientY];
        var a = pointers[ids[0]], b = pointers[ids[1]], r = stage.getBoundingClientRect();
        var apart = Math.hypot(a[0] - b[0], a[1] - b[1]);
        if (last) zoom(apart / last, (a[0] + b[0]) / 2 - r.left, (a[1] + b[1]) / 2 - r.top);
        last = apart;
        stage.dragged = true;
      }
      pointers[event.pointerId] = [event.clientX, event.clientY];
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (kind) {
      stage.addEventListener(kind, function (event) { delete pointers[event.pointerId]; last = null; });
    });
  });
  window.addEventListener("hashchange", function () { show((parseInt(location.hash.slice(1), 10) || 1) - 1); });
  show((parseInt(location.hash.slice(1), 10) || 1) - 1, true);  // the page's first step: read with the page
})();
"""


def demo_page(demo, steps, pictures, *, index_href=None, renderer_href=None):
    """The demo as one HTML page; `pictures` holds each step's files.Picture (None where a step has no graph).

    renderer_href: the URL of a graphviz.js beside the page (write_renderer) that it shares with
    other pages; None puts the renderer in the page itself.
    """
    crumb = "chainrule"
    if index_href:
        crumb = f'<a href="{escape(index_href)}">chainrule · all demos</a>'
    graphs = Graphs()
    sections = "\n".join(_step(k, len(steps), step, picture, graphs)
                         for k, (step, picture) in enumerate(zip(steps, pictures), 1))
    if renderer_href:
        renderer = f'<script src="{escape(renderer_href)}"></script>'
    else:
        renderer = f"<script>{renderer_script()}</script>" if graphs else ""
    esc = ', <kbd>Esc</kbd> closes the full graph' if any(p and p.omitted for p in pictures) else ""
    boxes = ", <kbd>Tab</kbd> reads a graph's boxes one by one, <kbd>Enter</kbd> lights a value's paths" if graphs else ""
    body = f"""<header><div class="column">
<p class="crumb">{crumb}</p>
<h1>{escape(demo.title)}</h1>
<p class="summary">{escape(demo.summary)}</p>
{_follows(demo, "p")}
</div></header>
<div class="bar"><div class="column">
<nav><span class="name">{escape(demo.title)}</span><button id="prev" type="button">← Back</button><span id="counter">Step 1 of {len(steps)}</span>\
<button id="next" type="button">Next →</button></nav>
<div class="progress"><div id="bar"></div></div>
<p id="said" class="sr-only" aria-live="polite"></p>
</div></div>
<main class="column">
{sections}
</main>
<footer class="column">Keys: <kbd>←</kbd> back, <kbd>→</kbd> next{boxes}{esc}.
Every number in the engine column was computed by chainrule when this page was made.</footer>
<script type="application/json" id="graphs">{graphs.json()}</script>
{renderer}
<script>{SCRIPT.replace("@SMALLEST@", f"{SMALLEST:g}")}</script>"""
    return _page(f"{demo.title} · chainrule", body, csp=SHARED_CSP if renderer_href else CSP)


def index_page(entries):
    """A page linking every demo: entries are (demo, number of steps, href of its page)."""
    items = "\n".join(
        f'<li><a href="{escape(href)}">{escape(demo.title)}</a> <span class="count">{count} steps</span>'
        f'<br><span class="summary">{escape(demo.summary)}</span>{_follows(demo, "span")}</li>'
        for demo, count, href in entries)
    body = f"""<header class="index"><div class="column"><p class="crumb">chainrule</p>
<h1>Worked examples, computed by backprop</h1>
<p class="summary">Each page steps through one tutorial's example: the tutorial's numbers beside the \
engine's, and the graph that produced them.</p></div></header>
<main class="column"><ul class="demos">
{items}
</ul></main>"""
    extra = """.demos { list-style: none; padding: 0; }
.demos li { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px;
            margin: 12px 0; }
.demos a { color: var(--accent); font-weight: 600; text-decoration: none; font-size: 18px; }
.demos .count { color: var(--soft); font-size: 14px; margin-left: 6px; white-space: nowrap; }
.demos .follows { display: block; font-size: 14px; margin: 2px 0 0; }
.demos .follows a { font-size: 14px; font-weight: 400; }"""
    return _page("chainrule · worked examples", body, extra_css=extra)


def _follows(demo, tag):
    """'Follows “title” by author' (the title a link where the tutorial names one), in a <tag>."""
    tutorial = demo.tutorial
    if tutorial is None:
        return ""
    title = f"<cite>“{escape(tutorial.title)}”</cite>"
    if tutorial.link:
        title = f'<a href="{escape(tutorial.link)}" rel="noreferrer">{title}</a>'
    by = f" by {escape(tutorial.author)}" if tutorial.author else ""
    return f'<{tag} class="follows">Follows {title}{by}</{tag}>'


def _page(title, body, extra_css="", csp=CSP):
    return f"""<!doctype html>
<html lang="en" class="nojs">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<link rel="icon" href="data:,">
<title>{escape(title)}</title>
<style>{CSS}{extra_css}</style>
</head>
<body>
{body}
</body>
</html>
"""


def _step(k, n, step, picture, graphs):
    """A step: its words (title, chain rule, text, numbers, loss curve) and, beside them, its graph."""
    words = [f'<h2><span class="k">{k}/{n}</span>{escape(step.title)}</h2>']
    if picture is not None and picture.caption:
        words.append('<div class="chain">' + "".join(f"<p>{escape(line)}</p>" for line in picture.caption) + "</div>")
    if picture is not None and picture.note:
        words.append(f'<p class="gradnote">{escape(picture.note)}</p>')
    words.append(f'<div class="text">{_paragraphs(step.text)}</div>')
    if step.numbers:
        words.append(_numbers(step.numbers))
    if step.history:
        words.append(f'<figure class="loss">{_loss_chart(step.history)}<figcaption>loss, '
                     f'{len(step.history)} values</figcaption></figure>')
    parts = [f'<section class="step" id="step-{k}" data-title="{escape(step.title)}">',
             '<div class="words">', *words, "</div>"]
    if picture is not None:
        parts.append(_graph(k, step, picture, graphs))
    parts.append("</section>")
    return "\n".join(parts)


def _graph(k, step, picture, graphs):
    """The step's graph in its pane: the part that reads here, the whole one click away (when the
    part is not the whole). Its chain rule is written as text beside it (_step), and is the
    figure's name for a screen reader."""
    hint = "Point at a box or an edge to read it; click or tap a value to light up its paths to the root."
    shown = (f"Shown: the part of the graph this step is about, {escape(picture.omitted)}." if picture.omitted
             else f'<span class="hint">{hint}</span>')
    sideways = '<p class="sideways" aria-hidden="true">⇆ wider than the window: scroll sideways for the rest</p>'
    parts = ['<div class="pane">',
             f'<figure class="graph" role="group" aria-label="{escape(_graph_name(step, picture))}">{sideways}<div class="drawing" data-graph="{graphs.add(picture.shown)}">'
             '<noscript>The graph is drawn by the page\'s script: allow JavaScript to see it.</noscript>'
             f'</div><div class="says"><div class="info idle">{hint}</div></div></figure>',
             f'<div class="under"><span class="shown">{shown}</span>']
    if picture.omitted:  # else the figure shows the whole graph: no second copy
        parts.append('<details class="full"><summary>Full graph: pan and zoom</summary><div class="viewer">'
                     '<div class="tools"><button type="button" class="fit">Fit</button>'
                     '<button type="button" class="out" aria-label="zoom out">−</button>'
                     '<button type="button" class="in" aria-label="zoom in">+</button>'
                     '<span class="hint">drag to move, wheel or pinch to zoom</span>'
                     '<button type="button" class="close">Close</button></div>'
                     f'<div class="stage" data-graph="{graphs.add(picture.full)}"></div><div class="info"></div></div>'
                     '</details>')
    parts.append("</div></div>")
    return "\n".join(parts)


def _graph_name(step, picture):
    """What a screen reader calls a step's graph: its chain rule, or without one the step's title
    and how many values the graph shows."""
    if picture.caption:
        return " ".join(picture.caption)
    values = len(VALUE_BOX.findall(picture.shown))
    if not values:  # DOT not written by engine.drawing: its boxes are not known to be values
        return f"{step.title}: graph"
    return f"{step.title}: graph of {values} value{'' if values == 1 else 's'}"


def _paragraphs(text):
    """The text as <p> paragraphs, with the lines laid out by hand (indented) kept in <pre>."""
    html = []
    for runs in paragraphs(text):
        for laid_out, rows in runs:
            if laid_out:
                html.append("<pre>" + escape("\n".join(rows)) + "</pre>")
            else:
                html.append("<p>" + escape(" ".join(rows)) + "</p>")
    return "\n".join(html)


def _numbers(numbers):
    """The numbers as a table: name, tutorial, engine, mark; name and value where no number has a
    tutorial's value beside it (a walk through any graph)."""
    printed = any(n.tutorial for n in numbers)
    heads = "<th>tutorial</th><th>engine</th><th></th>" if printed else "<th>value</th>"
    rows = [f'<table class="numbers"><thead><tr><th>number</th>{heads}</tr></thead><tbody>']
    for number in numbers:
        kind, mark = MARKS[number.verdict]
        cells = _value_cell(number.shown)
        if printed:
            cells = f'{_value_cell(number.tutorial or "—")}{cells}<td class="mark">{mark}</td>'
        rows.append(f'<tr class="{kind}"><td>{escape(number.name)}</td>{cells}</tr>')
        if number.note:
            rows.append(f'<tr class="note"><td colspan="4">{escape(number.note)}</td></tr>')
    rows.append("</tbody></table>")
    return "\n".join(rows)


LONG_NUMBER = 10  # characters: a number longer than this may break inside its cell beside the graph


def _value_cell(text):
    """A number's cell: one line, unless the number is long enough that two of them would not fit beside a name."""
    return f'<td class="long">{escape(text)}</td>' if len(text) > LONG_NUMBER else f"<td>{escape(text)}</td>"


class Graphs:
    """The DOT texts a page carries, each once, as the lines they are made of: a table of every
    distinct line, and each graph as runs of line numbers. Consecutive steps of one walk differ in
    a few lines (the grads filled in, the path lit), so each adds little to the page."""

    def __init__(self):
        self.lines, self.numbers, self.graphs, self.known = [], {}, [], {}

    def __bool__(self):
        return bool(self.graphs)

    def add(self, dot):
        """The number of the graph `dot` on this page."""
        if dot not in self.known:
            runs = []
            for line in dot.split("\n"):
                if line not in self.numbers:
                    self.numbers[line] = len(self.lines)
                    self.lines.append(line)
                n = self.numbers[line]
                if runs and runs[-1][1] == n - 1:
                    runs[-1][1] = n
                else:
                    runs.append([n, n])
            self.known[dot] = len(self.graphs)
            self.graphs.append([a if a == b else [a, b] for a, b in runs])
        return self.known[dot]

    def json(self):
        """{"lines": [...], "graphs": [[line or [first, last], ...], ...]} as JSON safe inside a <script>."""
        text = json.dumps({"lines": self.lines, "graphs": self.graphs}, ensure_ascii=False, separators=(",", ":"))
        return text.replace("<", "\\u003c")


def _loss_chart(history, width=640, height=180, left=70, right=16):
    """The loss curve as a small inline SVG: finite values scaled to the box, first and last labelled."""
    finite = [v for v in history if math.isfinite(v)]
    if not finite:
        return ""
    low, high = min(finite), max(finite)
    span = (high - low) or 1.0
    last = max(1, len(history) - 1)
    top, base = 12, height - 28
    n = len(history)
    shown = range(n) if n <= 600 else sorted({round(j * (n - 1) / 599) for j in range(600)})  # 600 points draw it
    segments, points = [], []
    for i in shown:
        v = history[i]
        if not math.isfinite(v):  # a break in the curve
            if points:
                segments.append(points)
            points = []
            continue
        x = left + (width - left - right) * i / last
        y = top + (base - top) * (high - v) / span
        points.append(f"{x:.1f},{y:.1f}")
    if points:
        segments.append(points)
    curves = "".join(f'<polyline class="curve" points="{" ".join(p)}"/>' for p in segments)
    return (f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="loss curve">'
            f'<line class="axis" x1="{left}" y1="{base}" x2="{width - right}" y2="{base}"/>'
            f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{base}"/>{curves}'
            f'<text x="{left - 8}" y="{top + 6}" text-anchor="end">{high:.3g}</text>'
            f'<text x="{left - 8}" y="{base}" text-anchor="end">{low:.3g}</text>'
            f'<text x="{left}" y="{height - 8}">{escape(f"first {history[0]:.4g}")}</text>'
            f'<text x="{width - right}" y="{height - 8}" text-anchor="end">{escape(f"last {history[-1]:.4g}")}'
            f'</text></svg>')
