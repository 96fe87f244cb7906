"""Write a :class:`SimulationData` as an archive file (Arrow IPC, uncompressed, one batch)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
from orcapost.archive.format import FORMAT_NAME, FORMAT_VERSION, HEADER_KEY, TIME_COLUMN
from orcapost.archive.model import SIMULATION_STATES, LineVariable, SimulationData
from orcapost.atomic import atomic_path

_FLOAT_TYPES = (np.float32, np.float64)


def _float_array(values: np.ndarray, what: str) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype.type not in _FLOAT_TYPES:
        raise ValueError(f"{what}: values must be float32 or float64, not {values.dtype}")
    return np.ascontiguousarray(values)


def _nonfinite(values: np.ndarray) -> int:
    """NaN and inf values: counted into the header, never refused (a diverged OrcaFlex run
    stores them, and the readers' NaN policy decides what a column does with them)."""
    return int(values.size - np.count_nonzero(np.isfinite(values)))


def _column_name(object_name: str, variable: str) -> str:
    return f"{object_name}/{variable}"


def _static_json(static):
    if static is None:
        return None
    if np.ndim(static) == 0:
        return float(static)
    return [float(v) for v in np.asarray(static).ravel()]


def _point_key(at, what: str) -> dict:
    """A point's ``at`` key as the header stores it (JSON: numbers, strings, a point list)."""
    if not at:
        raise ValueError(f"{what}: a point series needs its point (at), the plain record is "
                         "the variable's own column")
    try:
        return json.loads(json.dumps(dict(at)))
    except TypeError as exc:
        raise ValueError(f"{what}: a point's key must be numbers and strings ({exc})") from None


def _add_column(fields: list, arrays: list, seen: set, obj, var, values, name: str,
                what: str, n: int) -> dict:
    """Append one variable column (time-domain or line) and return its header keys."""
    values = _float_array(values, what)
    if name in seen:
        raise ValueError(f"{what}: variable given twice")
    seen.add(name)
    meta = {b"units": var.units.encode(), b"object": obj.name.encode(),
            b"variable": var.name.encode()}
    value_type = pa.from_numpy_dtype(values.dtype)
    if isinstance(var, LineVariable):
        if obj.arc_lengths is None:
            raise ValueError(f"{what}: a line variable needs the object's arc lengths")
        nodes = len(obj.arc_lengths)
        if values.shape != (n, nodes):
            raise ValueError(f"{what}: shape {values.shape}, expected ({n}, {nodes})")
        child = pa.array(values.reshape(-1))
        arrays.append(pa.FixedSizeListArray.from_arrays(child, nodes))
        fields.append(pa.field(name, pa.list_(pa.field("node", value_type, False), nodes),
                               nullable=False, metadata=meta))
    else:
        if values.shape != (n,):
            raise ValueError(f"{what}: shape {values.shape}, expected ({n},)")
        arrays.append(pa.array(values))
        fields.append(pa.field(name, value_type, nullable=False, metadata=meta))
    return {"column": name, "nonfinite": _nonfinite(values)}


def write_archive(path: Path | str, sim: SimulationData) -> Path:
    """Write ``sim`` to ``path`` atomically and return the path.

    Raises ``ValueError`` naming the object and variable when shapes or types are inconsistent.
    """
    path = Path(path)
    time = _float_array(sim.time, "time").astype(np.float64, copy=False)
    n = time.shape[0]
    if time.ndim != 1:
        raise ValueError("time must be one-dimensional")
    if n > 1 and not np.all(np.diff(time) > 0):
        raise ValueError("sample times must be strictly increasing")
    if sim.state not in SIMULATION_STATES:
        raise ValueError(f"state must be one of {SIMULATION_STATES}, not {sim.state!r}")

    fields = [pa.field(TIME_COLUMN, pa.float64(), nullable=False, metadata={b"units": b"s"})]
    arrays: list[pa.Array] = [pa.array(time)]
    objects_header = []
    seen_columns = {TIME_COLUMN}
    for obj in sim.objects:
        obj_header: dict = {"name": obj.name, "type": obj.type, "variables": []}
        if obj.arc_lengths is not None:
            arcs = np.asarray(obj.arc_lengths, dtype=np.float64)
            if arcs.ndim != 1 or (arcs.size > 1 and not np.all(np.diff(arcs) > 0)):
                raise ValueError(f"{obj.name}: arc lengths must be one-dimensional and increasing")
            obj_header["arc_lengths"] = [float(a) for a in arcs]
        if obj.touchdown is not None:
            name = _column_name(obj.name, "#touchdown")
            td = _float_array(obj.touchdown, f"{obj.name} touchdown")
            if td.shape != (n,):
                raise ValueError(f"{obj.name}: touchdown must have one value per sample time")
            fields.append(pa.field(name, pa.from_numpy_dtype(td.dtype), nullable=False))
            arrays.append(pa.array(td))
            obj_header["touchdown_column"] = name
            obj_header["touchdown_nonfinite"] = _nonfinite(td)
        for var in obj.variables:
            what = f"{obj.name} / {var.name}"
            name = _column_name(obj.name, var.name)
            entry = {"name": var.name, "units": var.units,
                     "along_line": isinstance(var, LineVariable)}
            added = _add_column(fields, arrays, seen_columns, obj, var, var.values, name, what, n)
            entry.update(column=added["column"], static=_static_json(var.static),
                         nonfinite=added["nonfinite"])
            points = []
            for series in var.points:
                at = _point_key(series.at, what)
                label = json.dumps(at, sort_keys=True, separators=(",", ":"))
                added = _add_column(fields, arrays, seen_columns, obj, var, series.values,
                                    f"{name}@{label}", f"{what} at {label}", n)
                points.append({"at": at, "column": added["column"],
                               "static": _static_json(series.static),
                               "nonfinite": added["nonfinite"]})
            if points:
                entry["points"] = points
            obj_header["variables"].append(entry)
        objects_header.append(obj_header)

    header = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "generator": sim.generator,
        "state": sim.state,
        "sample_interval": sim.sample_interval,
        "stages": [{"index": s.index, "start": s.start, "end": s.end} for s in sim.stages],
        "latest_wave": list(sim.latest_wave) if sim.latest_wave is not None else None,
        "load_case": dict(sim.load_case),
        "objects": objects_header,
    }
    if sim.model_data:
        header["model_data"] = {obj: dict(items) for obj, items in sim.model_data.items()}
    try:
        encoded = json.dumps(header).encode()
    except TypeError as exc:
        raise ValueError(f"load case and model data must be numbers, strings or lists ({exc})") from None
    schema = pa.schema(fields, metadata={HEADER_KEY: encoded})
    batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
    with atomic_path(path) as tmp, pa.OSFile(str(tmp), "wb") as sink:
        with pa.ipc.new_file(sink, schema) as writer:
            writer.write_batch(batch)
    return path
