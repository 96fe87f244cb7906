"""One legacy column (``Command``, ``ObjectName``, ``Variable``, ...) -> one v2 result column.

Command mapping (docs/migration.md):

- ``Range Graph`` -> ``range_graph`` (``ArcLength`` [] -> whole line, [s] -> s, [s0, s1]).
- ``TimeHistory`` -> ``statistics`` (``objectExtra`` -> position, ``Statistic_Type`` ->
  statistic); at ``SimulationPeriod: StaticState`` -> ``static`` (a static state has one value).
- ``StaticResult`` -> ``static``.   ``GetData`` -> ``metadata`` with ``data: [{object, name, index}]``.
- ``Position``, ``RadialPos``/``Theta``, ``Location``, ``SupportIndex``, ``NodeNum`` -> the
  column's ``position`` (:mod:`orcapost.legacy.points`).

Problems are collected as (key path, message) pairs so every one is reported at once.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

from orcapost.legacy import points

Issues = list[tuple[tuple, str]]

#: Commands by their squashed spelling.
COMMANDS = {
    "rangegraph": "Range Graph",
    "timehistory": "TimeHistory",
    "staticresult": "StaticResult",
    "getdata": "GetData",
}
COMMAND_NAMES = ("Range Graph", "TimeHistory", "StaticResult", "GetData")
COLUMN_KEYS = ("Command", "ObjectName", "Variable", "Statistic_Type", "SimulationPeriod",
               "ArcLength", "objectExtra", "Label")
#: Legacy column keys that change values and that orcapost has no equivalent for (yet).
UNSUPPORTED_KEYS = {
    "transform": "a transform (scale/offset) of the value; apply it to the output table instead",
}
#: Column keys of the legacy dialect that the legacy code never read: dropped, with the reason.
NEVER_READ_KEYS = {
    "ObjectType": "never read: orcaflex_objects.get_OrcFXAPIObject finds the object by "
                  "ObjectName alone",
}
#: OrcFxAPI.SpecifiedPeriod(t0, t1) written as text, as version-0 files did.
SPECIFIED_PERIOD = re.compile(r"^\s*(?:OrcFxAPI\.)?SpecifiedPeriod\s*\(\s*([^,()]*?)\s*"
                              r"(?:,\s*([^,()]*?)\s*)?\)\s*$", re.IGNORECASE)
STATISTICS = {"max": "max", "min": "min", "mean": "mean"}
POSITIONS = {"enda": "End A", "endb": "End B", "touchdown": "Touchdown"}
PERIODS = {"staticstate": "static state", "wholesimulation": "whole simulation",
           "latestwave": "latest wave"}
#: The legacy tool reported the square root of these range-graph variables (a utilisation).
SQUARE_ROOTED = ("API STD 2RD Method 1",)


def squash(text: str) -> str:
    return "".join(text.split()).replace("_", "").lower()


def _suggest(value: str, names: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _name(column: dict, key: str, path: tuple, issues: Issues, what: str) -> str | None:
    value = column.get(key)
    if value is None:
        issues.append((path, f"missing required key {key!r} ({what})"))
        return None
    if isinstance(value, str) and value.strip():
        return value
    if _number(value) and key == "Label":
        return str(value)
    kind = "a list" if isinstance(value, list) else type(value).__name__
    issues.append((path + (key,), f"{key} must be {what}, not {kind} {value!r}"))
    return None


def statistic(column: dict, path: tuple, issues: Issues, required: bool = True) -> str | None:
    value = column.get("Statistic_Type")
    if value is None:
        if required:
            issues.append((path, "missing required key 'Statistic_Type' (Max, Min or Mean)"))
        return None
    if isinstance(value, str) and squash(value) in STATISTICS:
        return STATISTICS[squash(value)]
    shown = value if isinstance(value, str) else repr(value)
    issues.append((path + ("Statistic_Type",), f"unknown Statistic_Type {shown!r}: use Max, "
                   f"Min or Mean{_suggest(str(value), ['Max', 'Min', 'Mean'])}"))
    return None


def period(value: Any, path: tuple, issues: Issues) -> Any:
    """A legacy SimulationPeriod as a v2 period (None: the default, whole simulation)."""
    if value is None:
        return None
    if isinstance(value, str) and SPECIFIED_PERIOD.match(value):
        return period(_specified_period(value, path, issues), path, issues)
    if isinstance(value, str):
        found = PERIODS.get(squash(value))
        if found is None:
            issues.append((path, f"unknown SimulationPeriod {value!r}: use StaticState, "
                           "WholeSimulation, LatestWave, [t0, t1] or [t]"
                           + _suggest(value, ["StaticState", "WholeSimulation", "LatestWave"])))
        return found
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return {"stage": value}
    if isinstance(value, list) and 1 <= len(value) <= 2 and all(
        v is None or _number(v) for v in value
    ):
        # OrcaFlex's SpecifiedPeriod: a missing start is the simulation's start, a missing end
        # the time reached. Infinite bounds are clipped to what was simulated.
        start = value[0] if value[0] is not None else -math.inf
        end = (value[1] if len(value) == 2 else None)
        end = end if end is not None else math.inf
        if end < start:
            issues.append((path, f"SimulationPeriod {value} ends before it starts"))
            return None
        return [start, end]
    issues.append((path, f"SimulationPeriod must be StaticState, WholeSimulation, LatestWave, "
                   f"[t0, t1] or [t], not {value!r}"))
    return None


def _specified_period(text: str, path: tuple, issues: Issues) -> Any:
    """``SpecifiedPeriod(t0, t1)`` text as the list ``[t0, t1]`` (``[t0]`` with one bound).

    The text is never evaluated: each bound must be a number or None/NULL."""
    found = SPECIFIED_PERIOD.match(text)
    assert found is not None
    bounds: list[float | None] = []
    for bound in (b for b in found.groups() if b is not None):
        if bound.lower() in ("none", "null", "~", ""):
            bounds.append(None)
            continue
        try:
            bounds.append(float(bound))
        except ValueError:
            issues.append((path, f"SimulationPeriod {text!r}: {bound!r} is not a number of "
                           "seconds; write SpecifiedPeriod(t0, t1) with numbers, or [t0, t1]"))
            return None
    return bounds


def normalise(column: Any, path: tuple, issues: Issues, notes: list[str]) -> tuple[Any, dict]:
    """A column with the version-0 forms and keys the legacy code never read resolved.

    - ``AdditionalData: [Max]`` (version 0's name of ``Statistic_Type``) -> ``Statistic_Type``.
    - ``ArcLength: End A`` / ``End B`` / ``Touchdown`` text (orcaflex_objects.
      get_ArcLengthObject reads the text as a line end) -> ``objectExtra: [End A]``.
    - ``Position: [0, 0, 0]``, the vessel origin the legacy tool used when Position was
      absent (orcaflex_objects.get_objectExtra_vessel) -> dropped; other points stay, for
      :mod:`orcapost.legacy.points`.
    - ``ObjectType`` (never read) -> dropped.

    Returns the new column and, for each key it now has, the original key it came from.
    """
    if not isinstance(column, dict):
        return column, {}
    out = dict(column)
    renamed: dict[str, str] = {}
    where = ".".join(map(str, path))
    if "AdditionalData" in out:
        extra = out.pop("AdditionalData")
        first = extra[0] if isinstance(extra, list) and len(extra) == 1 else extra
        if first is not None and extra != []:
            if "Statistic_Type" in out and out["Statistic_Type"] != first:
                issues.append((path + ("AdditionalData",), "AdditionalData (the older name of "
                               f"Statistic_Type) says {first!r} and Statistic_Type "
                               f"{out['Statistic_Type']!r}: keep one"))
            elif not isinstance(first, str):
                issues.append((path + ("AdditionalData",), "AdditionalData (the older name of "
                               f"Statistic_Type) must be [Max], [Min] or [Mean], not {extra!r}"))
            else:
                out["Statistic_Type"] = first
                renamed["Statistic_Type"] = "AdditionalData"
    arcs = out.get("ArcLength")
    if isinstance(arcs, str):
        end = POSITIONS.get(squash(arcs))
        if end is None:
            issues.append((path + ("ArcLength",), f"ArcLength {arcs!r}: as text it names a line "
                           "end (End A, End B or Touchdown); give arc lengths as [s] or [s0, s1]"))
            out.pop("ArcLength")  # said once
        elif out.get("objectExtra") not in (None, []) and position(out, path, []) != end:
            issues.append((path + ("ArcLength",), f"ArcLength {arcs!r} and objectExtra "
                           f"{out['objectExtra']!r} name different points: keep one"))
        else:
            out.pop("ArcLength")
            out["objectExtra"] = [end]
            renamed["objectExtra"] = "ArcLength"
    if "Position" in out:
        point = out["Position"]
        if isinstance(point, list) and len(point) == 3 and all(
            _number(v) and v == 0 for v in point
        ):
            out.pop("Position")
            notes.append(f"{where}.Position [0, 0, 0] dropped: the vessel origin, where "
                         "orcapost reads vessel results (and the legacy default)")
    for key, reason in NEVER_READ_KEYS.items():
        if key in out:
            out.pop(key)
            notes.append(f"{where}.{key} dropped: {reason}")
    return out, renamed


def position(column: dict, path: tuple, issues: Issues) -> Any:
    """objectExtra ([End A], [End B], [Touchdown], NULL) as a v2 position."""
    value = column.get("objectExtra")
    if value is None or value == []:
        return None
    first = value[0] if isinstance(value, list) else value
    if isinstance(first, str) and squash(first) in POSITIONS:
        return POSITIONS[squash(first)]
    issues.append((path + ("objectExtra",), f"objectExtra {value!r} has no equivalent: use "
                   "[End A], [End B], [Touchdown] or NULL (an arc length goes in ArcLength)"))
    return None


def arc_length(column: dict, path: tuple, issues: Issues) -> tuple[bool, Any]:
    """ArcLength as (given, value): [] -> (False, None), [s] -> s, [s0, s1] -> [s0, s1]."""
    value = column.get("ArcLength")
    if value is None or value == []:
        return False, None
    if isinstance(value, list) and len(value) in (1, 2) and all(_number(v) for v in value):
        return True, value[0] if len(value) == 1 else list(value)
    issues.append((path + ("ArcLength",), f"ArcLength must be [], [s] or [s0, s1] in metres, "
                   f"not {value!r}"))
    return False, None


def command(column: dict, path: tuple, issues: Issues, default: str | None = None) -> str | None:
    value = column.get("Command", default)
    if value is None:
        issues.append((path, "missing required key 'Command' (Range Graph, TimeHistory, "
                       "StaticResult or GetData)"))
        return None
    if isinstance(value, str) and squash(value) in COMMANDS:
        return COMMANDS[squash(value)]
    issues.append((path + ("Command",), f"unknown Command {value!r}: use Range Graph, "
                   f"TimeHistory, StaticResult or GetData{_suggest(str(value), COMMAND_NAMES)}"))
    return None


def check_keys(column: dict, path: tuple, issues: Issues, allowed: tuple[str, ...]) -> None:
    for key in column:
        if key in allowed:
            continue
        if key in UNSUPPORTED_KEYS:
            issues.append((path + (key,), f"{key} has no orcapost equivalent "
                           f"({UNSUPPORTED_KEYS[key]}); remove it"))
            continue
        issues.append((path + (key,), f"unknown key {key!r}{_suggest(str(key), allowed)}; "
                       f"valid keys here: {', '.join(allowed)}"))


def translate(column: Any, path: tuple, issues: Issues, notes: list[str],
              default_command: str | None = None) -> tuple[dict | None, dict[str, str]]:
    """The v2 column for a legacy summary column, and each v2 key's legacy key.

    Returns (None, {}) when the column has problems (they are added to ``issues``).
    """
    if not isinstance(column, dict):
        issues.append((path, "a column is a mapping (Command, ObjectName, Variable, Label, ...), "
                       f"not {type(column).__name__}"))
        return None, {}
    before = len(issues)
    column, renamed = normalise(column, path, issues, notes)
    column, point_keys = points.take(column)
    check_keys(column, path, issues, COLUMN_KEYS)
    point_origin: str | None = None
    name = command(column, path, issues, default_command)
    label = _name(column, "Label", path, issues, "the output column's name")
    obj = _name(column, "ObjectName", path, issues, "one object name")
    out: dict[str, Any] = {"label": label}
    keys = {"label": "Label", "object": "ObjectName", "variable": "Variable",
            "position": "objectExtra", "period": "SimulationPeriod", "arc_length": "ArcLength",
            "statistics": "Statistic_Type", "data": "Variable", "kind": "Command"}
    if name == "GetData":
        # The label names the data item, so the output column is exactly the legacy Label.
        item = _get_data(column, obj, path, issues)
        out = {"kind": "metadata", "data": [dict(item, label=label)]}
        points.position(point_keys, None, None, "GetData", path, issues, notes)
        for key in ("Statistic_Type", "SimulationPeriod", "ArcLength", "objectExtra"):
            if column.get(key) not in (None, []):
                # opp_summary.get_input_data reads the object and the data name only.
                notes.append(f"{'.'.join(map(str, path))}.{key} dropped: never read for "
                             "GetData (model data has no period or position)")
    elif name is not None:
        variable = _variable(column, path, issues)
        when = period(column.get("SimulationPeriod"), path + ("SimulationPeriod",), issues)
        where = position(column, path, issues)
        given, arcs = arc_length(column, path, issues)
        if name == "Range Graph":
            points.position(point_keys, None, variable, name, path, issues, notes)
        if name == "Range Graph" and where is not None:
            # A range graph "at End A" (objectExtra, or version-0 ArcLength text): the legacy
            # tool passed the end as the arc-length range, one point of the line. Its extreme
            # over the period is the extreme of that point's time history.
            if given:
                issues.append((path + ("ArcLength",), "a Range Graph at a line end "
                               f"({where}) takes no ArcLength as well: keep one"))
            stat = statistic(column, path, issues)
            out.update(kind="statistics", object=obj, variable=variable, position=where)
            if when is not None:
                out["period"] = when
            out["statistics"] = [stat]
            notes.append(f"{'.'.join(map(str, path))} ({label}): a Range Graph at {where} became "
                         f"the {stat} of the time history at {where} (the same point)")
        elif name == "Range Graph":
            stat = statistic(column, path, issues)
            if stat == "mean":
                # opp_summary.get_additional_data: RangeDF[Variable].mean(), the average over
                # the nodes of the mean envelope; orcapost's range_graph mean is the largest.
                issues.append((path + ("Statistic_Type",), "a Range Graph Mean: the legacy tool "
                               "reported the average along the line of the mean envelope, "
                               "which orcapost has no column for (its range_graph mean is the "
                               "largest mean along the line); use Max or Min, or a TimeHistory "
                               "Mean at one point"))
            out.update(kind="range_graph", object=obj, variable=variable)
            if when is not None:
                out["period"] = when
            if given:
                out["arc_length"] = arcs
            out["statistics"] = [stat]
            if variable in SQUARE_ROOTED:
                notes.append(f"{'.'.join(map(str, path))} ({label}): the legacy tool reported the "
                             f"square root of {variable!r} range graphs; orcapost reports the "
                             "variable as OrcaFlex gives it")
        else:
            if given and isinstance(arcs, list):
                issues.append((path + ("ArcLength",), f"a {name} is taken at one point: give "
                               "ArcLength as [s]"))
            if where is None and given and not isinstance(arcs, list):
                where = {"arc_length": arcs}
            where, point_origin = points.position(point_keys, where, variable, name, path,
                                                  issues, notes)
            static = name == "StaticResult" or when == "static state"
            if static:
                out.update(kind="static", object=obj, variable=variable)
                if where is not None:
                    out["position"] = where
            else:
                stat = statistic(column, path, issues)
                out.update(kind="statistics", object=obj, variable=variable)
                if where is not None:
                    out["position"] = where
                if when is not None:
                    out["period"] = when
                out["statistics"] = [stat]
    if len(issues) > before:
        return None, {}
    if "position" in out and column.get("objectExtra") in (None, []):
        keys["position"] = "ArcLength"  # the point came from ArcLength [s]
    origin = {key: renamed.get(keys[key], keys[key]) for key in out
              if key in keys and keys[key] in column}
    if point_origin is not None and "position" in out:
        origin["position"] = point_origin
    return out, origin


def _variable(column: dict, path: tuple, issues: Issues) -> str | None:
    value = column.get("Variable")
    if isinstance(value, str) and value.strip():
        return value
    if value is None:
        issues.append((path, "missing required key 'Variable' (one variable name)"))
    elif isinstance(value, list):
        issues.append((path + ("Variable",), f"Variable must be one variable name, not a list "
                       f"{value!r} (a list [name, index] is only for GetData)"))
    else:
        issues.append((path + ("Variable",), f"Variable must be one variable name, not "
                       f"{type(value).__name__} {value!r}"))
    return None


def _get_data(column: dict, obj: str | None, path: tuple, issues: Issues) -> dict:
    value = column.get("Variable")
    if isinstance(value, str):
        value = [value]
    if (not isinstance(value, list) or not 1 <= len(value) <= 2
            or not isinstance(value[0], str)
            or (len(value) == 2 and (isinstance(value[1], bool) or not isinstance(value[1], int)))):
        issues.append((path + ("Variable",), "GetData's Variable is [data name, index] (index "
                       f"a whole number, -1 for none), not {value!r}"))
        return {}
    entry: dict[str, Any] = {"object": obj, "name": value[0]}
    # OrcaFlex's GetData index -1 means "not indexed".
    if len(value) == 2 and value[1] != -1:
        entry["index"] = value[1]
    return entry
