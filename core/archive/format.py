"""Constants of the archive format (see docs/archive-format.md) and its error."""

from __future__ import annotations

FORMAT_NAME = "orcapost-archive"
#: Bumped on any change a version-1 reader could misread. Readers reject other versions.
FORMAT_VERSION = 1
#: Schema-level metadata key that holds the JSON header.
HEADER_KEY = b"orcapost.archive"
#: The file suffix the archive source claims.
ARCHIVE_SUFFIX = ".arrow"
#: Name of the sample-time column.
TIME_COLUMN = "time"


class ArchiveFormatError(Exception):
    """The file is not an orcapost archive this reader understands."""
