"""A SIMULATED storage for testing and benchmarking thread policies: ``.contention`` files.

This is not a result format anyone produces. It models an ASSUMPTION -- a disk or share that
scales with concurrent readers up to a point (the *knee*) and then gets slower as readers fight
over it -- so that policies can be tested and compared reproducibly, on any machine, without
multi-GB files. The seed's own figure (2 files of 4.8 GB in all, 30 threads 1.176 x the time of
15) cannot show such a knee: with 2 files at most 2 were in flight under either setting.
``degradation`` 0.176 is that ratio read as if it were contention (the seed's calibration).

A ``.contention`` file is one JSON header line followed by zero padding up to the size it
simulates (written sparse where the file system allows, so a "20 MB" file takes a few KB of
disk). Its suffix is its own: no real file type is ever read by this source. The header holds
the storage model, so a campaign carries its own:

- ``latency`` (s): per-file access time, independent of other readers (open, seek, metadata);
- ``stream_bandwidth`` (bytes/s): what one reader gets when nobody else reads;
- ``knee``: up to this many concurrent readers each gets ``stream_bandwidth``;
- ``degradation``: beyond the knee the store's total bandwidth, ``knee * stream_bandwidth``,
  falls to ``1 / (1 + degradation * (readers - knee) / knee)`` of itself, shared equally;
- ``memory_ratio``: opening the file holds ``size * memory_ratio`` bytes of memory until it is
  closed, as an OrcaFlex model loaded whole does (0: none).

Opening a file "reads" its simulated size in 16 chunks, each taking the time the bandwidth
share allows *at that moment*, so a change of concurrency mid-run shows at once. Readers are
counted per ``store`` name within one process: use the ``threads`` executor with it.

The file holds one object, ``Store`` (type ``Vessel``), with a deterministic time-domain variable
``Signal`` (a sine plus seeded noise), so the ``statistics`` extractor works on it.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

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
)

SUFFIX = ".contention"
MAGIC = "orcapost-contention"
CHUNKS = 16
HEADER_LIMIT = 65536
SAMPLES = 400


class Store:
    """The shared bandwidth of one simulated storage: counts its concurrent readers."""

    def __init__(self) -> None:
        self.readers = 0
        self.peak_readers = 0
        self.lock = threading.Lock()

    def bandwidth(self, model: dict[str, Any]) -> float:
        """One reader's bandwidth now (bytes/s)."""
        readers = max(1, self.readers)
        stream = float(model["stream_bandwidth"])
        knee = float(model["knee"])
        if readers <= knee:
            return stream
        total = knee * stream / (1.0 + float(model["degradation"]) * (readers - knee) / knee)
        return total / readers


_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def store(name: str) -> Store:
    with _STORES_LOCK:
        return _STORES.setdefault(name, Store())


def throughput(model: dict[str, Any], readers: int, size: int) -> float:
    """Steady-state files per second the model gives ``readers`` at once (for benchmarks)."""
    probe = Store()
    probe.readers = readers
    per_file = float(model["latency"]) + size / probe.bandwidth(model)
    return readers / per_file


def write_contention_campaign(
    directory: Path, *, files: int, size: int, knee: int = 15,
    stream_bandwidth: float = 200e6, latency: float = 0.01, degradation: float = 0.5,
    memory_ratio: float = 0.0, store_name: str = "default", sizes: list[int] | None = None,
) -> list[Path]:
    """Write ``files`` simulated files of ``size`` bytes (or ``sizes``) into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(files):
        file_size = sizes[index] if sizes else size
        header = {
            "format": MAGIC, "store": store_name, "knee": knee,
            "stream_bandwidth": stream_bandwidth, "latency": latency,
            "degradation": degradation, "memory_ratio": memory_ratio, "seed": index,
            "load_case": {"load_case": index + 1},
        }
        line = (json.dumps(header) + "\n").encode("utf-8")
        path = directory / f"SC{index + 1:05d}{SUFFIX}"
        with open(path, "wb") as handle:
            handle.write(line)
            handle.truncate(max(file_size, len(line)))  # sparse where the FS allows
        paths.append(path)
    return paths


def read_header(path: Path) -> dict[str, Any]:
    with open(path, "rb") as handle:
        line = handle.readline(HEADER_LIMIT)
    try:
        header = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        header = None
    if not isinstance(header, dict) or header.get("format") != MAGIC:
        raise ResultFileError("not a simulated-storage (.contention) file: "
                              "its first line is not the JSON header", "open")
    missing = [k for k in ("knee", "stream_bandwidth", "latency", "degradation")
               if k not in header]
    if missing:
        raise ResultFileError(f"simulated-storage header lacks {', '.join(missing)}", "open")
    return header


class ContentionFile(ResultFile):
    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        super().__init__(path)
        self.header = header
        self.memory: np.ndarray | None = None
        rng = np.random.default_rng(int(header.get("seed", 0)))
        self._time = np.linspace(0.0, 100.0, SAMPLES)
        self._signal = np.sin(self._time * 0.7) + 0.1 * rng.standard_normal(SAMPLES)

    def catalogue(self) -> Catalogue:
        return Catalogue([ObjectInfo("Store", "Vessel",
                                     {"Signal": VariableInfo("Signal", "m")})])

    def load_case(self) -> dict:
        return dict(self.header.get("load_case") or {})

    def state(self) -> str:
        return "complete"

    def stages(self) -> list[Stage]:
        return [Stage(0, -10.0, 0.0), Stage(1, 0.0, 100.0)]

    def latest_wave(self):
        return None

    def sample_times(self) -> np.ndarray:
        return self._time

    def raw_time_values(self, obj: str, var: str) -> np.ndarray:
        return self._signal

    def raw_line_values(self, obj: str, var: str):
        raise ResultFileError(f"{obj} is not a line in a simulated-storage file")

    def raw_touchdown(self, obj: str):
        return None

    def raw_static(self, obj: str, var: str):
        return None

    def close(self) -> None:
        self.memory = None


class ContentionSource(Source):
    """SIMULATED storage with a concurrency knee, for testing and benchmarking policies."""

    name = "contention"
    suffixes = (SUFFIX,)

    def open(self, path: Path) -> ResultFile:
        header = read_header(path)
        size = path.stat().st_size
        opened = ContentionFile(path, header)
        time.sleep(float(header["latency"]))
        shared = store(str(header.get("store", "default")))
        with shared.lock:
            shared.readers += 1
            shared.peak_readers = max(shared.peak_readers, shared.readers)
        try:
            chunk = size / CHUNKS
            for _ in range(CHUNKS):
                with shared.lock:
                    bandwidth = shared.bandwidth(header)
                time.sleep(chunk / bandwidth)
        finally:
            with shared.lock:
                shared.readers -= 1
        ratio = float(header.get("memory_ratio", 0.0))
        if ratio > 0:
            opened.memory = np.ones(int(size * ratio) // 8, dtype=np.float64)  # touches pages
        return opened


@hookimpl
def orcapost_register_sources(register):
    register(ContentionSource)
