"""The ``derived:`` config section: named channels computed from an object's variables.

Each entry is an expression (:mod:`orcapost.derived`) with an optional unit and the objects it
applies to; the short form is the expression alone. Validation parses every expression (an
unknown function, an operator outside the language, a syntax error is located at the entry's
``expression``) and refuses a derived channel that uses itself, directly or through others.
"""

from __future__ import annotations

from typing import Any

from orcapost.derived import Expression, ExpressionError, parse
from orcapost.schemas.base import StrictModel
from pydantic import Field, field_validator, model_validator


class DerivedChannel(StrictModel):
    """One derived channel: ``expression`` over variables of one object, at one position."""

    expression: str = Field(
        min_length=1,
        description="Expression over the object's variables: numbers, names (quote names "
        "with spaces: 'Effective Tension'), + - * / **, unary minus, abs, sqrt, sin, cos, tan, "
        "arctan2, hypot, min, max, degrees, radians, pi (docs/derived.md).")
    unit: str = Field(default="", description="The unit of the result (free text).")
    objects: list[str] = Field(
        default_factory=lambda: ["*"], min_length=1,
        description="Objects (names or globs) that have the channel, among those with every "
        "variable it reads.")

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        return {"expression": data} if isinstance(data, str) else data

    @field_validator("expression")
    @classmethod
    def _parses(cls, text: str) -> str:
        try:
            expression = parse(text)
        except ExpressionError as exc:
            raise ValueError(str(exc)) from None
        if not expression.variables:
            # A constant would be a variable of every object that no column could read.
            raise ValueError("the expression reads no variable: a derived channel is computed "
                             "from an object's variables (e.g. 'Effective Tension' / 1000)")
        return text

    def parsed(self) -> Expression:
        return parse(self.expression)


def check_derived(channels: dict[str, DerivedChannel]) -> dict[str, DerivedChannel]:
    """Refuse a derived channel that depends on itself; names must be non-blank."""
    for name in channels:
        if not name.strip():
            raise ValueError("a derived channel needs a name")
    uses = {name: set(channel.parsed().variables) & set(channels)
            for name, channel in channels.items()}
    # Depth-first, each channel finished once: linear in the channels and their uses (walking
    # every path was exponential in a chain where each channel reads the two before it).
    done: set[str] = set()
    for start in channels:
        if start in done:
            continue
        path, on_path = [start], {start}
        stack = [iter(sorted(uses[start]))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                continue
            if child in on_path:
                cycle = " -> ".join([*path[path.index(child):], child])
                raise ValueError(f"derived channel {child!r} uses itself ({cycle})")
            if child in done:
                continue
            path.append(child)
            on_path.add(child)
            stack.append(iter(sorted(uses[child])))
    return channels


#: The field type of the config's ``derived:`` section.
DERIVED_DESCRIPTION = ("Derived channels by name: expressions over an object's variables, "
                       "usable as a variable by every column (docs/derived.md).")
