"""Round trips, hand-assembled files and malformed inputs for ``orcapost.formats.openfast``.

Tolerances for packed formats are derived from the format (see ``int16_bound``), never picked.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from orcapost.formats import openfast as of
from orcapost.formats.openfast import FileFmtID, OpenFASTFormatError, OpenFASTOutput

NAMES = ["RootMyc1", "TwrBsMyt", "GenPwr", "PtfmSurge", "Wave1Elev", "BldPitch1"]
UNITS = ["kN-m", "kN-m", "kW", "m", "m", "deg"]


def make_output(n: int = 2001, dt: float = 0.05, t0: float = 30.0) -> OpenFASTOutput:
    """Channels shaped like real ones, including the awkward cases for int16 packing."""
    rng = np.random.default_rng(20240601)
    time = t0 + dt * np.arange(n)
    w = 2 * np.pi / 11.0
    data = np.column_stack(
        [
            8.0e3 * np.sin(w * time) + 1.5e3 * rng.standard_normal(n),  # large, zero-mean
            -2.0e4 + 3.0e3 * np.cos(0.3 * w * time),  # large offset
            np.full(n, 5000.0),  # constant channel: WrBinFAST's special scale
            12.0 + 1e-3 * rng.standard_normal(n),  # tiny variation on an offset
            1.7 * np.sin(w * time + 0.3),
            np.where(time > t0 + 40.0, 12.5, 0.0),  # step
        ]
    )
    return OpenFASTOutput(
        time=time,
        channels=list(NAMES),
        units=list(UNITS),
        data=data,
        description="Predictions were generated on 01-Jun-2024 at 12:00:00 using OpenFAST",
    )


def raw_scales(path: Path, n_ch: int) -> tuple[np.ndarray, np.ndarray]:
    """ColScl and ColOff straight from the bytes, independently of the reader."""
    raw = path.read_bytes()
    (fid,) = struct.unpack_from("<h", raw, 0)
    pos = 2 + (2 if fid == 4 else 0) + 8 + 16
    scl = np.array(struct.unpack_from(f"<{n_ch}f", raw, pos), dtype=np.float32)
    off = np.array(struct.unpack_from(f"<{n_ch}f", raw, pos + 4 * n_ch), dtype=np.float32)
    return scl, off


def int16_bound(scale: np.ndarray, offset: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per-channel bound on |decoded - written| for int16 packing with the stored scale/offset.

    WrBinFAST stores p = NINT(clip(float32(s*x + o))), the reader returns (p - o)/s, so
    |decoded - x| = |p - (s*x + o)| / s, and |p - y| is at most
    0.5 (NINT) + the float32 rounding of y + how far y overshoots the int16 range (clipping),
    plus a few float64 roundings of the decode itself.
    """
    s = scale.astype(np.float64)
    o = offset.astype(np.float64)
    y = s * values + o
    y32 = y.astype(np.float32).astype(np.float64)
    rounding = np.abs(y32 - y).max(axis=0)
    overshoot = np.maximum(0.0, np.maximum(y32.max(axis=0) - 32767.0, -32768.0 - y32.min(axis=0)))
    decode = 4 * np.spacing(np.abs(values).max(axis=0))
    return (0.5 + rounding + overshoot) / s + decode


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------


def test_text_round_trip_is_exact(tmp_path: Path) -> None:
    out = make_output()
    path = of.write_text(tmp_path / "run.out", out)
    back = of.read(path)
    assert back.file_format == "text"
    assert back.channels == NAMES and back.units == UNITS
    assert back.time_channel == "Time" and back.time_unit == "s"
    assert back.description == out.description
    assert np.array_equal(back.time, out.time)
    assert np.array_equal(back.data, out.data)
    assert back.data.dtype == np.float64 and back.data.shape == (2001, len(NAMES))


def test_text_with_openfast_number_formats_is_within_print_precision(tmp_path: Path) -> None:
    out = make_output(n=301)
    path = of.write_text(
        tmp_path / "run.out",
        out,
        time_fmt=of.OPENFAST_TIME_FMT,
        value_fmt=of.OPENFAST_VALUE_FMT,
    )
    back = of.read_text(path)
    # F10.4: half a unit of the 4th decimal. ES10.3: half a unit of the 4th significant digit.
    assert np.all(np.abs(back.time - out.time) <= 0.5e-4 + np.spacing(out.time))
    x = out.data
    with np.errstate(divide="ignore"):
        exponent = np.floor(np.log10(np.abs(x)))
    half_ulp = np.where(x == 0, 0.0, 0.5 * 10.0 ** (exponent - 3))
    assert np.all(np.abs(back.data - x) <= half_ulp * (1 + 1e-12))


def test_text_header_is_located_not_counted(tmp_path: Path) -> None:
    # Like an OpenFAST file, plus: CRLF, mixed tabs/spaces, a description line that starts with
    # "Time", a unit containing a space, blank lines at the end.
    text = (
        "\r\n"
        "Predictions were generated on 01-Jun-2024 at 12:00:00 using OpenFAST, v3.5.0\r\n"
        " linked with  NWTC Subroutine Library\r\n"
        "\r\n"
        "Time series of the design load case 1.2\r\n"
        "\r\n"
        "Time      \tRootMyc1  \t   GenPwr\r\n"
        "(s)  \t(kN m)\t(kW)\r\n"
        "  0.0000\t 1.250E+03\t-2.000E-01\r\n"
        "  0.0500 \t1.300E+03  \t 4.000E+03\r\n"
        "\r\n"
        "\r\n"
    )
    path = tmp_path / "hdr.out"
    path.write_bytes(text.encode("ascii"))
    out = of.read(path)
    assert out.channels == ["RootMyc1", "GenPwr"]
    assert out.units == ["kN m", "kW"]
    assert out.description.splitlines() == [
        "Predictions were generated on 01-Jun-2024 at 12:00:00 using OpenFAST, v3.5.0",
        "linked with  NWTC Subroutine Library",
        "Time series of the design load case 1.2",
    ]
    assert np.array_equal(out.time, [0.0, 0.05])
    assert np.array_equal(out.data, [[1250.0, -0.2], [1300.0, 4000.0]])


def test_text_utf16_and_header_only(tmp_path: Path) -> None:
    text = "Time\tA\n(s)\t(m)\n0\t1\n1\t2\n"
    utf16 = tmp_path / "u16.out"
    utf16.write_bytes(text.encode("utf-16"))
    assert np.array_equal(of.read(utf16).data, [[1.0], [2.0]])

    empty = tmp_path / "empty_block.out"
    empty.write_text("Time\tA\n(s)\t(m)\n\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = of.read(empty)
    assert out.time.shape == (0,) and out.data.shape == (0, 1)


def test_text_without_units_line(tmp_path: Path) -> None:
    # Not OpenFAST's layout, but other writers omit units: "Time" followed by numbers.
    path = tmp_path / "nounits.out"
    path.write_text("some tool\nTime GenPwr\n0 1.5\n0.1 2.5\n")
    out = of.read(path)
    assert out.channels == ["GenPwr"] and out.units == [""] and out.time_unit == ""
    assert np.array_equal(out.data[:, 0], [1.5, 2.5]) and out.description == "some tool"


def test_read_channel_subset(tmp_path: Path) -> None:
    out = make_output(n=50)
    for path in (
        of.write_text(tmp_path / "s.out", out),
        of.write_binary(tmp_path / "s.outb", out, FileFmtID.NO_COMPRESS_WITHOUT_TIME),
        of.write_binary(tmp_path / "s4.outb", out, FileFmtID.CHAN_LEN_IN),
    ):
        sub = of.read(path, channels=["GenPwr", "RootMyc1"])
        full = of.read(path)
        assert sub.channels == ["GenPwr", "RootMyc1"] and sub.units == ["kW", "kN-m"]
        assert np.array_equal(sub.data, full.data[:, [2, 0]])
        if sub.packing is not None and sub.packing.col_scale is not None:
            assert np.array_equal(sub.packing.col_scale, full.packing.col_scale[[2, 0]])


# ---------------------------------------------------------------------------------------------
# Binary, through the writers
# ---------------------------------------------------------------------------------------------


def test_binary_id3_round_trip_is_exact(tmp_path: Path) -> None:
    out = make_output()
    path = of.write_binary(tmp_path / "run.outb", out, FileFmtID.NO_COMPRESS_WITHOUT_TIME, dt=0.05)
    back = of.read(path)
    assert back.file_format == FileFmtID.NO_COMPRESS_WITHOUT_TIME
    assert back.channels == NAMES and back.units == UNITS and back.description == out.description
    assert np.array_equal(back.data, out.data)
    assert np.array_equal(back.time, out.time)  # both are t0 + dt * arange(n)
    assert back.packing.col_scale is None and back.packing.time_increment == 0.05


@pytest.mark.parametrize("file_id", [FileFmtID.WITHOUT_TIME, FileFmtID.CHAN_LEN_IN])
def test_binary_packed_round_trip_within_int16_bound(tmp_path: Path, file_id: FileFmtID) -> None:
    out = make_output()
    path = of.write_binary(tmp_path / "run.outb", out, file_id, dt=0.05)
    back = of.read(path)
    assert back.file_format == file_id
    assert back.channels == NAMES and back.units == UNITS
    assert np.array_equal(back.time, out.time)
    scale, offset = raw_scales(path, len(NAMES))
    assert np.array_equal(back.packing.col_scale, scale)
    assert np.array_equal(back.packing.col_offset, offset)
    bound = int16_bound(scale, offset, out.data)
    err = np.abs(back.data - out.data).max(axis=0)
    assert np.all(err <= bound), (err, bound)
    # The bound is meaningful: a varying channel resolves 1/65535 of its range.
    span = np.ptp(out.data[:, 0])
    assert bound[0] < span / 65535 * 1.01


def test_binary_id1_time_and_channels_within_bound(tmp_path: Path) -> None:
    out = make_output()
    # Variable time step, which is what FileID 1 exists for.
    out.time = out.time + 0.01 * np.sin(np.arange(out.time.size))
    path = of.write_binary(tmp_path / "run.outb", out, FileFmtID.WITH_TIME)
    back = of.read(path)
    assert back.file_format == FileFmtID.WITH_TIME
    # Time is scaled onto WrBinFAST's [-65536, 65535]: TimeScl = 131071 / (tmax - tmin).
    time_scale = 131071.0 / (out.time.max() - out.time.min())
    assert back.packing.time_scale == pytest.approx(time_scale, rel=1e-15)
    time_bound = 0.5 / time_scale + 4 * np.spacing(np.abs(out.time).max())
    assert np.abs(back.time - out.time).max() <= time_bound
    bound = int16_bound(back.packing.col_scale, back.packing.col_offset, out.data)
    assert np.all(np.abs(back.data - out.data).max(axis=0) <= bound)


def test_writer_packs_like_wrbinfast(tmp_path: Path) -> None:
    """Scale/offset formulas and the int16 extremes, checked on the raw bytes."""
    time = np.arange(5) * 0.1
    data = np.array([[-3.0, 7.0], [1.0, 7.0], [2.5, 7.0], [4.0, 7.0], [9.0, 7.0]])
    out = OpenFASTOutput(time, ["A", "B"], ["m", "m"], data)
    path = of.write_binary(tmp_path / "p.outb", out, FileFmtID.WITHOUT_TIME)
    scale, offset = raw_scales(path, 2)
    f32 = np.float32
    expected_scale = f32(65535.0) / f32(9.0 - -3.0)
    assert scale[0] == expected_scale
    assert offset[0] == f32(-32768.0) - expected_scale * f32(-3.0)
    # Constant channel: IntRng / SQRT(EPSILON(1.0_SiKi)) in single precision.
    assert scale[1] == f32(65535.0) / np.sqrt(np.finfo(np.float32).eps)
    packed = np.frombuffer(path.read_bytes()[-2 * data.size :], dtype="<i2").reshape(5, 2)
    assert packed[:, 0].min() == -32768 and packed[:, 0].max() == 32767
    assert packed[0, 0] == -32768 and packed[4, 0] == 32767


def test_nint_rounds_half_away_from_zero() -> None:
    x = np.array([0.5, -0.5, 1.5, 2.5, -2.5, 0.49999999999999994, -1.2, 32766.5])
    assert np.array_equal(of._nint(x), [1, -1, 2, 3, -3, 0, -1, 32767])


# ---------------------------------------------------------------------------------------------
# Binary, assembled by hand from the spec (independent of the writer)
# ---------------------------------------------------------------------------------------------


def _names(names: list[str], width: int) -> bytes:
    return b"".join(n.encode("ascii").ljust(width) for n in names)


def test_hand_assembled_id4(tmp_path: Path) -> None:
    names = ["Time", "RootMyc1", "TwrBsMyt", "GenPwr"]
    units = ["(s)", "(kN-m)", "(kN-m)", "(kW)"]
    len_name, n_ch, nt = 12, 3, 3  # wider than needed: the reader must use the stored length
    scl = [2.0, 0.5, 100.0]
    off = [10.0, -4.0, 0.0]
    packed = [[12, -4, 100], [-32768, 32767, 0], [10, 0, -100]]
    desc = b"Predictions were generated on hand"
    raw = (
        struct.pack("<h", 4)
        + struct.pack("<h", len_name)
        + struct.pack("<ii", n_ch, nt)
        + struct.pack("<dd", 10.0, 0.25)
        + struct.pack("<3f", *scl)
        + struct.pack("<3f", *off)
        + struct.pack("<i", len(desc))
        + desc
        + _names(names, len_name)
        + _names(units, len_name)
        + struct.pack("<9h", *(v for row in packed for v in row))
    )
    path = tmp_path / "hand4.outb"
    path.write_bytes(raw)
    out = of.read(path)
    assert out.file_format == FileFmtID.CHAN_LEN_IN
    assert out.description == desc.decode()
    assert out.time_channel == "Time" and out.time_unit == "s"
    assert out.channels == names[1:] and out.units == ["kN-m", "kN-m", "kW"]
    assert np.array_equal(out.time, [10.0, 10.25, 10.5])
    # (packed - ColOff) / ColScl, by hand.
    expected = [[1.0, 0.0, 1.0], [-16389.0, 65542.0, 0.0], [0.0, 8.0, -1.0]]
    assert np.array_equal(out.data, expected)
    assert np.array_equal(out.channel("TwrBsMyt"), [0.0, 65542.0, 8.0])
    assert np.array_equal(out.channel("Time"), out.time)


def test_hand_assembled_id1_big_endian_identity_scaling(tmp_path: Path) -> None:
    # ColScl = 1, ColOff = 0: the identity, values are the stored integers.
    raw = (
        struct.pack(">h", 1)
        + struct.pack(">ii", 1, 3)
        + struct.pack(">dd", 4.0, -2.0)  # TimeScl, TimeOff
        + struct.pack(">f", 1.0)
        + struct.pack(">f", 0.0)
        + struct.pack(">i", 0)
        + _names(["Time", "Wave1Elev"], 10)
        + _names(["(s)", "(m)"], 10)
        + struct.pack(">3i", -2, 2, 10)
        + struct.pack(">3h", -7, 0, 32767)
    )
    path = tmp_path / "hand1.outb"
    path.write_bytes(raw)
    out = of.read(path)
    assert out.file_format == FileFmtID.WITH_TIME and out.packing.byteorder == ">"
    assert np.array_equal(out.time, [0.0, 1.0, 3.0])  # (packed - TimeOff) / TimeScl
    assert np.array_equal(out.channel("Wave1Elev"), [-7.0, 0.0, 32767.0])
    assert out.units == ["m"] and out.description == ""


def test_hand_assembled_id3_float64(tmp_path: Path) -> None:
    values = np.array([[0.1, -1e300], [np.pi, 5e-324]])
    raw = (
        struct.pack("<h", 3)
        + struct.pack("<ii", 2, 2)
        + struct.pack("<dd", 0.0, 0.0125)
        + struct.pack("<i", 3)
        + b"abc"
        + _names(["Time", "A", "B"], 10)
        + _names(["(s)", "(-)", "(-)"], 10)
        + values.astype("<f8").tobytes()
    )
    path = tmp_path / "hand3.outb"
    path.write_bytes(raw)
    out = of.read(path)
    assert np.array_equal(out.data, values) and np.array_equal(out.time, [0.0, 0.0125])
    assert out.units == ["-", "-"] and out.description == "abc"


def test_undecodable_channel_scale_gives_nan_without_warnings(tmp_path: Path) -> None:
    raw = (
        struct.pack("<h", 2)
        + struct.pack("<ii", 3, 2)
        + struct.pack("<dd", 0.0, 1.0)
        + struct.pack("<3f", 0.0, float("nan"), 2.0)
        + struct.pack("<3f", 0.0, float("nan"), 0.0)
        + struct.pack("<i", 0)
        + _names(["Time", "A", "B", "C"], 10)
        + _names(["(s)", "(m)", "(m)", "(m)"], 10)
        + struct.pack("<6h", 1, 2, 3, 4, 5, 6)
    )
    path = tmp_path / "nan.outb"
    path.write_bytes(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = of.read(path)
    assert np.all(np.isnan(out.data[:, :2]))
    assert np.array_equal(out.data[:, 2], [1.5, 3.0])


def test_read_picks_binary_by_content(tmp_path: Path) -> None:
    out = make_output(n=20)
    path = of.write_binary(tmp_path / "misnamed.out", out, FileFmtID.NO_COMPRESS_WITHOUT_TIME)
    assert of.read(path).file_format == FileFmtID.NO_COMPRESS_WITHOUT_TIME
    txt = of.write_text(tmp_path / "plain.txt", out)
    assert of.read(txt).file_format == "text"


# ---------------------------------------------------------------------------------------------
# Malformed input
# ---------------------------------------------------------------------------------------------

HEADER = "\nPredictions were generated on X\n\nTime\tA\tB\n(s)\t(m)\t(m)\n"  # data from line 6


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("0 1 2\n1 2\n2 3 4\n", 7, ["ragged row", "2 values", "3 channels"]),
        ("0 1 2\n1 2 3 4\n", 7, ["ragged row", "4 values"]),
        ("0 1 2\n\n1 abc 3\n", 8, ["non-numeric", "'abc'", "column 2"]),
        ("0 1 2\n1 ********** 3\n", 7, ["non-numeric", "'**********'"]),
        ("0 1 2\n1 1_000 3\n", 7, ["non-numeric", "'1_000'"]),
        ("0 1\n1 2\n", 6, ["ragged row", "2 values"]),  # consistent, but one column short
    ],
)
def test_malformed_text_rows_name_file_and_line(
    tmp_path: Path, body: str, line: int, words: list[str]
) -> None:
    path = tmp_path / "bad.out"
    path.write_text(HEADER + body)
    with pytest.raises(OpenFASTFormatError) as info:
        of.read(path)
    err = info.value
    assert err.path == path and err.line == line
    message = str(err)
    assert str(path) in message and f"line {line}" in message
    for word in words:
        assert word in message


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", ["empty"]),
        ("hello\nworld\n1 2 3\n", ["no channel-name line", "'Time'"]),
        ("Time\tA\tB\n(s)\t(m)\n0 1 2\n", ["units line has 2 entries", "has 3"]),
    ],
)
def test_malformed_text_header(tmp_path: Path, content: str, words: list[str]) -> None:
    path = tmp_path / "bad.out"
    path.write_text(content)
    with pytest.raises(OpenFASTFormatError) as info:
        of.read_text(path)
    assert str(path) in str(info.value)
    for word in words:
        assert word in str(info.value)


def _valid_id2(tmp_path: Path) -> bytes:
    out = OpenFASTOutput(np.arange(4.0), ["A"], ["m"], np.arange(4.0)[:, None])
    return of.write_binary(tmp_path / "ok.outb", out, FileFmtID.WITHOUT_TIME).read_bytes()


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda raw: struct.pack("<h", 7) + raw[2:], ["FileID is 7", "expected one of"]),
        (lambda raw: raw[:-1], ["truncated", "implies"]),
        (lambda raw: raw[:20], ["ends inside the header", "time scaling"]),
        (lambda raw: raw[:2] + struct.pack("<i", -1) + raw[6:], ["negative count"]),
        (lambda raw: raw[:2] + struct.pack("<i", 10**9) + raw[6:], ["ends inside the header"]),
    ],
)
def test_malformed_binary(tmp_path: Path, mutate, words: list[str]) -> None:
    path = tmp_path / "bad.outb"
    path.write_bytes(mutate(_valid_id2(tmp_path)))
    with pytest.raises(OpenFASTFormatError) as info:
        of.read(path)
    assert str(path) in str(info.value)
    for word in words:
        assert word in str(info.value)


# ---------------------------------------------------------------------------------------------
# Writer and container guards
# ---------------------------------------------------------------------------------------------


def test_writer_refuses_what_the_format_cannot_hold(tmp_path: Path) -> None:
    out = make_output(n=10)
    long = OpenFASTOutput(out.time, ["RotorTorqueLSS"], ["kN-m"], out.data[:, :1])
    with pytest.raises(ValueError, match="CHAN_LEN_IN"):
        of.write_binary(tmp_path / "x.outb", long, FileFmtID.WITHOUT_TIME)
    assert of.read(of.write_binary(tmp_path / "y.outb", long)).channels == ["RotorTorqueLSS"]

    uneven = OpenFASTOutput(out.time**2, out.channels, out.units, out.data)
    with pytest.raises(ValueError, match="not uniform"):
        of.write_binary(tmp_path / "x.outb", uneven, FileFmtID.CHAN_LEN_IN)

    nan = OpenFASTOutput(out.time, ["A"], ["m"], np.full((10, 1), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        of.write_binary(tmp_path / "x.outb", nan, FileFmtID.CHAN_LEN_IN)
    exact = of.write_binary(tmp_path / "n.outb", nan, FileFmtID.NO_COMPRESS_WITHOUT_TIME)
    assert np.all(np.isnan(of.read(exact).data))

    spaced = OpenFASTOutput(out.time, ["Gen Pwr"], ["kW"], out.data[:, :1])
    with pytest.raises(ValueError, match="whitespace"):
        of.write_text(tmp_path / "x.out", spaced)


def test_output_container_checks_and_lookup() -> None:
    with pytest.raises(ValueError, match="must all agree"):
        OpenFASTOutput(np.arange(3.0), ["A", "B"], ["m"], np.zeros((3, 2)))
    with pytest.raises(ValueError, match="shape"):
        OpenFASTOutput(np.arange(3.0), ["A"], ["m"], np.zeros((4, 1)))
    out = make_output(n=5)
    assert out.unit("GenPwr") == "kW" and out.unit("Time") == "s"
    with pytest.raises(KeyError, match="did you mean"):
        out.channel("genpwr")
    dup = OpenFASTOutput(np.arange(2.0), ["A", "A"], ["m", "m"], np.zeros((2, 2)))
    with pytest.raises(KeyError, match="appears 2 times"):
        dup.channel("A")
