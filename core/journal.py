"""An append-only journal of file results, so a crash or an interruption loses nothing.

Each finished file is appended to ``<output>/orcapost-journal.jsonl`` as one JSON line and
flushed at once. ``orcapost run --resume`` reads it back and skips files whose path, size and
modification time are unchanged.

:class:`JournalWriter` is the run listener the engine registers for the length of a run: it opens
the journal at ``orcapost_run_start``, appends each file as it is done (not the results replayed
from it) and closes it at ``orcapost_run_finish``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from orcapost.markers import hookimpl
from orcapost.results import (
    STATUS_FAILED,
    Failure,
    FileInfo,
    FileResult,
    RunContext,
    RunSummary,
)

JOURNAL_NAME = "orcapost-journal.jsonl"


def result_to_dict(result: FileResult) -> dict:
    # Shallow on purpose: a result's containers already hold plain data, and
    # dataclasses.asdict deep-copies every value (a third of the coordinator's time per file
    # on campaigns of small files).
    data = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    data["failures"] = [dataclasses.asdict(failure) for failure in result.failures]
    return data


def result_from_dict(data: dict) -> FileResult:
    failures = [Failure(**f) for f in data.pop("failures", [])]
    return FileResult(**data, failures=failures)


class Journal:
    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / JOURNAL_NAME
        self._handle: Any = None

    def completed(self, files: list[FileInfo]) -> dict[str, FileResult]:
        """Results already journaled for these files, unchanged since (failed ones excluded)."""
        if not self.path.is_file():
            return {}
        by_path = {str(f.path): f for f in files}
        done: dict[str, FileResult] = {}
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                file = by_path.get(entry.get("result", {}).get("path"))
                if file is None or entry.get("mtime") != _mtime(file.path):
                    continue
                result = result_from_dict(entry["result"])
                if result.status != STATUS_FAILED and result.size == file.size:
                    done[result.path] = result
        return done

    @property
    def is_open(self) -> bool:
        return self._handle is not None

    def start(self, keep: bool) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self.path, "a" if keep else "w", encoding="utf-8")

    def append(self, result: FileResult) -> None:
        entry = {"mtime": _mtime(Path(result.path)), "result": result_to_dict(result)}
        self._handle.write(json.dumps(entry, default=_json_value) + "\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None


def _json_value(value):
    # Arrays kept in results (e.g. float32 columns of single_precision) as numbers, not text.
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return str(value)


def _mtime(path: Path) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


class JournalWriter:
    """Run listener: every file's result into the journal as it arrives."""

    def __init__(self, directory: Path, *, keep: bool) -> None:
        self.journal = Journal(directory)
        self.keep = keep

    @hookimpl
    def orcapost_run_start(self, context: RunContext) -> None:
        self.journal.start(keep=self.keep)

    @hookimpl
    def orcapost_file_done(self, result: FileResult, replayed: bool) -> None:
        if not replayed:
            self.journal.append(result)

    @hookimpl
    def orcapost_run_finish(self, summary: RunSummary) -> None:
        if not self.journal.is_open:  # the run stopped before it started
            return
        self.journal.close()
        summary.outputs.append(self.journal.path)
