"""What several extractors share: arc-length options."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field


def _arc_length(value: Any) -> Any:
    """null (whole line), S (one arc length) or [s0, s1]; [] and [S] are accepted as legacy."""
    if isinstance(value, (list, tuple)):
        if len(value) == 0:
            return None
        if len(value) == 1:
            return float(value[0])
        if len(value) != 2:
            raise ValueError("arc_length is null (whole line), S, or [s0, s1]")
        s0, s1 = float(value[0]), float(value[1])
        if s1 < s0:
            raise ValueError(f"arc_length range [{s0:g}, {s1:g}] ends before it starts")
        return (s0, s1)
    return value


#: What the arc-length validators accept, for the JSON Schema: a number, null, or a list of at
#: most two numbers (the legacy [] and [S] included).
_ARC_INPUT = float | Annotated[list[float], Field(max_length=2)] | None

ArcLength = Annotated[float | tuple[float, float] | None,
                      BeforeValidator(_arc_length, json_schema_input_type=_ARC_INPUT)]


def _sections(value: Any) -> Any:
    """Also a list of [s0, s1] sections (each summarised on its own)."""
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (list, tuple)) for v in value):
        sections = tuple(_arc_length(v) for v in value)
        if any(not isinstance(v, tuple) for v in sections):
            raise ValueError("each section is [s0, s1]")
        return sections
    return _arc_length(value)


ArcLengths = Annotated[
    float | tuple[float, float] | tuple[tuple[float, float], ...] | None,
    BeforeValidator(_sections, json_schema_input_type=_ARC_INPUT | list[
        Annotated[list[float], Field(min_length=2, max_length=2)]]),
]

