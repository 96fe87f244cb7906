"""Gather file results into one table per result group, and a failures table.

A row per file: file name, path, size, status, simulation state, the load-case metadata, then a
column per labelled result, in config order. Sinks share this so every format holds the same
table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
from orcapost.results import FileResult

LEADING_COLUMNS = ("file", "path", "size_bytes", "status", "simulation_state")


class TableBuilder:
    def __init__(self, group_order: list[str] | None = None) -> None:
        self.results: list[FileResult] = []
        self.group_order = list(group_order or [])

    def add(self, result: FileResult) -> None:
        self.results.append(result)

    def groups(self) -> list[str]:
        names = list(self.group_order)
        for result in self.results:
            for name in result.values:
                if name not in names:
                    names.append(name)
        return names

    def _ordered(self) -> list[FileResult]:
        # Completion order differs run to run; tables list files by path.
        return sorted(self.results, key=lambda r: r.path)

    def group_table(self, group: str) -> pa.Table:
        rows = self._ordered()
        load_case_keys: list[str] = []
        value_keys: list[str] = []
        for result in rows:
            for key in result.load_case:
                if key not in load_case_keys:
                    load_case_keys.append(key)
            for key in result.values.get(group, {}):
                if key not in value_keys:
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
        for key in value_keys:
            columns[_unique(key, columns)] = [r.values.get(group, {}).get(key) for r in rows]
        return pa.table({name: _array(values) for name, values in columns.items()})

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
