"""The rules every output name follows, checked before anything runs (docs/outputs.md#names).

Two kinds of name reach the disk or a table:

- *value names*: the names an extractor gives the values it writes into its group's row (a
  column's label, expanded). Two columns of a group may never write the same name: a value would
  silently replace another. :func:`config_name_issues` rejects the names that can collide as far
  as they are known before any file is read (each column says which through
  :meth:`~orcapost.schemas.config.ColumnOptions.output_names`); a name that only collides once
  ``{object}``/``{variable}`` expand fails that column at run time (:mod:`orcapost.task`).
- *file names*: result groups, campaign tables and extra tables become files in
  ``outputs.directory``, through every sink's naming. Each must be a plain file name (no folder,
  no ``..``, nothing Windows refuses: :func:`file_name_problem`), none may be a file orcapost
  keeps for itself (:data:`RESERVED_FILES`), and no two tables may write the same file.

This module only reads a validated config; it imports nothing heavy.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Iterable, Iterator, Sequence
from itertools import product
from types import SimpleNamespace
from typing import Any

# The names orcapost itself writes into ``outputs.directory``, defined here once: the modules
# that write them import them from here, so the reserved list cannot drift from what is written.
#: The failures table's name: no group or table may take it.
FAILURES_TABLE = "failures"
#: The verdict table's name (every breach of an acceptance criterion: orcapost.criteria),
#: written by every sink when a column has a criterion: no group or table may take it.
VERDICT_TABLE = "verdict"
#: The run report (``orcapost.run_report``).
RUN_REPORT_NAME = "orcapost-run.json"
#: The journal ``--resume`` reads (``orcapost.journal``).
JOURNAL_NAME = "orcapost-journal.jsonl"
#: The lock that keeps two runs apart (``orcapost.lock``).
LOCK_NAME = "orcapost-run.lock"
#: What a shard's run (``--shard I/N``) records for ``orcapost merge`` (``orcapost.shards``).
SHARD_RECORD_NAME = "orcapost-shard.json"
#: Files orcapost writes into ``outputs.directory`` besides the tables.
RESERVED_FILES = (RUN_REPORT_NAME, JOURNAL_NAME, LOCK_NAME, SHARD_RECORD_NAME)
_RESERVED_FOLDED = frozenset(name.casefold() for name in RESERVED_FILES)
#: The staging folder of the table writer (``orcapost.outputs``).
STAGING_PREFIX = ".orcapost-staging-"
#: The folder inside ``outputs.directory`` where a run that did not finish writes its tables
#: and run report, leaving the last complete set beside it untouched (``orcapost.outputs``).
PARTIAL_FOLDER = "partial"
#: Device names Windows reserves in every folder, with any suffix (``NUL.csv`` is ``NUL``).
WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in [*"0123456789", "\u00b9", "\u00b2", "\u00b3"]]
)
#: Characters Windows forbids in a file name (``/`` and ``\\`` are folder separators, ``:`` a
#: drive letter or a data stream).
FORBIDDEN_CHARACTERS = frozenset('<>:"/\\|?*')
MAX_FILE_NAME = 255


def file_name_problem(name: str) -> str | None:
    """What makes ``name`` no plain file name on POSIX and Windows, or None when it is one."""
    if not isinstance(name, str) or name == "":
        return "is empty: a file needs a name"
    if name in (".", ".."):
        return f"is {name!r}, a folder, not a file name"
    if "/" in name or "\\" in name:
        return "holds a folder separator ('/' or '\\'): it must be a plain file name"
    if ":" in name:
        return "holds ':' (a drive letter like C: or a Windows data stream)"
    bad = sorted({c for c in name if c in FORBIDDEN_CHARACTERS or ord(c) < 32})
    if bad:
        return f"holds {', '.join(repr(c) for c in bad)}, which Windows forbids in file names"
    if name[-1] in ". ":
        return "ends with a dot or a space, which Windows drops from file names"
    if name.split(".")[0].rstrip(" ").upper() in WINDOWS_DEVICES:
        return f"is the reserved Windows device name {name.split('.')[0].rstrip(' ')!r}"
    if len(name) > MAX_FILE_NAME:
        return f"is {len(name)} characters long; file names hold at most {MAX_FILE_NAME}"
    return None


def reserved_problem(file_name: str) -> str | None:
    """Why the file ``file_name`` (with its suffix) is orcapost's own, or None. Case is
    ignored, as Windows and macOS file systems ignore it."""
    folded = _case_folded(file_name)
    if folded in _RESERVED_FOLDED:
        return "is a file orcapost writes itself (the run report, journal or lock)"
    if folded.startswith(_case_folded(STAGING_PREFIX)):
        return f"starts with {STAGING_PREFIX!r}, the prefix of orcapost's staging folders"
    return None


def is_failures_stem(stem: str) -> bool:
    """Whether a file stem is the failures table's, where case is ignored (``Failures.csv`` is
    ``failures.csv`` on Windows): the table writer refuses it then (:mod:`orcapost.outputs`)."""
    return _case_folded(stem) == FAILURES_TABLE


def table_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a result group or campaign table, or None."""
    problem = file_name_problem(name)
    if problem is not None:
        return problem
    if is_failures_stem(name):
        return "is the failures table's name"
    if _case_folded(name) == VERDICT_TABLE:
        return "is the verdict table's name (the breaches of acceptance criteria)"
    return reserved_problem(name)


# -- value names known before any file is read ------------------------------------------------


_PATTERN_CHARACTERS = frozenset("*?[")


def is_pattern(text: str) -> bool:
    """Whether an ``object``/``variable`` is a glob pattern (what it matches is the file's)."""
    return not _PATTERN_CHARACTERS.isdisjoint(text)


@functools.lru_cache(maxsize=4096)
def placeholders(template: str) -> frozenset[str]:
    """The ``{field}`` names of a label (none for a label that is no valid template: formatting
    it then fails with the reason). Cached: a label is parsed for every file of a campaign."""
    try:
        return frozenset(f for _, f, _, _ in string.Formatter().parse(template) if f)
    except ValueError:
        return frozenset()


def series_names(column: Any, parts: dict[str, Sequence[str]] | None = None,
                 suffixes: Sequence[str] = ("",)) -> list[str]:
    """The value names of a column over ``object``/``variable`` patterns, as far as they are
    known before a file is read, following :func:`orcapost.extraction.namer_for`.

    ``parts``: the column's other varying parts and their values (``{"statistic": [max,
    min]}``, in the order the extractor passes them); ``suffixes`` are appended to each name
    (``" arc length"``). A pattern whose placeholder the label has names what the file holds:
    those names are not known, and none is returned. A pattern the label has no placeholder for
    gives the bare label when it matches one object -- the name that can collide.
    """
    label = column.label
    present = placeholders(label)
    known: dict[str, str] = {}
    for key in ("object", "variable"):
        value = getattr(column, key, None)
        if value is None:
            continue
        if key in present and is_pattern(value):
            return []
        known[key] = value
    # What orcapost.extraction.Namer(label, varying)(**known, **combination) gives, written
    # out: this runs for every column of a config (247 002 of them in a 50 MB one), where
    # building a Namer and formatting through keyword arguments was most of validate's
    # name check.
    parts = parts or {}
    keys = list(parts)
    append = [key for key, values in parts.items() if len(values) > 1 and key not in present]
    fill = _Unfilled(known)  # every combination sets every key of parts: reused
    bases: list[str] = []
    if len(keys) == 1:  # the usual case (statistics): no product, no zip
        key = keys[0]
        for value in dict.fromkeys(parts[key]):
            if present:
                fill[key] = value
                base = label.format_map(fill)
            else:
                base = label
            bases.append(f"{base} {value}" if append else base)
    else:
        for combination in product(*(list(dict.fromkeys(parts[key])) for key in keys)):
            if present:
                fill.update(zip(keys, combination, strict=True))
                base = label.format_map(fill)
            else:
                base = label
            if append:
                chosen = dict(zip(keys, combination, strict=True))
                base += "".join(f" {chosen[key]}" for key in append)
            bases.append(base)
    if len(suffixes) == 1 and suffixes[0] == "":
        return bases
    return [base + suffix for base in bases for suffix in suffixes]


class _Unfilled(dict):
    """A placeholder without a value stays as written (as in :class:`orcapost.extraction.Namer`)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def table_title(column: Any, what: str) -> str:
    """An extra table's title (and the value name it is written under): the label with the
    column's patterns, then ``what`` (``envelope``), as :func:`orcapost.extraction.table_name`."""
    from orcapost.extraction import table_name

    return f"{table_name(column.label, column)} {what}"


# -- the config check ----------------------------------------------------------------------------


def config_name_issues(model: Any, config_stem: str = "config") -> list[tuple[tuple, str]]:
    """Every naming problem of a validated config: (key path, message) pairs, in config order."""
    return list(_issues(model, config_stem))


def _issues(model: Any, config_stem: str) -> Iterator[tuple[tuple, str]]:
    from orcapost.criteria import criteria_names
    from orcapost.tables import extra_table_name

    groups = model.results
    campaign = list(getattr(model, "campaign", None) or [])
    for group in groups:
        problem = table_name_problem(group)
        if problem is not None:
            yield ("results", group), f"result group name {group!r} {problem}"
    for index, table in enumerate(campaign):
        problem = table_name_problem(table.name)
        if problem is not None:
            yield ("campaign", index, "name"), f"campaign table name {table.name!r} {problem}"

    # Value names within each group, and the extra tables the columns declare.
    extras: dict[str, tuple[tuple, str]] = {}  # table name -> (where, what)
    for group, spec in groups.items():
        owners: dict[str, int] = {}
        for index, column in enumerate(spec.columns):
            where = ("results", group, "columns", index, "label")
            names = list(dict.fromkeys(_names(column, "output_names")))
            titles = set(_names(column, "extra_table_names"))
            names += criteria_names(column, [n for n in names if n not in titles])
            for name in names:
                first = owners.setdefault(name, index)
                if first != index:
                    other = spec.columns[first]
                    yield where, (
                        f"output name {name!r} is also written by column {first} "
                        f"({other.label!r}) of group {group!r}: one value would replace the "
                        "other; give the columns distinct labels")
            for title in dict.fromkeys(_names(column, "extra_table_names")):
                table = extra_table_name(group, title)
                what = f"the extra table {title!r} of column {index} ({column.label!r})"
                if table in extras:
                    yield where, f"{what} is written as {table!r}, as {extras[table][1]} is"
                elif table in groups:
                    yield where, f"{what} is written as {table!r}, the name of a result group"
                else:
                    extras[table] = (where, f"{what} of group {group!r}")
    for index, table in enumerate(campaign):
        if table.name in extras:
            yield ("campaign", index, "name"), (
                f"campaign table name {table.name!r} is the name of {extras[table.name][1]}: "
                "one table would replace the other")

    # Files: every table through every sink's naming.
    tables = [name for name in dict.fromkeys([*groups, *extras, *(t.name for t in campaign)])
              if table_name_problem(name) is None]  # a bad name is reported once, above
    yield from _file_issues(model, config_stem, tables)


def _names(column: Any, method: str) -> Iterable[str]:
    names = getattr(column, method, None)
    if not callable(names):
        return ()
    try:
        return [name for name in names() if isinstance(name, str)]
    except Exception:  # a plugin's names that cannot be worked out are checked at run time
        return ()


def _file_issues(model: Any, config_stem: str, tables: list[str]) -> Iterator[tuple[tuple, str]]:
    outputs = model.outputs
    context = SimpleNamespace(config=model, config_stem=config_stem)
    files: dict[str, str] = {}  # file name -> what writes it
    for index, entry in enumerate(outputs.formats):
        sink = _sink(entry)
        if sink is None:
            continue
        where = ("outputs", "formats", index)
        try:
            layout = sink.layout()
        except Exception:
            continue
        sink_name = getattr(entry, "name", "?")
        for table in tables:
            try:
                stem = layout.file_stem(table, context)
            except Exception:
                continue
            naming = ("outputs", "naming") if getattr(layout, "name", "") == "plain" else where
            file_name = f"{stem}{sink.suffix}"
            problem = file_name_problem(file_name) or reserved_problem(file_name)
            if problem is None and is_failures_stem(stem):
                problem = f"is {file_name!r}, the failures table's file"
            if problem is not None:
                yield naming, (f"sink {sink_name!r} would write table {table!r} as "
                               f"{stem!r}, which {problem}")
                continue
            key = _case_folded(file_name)
            what = f"table {table!r} through sink {sink_name!r}"
            if key in files and files[key] != what:
                yield naming, (f"{what} would write {file_name!r}, as {files[key]} does: "
                               "one file would replace the other")
            files.setdefault(key, what)


def _case_folded(file_name: str) -> str:
    # Windows and macOS file systems ignore case: Riser.csv and riser.csv are one file.
    return file_name.casefold()


def _sink(entry: Any) -> Any:
    cls = getattr(type(entry), "component", None)
    if cls is None:
        return None
    try:
        from orcapost.schemas.config import create_selected

        return create_selected(cls, entry)
    except Exception:
        return None
