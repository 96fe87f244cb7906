"""Write any opened result file as a portable archive: the ``export`` column kind.

``orcapost export`` runs this through the ordinary engine, so conversion is parallel, shows
progress and turns a bad file into a failure row. It works for every source (a .sim through
OrcFxAPI, an OpenFAST output, another archive), because it only uses the ResultFile interface:
the catalogue, the sample times, every variable's full record (line variables at the node arc
lengths), static values, touchdown, stages, latest wave, simulation state and load-case metadata.

It is also a column kind like any other: a config can archive each file while post-processing it.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Literal

import numpy as np
from orcapost.api import (
    ARC_LENGTH_VARIABLE,
    ColumnOptions,
    DataItem,
    Extractor,
    PositionField,
    ResultFile,
    ResultFileError,
    StrictModel,
    __version__,
    hookimpl,
    is_default_point,
    plain,
    same_point,
)
from orcapost.archive import (
    ARCHIVE_SUFFIX,
    LineVariable,
    ObjectData,
    PointSeries,
    SimulationData,
    TimeVariable,
)
from pydantic import Field


class ExportPoint(StrictModel):
    """A variable at a point to export: object and variable (globs) and the position."""

    object: str = Field(min_length=1, description="Object name or glob.")
    variable: str = Field(min_length=1, description="Variable name or glob.")
    position: PositionField = Field(description="The position (its qualifiers are the point).")


class ExportColumn(ColumnOptions):
    directory: Path = Field(description="Folder the archives are written to (one per file).")
    objects: list[str] = Field(default_factory=lambda: ["*"], min_length=1,
                               description="Object names or globs to export.")
    variables: list[str] = Field(default_factory=lambda: ["*"], min_length=1,
                                 description="Variable names or globs to export.")
    pairs: list[tuple[str, str]] = Field(
        default_factory=list,
        description="(object glob, variable glob) pairs; when given, only these are exported "
        "(orcapost export --config fills it from a config's columns).")
    precision: Literal["float64", "float32"] = Field(
        default="float64", description="float64 keeps the values exactly as the source returns "
        "them; float32 halves the size.")
    data: list[DataItem] = Field(default_factory=list,
                                      description="Model data items added to the load case.")
    points: list[ExportPoint] = Field(
        default_factory=list,
        description="Per-point series to export beside each variable's own record (pipe-wall "
        "points, vessel points, ...; orcapost export --config fills it from a config's "
        "positions). Points the source already holds (an archive's) are always exported.")

    def output_names(self) -> list[str]:
        return [self.label, *(f"{self.label} {what}" for what in ("objects", "variables",
                                                                     "samples"))]


def _selected(column: ExportColumn, obj: str, var: str) -> bool:
    if column.pairs:
        return any(fnmatch.fnmatchcase(obj, o) and fnmatch.fnmatchcase(var, v)
                   for o, v in column.pairs)
    return (any(fnmatch.fnmatchcase(obj, o) for o in column.objects)
            and any(fnmatch.fnmatchcase(var, v) for v in column.variables))


def model_data_of(file: ResultFile, column: ExportColumn) -> dict[str, dict]:
    """The model data the archive carries: the source's own (OrcaFlex: wave data, vessel
    headings) and the items ``column.data`` asks for; an indexed item is a list."""
    found = {obj: dict(items) for obj, items in file.model_metadata().items()}
    for item in column.data:
        value = _header_value(file.model_data(item.object, item.name, item.index))
        slot = found.setdefault(item.object, {})
        if item.index is None:
            slot[item.name] = value
            continue
        rows = slot.get(item.name)
        rows = list(rows) if isinstance(rows, list) else []
        rows.extend([None] * (item.index + 1 - len(rows)))
        rows[item.index] = value
        slot[item.name] = rows
    return found


def simulation_data(file: ResultFile, column: ExportColumn, generator: str) -> SimulationData:
    """Everything ``column`` selects from ``file``, as the archive writer takes it."""
    dtype = np.dtype(column.precision)
    times = np.asarray(file.sample_times(), dtype=np.float64)
    objects = []
    for info in file.catalogue():
        # Arc Length is the position itself; its value at Touchdown is the touchdown column.
        names = [name for name in info.variables if _selected(column, info.name, name)
                 and not (name == ARC_LENGTH_VARIABLE and info.variables[name].along_line)]
        if not names:
            continue
        variables: list[TimeVariable | LineVariable] = []
        arcs = touchdown = None
        if info.has_touchdown and any(info.variables[n].along_line for n in names):
            touchdown = file.raw_touchdown(info.name)
        for name in names:
            var = info.variables[name]
            static = file.raw_static(info.name, name)
            points = point_series(file, column, info.name, name, var.along_line, dtype)
            if var.along_line:
                arcs, grid = file.raw_line_values(info.name, name)
                variables.append(LineVariable(name, var.units, np.asarray(grid, dtype=dtype),
                                              None if static is None
                                              else np.asarray(static, dtype=np.float64),
                                              points=points))
            else:
                values = file.raw_time_values(info.name, name)
                variables.append(TimeVariable(name, var.units, np.asarray(values, dtype=dtype),
                                              None if static is None else float(static),
                                              points=points))
        if not variables:
            continue
        objects.append(ObjectData(
            info.name, info.type, variables, arc_lengths=arcs,
            touchdown=None if touchdown is None or arcs is None
            else np.asarray(touchdown, dtype=dtype),
        ))
    if not objects:
        raise ResultFileError("nothing to export: no object and variable match the selection")
    load_case = dict(file.load_case())
    interval = float(np.median(np.diff(times))) if times.size > 1 else None
    return SimulationData(
        time=times, stages=file.stages(), objects=objects, load_case=load_case,
        latest_wave=file.latest_wave(), state=file.state(), sample_interval=interval,
        generator=generator,
    )


#: ``at`` keys only a line variable takes, and those only other variables take.
_LINE_KEYS = ("radial", "theta", "clearance_line", "blade")
_BODY_KEYS = ("point", "support", "winch_connection")


def point_series(file: ResultFile, column: ExportColumn, obj: str, var: str, along_line: bool,
                 dtype: np.dtype) -> list[PointSeries]:
    """The variable at the points the file holds and the column asks for (each once; OrcaFlex's
    default point is the variable's own record, never a point series)."""
    held = getattr(file, "points", None)  # sources that know their points (archives)
    wanted = [dict(at) for at in (held(obj, var) if callable(held) else [])]
    for point in column.points:
        if fnmatch.fnmatchcase(obj, point.object) and fnmatch.fnmatchcase(var, point.variable):
            wanted.append(point.position.qualifiers())
    out: list[PointSeries] = []
    for at in wanted:
        if not at or is_default_point(at, along_line) or any(same_point(at, dict(p.at))
                                                             for p in out):
            continue
        if any(key in at for key in (_BODY_KEYS if along_line else _LINE_KEYS)):
            # A glob pair's point that does not apply to this variable (a wall point of a
            # vessel's, a body point of a line's): no such series, as for a column's position.
            continue
        if along_line:
            values = file.raw_line_point_values(obj, var, at)[1]
        else:
            values = file.raw_point_values(obj, var, at)
        static = file.raw_point_static(obj, var, at)
        out.append(PointSeries(at, np.asarray(values, dtype=dtype),
                               None if static is None else
                               (np.asarray(static, dtype=np.float64) if along_line
                                else float(static))))
    return out


def _header_value(value):
    """A model data value as the archive's JSON header holds it."""
    value = plain(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class ExportExtractor(Extractor):
    """Write the file as a portable archive (every object and variable, or a chosen subset)."""

    name = "export"
    Options = ExportColumn

    def extract(self, file: ResultFile, column: ExportColumn) -> dict:

        data = simulation_data(file, column, f"orcapost {__version__} export")
        target = Path(column.directory) / (file.path.stem + ARCHIVE_SUFFIX)
        if target.resolve() == file.path.resolve():
            raise ResultFileError("the archive would overwrite its own input: choose another "
                                  "output folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        data.model_data = model_data_of(file, column)
        try:
            from orcapost.archive import write_archive  # pyarrow loads with the first export

            write_archive(target, data)
        except ValueError as exc:
            raise ResultFileError(f"cannot write the archive: {exc}") from None
        return {
            column.label: str(target),
            f"{column.label} objects": len(data.objects),
            f"{column.label} variables": sum(len(o.variables) for o in data.objects),
            f"{column.label} samples": int(data.time.shape[0]),
        }


@hookimpl
def orcapost_register_extractors(register):
    register(ExportExtractor)
