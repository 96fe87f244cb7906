"""A test double of OrcFxAPI 11.6, backed by orcapost archives. Test-only: never shipped.

Tests put this folder first on ``sys.path`` (or this module into ``sys.modules``) so that
``import OrcFxAPI`` finds it. A ".sim" file for the double is an orcapost archive whose header may
carry ``model_data`` ({object: {data name: value or [values]}}), answered by ``GetData``.

Everything public here has the real module's name and signature (tests/test_orcfxapi_conformance.py
checks that against the installed OrcFxAPI.py). Behaviour follows the real API where the plugin
relies on it:

- a model may only be used by the thread that created it: any other thread gets
  ``DLLError(StatusCode.ThreadAffinityError)``; where it was released is recorded;
- ``Model(path)`` raises ``DLLError(StatusCode.LicensingError)`` while licence failures are
  queued with ``_controls.licence_failures``;
- periods: whole simulation (from stage 1 to the time reached), latest wave, static state, stage
  numbers (0 is the build-up) and specified periods, both ends included;
- positions: End A, End B, Touchdown, arc length (linear between nodes) and node number;
  "Arc Length" at Touchdown is the touchdown point's arc length;
- the rest of ObjectExtra (RadialPos/Theta, RigidBodyPos/EnvironmentPos, ClearanceLineName,
  SupportIndex/SupportedLineName, WinchConnectionPoint, BladeIndex, ExternalResultText) picks the
  archive's per-point series with that key (format version 2); OrcaFlex's default (inner wall at
  theta 0, the body's origin) is the variable's own column; anything else is an
  InvalidObjectExtra error, as the DLL gives for a point it has no result at.

Test controls (not part of the API, so private): ``_controls``.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy
from orcapost.archive import Archive
from orcapost.resultfile import (
    _interpolate_rows,  # OrcaFlex interpolates linearly, as orcapost does
)
from orcapost.schemas.positions import describe_qualifiers, is_default_point, same_point

# ---------------------------------------------------------------------------------------------
# Test controls
# ---------------------------------------------------------------------------------------------


@dataclass
class _Controls:
    licence_failures: int = 0  # how many of the next Model(path) calls fail for want of a licence
    models_created: int = 0
    thread_counts: list[int | None] = field(default_factory=list)  # threadCount of each Model
    released: list[tuple[str, int, int]] = field(default_factory=list)  # (file, created, released)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.licence_failures = 0
            self.models_created = 0
            self.thread_counts.clear()
            self.released.clear()


_controls = _Controls()


# ---------------------------------------------------------------------------------------------
# Enumerations and constants (values as in the real module)
# ---------------------------------------------------------------------------------------------


class StatusCode(enum.IntEnum):
    OK = 0
    FileNotFound = 6
    FileReadError = 7
    TimeHistoryError = 8
    NoSuchNodeNum = 9
    InvalidPeriod = 12
    RangeGraphError = 14
    InvalidObjectExtra = 15
    NoSuchObject = 23
    LicensingError = 25
    UnrecognisedVarName = 26
    InvalidDataName = 31
    PeriodNotYetStarted = 37
    ValueNotAvailable = 59
    ThreadAffinityError = 68


stOK = 0
stLicensingError = 25
stThreadAffinityError = 68


class ObjectType(enum.IntEnum):
    General = 1
    Environment = 3
    Vessel = 5
    Line = 6
    Buoy6D = 7
    Buoy3D = 8
    Constraint = 12
    Turbine = 13


otGeneral = 1
otEnvironment = 3
otVessel = 5
otLine = 6
ot6DBuoy = 7
ot3DBuoy = 8


class PeriodNum(enum.IntEnum):
    BuildUp = 0
    SpecifiedPeriod = 32001
    LatestWave = 32002
    WholeSimulation = 32003
    StaticState = 32004


pnBuildUp = 0
pnSpecifiedPeriod = 32001
pnLatestWave = 32002
pnWholeSimulation = 32003
pnStaticState = 32004


class LinePoint(enum.IntEnum):
    EndA = 0
    EndB = 1
    Touchdown = 2
    NodeNum = 3
    ArcLength = 4


ptEndA = 0
ptEndB = 1
ptTouchdown = 2
ptNodeNum = 3
ptArcLength = 4


class RadialPos(enum.IntEnum):
    Inner = 0
    Outer = 1
    Mid = 2


rpInner = 0
rpOuter = 1
rpMid = 2


class ResultType(enum.IntEnum):
    TimeHistory = 0
    RangeGraph = 1
    LinkedStatistics = 2
    FrequencyDomain = 3


rtTimeHistory = 0
rtRangeGraph = 1


class ArclengthRangeMode(enum.IntEnum):
    EntireRange = 0
    SpecifiedArclengths = 1
    SpecifiedSections = 2


class ModelState(enum.IntEnum):
    Reset = 0
    CalculatingStatics = 1
    InStaticState = 2
    RunningSimulation = 3
    SimulationStopped = 4
    SimulationStoppedUnstable = 5


# The DLL's type names, by the archive's object type.
_TYPES = {
    "General": ObjectType.General, "Environment": ObjectType.Environment,
    "Vessel": ObjectType.Vessel, "Line": ObjectType.Line, "6D Buoy": ObjectType.Buoy6D,
    "3D Buoy": ObjectType.Buoy3D, "Constraint": ObjectType.Constraint,
    "Turbine": ObjectType.Turbine,
}
_TYPE_NAMES = {value: key for key, value in _TYPES.items()}
_TOLERANCE = 1e-9


# ---------------------------------------------------------------------------------------------
# Errors and small structures
# ---------------------------------------------------------------------------------------------


class DLLError(Exception):
    def __init__(self, status: StatusCode, errorString: str | None = None) -> None:
        self.status = status
        self.errorString = errorString if errorString is not None else ""
        self.msg = f"\nError code: {status}\n{self.errorString}"

    def __str__(self):
        return self.__repr__()

    def __repr__(self):
        return self.msg


class _DictLookup:
    def __init__(self, value: Mapping):
        for key, item in value.items():
            setattr(self, key, item)

    def asDict(self) -> dict:
        return dict(vars(self))


def objectFromDict(dict: Mapping) -> _DictLookup:
    return _DictLookup(dict)


class Period:
    def __init__(self, PeriodNum: int, FromTime: float = 0.0, ToTime: float = 0.0) -> None:
        self.PeriodNum = int(PeriodNum)
        self.FromTime = FromTime
        self.ToTime = ToTime


def SpecifiedPeriod(FromTime: float = 0.0, ToTime: float = 0.0) -> Period:
    return Period(PeriodNum.SpecifiedPeriod, FromTime, ToTime)


class ObjectExtra:
    def __init__(self, **kwargs) -> None:
        self.EnvironmentPos = [0.0, 0.0, 0.0]
        self.LinePoint = LinePoint.ArcLength
        self.NodeNum = 0
        self.ArcLength = 0.0
        self.RigidBodyPos = [0.0, 0.0, 0.0]
        self.RadialPos = RadialPos.Inner
        self.Theta = 0.0
        self.ClearanceLineName = None
        self.ExternalResultText = None
        self.SupportIndex = 0
        self.SupportedLineName = None
        self.WinchConnectionPoint = 0
        self.BladeIndex = 0
        for key, value in kwargs.items():
            setattr(self, key, value)


def Vector(*args: Any) -> numpy.ndarray:
    if len(args) == 1:
        args = args[0]
    if len(args) != 3:
        raise TypeError("Vector must have length of 3")
    return numpy.array(args, dtype=numpy.float64)


def oeEnvironment(*args: Any) -> ObjectExtra:
    return ObjectExtra(EnvironmentPos=list(Vector(*args)))


def oeRigidBody(*args: float) -> ObjectExtra:
    return ObjectExtra(RigidBodyPos=list(Vector(*args)))


oeVessel = oeRigidBody
oeBuoy = oeRigidBody
oeConstraint = oeRigidBody


def oeLine(
    LinePoint: LinePoint = LinePoint.ArcLength,
    NodeNum: int = 0,
    ArcLength: float = 0.0,
    RadialPos: float | int | RadialPos = RadialPos.Inner,
    Theta: float = 0.0,
    ClearanceLineName: str | None = None,
    ExternalResultText: str | None = None,
) -> ObjectExtra:
    return ObjectExtra(LinePoint=LinePoint, NodeNum=NodeNum, ArcLength=ArcLength,
                       RadialPos=RadialPos, Theta=Theta, ClearanceLineName=ClearanceLineName,
                       ExternalResultText=ExternalResultText)


def oeSupport(SupportIndex: int, SupportedLineName: str | None = None) -> ObjectExtra:
    return ObjectExtra(SupportIndex=SupportIndex, SupportedLineName=SupportedLineName)


def oeWinch(WinchConnectionPoint: int) -> ObjectExtra:
    return ObjectExtra(WinchConnectionPoint=WinchConnectionPoint)


def oeNodeNum(NodeNum: int) -> ObjectExtra:
    return oeLine(LinePoint=LinePoint.NodeNum, NodeNum=NodeNum)


def oeArcLength(ArcLength: float) -> ObjectExtra:
    return oeLine(LinePoint=LinePoint.ArcLength, ArcLength=ArcLength)


oeEndA = oeLine(LinePoint=LinePoint.EndA)
oeEndB = oeLine(LinePoint=LinePoint.EndB)
oeTouchdown = oeLine(LinePoint=LinePoint.Touchdown)


class ArclengthRange:
    def __init__(self, **kwargs) -> None:
        self.Mode = ArclengthRangeMode.EntireRange
        self.FromArclength = 0.0
        self.ToArclength = 0.0
        for key, value in kwargs.items():
            setattr(self, key, value)


def arEntireRange() -> ArclengthRange:
    return ArclengthRange(Mode=ArclengthRangeMode.EntireRange)


def arSpecifiedArclengths(FromArclength: float, ToArclength: float) -> ArclengthRange:
    return ArclengthRange(Mode=ArclengthRangeMode.SpecifiedArclengths,
                          FromArclength=FromArclength, ToArclength=ToArclength)


class SimulationTimeStatus:
    def __init__(self, **kwargs) -> None:
        self.StartTime = kwargs.get("StartTime", 0.0)
        self.StopTime = kwargs.get("StopTime", 0.0)
        self.CurrentTime = kwargs.get("CurrentTime", 0.0)


def TimeHistorySpecification(modelObject, varName: str, objectExtra: ObjectExtra | None = None):
    return objectFromDict({"modelObject": modelObject, "objectExtra": objectExtra,
                           "varName": varName})


def GetMultipleTimeHistories(specification, period=None) -> numpy.ndarray:
    if len(specification) == 0:
        return numpy.array([])
    columns = [item.modelObject.TimeHistory(item.varName, period, item.objectExtra)
               for item in specification]
    return numpy.column_stack(columns)


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------


class _Store:
    """What one loaded simulation holds, and which thread may touch it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.owner = threading.get_ident()
        self.archive = Archive(path)
        self.header = self.archive.header
        self.stages = self.archive.stages
        self.time = numpy.asarray(self.archive.time, dtype=numpy.float64)
        self.objects = {obj["name"]: obj for obj in self.header["objects"]}
        self.model_data = self.header.get("model_data") or {}

    def check_thread(self) -> None:
        if threading.get_ident() != self.owner:
            raise DLLError(StatusCode.ThreadAffinityError,
                           "The model was created on a different thread and has not been "
                           "attached to this one.")

    def variable(self, obj: str, var: str, at: dict | None = None) -> dict:
        """The header entry of a variable, or of its per-point series at ``at``."""
        for entry in self.objects[obj]["variables"]:
            if entry["name"] != var:
                continue
            if not at or is_default_point(at, bool(entry["along_line"])):
                return entry
            for point in entry.get("points") or ():
                if same_point(point["at"], at):
                    return point
            raise DLLError(StatusCode.InvalidObjectExtra,
                           f"No result for '{var}' at {', '.join(describe_qualifiers(at))}.")
        raise DLLError(StatusCode.UnrecognisedVarName, f"Unrecognised variable name '{var}'")

    def column(self, obj: str, var: str, at: dict | None = None) -> numpy.ndarray:
        entry = self.variable(obj, var, at)
        return numpy.asarray(self.archive.column(entry["column"]), dtype=numpy.float64)

    def window(self, period) -> slice:
        number = period.PeriodNum if isinstance(period, Period) else int(period)
        reached = float(self.time[-1])
        if number == PeriodNum.WholeSimulation:
            start = self.stages[1].start if len(self.stages) > 1 else self.stages[0].start
            t0, t1 = start, reached
        elif number == PeriodNum.LatestWave:
            latest = self.header.get("latest_wave")
            if not latest:
                raise DLLError(StatusCode.InvalidPeriod, "No latest wave period is available.")
            t0, t1 = latest
        elif number == PeriodNum.SpecifiedPeriod:
            # The strictest reading of the DLL: non-finite times are refused, so the plugin
            # must clip open-ended periods itself.
            if not (numpy.isfinite(period.FromTime) and numpy.isfinite(period.ToTime)):
                raise DLLError(StatusCode.InvalidPeriod, "The specified period is invalid.")
            t0, t1 = max(period.FromTime, float(self.time[0])), min(period.ToTime, reached)
            if t1 < t0:
                raise DLLError(StatusCode.InvalidPeriod, "The specified period is invalid.")
        elif 0 <= number < len(self.stages):
            stage = self.stages[number]
            if stage.start > reached:
                raise DLLError(StatusCode.PeriodNotYetStarted,
                               f"Stage {number} has not yet started.")
            t0, t1 = stage.start, min(stage.end, reached)
        else:
            raise DLLError(StatusCode.InvalidPeriod, f"Invalid period number {number}.")
        lo = int(numpy.searchsorted(self.time, t0 - _TOLERANCE, side="left"))
        hi = int(numpy.searchsorted(self.time, t1 + _TOLERANCE, side="right"))
        return slice(lo, hi)


class DataObject:
    def __init__(self, handle) -> None:
        self.handle = handle

    def GetData(self, dataNames: str | Iterable[str], index: int) -> Any:
        if not isinstance(dataNames, str):
            return [self.GetData(name, index) for name in dataNames]
        self._store.check_thread()
        value = self._data().get(dataNames)
        if value is None:
            raise DLLError(StatusCode.InvalidDataName, f"Invalid data name '{dataNames}'")
        if isinstance(value, list):
            if index < 0 or index >= len(value):
                raise DLLError(StatusCode.InvalidDataName,
                               f"Index {index} is out of range for '{dataNames}'")
            return value[index]
        return value

    def GetDataRowCount(self, indexedDataName: str) -> int:
        self._store.check_thread()
        value = self._data().get(indexedDataName)
        if not isinstance(value, list):
            raise DLLError(StatusCode.InvalidDataName, f"'{indexedDataName}' is not indexed")
        return len(value)


class OrcaFlexObject(DataObject):
    def __init__(self, modelHandle, handle, type: ObjectType) -> None:
        super().__init__(handle)
        self.modelHandle = modelHandle
        self.type = type

    # -- identity ---------------------------------------------------------------------------
    @property
    def _store(self) -> _Store:
        return self.modelHandle

    @property
    def name(self) -> str:
        return self.handle

    @property
    def typeName(self) -> str:
        self._store.check_thread()
        return _TYPE_NAMES.get(self.type, self.type.name)

    def __str__(self) -> str:
        return self.name

    def _entry(self) -> dict:
        return self._store.objects.get(self.name, {"variables": [], "name": self.name})

    def _data(self) -> dict:
        data = dict(self._store.model_data.get(self.name, {}))
        if self.type == ObjectType.General:
            data["StageDuration"] = [s.end - s.start for s in self._store.stages]
        return data

    # -- results ----------------------------------------------------------------------------
    def varDetails(self, resultType: ResultType = ResultType.TimeHistory,
                   objectExtra: ObjectExtra | None = None):
        self._store.check_thread()
        details = [objectFromDict({"VarName": v["name"], "VarUnits": v["units"],
                                   "FullName": f"{v['name']} ({v['units']})"})
                   for v in self._entry()["variables"]]
        if self.type == ObjectType.Line:
            details.append(objectFromDict({"VarName": "Arc Length", "VarUnits": "m",
                                           "FullName": "Arc Length (m)"}))
        return tuple(details)

    def vars(self, resultType: ResultType = ResultType.TimeHistory,
             objectExtra: ObjectExtra | None = None):
        return tuple(d.VarName for d in self.varDetails(resultType, objectExtra))

    def SampleTimes(self, period=None) -> numpy.ndarray:
        self._store.check_thread()
        return self._store.time[self._store.window(_period(period))].copy()

    def TimeHistory(self, varNames, period=None, objectExtra: ObjectExtra | None = None):
        self._store.check_thread()
        if not isinstance(varNames, str):
            return numpy.column_stack([self.TimeHistory(v, period, objectExtra)
                                       for v in varNames])
        period = _period(period)
        if period.PeriodNum == PeriodNum.StaticState:
            return numpy.array([self._static(varNames, objectExtra)], dtype=numpy.float64)
        window = self._store.window(period)
        if self.type != ObjectType.Line:
            return self._store.column(self.name, varNames, self._at(objectExtra))[window].copy()
        if objectExtra is None:
            raise DLLError(StatusCode.InvalidObjectExtra, "A line result needs a position.")
        arcs = self._arcs()
        if varNames == "Arc Length":
            if objectExtra.LinePoint == LinePoint.Touchdown:
                return self._touchdown()[window].copy()
            return numpy.full(window.stop - window.start, self._arc_of(objectExtra, arcs))
        grid = self._store.column(self.name, varNames, self._at(objectExtra))[window]
        return self._at_point(objectExtra, arcs, grid, window)

    def StaticResult(self, varNames, objectExtra: ObjectExtra | None = None):
        return self.TimeHistory(varNames, PeriodNum.StaticState, objectExtra)[0]

    # -- helpers ----------------------------------------------------------------------------
    def _arcs(self) -> numpy.ndarray:
        return numpy.asarray(self._entry()["arc_lengths"], dtype=numpy.float64)

    def _touchdown(self) -> numpy.ndarray:
        column = self._entry().get("touchdown_column")
        if not column:
            raise DLLError(StatusCode.InvalidObjectExtra, f"{self.name} has no touchdown.")
        return numpy.asarray(self._store.archive.column(column), dtype=numpy.float64)

    def _arc_of(self, extra: ObjectExtra, arcs: numpy.ndarray) -> float:
        if extra.LinePoint == LinePoint.EndA:
            return float(arcs[0])
        if extra.LinePoint == LinePoint.EndB:
            return float(arcs[-1])
        if extra.LinePoint == LinePoint.NodeNum:
            if not 1 <= extra.NodeNum <= arcs.shape[0]:
                raise DLLError(StatusCode.NoSuchNodeNum, f"No such node {extra.NodeNum}.")
            return float(arcs[extra.NodeNum - 1])
        if not arcs[0] - _TOLERANCE <= extra.ArcLength <= arcs[-1] + _TOLERANCE:
            raise DLLError(StatusCode.InvalidObjectExtra,
                           f"Arc length {extra.ArcLength} is outside the line.")
        return float(extra.ArcLength)

    def _at(self, extra: ObjectExtra | None) -> dict:
        """The archive's per-point key of an ObjectExtra for this object."""
        if extra is None:
            return {}
        at: dict[str, Any] = {}
        if self.type == ObjectType.Line:
            at["radial"] = RadialPos(extra.RadialPos).name.lower()
            at["theta"] = float(extra.Theta)
            if extra.ClearanceLineName:
                at["clearance_line"] = extra.ClearanceLineName
            if extra.BladeIndex:
                at["blade"] = int(extra.BladeIndex)
        elif extra.SupportIndex:
            at["support"] = int(extra.SupportIndex)
            if extra.SupportedLineName:
                at["supported_line"] = extra.SupportedLineName
        elif extra.WinchConnectionPoint:
            at["winch_connection"] = int(extra.WinchConnectionPoint)
        else:
            position = (extra.EnvironmentPos if self.type == ObjectType.Environment
                        else extra.RigidBodyPos)
            at["point"] = [float(v) for v in position]
        if extra.ExternalResultText:
            at["external_result_text"] = extra.ExternalResultText
        return at

    def _at_point(self, extra: ObjectExtra, arcs, grid, window: slice) -> numpy.ndarray:
        if extra.LinePoint == LinePoint.EndA:
            return grid[:, 0].copy()
        if extra.LinePoint == LinePoint.EndB:
            return grid[:, -1].copy()
        if extra.LinePoint == LinePoint.NodeNum:
            self._arc_of(extra, arcs)
            return grid[:, extra.NodeNum - 1].copy()
        if extra.LinePoint == LinePoint.Touchdown:
            s = self._touchdown()[window]
        else:
            s = numpy.full(grid.shape[0], self._arc_of(extra, arcs))
        return _interpolate_rows(arcs, grid, s)

    def _static(self, var: str, extra: ObjectExtra | None) -> float:
        static = self._store.variable(self.name, var, self._at(extra)).get("static")
        if static is None:
            raise DLLError(StatusCode.ValueNotAvailable, f"{var} has no static value.")
        if not isinstance(static, list):
            return float(static)
        if extra is None or extra.LinePoint == LinePoint.Touchdown:
            raise DLLError(StatusCode.InvalidObjectExtra, "Give a line position.")
        arcs = self._arcs()
        row = numpy.asarray(static, dtype=numpy.float64)[numpy.newaxis, :]
        return float(self._at_point(extra, arcs, row, slice(0, 1))[0])


class OrcaFlexRangeGraphObject(OrcaFlexObject):
    def RangeGraph(self, varName: str, period=None, objectExtra: ObjectExtra | None = None,
                   arclengthRange: ArclengthRange | None = None,
                   stormDurationHours: float | None = None):
        self._store.check_thread()
        if self.type != ObjectType.Line:
            raise DLLError(StatusCode.RangeGraphError, f"{self.name} has no range graphs.")
        arcs = self._arcs()
        keep = numpy.ones(arcs.shape, dtype=bool)
        if arclengthRange is not None and arclengthRange.Mode == ArclengthRangeMode.SpecifiedArclengths:
            keep = ((arcs >= arclengthRange.FromArclength - _TOLERANCE)
                    & (arcs <= arclengthRange.ToArclength + _TOLERANCE))
        grid = self._store.column(self.name, varName)[self._store.window(_period(period))][:, keep]
        return objectFromDict({"X": arcs[keep].copy(), "Min": grid.min(axis=0),
                               "Max": grid.max(axis=0), "Mean": grid.mean(axis=0),
                               "StdDev": grid.std(axis=0), "Upper": None, "Lower": None})


class OrcaFlexLineObject(OrcaFlexRangeGraphObject):
    @property
    def NodeArclengths(self) -> numpy.ndarray:
        self._store.check_thread()
        return self._arcs().copy()


class OrcaFlexVesselObject(OrcaFlexObject):
    pass


def _period(period) -> Period:
    if isinstance(period, Period):
        return period
    if period is None:
        return Period(PeriodNum.WholeSimulation)
    if isinstance(period, int):
        return Period(period)
    start, end = period
    return SpecifiedPeriod(start, end)


_CLASSES = {ObjectType.Line: OrcaFlexLineObject, ObjectType.Vessel: OrcaFlexVesselObject}


class Model:
    def __init__(self, filename=None, threadCount: int | None = None, handle=None) -> None:
        self.handle = None
        with _controls.lock:
            _controls.models_created += 1
            _controls.thread_counts.append(threadCount)
            failing = _controls.licence_failures > 0
            if failing:
                _controls.licence_failures -= 1
        if failing:
            raise DLLError(StatusCode.LicensingError,
                           "Failed to obtain an OrcaFlex licence (no licences available).")
        if filename is None:
            raise DLLError(StatusCode.FileNotFound, "The double only loads simulation files.")
        try:
            self.handle = _Store(str(filename))
        except FileNotFoundError:
            raise DLLError(StatusCode.FileNotFound, f"File not found: {filename}") from None
        except Exception as exc:
            raise DLLError(StatusCode.FileReadError, f"Error reading {filename}: {exc}") from None
        self.threadCount = threadCount
        self.general = OrcaFlexObject(self.handle, "General", ObjectType.General)
        self.environment = self._object(self._environment_name())

    def _environment_name(self) -> str:
        for name, entry in self.handle.objects.items():
            if entry["type"] == "Environment":
                return name
        return "Environment"

    def _object(self, name: str) -> OrcaFlexObject:
        entry = self.handle.objects.get(name)
        kind = _TYPES.get(entry["type"], ObjectType.Constraint) if entry else ObjectType.Environment
        return _CLASSES.get(kind, OrcaFlexObject)(self.handle, name, kind)

    def __del__(self) -> None:
        store = getattr(self, "handle", None)
        if store is not None:
            store.archive.close()
            with _controls.lock:
                _controls.released.append((store.path, store.owner, threading.get_ident()))

    def __getitem__(self, name: str) -> OrcaFlexObject:
        self.handle.check_thread()
        if name not in self.handle.objects:
            raise KeyError(name)
        return self._object(name)

    def __contains__(self, name) -> bool:
        return name in self.handle.objects

    @property
    def objects(self):
        self.handle.check_thread()
        return tuple(self._object(name) for name in self.handle.objects)

    @property
    def state(self) -> ModelState:
        self.handle.check_thread()
        state = self.handle.header.get("state", "complete")
        if state == "unstable":
            return ModelState.SimulationStoppedUnstable
        if state == "static":
            return ModelState.InStaticState
        return ModelState.SimulationStopped

    @property
    def simulationComplete(self) -> bool:
        self.handle.check_thread()
        return self.handle.header.get("state", "complete") == "complete"

    @property
    def simulationTimeStatus(self) -> SimulationTimeStatus:
        self.handle.check_thread()
        stages = self.handle.stages
        return SimulationTimeStatus(StartTime=stages[0].start, StopTime=stages[-1].end,
                                    CurrentTime=float(self.handle.time[-1]))

    def SampleTimes(self, period=None) -> numpy.ndarray:
        self.handle.check_thread()
        return self.handle.time[self.handle.window(_period(period))].copy()
