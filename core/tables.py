"""Gather file results into one table per result group, extra tables, and a failures table.

A row per file: file name, path, size, status, simulation state, the load-case metadata, then a
column per labelled result, in config order. Sinks share this so every format holds the same
table.

Besides cells, an extractor may return *extra tables* (a range graph's per-node envelope, a time
history): plain-data values made by :func:`extra_table`. They never become cells; each is
written as its own table beside the group's, named ``<group>_<name>`` (``layout: long``, all
files stacked with a leading ``file`` column) or ``<group>_<name>_<file stem>`` (``layout:
per_file``). After all files, the campaign tables of the config's ``campaign`` section
(:mod:`orcapost.campaign`) are added, named by their ``name``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from orcapost.results import FileResult

LEADING_COLUMNS = ("file", "path", "size_bytes", "status", "simulation_state")
#: The key that marks a result value as an extra table (plain data: it is journaled as JSON).
TABLE_MARKER = "__orcapost_table__"
TABLE_LAYOUTS = ("long", "per_file")


def extra_table(name: str, columns: Mapping[str, Any], layout: str = "long") -> dict[str, Any]:
    """An extra table an extractor returns as one of its values.

    ``columns`` maps column names to equal-length sequences (numpy arrays become lists, so the
    value stays plain, picklable, JSON-serialisable data).
    """
    if layout not in TABLE_LAYOUTS:
        raise ValueError(f"layout must be one of {TABLE_LAYOUTS}, got {layout!r}")
    plain = {key: (np.asarray(values).tolist() if isinstance(values, np.ndarray)
                   else list(values)) for key, values in columns.items()}
    lengths = {len(values) for values in plain.values()}
    if len(lengths) > 1:
        raise ValueError(f"extra table {name!r} has columns of different lengths {lengths}")
    return {TABLE_MARKER: name, "layout": layout, "columns": plain}


def is_extra_table(value: Any) -> bool:
    return isinstance(value, dict) and TABLE_MARKER in value


def safe_name(text: str) -> str:
    """A file-name-safe form of a label (Windows forbids <>:"/\\|?* and trailing dots)."""
    return re.sub(r"[^0-9A-Za-z._+-]+", "_", text).strip("._") or "table"


class TableBuilder:
    def __init__(self, group_order: list[str] | None = None, campaign: list | None = None) -> None:
        self.results: list[FileResult] = []
        self.group_order = list(group_order or [])
        self.campaign = list(campaign or [])
        # Worked out once from the results (and again only if a result is added after).
        self._sorted: list[FileResult] | None = None
        self._extras: dict[str, tuple[str, str, FileResult | None]] | None = None
        self._campaign_tables: dict[str, pa.Table] | None = None

    @classmethod
    def for_run(cls, context) -> TableBuilder:
        """The builder for a run: its groups in config order and its campaign tables."""
        config = context.config
        return cls(list(config.results), getattr(config, "campaign", None))

    def add(self, result: FileResult) -> None:
        self.results.append(result)
        self._sorted = self._extras = self._campaign_tables = None

    def _result_groups(self) -> list[str]:
        names = list(self.group_order)
        for result in self.results:
            for name in result.values:
                if name not in names:
                    names.append(name)
        return names

    def groups(self) -> list[str]:
        """Every table name: result groups, then extra tables, then campaign tables."""
        names = self._result_groups()
        names.extend(name for name in self._extra_tables() if name not in names)
        names.extend(name for name in self.campaign_tables() if name not in names)
        return names

    def table(self, name: str) -> pa.Table:
        """Any table :meth:`groups` names."""
        if name in self.campaign_tables():
            return self.campaign_tables()[name]
        extras = self._extra_tables()
        if name in extras:
            return self._extra_table(*extras[name])
        return self._group_table(name)

    # -- extra tables ---------------------------------------------------------------------
    def _extra_tables(self) -> dict[str, tuple[str, str, FileResult | None]]:
        """Output name -> (group, value key, the file's result or None for stacked tables)."""
        if self._extras is None:
            self._extras = self._find_extras(self._result_groups())
        return self._extras

    def _find_extras(self, groups: list[str]) -> dict[str, tuple[str, str, FileResult | None]]:
        found: dict[str, tuple[str, str, FileResult | None]] = {}
        for result in self._ordered():
            for group in groups:
                for key, value in result.values.get(group, {}).items():
                    if not is_extra_table(value):
                        continue
                    base = f"{group}_{safe_name(value[TABLE_MARKER])}"
                    if value["layout"] == "per_file":
                        name, n = f"{base}_{safe_name(Path(result.path).stem)}", 2
                        while name in found:  # same file name in two folders: keep both
                            name, n = f"{base}_{safe_name(Path(result.path).stem)}_{n}", n + 1
                        found[name] = (group, key, result)
                    else:
                        found.setdefault(base, (group, key, None))
        return found

    def _extra_table(self, group: str, key: str, result: FileResult | None) -> pa.Table:
        if result is not None:
            columns = result.values[group][key]["columns"]
            return pa.table({name: _array(values) for name, values in columns.items()})
        stacked: dict[str, list[Any]] = {"file": []}
        for result in self._ordered():
            value = result.values.get(group, {}).get(key)
            if not is_extra_table(value):
                continue
            columns = value["columns"]
            length = len(next(iter(columns.values()), []))
            filled = len(stacked["file"])
            stacked["file"].extend([result.name] * length)
            for name, values in columns.items():
                column = stacked.setdefault(_unique(name, {"file": 0}), [None] * filled)
                column.extend(values)
            for column in stacked.values():  # a column a file did not have stays empty
                column.extend([None] * (filled + length - len(column)))
        return pa.table({name: _array(values) for name, values in stacked.items()})

    # -- campaign tables ------------------------------------------------------------------
    def campaign_tables(self) -> dict[str, pa.Table]:
        """The campaign tables, computed once after every file has been added."""
        if self._campaign_tables is None:
            from orcapost.campaign import campaign_tables

            self._campaign_tables = (campaign_tables(self.campaign, self._group_columns)
                                     if self.campaign else {})
        return self._campaign_tables

    def _ordered(self) -> list[FileResult]:
        # Completion order differs run to run; tables list files by path.
        if self._sorted is None:
            self._sorted = sorted(self.results, key=lambda r: r.path)
        return self._sorted

    def group_table(self, group: str) -> pa.Table:
        """The table of a result group, or of any other name :meth:`groups` lists."""
        return self.table(group)

    def _group_table(self, group: str) -> pa.Table:
        return self._group_columns(group)[0]

    def _group_columns(self, group: str) -> tuple[pa.Table, dict[str, str]]:
        """A group's table, and its value columns: name in the table -> the value's own key
        (they differ when a key clashes with a load-case or leading column and is renamed)."""
        rows = self._ordered()
        load_case_keys: list[str] = []
        value_keys: list[str] = []
        for result in rows:
            for key in result.load_case:
                if key not in load_case_keys:
                    load_case_keys.append(key)
            for key, value in result.values.get(group, {}).items():
                if key not in value_keys and not is_extra_table(value):
                    value_keys.append(key)
        columns: dict[str, list[Any]] = {
            "file": [r.name for r in rows],
            "path": [r.path for r in rows],
            "size_bytes": [r.size for r in rows],
            "status": [r.status for r in rows],
            "simulation_state": [r.simulation_state for r in rows],
        }
        for key in load_case_keys:
            columns[_unique(key, columns)] = [r.load_case.get(key) for r in rows]
        value_columns: dict[str, str] = {}
        for key in value_keys:
            name = _unique(key, columns)
            columns[name] = [r.values.get(group, {}).get(key) for r in rows]
            value_columns[name] = key
        return pa.table({name: _array(values) for name, values in columns.items()}), value_columns

    def failures_table(self) -> pa.Table | None:
        failures = [f for r in self._ordered() for f in r.failures]
        if not failures:
            return None
        return pa.table({
            "file": [Path(f.file).name for f in failures],
            "path": [f.file for f in failures],
            "stage": [f.stage for f in failures],
            "group": [f.group for f in failures],
            "column": [f.column for f in failures],
            "reason": [f.reason for f in failures],
        })


def _unique(name: str, existing: dict) -> str:
    # A load-case key or label that clashes with a leading column keeps both.
    out, n = name, 2
    while out in existing:
        out, n = f"{name}_{n}", n + 1
    return out


def _array(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())
