"""Read an archive file through a memory map, handing out zero-copy numpy views.

Only what is asked for is touched: opening reads the footer and the JSON header; a column's
pages are read from disk when an extractor first uses them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
from orcapost.archive.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    HEADER_KEY,
    TIME_COLUMN,
    ArchiveFormatError,
)
from orcapost.archive.model import Stage


class Archive:
    """An opened archive. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._map = pa.memory_map(str(self.path), "r")
        try:
            try:
                self._reader = pa.ipc.open_file(self._map)
            except pa.ArrowInvalid as exc:
                raise ArchiveFormatError(f"not an Arrow IPC file ({exc})") from None
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
            if self.header.get("format") != FORMAT_NAME:
                raise ArchiveFormatError(f"format is {self.header.get('format')!r}, not {FORMAT_NAME!r}")
            version = self.header.get("version")
            if version != FORMAT_VERSION:
                raise ArchiveFormatError(
                    f"archive format version {version!r}; this orcapost reads version "
                    f"{FORMAT_VERSION} (upgrade orcapost, or re-export the file)"
                )
            self._schema = self._reader.schema
            self._batches: list[pa.RecordBatch] | None = None
            self._cache: dict[str, np.ndarray] = {}
        except BaseException:
            self._map.close()
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

        Zero-copy when the file holds one record batch (as orcapost writes it); several batches
        are concatenated once and cached.
        """
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        index = self._schema.get_field_index(name)
        if index < 0:
            raise KeyError(name)
        if self._batches is None:
            self._batches = [self._reader.get_batch(i)
                             for i in range(self._reader.num_record_batches)]
        chunks = [_to_numpy(batch.column(index)) for batch in self._batches]
        array = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
        array.flags.writeable = False
        self._cache[name] = array
        return array

    @property
    def time(self) -> np.ndarray:
        return self.column(TIME_COLUMN)

    def close(self) -> None:
        # Views into the map must not outlive it: drop them before unmapping (Windows keeps a
        # mapped file locked until then).
        self._cache.clear()
        self._batches = None
        self._map.close()

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
