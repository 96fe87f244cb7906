"""Gather file results into one table per result group, extra tables, and a failures table.

A row per file: file name, path, size, status, simulation state, the load-case metadata, then a
column per labelled result, in config order. Sinks share this so every format holds the same
table.

Besides cells, an extractor may return *extra tables* (a range graph's per-node envelope, a time
history): plain-data values made by :func:`extra_table`. They never become cells; each is
written as its own table beside the group's, named ``<group>_<name>`` (``layout: long``, all
files stacked with a leading ``file`` column) or ``<group>_<name>_<file stem>`` (``layout:
per_file``). After all files, the campaign tables of the config's ``campaign`` section
(:mod:`orcapost.campaign`) are added, named by their ``name``, and, when a column has an
acceptance criterion, the ``verdict`` table of every breach (:mod:`orcapost.criteria`). Each
file's load case is its metadata joined with ``inputs.load_cases`` (:mod:`orcapost.load_cases`)
when the tables are built, so a changed load-case table applies on ``--resume`` too.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from orcapost.names import FAILURES_TABLE, VERDICT_TABLE
from orcapost.results import FileResult
from orcapost.units import BYTES, with_field_units

if TYPE_CHECKING:
    import pyarrow as pa

LEADING_COLUMNS = ("file", "path", "size_bytes", "status", "simulation_state")
#: Units of the leading columns that have one.
LEADING_UNITS = {"size_bytes": BYTES}
#: The key that marks a result value as an extra table (plain data: it is journaled as JSON).
TABLE_MARKER = "__orcapost_table__"
TABLE_LAYOUTS = ("long", "per_file")

def extra_table(name: str, columns: Mapping[str, Any], layout: str = "long",
                units: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """An extra table an extractor returns as one of its values.

    ``columns`` maps column names to equal-length sequences (numpy arrays become lists, so the
    value stays plain, picklable, JSON-serialisable data). ``units``: column name -> unit of
    the columns that have one (written as the column's ``unit`` field metadata).
    """
    if layout not in TABLE_LAYOUTS:
        raise ValueError(f"layout must be one of {TABLE_LAYOUTS}, got {layout!r}")
    # An array's tolist() (numpy, without importing numpy here: extractors import this module
    # on the path of `orcapost --help`).
    plain = {key: (values.tolist() if hasattr(values, "tolist")
                   else list(values)) for key, values in columns.items()}
    lengths = {len(values) for values in plain.values()}
    if len(lengths) > 1:
        raise ValueError(f"extra table {name!r} has columns of different lengths {lengths}")
    table: dict[str, Any] = {TABLE_MARKER: name, "layout": layout, "columns": plain}
    known = {key: str(unit) for key, unit in (units or {}).items() if unit and key in plain}
    if known:
        table["units"] = known
    return table


def is_extra_table(value: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict) and TABLE_MARKER in value


def safe_name(text: str) -> str:
    """A file-name-safe form of a label (Windows forbids <>:"/\\|?* and trailing dots)."""
    return re.sub(r"[^0-9A-Za-z._+-]+", "_", text).strip("._") or "table"


def extra_table_name(group: str, title: str) -> str:
    """The table name of the extra table ``title`` of ``group`` (``<group>_<title>``; a
    ``per_file`` table adds ``_<file stem>``): what validate checks and what is written."""
    return f"{group}_{safe_name(title)}"


class RunTables:
    """The tables of one run, each built once: a table per result group, the extra tables, the
    campaign tables and the failures table, and each layout's version of them.

    Results are added as files finish; tables are built on first request after the last one
    (adding a result afterwards starts again). :attr:`builds` counts every build by table name,
    so a test (or the run report) can see that no table is built twice.
    """

    def __init__(self, group_order: list[str] | None = None, campaign: list | None = None,
                 config: Any = None) -> None:
        self.results: list[FileResult] = []
        self.group_order = list(group_order or [])
        self.campaign = list(campaign or [])
        #: The run's validated config (layouts read their groups' columns from it).
        self.config = config
        #: How many times each table was built (name -> count).
        self.builds: Counter[str] = Counter()
        self._reset()

    def _reset(self) -> None:
        self._sorted: list[FileResult] | None = None
        self._group_names: list[str] | None = None
        self._extras: dict[str, tuple[str, Any, FileResult | None]] | None = None
        self._campaign_tables: dict[str, pa.Table] | None = None
        self._groups: dict[str, tuple[pa.Table, dict[str, str]]] = {}
        self._tables: dict[str, pa.Table] = {}
        self._failures: tuple[pa.Table | None] | None = None
        self._laid_out: dict[tuple[str, str], pa.Table] = {}
        self._load_cases: dict[str, tuple[dict[str, Any], str | None]] | None = None
        self._verdict: Any = None
        #: (result's index in :meth:`_ordered`, group) -> keys of its extra tables.
        self._table_keys: dict[tuple[int, str], list[str]] = {}

    @classmethod
    def for_run(cls, context) -> RunTables:
        """The tables of a run: its groups in config order and its campaign tables."""
        config = context.config
        return cls(list(config.results), getattr(config, "campaign", None), config)

    def add(self, result: FileResult) -> None:
        self.results.append(result)
        self._reset()

    def _result_groups(self) -> list[str]:
        """The result groups: the config's, then any other a result holds; worked out once
        (every caller reads it, none may change it)."""
        if self._group_names is None:
            names = list(self.group_order)
            for result in self.results:
                for name in result.values:
                    if name not in names:
                        names.append(name)
            self._group_names = names
        return self._group_names

    def groups(self, campaign: bool = True) -> list[str]:
        """Every table name: result groups, then extra tables, then (unless ``campaign`` is
        false, when they are not computed either) campaign tables."""
        names = list(self._result_groups())
        names.extend(name for name in self._extra_tables() if name not in names)
        if campaign:
            names.extend(name for name in self.campaign_tables() if name not in names)
        if self.has_verdict() and VERDICT_TABLE not in names:
            names.append(VERDICT_TABLE)
        return names

    # -- acceptance criteria --------------------------------------------------------------
    def has_verdict(self) -> bool:
        """Whether the run writes a verdict table: some column has a criterion."""
        from orcapost.criteria import configured

        return self.config is not None and configured(self.config)

    def verdict(self):
        """The run's verdict (:class:`orcapost.criteria.Verdict`), worked out once."""
        if self._verdict is None:
            from orcapost.criteria import verdict

            self._verdict = verdict(self.config, [r for r in self._ordered()
                                                  if r.status != "failed"], self.load_case)
        return self._verdict

    def check_names(self) -> None:
        """Refuse two tables of one name (an extra table named like a result group or another
        extra table, a campaign table named like either, the failures table's name): raises
        :class:`~orcapost.errors.OrcapostError` naming both, before any table is written."""
        from orcapost.errors import OrcapostError

        owners: dict[str, tuple[str, Any]] = {FAILURES_TABLE: ("the failures table", None)}

        def claim(name: str, what: str, key: Any = None) -> None:
            if name in owners and (key is None or owners[name][1] != key):
                raise OrcapostError(
                    f"two tables are named {name!r}: {owners[name][0]} and {what}; no table "
                    "was written", hint="rename one of them (a column label, a campaign "
                    "table's name) and run again with --resume")
            owners.setdefault(name, (what, key))

        groups = self._result_groups()
        for group in groups:
            claim(group, f"result group {group!r}")
        for index, result in enumerate(self._ordered()):
            for group in groups:
                for key in self._tables_of(index, group):
                    value = result.values[group][key]
                    if value["layout"] != "per_file":
                        claim(extra_table_name(group, value[TABLE_MARKER]),
                              f"the extra table {key!r} of group {group!r}", (group, key))
        for name, (group, key, owner) in self._extra_tables().items():
            if owner is not None:
                claim(name, f"the extra table {key!r} of group {group!r} for {owner.name}",
                      (group, key, owner.path))
        for table in self.campaign:
            claim(table.name, f"campaign table {table.name!r}")
        if self.has_verdict():
            claim(VERDICT_TABLE, "the verdict table")

    def _tables_of(self, index: int, group: str) -> list[str]:
        """The keys of the extra tables among the values of group ``group`` of the
        ``index``-th result of :meth:`_ordered`, found once: a file's values are looked at
        one by one only when some value is a dict at all (a test of the values' types, made
        in C), so that a table of thousands of columns is not scanned value by value by every
        caller."""
        key = (index, group)
        if key not in self._table_keys:
            values = self._ordered()[index].values.get(group, {})
            types = set(map(type, values.values()))
            self._table_keys[key] = (
                [k for k, v in values.items() if is_extra_table(v)]
                if any(issubclass(kind, dict) for kind in types) else [])
        return self._table_keys[key]

    def is_result_group(self, name: str) -> bool:
        """Whether ``name`` is a result group's table (not an extra or campaign table)."""
        return (name in self._result_groups() and name not in self.campaign_tables()
                and name not in self._extra_tables())

    def table(self, name: str) -> pa.Table:
        """Any table :meth:`groups` names, built once."""
        if name in self.campaign_tables():
            return self.campaign_tables()[name]
        if name == VERDICT_TABLE and self.has_verdict():
            if name not in self._tables:
                from orcapost.criteria import verdict_table

                self.builds[name] += 1
                self._tables[name] = verdict_table(self.verdict())
            return self._tables[name]
        if name not in self._tables:
            extras = self._extra_tables()
            if name in extras:
                self.builds[name] += 1
                self._tables[name] = self._extra_table(*extras[name])
            else:
                self._tables[name] = self.group_columns(name)[0]
        return self._tables[name]

    def laid_out(self, name: str, layout) -> pa.Table:
        """Table ``name`` as ``layout`` (a :class:`~orcapost.components.TableLayout`) writes
        it: laid out once per run for each layout key."""
        key = (layout.key(), name)
        if key not in self._laid_out:
            table = self.table(name)
            self._laid_out[key] = layout.lay_out(name, table, self)
        return self._laid_out[key]

    # -- extra tables ---------------------------------------------------------------------
    def _extra_tables(self) -> dict[str, tuple[str, Any, FileResult | None]]:
        """Output name -> (group, value key, the file's result or None for stacked tables)."""
        if self._extras is None:
            self._extras = self._find_extras(self._result_groups())
        return self._extras

    def _find_extras(self, groups: list[str]) -> dict[str, tuple[str, Any, FileResult | None]]:
        """Output name -> (group, value key, the file's result or None for stacked tables).

        Per-file tables of one file that several columns of a group name alike (a time history
        column's ``table``) are one table: the value key is then a tuple of their keys."""
        found: dict[str, tuple[str, Any, FileResult | None]] = {}
        for index, result in enumerate(self._ordered()):
            for group in groups:
                shared: dict[str, str] = {}  # this file's per-file tables by their base name
                for key in self._tables_of(index, group):
                    value = result.values[group][key]
                    base = extra_table_name(group, value[TABLE_MARKER])
                    if value["layout"] == "per_file":
                        if base in shared:
                            name = shared[base]
                            keys = found[name][1]
                            found[name] = (group, (*keys, key) if isinstance(keys, tuple)
                                           else (keys, key), result)
                            continue
                        name, n = f"{base}_{safe_name(Path(result.path).stem)}", 2
                        while name in found:  # same file name in two folders: keep both
                            name, n = f"{base}_{safe_name(Path(result.path).stem)}_{n}", n + 1
                        found[name] = (group, key, result)
                        shared[base] = name
                    else:
                        found.setdefault(base, (group, key, None))
        return found

    def _extra_table(self, group: str, key: Any, result: FileResult | None) -> pa.Table:
        """An extra table with the load case of its file(s) beside its own columns: a
        ``per_file`` table has its file's load-case columns first, a stacked (``long``) one
        ``file`` and the load-case columns of every file in it, so no join on ``file`` is
        needed. A table column named like a load-case key is renamed as in group tables.
        Per-file tables of one file that several columns name alike (``key`` a tuple) are
        merged into one (:func:`_merged_columns`)."""
        rows = [result] if result is not None else [
            r for r in self._ordered() if is_extra_table(r.values.get(group, {}).get(key))]
        stacked: dict[str, list[Any]] = {} if result is not None else {"file": []}
        cases = [self.load_case(r) for r in rows]
        load_case = {_unique(name, stacked): name for name in _load_case_keys(cases)}
        stacked.update({column: [] for column in load_case})
        names: dict[str, str] = {}  # the table's own column -> its name here
        units: dict[str, str] = {}
        disagree: set[str] = set()  # columns whose files give two units: they claim none
        filled = 0
        for row, case in zip(rows, cases, strict=True):
            keys = key if isinstance(key, tuple) else (key,)
            parts = [row.values[group][k] for k in keys]
            columns = (_merged_columns([part["columns"] for part in parts]) if len(parts) > 1
                       else parts[0]["columns"])
            table_units: dict[str, str] = {}
            for part in parts:
                for name, unit in part.get("units", {}).items():
                    table_units.setdefault(name, unit)
            length = len(next(iter(columns.values()), []))
            if result is None:
                stacked["file"].extend([row.name] * length)
            for column, name in load_case.items():
                stacked[column].extend([case.get(name)] * length)
            for name, cells in columns.items():
                if name not in names:
                    names[name] = _unique(name, stacked)
                    stacked[names[name]] = [None] * filled
                stacked[names[name]].extend(cells)
                unit = table_units.get(name)
                if unit and units.setdefault(names[name], unit) != unit:
                    disagree.add(names[name])
            filled += length
            for column_cells in stacked.values():  # a column a file did not have stays empty
                column_cells.extend([None] * (filled - len(column_cells)))
        return with_field_units(pa_table(stacked), {name: unit for name, unit in units.items()
                                                    if name not in disagree})

    # -- campaign tables ------------------------------------------------------------------
    def campaign_tables(self) -> dict[str, pa.Table]:
        """The campaign tables, computed once after every file has been added."""
        if self._campaign_tables is None:
            self._campaign_tables = {}
            if self.campaign:  # imported only for a run that has some
                from orcapost.campaign import campaign_tables

                self._campaign_tables = campaign_tables(self.campaign, self.group_columns)
            self.builds.update(self._campaign_tables.keys())
        return self._campaign_tables

    # -- load-case table ------------------------------------------------------------------
    def load_case(self, result: FileResult) -> dict[str, Any]:
        """A file's load case: its metadata, joined with ``inputs.load_cases`` when given."""
        return self._joined().get(result.path, (result.load_case, None))[0]

    def load_case_problems(self) -> dict[str, str]:
        """Files (by path) that no single row of the load-case table joins, and why."""
        return {path: why for path, (_, why) in self._joined().items() if why is not None}

    def _joined(self) -> dict[str, tuple[dict[str, Any], str | None]]:
        if self._load_cases is None:
            spec = getattr(getattr(self.config, "inputs", None), "load_cases", None)
            self._load_cases = {}
            if spec is not None:
                from orcapost.load_cases import join, table_of

                table = table_of(spec)
                for result in self._ordered():
                    if result.status == "failed":
                        continue  # a file that failed has no load case to join
                    self._load_cases[result.path] = join(
                        table, spec.keys, spec.file_column, result.name, result.load_case)
        return self._load_cases

    def _ordered(self) -> list[FileResult]:
        # Completion order differs run to run; tables list files by path.
        if self._sorted is None:
            self._sorted = sorted(self.results, key=lambda r: r.path)
        return self._sorted

    def group_table(self, group: str) -> pa.Table:
        """The table of a result group, or of any other name :meth:`groups` lists."""
        return self.table(group)

    def group_columns(self, group: str) -> tuple[pa.Table, dict[str, str]]:
        """A group's table, and its value columns: name in the table -> the value's own key
        (they differ when a key clashes with a load-case or leading column and is renamed).
        Built once."""
        if group not in self._groups:
            self.builds[group] += 1
            self._groups[group] = self._build_group(group)
        return self._groups[group]

    def _build_group(self, group: str) -> tuple[pa.Table, dict[str, str]]:
        rows = self._ordered()
        load_cases = [self.load_case(r) for r in rows]
        load_case_keys = _load_case_keys(load_cases)
        problems = self.load_case_problems()
        cells = [r.values.get(group, {}) for r in rows]  # each file's values, looked up once
        # Each value's unit: the one its files give; files that disagree (a model in kN,
        # another in kips) leave the column without one: it never claims a unit some of its
        # values do not have. A file whose units are those of the file before it (the usual
        # case) adds nothing: it is compared whole, not unit by unit.
        first_unit: dict[str, str] = {}
        disagree: set[str] = set()
        previous: dict[str, str] | None = None
        for r in rows:
            file_units = r.units.get(group) or {}
            if file_units == previous:
                continue
            previous = file_units
            for key, unit in file_units.items():
                if unit and first_unit.setdefault(key, unit) != unit:
                    disagree.add(key)
        # The value columns in the order they first appear, extra tables left out: a dict, so
        # that a table of thousands of columns is built in time linear in its cells.
        seen: dict[str, None] = {}
        merged: list[str] | None = None  # the keys of the last file merged into `seen`
        for index, values in enumerate(cells):
            tables = self._tables_of(index, group)
            if not tables:
                keys = list(values)
                if keys != merged:  # a file with the keys of the one before adds none
                    seen.update(dict.fromkeys(keys))
                    merged = keys
                continue
            skip = set(tables)
            for key in values:
                if key not in seen and key not in skip:
                    seen[key] = None
        value_keys = list(seen)
        columns: dict[str, list[Any]] = {
            "file": [r.name for r in rows],
            "path": [r.path for r in rows],
            "size_bytes": [r.size for r in rows],
            # A file the load-case table does not join is partial: a failure row says why.
            "status": ["partial" if r.path in problems and r.status == "ok" else r.status
                       for r in rows],
            "simulation_state": [r.simulation_state for r in rows],
        }
        for key in load_case_keys:
            columns[_unique(key, columns)] = [lc.get(key) for lc in load_cases]
        value_columns: dict[str, str] = {}
        units: dict[str, str] = dict(LEADING_UNITS)
        names = []
        for key in value_keys:
            name = _unique(key, columns)
            columns[name] = []  # taken: a later key that clashes is renamed
            names.append(name)
            value_columns[name] = key
            if key in first_unit and key not in disagree:
                units[name] = first_unit[key]
        leading = pa_table({name: columns[name] for name in columns if name not in value_columns})
        value_arrays = _value_arrays(cells, value_keys)
        table = leading
        if value_keys:
            import pyarrow as pa

            table = pa.Table.from_arrays([*leading.columns, *value_arrays],
                                         names=[*leading.column_names, *names])
        return with_field_units(table, units), value_columns

    def failures_table(self) -> pa.Table | None:
        """One row per failure (file, stage, group, column, reason), or None when none; built
        once."""
        if self._failures is None:
            self._failures = (self._build_failures(),)
        return self._failures[0]

    def _build_failures(self) -> pa.Table | None:
        import pyarrow as pa

        failures = [f for r in self._ordered() for f in r.failures]
        failures.extend(self.load_case_failures())
        if not failures:
            return None
        self.builds[FAILURES_TABLE] += 1
        return pa.table({
            "file": [Path(f.file).name for f in failures],
            "path": [f.file for f in failures],
            "stage": [f.stage for f in failures],
            "group": [f.group for f in failures],
            "column": [f.column for f in failures],
            "reason": [f.reason for f in failures],
        })


    def load_case_failures(self) -> list:
        """A failure (stage ``load_cases``) per file no single load-case table row joins."""
        from orcapost.results import Failure

        return [Failure(file=path, stage="load_cases", reason=why)
                for path, why in self.load_case_problems().items()]


#: The earlier name of :class:`RunTables`.
TableBuilder = RunTables


def _merged_columns(tables: list[dict[str, list]]) -> dict[str, list]:
    """Several per-file tables of one file as one: the first table's columns, then each other
    table's, its first column (its time) left out when it is the same as the first table's and
    kept as ``<column> <first>`` otherwise; shorter columns are padded with empty cells."""
    merged: dict[str, list] = dict(tables[0])
    first_name, first = next(iter(tables[0].items()), ("", []))
    for table in tables[1:]:
        for index, (name, values) in enumerate(table.items()):
            if index == 0 and name == first_name and values == first:
                continue
            if index == 0 and name == first_name:
                name = f"{next(iter(list(table)[1:]), 'series')} {first_name}"
            merged[_unique(name, merged)] = values
    length = max((len(v) for v in merged.values()), default=0)
    return {name: list(values) + [None] * (length - len(values))
            for name, values in merged.items()}


def _load_case_keys(cases: list[dict[str, Any]]) -> list[str]:
    """The load-case keys of ``cases`` (each file's load case), in the order they first appear."""
    return list(dict.fromkeys(key for case in cases for key in case))


def pa_table(columns: dict[str, list[Any]]) -> pa.Table:
    """An Arrow table of plain columns (:func:`column_array` each)."""
    import pyarrow as pa

    return pa.table({name: column_array(values) for name, values in columns.items()})


def _unique(name: str, existing: dict) -> str:
    # A load-case key or label that clashes with a leading column keeps both.
    out, n = name, 2
    while out in existing:
        out, n = f"{name}_{n}", n + 1
    return out


def _value_arrays(cells: list[dict[str, Any]], keys: list[str]) -> list[pa.Array]:
    """The value columns ``keys`` of a group table, an Arrow array each, from each file's
    values (:func:`column_array` of the column's cells, a missing value an empty cell).

    Built column-wise: each file's values are taken in one step when the file has exactly
    the table's keys in its order (the usual case), the rows are transposed in C, and a
    column of floats only (the usual column) becomes Arrow through numpy, not value by
    value; any other column is made as :func:`column_array` makes it."""
    import numpy as np
    import pyarrow as pa

    # The Python types of a column built straight from a numpy float64 array: Arrow's array
    # of them is the array of the same numbers as a list (double, NaN a value, no null).
    floats = {float, np.float64}
    if not cells or not keys:
        return [column_array([None] * len(cells)) for _ in keys]
    rows = [list(values.values()) if len(values) == len(keys) and list(values) == keys
            else [values.get(key) for key in keys] for values in cells]
    kinds = set(map(type, itertools.chain.from_iterable(rows)))
    if kinds <= floats:
        matrix = np.array(rows, dtype=np.float64).T.copy()  # a column per row
        return [pa.array(column) for column in matrix]
    arrays = []
    for column in zip(*rows, strict=True):
        if set(map(type, column)) <= floats:
            arrays.append(pa.array(np.array(column, dtype=np.float64)))
        else:
            arrays.append(column_array(list(column)))
    return arrays


def column_array(values: list[Any]) -> pa.Array:
    """An Arrow array of plain values; a column of mixed types becomes text."""
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())
