"""Exact, vectorised readers and writers for OpenFAST time-series output (``.out`` / ``.outb``).

Text ``.out`` (written by OpenFAST's ``FAST_InitOutput``)::

    <blank line>
    Predictions were generated on <date> at <time> using OpenFAST ...   <- free description lines
     linked with ...
    <blank line>
    Description from the FAST input file: ...
    <blank line>
    Time<delim>RootMyc1<delim>...                                        <- channel-name line
    (s)<delim>(kN-m)<delim>...                                           <- units line, in ()
    0.0000<delim>1.234E+03<delim>...                                     <- one row per time step

The delimiter is a tab or spaces. The header is located, not counted: the channel-name line is
the first line whose first word is ``Time`` (any case) and that is followed by a ``(``-units line.

Binary ``.outb`` (written by ``WrBinFAST`` in OpenFAST's ``NWTC_IO.f90``), stream access, no
record markers, little-endian on every platform OpenFAST ships for::

    int16    FileID                      1 WithTime, 2 WithoutTime, 3 NoCompressWithoutTime,
                                         4 ChanLen_In
    int16    LenName                     only if FileID == 4 (else LenName = 10)
    int32    NumOutChans                 channels, time excluded
    int32    NT                          time steps
    float64  TimeScl, TimeOff            if FileID == 1
    float64  TimeOut1, TimeIncr          otherwise
    float32  ColScl[NumOutChans]         not if FileID == 3
    float32  ColOff[NumOutChans]         not if FileID == 3
    int32    LenDesc
    uint8    DescStr[LenDesc]
    uint8    ChanName[(NumOutChans+1) * LenName]   time first, space padded
    uint8    ChanUnit[(NumOutChans+1) * LenName]   e.g. "(s)", space padded
    int32    PackedTime[NT]              if FileID == 1
    int16    PackedData[NT * NumOutChans] row-major (time-major); float64 if FileID == 3

Decoding: ``value = (packed - ColOff) / ColScl``; time is ``(PackedTime - TimeOff) / TimeScl``
for FileID 1 and ``TimeOut1 + TimeIncr * k`` otherwise. The writers reproduce ``WrBinFAST``'s
packing, including its float32 arithmetic. Layout, references and the few decisions taken where
the references differ are in ``docs/formats-openfast.md``.
"""

from __future__ import annotations

import codecs
import functools
import re
import struct
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

__all__ = [
    "OPENFAST_TIME_FMT",
    "OPENFAST_VALUE_FMT",
    "BinaryPacking",
    "FileFmtID",
    "OpenFASTFormatError",
    "OpenFASTOutput",
    "OpenFASTWarning",
    "drop_identical_duplicates",
    "read",
    "read_binary",
    "read_text",
    "write_binary",
    "write_text",
]

PathLike = str | Path

#: Formats OpenFAST itself uses in text output (``TimeFrmt = F10.4``, ``OutFmt = ES10.3E2``).
#: They lose digits; the writers default to ``%.17g``, which round-trips float64 exactly.
OPENFAST_TIME_FMT = "%10.4f"
OPENFAST_VALUE_FMT = "%10.3E"

#: How many lines the text reader searches for the channel-name line. OpenFAST writes six
#: header lines; other NWTC drivers a few more.
MAX_HEADER_LINES = 200

# WrBinFAST's packing constants. The "Int32" range really is +-65536, not the int32 range:
# OpenFAST stores time as int32 but scales it onto this narrower range, and we must match it.
_INT16_MIN = np.float32(-32768.0)
_INT16_MAX = np.float32(32767.0)
_INT16_RNG = np.float32(_INT16_MAX - _INT16_MIN)
_TIME_MIN = -65536.0
_TIME_MAX = 65535.0
_TIME_RNG = _TIME_MAX - _TIME_MIN
# ColScl of a constant channel: IntRng / SQRT(EPSILON(1.0_SiKi)), all in single precision.
_CONSTANT_COL_SCALE = np.float32(_INT16_RNG / np.sqrt(np.finfo(np.float32).eps))
_DEFAULT_LEN_NAME = 10

_UNITS_TOKEN = re.compile(r"\([^)]*\)|\S+")
# What np.loadtxt accepts as a float (Python's float() is laxer: it takes "1_000").
_NUMBER = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|inf(?:inity)?)", re.IGNORECASE
)


class FileFmtID(IntEnum):
    """``FileID`` of an OpenFAST binary output file (``FileFmtID_*`` in ``NWTC_IO.f90``)."""

    WITH_TIME = 1  # time packed as int32 with its own scale/offset (variable time step)
    WITHOUT_TIME = 2  # time = TimeOut1 + TimeIncr * k; channel names 10 characters
    NO_COMPRESS_WITHOUT_TIME = 3  # channels stored as float64, no ColScl/ColOff
    CHAN_LEN_IN = 4  # as 2, but the channel-name length is stored (OpenFAST's default)


class OpenFASTWarning(UserWarning):
    """A file that is read, but not as OpenFAST writes it (bytes beyond its header's data,
    identical duplicated channels): the reader says what it did about it."""


class OpenFASTFormatError(ValueError):
    """A file is not a well-formed OpenFAST output file.

    ``path`` and ``reason`` are kept as attributes; ``line`` is the 1-based line number for text
    files when the problem is on one line.
    """

    def __init__(self, path: PathLike, reason: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}" if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class BinaryPacking:
    """Header values of a binary file that say how its values were packed.

    ``col_scale``/``col_offset`` are the stored float32 arrays (``None`` for FileID 3, where the
    reference readers use scale 1 and offset 0). ``time_scale``/``time_offset`` are set for
    FileID 1, ``time_start``/``time_increment`` for the others.
    """

    file_id: FileFmtID
    col_scale: np.ndarray | None
    col_offset: np.ndarray | None
    time_scale: float | None = None
    time_offset: float | None = None
    time_start: float | None = None
    time_increment: float | None = None
    byteorder: Literal["<", ">"] = "<"


@dataclass
class OpenFASTOutput:
    """One OpenFAST output file in memory.

    ``time`` is the first column of the file; ``channels``, ``units`` and ``data`` hold the other
    columns only (``data.shape == (len(time), len(channels))``, float64). Names keep the file's
    exact spelling; units are stored without the surrounding parentheses (``"kN-m"``).
    ``file_format`` is ``"text"``, the binary :class:`FileFmtID`, or ``None`` for data built in
    memory. ``packing`` is set for binary files.
    """

    time: np.ndarray
    channels: list[str]
    units: list[str]
    data: np.ndarray
    description: str = ""
    file_format: Literal["text"] | FileFmtID | None = None
    time_channel: str = "Time"
    time_unit: str = "s"
    packing: BinaryPacking | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.time = np.asarray(self.time, dtype=np.float64)
        self.data = np.asarray(self.data, dtype=np.float64)
        self.channels = [str(c) for c in self.channels]
        self.units = [str(u) for u in self.units]
        if self.time.ndim != 1:
            raise ValueError(f"time must be 1-D, got shape {self.time.shape}")
        if self.data.ndim == 1 and self.data.size == 0:
            self.data = self.data.reshape(self.time.size, len(self.channels))
        if self.data.ndim != 2 or self.data.shape[0] != self.time.size:
            raise ValueError(
                f"data must have shape (len(time), n_channels) = ({self.time.size}, "
                f"{len(self.channels)}), got {self.data.shape}"
            )
        if not (self.data.shape[1] == len(self.channels) == len(self.units)):
            raise ValueError(
                f"{self.data.shape[1]} data columns, {len(self.channels)} channel names and "
                f"{len(self.units)} units must all agree"
            )

    def index(self, name: str) -> int:
        """Column of ``name`` in :attr:`data` (exact, case-sensitive match)."""
        hits = [i for i, c in enumerate(self.channels) if c == name]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise KeyError(f"channel {name!r} appears {len(hits)} times (columns {hits})")
        near = [c for c in self.channels if c.lower() == name.lower()]
        hint = f"; did you mean {near}?" if near else ""
        raise KeyError(f"no channel {name!r}{hint}")

    def channel(self, name: str) -> np.ndarray:
        """Values of one channel by exact name; the time channel's name returns :attr:`time`."""
        if name == self.time_channel and name not in self.channels:
            return self.time
        return self.data[:, self.index(name)]

    def unit(self, name: str) -> str:
        """Unit (without parentheses) of one channel by exact name."""
        if name == self.time_channel and name not in self.channels:
            return self.time_unit
        return self.units[self.index(name)]

    def select(self, names: Sequence[str]) -> OpenFASTOutput:
        """A copy restricted to ``names`` (in that order); time and metadata are kept."""
        cols = [self.index(n) for n in names]
        return OpenFASTOutput(
            time=self.time,
            channels=[self.channels[i] for i in cols],
            units=[self.units[i] for i in cols],
            data=self.data[:, cols],
            description=self.description,
            file_format=self.file_format,
            time_channel=self.time_channel,
            time_unit=self.time_unit,
            packing=self.packing,
        )


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def read(path: PathLike, channels: Sequence[str] | None = None) -> OpenFASTOutput:
    """Read a text or binary OpenFAST output file, chosen by content.

    A binary file starts with its int16 FileID (1..4), i.e. the bytes ``01..04 00``, which no
    text file does. A ``.outb`` whose first bytes are not a FileID is still read as binary so
    the error names the bad FileID rather than a text-parsing symptom.
    """
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(2)
    if _sniff_byteorder(head) is not None or path.suffix.lower() == ".outb":
        return read_binary(path, channels)
    return read_text(path, channels)


def read_text(path: PathLike, channels: Sequence[str] | None = None) -> OpenFASTOutput:
    """Read a text ``.out`` file.

    The numeric block is parsed in one ``np.loadtxt`` call (numpy's C reader, correctly
    rounded), straight from the file. Only if that fails is the block re-scanned line by line, to
    name the first bad line. Blank lines (e.g. trailing) are ignored; ``#`` is not a comment.
    """
    path = Path(path)
    encoding = _text_encoding(path)
    names, units, description, data_start = _scan_text_header(path, encoding)
    n_cols = len(names)
    # An empty data block is valid (a run that stopped at once). loadtxt warns about one, and
    # silencing that with warnings.catch_warnings is not an option: it swaps the process-wide
    # filters and, on worker threads reading other files, puts back another thread's filters
    # for good (tests/test_pywarnings.py). So an empty block is found first, not read.
    if not _data_follows(path, encoding, data_start):
        block = np.empty((0, n_cols))
    else:
        try:
            block = np.loadtxt(
                path,
                dtype=np.float64,
                comments=None,
                skiprows=data_start,
                ndmin=2,
                encoding=encoding,
            )
        except ValueError as exc:
            _diagnose_text_block(path, encoding, data_start, n_cols)
            # The line scan found nothing wrong: pass on numpy's own diagnosis.
            raise OpenFASTFormatError(path, f"numeric block unreadable: {exc}") from exc
    if block.size == 0:
        block = np.empty((0, n_cols))
    if block.shape[1] != n_cols:
        _diagnose_text_block(path, encoding, data_start, n_cols)
        raise OpenFASTFormatError(path, f"rows have {block.shape[1]} values, expected {n_cols}")
    out = OpenFASTOutput(
        time=block[:, 0],
        channels=names[1:],
        units=units[1:],
        data=block[:, 1:],
        description=description,
        file_format="text",
        time_channel=names[0],
        time_unit=units[0],
    )
    return out.select(channels) if channels is not None else out


def read_binary(path: PathLike, channels: Sequence[str] | None = None) -> OpenFASTOutput:
    """Read a binary ``.outb`` file (any FileID 1..4).

    A file shorter than its header implies is refused (truncated). Bytes beyond what the header
    describes are ignored with an :class:`OpenFASTWarning` naming their count, as the reference
    readers (openfast_toolbox, pCrunch) ignore them: OpenFAST's stream access writes none, but
    files copied or concatenated by other tools can carry some. Arrays are read
    with ``np.fromfile`` (no memory map, so no handle outlives the call on Windows). With
    ``channels``, only those columns are converted to float64.
    """
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as f:
        hdr = _read_binary_header(f, path, size)
        fid, bo, n_ch, nt = hdr["file_id"], hdr["byteorder"], hdr["n_ch"], hdr["nt"]
        data_bytes = 8 if fid == FileFmtID.NO_COMPRESS_WITHOUT_TIME else 2
        expected = f.tell() + (4 * nt if fid == FileFmtID.WITH_TIME else 0) + data_bytes * nt * n_ch
        if size < expected:
            raise OpenFASTFormatError(
                path,
                f"file is truncated: {size} bytes, header (FileID {int(fid)}, {n_ch} channels, "
                f"{nt} time steps) implies {expected}",
            )
        if size > expected:
            warnings.warn(OpenFASTWarning(
                f"{path}: {size - expected} bytes beyond what its header describes (FileID "
                f"{int(fid)}, {n_ch} channels, {nt} time steps: {expected} bytes) are ignored"),
                stacklevel=2)
        if fid == FileFmtID.WITH_TIME:
            packed_time = np.fromfile(f, dtype=bo + "i4", count=nt)
        dtype = bo + ("f8" if fid == FileFmtID.NO_COMPRESS_WITHOUT_TIME else "i2")
        packed = np.fromfile(f, dtype=dtype, count=nt * n_ch).reshape(nt, n_ch)

    names, units = hdr["names"], hdr["units"]
    cols: list[int] | slice = slice(None)  # a slice keeps `packed[:, cols]` a view
    if channels is not None:
        probe = OpenFASTOutput(np.empty(0), names[1:], units[1:], np.empty((0, n_ch)))
        cols = [probe.index(c) for c in channels]
    kept = list(range(n_ch)) if isinstance(cols, slice) else cols

    if fid == FileFmtID.WITH_TIME:
        time = (packed_time.astype(np.float64) - hdr["time_offset"]) / hdr["time_scale"]
    else:
        time = hdr["time_start"] + hdr["time_increment"] * np.arange(nt, dtype=np.float64)

    if fid == FileFmtID.NO_COMPRESS_WITHOUT_TIME:
        # Channel by channel in memory, as _unpack_int16 decodes: one native float64 copy
        # (the time-major file layout is not kept; ResultFile.time_history_block reads rows).
        data = packed[:, cols].T.astype(np.float64, order="C").T
        col_scale = col_offset = None
    else:
        col_scale, col_offset = hdr["col_scale"][cols], hdr["col_offset"][cols]
        data = _unpack_int16(packed[:, cols], col_scale, col_offset)

    packing = BinaryPacking(
        file_id=fid,
        col_scale=col_scale,
        col_offset=col_offset,
        time_scale=hdr.get("time_scale"),
        time_offset=hdr.get("time_offset"),
        time_start=hdr.get("time_start"),
        time_increment=hdr.get("time_increment"),
        byteorder=bo,
    )
    return OpenFASTOutput(
        time=time,
        channels=[names[1 + i] for i in kept],
        units=[units[1 + i] for i in kept],
        data=data,
        description=hdr["description"],
        file_format=fid,
        time_channel=names[0],
        time_unit=units[0],
        packing=packing,
    )


def drop_identical_duplicates(out: OpenFASTOutput) -> tuple[OpenFASTOutput, list[str]]:
    """``out`` with every channel named twice or more kept once, when the copies are identical.

    Identical means the same unit and bit-identical values (NaN equal to NaN): OpenFAST writes
    such copies when a channel is listed twice in its OutList, or in two modules' lists.
    Returns the output and the names dropped (empty: ``out`` itself). Copies that differ raise
    :class:`KeyError` naming the columns: which is meant cannot be known, and keeping one would
    silently drop a real channel.
    """
    first: dict[str, int] = {}
    dropped: list[int] = []
    for index, name in enumerate(out.channels):
        if name not in first:
            first[name] = index
            continue
        j = first[name]
        same_unit = out.units[index] == out.units[j]
        a, b = out.data[:, j], out.data[:, index]
        if not (same_unit and np.array_equal(a, b, equal_nan=True)):
            raise KeyError(
                f"channel {name!r} appears twice with different "
                f"{'values' if same_unit else 'units'} (columns {j + 2} and {index + 2}, "
                "time being column 1): rename one in the OpenFAST OutList")
        dropped.append(index)
    if not dropped:
        return out, []
    gone = set(dropped)
    keep = [i for i in range(len(out.channels)) if i not in gone]
    packing = out.packing
    if packing is not None and packing.col_scale is not None and packing.col_offset is not None:
        packing = replace(packing, col_scale=packing.col_scale[keep],
                          col_offset=packing.col_offset[keep])
    kept = OpenFASTOutput(
        time=out.time, channels=[out.channels[i] for i in keep],
        units=[out.units[i] for i in keep], data=out.data[:, keep],
        description=out.description, file_format=out.file_format,
        time_channel=out.time_channel, time_unit=out.time_unit, packing=packing)
    return kept, [out.channels[i] for i in dropped]


def _unpack_int16(packed: np.ndarray, scale: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """``(packed - ColOff) / ColScl`` in float64, as the reference readers do.

    A channel whose scale is 0 or not finite (OpenFAST's comment: "this scaling has issues if
    the channel contains NaN") cannot be decoded; it becomes NaN rather than inf or a fake 0.
    """
    scale64 = scale.astype(np.float64)
    offset64 = offset.astype(np.float64)
    bad = ~np.isfinite(scale64) | (scale64 == 0.0) | ~np.isfinite(offset64)
    scale64[bad] = 1.0
    offset64[bad] = 0.0
    # Decoded channel by channel in memory (each channel's samples contiguous): the same
    # values, element for element, in the layout a reduction over a channel runs fastest and
    # sums pairwise (ResultFile.time_history_block); returned as the (time, channel) view.
    data = packed.T.astype(np.float64, order="C")
    data -= offset64[:, np.newaxis]
    data /= scale64[:, np.newaxis]
    data[bad, :] = np.nan
    return data.T


def _sniff_byteorder(head: bytes) -> Literal["<", ">"] | None:
    """Byte order of a binary file from its first two bytes, or ``None`` if not a FileID."""
    if len(head) < 2:
        return None
    if struct.unpack("<h", head)[0] in tuple(FileFmtID):
        return "<"
    # Files from a big-endian machine (the MATLAB reader's 'native' mode) have it swapped.
    if struct.unpack(">h", head)[0] in tuple(FileFmtID):
        return ">"
    return None


def _read_binary_header(f: BinaryIO, path: Path, size: int) -> dict:
    """Parse the header; leaves ``f`` at the first byte of time/channel data."""

    def take(n: int, what: str) -> bytes:
        # Check against the file size before reading so a corrupt count cannot allocate GBs.
        if n < 0 or f.tell() + n > size:
            raise OpenFASTFormatError(
                path, f"file ends inside the header while reading {what} ({n} bytes needed)"
            )
        return f.read(n)

    head = take(2, "FileID")
    bo = _sniff_byteorder(head)
    if bo is None:
        raise OpenFASTFormatError(
            path,
            f"not an OpenFAST binary file: FileID is {struct.unpack('<h', head)[0]}, "
            f"expected one of {[int(i) for i in FileFmtID]}",
        )
    fid = FileFmtID(struct.unpack(bo + "h", head)[0])
    hdr: dict = {"file_id": fid, "byteorder": bo}
    if fid == FileFmtID.CHAN_LEN_IN:
        len_name = struct.unpack(bo + "h", take(2, "LenName"))[0]
        if len_name < 1:
            raise OpenFASTFormatError(path, f"channel-name length LenName is {len_name}")
    else:
        len_name = _DEFAULT_LEN_NAME
    n_ch, nt = struct.unpack(bo + "ii", take(8, "NumOutChans and NT"))
    if n_ch < 0 or nt < 0:
        raise OpenFASTFormatError(path, f"negative count: NumOutChans={n_ch}, NT={nt}")
    t1, t2 = struct.unpack(bo + "dd", take(16, "time scaling"))
    if fid == FileFmtID.WITH_TIME:
        hdr["time_scale"], hdr["time_offset"] = t1, t2
        if not np.isfinite(t1) or t1 == 0.0:
            raise OpenFASTFormatError(path, f"time scale TimeScl is {t1}")
    else:
        hdr["time_start"], hdr["time_increment"] = t1, t2
    if fid != FileFmtID.NO_COMPRESS_WITHOUT_TIME:
        hdr["col_scale"] = np.frombuffer(take(4 * n_ch, "ColScl"), dtype=bo + "f4").copy()
        hdr["col_offset"] = np.frombuffer(take(4 * n_ch, "ColOff"), dtype=bo + "f4").copy()
    (len_desc,) = struct.unpack(bo + "i", take(4, "LenDesc"))
    hdr["description"] = _decode_ascii(take(len_desc, "DescStr"))
    names_raw = take((n_ch + 1) * len_name, "ChanName")
    units_raw = take((n_ch + 1) * len_name, "ChanUnit")
    hdr["names"], hdr["units"] = (list(part) for part in _names_units(names_raw, units_raw,
                                                                      len_name))
    hdr["n_ch"], hdr["nt"], hdr["len_name"] = n_ch, nt, len_name
    return hdr


@functools.lru_cache(maxsize=16)
def _names_units(names_raw: bytes, units_raw: bytes, len_name: int
                 ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The channel names and units of a header's fixed-width fields, decoded once per header:
    a campaign's files share them (decoding is most of a wide file's header)."""
    names = tuple(_decode_ascii(names_raw[i : i + len_name])
                  for i in range(0, len(names_raw), len_name))
    units = tuple(_strip_parens(_decode_ascii(units_raw[i : i + len_name]))
                  for i in range(0, len(units_raw), len_name))
    return names, units


def _decode_ascii(raw: bytes) -> str:
    # latin-1 never fails; OpenFAST writes ASCII padded with spaces (others pad with NULs).
    return raw.decode("latin-1").strip(" \t\r\n\x00")


def _strip_parens(unit: str) -> str:
    return unit[1:-1].strip() if len(unit) >= 2 and unit[0] == "(" and unit[-1] == ")" else unit


def _text_encoding(path: Path) -> str:
    """ASCII-compatible latin-1 (never fails), unless a byte-order mark says otherwise."""
    with path.open("rb") as f:
        bom = f.read(4)
    if bom.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if bom.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # some Windows tools re-save .out files as UTF-16
    return "latin-1"


def _data_follows(path: Path, encoding: str, data_start: int) -> bool:
    """Whether a non-blank line follows the ``data_start`` header lines (loadtxt skips blank
    lines, so a block of blank lines is empty to it too); reads up to the first such line."""
    with path.open("r", encoding=encoding, newline=None) as f:
        for number, line in enumerate(f):
            if number >= data_start and line.strip():
                return True
    return False


def _scan_text_header(path: Path, encoding: str) -> tuple[list[str], list[str], str, int]:
    """Find the channel-name and units lines.

    Returns names and units (time first), the description (non-blank header lines, stripped,
    joined by newlines) and the number of lines before the numeric block.
    """
    lines: list[str] = []
    with path.open("r", encoding=encoding, newline=None) as f:
        for _ in range(MAX_HEADER_LINES + 2):
            line = f.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
    if not lines:
        raise OpenFASTFormatError(path, "file is empty")

    candidates = [
        i
        for i, ln in enumerate(lines[:MAX_HEADER_LINES])
        if ln.split()[:1] and ln.split()[0].lower() == "time"
    ]
    name_line = units_line = None
    for i in candidates:
        # A description line may also start with "Time": the real one has units below it.
        if i + 1 < len(lines) and lines[i + 1].lstrip().startswith("("):
            name_line, units_line = i, i + 1
            break
    if name_line is None:
        for i in candidates:
            # No units line at all (non-OpenFAST writers): accept "Time" followed by numbers.
            nxt = lines[i + 1].split() if i + 1 < len(lines) else []
            if nxt and _is_number(nxt[0]):
                name_line = i
                break
    if name_line is None:
        raise OpenFASTFormatError(
            path,
            f"no channel-name line (a line starting with 'Time' followed by a units line "
            f"'(s) ...') in the first {min(len(lines), MAX_HEADER_LINES)} lines",
        )

    names = lines[name_line].split()
    if units_line is None:
        units = [""] * len(names)
        data_start = name_line + 1
    else:
        tokens = _UNITS_TOKEN.findall(lines[units_line])
        if len(tokens) != len(names):
            raise OpenFASTFormatError(
                path,
                f"units line has {len(tokens)} entries but the channel-name line "
                f"(line {name_line + 1}) has {len(names)}",
                line=units_line + 1,
            )
        units = [_strip_parens(t) for t in tokens]
        data_start = units_line + 1
    description = "\n".join(s for s in (ln.strip() for ln in lines[:name_line]) if s)
    return names, units, description, data_start


def _is_number(token: str) -> bool:
    return _NUMBER.fullmatch(token) is not None


def _diagnose_text_block(path: Path, encoding: str, data_start: int, n_cols: int) -> None:
    """Raise an :class:`OpenFASTFormatError` naming the first bad line of the numeric block.

    Runs only after the vectorised parse failed, so its per-line loop costs nothing on good
    files. Returns without raising if it finds nothing (the caller then re-raises).
    """
    with path.open("r", encoding=encoding, newline=None) as f:
        for _ in range(data_start):
            f.readline()
        for lineno, line in enumerate(f, start=data_start + 1):
            tokens = line.split()
            if not tokens:
                continue
            if len(tokens) != n_cols:
                raise OpenFASTFormatError(
                    path,
                    f"ragged row: {len(tokens)} values, but the header names {n_cols} "
                    f"channels (Time included)",
                    line=lineno,
                )
            bad = next((i for i, t in enumerate(tokens) if not _is_number(t)), None)
            if bad is not None:
                raise OpenFASTFormatError(
                    path, f"non-numeric value {tokens[bad]!r} in column {bad + 1}", line=lineno
                )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def write_text(
    path: PathLike,
    output: OpenFASTOutput,
    *,
    time_fmt: str = "%.17g",
    value_fmt: str = "%.17g",
    delimiter: str = "\t",
) -> Path:
    """Write ``output`` as a text ``.out`` file laid out as OpenFAST does.

    The defaults (``%.17g``) round-trip float64 exactly; pass :data:`OPENFAST_TIME_FMT` and
    :data:`OPENFAST_VALUE_FMT` to reproduce OpenFAST's own (lossy) number formats. Lines end in
    ``\\n`` on every platform.
    """
    path = Path(path)
    names = [output.time_channel, *output.channels]
    for name in names:
        if not name or any(c.isspace() for c in name):
            raise ValueError(f"channel name {name!r} is empty or contains whitespace")
    if delimiter.strip():
        raise ValueError(f"delimiter must be whitespace, got {delimiter!r}")
    units = [f"({u})" for u in (output.time_unit, *output.units)]
    header = [
        "",
        *output.description.splitlines(),
        "",
        delimiter.join(names),
        delimiter.join(units),
    ]
    row_fmt = delimiter.join([time_fmt] + [value_fmt] * len(output.channels))
    table = np.column_stack([output.time, output.data])
    chunk = 8192  # bound the size of the intermediate string
    with path.open("w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(header) + "\n")
        for start in range(0, table.shape[0], chunk):
            rows = table[start : start + chunk].tolist()
            f.write("\n".join(row_fmt % tuple(r) for r in rows) + "\n")
    return path


def write_binary(
    path: PathLike,
    output: OpenFASTOutput,
    file_id: FileFmtID | int = FileFmtID.CHAN_LEN_IN,
    *,
    dt: float | None = None,
) -> Path:
    """Write ``output`` as a binary ``.outb`` file with the given FileID, as ``WrBinFAST`` does.

    Packing follows OpenFAST's double-precision build (channel data in float64, ColScl/ColOff
    and the packed value rounded to float32, ``NINT`` = round half away from zero). For FileID
    2..4 the time must be uniform: it is stored as ``time[0]`` and ``dt`` (default: derived from
    the first and last time, and checked against every step to 0.1 % of ``dt``). Names longer
    than 10 characters need FileID 4: OpenFAST would truncate them silently, we refuse.
    """
    path = Path(path)
    fid = FileFmtID(file_id)
    time = np.ascontiguousarray(output.time, dtype=np.float64)
    data = np.ascontiguousarray(output.data, dtype=np.float64)
    nt, n_ch = data.shape
    names = [output.time_channel, *output.channels]
    units = [f"({u})" for u in (output.time_unit, *output.units)]

    if fid == FileFmtID.CHAN_LEN_IN:
        len_name = max(1, *(len(s) for s in names + units))
        if len_name > np.iinfo(np.int16).max:
            raise ValueError(f"channel name or unit of {len_name} characters is too long")
    else:
        len_name = _DEFAULT_LEN_NAME
        long = [s for s in names + units if len(s) > len_name]
        if long:
            raise ValueError(
                f"FileID {int(fid)} stores {len_name}-character names; too long: {long}. "
                f"Use FileFmtID.CHAN_LEN_IN."
            )
    packed_names = b"".join(_encode_fixed(s, len_name) for s in names)
    packed_units = b"".join(_encode_fixed(s, len_name) for s in units)
    desc = output.description.rstrip(" ").encode("ascii")  # Fortran LEN_TRIM

    parts: list[bytes] = [struct.pack("<h", fid)]
    if fid == FileFmtID.CHAN_LEN_IN:
        parts.append(struct.pack("<h", len_name))
    parts.append(struct.pack("<ii", n_ch, nt))

    if fid == FileFmtID.WITH_TIME:
        time_scale, time_offset, packed_time = _pack_time(time)
        parts.append(struct.pack("<dd", time_scale, time_offset))
    else:
        time_start, time_increment = _uniform_time(time, dt)
        parts.append(struct.pack("<dd", time_start, time_increment))

    if fid == FileFmtID.NO_COMPRESS_WITHOUT_TIME:
        body = data.astype("<f8", copy=False)
    else:
        col_scale, col_offset, body = _pack_int16(data)
        parts.append(col_scale.astype("<f4").tobytes())
        parts.append(col_offset.astype("<f4").tobytes())
    parts += [struct.pack("<i", len(desc)), desc, packed_names, packed_units]

    with path.open("wb") as f:
        f.write(b"".join(parts))
        if fid == FileFmtID.WITH_TIME:
            packed_time.astype("<i4").tofile(f)
        body.tofile(f)
    return path


def _encode_fixed(text: str, width: int) -> bytes:
    # Fortran CHARACTER(ChanLen) -> IACHAR of each of the first LenName characters: blank padded.
    return text.encode("ascii").ljust(width, b" ")


def _nint(x: np.ndarray) -> np.ndarray:
    """Fortran ``NINT``: round half away from zero (``np.round`` rounds half to even).

    ``x - trunc(x)`` is exact in floating point, so the tie test is exact too.
    """
    x = np.asarray(x, dtype=np.float64)
    whole = np.trunc(x)
    frac = x - whole
    return whole + (frac >= 0.5) - (frac <= -0.5)


def _pack_time(time: np.ndarray) -> tuple[float, float, np.ndarray]:
    """TimeScl, TimeOff and the int32 packed time of FileID 1, in double precision."""
    if time.size == 0:
        return 1.0, _TIME_MIN, np.empty(0, dtype=np.int32)
    if not np.all(np.isfinite(time)):
        raise ValueError("time contains NaN or inf; it cannot be packed")
    t_min, t_max = float(time.min()), float(time.max())
    time_scale = 1.0 if t_max == t_min else _TIME_RNG / (t_max - t_min)
    time_offset = _TIME_MIN - time_scale * t_min
    packed = _nint(np.clip(time_scale * time + time_offset, _TIME_MIN, _TIME_MAX))
    return time_scale, time_offset, packed.astype(np.int32)


def _pack_int16(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ColScl, ColOff (float32) and the row-major int16 packed data of FileIDs 1, 2 and 4."""
    n_ch = data.shape[1]
    if data.shape[0] == 0:
        ones = np.ones(n_ch, dtype=np.float32)
        return ones, np.zeros(n_ch, dtype=np.float32), np.empty((0, n_ch), dtype="<i2")
    if not np.all(np.isfinite(data)):
        bad = [int(i) for i in np.flatnonzero(~np.all(np.isfinite(data), axis=0))]
        raise ValueError(f"channels {bad} contain NaN or inf; OpenFAST's packing cannot store it")
    col_min = data.min(axis=0)
    col_max = data.max(axis=0)
    # REAL(ColMax - ColMin, SiKi): difference in double, then single; the division in single.
    span = (col_max - col_min).astype(np.float32)
    constant = span == 0
    with np.errstate(divide="ignore"):
        col_scale = np.where(constant, _CONSTANT_COL_SCALE, _INT16_RNG / span).astype(np.float32)
    col_offset = (_INT16_MIN - col_scale * col_min.astype(np.float32)).astype(np.float32)
    # REAL(ColScl*x + ColOff, SiKi) with x in double, then MIN/MAX in single, then NINT.
    scaled = col_scale.astype(np.float64) * data + col_offset.astype(np.float64)
    scaled = np.clip(scaled.astype(np.float32), _INT16_MIN, _INT16_MAX)
    return col_scale, col_offset, _nint(scaled).astype("<i2")


def _uniform_time(time: np.ndarray, dt: float | None) -> tuple[float, float]:
    """TimeOut1 and TimeIncr for FileIDs 2..4."""
    if time.size == 0:
        return 0.0, float(dt or 0.0)
    start = float(time[0])
    if dt is not None:
        return start, float(dt)  # the caller vouches for uniform steps
    if time.size == 1:
        return start, 0.0
    incr = (float(time[-1]) - start) / (time.size - 1)
    err = np.max(np.abs(time - (start + incr * np.arange(time.size))))
    if not err <= 1e-3 * abs(incr):
        raise ValueError(
            f"time is not uniform (max deviation {err:g} with step {incr:g}); "
            f"use FileFmtID.WITH_TIME or pass dt="
        )
    return start, incr
