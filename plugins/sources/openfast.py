"""Source for OpenFAST time-series outputs: text ``.out`` and binary ``.outb`` (FileFmtID 1-4).

A file is one object, named ``OpenFAST`` (type ``OpenFAST``), whose variables are the file's
channels (``GenPwr``, ``RootMyc1``, ``PtfmPitch``, ...) with their units; the time channel is the
sample times. Reading is :mod:`orcapost.formats.openfast` (numpy block reads, no per-value Python
loops).

The OrcaFlex vocabulary maps as follows: the whole record is one stage (stage 0) and the whole
simulation; specified periods work as everywhere; the latest wave is the last complete
zero-up-crossing cycle of ``Wave1Elev`` when the file has that channel; there is no static state
and there are no line variables.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from orcapost.api import (
    Catalogue,
    ObjectInfo,
    ResultFile,
    ResultFileError,
    SeriesBlock,
    Source,
    Stage,
    VariableInfo,
    hookimpl,
    latest_wave,
    position_qualifiers,
)

#: The one object of an OpenFAST file.
OBJECT_NAME = "OpenFAST"
#: Channel whose zero-up-crossings give the latest wave.
WAVE_ELEVATION = "Wave1Elev"


@functools.lru_cache(maxsize=16)
def _catalogue(channels: tuple[str, ...], units: tuple[str, ...]
               ) -> tuple[Catalogue, dict[str, int]]:
    """The catalogue of a file with these channels, and each channel's column: built once per
    channel list, as a campaign's files share theirs (read-only, shared by their files)."""
    variables = {name: VariableInfo(name, unit) for name, unit in
                 zip(channels, units, strict=True)}
    columns = {name: index for index, name in enumerate(channels)}
    return Catalogue([ObjectInfo(OBJECT_NAME, "OpenFAST", variables)]), columns


class OpenFASTResultFile(ResultFile):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        from orcapost.formats import openfast  # the reader loads with the first file

        try:
            self.output = openfast.read(path)
        except (openfast.OpenFASTFormatError, ValueError, OSError) as exc:
            raise ResultFileError(f"not a readable OpenFAST output file: {exc}", "open") from None
        out = self.output
        if out.time.size == 0:
            raise ResultFileError("the OpenFAST file has no time steps", "open")
        if out.time.size > 1 and not np.all(np.diff(out.time) > 0):
            raise ResultFileError("the OpenFAST time channel is not increasing", "open")
        try:
            # Channels listed twice in OpenFAST's OutList come out twice, identical: kept once.
            out, dropped = openfast.drop_identical_duplicates(out)
        except KeyError as exc:
            raise ResultFileError(str(exc.args[0]), "open") from None
        if dropped:
            warnings.warn(openfast.OpenFASTWarning(
                f"{path}: channels {', '.join(sorted(set(dropped)))} appear more than once with "
                "identical values and units; each is kept once"), stacklevel=2)
        self.output = out
        self._catalogue, self._columns = _catalogue(tuple(out.channels), tuple(out.units))
        self._rows: np.ndarray | None = None

    def catalogue(self) -> Catalogue:
        return self._catalogue

    def load_case(self) -> dict:
        return {}

    def state(self) -> str:
        return "complete"

    def stages(self) -> list[Stage]:
        time = self.output.time
        return [Stage(0, float(time[0]), float(time[-1]))]

    def latest_wave(self) -> tuple[float, float] | None:
        column = self._columns.get(WAVE_ELEVATION)
        if column is None:
            return None
        return latest_wave(self.output.time, self.output.data[:, column], after=-np.inf)

    def sample_times(self) -> np.ndarray:
        return self.output.time

    def raw_time_values(self, obj: str, var: str) -> np.ndarray:
        return self.output.data[:, self._columns[var]]

    def channel_rows(self) -> np.ndarray:
        """Every channel's samples as one row each, (channels, samples), rows contiguous: a
        view of the decoded data when it is stored channel by channel (packed binary files),
        else one transposed copy, made once per file."""
        if self._rows is None:
            rows = self.output.data.T
            self._rows = rows if rows.flags.c_contiguous else np.ascontiguousarray(rows)
        return self._rows

    def time_history_block(self, obj: str, variables: Sequence[str], position,
                           period) -> SeriesBlock:
        """The channels' rows over the period, from :meth:`channel_rows` (a view when the
        channels are consecutive, else one gathered copy)."""
        try:
            catalogue = self.catalogue()
            if not variables or period.kind == "static_state" or obj not in catalogue:
                raise ResultFileError(obj)
            known = catalogue[obj].variables
            infos = [known[var] for var in variables]
            # OpenFAST channels are no line variables: no position (the usual) means none.
            if position is not None and any(position_qualifiers(obj, info.name, info, position)
                                            for info in infos):
                raise ResultFileError(obj)  # per-point series: none in an OpenFAST file
            window = self.period_slice(period)
        except (ResultFileError, KeyError):
            # Whatever time_history says of the first variable it fails, in its words.
            return super().time_history_block(obj, variables, position, period)
        columns = [self._columns[var] for var in variables]
        rows = self.channel_rows()
        first = columns[0] if columns else 0
        if columns == list(range(first, first + len(columns))):
            values = rows[first:first + len(columns), window]
        else:
            values = rows[columns, window]
        times = self.sample_times()[window]
        return SeriesBlock(time=times, values=values, variables=tuple(variables),
                           units=tuple(info.units for info in infos),
                           dtypes=(values.dtype,) * len(columns),
                           period=(float(times[0]), float(times[-1])))

    def raw_line_values(self, obj: str, var: str):
        raise ResultFileError(f"{obj} / {var}: OpenFAST outputs have no line variables")

    def raw_touchdown(self, obj: str):
        return None

    def raw_static(self, obj: str, var: str):
        return None


class OpenFASTSource(Source):
    """OpenFAST time-series outputs: text .out and binary .outb (every FileFmtID, 1 to 4)."""

    name = "openfast"
    suffixes = (".out", ".outb")
    #: A parsed OpenFAST file is plain arrays: a large one may be split across threads, each
    #: opening (and decoding) it itself (docs/engine.md).
    thread_affinity = False

    def open(self, path: Path) -> ResultFile:
        return OpenFASTResultFile(path)


@hookimpl
def orcapost_register_sources(register):
    register(OpenFASTSource)
