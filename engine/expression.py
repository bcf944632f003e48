"""Expressions from text, such as `sigmoid(w1*x1 + w2*x2 + b)`, built into engine Values.

    from chainrule import parse
    y = parse("tanh(w*x + b)", x=0.5, w=-2, b=1.5)   # the root Value; x, w, b are labelled leaves
    y.backward()

    out, leaves = parse_expression("sigmoid(w1*x1 + w2*x2 + b)", {"x1": 2, "x2": 3, "w1": 0, "w2": 1, "b": 4})
    out.backward()
    leaves["w1"].grad                                # the leaves by name, as the command line needs them

Python's `ast` reads the text; only this whitelist is accepted, and nothing is ever evaluated
as Python:

- numbers (int or float literals), names given a value, parentheses;
- `+ - * / **` and unary `-` / `+`;
- calls of the engine's functions of one input (its table's functions and activations: exp,
  log, sqrt, tanh, sigmoid, relu, abs), one argument each.

Anything else (attribute access, calls of other names, `__import__`, lambdas, subscripts,
comparisons, strings, ...) is refused with a ValueError that quotes the text and puts a caret
under the offending part. So are an unknown name, an exponent past MAX_EXPONENT (`2**10**10`),
and any operation the engine itself refuses (`log(0)`, `1/0`, overflow).

`NAME = expression` labels the output NAME (`L = (1 - y_pred)**2`).

Each name becomes one labelled leaf, shared by all its uses (`x*x` uses x twice). It is a
parameter (drawn orange) if it is listed in `params`; without `params`, names starting with
"w" or "b" (weights, biases) are parameters and the rest inputs. A number written in the text
is a constant leaf. `x ** n` with a number n (or an expression of numbers only, `x ** (1/2)`)
is the engine's power by a constant; `2 ** x` and `x ** y` are Value ** Value (positive base).
"""
import ast
import keyword
import math
import operator
import re

from .checks import real
from .primitives import PRIMITIVES
from .value import Value, constant

MAX_EXPONENT = 1024  # a constant exponent beyond this is refused (2**10**10 would overflow anyway)
MAX_LENGTH = 10_000  # characters of expression text
_NAMED = re.compile(r"\s*([^\W\d]\w*)\s*=(?!=)(.*)", re.DOTALL)  # "L = (1 - y)**2" names the output
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow}  # Value's operators, so the table's checks apply
_REFUSED = {  # what a reader would call the node types people try
    ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Lambda: "a lambda",
    ast.Compare: "a comparison", ast.BoolOp: "and/or", ast.IfExp: "an if-expression",
    ast.NamedExpr: "an assignment (:=)", ast.Starred: "unpacking (*)", ast.JoinedStr: "an f-string",
    ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set",
    ast.ListComp: "a comprehension", ast.GeneratorExp: "a generator", ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension", ast.Await: "await", ast.Yield: "yield", ast.Slice: "a slice",
}


def functions():
    """The names the parser calls: the engine's functions of one input, read from its table."""
    return [op.name for op in PRIMITIVES.values() if op.kind in ("function", "activation") and op.arity == 1]


def _allowed():
    return "allowed: numbers, names, + - * / **, parentheses and " + ", ".join(f"{f}()" for f in functions())


def parse(text, /, **values):
    """The graph of the expression `text`, built from the numbers given by name; its root Value.

    parse("tanh(w*x + b)", x=0.5, w=-2, b=1.5): every name in the text is one labelled leaf
    (names starting with w or b are parameters); ValueError for anything off the whitelist.
    """
    return parse_expression(text, values)[0]


def parse_expression(text, values, params=None):
    """Build `text` into Values; (the output Value, {name: leaf Value} for the names used).

    values: name -> number for every name in the text. params: names to make parameters
    (None: names starting with "w" or "b"). Raises ValueError for anything off the whitelist.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse takes the expression as a str, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"the expression is {len(text)} characters long; at most {MAX_LENGTH}")
    named = _NAMED.match(text)
    name, text = (named.group(1), named.group(2)) if named else ("", text)
    tree = _read(text)
    _check(tree, text)
    chosen = None if params is None else set(params)
    leaves = {}
    for node in _names(tree):
        if node.id not in leaves:
            if node.id not in values:
                raise _error(text, node, f"{node.id} has no value{_folded(text, node)}; give it one "
                                         f"(e.g. {node.id}=1)")
            number = _finite(node.id, values[node.id], text, node)
            param = node.id.startswith(("w", "b")) if chosen is None else node.id in chosen
            leaves[node.id] = Value(number, node.id, param=param)
    out = _build(tree.body, text, leaves)
    if name:
        if out.inputs == ():
            raise ValueError(f"{name} = ...: the expression is a single value; write an operation to name")
        out.label = name
    return out, leaves


def read_values(words):
    """NAME=NUMBER words (the command line's, or the playground's box split into words) -> {name: float}.

    ValueError naming the word that is off: not NAME=NUMBER, not a number, not finite, or a name
    given twice."""
    values = {}
    for word in words:
        name, equals, text = word.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"{word!r}: give a value as NAME=NUMBER, e.g. x=0.5")
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{word!r}: {text.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{word!r}: give a finite number")
        if name in values:
            raise ValueError(f"{name} is given twice ({name}={values[name]:.17g} and {word})")
        values[name] = value
    return values


def _finite(name, number, text, node):
    """The value given for a name as a float (engine.checks.real), or a ValueError that says what is
    wrong with it, with a caret under the name."""
    try:
        return real(number, name)
    except (TypeError, ValueError) as e:
        raise _error(text, node, str(e)) from None


def _names(tree):
    """The Name nodes that stand for values (not the callee of a call), left to right."""
    callees = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in callees]
    return sorted(names, key=lambda n: (n.lineno, n.col_offset))


def _read(text):
    """The expression's syntax tree, or a ValueError with a caret where Python stopped reading."""
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        line = (e.text or text.strip()).splitlines()[0] if (e.text or text.strip()) else ""
        start = e.offset - 1 if e.offset else len(line)  # no offset: the text ended too soon
        width = e.end_offset - e.offset if e.end_offset and e.offset and e.end_offset > e.offset else 1
        raise ValueError(f"not a valid expression ({e.msg}):\n  {line}\n  {' ' * start}{'^' * width}") from None
    except (RecursionError, MemoryError):
        raise ValueError("the expression is nested too deeply to read") from None


def _check(tree, text):
    """Refuse any node off the whitelist, pointing at it; the whole tree before building anything."""
    callees = set()
    for node in ast.walk(tree):  # parents before children: the outermost offence is reported
        if isinstance(node, (ast.Expression, ast.Load, ast.operator, ast.unaryop)) or id(node) in callees:
            continue  # operators are judged at their BinOp/UnaryOp, which have a position
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise _error(text, node, f"the operator in this part is not allowed ({_allowed()})")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise _error(text, node, f"this unary operator is not allowed ({_allowed()})")
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise _error(text, node, f"{node.value!r} is not a number ({_allowed()})")
            try:
                number = float(node.value)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                raise _error(text, node, "this number is too large for a float")
        elif isinstance(node, ast.Name):
            if node.id in functions():
                raise _error(text, node, f"{node.id} is a function: call it, as in {node.id}(x)")
            if node.id.startswith("_"):
                raise _error(text, node, f"names starting with _ are not allowed ({_allowed()})")
        elif isinstance(node, ast.Call):
            _check_call(node, text)
            callees.add(id(node.func))
        else:
            what = _REFUSED.get(type(node), type(node).__name__)
            raise _error(text, node, f"{what} is not allowed ({_allowed()})")


def _check_call(node, text):
    if not isinstance(node.func, ast.Name) or node.func.id not in functions():
        if isinstance(node.func, ast.Name):
            name = node.func.id
            raise _error(text, node.func, f"calling {name}() is not allowed; the functions are "
                                          f"{', '.join(functions())}")
        raise _error(text, node.func, f"only the engine's functions can be called ({_allowed()})")
    name = node.func.id
    if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
        raise _error(text, node, f"{name}() takes exactly one argument, as in {name}(x)")


def _build(root, text, leaves):
    """The Value of a checked tree, built bottom-up with an explicit stack (no recursion)."""
    built = {}  # id(ast node) -> Value, or float for a number-only exponent
    stack = [(root, False)]
    while stack:
        node, ready = stack.pop()
        children = _children(node)
        if not ready and children:
            stack.append((node, True))
            stack.extend((child, False) for child in children)
            continue
        built[id(node)] = _apply(node, [built[id(c)] for c in children], text, leaves)
    return built[id(root)]


def _children(node):
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and not _is_literal(node):
        return [node.operand]
    if isinstance(node, ast.Call):
        return [node.args[0]]
    return []


def _is_literal(node):
    """A number as written: 2, 1.5, -3 (a sign and a number make one constant)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant)
    return isinstance(node, ast.Constant)


def _apply(node, args, text, leaves):
    try:
        if isinstance(node, ast.Name):
            return leaves[node.id]
        if _is_literal(node):
            return constant(_literal(node))
        if isinstance(node, ast.UnaryOp):
            return -args[0] if isinstance(node.op, ast.USub) else args[0]
        if isinstance(node, ast.Call):
            return _call(node.func.id, args[0])
        a, b = args
        if isinstance(node.op, ast.Pow) and not _has_name(node.right):
            n = b.data
            if abs(n) > MAX_EXPONENT:
                raise ValueError(f"the exponent {n:g} is too large (at most {MAX_EXPONENT} in size)")
            return a ** n  # the engine's power by a constant
        return _BINARY[type(node.op)](a, b)
    except (ValueError, TypeError, ArithmeticError) as e:
        raise _error(text, node, str(e)) from None


def _call(name, arg):
    """name(arg) for one of functions(), by the Value method its row names (abs: __abs__)."""
    return getattr(arg, PRIMITIVES[name].methods[0])()


def _has_name(node):
    return any(isinstance(n, ast.Name) for n in ast.walk(node))


def _literal(node):
    if isinstance(node, ast.UnaryOp):
        value = float(node.operand.value)
        return -value if isinstance(node.op, ast.USub) else value
    return float(node.value)


def _folded(text, node):
    """' (written ｘ, ...)' when Python read a name as another (NFKC folds ｘ to x and ﬁ to fi); else ''."""
    line = text.strip().splitlines()[node.lineno - 1].encode("utf-8")
    written = line[node.col_offset:node.end_col_offset].decode("utf-8", "replace")
    if written == node.id:
        return ""
    return f" (written {written}, which Python reads as {node.id}: it folds such letters by NFKC)"


def _error(text, node, message):
    """ValueError: the message, the line of text, and a caret under node."""
    lines = text.strip().splitlines() or [""]
    line = lines[min(getattr(node, "lineno", 1), len(lines)) - 1]
    start = _column(line, getattr(node, "col_offset", 0))
    end_line = getattr(node, "end_lineno", None)
    end = _column(line, node.end_col_offset) if end_line == getattr(node, "lineno", None) and \
        getattr(node, "end_col_offset", None) is not None else start + 1
    return ValueError(f"{message}:\n  {line}\n  {' ' * start}{'^' * max(end - start, 1)}")


def _column(line, byte_offset):
    """ast's column offsets count UTF-8 bytes; the caret counts characters."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))
