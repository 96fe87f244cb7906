"""Where on an object a result is taken: OrcaFlex's ``ObjectExtra`` vocabulary in config.

The spellings engineers write in YAML, normalised to one frozen :class:`Position`:

- a line point: ``End A``, ``End B``, ``Touchdown``, ``{arc_length: S}``, ``{node: N}`` (1-based,
  as OrcaFlex numbers nodes), ``{end: A|B|Touchdown}``;
- a line point qualified by what OrcaFlex's ``oeLine`` takes beside it: ``radial: inner | outer |
  mid`` and ``theta: deg`` (the pipe-wall point, ``RadialPos``/``Theta``; theta defaults to 0 as
  in OrcaFlex), ``clearance_line: NAME`` (``ClearanceLineName``), ``blade: N`` (a turbine blade,
  ``BladeIndex``), ``external_result_text: TEXT`` (``ExternalResultText``);
- ``{point: [x, y, z]}``: a point of a vessel, buoy or constraint in its own axes, or of the
  environment in global axes (``RigidBodyPos``/``EnvironmentPos``);
- ``{support: N}`` (``SupportIndex``; optionally ``supported_line: NAME``, ``SupportedLineName``)
  and ``{winch_connection: N}`` (OrcFxAPI's
  ``WinchConnectionPoint``), both as OrcaFlex numbers them;
- ``{external_result_text: TEXT}`` alone, for an external-function result of any object.

A position's :meth:`Position.qualifiers` (everything but the line point) is also the key an
archive stores a per-point series under (docs/archive-format.md, version 2).
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

LINE_POINTS = ("end_a", "end_b", "touchdown", "arc_length", "node")
RADIAL_POSITIONS = ("inner", "outer", "mid")

_POSITION_WORDS = {"enda": "end_a", "endb": "end_b", "touchdown": "touchdown",
                   "a": "end_a", "b": "end_b"}
#: Accepted spellings of each key (squashed: lower case, no spaces, _ or -), by canonical key;
#: OrcFxAPI's own field names are accepted too.
_KEYS = {
    "arclength": "arc_length", "node": "node", "nodenum": "node", "end": "end",
    "linepoint": "end", "radial": "radial", "radialpos": "radial", "theta": "theta",
    "point": "point", "rigidbodypos": "point", "environmentpos": "point",
    "clearanceline": "clearance_line", "clearancelinename": "clearance_line",
    "support": "support", "supportindex": "support", "supportedline": "supported_line",
    "supportedlinename": "supported_line",
    "winchconnection": "winch_connection", "winchconnectionpoint": "winch_connection",
    "winchconnectionindex": "winch_connection", "blade": "blade", "bladeindex": "blade",
    "externalresulttext": "external_result_text",
}
#: Keys that say where on the object (at most one).
_LOCATIONS = ("arc_length", "node", "end", "point", "support", "winch_connection")
#: Keys that qualify a line point only.
_LINE_QUALIFIERS = ("radial", "theta", "clearance_line", "blade")
FORMS = ("End A, End B, Touchdown, {arc_length: S} or {node: N} (optionally with radial: "
         "inner|outer|mid, theta: deg, clearance_line: NAME, blade: N), {point: [x, y, z]}, "
         "{support: N}, {winch_connection: N} or {external_result_text: TEXT}")


def _squash(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text).lower()


def _whole(value: Any, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{what} takes a whole number >= {minimum}")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} takes a finite number")
    return float(value)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} takes a non-empty name")
    return value


class Position(BaseModel):
    """Where on an object a result is taken (see the module docstring for the forms)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["end_a", "end_b", "touchdown", "arc_length", "node", "point", "support",
                  "winch_connection", "object"]
    #: The arc length (m), node, support or winch connection number.
    value: float | None = None
    radial: Literal["inner", "outer", "mid"] | None = None
    theta: float | None = None
    point: tuple[float, float, float] | None = None
    clearance_line: str | None = None
    blade: int | None = None
    supported_line: str | None = None
    external_result_text: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, Position):
            return data
        if isinstance(data, str):
            kind = _POSITION_WORDS.get(_squash(data))
            if kind is None or len(_squash(data)) == 1:
                raise ValueError(f"unknown position {data!r}: use {FORMS}")
            return {"kind": kind}
        if isinstance(data, dict) and "kind" not in data:
            return cls._from_keys(data)
        if isinstance(data, dict):
            return data
        raise ValueError(f"a position is {FORMS}")

    @staticmethod
    def _from_keys(data: dict) -> dict:
        given: dict[str, Any] = {}
        for key, value in data.items():
            canonical = _KEYS.get(_squash(str(key)))
            if canonical is None:
                raise ValueError(f"unknown position key {key!r}: use {FORMS}")
            if canonical in given:
                raise ValueError(f"position key {canonical} given twice")
            given[canonical] = value
        locations = [k for k in _LOCATIONS if k in given]
        if len(locations) > 1:
            raise ValueError(f"a position has one location, not {' and '.join(locations)}")
        out: dict[str, Any] = {}
        where = locations[0] if locations else None
        if where == "arc_length":
            out.update(kind="arc_length", value=_number(given["arc_length"], "arc_length"))
        elif where == "node":
            out.update(kind="node",
                       value=_whole(given["node"], "node (OrcaFlex numbers from 1)", 1))
        elif where == "end":
            word = given["end"]
            kind = _POSITION_WORDS.get(_squash(word)) if isinstance(word, str) else None
            if kind is None:
                raise ValueError(f"end takes A, B or Touchdown, not {word!r}")
            out["kind"] = kind
        elif where == "point":
            point = given["point"]
            if not isinstance(point, (list, tuple)) or len(point) != 3:
                raise ValueError("point takes three numbers [x, y, z] in metres")
            out.update(kind="point", point=tuple(_number(v, "point") for v in point))
        elif where in ("support", "winch_connection"):
            out.update(kind=where, value=_whole(given[where], where.replace("_", " "), 1))
        else:
            out["kind"] = "object"
        if "radial" in given:
            radial = given["radial"]
            squashed = _squash(radial) if isinstance(radial, str) else ""
            if squashed not in RADIAL_POSITIONS:
                raise ValueError(f"radial takes inner, outer or mid, not {radial!r}")
            out["radial"] = squashed
        if "theta" in given:
            out["theta"] = _number(given["theta"], "theta (degrees)")
        if "clearance_line" in given:
            out["clearance_line"] = _text(given["clearance_line"], "clearance_line")
        if "blade" in given:
            out["blade"] = _whole(given["blade"], "blade", 1)
        if "supported_line" in given:
            out["supported_line"] = _text(given["supported_line"], "supported_line")
        if "external_result_text" in given:
            out["external_result_text"] = _text(given["external_result_text"],
                                                "external_result_text")
        return out

    @model_validator(mode="after")
    def _complete(self) -> Position:
        # The explicit form ({kind: node, value: N}, what model_dump gives) skips _parse's
        # checks: the same rules here, so a position never lacks what it needs.
        kind = self.kind
        if kind in ("arc_length", "node", "support", "winch_connection") and self.value is None:
            needs = {"arc_length": "an arc_length position needs its arc length",
                     "node": "a node position needs its node number",
                     "support": "a support position needs its support number",
                     "winch_connection": "a winch_connection position needs its connection "
                                         "number"}[kind]
            raise ValueError(f"{needs} (value)")
        if kind in ("node", "support", "winch_connection"):
            assert self.value is not None
            if not float(self.value).is_integer() or self.value < 1:
                raise ValueError(f"{kind.replace('_', ' ')} takes a whole number >= 1 "
                                 "(OrcaFlex numbers from 1)")
        if kind == "point" and self.point is None:
            raise ValueError("a point position needs its [x, y, z]")
        if kind != "point" and self.point is not None:
            raise ValueError("point is a location of its own: give it without another")
        if kind not in LINE_POINTS:
            used = [k for k in _LINE_QUALIFIERS if getattr(self, k) is not None]
            if used:
                raise ValueError(
                    f"{', '.join(used)}: only a line point takes {'these' if len(used) > 1 else 'it'}: give arc_length, node or end "
                    "with them (e.g. {arc_length: 50, radial: outer, theta: 90})")
        if self.supported_line is not None and kind != "support":
            raise ValueError("supported_line qualifies a support: give {support: N, "
                             "supported_line: NAME}")
        if kind == "object" and self.external_result_text is None:
            raise ValueError(f"an empty position: use {FORMS}")
        if self.theta is not None and self.radial is None:
            raise ValueError("theta is the angle of a pipe-wall point: give radial "
                             "(inner, outer or mid) with it")
        if self.radial is not None and self.theta is None:
            # OrcaFlex's default wall angle: stored explicitly so equal points compare equal.
            object.__setattr__(self, "theta", 0.0)
        return self

    # -- what the rest of orcapost asks -----------------------------------------------------
    def is_line_point(self) -> bool:
        """A point along a line (End A, End B, Touchdown, arc length, node), qualified or not."""
        return self.kind in LINE_POINTS

    def qualifiers(self) -> dict[str, Any]:
        """Everything but the line point, with canonical keys: ``{}`` for a plain line point.

        This is the key of an archive's per-point series (``at``): JSON-ready values.
        """
        out: dict[str, Any] = {}
        if self.kind == "point":
            out["point"] = [float(v) for v in self.point or ()]
        elif self.kind in ("support", "winch_connection"):
            out[self.kind] = int(self.number())
        for key in ("radial", "theta", "clearance_line", "blade", "supported_line",
                    "external_result_text"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def line_point(self) -> Position:
        """The plain line point of a qualified one (the position itself when plain)."""
        if not self.is_line_point():
            raise ValueError(f"{self.describe()} is not a line point")
        return Position(kind=self.kind, value=self.value)

    def number(self) -> float:
        """The arc length (m), node, support or winch connection number of the position."""
        if self.value is None:
            raise ValueError(f"a {self.kind} position has no number")
        return self.value

    def describe(self) -> str:
        parts = []
        if self.kind == "arc_length":
            parts.append(f"arc length {self.value:g}")
        elif self.kind == "node":
            parts.append(f"node {int(self.number())}")
        elif self.kind in ("end_a", "end_b", "touchdown"):
            parts.append({"end_a": "End A", "end_b": "End B", "touchdown": "Touchdown"}
                         [self.kind])
        elif self.kind == "point":
            parts.append("point (" + ", ".join(f"{v:g}" for v in self.point or ()) + ")")
        elif self.kind in ("support", "winch_connection"):
            parts.append(f"{self.kind.replace('_', ' ')} {int(self.number())}")
        parts.extend(describe_qualifiers({k: v for k, v in self.qualifiers().items()
                                          if k not in ("point", "support",
                                                       "winch_connection")}))
        return ", ".join(parts)


#: The ``at`` keys of OrcaFlex's default ObjectExtra: what a line variable's own record (inner
#: wall, theta 0) and a rigid body's or the environment's own record (the origin) are.
DEFAULT_LINE_AT: dict[str, Any] = {"radial": "inner", "theta": 0.0}
DEFAULT_POINT_AT: dict[str, Any] = {"point": [0.0, 0.0, 0.0]}


def is_default_point(at: dict[str, Any], along_line: bool) -> bool:
    """Is ``at`` OrcaFlex's default ObjectExtra for such a variable (its own record)?"""
    return same_point(at, DEFAULT_LINE_AT if along_line else DEFAULT_POINT_AT)


def position_at(at: dict[str, Any], line_point: Position | None = None) -> Position:
    """The position of an ``at`` key (a line point's qualifiers, with the line point)."""
    data: dict[str, Any] = {k: v for k, v in at.items()
                            if k not in ("point", "support", "winch_connection")}
    if "point" in at:
        data.update(kind="point", point=tuple(float(v) for v in at["point"]))
    elif "support" in at or "winch_connection" in at:
        kind = "support" if "support" in at else "winch_connection"
        data.update(kind=kind, value=float(at[kind]))
    elif line_point is not None:
        data.update(kind=line_point.kind, value=line_point.value)
    else:
        data["kind"] = "object"
    return Position.model_validate(data)


def describe_qualifiers(at: dict[str, Any]) -> list[str]:
    """Words for an ``at`` key (what :meth:`Position.qualifiers` gives)."""
    out = []
    for key, value in at.items():
        if key == "theta":
            out.append(f"theta {float(value):g} deg")
        elif key == "point":
            out.append("point (" + ", ".join(f"{float(v):g}" for v in value) + ")")
        elif key == "radial":
            out.append(f"{value} wall")
        else:
            out.append(f"{key.replace('_', ' ')} {value}")
    return out


def same_point(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Are two ``at`` keys the same point (numbers equal to 1e-9)?"""
    if set(a) != set(b):
        return False
    for key, value in a.items():
        other = b[key]
        if key == "point":
            if len(value) != len(other) or any(abs(float(x) - float(y)) > 1e-9
                                               for x, y in zip(value, other, strict=False)):
                return False
        elif key == "theta":
            if abs(float(value) - float(other)) > 1e-9:
                return False
        elif value != other:
            return False
    return True


_LINE_QUALIFIER_SCHEMA = {
    "radial": {"enum": list(RADIAL_POSITIONS)},
    "theta": {"type": "number"},
    "clearance_line": {"type": "string"},
    "blade": {"type": "integer", "minimum": 1},
    "external_result_text": {"type": "string"},
}
POSITION_SCHEMA = {
    "anyOf": [
        {"enum": ["End A", "End B", "Touchdown"]},
        {"type": "object", "properties": {"arc_length": {"type": "number"},
                                          **_LINE_QUALIFIER_SCHEMA},
         "required": ["arc_length"], "additionalProperties": False},
        {"type": "object", "properties": {"node": {"type": "integer", "minimum": 1},
                                          **_LINE_QUALIFIER_SCHEMA},
         "required": ["node"], "additionalProperties": False},
        {"type": "object", "properties": {"end": {"enum": ["A", "B", "Touchdown"]},
                                          **_LINE_QUALIFIER_SCHEMA},
         "required": ["end"], "additionalProperties": False},
        {"type": "object",
         "properties": {"point": {"type": "array", "items": {"type": "number"},
                                  "minItems": 3, "maxItems": 3},
                        "external_result_text": {"type": "string"}},
         "required": ["point"], "additionalProperties": False},
        {"type": "object", "properties": {"support": {"type": "integer", "minimum": 1},
                                          "supported_line": {"type": "string"},
                                          "external_result_text": {"type": "string"}},
         "required": ["support"], "additionalProperties": False},
        {"type": "object", "properties": {"winch_connection": {"type": "integer", "minimum": 1},
                                          "external_result_text": {"type": "string"}},
         "required": ["winch_connection"], "additionalProperties": False},
        {"type": "object", "properties": {"external_result_text": {"type": "string"}},
         "required": ["external_result_text"], "additionalProperties": False},
    ]
}
