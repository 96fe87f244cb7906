"""Source for orcapost's portable result archive (``.arrow``, Arrow IPC).

Opening reads only the footer and the JSON header; an extractor's first use of a column reads
that column's bytes (or, with ``memory_map: true``, maps its pages). Columns a run never asks
for are never read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from orcapost import archive as archive_format
from orcapost.api import (
    Catalogue,
    ObjectInfo,
    ResultFile,
    ResultFileError,
    Source,
    Stage,
    StrictModel,
    VariableInfo,
    describe_qualifiers,
    hookimpl,
    is_default_point,
    same_point,
)
from orcapost.plugins.sources.orcaflex_vocabulary import LOAD_CASE_KEYS
from pydantic import Field

#: The object OrcaFlex keeps wave data on; accepted even when a file has no such object.
ENVIRONMENT_ALIAS = "Environment"
#: Model data name of an object's NaN/inf count (all its variables, from the header).
NONFINITE_DATA = "NonFiniteSamples"


class ArchiveOptions(StrictModel):
    memory_map: bool = Field(
        default=False,
        description="Memory-map the files and read columns zero-copy instead of reading them "
        "into memory. Only for files nothing writes to during the run: a file truncated while "
        "it is mapped kills the whole run (SIGBUS) instead of failing that file.")


#: The key of the archive source's description in a layout's ``derived``.
_DESCRIBED = "orcapost.plugins.sources.archive"


def _describe(header_objects: list[dict]) -> tuple:
    """What a file of this layout is: its catalogue, and by (object, variable) its column,
    static value and per-point series; by object its arc lengths and touchdown column. The
    same for every file of the layout (shared: nothing here is changed once built)."""
    objects = []
    columns: dict[tuple[str, str], str] = {}
    static: dict[tuple[str, str], object] = {}
    arcs: dict[str, np.ndarray] = {}
    touchdown: dict[str, str] = {}
    #: Per-point series (format version 2): (object, variable) -> [(at, column, static)].
    points: dict[tuple[str, str], list[tuple[dict, str, Any]]] = {}
    for obj in header_objects:
        variables = {}
        for var in obj["variables"]:
            variables[var["name"]] = VariableInfo(var["name"], var["units"],
                                                  bool(var["along_line"]))
            columns[(obj["name"], var["name"])] = var["column"]
            static[(obj["name"], var["name"])] = var.get("static")
            points[(obj["name"], var["name"])] = [
                (dict(p["at"]), p["column"], p.get("static")) for p in var.get("points") or ()]
        if obj.get("arc_lengths") is not None:
            arc = np.asarray(obj["arc_lengths"], dtype=np.float64)
            arc.flags.writeable = False  # shared by the files of the layout
            arcs[obj["name"]] = arc
        if obj.get("touchdown_column"):
            touchdown[obj["name"]] = obj["touchdown_column"]
        objects.append(ObjectInfo(
            obj["name"], obj["type"], variables,
            node_count=len(obj.get("arc_lengths") or ()),
            has_touchdown=obj["name"] in touchdown,
        ))
    return Catalogue(objects), columns, static, arcs, touchdown, points


class ArchiveResultFile(ResultFile):
    def __init__(self, path: Path, memory_map: bool = False) -> None:
        super().__init__(path)
        try:
            # Looked up here: the reader (and pyarrow) loads with the first file, not the plugin.
            self.archive = archive_format.Archive(path, memory_map=memory_map)
        except archive_format.ArchiveFormatError as exc:
            raise ResultFileError(f"not a readable orcapost archive: {exc}", "open") from None
        # Described once per layout (orcapost.archive.Layout): the files of a campaign mostly
        # share one, and their catalogue is the same.
        described = self.archive.layout.derived.get(_DESCRIBED)
        if described is None:
            described = self.archive.layout.derived[_DESCRIBED] = _describe(self.archive.objects)
        (self._catalogue, self._columns, self._static, self._arcs, self._touchdown,
         self._points) = described
        if any(value is not None for value in self._static.values()) or any(self._points.values()):
            # Static values are data: this file's own, as its header writes them (equal to the
            # layout's, but 1 and 1.0 compare equal and print differently).
            _, _, self._static, _, _, self._points = _describe(self.archive.objects)

    def catalogue(self) -> Catalogue:
        return self._catalogue

    def read_identity(self) -> dict[str, Any]:
        # From the reader's own open and whole-file read: no second open, stat and read.
        try:
            return self.archive.identity()
        except archive_format.ArchiveFormatError as exc:
            raise ResultFileError(str(exc), "open") from None

    def load_case(self) -> dict:
        return dict(self.archive.header.get("load_case") or {})

    def state(self) -> str:
        return self.archive.header.get("state", "complete")

    def stages(self) -> list[Stage]:
        return self.archive.stages

    def latest_wave(self):
        latest = self.archive.header.get("latest_wave")
        return (float(latest[0]), float(latest[1])) if latest else None

    def _column(self, name: str) -> np.ndarray:
        try:
            return self.archive.column(name)
        except archive_format.ArchiveFormatError as exc:
            raise ResultFileError(str(exc)) from None

    def sample_times(self) -> np.ndarray:
        return self._column(archive_format.TIME_COLUMN)

    def raw_time_values(self, obj: str, var: str) -> np.ndarray:
        return self._column(self._columns[(obj, var)])

    def raw_line_values(self, obj: str, var: str):
        return self._arcs[obj], self._column(self._columns[(obj, var)])

    def _point(self, obj: str, var: str, at: Mapping[str, Any]) -> tuple[str, Any]:
        """The column and static value of a variable at a point, or an error listing the
        points the file holds."""
        points = self._points.get((obj, var), [])
        for key, column, static in points:
            if same_point(key, dict(at)):
                return column, static
        if is_default_point(dict(at), self._catalogue[obj].variables[var].along_line):
            # OrcaFlex's default ObjectExtra is what the variable's own column holds.
            return self._columns[(obj, var)], self._static.get((obj, var))
        held = "; ".join(", ".join(describe_qualifiers(key)) for key, _, _ in points)
        raise ResultFileError(
            f"{obj} / {var} at {', '.join(describe_qualifiers(dict(at)))} is not in this "
            f"archive (points held: {held or 'none'}): export it with the point, e.g. "
            "`orcapost export --config` of a config that uses it")

    def raw_point_values(self, obj: str, var: str, at: Mapping[str, Any]) -> np.ndarray:
        return self._column(self._point(obj, var, at)[0])

    def raw_line_point_values(self, obj: str, var: str, at: Mapping[str, Any]):
        return self._arcs[obj], self._column(self._point(obj, var, at)[0])

    def raw_point_static(self, obj: str, var: str, at: Mapping[str, Any]):
        static = self._point(obj, var, at)[1]
        if isinstance(static, list):
            return np.asarray(static, dtype=np.float64)
        return static

    def points(self, obj: str, var: str) -> list[dict]:
        """The ``at`` keys of the per-point series a variable has in this file."""
        return [dict(key) for key, _, _ in self._points.get((obj, var), [])]

    def raw_touchdown(self, obj: str):
        column = self._touchdown.get(obj)
        return self._column(column) if column else None

    def raw_static(self, obj: str, var: str):
        static = self._static.get((obj, var))
        if isinstance(static, list):
            return np.asarray(static, dtype=np.float64)
        return static

    def nonfinite_counts(self) -> dict[tuple[str, str], int]:
        """NaN/inf values per (object, variable) as the writer counted them; a variable of an
        archive written before the count was kept is absent."""
        return {(obj["name"], var["name"]): int(var["nonfinite"])
                for obj in self.archive.objects for var in obj["variables"]
                if var.get("nonfinite") is not None}

    def model_data(self, object: str, name: str, index: int | None = None):  # noqa: A002
        """Model data from the archive header: its ``model_data`` section when present, then
        the load case (by key, or by OrcaFlex's environment data name), then line lengths, then
        ``NonFiniteSamples``, the NaN/inf values of the object's variables."""
        if object not in self._catalogue and object != ENVIRONMENT_ALIAS:
            raise ResultFileError(f"model data: no object {object!r} in this file")
        if name == NONFINITE_DATA and object in self._catalogue:
            entry = next(o for o in self.archive.objects if o["name"] == object)
            counts = [v.get("nonfinite") for v in entry["variables"]]
            counts += [p.get("nonfinite") for v in entry["variables"]
                       for p in v.get("points") or ()]
            if entry.get("touchdown_column"):
                counts.append(entry.get("touchdown_nonfinite"))
            if any(c is None for c in counts):
                raise ResultFileError(f"model data {object} / {name}: this archive was written "
                                      "without NaN/inf counts")
            return int(sum(counts))
        stored = (self.archive.header.get("model_data") or {}).get(object, {})
        load_case = self.load_case()
        if name in stored:
            value = stored[name]
        elif name in load_case:
            value = load_case[name]
        elif LOAD_CASE_KEYS.get(name) in load_case:
            value = load_case[LOAD_CASE_KEYS[name]]
        elif name == "Length" and object in self._arcs:
            arcs = self._arcs[object]
            value = float(arcs[-1] - arcs[0])
        else:
            return super().model_data(object, name, index)
        if isinstance(value, list):
            if index is None:
                raise ResultFileError(f"model data {object} / {name} is indexed: give an index")
            if not 0 <= index < len(value) or value[index] is None:
                raise ResultFileError(f"model data {object} / {name} has no index {index} "
                                      "in this file")
            return value[index]
        return value

    def close(self) -> None:
        self.archive.close()


class ArchiveSource(Source[ArchiveOptions]):
    """orcapost portable result archives (Arrow IPC)."""

    name = "archive"
    suffixes = (archive_format.ARCHIVE_SUFFIX,)
    #: An archive is plain bytes: several threads may each open the same one (a large file's
    #: columns are then split across them, docs/engine.md).
    thread_affinity = False
    Options = ArchiveOptions
    identifies_files = True  # its files' identity comes from the bytes the reader read

    @property
    def reads_in_place(self) -> bool:
        """Mapped files hand out views of the page cache: the parts of a split file share
        them (``engine.split_files: auto`` splits only such files)."""
        return bool(self.options.memory_map)

    def open(self, path: Path) -> ResultFile:
        return ArchiveResultFile(path, memory_map=self.options.memory_map)


@hookimpl
def orcapost_register_sources(register):
    register(ArchiveSource)
