"""A printable chain-rule worksheet for a class: variants of one expression, blanks, and an answer key.

    chainrule quiz "tanh(w*x + b)" x=0.5 w=-2 b=1.5 --wrt w --worksheet sheet.html --variants 6 --seed 1

Variant 1 is the values given; each other variant draws the names' values anew (each keeps the
sign of the value given, so a log or a sqrt stays in its domain, and every tanh or sigmoid on
the paths stays out of saturation, |a| <= SATURATION) and asks what the quiz asks: every local derivative along every
path, each path's product, and d out / d NAME. The answer key, on a page of its own when
printed, holds the engine's numbers: the table's local derivatives and backward()'s grad.
The page is self-contained: no script at all, and a Content-Security-Policy that allows
only its own stylesheet (by hash).
"""
import base64
import hashlib
import json
import math
import random
import shlex
from html import escape

from ..engine.formula import number
from ..engine.expression import parse_expression
from .quiz import MAX_PATHS, Chain

MAGNITUDES = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)  # values a learner can work with by hand
TRIES = 200  # draws per variant before giving up (a domain that almost no values satisfy)
DIGITS = 4  # significant digits on the sheet and in the key
SATURATION = 2.0  # |pre-activation| a drawn tanh or sigmoid stays within: tanh'(2) = 0.07, sigmoid'(2) = 0.1

CSS = """
:root { --ink: #1b1f29; --soft: #5d6574; --line: #c9ced8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 820px; margin: 0 auto; padding: 24px 24px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 0 0 6px; }
.lead { margin: 0 0 6px; color: var(--soft); }
.who { margin: 14px 0 18px; }
.who span { display: inline-block; width: 16em; border-bottom: 1px solid var(--ink); margin: 0 2em 0 .4em; }
code, .math { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: 15px; }
.variant { border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin: 0 0 18px;
           break-inside: avoid; page-break-inside: avoid; }
.given { margin: 0 0 8px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.forward { margin: 0 0 10px; line-height: 1.45; }
.blanks { width: 100%; table-layout: fixed; }
.blanks col.k { width: 2.4em; } .blanks col.where { width: 36%; } .blanks col.fill { width: 8em; }
.blanks td { padding: 7px 8px 7px 0; border-top: 1px solid var(--line); vertical-align: bottom; }
.blanks tr.path td { border-top: none; padding: 10px 0 0; font-weight: 600; }
.blanks td.k, .blanks td.where { color: var(--soft); }
.blanks td.ask { text-align: right; }
.factor { white-space: nowrap; }
.blank { display: inline-block; width: 7em; border-bottom: 1px solid var(--ink); height: 1.2em; }
.key { break-before: page; page-break-before: always; margin-top: 36px; }
.key .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 14px; }
.key .variant { padding: 10px 16px; margin-bottom: 14px; }
.key td { padding: 2px 18px 2px 0; }
.key td.value { text-align: right; font-weight: 600; }
.how { color: var(--soft); font-size: 14px; margin-top: 28px; }
@page { margin: 14mm; }
@media print {
  main { padding: 0; max-width: none; }
  body { font-size: 10.5pt; line-height: 1.35; }
  .variant { border-color: #999; padding: 8px 14px; margin-bottom: 10px; }
  .blanks td { padding: 5px 8px 5px 0; }
  .key { margin-top: 0; }
}
"""
CSP = f"default-src 'none'; style-src 'sha256-{base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()}'"


def worksheet(expression, values, wrt, *, variants=4, seed=0, max_paths=MAX_PATHS):
    """The worksheet's HTML: `variants` variants of expression (text, as `chainrule graph` takes it).

    values: {name: number}, whose signs the variants keep; wrt: the name to differentiate by.
    Raises ValueError for an expression the parser refuses, or whose values cannot be drawn.
    """
    rng = random.Random(seed)
    out, leaves = parse_expression(expression, values)  # variant 1: the learner's own values
    drawn = {tuple(values.values())}
    sheets = [(dict(values), Chain(out, leaves[wrt], max_paths))]
    sheets += [_variant(expression, values, wrt, rng, drawn, max_paths) for _ in range(variants - 1)]
    return _page(expression, values, wrt, variants, seed, sheets)


def _variant(expression, values, wrt, rng, drawn, max_paths):
    """(values, Chain) for new values that the expression accepts and no earlier variant had."""
    for _ in range(TRIES):
        new = {name: math.copysign(rng.choice(MAGNITUDES), given if given else rng.choice((-1, 1)))
               for name, given in values.items()}
        key = tuple(new.values())
        if key in drawn:
            continue
        try:
            out, leaves = parse_expression(expression, new)
            chain = Chain(out, leaves[wrt], max_paths)
        except ValueError:  # out of a domain, or a derivative that is not finite there
            continue
        if _uninformative(chain):
            continue
        drawn.add(key)
        return new, chain
    count = len(drawn)
    raise ValueError(f"only {count} variant{'s' * (count != 1)} of {expression} could be drawn (each name keeps its "
                     f"sign and takes a size from {MAGNITUDES[0]:g} to {MAGNITUDES[-1]:g}, the expression must be "
                     f"defined, and a tanh or sigmoid on the way stay within |a| <= {SATURATION:g}); ask for fewer")


def _uninformative(chain):
    """True where an activation on the paths sits where its derivative tells a learner nothing: tanh or
    sigmoid past |a| = SATURATION (tanh(-5)' = 0.00018, not to be had by hand from y = -0.999909), relu
    or abs at their kink."""
    for path in chain.paths:
        for head, _ in path:
            a = head.inputs[0].data if head.inputs else 0.0
            if head.op.name in ("tanh", "sigmoid") and abs(a) > SATURATION:
                return True
            if head.op.name in ("relu", "abs") and a == 0.0:
                return True
    return False


def _page(expression, given, wrt, variants, seed, sheets):
    top = sheets[0][1].name(sheets[0][1].root)
    title = f"d{top}/d{wrt} for {expression}"
    body = ["<h1>The chain rule by hand</h1>",
            f'<p class="lead">Find <span class="math">{escape(f"d{top}/d{wrt}")}</span> for '
            f'<span class="math">{escape(expression)}</span>: the forward pass is given; fill in the local '
            "derivative of each step, the product along each path, and the total (the sum over the paths). "
            f"The key gives {DIGITS} significant digits.</p>",
            '<p class="who">Name<span></span>Date<span></span></p>']
    for k, (values, chain) in enumerate(sheets, 1):
        body.append(_blanks(k, values, chain))
    body.append('<section class="key"><h1>Answer key</h1>'
                f'<p class="lead">The engine\'s numbers: the local derivatives from its table of primitives, '
                f"d{escape(top)}/d{escape(wrt)} from backward().</p>")
    body.append('<div class="grid">')
    for k, (values, chain) in enumerate(sheets, 1):
        body.append(_key(k, values, chain))
    names = " ".join(f"{name}={value:g}" for name, value in given.items())
    command = (f"chainrule quiz {shlex.quote(expression)} {names} --wrt {wrt} --worksheet FILE "
               f"--variants {variants} --seed {seed}")
    body.append(f'</div><p class="how">Made with <code>{escape(command)}</code>; the same seed gives the same '
                "sheet.</p></section>")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body><main>
{chr(10).join(body)}
</main></body>
</html>
"""


def _given(values):
    return ", ".join(f"{name} = {value:g}" for name, value in values.items())


def _blanks(k, values, chain):
    forward = escape("\n".join(chain.forward()))
    rows, shown = [], -1
    for n, question in enumerate(chain.questions, 1):
        if question.kind != "total" and question.path != shown:
            shown = question.path
            rows.append(f'<tr class="path"><td colspan="4">Path {shown + 1} of {len(chain.paths)}: '
                        f"{escape(chain.describe_path(chain.paths[shown]))}</td></tr>")
        where = escape(question.where) if question.kind == "local" else _factors(question.where)
        rows.append(f'<tr><td class="k">{n}.</td><td class="where">{where}</td>'
                    f'<td class="ask math">{escape(question.ask)} =</td>'
                    '<td class="fill"><span class="blank"></span></td></tr>')
    return (f'<section class="variant" data-variant="{k}">'
            f'<h2>Variant {k}</h2><p class="given math">{escape(_given(values))}</p>'
            f'<pre class="forward math">{forward}</pre>'
            '<table class="blanks"><colgroup><col class="k"><col class="where"><col class="ask"><col class="fill">'
            f'</colgroup>{"".join(rows)}</table></section>')


def _factors(product):
    """'∂y/∂u2 × ∂u2/∂u1' as HTML whose lines break only between factors, never inside ∂u2/∂u1."""
    return " × ".join(f'<span class="factor">{escape(factor)}</span>' for factor in product.split(" × "))


def _key(k, values, chain):
    rows = []
    for n, question in enumerate(chain.questions, 1):
        rows.append(f'<tr data-kind="{question.kind}" data-exact="{question.exact!r}"><td class="k">{n}.</td>'
                    f'<td class="math">{_factors(question.where) if question.kind == "product" else escape(question.ask)}</td>'
                    f'<td class="value math">{_key_number(question.exact)}</td></tr>')
    return (f'<section class="variant" data-variant="{k}" data-values="{escape(json.dumps(values))}">'
            f'<h2>Variant {k}</h2><p class="given math">{escape(_given(values))}</p>'
            f'<table>{"".join(rows)}</table></section>')


def _key_number(x):
    """x to DIGITS significant digits, trailing zeros kept unless x is exactly that short (1, -1.5)."""
    short = number(x, DIGITS)
    return short if float(short) == x else f"{x:#.{DIGITS}g}"
