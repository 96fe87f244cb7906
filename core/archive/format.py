"""Constants of the archive format (see docs/archive-format.md) and its error."""

from __future__ import annotations

FORMAT_NAME = "orcapost-archive"
#: Bumped on any change an older reader could misread. Version 2 added per-point series
#: (a variable's ``points``: pipe-wall points, vessel points, ...), which a version-1 reader
#: would silently not see.
FORMAT_VERSION = 2
#: The versions this reader reads (version 1 is version 2 without per-point series).
READABLE_VERSIONS = (1, 2)
#: Schema-level metadata key that holds the JSON header.
HEADER_KEY = b"orcapost.archive"
#: The file suffix the archive source claims.
ARCHIVE_SUFFIX = ".arrow"
#: Name of the sample-time column.
TIME_COLUMN = "time"


class ArchiveFormatError(Exception):
    """The file is not an orcapost archive this reader understands."""
