"""Find the result files a config's ``inputs`` section names."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from orcapost.errors import OrcapostError
from orcapost.results import FileInfo


def _matches_any(name: str, patterns: list[str]) -> bool:
    # fnmatch.fnmatch follows the platform's case rules: case-insensitive on Windows.
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def discover(inputs, directory: Path) -> list[FileInfo]:
    """Files under ``directory`` matching ``inputs``, sorted by path for a stable order.

    Files listed explicitly in ``inputs.files`` are kept even if missing: a missing load case
    becomes a failure row rather than silently shrinking the campaign.
    """
    if not directory.is_dir():
        raise OrcapostError(
            f"input directory {directory} does not exist",
            hint="check inputs.directory (relative paths are relative to the config file)",
        )
    found: dict[Path, FileInfo] = {}
    if inputs.files:
        for name in inputs.files:
            path = directory / name
            size = path.stat().st_size if path.is_file() else 0
            found[path] = FileInfo(path, size)
        return list(found.values())
    for pattern in inputs.patterns:
        matches = directory.rglob(pattern) if inputs.recursive else directory.glob(pattern)
        for path in matches:
            # Hidden files include orcapost's own temporary files mid-write.
            if path.name.startswith(".") or not path.is_file():
                continue
            if inputs.include and not _matches_any(path.name, inputs.include):
                continue
            if inputs.exclude and _matches_any(path.name, inputs.exclude):
                continue
            size = path.stat().st_size
            if inputs.min_size is not None and size < inputs.min_size:
                continue
            if inputs.max_size is not None and size > inputs.max_size:
                continue
            found[path] = FileInfo(path, size)
    return sorted(found.values(), key=lambda f: str(f.path))
