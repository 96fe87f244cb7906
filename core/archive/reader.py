"""Read an archive file: only what is asked for is touched.

Opening reads the footer and the JSON header; a column's bytes are read when an extractor first
asks for it, and only that column's (Arrow's ``included_fields``).

By default the column is read into memory (``pread``, no memory map): a file truncated while it
is read then fails that read with an :class:`ArchiveFormatError` naming the change, where a
memory map would kill the process with SIGBUS on the first page past the new end. A small file
(up to :data:`WHOLE_READ_BYTES`) is read whole when it is opened, in one read, and its columns
are views into that memory: a column read costs a parse of the file's footer, which for a small
file costs more than reading all of it.
``memory_map=True`` maps the file and hands out zero-copy views instead (docs/sources.md): use it
only for files nothing writes to while a run reads them.

Files of one campaign mostly share their **layout**: the same objects, variables, columns and
column types, with other data (load case, stages, values). The reader keeps the last
:data:`LAYOUTS_KEPT` layouts it checked (:class:`Layout`: the header's ``objects`` and the
schema without its metadata); a file whose ``objects`` compare equal to a kept layout's and
whose schema equals its schema skips the objects' part of the header check, and hands the
layout on (:attr:`Archive.layout`) so a source can reuse what it built from it (the archive
source's catalogue). Equal means equal as parsed JSON (every name, unit, column, arc length,
static value and NaN count), so a file whose layout differs in anything is checked and
described afresh; only a header that passed the whole check is kept.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Any

import numpy as np
import pyarrow as pa
from orcapost.archive.format import (
    FORMAT_NAME,
    HEADER_KEY,
    READABLE_VERSIONS,
    TIME_COLUMN,
    ArchiveFormatError,
)
from orcapost.archive.header import check_header, check_header_known_layout
from orcapost.archive.model import Stage

#: Files up to this size are read whole at open (one read) instead of column by column.
WHOLE_READ_BYTES = 8_000_000

#: How many layouts the reader keeps (a campaign mostly has one; a few model variants at most).
LAYOUTS_KEPT = 8


@dataclass
class Layout:
    """The layout a checked header described: its ``objects`` and the schema (without its
    metadata). ``derived``: what readers of the layout built from it, by their own key (the
    archive source's catalogue), shared by every file of the layout."""

    objects: list
    schema: pa.Schema
    derived: dict[str, Any] = field(default_factory=dict)

    def matches(self, objects: Any, schema: pa.Schema) -> bool:
        return objects == self.objects and schema.equals(self.schema, check_metadata=False)


#: The kept layouts, the latest first (replaced whole, so a reading thread sees one list).
_LAYOUTS: list[Layout] = []
_LAYOUTS_LOCK = threading.Lock()


def _known_layout(objects: Any, schema: pa.Schema) -> Layout | None:
    for layout in _LAYOUTS:
        if layout.matches(objects, schema):
            return layout
    return None


def _keep_layout(objects: list, schema: pa.Schema) -> Layout:
    global _LAYOUTS
    # A copy: the file's own header may be changed by whoever holds it, the layout may not.
    layout = Layout(copy.deepcopy(objects), schema.remove_metadata())
    with _LAYOUTS_LOCK:
        _LAYOUTS = [layout, *_LAYOUTS[:LAYOUTS_KEPT - 1]]
    return layout


def forget_layouts() -> None:
    """Drop every kept layout (tests; a long-lived process that reads other campaigns need
    not: the cache holds at most :data:`LAYOUTS_KEPT`)."""
    global _LAYOUTS
    with _LAYOUTS_LOCK:
        _LAYOUTS = []


class Archive:
    """An opened archive. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path | str, *, memory_map: bool = False) -> None:
        self.path = path if isinstance(path, Path) else Path(path)
        self.memory_map = memory_map
        self._data: pa.Buffer | None = None
        #: Whether the columns are views of one buffer (mapped, or a small file read whole).
        self._whole = memory_map
        self._file: pa.NativeFile
        if memory_map:
            self._file = pa.memory_map(str(self.path), "r")
        else:
            # A small file is read whole through the OS (one open, fstat and read: pyarrow's
            # OSFile costs more than the read itself on a 10 KB file); a larger one is opened
            # for reads of its columns (pread).
            stat, whole = self._read_small()
            self._file = (pa.BufferReader(whole) if whole is not None
                          else pa.OSFile(str(self.path), "r"))
        try:
            #: The file as it was opened (``os.fstat`` of the open file): its identity's.
            self.stat = stat if self._data is not None else os.fstat(self._file.fileno())
            #: The size the file had when it was opened (what a change is measured against).
            self.size = self.stat.st_size
            try:
                self._reader = pa.ipc.open_file(self._file)
            except pa.ArrowInvalid as exc:
                raise ArchiveFormatError(
                    f"not an Arrow IPC file, or one cut short (its footer, at the end of the "
                    f"file, cannot be read: {exc})") from None
            metadata = self._reader.schema.metadata or {}
            if HEADER_KEY not in metadata:
                raise ArchiveFormatError(
                    "an Arrow file without the orcapost archive header (schema metadata key "
                    f"{HEADER_KEY.decode()!r})"
                )
            try:
                self.header = json.loads(metadata[HEADER_KEY])
            except ValueError as exc:
                raise ArchiveFormatError(f"the archive header is not valid JSON ({exc})") from None
            if not isinstance(self.header, dict):
                check_header(self.header, self._reader.schema)  # refuses it, in words
            if self.header.get("format") != FORMAT_NAME:
                raise ArchiveFormatError(f"format is {self.header.get('format')!r}, not {FORMAT_NAME!r}")
            version = self.header.get("version")
            if version not in READABLE_VERSIONS:
                raise ArchiveFormatError(
                    f"archive format version {version!r}; this orcapost reads versions "
                    f"{', '.join(map(str, READABLE_VERSIONS))} (upgrade orcapost, or re-export "
                    "the file)"
                )
            # Every later read trusts the header: a key missing or of the wrong type, or a
            # column it names that the file lacks, is refused now, in words. A layout checked
            # before (equal objects, equal schema) needs only the rest checked.
            schema = self._reader.schema
            known = _known_layout(self.header.get("objects"), schema)
            if known is not None:
                check_header_known_layout(self.header, schema)
            else:
                check_header(self.header, schema)
                known = _keep_layout(self.header["objects"], schema)
            #: The file's layout, shared with every file of the campaign that has it.
            self.layout: Layout = known
            self._schema = schema
            self._batches: list[pa.RecordBatch] | None = None
            self._cache: dict[str, np.ndarray] = {}
        except BaseException:
            self._file.close()
            raise

    # -- header --------------------------------------------------------------------------
    @property
    def objects(self) -> list[dict]:
        return self.header["objects"]

    @property
    def stages(self) -> list[Stage]:
        return [Stage(int(s["index"]), float(s["start"]), float(s["end"]))
                for s in self.header["stages"]]

    # -- columns -------------------------------------------------------------------------
    def column(self, name: str) -> np.ndarray:
        """A column as numpy: 1-D for time series, (samples, nodes) for line variables.

        Read once and cached: that column's bytes only, into memory (or, memory-mapped, a
        zero-copy view when the file holds one record batch, as orcapost writes it). Several
        batches are concatenated. A read that fails because the file changed since it was
        opened raises :class:`ArchiveFormatError` saying so.
        """
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        index = self._schema.get_field_index(name)
        if index < 0:
            raise KeyError(name)
        try:
            chunks = self._read_column(index)
        except (pa.ArrowException, OSError) as exc:
            raise ArchiveFormatError(self._read_problem(name, exc)) from None
        array = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
        array.flags.writeable = False
        self._cache[name] = array
        return array

    def _read_small(self) -> tuple[os.stat_result, pa.Buffer | None]:
        """The ``fstat`` of the file and, when it is at most :data:`WHOLE_READ_BYTES`, the
        whole file read now (its columns are then views of that buffer); None for a larger
        file, left unread."""
        fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            stat = os.fstat(fd)
            if not S_ISREG(stat.st_mode):
                raise IsADirectoryError(f"Expected file path, but {self.path} is not a file")
            if stat.st_size > WHOLE_READ_BYTES:
                return stat, None
            size = stat.st_size
            try:
                # One byte more than the size: a file grown since the fstat is seen.
                data = os.read(fd, size + 1)
                while 0 < len(data) <= size:  # a short read: on to the end of the file
                    more = os.read(fd, size + 1 - len(data))
                    if not more:
                        break
                    data += more
                # Grown: at least the bytes read, more if the file says so now.
                now = len(data) if len(data) <= size else max(len(data), os.fstat(fd).st_size)
            except OSError as exc:
                raise ArchiveFormatError(f"the file cannot be read ({type(exc).__name__}: "
                                         f"{exc})") from None
        finally:
            os.close(fd)
        if now != size:
            raise ArchiveFormatError(f"the file changed while it was read: it is now "
                                     f"{now} bytes, was {size}")
        self._data = pa.py_buffer(data)
        self._whole = True
        return stat, self._data

    def identity(self) -> dict[str, Any]:
        """The file's identity (:func:`orcapost.fingerprints.file_identity`'s value) for the
        file as this archive opened it: its ``fstat`` at the open, and the hash of the bytes
        read -- those read at the open for a small file (no second open or read), else its
        first and last 64 KB read now through this open file."""
        from orcapost.fingerprints import (
            HEAD_TAIL_BYTES,
            identity_of,
            identity_of_contents,
            tail_offset,
        )

        if self._data is not None:
            return identity_of_contents(self.stat, self._data)
        try:
            head = self._file.read_at(min(HEAD_TAIL_BYTES, self.size), 0)
            tail = (self._file.read_at(min(HEAD_TAIL_BYTES, self.size - tail_offset(self.size)),
                                       tail_offset(self.size))
                    if self.size > HEAD_TAIL_BYTES else None)
        except (pa.ArrowException, OSError) as exc:
            raise ArchiveFormatError(f"the file cannot be read ({type(exc).__name__}: "
                                     f"{exc})") from None
        return identity_of(self.stat, head, tail)

    def _read_column(self, index: int) -> list[np.ndarray]:
        if self._whole:
            if self._batches is None:
                self._batches = [self._reader.get_batch(i)
                                 for i in range(self._reader.num_record_batches)]
            return [_to_numpy(batch.column(index)) for batch in self._batches]
        # A reader of this one field: get_batch then reads its buffers, not the whole batch.
        reader = pa.ipc.open_file(self._file,
                                  options=pa.ipc.IpcReadOptions(included_fields=[index]))
        return [_to_numpy(reader.get_batch(i).column(0))
                for i in range(reader.num_record_batches)]

    def _read_problem(self, name: str, exc: BaseException) -> str:
        try:
            now = os.fstat(self._file.fileno()).st_size
        except (OSError, ValueError):
            now = None
        if now is not None and now != self.size:
            return (f"the file changed while it was read: it is now {now} bytes, was "
                    f"{self.size} (column {name!r})")
        return f"column {name!r} cannot be read ({type(exc).__name__}: {exc})"

    @property
    def time(self) -> np.ndarray:
        return self.column(TIME_COLUMN)

    def close(self) -> None:
        # Views into a map must not outlive it: drop them before unmapping (Windows keeps a
        # mapped file locked until then).
        self._cache.clear()
        self._batches = None
        self._data = None
        self._file.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _to_numpy(array: pa.Array) -> np.ndarray:
    if pa.types.is_fixed_size_list(array.type):
        width = array.type.list_size
        flat = array.flatten().to_numpy(zero_copy_only=True)
        return flat.reshape(-1, width)
    return array.to_numpy(zero_copy_only=True)
