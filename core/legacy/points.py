"""The legacy column keys that name a point on an object, as a version 2 ``position``.

What the legacy tool's ``orcaflex_objects.OrcaFlexObjects.get_objectExtra`` (and the older
``opp_time_series.OPPTimeSeries.get_time_series_from_orcaflex_run``, which built the same
``oeLine``/``oeEnvironment``) read, key by key (docs/migration.md, "Points"):

- ``Position: [x, y, z]`` -> ``{point: [x, y, z]}`` (``get_objectExtra_vessel``:
  ``oeVessel(x, y, z)``; ``[0, 0, 0]`` is its default and is dropped before this module).
- ``RadialPos: Outer | Inner`` and ``Theta: T`` beside ``ArcLength: [S]`` ->
  ``{arc_length: S, radial: outer | inner, theta: T}`` (``get_objectExtra_rigid_pipe``:
  ``oeLine(ArcLength, RadialPos=1 | 0, Theta)``); beside a line end (``objectExtra: [End A]``)
  -> ``{end: A, radial, theta}``; beside ``NodeNum: N`` -> ``{node: N, radial, theta}``.
- ``Location: [x, y, z]`` without an arc length -> ``{point: [x, y, z]}`` (the same function's
  ``oeEnvironment(x, y, z)``).
- ``SupportIndex: N`` of a variable whose name holds ``Support`` -> ``{support: N}``
  (``oeSupport(SupportIndex=N)``); of any other variable it was never read: dropped.
- ``NodeNum: N`` -> ``{node: N}``: no legacy function reads it (its columns had no line point);
  migrated as OrcFxAPI's ``NodeNum`` means it, and said so.

A Range Graph takes none of them: ``opp_summary.get_RangeGraph`` passes ``arclengthRange``
only, so they were never read there (dropped, said). Problems are (key path, message) pairs.
"""

from __future__ import annotations

from typing import Any

Issues = list[tuple[tuple, str]]

POINT_KEYS = ("Position", "RadialPos", "Theta", "SupportIndex", "Location", "NodeNum")
#: The radial positions the legacy tool knew (get_objectExtra_rigid_pipe: Outer 1, Inner 0).
RADIAL = {"outer": "outer", "inner": "inner"}
#: A legacy line end (columns.position's words) -> the ``end`` of a qualified line point.
ENDS = {"End A": "A", "End B": "B", "Touchdown": "Touchdown"}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _xyz(key: str, value: Any, path: tuple, issues: Issues) -> list[float] | None:
    if isinstance(value, list) and len(value) == 3 and all(_number(v) for v in value):
        return [v for v in value]
    issues.append((path + (key,), f"{key} is a point [x, y, z] in metres, not {value!r}"))
    return None


def take(column: dict) -> tuple[dict, dict]:
    """``column`` without its point keys, and those keys (given, not None)."""
    rest = {k: v for k, v in column.items() if k not in POINT_KEYS}
    found = {k: column[k] for k in POINT_KEYS if k in column and column[k] is not None}
    return rest, found


def position(found: dict, line_point: Any, variable: Any, command: str | None, path: tuple,
             issues: Issues, notes: list[str]) -> tuple[Any, str | None]:
    """The version 2 position of a column's point keys ``found`` (``take``), given the line
    point its ``objectExtra``/``ArcLength`` named (``"End A"``, ``{"arc_length": S}`` or
    None). Returns (position or None when the keys name none, the legacy key it came from)."""
    where = ".".join(map(str, path))
    if not found:
        return line_point, None
    if command == "Range Graph":
        notes.append(f"{where}.{', '.join(found)} dropped: never read for a Range Graph "
                     "(opp_summary.get_RangeGraph passes arclengthRange only)")
        return line_point, None
    if command == "GetData":
        notes.append(f"{where}.{', '.join(found)} dropped: never read for GetData (model "
                     "data has no position)")
        return line_point, None
    found = dict(found)
    support = found.pop("SupportIndex", None)
    if support is not None and not (isinstance(variable, str) and "Support" in variable):
        # get_objectExtra reads SupportIndex only when 'Support' is in the variable's name.
        notes.append(f"{where}.SupportIndex dropped: never read for the variable {variable!r} "
                     "(orcaflex_objects.get_objectExtra reads it for support variables only)")
        support = None
    named: list[tuple[str, Any]] = []  # (legacy key, position) of each location given
    if line_point is not None:
        named.append(("ArcLength" if isinstance(line_point, dict) else "objectExtra",
                      line_point))
    if "NodeNum" in found:
        node = found.pop("NodeNum")
        if not _whole(node) or node < 1:
            issues.append((path + ("NodeNum",), f"NodeNum is a node number (OrcaFlex numbers "
                           f"nodes from 1), not {node!r}"))
            return None, None
        named.append(("NodeNum", {"node": node}))
        notes.append(f"{where}.NodeNum {node}: no legacy function reads NodeNum (the column "
                     "had no line point there); migrated as OrcFxAPI's NodeNum, node "
                     f"{node} counted from End A")
    for key in ("Position", "Location"):
        if key in found:
            point = _xyz(key, found.pop(key), path, issues)
            if point is None:
                return None, None
            named.append((key, {"point": point}))
    if support is not None:
        if not _whole(support) or support < 1:
            issues.append((path + ("SupportIndex",), "SupportIndex is a support number as "
                           f"OrcaFlex numbers supports (from 1), not {support!r}"))
            return None, None
        named.append(("SupportIndex", {"support": support}))
    radial, theta = found.pop("RadialPos", None), found.pop("Theta", None)
    if len(named) > 1:
        keys = " and ".join(k for k, _ in named)
        issues.append((path, f"{keys} name different points of the object: keep one"))
        return None, None
    if radial is None and theta is None:
        return (named[0][1], named[0][0]) if named else (line_point, None)
    return _wall_point(named[0] if named else None, radial, theta, path, issues, notes)


def _wall_point(named: tuple[str, Any] | None, radial: Any, theta: Any, path: tuple,
                issues: Issues, notes: list[str]) -> tuple[Any, str | None]:
    """A pipe-wall point: RadialPos/Theta on the line point ``named``."""
    where = ".".join(map(str, path))
    if radial is None:
        issues.append((path + ("Theta",), "Theta is the angle of a pipe-wall point: give "
                       "RadialPos (Inner or Outer) with it"))
        return None, None
    word = RADIAL.get(radial.strip().lower()) if isinstance(radial, str) else None
    if word is None:
        issues.append((path + ("RadialPos",), f"RadialPos {radial!r}: the legacy tool knew "
                       "Inner and Outer (orcaflex_objects.get_objectExtra_rigid_pipe); the mid "
                       "wall is a version 2 position {arc_length: S, radial: mid}"))
        return None, None
    if theta is not None and not _number(theta):
        issues.append((path + ("Theta",), f"Theta is an angle in degrees, not {theta!r}"))
        return None, None
    if named is None or named[0] in ("Position", "Location", "SupportIndex"):
        issues.append((path + ("RadialPos",), "RadialPos is a point in a line's pipe wall: give "
                       "the line point with it (ArcLength [s], objectExtra [End A] / [End B] "
                       "or NodeNum)"))
        return None, None
    key, base = named
    wall: dict[str, Any]
    if isinstance(base, str):
        wall = {"end": ENDS[base]}
    else:
        wall = dict(base)
    wall["radial"] = word
    if theta is None:
        notes.append(f"{where}: no Theta: theta 0 (OrcaFlex's default; the legacy tool needed "
                     "one)")
        wall["theta"] = 0
    else:
        wall["theta"] = theta
    # get_objectExtra calls get_objectExtra_rigid_pipe only for Variable 'Rigid Pipe' and then
    # replaces its oeLine by the line point alone: the later tool read the default wall point.
    notes.append(f"{where}: RadialPos/Theta read as the wall point they name ({word} wall, "
                 f"theta {wall['theta']}), as the older opp_time_series reader did; the later "
                 "orcaflex_objects.get_objectExtra read them for Variable 'Rigid Pipe' only and "
                 "then replaced the point by the line point alone (the inner wall at theta 0), "
                 "so its tables differ here")
    return wall, "RadialPos" if key == "objectExtra" else key
