"""Source for OrcaFlex simulation files (``.sim``) through OrcFxAPI.

OrcFxAPI is a ctypes wrapper over OrcaFlex's Windows DLL and needs a licence: it is imported when
a file is opened, never at plugin load, so orcapost runs everywhere and only ``.sim`` inputs need
OrcaFlex. A run with ``.sim`` inputs on a machine where it cannot load stops before the first
file with one message (see :func:`load_orcfxapi`).

Thread affinity: each file's model is created with ``OrcFxAPI.Model(path, threadCount=N)`` on
the worker thread that opens it, used only by that thread, and released by it in ``close()``.
The plugin never hands a model to another thread.

OrcFxAPI resolves orcapost's vocabulary itself (positions become ``ObjectExtra`` values, periods
``pn...`` numbers or ``SpecifiedPeriod``; see :mod:`orcaflex_vocabulary`), so this source overrides
the ResultFile's public methods rather than supplying raw arrays; the raw methods are there too,
for ``orcapost export``.
"""

from __future__ import annotations

import importlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from orcapost.api import (
    ARC_LENGTH_VARIABLE,
    TIME_TOLERANCE,
    Catalogue,
    NotInFile,
    ObjectInfo,
    OrcapostError,
    Period,
    Position,
    ResultFile,
    ResultFileError,
    Series,
    Source,
    Stage,
    StrictModel,
    VariableInfo,
    hookimpl,
    plain,
    position_at,
    position_qualifiers,
    specified_bounds,
)
from orcapost.plugins.sources.orcaflex_vocabulary import (
    DEFAULT_METADATA,
    arclength_range,
    object_extra,
    period_argument,
    point_extra,
)
from pydantic import Field, ValidationError, model_validator

SIM_SUFFIX = ".sim"
#: OrcFxAPI's StatusCode values the plugin treats specially (the real module's numbers).
LICENSING_ERROR = 25

UNAVAILABLE_MESSAGE = (
    "reading OrcaFlex .sim files needs OrcaFlex's OrcFxAPI, which cannot be loaded here ({why})"
)
UNAVAILABLE_HINT = (
    "OrcaFlex on Windows (with a licence) is needed to read .sim files; run "
    "`orcapost export SIM... --output DIR` on a licensed machine: the archives it writes can be "
    "post-processed anywhere"
)

#: Vessel data carried per vessel as "<vessel> heading".
VESSEL_HEADING = "InitialHeading"

# Replaced in tests to observe the backoff without waiting.
_sleep: Callable[[float], None] = time.sleep
_random = random.Random()


class OrcaFlexUnavailable(OrcapostError):
    """OrcFxAPI is not installed or cannot load its DLL (any non-Windows machine)."""


def load_orcfxapi():
    """The OrcFxAPI module, or :class:`OrcaFlexUnavailable` saying why and what to do."""
    try:
        return importlib.import_module("OrcFxAPI")
    except Exception as exc:  # ImportError off Windows; OrcFxAPI's own Exception without OrcaFlex
        why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise OrcaFlexUnavailable(UNAVAILABLE_MESSAGE.format(why=why),
                                  hint=UNAVAILABLE_HINT) from None


#: OrcFxAPI's StatusCode.ValueNotAvailable (stValueNotAvailable): the DLL has no such value.
VALUE_NOT_AVAILABLE = 59


def _status_of(exc: BaseException | None) -> int | None:
    status = getattr(exc, "status", None)
    try:
        return None if status is None else int(status)
    except (TypeError, ValueError):
        return None


def dll_message(exc: BaseException) -> str:
    """The DLL's own words for an OrcFxAPI error: status name and number, then its text."""
    status = getattr(exc, "status", None)
    text = (getattr(exc, "errorString", None) or "").strip() or str(exc).strip()
    if status is None:
        return text
    name = getattr(status, "name", None) or str(status)
    return f"OrcFxAPI error {name} ({int(status)}): {text}"


class OrcaFlexOptions(StrictModel):
    @model_validator(mode="before")
    @classmethod
    def _machine_defaults(cls, data: Any) -> Any:
        # What the config leaves out comes from the machine's environment (see ENVIRONMENT).
        if isinstance(data, dict):
            return {**environment_settings(), **data}
        return data

    thread_count: int = Field(default=1, ge=1, le=1024,
                              description="Threads each model may use (OrcFxAPI threadCount); "
                              "orcapost already runs files in parallel.")
    licence_retries: int = Field(default=5, ge=0, le=1000,
                                 description="Times to retry opening a file after a licence "
                                 "error before the file fails.")
    licence_delay: float = Field(default=2.0, ge=0.0, le=3600.0,
                                 description="First retry delay in seconds; it doubles each "
                                 "retry, with +-50% jitter so workers do not retry together.")
    points: dict[str, tuple[float, float, float]] = Field(
        default_factory=dict,
        description="Vessel, buoy, constraint or environment name -> (x, y, z): results of that "
        "object are taken at this point (default: OrcaFlex's default, the origin).")


#: Machine settings (licences and cores are properties of the machine, not of a config): each
#: option's default can be set with an environment variable, inherited by worker processes.
ENVIRONMENT = {
    "thread_count": "ORCAPOST_ORCAFLEX_THREADS",
    "licence_retries": "ORCAPOST_ORCAFLEX_LICENCE_RETRIES",
    "licence_delay": "ORCAPOST_ORCAFLEX_LICENCE_DELAY",
}


def environment_settings() -> dict[str, str]:
    """The options the environment variables set, by option name."""
    return {key: os.environ[var] for key, var in ENVIRONMENT.items() if os.environ.get(var)}


def options_from_environment() -> OrcaFlexOptions:
    """The source's options with the defaults the environment variables set."""
    given = environment_settings()
    try:
        return OrcaFlexOptions.model_validate(given)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        key = str(error["loc"][0]) if error["loc"] else ""
        raise OrcapostError(
            f"{ENVIRONMENT.get(key, key)}={given.get(key)!r}: {error['msg']}",
            hint=f"set it to a valid {key.replace('_', ' ')} or unset it",
        ) from None


class RangeGraph:
    """A range graph as OrcFxAPI returns it: arc lengths and per-point statistics."""

    def __init__(self, x, minimum, maximum, mean, std) -> None:
        self.x, self.min, self.max, self.mean, self.std = x, minimum, maximum, mean, std


class OrcaFlexResultFile(ResultFile):
    """One .sim file opened through OrcFxAPI on the calling thread."""

    def __init__(self, path: Path, options: OrcaFlexOptions, api=None) -> None:
        super().__init__(path)
        self.options = options
        self.api = api if api is not None else load_orcfxapi()
        self.thread = threading.get_ident()
        self.attempts = 0
        self._model = self._open_with_retry()
        self._objects: dict[str, Any] = {}
        self._catalogue: Catalogue | None = None
        self._load_case: dict | None = None
        self._metadata: dict | None = None
        self._stages: list[Stage] | None = None
        self._times: np.ndarray | None = None
        self._status = None
        self._arcs: dict[str, np.ndarray] = {}
        self._batched: bool | None = None
        self._times_by_period: dict[Period, np.ndarray] = {}

    # -- opening, errors and release --------------------------------------------------------
    def _open_with_retry(self):
        api, opts = self.api, self.options
        delay = opts.licence_delay
        for attempt in range(opts.licence_retries + 1):
            self.attempts = attempt + 1
            try:
                return api.Model(str(self.path), threadCount=opts.thread_count)
            except api.DLLError as exc:
                if int(exc.status) != LICENSING_ERROR:
                    raise ResultFileError(f"OrcaFlex could not open the file: {dll_message(exc)}",
                                          "open") from None
                if attempt == opts.licence_retries:
                    raise ResultFileError(
                        f"no OrcaFlex licence after {self.attempts} attempt"
                        f"{'s' * (self.attempts != 1)} (licence_retries: "
                        f"{opts.licence_retries}): {dll_message(exc)}", "open") from None
                _sleep(delay * _random.uniform(0.5, 1.5))
                delay *= 2
        raise AssertionError("unreachable: the loop returns or raises")

    @contextmanager
    def _dll(self, what: str) -> Iterator[None]:
        """OrcFxAPI errors as per-file errors carrying the DLL's message."""
        if threading.get_ident() != self.thread:
            raise ResultFileError(f"{self.path.name} was opened on another thread: an OrcaFlex "
                                  "model may only be used by the thread that loaded it")
        try:
            yield
        except self.api.DLLError as exc:
            if _status_of(exc) == VALUE_NOT_AVAILABLE:
                # OrcFxAPI's own "no such value" (stValueNotAvailable), whatever was asked:
                # absent (which a static column's `missing: skip` leaves out).
                raise NotInFile(f"{what}: {dll_message(exc)}") from None
            raise ResultFileError(f"{what}: {dll_message(exc)}") from None

    def close(self) -> None:
        # Dropping the last reference destroys the model (OrcFxAPI's Model.__del__), here, on the
        # thread that created it.
        self._objects.clear()
        self._status = None
        self._model = None

    def _object(self, name: str):
        found = self._objects.get(name)
        if found is None:
            with self._dll(f"object {name!r}"):
                try:
                    found = self._model[name]
                except KeyError:
                    raise ResultFileError(f"no object {name!r} in this file") from None
            self._objects[name] = found
        return found

    # -- metadata ---------------------------------------------------------------------------
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            objects = []
            with self._dll("listing the model's objects"):
                for obj in self._model.objects:
                    details = self._variables_of(obj)
                    if not details:
                        continue  # types, variable data, general: nothing to extract
                    along = obj.type == self.api.ObjectType.Line
                    variables = {d.VarName: VariableInfo(d.VarName, d.VarUnits, along)
                                 for d in details}
                    name = obj.name
                    self._objects[name] = obj
                    nodes = len(self._node_arcs(name)) if along else 0
                    objects.append(ObjectInfo(name, obj.typeName, variables, node_count=nodes,
                                              has_touchdown=along))
            self._catalogue = Catalogue(objects)
        return self._catalogue

    def _variables_of(self, obj) -> tuple:
        try:
            return obj.varDetails(resultType=self.api.ResultType.TimeHistory)
        except self.api.DLLError:
            return ()  # an object type without time-history results

    def model_data(self, object: str, name: str, index: int | None = None) -> Any:
        """A data item of the model, ``model[object].GetData(name, index)`` (index None: -1)."""
        target = self._object(object)
        with self._dll(f"model data {object} / {name}"):
            value = target.GetData(name, -1 if index is None else int(index))
        return plain(value)

    def model_metadata(self) -> dict[str, dict[str, Any]]:
        """The model data orcapost carries: {object: {data name: value}} (environment wave,
        current and wind data, each vessel's heading). Export stores it in the archive."""
        if self._metadata is None:
            api = self.api
            found: dict[str, dict[str, Any]] = {}
            with self._dll("reading the model's metadata"):
                environment = self._model.environment
                items = found.setdefault(environment.name, {})
                for _, names in DEFAULT_METADATA:
                    for data_name in names:
                        try:
                            items[data_name] = plain(environment.GetData(data_name, -1))
                            break
                        except api.DLLError:
                            continue
                for info in self.catalogue():
                    if info.type != "Vessel":
                        continue
                    try:
                        heading = self._object(info.name).GetData(VESSEL_HEADING, -1)
                    except api.DLLError:
                        continue
                    found.setdefault(info.name, {})[VESSEL_HEADING] = plain(heading)
            self._metadata = {obj: items for obj, items in found.items() if items}
        return self._metadata

    def load_case(self) -> dict:
        if self._load_case is None:
            metadata = self.model_metadata()
            with self._dll("reading the environment"):
                environment = metadata.get(self._model.environment.name, {})
            out: dict[str, Any] = {}
            for key, names in DEFAULT_METADATA:
                for data_name in names:
                    if data_name in environment:
                        out[key] = environment[data_name]
                        break
            for obj, items in metadata.items():
                if VESSEL_HEADING in items:
                    out[f"{obj} heading"] = items[VESSEL_HEADING]
            if self.state() not in ("complete", "static"):
                status = self._time_status()
                # Never silent: the row says how far the simulation got and where it should
                # have stopped; every period is clipped to the time reached.
                out["time_reached"] = float(status.CurrentTime)
                out["stop_time"] = float(status.StopTime)
            self._load_case = out
        return dict(self._load_case)

    def state(self) -> str:
        api = self.api
        with self._dll("reading the simulation state"):
            state = self._model.state
            if state == api.ModelState.InStaticState:
                return "static"
            if state == api.ModelState.SimulationStoppedUnstable:
                return "unstable"
            return "complete" if self._model.simulationComplete else "unfinished"

    def stages(self) -> list[Stage]:
        if self._stages is None:
            with self._dll("reading the stage durations"):
                general = self._model.general
                count = general.GetDataRowCount("StageDuration")
                durations = [float(general.GetData("StageDuration", i)) for i in range(count)]
            # Stage 0, the build-up, ends at time 0; the others follow one another.
            stages, end = [Stage(0, -durations[0], 0.0)], 0.0
            for index, duration in enumerate(durations[1:], start=1):
                stages.append(Stage(index, end, end + duration))
                end += duration
            self._stages = stages
        return self._stages

    def latest_wave(self) -> tuple[float, float] | None:
        try:
            with self._dll("latest wave"):
                times = self._model.SampleTimes(self.api.pnLatestWave)
        except ResultFileError:
            return None
        return (float(times[0]), float(times[-1])) if len(times) else None

    # -- whole records (export) -------------------------------------------------------------
    def _time_status(self):
        """OrcaFlex's simulation time status (start, stop, time reached), read once per file."""
        if self._status is None:
            with self._dll("reading the simulation times"):
                self._status = self._model.simulationTimeStatus
        return self._status

    def _node_arcs(self, obj: str) -> np.ndarray:
        """A line's node arc lengths, read once per file."""
        arcs = self._arcs.get(obj)
        if arcs is None:
            target = self._object(obj)
            with self._dll(f"{obj} node arc lengths"):
                arcs = self._arcs[obj] = np.asarray(target.NodeArclengths, dtype=np.float64)
        return arcs

    def _everything(self):
        """A period covering every sample logged, build-up included, up to the time reached."""
        status = self._time_status()
        return self.api.SpecifiedPeriod(float(status.StartTime), float(status.CurrentTime))

    def sample_times(self) -> np.ndarray:
        if self._times is None:
            with self._dll("sample times"):
                self._times = np.asarray(self._model.SampleTimes(self._everything()),
                                         dtype=np.float64)
        return self._times

    def raw_time_values(self, obj: str, var: str) -> np.ndarray:
        return self.multiple(obj, var, [None], self._everything())[:, 0]

    def raw_line_values(self, obj: str, var: str) -> tuple[np.ndarray, np.ndarray]:
        arcs = self._node_arcs(obj)
        extras = [self.api.oeArcLength(float(s)) for s in arcs]
        return arcs, self.multiple(obj, var, extras, self._everything())

    def _extras_at(self, obj: str, at: dict, arcs: np.ndarray | None) -> list:
        """ObjectExtras of a point key: one per node arc length for a line variable."""
        api, kind = self.api, self.catalogue()[obj].type
        try:
            if arcs is None:
                return [object_extra(api, position_at(at), kind)]
            return [object_extra(api, position_at(at, Position(kind="arc_length",
                                                               value=float(s))), kind)
                    for s in arcs]
        except ValueError as exc:  # a point key that does not apply (pydantic's words)
            raise ResultFileError(f"{obj}: point {at} does not apply here "
                                  f"({str(exc).splitlines()[-1].strip()})") from None

    def raw_point_values(self, obj: str, var: str, at) -> np.ndarray:
        return self.multiple(obj, var, self._extras_at(obj, dict(at), None),
                             self._everything())[:, 0]

    def raw_line_point_values(self, obj: str, var: str, at) -> tuple[np.ndarray, np.ndarray]:
        arcs = self._node_arcs(obj)
        return arcs, self.multiple(obj, var, self._extras_at(obj, dict(at), arcs),
                                   self._everything())

    def raw_point_static(self, obj: str, var: str, at):
        info = self._variable(obj, var)
        arcs = self._node_arcs(obj) if info.along_line else None
        try:
            values = self.multiple(obj, var, self._extras_at(obj, dict(at), arcs),
                                   self.api.pnStaticState)[0]
        except ResultFileError:
            return None
        return values if info.along_line else float(values[0])

    def raw_touchdown(self, obj: str) -> np.ndarray | None:
        try:
            return self.multiple(obj, ARC_LENGTH_VARIABLE, [self.api.oeTouchdown],
                                 self._everything())[:, 0]
        except ResultFileError:
            return None  # a line that never touches the seabed

    def raw_static(self, obj: str, var: str):
        info = self._variable(obj, var)
        target = self._object(obj)
        try:
            with self._dll(f"{obj} / {var} static state"):
                if not info.along_line:
                    return float(target.StaticResult(var))
                extras = [self.api.oeArcLength(float(s)) for s in self._node_arcs(obj)]
                return self.multiple(obj, var, extras, self.api.pnStaticState)[0]
        except ResultFileError:
            return None

    # -- OrcFxAPI calls ---------------------------------------------------------------------
    def batched(self) -> bool:
        """Does the installed OrcFxAPI have GetMultipleTimeHistories (and its DLL function)?"""
        if self._batched is None:
            api = self.api
            check = getattr(api, "ImportedFunctionAvailable", None)
            function = getattr(api, "_GetMultipleTimeHistories", None)
            self._batched = hasattr(api, "GetMultipleTimeHistories") and (
                check is None or function is None or bool(check(function)))
        return self._batched

    def multiple(self, obj: str, var: str, extras: list, period) -> np.ndarray:
        """(samples, positions) of one variable at one or more positions (``extras``; None for
        no position): one call for several where the installed OrcFxAPI can."""
        target = self._object(obj)
        api = self.api
        with self._dll(f"{obj} / {var}"):
            if len(extras) > 1 and self.batched():
                specs = [api.TimeHistorySpecification(target, var, extra) for extra in extras]
                values = api.GetMultipleTimeHistories(specs, period)
            else:
                values = np.column_stack([target.TimeHistory(var, period, extra)
                                          for extra in extras])
        return np.asarray(values, dtype=np.float64).reshape(-1, len(extras))

    # -- the public ResultFile methods, resolved by OrcFxAPI ----------------------------------
    def _extra(self, obj: str, info: VariableInfo, position: Position | None):
        at = position_qualifiers(obj, info.name, info, position)  # a per-file error if wrong
        if info.along_line or at:
            return object_extra(self.api, position, self.catalogue()[obj].type)
        point = self.options.points.get(obj)
        if point is not None:
            return point_extra(self.api, self.catalogue()[obj].type, point)
        return None

    def _period_argument(self, period: Period):
        """OrcFxAPI's period argument; a specified period is clipped to what was simulated, as
        the shared resolution does (legacy ``[t]`` and ``[NULL, NULL]`` become open-ended)."""
        if period.kind != "specified":
            return period_argument(self.api, period)
        status = self._time_status()
        first, reached = float(status.StartTime), float(status.CurrentTime)
        start, end = specified_bounds(period, first, reached, self.state())
        return self.api.SpecifiedPeriod(start, end)

    def _period_times(self, period: Period) -> np.ndarray:
        """The sample times OrcaFlex gives for a period, fetched once per period per file."""
        if period.kind == "static_state":
            raise ResultFileError("static state is a single value: use the static extractor")
        times = self._times_by_period.get(period)
        if times is None:
            with self._dll(f"period {period.describe()}"):
                times = np.asarray(self._model.SampleTimes(self._period_argument(period)),
                                   dtype=np.float64)
            if times.size == 0:
                raise ResultFileError(f"no samples in {period.describe()}")
            self._times_by_period[period] = times
        return times

    def period_bounds(self, period: Period) -> tuple[float, float]:
        times = self._period_times(period)
        return float(times[0]), float(times[-1])

    def time_history(self, obj: str, var: str, position: Position | None,
                     period: Period) -> Series:
        info = self._variable(obj, var)
        extra = self._extra(obj, info, position)
        times = self._period_times(period)
        target = self._object(obj)
        with self._dll(f"{obj} / {var} over {period.describe()}"):
            values = np.asarray(target.TimeHistory(var, self._period_argument(period), extra),
                                dtype=np.float64)
        return Series(time=times, values=values, units=info.units,
                      period=(float(times[0]), float(times[-1])))

    def range_values(self, obj: str, var: str, period: Period,
                     arc_range: tuple[float, float] | float | None = None):
        if isinstance(arc_range, (int, float)):  # one arc length: through time_history
            return super().range_values(obj, var, period, arc_range)
        info = self._variable(obj, var)
        if not info.along_line:
            raise ResultFileError(f"{obj} / {var} is not a line variable: no range graph")
        arcs = self._node_arcs(obj)
        if arc_range is not None:
            s0, s1 = arc_range
            arcs = arcs[(arcs >= s0 - TIME_TOLERANCE) & (arcs <= s1 + TIME_TOLERANCE)]
            if arcs.size == 0:
                raise ResultFileError(f"no nodes of {obj} between {s0:g} and {s1:g} m")
        extras = [self.api.oeArcLength(float(s)) for s in arcs]
        return arcs, self.multiple(obj, var, extras, self._period_argument(period))

    def range_graph(self, obj: str, var: str, period: Period,
                    arc_range: tuple[float, float] | None = None) -> RangeGraph:
        """OrcaFlex's own range graph (``RangeGraph`` with ``arSpecifiedArclengths``)."""
        info = self._variable(obj, var)
        if not info.along_line:
            raise ResultFileError(f"{obj} / {var} is not a line variable: no range graph")
        target = self._object(obj)
        api = self.api
        with self._dll(f"{obj} / {var} range graph"):
            graph = target.RangeGraph(var, self._period_argument(period),
                                      arclengthRange=arclength_range(api, arc_range))
        return RangeGraph(*(None if v is None else np.asarray(v, dtype=np.float64)
                            for v in (graph.X, graph.Min, graph.Max, graph.Mean, graph.StdDev)))

    def static_value(self, obj: str, var: str, position: Position | None) -> float:
        info = self._variable(obj, var)
        if info.along_line and position is not None and position.kind == "touchdown":
            raise ResultFileError("Touchdown has no static value here: use an arc length")
        extra = self._extra(obj, info, position)
        target = self._object(obj)
        what = f"{obj} / {var} static state"
        with self._dll(what):
            return float(target.StaticResult(var, extra))


class OrcaFlexSource(Source):
    """OrcaFlex simulation files (.sim) through OrcFxAPI (Windows, licensed OrcaFlex)."""

    name = "orcaflex"
    suffixes = (SIM_SUFFIX,)
    Options = OrcaFlexOptions
    #: An OrcFxAPI model may only be used by the thread that loaded it: a .sim file is never
    #: split across threads, one model per thread (docs/engine.md, "Few large files").
    thread_affinity = True

    def __init__(self, options: OrcaFlexOptions | None = None) -> None:
        super().__init__(options if options is not None else options_from_environment())

    def open(self, path: Path) -> ResultFile:
        return OrcaFlexResultFile(path, self.options)

    def preflight(self, files) -> None:
        """Stop a run with .sim inputs at once, with one message, if OrcFxAPI cannot load here."""
        load_orcfxapi()


@hookimpl
def orcapost_register_sources(register):
    register(OrcaFlexSource)
