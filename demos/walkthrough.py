"""backward() one node at a time, as steps a learner can follow: the walkthrough of any graph.

    steps = walkthrough_steps(L)   # one Step per node that passes a grad on

Each step pauses backward at one node and says what happened there: the grad the node holds,
the local derivatives its op reads from the engine's table of primitives, and the share
(local × grad) that each input receives. The drawing of the step highlights the path from the
root to that node. Nothing here knows about any one demo: a tutorial's network, an expression
typed on the command line or a model's loss are walked alike.
"""
from ..engine import backward_order, backward_steps, draw
from ..engine.formula import describe

from .model import Number, Step
from .parts import fmt, zero_grads


def backward_walk(root):
    """backward() one node at a time: yields (node, passes) for every node that passes a grad.

    `passes` lists, for each input that is not a constant, (input, local derivative,
    local × node's grad): the local derivative read from the engine's table of primitives.
    Leaves and constants pass nothing, so backward_steps gives them no step of their own.
    """
    for v in backward_steps(root):
        local = v.op.local(v.data, *[x.data for x in v.inputs])
        passes = [(x, d, d * v.grad) for x, d in zip(v.inputs, local) if x.op.name != "const"]
        yield v, passes


def walkthrough_steps(root, *, remarks=None, tutorial=None, highlight=None, **draw_options):
    """One Step per node of backward() from `root`, the grads filling in on the drawing.

    Every grad in root's graph is set to 0 first, so each number shown is d root / d that value.
    Each step is written while the walk is paused at its node: its text, numbers and drawing
    show the grads of that moment.

    remarks: {label: sentence}, a sentence added to the step that passes a grad to that label.
    tutorial: {label: (printed, note)}, what a tutorial prints for d root / d label: it goes on
        that Number in the step where the grad is complete (every user of the value has passed
        its share); `note` says why the two differ, "" if they should not.
    highlight: a value of the graph (or its label) whose chain rule matters: the step where its
        grad is complete draws every path from the root to it, with the product in the caption,
        instead of the path to the node the walk has reached.
    draw_options: passed on to draw() (rankdir, digits, max_nodes, group); `digits` also sets
        the significant figures of the text.
    """
    if not root.inputs:
        raise ValueError(f"nothing to walk through: {describe(root)} was not computed from other values")
    remarks, tutorial = remarks or {}, tutorial or {}
    unknown = sorted((set(remarks) | set(tutorial)) - {v.label for v in backward_order(root)})
    if unknown:
        raise ValueError(f"no value of the graph of {describe(root)} is labelled {', '.join(map(repr, unknown))}")
    digits = draw_options.get("digits", 4)
    target = None if highlight is None else _find(root, highlight)
    zero_grads(root)
    uses = _uses(root)
    total = sum(1 for v in backward_order(root) if v.inputs)
    steps = []
    for i, (v, passes) in enumerate(backward_walk(root), 1):
        complete = set()  # inputs whose last user just passed: their grad is final
        for x, _, _ in passes:
            uses[x] -= 1
            if uses[x] == 0:
                complete.add(x)
        lines = _walk_lines(root, v, passes, complete, i, digits)
        lines += ["\n" + remarks[x.label] for x, _, _ in passes if x.label in remarks]
        numbers = tuple(_number(root, x, x in complete and tutorial.get(x.label)) for x, _, _ in passes)
        focus = target if target in complete else v  # else the path from the root to where the walk is now
        graph = draw(root, highlight=focus, **draw_options)
        steps.append(Step(f"Backward {i}/{total}: {describe(v)}", "\n".join(lines), numbers, graph))
    return steps


def partial(y, x):
    """'dL/dw1' for Values y and x, or 'dL/d(w1*x1 + b1)' where one is named by a formula."""
    return f"d{_name(y)}/d{_name(x)}"


def _name(v):
    name = describe(v)
    return name if name.isidentifier() else f"({name})"


def _find(root, wanted):
    """The value of root's graph that is `wanted` or is labelled so; ValueError if there is none."""
    found = [v for v in backward_order(root) if v is wanted or (isinstance(wanted, str) and v.label == wanted)]
    if not found:
        raise ValueError(f"highlight: {wanted!r} is not a value of the graph of {describe(root)}")
    return found[0]


def _number(root, x, printed):
    """The Number d root / d x; `printed` is (tutorial's string, note) or falsy."""
    tutorial, note = printed or ("", "")
    return Number(partial(root, x), x.grad, tutorial=tutorial, note=note)


def _uses(root):
    """How many times each value of root's graph is an input to another node."""
    uses = {}
    for v in backward_order(root):
        for x in v.inputs:
            uses[x] = uses.get(x, 0) + 1
    return uses


def _walk_lines(root, v, passes, complete, step, digits):
    """What one backward step did, in words: the grad the node holds and what it passed on."""
    if step == 1:
        lines = [f"Backward starts at {describe(root)}: {partial(root, v)} = 1."]
    else:
        lines = [f"{describe(v)} holds its whole grad now: {partial(root, v)} = {fmt(v.grad, digits)}."]
    if step == 2:
        lines.append("(Whole, because every node that uses it has passed its share: that is why backward\n"
                     "visits the nodes in reverse topological order.)")
    lines.append(f"Its local derivatives, from the engine's table of primitives ({v.op.name}): {v.op.rule}.")
    for x, d, share in passes:
        line = f"  to {describe(x)}: local {fmt(d, digits)} × grad {fmt(v.grad, digits)} = {fmt(share, digits)}"
        if x.grad != share:
            line += f", added to what it had: now {fmt(x.grad, digits)}"
        lines.append(line + ".")
        if x in complete and not x.inputs:
            lines.append(f"    {partial(root, x)} is complete: every node that uses {describe(x)} has passed its share.")
    if any(share == 0.0 for _, _, share in passes):
        lines.append(f"A share of 0 means that input cannot move {describe(root)} along this path.")
    return lines
