"""An append-only journal of file results, so a crash or an interruption loses nothing.

Each finished file is appended to ``<output>/orcapost-journal.jsonl`` as one JSON line and
flushed at once. ``orcapost run --resume`` reads it back and skips files whose path, size and
modification time are unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
from orcapost.results import STATUS_FAILED, Failure, FileInfo, FileResult

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
        self._handle = None

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
