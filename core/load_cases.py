"""Load-case tables: ``inputs.load_cases``, a CSV or Excel table of load-case values joined to
every file, whose columns become load-case columns (docs/campaign-tables.md#load-case-tables).

Two join rules:

- **by file name** (no ``keys``): the table's ``file`` column (``file_column``) holds a file name
  or a glob pattern (``LC001_*``) per row; a file takes the one row whose pattern matches its
  name (case ignored, as on Windows; a cell without ``*?[`` must equal the name or its stem).
- **by keys** (``keys: [Hs, heading]``): a file takes the one row whose ``keys`` columns equal its
  own load-case values (from its metadata: numbers compare as numbers, ``2`` is ``2.0``).

A file no row matches, or several rows match, gets a failure row naming the file, the table and
the rows; its load-case values are left as its metadata has them. A table column a file's
metadata already holds with another value is refused the same way, never silently replaced.
This module reads the table once per run (pyarrow for CSV, openpyxl for ``.xlsx``).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orcapost.errors import OrcapostError


@dataclass(frozen=True)
class LoadCaseTable:
    """A load-case table as read: its column names and rows (plain values, None for empty)."""

    path: Path
    columns: list[str]
    rows: list[dict[str, Any]]
    #: Row indices by match token, per join rule (:func:`_candidates`), built on first join.
    _index: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


def read_load_cases(path: Path, sheet: str | None = None,
                    file_column: str | None = None) -> LoadCaseTable:
    """Read a ``.csv`` or ``.xlsx`` load-case table; :class:`OrcapostError` says what is wrong.
    ``file_column`` (the column of file names when joining by file name) is read as text."""
    path = Path(path)
    if not path.is_file():
        raise OrcapostError(f"load-case table {path} does not exist",
                            hint="give inputs.load_cases a CSV or .xlsx file, relative to the "
                            "config file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        columns, rows = _read_csv(path, file_column)
    elif suffix in (".xlsx", ".xlsm"):
        columns, rows = _read_xlsx(path, sheet)
    else:
        raise OrcapostError(f"load-case table {path}: {path.suffix or 'no suffix'} is neither "
                            ".csv nor .xlsx", hint="save the table as CSV or Excel (.xlsx)")
    if not columns:
        raise OrcapostError(f"load-case table {path} has no header row")
    blank = [i + 1 for i, name in enumerate(columns) if not name]
    if blank:
        raise OrcapostError(f"load-case table {path}: column {blank[0]} has no name in the "
                            "header row")
    twice = sorted({name for name in columns if columns.count(name) > 1})
    if twice:
        raise OrcapostError(f"load-case table {path}: column {twice[0]!r} appears twice")
    return LoadCaseTable(path, columns, rows)


def _read_csv(path: Path, file_column: str | None = None
              ) -> tuple[list[str], list[dict[str, Any]]]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(path)
        # Header cells trimmed as the xlsx reader trims them ("file, p" names "p").
        names = [name.strip() for name in table.column_names]
        if file_column is not None and file_column in names:
            raw = table.column_names[names.index(file_column)]
            if not pa.types.is_string(table.schema.field(raw).type):
                # File names are text: inferred as numbers, run 0001 would read as 1.
                table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
                    column_types={raw: pa.string()}))
    except (pa.ArrowInvalid, OSError) as exc:
        raise OrcapostError(f"load-case table {path} is no readable CSV: {exc}") from None
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise OrcapostError(f"load-case table {path}: column {twice[0]!r} appears twice")
    return names, table.rename_columns(names).to_pylist()


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], list[dict[str, Any]]]:
    try:
        import openpyxl
    except ImportError:
        raise OrcapostError(f"load-case table {path} is an Excel file, and openpyxl is not "
                            "installed", hint="pip install 'orcapost[excel]', or save the "
                            "table as CSV") from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is no workbook
        raise OrcapostError(f"load-case table {path} is no readable .xlsx: {exc}") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise OrcapostError(f"load-case table {path} has no sheet {sheet!r} (sheets: "
                                f"{', '.join(book.sheetnames)})")
        cells = list((book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True))
    finally:
        book.close()
    if not cells:
        return [], []
    columns = [str(c).strip() if c is not None else "" for c in cells[0]]
    while columns and columns[-1] == "":  # trailing empty header cells Excel keeps
        columns.pop()
    rows = []
    for values in cells[1:]:
        if all(v is None or v == "" for v in values):
            continue  # blank rows below the table
        rows.append({name: _plain(values[i]) if i < len(values) else None
                     for i, name in enumerate(columns)})
    return columns, rows


def _plain(value: Any) -> Any:
    return None if value == "" else value


def check_join(table: LoadCaseTable, on: list[str] | None, file_column: str) -> None:
    """Refuse a table that cannot be joined as configured (before any file is read)."""
    needed = list(on) if on else [file_column]
    missing = [name for name in needed if name not in table.columns]
    if missing:
        rule = f"keys: {on}" if on else f"its {file_column!r} column of file-name patterns"
        raise OrcapostError(f"load-case table {table.path} has no column {missing[0]!r}, which "
                            f"the join by {rule} needs (columns: {', '.join(table.columns)})",
                            hint="join by keys with load_cases.keys, or name the column of file "
                            "names with load_cases.file_column")
    if not table.rows:
        raise OrcapostError(f"load-case table {table.path} has no rows")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a is not None and b is not None and str(a) == str(b)


def _name_matches(pattern: Any, name: str) -> bool:
    if pattern is None:
        return False
    text = str(pattern).casefold()
    folded = name.casefold()
    if any(c in text for c in _WILDCARDS):
        return fnmatch.fnmatchcase(folded, text)
    return text in (folded, Path(folded).stem)


_WILDCARDS = "*?["


def _tokens(value: Any) -> list[tuple[str, Any]]:
    """Tokens two values share whenever :func:`_same` holds (they may share one when it does
    not: a join checks each candidate with :func:`_same`)."""
    if value is None:
        return []
    out: list[tuple[str, Any]] = [("s", str(value))]
    if isinstance(value, (int, float)) and not (isinstance(value, float) and value != value):
        out.append(("n", float(value)))
    return out


def _key_index(table: LoadCaseTable, key: str) -> dict[tuple[str, Any], list[int]]:
    index = table._index.get(("key", key))
    if index is None:
        index = {}
        for i, row in enumerate(table.rows):
            for token in _tokens(row.get(key)):
                index.setdefault(token, []).append(i)
        table._index[("key", key)] = index
    return index


def _name_index(table: LoadCaseTable, file_column: str
                ) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Rows by their cell (casefolded) for plain names, and by the text before the first
    wildcard for patterns: a pattern can only match a name that starts with that text."""
    found = table._index.get(("name", file_column))
    if found is None:
        plain: dict[str, list[int]] = {}
        patterns: dict[str, list[int]] = {}
        for i, row in enumerate(table.rows):
            cell = row.get(file_column)
            if cell is None:
                continue
            text = str(cell).casefold()
            cut = min((text.index(c) for c in _WILDCARDS if c in text), default=None)
            if cut is None:
                plain.setdefault(text, []).append(i)
            else:
                patterns.setdefault(text[:cut], []).append(i)
        found = table._index[("name", file_column)] = (plain, patterns)
    return found


def _candidates(table: LoadCaseTable, on: list[str] | None, file_column: str,
                file_name: str, load_case: dict[str, Any]) -> list[int]:
    """The rows that may join the file (every row that does, in table order): looked up, so a
    table of thousands of rows joins thousands of files in time linear in both."""
    if on:
        found: set[int] | None = None
        for key in on:
            index = _key_index(table, key)
            rows = {i for token in _tokens(load_case[key]) for i in index.get(token, ())}
            found = rows if found is None else found & rows
        return sorted(found or ())
    plain, patterns = _name_index(table, file_column)
    folded = file_name.casefold()
    rows = set(plain.get(folded, ())) | set(plain.get(Path(folded).stem, ()))
    for cut in range(len(folded) + 1):
        rows.update(patterns.get(folded[:cut], ()))
    return sorted(rows)


def join(table: LoadCaseTable, on: list[str] | None, file_column: str, file_name: str,
         load_case: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A file's load case with the table's row joined, and None; or its load case unchanged
    and the reason no single row joins."""
    if on:
        absent = [key for key in on if key not in load_case]
        if absent:
            return dict(load_case), (
                f"the file has no load-case value {absent[0]!r} to join the load-case table "
                f"{table.path.name} by (its keys: {', '.join(load_case) or 'none'})")
        matches = [i for i in _candidates(table, on, file_column, file_name, load_case)
                   if all(_same(table.rows[i].get(key), load_case[key]) for key in on)]
        rule = "with " + ", ".join(f"{key} = {load_case[key]!r}" for key in on)
    else:
        matches = [i for i in _candidates(table, on, file_column, file_name, load_case)
                   if _name_matches(table.rows[i].get(file_column), file_name)]
        rule = f"whose {file_column!r} matches {file_name!r}"
    if len(matches) != 1:
        what = "no row" if not matches else (
            f"{len(matches)} rows (table rows {', '.join(str(i + 2) for i in matches[:5])}"
            f"{', ...' if len(matches) > 5 else ''})")
        return dict(load_case), (f"load-case table {table.path.name} has {what} {rule}: "
                                 "exactly one row must join each file")
    row = table.rows[matches[0]]
    joined = dict(load_case)
    for name, value in row.items():
        if name == file_column and not on:
            continue
        if name in joined and not _same(joined[name], value) and not (
                joined[name] is None or value is None):
            return dict(load_case), (
                f"load-case table {table.path.name} gives {name} = {value!r} (row "
                f"{matches[0] + 2}), and the file's metadata says {joined[name]!r}: rename the "
                "table's column, or correct it")
        if name not in joined or joined[name] is None:
            joined[name] = value
    return joined, None


def table_of(spec: Any, base: Path | None = None) -> LoadCaseTable:
    """The table an ``inputs.load_cases`` entry names: as read when the config was validated,
    or read now (relative to ``base``)."""
    cached = getattr(spec, "_table", None)
    if cached is not None:
        return cached
    path = Path(spec.path)
    if not path.is_absolute() and base is not None:
        path = base / path
    table = read_load_cases(path, spec.sheet, None if spec.keys else spec.file_column)
    check_join(table, spec.keys, spec.file_column)
    return table
