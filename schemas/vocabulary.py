"""OrcaFlex's vocabulary for where and when a result is taken: positions and periods.

Both accept the spellings engineers write in YAML and normalise them to one frozen value:

- Position: ``End A``, ``End B``, ``Touchdown``, ``{arc_length: 120.0}``, ``{node: 12}``
  (1-based, as OrcaFlex numbers nodes), pipe-wall points, vessel points and the rest of
  OrcaFlex's ``ObjectExtra`` (defined in :mod:`orcapost.schemas.positions`). Omitted for objects
  that have no position (a vessel at its origin).
- Period: ``whole simulation``, ``latest wave``, ``static state``, ``{stage: N}``,
  ``{specified: [t0, t1]}`` or just ``[t0, t1]``.
"""

from __future__ import annotations

import functools
import re
from typing import Annotated, Any, Literal

from orcapost.schemas.base import StrictModel
from orcapost.schemas.positions import POSITION_SCHEMA, Position
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator


@functools.lru_cache(maxsize=4096)  # a config spells its few positions and periods many times
def _squash(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text).lower()


_PERIOD_WORDS = {
    "wholesimulation": "whole_simulation",
    "latestwave": "latest_wave",
    "staticstate": "static_state",
}


class Period(BaseModel):
    """Which part of the simulation a result covers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["whole_simulation", "latest_wave", "static_state", "stage", "specified"]
    stage: int | None = None
    start: float | None = None
    end: float | None = None
    #: A specified period that may be clipped to the simulation (a column's ``period_policy:
    #: clip``); otherwise a finite bound outside a complete simulation is an error.
    clip: bool = False

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, Period):
            return data
        if isinstance(data, str):
            kind = _PERIOD_WORDS.get(_squash(data))
            match = re.fullmatch(r"stage(\d+)", _squash(data))
            if match:
                return {"kind": "stage", "stage": int(match.group(1))}
            if kind is None:
                raise ValueError(
                    f"unknown period {data!r}: use whole simulation, latest wave, static state, "
                    "{stage: N} or {specified: [t0, t1]}"
                )
            return {"kind": kind}
        if isinstance(data, (list, tuple)):
            return cls._specified(data)
        if isinstance(data, dict) and len(data) == 1 and "kind" not in data:
            (key, value), = data.items()
            key = _squash(str(key))
            if key == "stage":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError("stage takes a whole number >= 0 (0 is the build-up)")
                return {"kind": "stage", "stage": value}
            if key in ("specified", "specifiedperiod"):
                return cls._specified(value)
            raise ValueError(f"unknown period key {key!r}: use stage or specified")
        if isinstance(data, dict):
            return data
        raise ValueError("a period is a name, {stage: N} or [t0, t1]")

    @staticmethod
    def _specified(value: Any) -> dict:
        if (
            not isinstance(value, (list, tuple))
            or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value)
        ):
            raise ValueError("a specified period is two numbers [t0, t1] in seconds")
        start, end = float(value[0]), float(value[1])
        if end < start:
            raise ValueError(f"specified period ends ({end:g}) before it starts ({start:g})")
        return {"kind": "specified", "start": start, "end": end}

    @model_validator(mode="after")
    def _complete(self) -> Period:
        # The explicit form ({kind: stage, stage: N}, what model_dump gives) skips _parse's
        # checks: the same rules here, so a period is never missing the numbers it needs.
        if self.kind == "stage":
            if self.stage is None:
                raise ValueError("a stage period needs its stage ({stage: N})")
            if self.stage < 0:
                raise ValueError("stage takes a whole number >= 0 (0 is the build-up)")
        if self.kind == "specified":
            if self.start is None or self.end is None:
                raise ValueError("a specified period needs its start and end ([t0, t1])")
            if self.end < self.start:
                raise ValueError(
                    f"specified period ends ({self.end:g}) before it starts ({self.start:g})"
                )
        return self

    def stage_number(self) -> int:
        """The stage of a stage period (0 is the build-up)."""
        if self.stage is None:
            raise ValueError(f"a {self.kind} period has no stage")
        return self.stage

    def bounds(self) -> tuple[float, float]:
        """The [t0, t1] of a specified period, as given (infinite bounds included)."""
        if self.start is None or self.end is None:
            raise ValueError(f"a {self.kind} period has no start and end")
        return self.start, self.end

    def describe(self) -> str:
        if self.kind == "stage":
            return f"stage {self.stage}"
        if self.kind == "specified":
            return f"{self.start:g} to {self.end:g} s"
        return self.kind.replace("_", " ")


_PERIOD_SCHEMA = {
    "anyOf": [
        {"enum": ["whole simulation", "latest wave", "static state"]},
        {"type": "object", "properties": {"stage": {"type": "integer", "minimum": 0}},
         "required": ["stage"], "additionalProperties": False},
        {"type": "object",
         "properties": {"specified": {"type": "array", "items": {"type": "number"},
                                      "minItems": 2, "maxItems": 2}},
         "required": ["specified"], "additionalProperties": False},
        {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
    ]
}

#: Field types for config models: they validate as above and publish a YAML-friendly JSON Schema.
PositionField = Annotated[Position, WithJsonSchema(POSITION_SCHEMA)]
PeriodField = Annotated[Period, WithJsonSchema(_PERIOD_SCHEMA)]

WHOLE_SIMULATION = Period(kind="whole_simulation")


class DataItem(StrictModel):
    """A model data item (OrcaFlex GetData): object, name and index, and its column key."""

    object: str = Field(min_length=1, description="Model object name (Environment, Line1).")
    name: str = Field(min_length=1, description="Data name (WaveHs, Length).")
    index: int | None = Field(default=None, description="Index of an indexed data item.")
    label: str | None = Field(default=None, description="Column key (default: the name).")

    def key(self) -> str:
        if self.label:
            return self.label
        return self.name if self.index is None else f"{self.name}[{self.index}]"
