"""Derived channels: a small, safe expression language over the variables of one object.

``parse("sqrt(Vx**2 + Vy**2)")`` reads the text with Python's :mod:`ast` and accepts only a
whitelisted tree: numbers, variable names (bare ``Vx`` or quoted ``'Effective Tension'``), the
constant ``pi``, ``+ - * / **``, unary minus and plus, and the functions in :data:`FUNCTIONS`.
Anything else (attributes, subscripts, comparisons, lambdas, keyword arguments, unknown
functions) is refused with the column of the text where it starts. The tree is evaluated with
numpy on float64 arrays; nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np

#: Function name -> (numpy function, number of arguments: an int, or None for two or more).
FUNCTIONS: dict[str, tuple[Callable[..., Any], int | None]] = {
    "abs": (np.abs, 1),
    "sqrt": (np.sqrt, 1),
    "sin": (np.sin, 1),
    "cos": (np.cos, 1),
    "tan": (np.tan, 1),
    "arctan2": (np.arctan2, 2),
    "hypot": (np.hypot, 2),
    "degrees": (np.degrees, 1),
    "radians": (np.radians, 1),
    "min": (np.minimum, None),  # elementwise, over two or more arguments
    "max": (np.maximum, None),
}
CONSTANTS = {"pi": float(np.pi)}
#: The deepest nesting accepted (operators and calls within one another): far more than any
#: formula needs, far less than Python's recursion limit.
MAX_DEPTH = 100
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
    ast.Pow: np.power,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: np.negative, ast.UAdd: np.positive}
_OPERATOR_WORDS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&",
                   ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>",
                   ast.Not: "not", ast.Invert: "~"}


class ExpressionError(ValueError):
    """An expression outside the language, with where it starts (1-based column)."""

    def __init__(self, message: str, column: int | None = None) -> None:
        where = f" (at column {column})" if column is not None else ""
        super().__init__(f"{message}{where}")
        self.column = column


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, the checked tree and the variable names it reads."""

    text: str
    tree: ast.expr
    variables: tuple[str, ...]

    def evaluate(self, values: Mapping[str, Any]) -> np.ndarray:
        """The expression over ``values`` (variable name -> array or number), in float64.

        Division by zero and the like give inf/NaN as numpy does (no warning); a column's
        ``nan_policy`` then decides what such samples do (docs/numerics.md)."""
        with np.errstate(all="ignore"):
            return np.asarray(_evaluate(self.tree, values), dtype=np.float64)


def parse(text: str) -> Expression:
    """The :class:`Expression` of ``text``, or :class:`ExpressionError` saying what is not
    allowed and where."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("an expression is needed (e.g. sqrt(Vx**2 + Vy**2))")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        # Python gives offset 0 when the text ends too early ("a +"): no column then.
        where = exc.offset or None
        msg = exc.msg if where is not None else f"{exc.msg}: it ends too early"
        raise ExpressionError(f"not a valid expression: {msg}", where) from None
    except (RecursionError, MemoryError):
        # Python's parser gives up on a very long chain (a+a+...+a, ------a) with these.
        raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep "
                              "(split it into derived channels)") from None
    names: list[str] = []
    _check(tree, names, 0)
    return Expression(text, tree, tuple(dict.fromkeys(names)))


def _column(node: ast.AST) -> int:
    return getattr(node, "col_offset", 0) + 1


def _check(node: ast.AST, names: list[str], depth: int) -> None:
    # Checking and evaluating recurse through the tree: a bound on its depth keeps both far
    # from Python's recursion limit wherever they run (a worker's stack is already deep).
    if depth > MAX_DEPTH:
        raise ExpressionError(f"the expression is nested more than {MAX_DEPTH} levels deep "
                              "(split it into derived channels)", _column(node))
    depth += 1
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or node.value is None:
            raise ExpressionError(f"{node.value!r} is not a number", _column(node))
        if isinstance(node.value, str):
            if not node.value.strip():
                raise ExpressionError("an empty quoted variable name", _column(node))
            names.append(node.value)
            return
        if not isinstance(node.value, (int, float)):
            raise ExpressionError(f"{node.value!r} is not a real number", _column(node))
        try:
            finite = math.isfinite(float(node.value))
        except OverflowError:  # an integer literal beyond float64 (float() refuses it)
            finite = False
        if not finite:
            raise ExpressionError("a number beyond float64's range (about 1.8e308)",
                                  _column(node))
        return
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function: call it, {node.id}(...)",
                                  _column(node))
        if node.id not in CONSTANTS:
            names.append(node.id)
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            word = _OPERATOR_WORDS.get(type(node.op), type(node.op).__name__)
            raise ExpressionError(f"operator {word} is not allowed (use + - * / **)",
                                  _column(node))
        _check(node.left, names, depth)
        _check(node.right, names, depth)
        return
    if isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            word = _OPERATOR_WORDS.get(type(node.op), type(node.op).__name__)
            raise ExpressionError(f"operator {word} is not allowed", _column(node))
        _check(node.operand, names, depth)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExpressionError("only the listed functions can be called "
                                  f"({', '.join(FUNCTIONS)})", _column(node))
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(f"unknown function {name!r} (functions: "
                                  f"{', '.join(FUNCTIONS)})", _column(node))
        if node.keywords:
            raise ExpressionError(f"{name}() takes no keyword arguments", _column(node))
        arity = FUNCTIONS[name][1]
        count = len(node.args)
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError(f"{name}() takes plain arguments", _column(node))
        if arity is None and count < 2:
            raise ExpressionError(f"{name}() takes two or more arguments, not {count}",
                                  _column(node))
        if arity is not None and count != arity:
            raise ExpressionError(f"{name}() takes {arity} argument{'s' * (arity != 1)}, "
                                  f"not {count}", _column(node))
        for arg in node.args:
            _check(arg, names, depth)
        return
    what = {ast.Attribute: "attributes (a.b)", ast.Subscript: "subscripts (a[i])",
            ast.Compare: "comparisons", ast.BoolOp: "and/or", ast.IfExp: "if/else",
            ast.Lambda: "lambda", ast.Tuple: "tuples", ast.List: "lists"}.get(type(node))
    raise ExpressionError(f"{what or type(node).__name__} not allowed in an expression",
                          _column(node))


def _evaluate(node: ast.AST, values: Mapping[str, Any]) -> Any:
    # Only the node types _check accepted reach here.
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return values[node.value]
        assert isinstance(node.value, (int, float))  # what _check lets through
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        return values[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, values),
                                      _evaluate(node.right, values))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, values))
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        function, arity = FUNCTIONS[node.func.id]
        args = [_evaluate(a, values) for a in node.args]
        if arity is None:
            return reduce(function, args)
        return function(*args)
    raise ExpressionError(f"{type(node).__name__} cannot be evaluated")
