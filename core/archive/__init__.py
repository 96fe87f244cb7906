"""The portable result archive: one simulation per Arrow IPC (Feather v2) file.

The format is specified in ``docs/archive-format.md``. :func:`write_archive` writes it,
:class:`Archive` reads it column by column (or memory-maps it: ``memory_map=True``).
"""

from typing import Any

from orcapost.archive.format import (
    ARCHIVE_SUFFIX,
    FORMAT_NAME,
    FORMAT_VERSION,
    HEADER_KEY,
    READABLE_VERSIONS,
    TIME_COLUMN,
    ArchiveFormatError,
)
from orcapost.archive.model import (
    LineVariable,
    ObjectData,
    PointSeries,
    SimulationData,
    Stage,
    TimeVariable,
)

#: Names whose modules import pyarrow (~0.15 s): loaded when first used (PEP 562), so a plugin
#: that only names the archive's suffix or stages does not pay for it.
_LAZY = {"Archive": "orcapost.archive.reader", "write_archive": "orcapost.archive.writer"}

__all__ = [
    "ARCHIVE_SUFFIX",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "READABLE_VERSIONS",
    "HEADER_KEY",
    "TIME_COLUMN",
    "Archive",
    "ArchiveFormatError",
    "LineVariable",
    "ObjectData",
    "PointSeries",
    "SimulationData",
    "Stage",
    "TimeVariable",
    "write_archive",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'orcapost.archive' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
