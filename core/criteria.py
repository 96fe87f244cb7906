"""Acceptance criteria: a column's ``allowable`` or ``limits``, its values checked against them.

A column with a criterion has each number it writes (those ``check`` selects; never its
``... arc length`` or ``... omitted samples`` companions) compared with the bound:

- ``allowable: A`` bounds the magnitude: the value passes when ``|v| <= A``; its utilisation
  is ``|v| / A``.
- ``limits: {max: M, min: m}`` bound the value itself: it passes when ``m <= v <= M``. The
  utilisation of the max side is ``v / M`` (for ``M > 0``), of the min side ``m / v`` (for
  ``m > 0`` and ``v > 0``: a minimum tension or clearance); the governing side is the one of
  the larger utilisation (or, where a side has none, the one breached).

``criteria_outputs: [utilisation, pass]`` add ``"<value> utilisation"`` and ``"<value> pass"``
cells beside each checked value; every breach of the run is a row of the ``verdict`` table
(:data:`orcapost.names.VERDICT_TABLE`) and the ``criteria`` section of the run report
(docs/config.md#acceptance-criteria). For a value with an ``"<value> arc length"`` companion
(a range graph's or an arc-length range's governing node: ``with_arc_length``), the verdict
names that arc length.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: Names a checked value's companions end with: where it is, how many samples were left out.
COMPANIONS = (" arc length", " omitted samples")
#: The cells ``criteria_outputs`` can add, by their suffix.
OUTPUTS = ("utilisation", "pass")


@dataclass(frozen=True)
class Check:
    """One value checked against its column's criterion."""

    name: str
    value: float
    #: "abs" (an allowable on the magnitude), "max" or "min" (a limit): the governing side.
    side: str
    #: The allowable or limit of the governing side.
    bound: float
    #: The utilisation of the governing side, None where it is not defined.
    utilisation: float | None
    passed: bool
    arc_length: float | None = None


def has_criterion(column: Any) -> bool:
    return getattr(column, "allowable", None) is not None or \
        getattr(column, "limits", None) is not None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


def _checked_names(column: Any, values: Mapping[str, Any]) -> Iterator[str]:
    patterns = list(getattr(column, "check", None) or ["*"])
    derived = {f"{name} {suffix}" for name in values for suffix in OUTPUTS}
    for name, value in values.items():
        if name in derived or name.endswith(COMPANIONS) or not _number(value):
            continue
        if any(name == p or fnmatch.fnmatchcase(name, p) for p in patterns):
            yield name


def unjudged(column: Any, values: Mapping[str, Any]) -> list[str]:
    """The values the criterion selects that are no number to judge: empty (None), NaN or
    infinite. They are neither passed nor breached, so the file and column count as not
    checked (the verdict is then ``incomplete``, never ``pass``)."""
    patterns = list(getattr(column, "check", None) or ["*"])
    derived = {f"{name} {suffix}" for name in values for suffix in OUTPUTS}
    return [name for name, value in values.items()
            if name not in derived and not name.endswith(COMPANIONS)
            and (value is None or (isinstance(value, float) and not math.isfinite(value)))
            and any(name == p or fnmatch.fnmatchcase(name, p) for p in patterns)]


def check_value(column: Any, value: float) -> tuple[str, float, float | None, bool]:
    """(side, bound, utilisation, passed) of one value against the column's criterion."""
    if column.allowable is not None:
        allowable = float(column.allowable)
        return "abs", allowable, abs(value) / allowable, abs(value) <= allowable
    limits = column.limits
    sides: list[tuple[str, float, float | None, bool]] = []
    if limits.max is not None:
        top = float(limits.max)
        sides.append(("max", top, value / top if top > 0 else None, value <= top))
    if limits.min is not None:
        bottom = float(limits.min)
        ratio = bottom / value if bottom > 0 and value > 0 else None
        sides.append(("min", bottom, ratio, value >= bottom))
    passed = all(side[3] for side in sides)
    breached = [side for side in sides if not side[3]]
    # The breached side governs (only one side can be breached); else the larger utilisation.
    governing = breached[0] if breached else max(
        sides, key=lambda s: -math.inf if s[2] is None else s[2])
    return governing[0], governing[1], governing[2], passed


def checks(column: Any, values: Mapping[str, Any]) -> list[Check]:
    """Every value of ``values`` (one column's outputs for one file) the criterion checks."""
    if not has_criterion(column):
        return []
    out = []
    for name in _checked_names(column, values):
        value = float(values[name])
        side, bound, utilisation, passed = check_value(column, value)
        arc: Any = values.get(f"{name} arc length")
        out.append(Check(name, value, side, bound, utilisation, passed,
                         float(arc) if _number(arc) else None))
    return out


def criteria_cells(column: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """The ``utilisation``/``pass`` cells ``criteria_outputs`` asks for, by name; an envelope
    table among ``values`` (an extra table with an ``arc_length`` column) is returned with a
    ``"<statistic> utilisation"``/``"<statistic> pass"`` column per checked envelope, node by
    node."""
    wanted = list(getattr(column, "criteria_outputs", None) or [])
    cells: dict[str, Any] = {}
    if not wanted:
        return cells
    found = checks(column, values)
    for check in found:
        if "utilisation" in wanted:
            cells[f"{check.name} utilisation"] = check.utilisation
        if "pass" in wanted:
            cells[f"{check.name} pass"] = check.passed
    if found:
        cells.update(_envelopes(column, values, [c.name for c in found], wanted))
    return cells


#: The envelope columns of a range graph's table, by statistic.
ENVELOPES = ("max", "min", "mean", "std")


def _envelopes(column: Any, values: Mapping[str, Any], checked: list[str],
               wanted: list[str]) -> dict[str, Any]:
    from orcapost.tables import TABLE_MARKER, is_extra_table

    out: dict[str, Any] = {}
    for name, value in values.items():
        if not is_extra_table(value) or "arc_length" not in value["columns"]:
            continue
        columns = value["columns"]
        present = [stat for stat in ENVELOPES if stat in columns]
        # An envelope is checked when its summary value is (one envelope: whichever is).
        stats = present if len(present) == 1 else [
            stat for stat in present if any(n.endswith(f" {stat}") for n in checked)]
        added = dict(columns)
        for stat in stats:
            utilisation, passed = check_array(column, columns[stat])
            if "utilisation" in wanted:
                added[f"{stat} utilisation"] = [None if math.isnan(u) else u
                                                for u in utilisation.tolist()]
            if "pass" in wanted:
                added[f"{stat} pass"] = [None if v is None else bool(p)
                                         for v, p in zip(columns[stat], passed.tolist(),
                                                         strict=True)]
        if stats:
            out[name] = {**value, TABLE_MARKER: value[TABLE_MARKER], "columns": added}
    return out


def check_array(column: Any, cells: list) -> tuple[Any, Any]:
    """Utilisation (NaN where undefined or empty) and pass of every cell, as
    :func:`check_value` gives them one by one."""
    import numpy as np

    v = np.array([np.nan if c is None else float(c) for c in cells], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if column.allowable is not None:
            return np.abs(v) / column.allowable, np.abs(v) <= column.allowable
        limits = column.limits
        ucs, passes, breached = [], [], []
        if limits.max is not None:
            ucs.append(v / limits.max if limits.max > 0 else np.full_like(v, np.nan))
            passes.append(v <= limits.max)
            breached.append(v > limits.max)
        if limits.min is not None:
            ratio = np.where(v > 0, limits.min / v, np.nan) if limits.min > 0 \
                else np.full_like(v, np.nan)
            ucs.append(ratio)
            passes.append(v >= limits.min)
            breached.append(v < limits.min)
        passed = np.logical_and.reduce(passes)
        # The breached side's utilisation, else the larger one (fmax ignores an undefined side).
        utilisation = ucs[0] if len(ucs) == 1 else np.where(
            breached[0], ucs[0], np.where(breached[1], ucs[1], np.fmax(ucs[0], ucs[1])))
        return utilisation, passed


def criteria_names(column: Any, names: list[str]) -> list[str]:
    """The cells ``criteria_outputs`` adds to ``names`` (value names known before a file is
    read), so ``validate`` can refuse a column whose name another column's cell would take."""
    wanted = [o for o in OUTPUTS if o in (getattr(column, "criteria_outputs", None) or [])]
    if not wanted or not has_criterion(column):
        return []
    patterns = list(getattr(column, "check", None) or ["*"])
    return [f"{name} {suffix}" for name in names if not name.endswith(COMPANIONS)
            and any(name == p or fnmatch.fnmatchcase(name, p) for p in patterns)
            for suffix in wanted]


def configured(config: Any) -> bool:
    """Whether any column of the config has a criterion (then the run writes a verdict)."""
    results = getattr(config, "results", None) or {}
    return any(has_criterion(c) for group in results.values() for c in group.columns)


@dataclass
class Verdict:
    """The run's verdict: every breach, and what was (not) checked."""

    rows: list[dict[str, Any]]
    load_case_keys: list[str]
    checked: int = 0
    #: (file, group, column) with a criterion whose values the file does not have (a failed
    #: column or file: its failure row says why).
    unchecked: int = 0
    governing: dict[str, Any] | None = None

    def report(self, limit: int = 1000) -> dict[str, Any]:
        """The run report's ``criteria`` section (breach rows named as the verdict table's)."""
        names = load_case_names(self.load_case_keys)
        return {"verdict": "fail" if self.rows else ("pass" if not self.unchecked
                                                     else "incomplete"),
                "checked": self.checked, "breaches": len(self.rows),
                "unchecked": self.unchecked, "governing": self.governing,
                "breach_rows": [_public(row, names) for row in self.rows[:limit]],
                "breach_rows_truncated": max(0, len(self.rows) - limit)}


def verdict(config: Any, results: list, load_case_of) -> Verdict:
    """Every breach in ``results`` (file results in table order); ``load_case_of(result)`` is
    the file's load case (metadata joined with the load-case table)."""
    rows: list[dict[str, Any]] = []
    keys: list[str] = []
    checked = unchecked = 0
    governing: tuple[tuple[bool, float], dict[str, Any]] | None = None
    for result in results:
        load_case = load_case_of(result)
        for group, spec in config.results.items():
            names = result.outputs.get(group, [])
            values = result.values.get(group, {})
            for index, column in enumerate(spec.columns):
                if not has_criterion(column):
                    continue
                written = names[index] if index < len(names) else None
                cells = {n: values.get(n) for n in written or ()}
                found = checks(column, cells)
                if not found or unjudged(column, cells):
                    # No value, or one that is no number (NaN, empty): not checked, so the
                    # verdict cannot be pass.
                    unchecked += 1
                if not found:
                    continue
                for check in found:
                    checked += 1
                    row = {"file": result.name, **{f"lc:{k}": v for k, v in load_case.items()},
                           "group": group, "column": column.label, "output": check.name,
                           "arc_length": check.arc_length, "value": check.value,
                           "side": check.side, "allowable": check.bound,
                           "utilisation": check.utilisation, "pass": check.passed}
                    # A breach governs over any pass; among breaches, one whose utilisation
                    # is not defined (a value at or below 0 against a positive minimum: a
                    # riser in compression) is the worst; else the largest utilisation.
                    rank = (not check.passed, math.inf if check.utilisation is None
                            else check.utilisation)
                    if (check.utilisation is not None or not check.passed) and (
                            governing is None or rank > governing[0]):
                        governing = (rank, row)
                    if not check.passed:
                        for key in load_case:
                            if key not in keys:
                                keys.append(key)
                        rows.append(row)
    top = None
    if governing is not None:
        top = _public(governing[1], load_case_names(
            [k[3:] for k in governing[1] if k.startswith("lc:")]))
    return Verdict(rows, keys, checked, unchecked, top)


#: The verdict table's columns, around the load-case keys (after ``file``).
VERDICT_COLUMNS = ("group", "column", "output", "arc_length", "value", "side", "allowable",
                   "utilisation")
#: The names a load-case key cannot have in a verdict row (it is renamed ``<key>_2``).
_RESERVED = ("file", *VERDICT_COLUMNS, "pass")


def load_case_names(keys: list[str]) -> dict[str, str]:
    """Each load-case key's name in verdict rows: itself, or ``<key>_2`` (``_3``, ...) for a
    key named like a verdict column (a load-case ``side`` or ``file``), as group tables rename
    a clashing column: both are kept."""
    taken = {*_RESERVED, *keys}
    names: dict[str, str] = {}
    for key in keys:
        name, n = key, 2
        if key in _RESERVED:
            while (name := f"{key}_{n}") in taken:
                n += 1
        taken.add(name)
        names[key] = name
    return names


def _public(row: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A verdict row as the run report shows it: load-case keys by their verdict names."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key.startswith("lc:"):
            out[names.get(key[3:], key[3:])] = value
        else:
            out[key] = value
    return out


def verdict_table(found: Verdict):
    """The ``verdict`` table: one row per breach (none: a table of no rows, its columns kept)."""
    import pyarrow as pa
    from orcapost.tables import column_array

    columns: dict[str, pa.Array] = {
        "file": pa.array([r["file"] for r in found.rows], type=pa.string())}
    for key, name in load_case_names(found.load_case_keys).items():
        columns[name] = column_array([r.get(f"lc:{key}") for r in found.rows])
    types = {"group": pa.string(), "column": pa.string(), "output": pa.string(),
             "arc_length": pa.float64(), "value": pa.float64(), "side": pa.string(),
             "allowable": pa.float64(), "utilisation": pa.float64()}
    for name in VERDICT_COLUMNS:
        columns[name] = pa.array([r[name] for r in found.rows], type=types[name])
    return pa.table(columns)
