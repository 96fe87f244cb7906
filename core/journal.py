"""An append-only journal of file results, so a crash or an interruption loses nothing.

Each finished file is appended to ``<output>/orcapost-journal.jsonl`` as one JSON line.
``orcapost run --resume`` reads it back and reuses what is still valid.

Lines are written **in batches**, not once per file: :meth:`Journal.append` encodes the line
and keeps it; :meth:`Journal.flush` writes every kept line in one write and flushes it to the
operating system. :class:`JournalWriter` writes its kept lines once :data:`FLUSH_LINES` are
kept or :data:`FLUSH_SECONDS` have passed since its last write (the engine asks after each
task and at each heartbeat), and always when the run finishes, however it finishes, before the
tables and the run report. A run killed outright (SIGKILL, power cut) therefore loses at most
the lines of that last stretch and of the batch in flight: those files are not in the
journal, so ``--resume`` runs them again; every line written is whole (a line cut short is
ignored when read back).

The journal holds three kinds of lines:

- a **run header** (``{"journal": 4, "run": id, "config", "versions", "readers", "columns"}``)
  at the start of every run: the run's fingerprints (:mod:`orcapost.fingerprints`), with one
  fingerprint per result column, per group in config order;
- a **file entry** (``{"run": id, "identity", "result", "cells"}``) per processed file: the file's
  identity as the worker found it, its result without its values, and its cells stored *per
  column*, packed (:func:`pack_cells`: each output name written once, the values as float64
  bytes), so a column's cells can be reused or dropped alone;
- a **shared text** (``{"journal_text": key, "text": ...}``, format 4): the output names or the
  units of a group, joined, that file entries of the same layout name by their key
  (``"names": {"text": key}``) instead of repeating them. Files of one layout have the same
  names and units: 400 OpenFAST files of 1,660 cells each wrote 47 KB of them per entry (26 MB
  in all, 65 KB an entry). It is written just before the first entry of the run that uses it,
  in the same write, so an entry that was written has its texts before it.

Formats 2 (orcapost before the cells were packed: ``cells[group][i]`` an object of output name
-> value of the run's i-th column of the group) and 3 (every entry with its names and units)
are still read (:data:`READABLE_FORMATS`, :func:`unpacked`). :meth:`Journal.reusable` finds,
for each file, its last entry and reuses the cells of every column whose fingerprint is
unchanged, if the file's identity and reader are unchanged and the column did not fail. Lines
of an older journal format are never reused, nor is an entry whose packed cells do not read
back whole.

:class:`JournalWriter` is the run listener the engine registers for the length of a run: it opens
the journal (and writes the run header) at ``orcapost_run_start``, appends each file as it is
done (not the results replayed from it) and closes it at ``orcapost_run_finish``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import itertools
import json
import os
import struct
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from orcapost.fingerprints import RunFingerprints, file_identity
from orcapost.markers import hookimpl
from orcapost.names import JOURNAL_NAME
from orcapost.results import (
    STATUS_FAILED,
    Failure,
    FileInfo,
    FileResult,
    RunContext,
    RunSummary,
)

#: A result's field names, looked up once (dataclasses.fields costs more than the copy).
_RESULT_FIELDS = tuple(f.name for f in dataclasses.fields(FileResult))


def result_to_dict(result: FileResult) -> dict:
    # Shallow on purpose: a result's containers already hold plain data, and
    # dataclasses.asdict deep-copies every value (a third of the coordinator's time per file
    # on campaigns of small files).
    names = (_RESULT_FIELDS if type(result) is FileResult
             else tuple(f.name for f in dataclasses.fields(result)))
    data = {name: getattr(result, name) for name in names}
    data["failures"] = [dataclasses.asdict(failure) for failure in result.failures]
    return data


def result_from_dict(data: dict) -> FileResult:
    failures = [Failure(**f) for f in data.pop("failures", [])]
    return FileResult(**data, failures=failures)


#: The journal format this module writes: 3 packs each file's cells (see :func:`pack_cells`),
#: 4 writes a layout's names and units once (shared texts).
JOURNAL_FORMAT = 4
#: The formats ``--resume`` and ``orcapost merge`` read (older lines are ignored): 2 is the
#: format of orcapost before the cells were packed, 3 before the shared texts, whose journals
#: users have on disk.
READABLE_FORMATS = (2, 3, 4)
#: The key of a shared-text line (format 4).
TEXT_KEY = "journal_text"
#: Packed names or units at least this long are written once, as a shared text; shorter ones
#: (a few columns) stay in the entry, where they cost less than a reference.
SHARED_TEXT_MIN = 64


@dataclass
class Reuse:
    """What ``--resume`` takes from the journal for one file."""

    #: For a complete reuse, the journaled result (status, state, load case, timings) with
    #: the current columns' cells in config order; None when some columns must be computed.
    result: FileResult | None
    #: Group -> index of the column in the current config -> output name -> value.
    cells: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    #: Every current column is reusable: the file need not be opened.
    complete: bool = False
    #: Group -> output name -> unit of the reused cells, as journaled (they are not computed
    #: again, so their units come from here).
    units: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """How many cells are reused."""
        return sum(len(out) for group in self.cells.values() for out in group.values())



def _well_formed(entry: dict) -> bool:
    """Whether a journal line has the shape its kind needs to be read at all: a shared text (its
    hash is checked where it is read), a run header (a run id; readers and columns, where
    present, of their types) or a file entry (a result naming its path). Anything else is
    skipped as a damaged line is, and its file computed again."""
    if TEXT_KEY in entry:
        return True
    if "journal" in entry:
        return (isinstance(entry.get("run"), str)
                and isinstance(entry.get("readers", {}), dict)
                and isinstance(entry.get("columns", {}), dict))
    result = entry.get("result")
    return isinstance(result, dict) and isinstance(result.get("path"), str)

class Journal:
    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / JOURNAL_NAME
        self._handle: Any = None
        self._run: str | None = None
        self._columns: dict[str, list[str]] = {}
        #: Lines encoded by :meth:`append`, not yet written (:meth:`flush` writes them), and
        #: how many of them are file entries (the rest: shared texts).
        self._pending: list[str] = []
        self._entries_pending = 0
        #: Shared texts this run has written: text -> key.
        self._shared: dict[str, str] = {}
        #: Whether the journal may end in a line cut short (the next write starts a new line).
        self._cut = False
        #: Shared texts read by the last read of the journal: key -> text, and key -> line.
        self.texts: dict[str, str] = {}
        self.text_lines: dict[str, str] = {}

    def _lines(self) -> Iterator[tuple[dict, str]]:
        """Every line of the journal that is a JSON object, with its text as written, in the
        order written (a line cut short by a crash left out). Shared texts are not yielded:
        they are kept in :attr:`texts` (and :attr:`text_lines`) for the entries that name
        them."""
        self.texts, self.text_lines = {}, {}
        with open(self.path, "rb") as handle:
            for raw in handle:
                try:  # line by line: one damaged line (bytes that are no UTF-8) is one line lost
                    line = raw.decode("utf-8")
                    entry = json.loads(line)
                except ValueError:  # UnicodeDecodeError too
                    continue  # a line cut short by a crash, or damaged
                if line.endswith("\r\n"):  # as text mode read it (a journal copied on Windows)
                    line = line[:-2] + "\n"
                if not isinstance(entry, dict) or not _well_formed(entry):
                    continue  # edited by hand, or another tool's: never a reason to crash
                key = entry.get(TEXT_KEY)
                if key is not None:
                    text = entry.get("text")
                    # The key is the text's hash: a line edited since (or a key another text
                    # claims) is no text of any entry, whose file is then computed again.
                    if isinstance(text, str) and key == _text_key(text):
                        self.texts[key] = text
                        self.text_lines[key] = line
                    continue
                yield entry, line

    def _entries(self, paths: set[str]) -> tuple[dict[str, dict], dict[str, dict]]:
        """Run headers by id, and the last entry of each of ``paths``."""
        headers: dict[str, dict] = {}
        last: dict[str, dict] = {}
        for entry, _line in self._lines():
            if entry.get("journal") in READABLE_FORMATS and "run" in entry:
                headers[entry["run"]] = entry
                continue
            path = (entry.get("result") or {}).get("path")
            if path in paths:
                last[path] = entry
        return headers, last

    def last_lines(self) -> tuple[dict[str, tuple[dict, str]], dict[str, tuple[dict, str]]]:
        """Every run header by id, and every path's last file entry, each with its line as
        written (``orcapost merge`` copies them into the merged journal)."""
        headers: dict[str, tuple[dict, str]] = {}
        last: dict[str, tuple[dict, str]] = {}
        if not self.path.is_file():
            return headers, last
        for entry, line in self._lines():
            if entry.get("journal") in READABLE_FORMATS and isinstance(entry.get("run"), str):
                headers[entry["run"]] = (entry, line)
                continue
            path = (entry.get("result") or {}).get("path")
            if isinstance(path, str):
                last[path] = (entry, line)
        return headers, last

    def journaled_paths(self) -> list[str]:
        """The path of every file entry, in the order they were written (run headers and lines
        cut short by a crash left out)."""
        if not self.path.is_file():
            return []
        paths = ((entry.get("result") or {}).get("path") for entry, _line in self._lines())
        return [path for path in paths if path is not None]

    def reusable(self, files: list[FileInfo], fingerprints: RunFingerprints,
                 shrink: Callable[[Any], Any] | None = None) -> dict[str, Reuse]:
        """By path, what the journal still holds for these files under ``fingerprints``: the
        cells of every column whose fingerprint is unchanged and that did not fail, for files
        whose identity (size, mtime_ns, first and last 64 KB) and reader are unchanged and that
        did not fail. Files with nothing reusable are left out. ``shrink``: the plan's memory
        optimizers, applied to the values of a result reused whole (as when computed)."""
        if not self.path.is_file():
            return {}
        by_path = {str(f.path): f for f in files}
        headers, last = self._entries(set(by_path))
        reusable: dict[str, Reuse] = {}
        for path, entry in last.items():
            run = entry.get("run")  # a run id is a string: anything else is no run's entry
            header = headers.get(run) if isinstance(run, str) else None
            try:
                reuse = _reuse(entry, header, by_path[path], fingerprints, self.texts)
            except (AttributeError, TypeError, KeyError, IndexError, ValueError):
                # An entry of the right kind whose inside is not what orcapost writes (edited
                # by hand, damaged in place): its file is computed again, nothing crashes.
                reuse = None
            if reuse is not None and reuse.result is not None and shrink is not None:
                reuse.result.values = {group: {name: shrink(v) for name, v in values.items()}
                                       for group, values in reuse.result.values.items()}
            if reuse is not None:
                reusable[path] = reuse
        return reusable

    @property
    def is_open(self) -> bool:
        return self._handle is not None

    def start(self, keep: bool, fingerprints: RunFingerprints | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A journal a kill left with its last line cut short: this run's header must not be
        # glued onto it (the header would not read back, nor any entry of this run).
        self._cut = keep and _ends_mid_line(self.path)
        self._handle = open(self.path, "a" if keep else "w", encoding="utf-8")
        self._run = uuid.uuid4().hex
        self._pending = []
        self._entries_pending = 0
        self._shared = {}
        self._columns = fingerprints.columns if fingerprints is not None else {}
        header = {"journal": JOURNAL_FORMAT, "run": self._run}
        if fingerprints is not None:
            header.update(dataclasses.asdict(fingerprints))
        self._handle.write(("\n" if self._cut else "") + json.dumps(header) + "\n")
        self._handle.flush()
        self._cut = False

    def append(self, result: FileResult) -> None:
        data = result_to_dict(result)
        values = data.pop("values")
        outputs = data.pop("outputs")
        identity = data.pop("identity")  # once, beside the result
        units = data.get("units") or {}
        cells: dict[str, dict[str, Any]] = {}
        other: dict[str, dict[str, Any]] = {}
        for group, group_values in values.items():
            names = outputs.get(group)
            if names is None or len(names) != len(self._columns.get(group, ())):
                other[group] = group_values  # not produced column by column: never reused
                continue
            cells[group], attributed = pack_cells(names, group_values, units.get(group))
            self._share(cells[group])
            if attributed is not None:  # some value no column accounts for
                known = set(attributed)
                rest = {k: v for k, v in group_values.items() if k not in known}
                if rest:
                    other[group] = rest
        if any("units" in packed for packed in cells.values()):
            data["units"] = {group: group_units for group, group_units in units.items()
                             if "units" not in cells.get(group, {})}
        entry = {"run": self._run, "identity": identity, "result": data, "cells": cells}
        if other:
            entry["other"] = other
        self._pending.append(_ENCODER.encode(entry) + "\n")
        self._entries_pending += 1

    def _share(self, packed: dict[str, Any]) -> None:
        """Put a packed group's long names and units in shared texts: the entry then names
        them by key, and a text this run has not written yet is kept to be written before
        the entry."""
        for part in ("names", "units"):
            text = packed.get(part)
            if not isinstance(text, str) or len(text) < SHARED_TEXT_MIN:
                continue
            key = self._shared.get(text)
            if key is None:
                key = _text_key(text)
                self._shared[text] = key
                self._pending.append(_ENCODER.encode({TEXT_KEY: key, "text": text}) + "\n")
            packed[part] = {"text": key}

    @property
    def pending(self) -> int:
        """Files appended and not yet written."""
        return self._entries_pending

    def flush(self) -> None:
        """Write every appended line, in one write, and hand it to the operating system (a
        crash of this process then loses none of them)."""
        if not self._pending or self._handle is None:
            return
        lines, self._pending, self._entries_pending = self._pending, [], 0
        try:
            self._handle.write(("\n" if self._cut else "") + "".join(lines))
            self._handle.flush()
        except BaseException:
            # The batch is lost (a full disk; the run goes on, its journal listener failed):
            # its shared texts are written again with their layout's next entry, and the next
            # write starts a line of its own in case this one was cut short.
            self._shared.clear()
            self._cut = True
            raise
        self._cut = False

    def close(self) -> None:
        if self._handle is not None:
            self.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None


def _text_key(text: str) -> str:
    """The key of a shared text: its hash (the same text has the same key in every journal,
    so ``orcapost merge`` writes it once). Any text has one: a lone surrogate (valid JSON) is
    hashed as it is, not refused."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _ends_mid_line(path: Path) -> bool:
    """Whether the file at ``path`` exists, is not empty and does not end with a newline."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            if not handle.tell():
                return False
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) != b"\n"
    except OSError:
        return False


def _reuse(entry: dict, header: dict | None, file: FileInfo,
           fingerprints: RunFingerprints, texts: dict[str, str] | None = None) -> Reuse | None:
    """What one journal entry still gives under the current fingerprints, or None."""
    if header is None or entry.get("other"):
        return None  # an older format, or values no column accounts for
    # The cheap refusals first, on the entry as read (its cells are still packed).
    raw = entry["result"]
    identity = entry.get("identity")
    if raw.get("status") == STATUS_FAILED or raw.get("size") != file.size or identity is None:
        return None
    suffix = Path(file.path).suffix.lower()
    if header.get("readers", {}).get(suffix) != fingerprints.readers.get(suffix):
        return None
    decoded = unpacked(entry, header, texts)
    if decoded is None:
        return None  # cells that do not read back whole: computed again
    entry = decoded
    data = dict(entry["result"])
    failures = data.get("failures", [])
    if any(f.get("column") is None for f in failures):
        return None  # the file itself had a problem: run it again whole
    failed = {(f.get("group"), f.get("column")) for f in failures}
    then = header.get("columns", {})
    journaled = entry.get("cells", {})
    cells: dict[str, dict[int, dict[str, Any]]] = {}
    complete = True
    for group, prints in fingerprints.columns.items():
        old = {fp: i for i, fp in enumerate(then.get(group, ()))}
        group_cells = journaled.get(group, [])
        labels = _labels(header, group)
        for index, fp in enumerate(prints):
            i = old.get(fp)
            if i is None or i >= len(group_cells) or (group, labels.get(i)) in failed:
                complete = False
                continue
            cells.setdefault(group, {})[index] = group_cells[i]
    # Last, as it reads the file: only a file with cells to reuse is compared.
    if not cells or identity != file_identity(file.path):
        return None
    journaled_units = data.get("units") or {}
    units = {group: {name: journaled_units[group][name] for out in by_index.values()
                     for name in out if name in journaled_units.get(group, {})}
             for group, by_index in cells.items()}
    if not complete:
        return Reuse(result=None, cells=cells, units=units)
    from orcapost.task import status_of

    # Every current column is reused: the result as journaled, with the current columns'
    # cells in config order (removed columns, and their failures, dropped).
    data.pop("outputs", None)
    data["failures"] = []
    data["values"] = {group: {name: value for index in range(len(prints))
                              for name, value in cells.get(group, {}).get(index, {}).items()}
                      for group, prints in fingerprints.columns.items()}
    result = result_from_dict(data)
    result.identity = identity
    result.outputs = {group: [list(cells.get(group, {}).get(index, ()))
                              for index in range(len(prints))]
                      for group, prints in fingerprints.columns.items()}
    result.status = status_of(result)
    reuse = Reuse(result=result, cells=cells, complete=True)
    result.reused = reuse.count
    return reuse


def journaled_result(entry: dict, header: dict | None, fingerprints: RunFingerprints,
                     texts: dict[str, str] | None = None) -> FileResult | None:
    """A file's result exactly as its run journaled it -- status, failures and failure rows
    included -- with its cells in the current config's column order; None when the entry
    is of an older format or a column of the current config is not among its run's
    (``orcapost merge``: the shards' config must be the merge's). ``texts``: the journal's
    shared texts (:attr:`Journal.texts`)."""
    if header is None:
        return None
    decoded = unpacked(entry, header, texts)
    if decoded is None:
        return None
    entry = decoded
    then = header.get("columns", {})
    journaled = entry.get("cells", {})
    values: dict[str, dict[str, Any]] = {}
    outputs: dict[str, list[list[str] | None]] = {}
    for group, prints in fingerprints.columns.items():
        if list(then.get(group, ())) != list(prints):
            return None
        if group not in journaled:
            continue  # a file that failed whole has no cells
        group_cells = journaled[group]
        values[group] = {name: value for cells in group_cells for name, value in cells.items()}
        outputs[group] = [list(cells) for cells in group_cells]
    for group, rest in (entry.get("other") or {}).items():
        values.setdefault(group, {}).update(rest)
    data = dict(entry["result"])
    data.pop("outputs", None)
    data["values"] = values
    result = result_from_dict(data)
    result.identity = entry.get("identity")
    result.outputs = outputs
    return result


#: The types of the values packed as float64 bytes: they read back as the same float (a
#: numpy float64 as a float, as JSON gave it back).
_FLOAT_TYPES = frozenset({float, np.float64})
#: Joins the output names (and units) of a packed group: a character no name holds (checked).
_SEPARATOR = "\x00"


def _joined(texts: list[str]) -> str | list[str]:
    """``texts`` as one string, or as the list itself when one of them holds the separator."""
    joined = _SEPARATOR.join(texts)
    return joined if joined.count(_SEPARATOR) == max(len(texts) - 1, 0) else texts


def _split(texts: str | list[str] | dict, count: int,
           shared: dict[str, str] | None = None) -> list[str]:
    if isinstance(texts, dict):  # a shared text (format 4), named by its key
        key = texts.get("text")
        if not isinstance(key, str) or key not in (shared or {}):
            raise ValueError("packed names or units name a shared text the journal lacks")
        texts = (shared or {})[key]
    if isinstance(texts, list):
        return texts
    if not isinstance(texts, str):
        raise ValueError("packed names are no text")
    return texts.split(_SEPARATOR) if count else []


def pack_cells(names: list, values: dict[str, Any], units: dict[str, str] | None
               ) -> tuple[dict[str, Any], list[str] | None]:
    """One group's cells of one file as a journal entry holds them (format 3), and the output
    names they account for (None: every value of ``values``, in its order).

    Format 2 held a dict per column (output name -> value), so every float was written as
    decimal text: on a file of thousands of cells its JSON cost a millisecond. Packed, the
    cells are ``names`` (every output name, column after column, in one string), ``sizes``
    (how many names each column has) and ``floats`` (every value as little-endian float64,
    base64: a float reads back as exactly the same float); a value that is no float (an int,
    text, None, an extra table) is in ``other`` as ``[index, value]`` and its float is 0.
    ``units``: the group's units in the order of ``names`` when the file has one for each
    and in that order (the usual case), else they stay in the result's ``units``."""
    flat: list[str] = list(itertools.chain.from_iterable(n for n in names if n))
    every = flat == list(values)
    if every:
        # The usual file: its values are its columns' names, column after column (a task
        # makes them so), all taken in one step.
        sizes = [len(column_names or ()) for column_names in names]
        cells = list(values.values())
    else:
        flat, sizes = [], []
        for column_names in names:
            column = [name for name in column_names or () if name in values]
            flat.extend(column)
            sizes.append(len(column))
        cells = list(map(values.__getitem__, flat))
    packed: dict[str, Any] = {"names": _joined(flat), "sizes": sizes}
    if not set(map(type, cells)) <= _FLOAT_TYPES:
        extra = [[index, value] for index, value in enumerate(cells)
                 if type(value) not in _FLOAT_TYPES]
        cells = [0.0 if type(value) not in _FLOAT_TYPES else value for value in cells]
        packed["other"] = extra
    # struct, not numpy: as fast on thousands of cells, and much faster on a tiny file's few.
    packed["floats"] = base64.b64encode(struct.pack(f"<{len(cells)}d", *cells)).decode("ascii")
    if units and len(units) == len(flat) and list(units) == flat:
        packed["units"] = _joined(list(units.values()))
    return packed, None if every else flat


def unpack_cells(packed: dict[str, Any], texts: dict[str, str] | None = None
                 ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """The cells of a group as :func:`pack_cells` packed them: a dict per column (output name
    -> value), and the group's units when they were packed with them. ``texts``: the
    journal's shared texts, by key (names and units that an entry of format 4 names). Raises
    ``ValueError`` when the parts do not agree or a shared text is missing (an entry that
    does not read back whole is not used)."""
    sizes = packed["sizes"]
    count = sum(sizes)
    names = _split(packed["names"], count, texts)
    raw = base64.b64decode(packed["floats"], validate=True)
    if len(names) != count or len(raw) != 8 * count:
        raise ValueError("packed cells of inconsistent lengths")
    values: list[Any] = list(struct.unpack(f"<{count}d", raw))
    for index, value in packed.get("other", ()):
        values[index] = value
    cells = []
    start = 0
    for size in sizes:
        cells.append(dict(zip(names[start:start + size], values[start:start + size],
                              strict=True)))
        start += size
    units = None
    if "units" in packed:
        unit_texts = _split(packed["units"], count, texts)
        if len(unit_texts) != count:
            raise ValueError("packed units of inconsistent length")
        units = dict(zip(names, unit_texts, strict=True))
    return cells, units


def unpacked(entry: dict, header: dict, texts: dict[str, str] | None = None) -> dict | None:
    """A file entry with its cells as format 2 held them (a dict per column) and its packed
    units back in its result's ``units``: the entry itself for a format-2 run, None when the
    packed cells do not read back whole. ``texts``: the journal's shared texts."""
    if (header.get("journal") or 0) < 3:  # before packed cells
        return entry
    try:
        data = dict(entry["result"])
        units = dict(data.get("units") or {})
        cells = {}
        for group, packed in entry.get("cells", {}).items():
            cells[group], group_units = unpack_cells(packed, texts)
            if group_units is not None:
                units[group] = group_units
    except (KeyError, TypeError, ValueError, IndexError, binascii.Error):
        return None
    data["units"] = units
    return {**entry, "result": data, "cells": cells}


def _labels(header: dict, group: str) -> dict[int, str]:
    """The journaled run's column labels of a group by index (failures name columns so)."""
    return dict(enumerate(header.get("labels", {}).get(group, ())))


def _json_value(value):
    # Arrays kept in results (e.g. float32 columns of single_precision) as numbers, not text.
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return str(value)


#: The encoder of file entries, made once (json.dumps makes one per call).
_ENCODER = json.JSONEncoder(default=_json_value)

#: The journal writer writes its kept lines once this many are kept ...
FLUSH_LINES = 256
#: ... or once this long (seconds) has passed since its last write, whichever comes first; and
#: always when the run finishes (also when it is interrupted or fails), before the tables and
#: the run report are written. A run killed outright loses at most the files of this last
#: stretch (docs/engine.md#resume): they are run again by ``--resume``.
FLUSH_SECONDS = 0.5


class JournalWriter:
    """Run listener: the run's fingerprints, then every file's result into the journal as it
    arrives, written in batches (:meth:`flush`: at most every :data:`FLUSH_LINES` files or
    :data:`FLUSH_SECONDS`, and at the end)."""

    def __init__(self, directory: Path, *, keep: bool,
                 fingerprints: RunFingerprints | None = None) -> None:
        self.journal = Journal(directory)
        self.keep = keep
        self.fingerprints = fingerprints
        #: False for an unchanged ``--resume`` (nothing to journal: the journal is left as
        #: it is, not even a run header is added).
        self.enabled = True
        #: When the kept lines were last written (time.monotonic()).
        self._written = 0.0

    @hookimpl
    def orcapost_run_start(self, context: RunContext) -> None:
        if self.enabled:
            self.journal.start(keep=self.keep, fingerprints=self.fingerprints)
            self._written = time.monotonic()

    @hookimpl
    def orcapost_file_done(self, result: FileResult, replayed: bool) -> None:
        if not replayed:
            self.journal.append(result)
            if self.journal.pending >= FLUSH_LINES:
                self._write()

    def flush(self, force: bool = False) -> None:
        """Write the lines of the files handed on since the last write when they are due
        (:data:`FLUSH_LINES` of them, or :data:`FLUSH_SECONDS` since the last write), or
        ``force``. The engine calls it after each task's results and at each heartbeat, so a
        line waits at most about :data:`FLUSH_SECONDS` plus a heartbeat."""
        if not self.journal.is_open or not self.journal.pending:
            return
        if (force or self.journal.pending >= FLUSH_LINES
                or time.monotonic() - self._written >= FLUSH_SECONDS):
            self._write()

    def _write(self) -> None:
        self.journal.flush()
        self._written = time.monotonic()

    # First of the run's listeners: every kept line is written before the tables record the
    # journal's state in the result set (an unchanged --resume compares it) and before the
    # run report.
    @hookimpl(tryfirst=True)
    def orcapost_run_finish(self, summary: RunSummary) -> None:
        if not self.journal.is_open:  # the run stopped before it started
            return
        self.journal.close()
        summary.outputs.append(self.journal.path)
