"""The archive header checked against the format when a file is opened (docs/archive-format.md).

Every later read trusts the header: the source looks objects, variables and columns up in it,
extractors take stages and arc lengths from it. A header that lacks a key, holds a key of the
wrong type, or names a column the file does not hold would otherwise surface as a raw
``KeyError: 'objects'`` or ``TypeError`` deep inside an extractor, or as a column of the wrong
shape. :func:`check_header` refuses such a file at open, with a reason in words: what is wrong,
where in the header, and what it means.

Only what the reader relies on is checked; keys it does not know are ignored (the format's
forward compatibility), and optional keys are checked only when present.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
from orcapost.archive.format import TIME_COLUMN, ArchiveFormatError
from orcapost.archive.model import SIMULATION_STATES

#: What a header that lacks or mistypes a key the format requires means.
NOT_THIS_FORMAT = "not an orcapost archive, or written by an incompatible version"
#: What a header that names a column the file lacks, or holds the wrong type, means.
DAMAGED = ("the file is damaged, or its writer does not follow the archive format "
           "(docs/archive-format.md)")

_TYPE_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "true or false",
               int: "a whole number", float: "a number"}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    for python_type, name in _TYPE_NAMES.items():
        if type(value) is python_type:
            return name
    return type(value).__name__


_NUMBER_TYPES = frozenset({int, float})


def _all_numbers(values: list) -> bool:
    """Every value is a JSON number (not a bool, null or text): one pass in C, as a header's
    arc lengths are read at every open."""
    return _NUMBER_TYPES.issuperset(map(type, values))


def _is_float_type(data_type: pa.DataType) -> bool:
    return pa.types.is_float32(data_type) or pa.types.is_float64(data_type)


class _Checker:
    def __init__(self, header: Any, schema: pa.Schema) -> None:
        self.header = header
        self.schema = schema

    def entry(self, mapping: dict, key: str, expected: type | tuple[type, ...], where: str,
              *, optional: bool = False) -> Any:
        """``mapping[key]``, refused in words when it is missing or not of ``expected``."""
        if key not in mapping or (optional and mapping[key] is None):
            if optional:
                return None
            raise ArchiveFormatError(f"archive header{where} has no {key!r} entry: "
                                     f"{NOT_THIS_FORMAT}")
        value = mapping[key]
        types = expected if isinstance(expected, tuple) else (expected,)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
            raise ArchiveFormatError(f"archive header{where}: {key!r} is {_kind(value)}, not "
                                     f"{wanted}: {NOT_THIS_FORMAT}")
        return value

    def column(self, name: str, what: str, fits: Callable[[pa.DataType], bool],
               expected: str) -> None:
        index = self.schema.get_field_index(name)
        if index < 0:
            raise ArchiveFormatError(f"archive header lists {what} in column {name!r}, which "
                                     f"the file does not hold: {DAMAGED}")
        data_type = self.schema.field(index).type
        if not fits(data_type):
            raise ArchiveFormatError(f"column {name!r} ({what}) is {data_type}, not "
                                     f"{expected}: {DAMAGED}")

    def check(self) -> None:
        header = self.header
        state = self.entry(header, "state", str, "", optional=True)
        if state is not None and state not in SIMULATION_STATES:
            raise ArchiveFormatError(f"archive header: state {state!r} is none of "
                                     f"{', '.join(SIMULATION_STATES)}: {NOT_THIS_FORMAT}")
        self.stages()
        latest = self.entry(header, "latest_wave", list, "", optional=True)
        if latest is not None and not (len(latest) == 2 and _all_numbers(latest)):
            raise ArchiveFormatError(f"archive header: 'latest_wave' is {latest!r}, not two "
                                     f"numbers [t0, t1]: {NOT_THIS_FORMAT}")
        self.entry(header, "load_case", dict, "", optional=True)
        model_data = self.entry(header, "model_data", dict, "", optional=True)
        for obj in model_data or {}:
            self.entry(model_data, obj, dict, " model_data")
        self.column(TIME_COLUMN, "the sample times", pa.types.is_float64, "float64")
        for i, obj in enumerate(self.entry(header, "objects", list, "")):
            self.object(i, obj)

    def stages(self) -> None:
        stages = self.entry(self.header, "stages", list, "")
        if not stages:
            raise ArchiveFormatError(f"archive header: 'stages' is empty (stage 0 is the "
                                     f"build-up, stage 1 on the simulation): {NOT_THIS_FORMAT}")
        for i, stage in enumerate(stages):
            if not isinstance(stage, dict):
                raise ArchiveFormatError(f"archive header: stage {i} is {_kind(stage)}, not "
                                         f"an object {{index, start, end}}: {NOT_THIS_FORMAT}")
            for key in ("index", "start", "end"):
                self.entry(stage, key, (int, float), f" stage {i}")

    def object(self, i: int, obj: Any) -> None:
        if not isinstance(obj, dict):
            raise ArchiveFormatError(f"archive header: object {i} is {_kind(obj)}, not an "
                                     f"object: {NOT_THIS_FORMAT}")
        name = self.entry(obj, "name", str, f" object {i}")
        where = f" object {i} ({name!r})"
        self.entry(obj, "type", str, where)
        arcs = self.entry(obj, "arc_lengths", list, where, optional=True)
        if arcs is not None and not _all_numbers(arcs):
            raise ArchiveFormatError(f"archive header{where}: 'arc_lengths' holds something "
                                     f"that is not a number: {NOT_THIS_FORMAT}")
        touchdown = self.entry(obj, "touchdown_column", str, where, optional=True)
        if touchdown:
            self.column(touchdown, f"{name!r}'s touchdown", _is_float_type, "float32 or float64")
        for j, var in enumerate(self.entry(obj, "variables", list, where)):
            if not isinstance(var, dict):
                raise ArchiveFormatError(f"archive header{where}: variable {j} is {_kind(var)}, "
                                         f"not an object: {NOT_THIS_FORMAT}")
            var_name = self.entry(var, "name", str, f"{where} variable {j}")
            var_where = f"{where} variable {var_name!r}"
            self.entry(var, "units", str, var_where)
            column = self.entry(var, "column", str, var_where)
            what = f"{name!r} / {var_name!r}"
            if self.entry(var, "along_line", bool, var_where):
                if arcs is None:
                    raise ArchiveFormatError(f"archive header{where}: {var_name!r} is a line "
                                             f"variable, but the object has no 'arc_lengths': "
                                             f"{NOT_THIS_FORMAT}")
                nodes = len(arcs)

                def one_float_per_node(t: pa.DataType, n: int = nodes) -> bool:
                    return bool(pa.types.is_fixed_size_list(t) and t.list_size == n
                                and _is_float_type(t.value_type))

                fits: Callable[[pa.DataType], bool] = one_float_per_node
                expected = f"a fixed-size list of {nodes} floats (one per arc length)"
            else:
                fits, expected = _is_float_type, "float32 or float64"
            self.column(column, what, fits, expected)
            self.entry(var, "nonfinite", int, var_where, optional=True)
            # Version 2's per-point series: each read like the variable's own column.
            points = self.entry(var, "points", list, var_where, optional=True)
            for k, point in enumerate(points or ()):
                point_where = f"{var_where} point {k}"
                if not isinstance(point, dict):
                    raise ArchiveFormatError(f"archive header{point_where} is {_kind(point)}, "
                                             f"not an object {{at, column}}: {NOT_THIS_FORMAT}")
                at = self.entry(point, "at", dict, point_where)
                if not at:
                    raise ArchiveFormatError(f"archive header{point_where}: 'at' is empty (a "
                                             f"point series needs its point): {NOT_THIS_FORMAT}")
                point_column = self.entry(point, "column", str, point_where)
                self.column(point_column, f"{what} at {at}", fits, expected)
                self.entry(point, "nonfinite", int, point_where, optional=True)


def check_header(header: Any, schema: pa.Schema) -> None:
    """Refuse (:class:`ArchiveFormatError`, in words) a header the reader cannot rely on.

    ``format`` and ``version`` are checked before this (a file of another version may differ
    in anything else). A sound header passes :func:`_sound` (one tight pass: it is checked at
    every open, and a campaign of small files opens thousands); only a header it doubts goes
    through the checker that finds and words the problem.
    """
    if not isinstance(header, dict):
        raise ArchiveFormatError(f"the archive header is {_kind(header)}, not a JSON object: "
                                 f"{NOT_THIS_FORMAT}")
    if not _sound(header, schema):
        _Checker(header, schema).check()


#: Arrow type ids (ints: comparing DataType objects costs a microsecond each).
_FLOAT_IDS = frozenset({pa.float32().id, pa.float64().id})
_FLOAT64_ID = pa.float64().id
_FIXED_LIST_ID = pa.list_(pa.float64(), 1).id
_NUMBERS = (int, float)


def _column_type(schema: pa.Schema, name: Any) -> pa.DataType | None:
    index = schema.get_field_index(name) if type(name) is str else -1
    return schema.field(index).type if index >= 0 else None


def check_header_known_layout(header: Any, schema: pa.Schema) -> None:
    """:func:`check_header` for a header whose ``objects`` equal those of a header that passed
    it against an equal schema (the reader's layout cache): only the rest is checked here; a
    doubt sends the whole header through :func:`check_header` (which words the problem)."""
    if not isinstance(header, dict) or not _sound_top(header, schema):
        check_header(header, schema)


def _sound(header: dict, schema: pa.Schema) -> bool:
    """Whether ``header`` is certainly sound: everything :class:`_Checker` checks, in one
    pass without building a message. False means "look closer", never "refused"."""
    return _sound_top(header, schema) and _sound_objects(header, schema)


def _sound_top(header: dict, schema: pa.Schema) -> bool:
    """:func:`_sound` for everything but the objects: stages, state, wave, load case, model
    data, the time column."""
    try:
        stages = header["stages"]
        if type(stages) is not list or not stages:
            return False
        for stage in stages:
            if type(stage) is not dict or not (type(stage["index"]) in _NUMBERS and type(
                    stage["start"]) in _NUMBERS and type(stage["end"]) in _NUMBERS):
                return False
        state = header.get("state")
        if state is not None and state not in SIMULATION_STATES:
            return False
        latest = header.get("latest_wave")
        if latest is not None and not (type(latest) is list and len(latest) == 2
                                       and _all_numbers(latest)):
            return False
        for key in ("load_case", "model_data"):
            if header.get(key) is not None and type(header[key]) is not dict:
                return False
        if any(type(items) is not dict for items in (header.get("model_data") or {}).values()):
            return False
        time_type = _column_type(schema, TIME_COLUMN)
        if time_type is None or time_type.id != _FLOAT64_ID:
            return False
    except (KeyError, TypeError):
        return False
    return True


def _sound_objects(header: dict, schema: pa.Schema) -> bool:
    """:func:`_sound` for the objects: names, variables, columns and their types."""
    try:
        objects = header["objects"]
        if type(objects) is not list:
            return False
        for obj in objects:
            if type(obj) is not dict or type(obj["name"]) is not str or type(
                    obj["type"]) is not str:
                return False
            arcs = obj.get("arc_lengths")
            if arcs is not None and not (type(arcs) is list and _all_numbers(arcs)):
                return False
            touchdown = obj.get("touchdown_column")
            if touchdown is not None and type(touchdown) is not str:
                return False
            if touchdown:
                touchdown_type = _column_type(schema, touchdown)
                if touchdown_type is None or touchdown_type.id not in _FLOAT_IDS:
                    return False
            variables = obj["variables"]
            if type(variables) is not list:
                return False
            for var in variables:
                if type(var) is not dict or type(var["name"]) is not str or type(
                        var["units"]) is not str:
                    return False
                along, data_type = var["along_line"], _column_type(schema, var["column"])
                if data_type is None or type(along) is not bool:
                    return False
                if along:
                    if arcs is None or data_type.id != _FIXED_LIST_ID or \
                            data_type.list_size != len(arcs) or \
                            data_type.value_type.id not in _FLOAT_IDS:
                        return False
                elif data_type.id not in _FLOAT_IDS:
                    return False
                nonfinite = var.get("nonfinite")
                if nonfinite is not None and type(nonfinite) is not int:
                    return False
                for point in var.get("points") or ():
                    if type(point) is not dict or type(point["at"]) is not dict or \
                            not point["at"] or _column_type(schema, point["column"]) != data_type:
                        return False
                    count = point.get("nonfinite")
                    if count is not None and type(count) is not int:
                        return False
    except (KeyError, TypeError):
        return False
    return True
