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

import warnings
from pathlib import Path

import numpy as np
from orcapost.api import (
    Catalogue,
    ObjectInfo,
    ResultFile,
    ResultFileError,
    Source,
    Stage,
    VariableInfo,
    hookimpl,
    latest_wave,
)

#: The one object of an OpenFAST file.
OBJECT_NAME = "OpenFAST"
#: Channel whose zero-up-crossings give the latest wave.
WAVE_ELEVATION = "Wave1Elev"


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
        self._columns = {name: index for index, name in enumerate(out.channels)}
        variables = {name: VariableInfo(name, unit) for name, unit in
                     zip(out.channels, out.units, strict=True)}
        self._catalogue = Catalogue([ObjectInfo(OBJECT_NAME, "OpenFAST", variables)])

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
