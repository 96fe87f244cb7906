"""The portable result archive: one simulation per Arrow IPC (Feather v2) file.

The format is specified in ``docs/archive-format.md``. :func:`write_archive` writes it,
:class:`Archive` memory-maps it and hands out zero-copy numpy views.
"""

from orcapost.archive.format import (
    ARCHIVE_SUFFIX,
    FORMAT_NAME,
    FORMAT_VERSION,
    HEADER_KEY,
    ArchiveFormatError,
)
from orcapost.archive.model import LineVariable, ObjectData, SimulationData, Stage, TimeVariable
from orcapost.archive.reader import Archive
from orcapost.archive.writer import write_archive

__all__ = [
    "ARCHIVE_SUFFIX",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "HEADER_KEY",
    "Archive",
    "ArchiveFormatError",
    "LineVariable",
    "ObjectData",
    "SimulationData",
    "Stage",
    "TimeVariable",
    "write_archive",
]
