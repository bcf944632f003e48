// The playground: the chainrule package itself, running in Pyodide, asked through
// chainrule.lessons.site.playground (explore_json, take_quiz_json, worksheet_page).
// Whatever the learner types goes to Python as a string and comes back as JSON; every
// text is put in the page with textContent, never as HTML. The graphs are DOT from
// Python drawn by window.chainruleGraphviz.render(dot) into SVG, which is parsed as
// SVG and stripped of anything active before it joins the page.

const config = JSON.parse(document.getElementById("site-config").textContent);
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const XLINK = "http://www.w3.org/1999/xlink";
const drawn = new Map(); // DOT text -> Promise of SVG text

let py = null; // the Python module, once loaded
let shown = config.example; // what explore() returned for what is on screen
let current = 0; // the step shown
let answers = []; // the quiz's answers so far
let quizOn = false;

// A phone draws the graphs top to bottom (they fit its width); a wide window left to right.
const narrow = matchMedia("(max-width: 600px)");
const rankdir = () => (narrow.matches ? config.narrow.rankdir : "LR");
config.example.rankdir = "LR";
config.example.wide = config.example.steps.map((step) => step.dot);
for (const [dots, svgs] of [[config.example.wide, config.example.svgs], [config.narrow.dots, config.narrow.svgs]]) {
  dots.forEach((dot, k) => { if (svgs[k]) drawn.set(dot, Promise.resolve(svgs[k])); });
}

function progress(text, ready = false) {
  const line = $("progress");
  line.textContent = text;
  line.classList.toggle("ready", ready);
}

function element(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

// --- what the URL asks for: ?expr=tanh(w*x%2Bb)&x=0.5&w=-2&b=1.5&wrt=w ---------------------

// Read by hand rather than by URLSearchParams, which takes "+" for a space: a "+" typed into a
// link (?expr=w*x+b) is the plus the learner meant; a space is written %20.
function queryPairs() {
  return location.search.slice(1).split("&").filter(Boolean).map((pair) => {
    const at = pair.indexOf("=");
    const [name, value] = at < 0 ? [pair, ""] : [pair.slice(0, at), pair.slice(at + 1)];
    try {
      return [decodeURIComponent(name), decodeURIComponent(value)];
    } catch (error) { // a stray % : taken as written
      return [name, value];
    }
  });
}

function fromURL() {
  const pairs = queryPairs();
  const get = (wanted) => (pairs.find(([name]) => name === wanted) || [null, ""])[1];
  if (!pairs.some(([name]) => name === "expr")) return null;
  const words = pairs.filter(([name]) => !["expr", "wrt", "step"].includes(name)).map(([name, value]) => `${name}=${value}`);
  return { expr: get("expr"), values: words.join(" "), wrt: get("wrt"), step: (parseInt(get("step"), 10) || 1) - 1 };
}

function toURL(expr, values, wrt) {
  const pairs = [["expr", expr]];
  for (const word of values.split(/[\s,;]+/)) {
    const at = word.indexOf("=");
    if (at > 0) pairs.push([word.slice(0, at), word.slice(at + 1)]);
  }
  if (wrt) pairs.push(["wrt", wrt]);
  const query = pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join("&");
  history.replaceState(null, "", `${location.pathname}?${query}`);
}

// --- the graph ----------------------------------------------------------------------------

function draw(dot) {
  if (!drawn.has(dot)) {
    const render = window.chainruleGraphviz ? window.chainruleGraphviz.render(dot)
      : Promise.reject(new Error("the Graphviz script did not load"));
    drawn.set(dot, render);
  }
  return drawn.get(dot);
}

// SVG text -> an <svg> element with nothing that can run or load: no script, no foreign
// content, no event handler, no link that leaves the document.
function safeSvg(text) {
  const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
  const svg = parsed.documentElement;
  if (svg.namespaceURI !== SVG || svg.localName !== "svg") throw new Error("the drawing is not SVG");
  for (const bad of svg.querySelectorAll("script, foreignObject, iframe, object, embed, image, use, style")) {
    bad.remove();
  }
  for (const e of [svg, ...svg.querySelectorAll("*")]) {
    for (const attribute of [...e.attributes]) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.trim().toLowerCase();
      if (name.startsWith("on") || ((name === "href" || name === "xlink:href" || name === "src") && !value.startsWith("#"))) {
        e.removeAttributeNode(attribute);
      }
    }
  }
  return document.importNode(svg, true);
}

// The boxes take keyboard focus; hovering or focusing one says what it is (the drawing's tooltip).
function explorable(svg) {
  for (const g of svg.querySelectorAll("g.node, g.edge")) {
    const link = g.querySelector("a");
    const tip = link ? link.getAttributeNS(XLINK, "title") || link.getAttribute("title") || "" : "";
    if (link) link.removeAttributeNS(XLINK, "title");
    g.dataset.info = tip;
    if (g.classList.contains("node")) {
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.setAttribute("aria-label", tip || g.querySelector("title")?.textContent || "a box of the graph");
    }
  }
  const say = (event) => {
    const g = event.target.closest && event.target.closest("g.node, g.edge");
    $("info").textContent = g ? g.dataset.info : "";
  };
  svg.addEventListener("mouseover", say);
  svg.addEventListener("focusin", say);
  return svg;
}

// Fitted to the figure's width, but never so small that its smallest text reads under 9.5 CSS px:
// past that the figure scrolls sideways ("Actual size" shows it as Graphviz laid it out).
function readable(svg) {
  const px = (length) => parseFloat(length) * (String(length).endsWith("pt") ? 4 / 3 : 1);
  const sizes = [...svg.querySelectorAll("text[font-size]")].map((t) => px(t.getAttribute("font-size")) * 4 / 3);
  const smallest = Math.min(...sizes, 16);
  const width = px(svg.getAttribute("width") || "0");
  if (width) svg.style.minWidth = `${Math.min(width, width * 9.5 / smallest)}px`;
  return svg;
}

async function showGraph(step, k) {
  const figure = $("graph");
  figure.setAttribute("aria-label", `The graph of ${shown.title} at step ${k + 1}: ${step.title}`);
  if (!step.dot) {
    figure.replaceChildren(element("p", "This step has no graph.", "drawing-note"));
    return;
  }
  let text;
  try {
    text = await draw(step.dot);
  } catch (error) {
    if (current === k) figure.replaceChildren(element("p", `The graph could not be drawn: ${error.message || error}`, "drawing-note"));
    return;
  }
  if (current !== k || shown.steps[k] !== step) return; // the learner moved on meanwhile
  figure.replaceChildren(readable(explorable(safeSvg(text))));
  $("info").textContent = "";
}

// --- a step, the summary --------------------------------------------------------------------

function showStep(k) {
  const steps = shown.steps;
  current = Math.max(0, Math.min(steps.length - 1, k));
  const step = steps[current];
  $("counter").textContent = `Step ${current + 1} of ${steps.length}`;
  $("prev").disabled = current === 0;
  $("next").disabled = current === steps.length - 1;
  $("step-title").textContent = step.title;
  $("step-text").replaceChildren(...step.paragraphs.flatMap((runs) => runs.map(([laidOut, lines]) =>
    element(laidOut ? "pre" : "p", lines.join(laidOut ? "\n" : " ")))));
  $("chain").replaceChildren(...step.caption.concat(step.note ? [step.note] : []).map((line) => element("p", line)));
  $("numbers").replaceChildren(...step.numbers.map((n) => {
    const row = element("tr");
    const value = element("td", n.shown);
    value.dataset.value = String(n.value);
    row.append(element("td", n.name), value);
    return row;
  }));
  showGraph(step, current);
}

// On a wide window a step's graph sits beside its text; when the widest graph of the walk (its last
// step's) would not fit that column at the smallest readable size, it goes above the text, full width,
// for every step of the walk (a layout that changed from step to step would be hard to follow).
function fitLayout(walk) {
  const dots = walk.steps.map((step) => step.dot).filter(Boolean);
  const stepper = document.querySelector(".stepper");
  if (!dots.length) {
    stepper.classList.remove("stacked");
    return;
  }
  draw(dots[dots.length - 1]).then((text) => {
    if (shown !== walk) return;
    const needed = parseFloat(readable(safeSvg(text)).style.minWidth) || 0;
    stepper.classList.remove("stacked"); // measured side by side, restored before the page paints again
    const figure = $("graph");
    const style = getComputedStyle(figure);
    const room = figure.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    stepper.classList.toggle("stacked", needed > room);
  }).catch(() => {});
}

function showSummary() {
  const out = shown.output;
  const line = $("summary");
  const value = element("span", `${out.name} = ${out.shown}`, "out");
  value.dataset.value = String(out.value);
  line.replaceChildren(value, document.createTextNode("   "));
  for (const grad of shown.grads) {
    const g = element("span", `${grad.name} = ${grad.shown}`, "grad");
    g.dataset.value = String(grad.value);
    g.dataset.name = grad.name;
    line.append(g, document.createTextNode(" "));
  }
  const wrt = $("wrt");
  wrt.replaceChildren(...shown.names.map((name) => {
    const option = element("option", name);
    option.value = name;
    return option;
  }));
  wrt.value = shown.wrt;
}

// --- Python -------------------------------------------------------------------------------

async function startPython() {
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  progress(`Loading Python ${config.python} (Pyodide ${config.pyodide_version}, about ${config.megabytes} MB the first time)…`);
  const wheels = config.wheels.map((url) => fetch(url).then((r) => {
    if (!r.ok) throw new Error(`${url}: ${r.status} ${r.statusText}`);
    return r.arrayBuffer();
  }));
  const { loadPyodide } = await import(`./${config.pyodide}pyodide.mjs`);
  const index = new URL(config.pyodide, location.href).href;
  const pyodide = await loadPyodide({ indexURL: index, packageBaseUrl: index, stdout: () => {}, stderr: (line) => console.info(line) });
  progress(`Python is running (${seconds()} s); installing chainrule…`);
  const site = pyodide.runPython("import site; site.getsitepackages()[0]");
  for (const bytes of await Promise.all(wheels)) pyodide.unpackArchive(new Uint8Array(bytes), "wheel", { extractDir: site });
  pyodide.runPython("import importlib; importlib.invalidate_caches()");
  py = pyodide.pyimport(config.module);
  py.explore_json(...config.example_args); // imports what a run needs, before the learner waits on it
  document.documentElement.dataset.python = "ready";
  progress(`Ready in ${seconds()} s: Python ${config.python} runs chainrule in this page.`, true);
  for (const id of ["quiz-start", "worksheet"]) $(id).disabled = false;
}

function run(step = 0) {
  const expr = $("expr").value, values = $("values").value, wrt = $("wrt").value;
  toURL(expr, values, wrt);
  if (!py) {
    progress("Your expression runs as soon as Python has loaded…");
    pending = step;
    return;
  }
  const result = JSON.parse(py.explore_json(expr, values, wrt, rankdir()));
  $("error").textContent = result.error || "";
  if (result.error) return;
  result.valuesText = values;
  result.rankdir = rankdir();
  shown = result;
  fitLayout(shown);
  $("example-note").textContent = "";
  showSummary();
  showStep(step);
  resetQuiz();
  document.documentElement.dataset.shown = String(Number(document.documentElement.dataset.shown || 0) + 1);
}
let pending = null;

// --- the quiz and the worksheet -----------------------------------------------------------

function resetQuiz() {
  answers = [];
  quizOn = false;
  $("quiz-log").textContent = "";
  $("answer").hidden = true;
  $("quiz-start").hidden = false;
  $("worksheet-link").hidden = true;
}

function quizStep() {
  const result = JSON.parse(py.take_quiz_json(shown.expression, shown.valuesText, $("wrt").value, JSON.stringify(answers)));
  const log = $("quiz-log");
  if (result.error) {
    log.textContent = result.error;
    $("answer").hidden = true;
    return;
  }
  log.textContent = result.transcript;
  log.scrollTop = log.scrollHeight;
  $("quiz-prompt").textContent = result.prompt;
  $("answer").hidden = result.finished;
  $("quiz-score").textContent = result.asked ? `${result.right} of ${result.asked} right at the first try` : "";
  if (!result.finished) $("quiz-answer").focus({ preventScroll: true });
}

function startQuiz() {
  if (!shown.valuesText) shown.valuesText = $("values").value;
  answers = [];
  quizOn = true;
  $("quiz-start").hidden = true;
  quizStep();
}

function answer(event) {
  event.preventDefault();
  const typed = $("quiz-answer").value;
  if (!quizOn || !typed.trim()) return;
  answers.push(typed);
  $("quiz-answer").value = "";
  quizStep();
}

function makeWorksheet() {
  const page = py.worksheet_page(shown.expression, shown.valuesText || $("values").value, $("wrt").value);
  const link = $("worksheet-link");
  if (page.startsWith("error: ")) {
    $("error").textContent = page.slice(7);
    return;
  }
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([page], { type: "text/html" }));
  link.hidden = false;
  window.open(link.href, "_blank", "noopener");
}

// --- wiring -------------------------------------------------------------------------------

$("prev").addEventListener("click", () => showStep(current - 1));
$("next").addEventListener("click", () => showStep(current + 1));
$("ask").addEventListener("submit", (event) => { event.preventDefault(); run(); });
$("quiz-start").addEventListener("click", startQuiz);
$("answer").addEventListener("submit", answer);
$("worksheet").addEventListener("click", makeWorksheet);
$("wrt").addEventListener("change", () => { if (py) resetQuiz(); });
$("actual").addEventListener("click", () => {
  const figure = $("graph");
  figure.classList.toggle("actual");
  $("actual").textContent = figure.classList.contains("actual") ? "Fit to width" : "Actual size";
});
document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.target.closest && event.target.closest("input, select, textarea")) return;
  if (event.key === "ArrowRight") { showStep(current + 1); event.preventDefault(); }
  if (event.key === "ArrowLeft") { showStep(current - 1); event.preventDefault(); }
});

// The example drawn in advance in the direction the screen wants; anything else is asked of Python again.
function relayout() {
  if (shown.rankdir === rankdir()) return;
  if (shown === config.example) {
    const dots = rankdir() === "LR" ? config.example.wide : config.narrow.dots;
    shown.steps.forEach((step, k) => { step.dot = dots[k]; });
    shown.rankdir = rankdir();
    fitLayout(shown);
    showGraph(shown.steps[current], current);
  } else if (py) {
    const at = current;
    const result = JSON.parse(py.explore_json(shown.expression, shown.valuesText, $("wrt").value, rankdir()));
    if (result.error) return;
    Object.assign(result, { valuesText: shown.valuesText, rankdir: rankdir(), wrt: $("wrt").value });
    shown = result;
    fitLayout(shown);
    showStep(at);
  }
}
narrow.addEventListener("change", relayout);

const predrawn = $("graph").querySelector("svg");
if (predrawn) readable(explorable(predrawn));
relayout();
fitLayout(shown);
const asked = fromURL();
config.example.valuesText = config.example_args[1];
if (asked) {
  $("expr").value = asked.expr;
  $("values").value = asked.values;
  const [expr, values, wrt] = config.example_args;
  if (asked.expr === expr && asked.values === values && (!asked.wrt || asked.wrt === wrt)) {
    showStep(asked.step);
  } else {
    if (asked.wrt) {
      const option = element("option", asked.wrt);
      option.value = asked.wrt;
      $("wrt").replaceChildren(option);
    }
    $("example-note").textContent = `While Python loads, this shows the example ${expr}; yours comes next.`;
    pending = Math.max(0, asked.step);
  }
}
startPython().then(() => {
  if (pending !== null) run(pending);
}).catch((error) => {
  progress(`Python could not start: ${error.message || error}. Serve this folder over http (chainrule serve DIR); ` +
           "pages opened as files cannot load it.");
  console.error(error);
});
