"""statistics over blocks of series (ResultFile.time_history_block, block_statistics): every
value bit for bit what the per-series path gives (compute_statistics on each time_history), and
every failure the same reason, for float32 and float64, short, odd and long series, views and
copies, signed zeros, non-finite samples and results."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from orcapost.archive import Stage
from orcapost.errors import ResultFileError
from orcapost.filtering import filtered_file
from orcapost.finite import SampleGuard
from orcapost.formats import openfast
from orcapost.plugins.extractors.statistics import (
    StatisticsColumn,
    StatisticsExtractor,
    block_statistics,
    compute_statistics,
)
from orcapost.plugins.sources.openfast import OpenFASTResultFile
from orcapost.resultfile import (
    Catalogue,
    ObjectInfo,
    ResultFile,
    SeriesBlock,
    VariableInfo,
    stack_series,
)
from orcapost.schemas.vocabulary import Period

SIMPLE = ["min", "max", "mean", "std", "abs_max", "rms", "range", "p50", "p0", "p100", "p99.9",
          "p2.5"]
EVERYTHING = SIMPLE + ["time_of_max", "time_of_min", "integrated", "skewness", "kurtosis"]
LENGTHS = [1, 2, 7, 8, 9, 127, 128, 129, 801, 6001, 8192, 8193, 20001]


def _bits(value: float) -> bytes:
    return np.float64(value).tobytes()  # -0.0 and 0.0 differ; NaN compares by pattern


def _same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for name in a:
        same = (_bits(a[name]) == _bits(b[name]) if isinstance(a[name], float)
                else a[name] == b[name])
        assert same, (name, a[name], b[name])


def _rows(dtype, n: int, layout: str, seed: int = 3) -> np.ndarray:
    """Five series of ``n`` samples (offset, so the sums round), stored as ``layout``: rows
    of one array (``copy``), columns of a time-major array (``strided``), or a window of
    longer channel-major rows (``window``)."""
    rng = np.random.default_rng(seed)
    data = (rng.standard_normal((5, n + 6)) * [[1], [1e3], [1e-3], [7], [1e6]]
            + [[0], [5e3], [1], [-3], [1e7]]).astype(dtype)
    if layout == "copy":
        return np.ascontiguousarray(data[:, 3:3 + n])
    if layout == "strided":  # block rows that are time-major columns: the block makes them rows
        return np.ascontiguousarray(data.T)[3:3 + n].T
    return data[:, 3:3 + n]


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["copy", "strided", "window"])
@pytest.mark.parametrize("ddof", [0, 1])
def test_a_block_gives_each_row_what_the_row_alone_gives_bit_for_bit(n, dtype, layout, ddof):
    values = _rows(dtype, n, layout)
    time = np.arange(n) * 0.1
    computed = block_statistics(values, SIMPLE, ddof)
    if dtype == np.float32 and n > np.getbufsize():
        # numpy sums a longer float32 series in float64 buffer by buffer: not done in a block
        assert computed is None
        return
    assert computed is not None
    results, exact = computed
    for i in range(values.shape[0]):
        with np.errstate(all="ignore"):  # std of one sample with ddof 1: 0 / 0
            alone = compute_statistics(time, values[i], SIMPLE, ddof)
        if n - ddof <= 0:  # std divides by zero: the row is redone alone, with the warning
            assert not exact[i]
            continue
        assert exact[i]
        _same(dict(zip(SIMPLE, results[i].tolist(), strict=True)), alone)


@pytest.mark.parametrize(("dtype", "n"), [(np.float64, 8), (np.float64, 801),
                                          (np.float64, 8193), (np.float32, 801),
                                          (np.float32, 8192)])  # longer float32: per row
def test_signed_zeros_in_a_column_layout_give_each_rows_own_extremes(dtype, n):
    # min/max of a strided row may pick the other zero of -0.0 and 0.0 than the row alone
    rng = np.random.default_rng(n)
    values = np.asfortranarray(rng.choice([-0.0, 0.0], size=(6, n)).astype(dtype))
    results, exact = block_statistics(values, ["min", "max", "p50"])
    for i in range(values.shape[0]):
        assert exact[i]
        _same(dict(zip(["min", "max", "p50"], results[i].tolist(), strict=True)),
              compute_statistics(np.arange(n) * 0.1, np.ascontiguousarray(values[i]),
                                 ["min", "max", "p50"]))


def test_the_rows_layout_matters_so_the_test_data_would_catch_a_wrong_one():
    # What block_statistics guards against: a block whose rows are not contiguous (an
    # F-ordered copy, what astype keeps of a column layout) is summed across rows, naively,
    # and some rows then differ from the same row summed alone. Were the block path summing
    # such a layout, the bit-for-bit test above would fail on this data.
    values = np.asfortranarray(_rows(np.float64, 801, "copy"))
    naive = np.add.reduce(values, axis=1)
    alone = [np.add.reduce(np.ascontiguousarray(row)) for row in values]
    assert any(a != b for a, b in zip(naive, alone, strict=True))


def test_signed_zeros_and_constant_rows_are_kept_as_the_row_alone_keeps_them():
    values = np.array([[0.0, -0.0, 0.0, -0.0, 0.0], [-0.0] * 5, [0.0, -0.0, -0.0, 0.0, 1.0],
                       [-1.0, -0.0, 0.0, 0.0, -0.0], [2.5] * 5])
    time = np.arange(5.0)
    results, exact = block_statistics(values, SIMPLE)
    assert exact.all()
    for i in range(values.shape[0]):
        _same(dict(zip(SIMPLE, results[i].tolist(), strict=True)),
              compute_statistics(time, values[i], SIMPLE))


def test_rows_with_non_finite_samples_or_results_are_not_exact():
    values = np.array([[1.0, 2.0, 3.0], [1.0, np.nan, 3.0], [np.inf, 0.0, 1.0],
                       [1e308, 1e308, 1e308]])  # the last: finite samples, the sum overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the block itself warns of nothing
        results, exact = block_statistics(values, ["mean", "max"])
    assert exact.tolist() == [True, False, False, False]
    assert results[0].tolist() == [2.0, 3.0]


def test_other_dtypes_are_not_done_in_a_block():
    assert block_statistics(np.ones((2, 4), dtype=np.float16), ["max"]) is None
    assert block_statistics(np.ones((2, 4), dtype=np.int64), ["max"]) is None


# -- the extractor: blocks against the per-series path -----------------------------------------
class MemoryFile(ResultFile):
    """One object of time-domain variables (each in its own dtype) in memory. ``blocks``: hand
    out channel-major rows as OpenFAST does, else the default block (stacked series)."""

    def __init__(self, series: dict[str, np.ndarray], dt: float = 0.1, units: str = "kN",
                 blocks: bool = False) -> None:
        super().__init__(Path("memory"))
        self.series = series
        self.time = np.arange(len(next(iter(series.values())))) * dt
        self.units = units
        self.blocks = blocks
        variables = {name: VariableInfo(name, units) for name in series}
        self._catalogue = Catalogue([ObjectInfo("Vessel", "Vessel", variables)])

    def catalogue(self) -> Catalogue:
        return self._catalogue

    def load_case(self):
        return {}

    def state(self) -> str:
        return "complete"

    def stages(self):
        return [Stage(0, float(self.time[0]), float(self.time[-1]))]

    def latest_wave(self):
        return None

    def sample_times(self) -> np.ndarray:
        return self.time

    def raw_time_values(self, obj: str, var: str) -> np.ndarray:
        return self.series[var]

    def raw_line_values(self, obj, var):
        raise ResultFileError("no lines")

    def raw_touchdown(self, obj):
        return None

    def raw_static(self, obj, var):
        return None

    def time_history_block(self, obj, variables, position, period) -> SeriesBlock:
        if not self.blocks:
            return super().time_history_block(obj, variables, position, period)
        window = self.period_slice(period)
        rows = np.stack([self.series[var] for var in variables])[:, window]
        times = self.time[window]
        return SeriesBlock(times, rows, tuple(variables), (self.units,) * len(variables),
                           tuple(rows.dtype for _ in variables), (times[0], times[-1]))


def per_series(file, column: StatisticsColumn) -> dict:
    """What the statistics extractor returned before blocks: each target read, guarded and
    computed alone (the code of main at b9c9d63)."""
    from orcapost.plugins.extractors.statistics import statistic_unit
    from orcapost.units import with_units

    out, units = {}, {}
    guard = SampleGuard(column)
    for target, names in StatisticsExtractor(column).named_statistics(file, column,
                                                                     column.statistics):
        obj, var = target.obj.name, target.var.name
        series = file.time_history(obj, var, column.position, column.period)
        time, values = guard.series(f"{obj} / {var}", series.time, series.values)
        for statistic, value in compute_statistics(time, values, column.statistics,
                                                   column.ddof).items():
            out[names[statistic]] = value
            units[names[statistic]] = statistic_unit(statistic, target.var.units)
    return with_units(guard.report(out), units)


def _both(file, **options) -> tuple[dict | str, dict | str]:
    column = StatisticsColumn(label="{variable} {statistic}", object="Vessel",
                              **{"variable": "*", **options})
    results = []
    for compute in (lambda: StatisticsExtractor(column).extract(file, column),
                    lambda: per_series(file, column)):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                value = compute()
            results.append((value, sorted(str(w.message) for w in caught)))
        except ResultFileError as exc:
            results.append(f"{type(exc).__name__}: {exc}")
    return results[0], results[1]


def _compare(file, **options) -> None:
    block, alone = _both(file, **options)
    if isinstance(alone, str):
        assert block == alone
        return
    assert block[1] == alone[1]  # the same warnings
    _same({k: v for k, v in block[0].items() if k != "__orcapost_units__"},
          {k: v for k, v in alone[0].items() if k != "__orcapost_units__"})
    assert block[0].get("__orcapost_units__") == alone[0].get("__orcapost_units__")


def _series(n: int = 801, dtype=np.float64, seed: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"C{i}": (rng.standard_normal(n) * 10 ** (i % 4) + i).astype(dtype)
            for i in range(12)}


@pytest.mark.parametrize("blocks", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("statistics", [SIMPLE, EVERYTHING, ["p50"], ["max", "time_of_max"]])
def test_the_extractor_gives_what_each_series_alone_gives(blocks, dtype, statistics):
    file = MemoryFile(_series(dtype=dtype), blocks=blocks)
    _compare(file, statistics=statistics)
    _compare(file, statistics=statistics, period=[10.0, 50.05], ddof=1)


def test_the_block_path_is_the_one_taken(monkeypatch):
    # The comparisons above compare blocks, not the per-series path with itself.
    import orcapost.plugins.extractors.statistics as module

    calls = []
    monkeypatch.setattr(module, "compute_statistics", lambda *a, **k: calls.append(a))
    file = MemoryFile(_series(), blocks=True)
    column = StatisticsColumn(label="{variable} {statistic}", object="Vessel", variable="*",
                              statistics=SIMPLE)
    out = StatisticsExtractor(column).extract(file, column)
    assert calls == [] and len(out) == 12 * len(SIMPLE) + 1  # and the units entry


def test_mixed_dtypes_are_each_computed_in_their_own():
    series = _series()
    for name in ("C2", "C5"):
        series[name] = series[name].astype(np.float32)
    file = MemoryFile(series)
    block = file.time_history_block("Vessel", list(series), None, Period(kind="whole_simulation"))
    assert block.values.dtype == np.float64 and block.dtypes[2] == np.float32
    _compare(file, statistics=SIMPLE)


@pytest.mark.parametrize("policy", ["fail", "omit"])
@pytest.mark.parametrize("blocks", [False, True])
def test_non_finite_samples_fail_or_are_omitted_as_before(policy, blocks):
    series = _series()
    series["C3"][[0, 40, 41]] = np.nan
    series["C7"][-1] = -np.inf
    series["C9"][:] = 1e308  # finite, but its mean overflows: numpy's warning, inf mean
    _compare(MemoryFile(series, blocks=blocks), statistics=SIMPLE, nan_policy=policy)


def test_the_first_failing_series_in_order_says_why():
    series = _series()
    series["C1"][:] = 4.0  # constant: its skewness is undefined
    series["C6"][5] = np.nan
    block, alone = _both(MemoryFile(series, blocks=True), statistics=["max", "skewness"])
    assert block == alone and "C1" not in block and "skewness is undefined" in block
    series["C1"][:] = np.arange(801.0)
    block, alone = _both(MemoryFile(series, blocks=True), statistics=["max", "skewness"])
    assert block == alone and "Vessel / C6: 1 NaN sample" in block


def test_std_of_one_sample_with_ddof_1_warns_as_before():
    _compare(MemoryFile({"A": np.array([1.0]), "B": np.array([2.0])}), statistics=["std"],
             ddof=1)


def test_files_of_other_channels_get_their_own_names_and_units():
    column = StatisticsColumn(label="{variable} {statistic}", object="Vessel", variable="*",
                              statistics=["max", "mean"])
    extractor = StatisticsExtractor(column)
    a = MemoryFile({"A": np.arange(5.0), "B": np.ones(5)}, blocks=True)
    b = MemoryFile({"A": np.arange(5.0), "C": np.full(5, 2.0)}, units="m", blocks=True)
    for file in (a, b, a):
        assert extractor.extract(file, column) == per_series(file, column)


# -- sources and wrappers: a block is what time_history gives, variable by variable ---------
def _openfast_file(tmp_path: Path, file_id, n: int = 301) -> Path:
    rng = np.random.default_rng(11)
    channels = [f"Ch{i}" for i in range(9)]
    output = openfast.OpenFASTOutput(
        time=np.arange(n) * 0.05, channels=channels, units=["kN"] * 9,
        data=np.cumsum(rng.standard_normal((n, 9)), axis=0))
    if file_id == "text":
        return openfast.write_text(tmp_path / "f.out", output)
    return openfast.write_binary(tmp_path / "f.outb", output, file_id=file_id)


@pytest.mark.parametrize("file_id", ["text", *list(openfast.FileFmtID)])
def test_openfast_blocks_are_its_channels_time_histories(tmp_path, file_id):
    file = OpenFASTResultFile(_openfast_file(tmp_path, file_id))
    period = Period(kind="specified", start=1.0, end=9.0)
    for names in (["Ch0", "Ch1", "Ch2"], ["Ch8", "Ch0", "Ch4"], ["Ch5"]):
        block = file.time_history_block("OpenFAST", names, None, period)
        assert block.values.strides[1] == block.values.itemsize
        for row, name in zip(block.values, names, strict=True):
            one = file.time_history("OpenFAST", name, None, period)
            assert np.array_equal(row, one.values) and np.array_equal(block.time, one.time)
            assert block.period == one.period
    with pytest.raises(ResultFileError) as info:
        file.time_history_block("OpenFAST", ["Ch0", "Nope"], None, period)
    with pytest.raises(ResultFileError) as alone:
        file.time_history("OpenFAST", "Nope", None, period)
    assert str(info.value) == str(alone.value)


@pytest.mark.parametrize("file_id", list(openfast.FileFmtID))
def test_binary_openfast_channels_are_read_into_contiguous_rows(tmp_path, file_id):
    path = _openfast_file(tmp_path, file_id)
    out = openfast.read(path)
    assert out.data.shape == (301, 9) and out.data[:, 3].flags.c_contiguous
    file = OpenFASTResultFile(path)
    assert np.shares_memory(file.channel_rows(), file.output.data)  # no second copy


def test_a_filtered_columns_block_is_filtered(tmp_path):
    from orcapost.schemas.filters import SeriesFilter

    file = OpenFASTResultFile(_openfast_file(tmp_path, openfast.FileFmtID.CHAN_LEN_IN))
    column = StatisticsColumn(label="x", object="OpenFAST", variable="*",
                              filter=SeriesFilter(low_pass=2.0))
    view = filtered_file(file, column)
    period = Period(kind="whole_simulation")
    block = view.time_history_block("OpenFAST", ["Ch1", "Ch2"], None, period)
    assert np.array_equal(block.values[1], view.time_history("OpenFAST", "Ch2", None,
                                                             period).values)
    assert not np.array_equal(block.values[1], file.time_history("OpenFAST", "Ch2", None,
                                                                 period).values)


def test_a_block_with_derived_channels_is_their_time_histories(tmp_path):
    from orcapost.derived_file import DerivedChannels, with_derived
    from orcapost.schemas.derived import DerivedChannel

    inner = OpenFASTResultFile(_openfast_file(tmp_path, openfast.FileFmtID.CHAN_LEN_IN))
    file = with_derived(inner, DerivedChannels({"Sum": DerivedChannel.model_validate(
        {"expression": "Ch1 + Ch2", "unit": "kN"})}))
    period = Period(kind="whole_simulation")
    block = file.time_history_block("OpenFAST", ["Ch1", "Sum"], None, period)
    assert np.array_equal(block.values[1], file.time_history("OpenFAST", "Sum", None,
                                                             period).values)
    own = file.time_history_block("OpenFAST", ["Ch1", "Ch2"], None, period)
    assert np.shares_memory(own.values, inner.channel_rows())  # the source's own rows


def test_stack_series_refuses_series_of_other_sample_times():
    from orcapost.resultfile import Series

    a = Series(np.arange(3.0), np.ones(3), "m", (0.0, 2.0))
    b = Series(np.arange(4.0), np.ones(4), "m", (0.0, 3.0))
    with pytest.raises(ResultFileError, match="B: its samples do not share"):
        stack_series(["A", "B"], [a, b])


def test_a_few_targets_are_computed_one_by_one_without_a_block(monkeypatch):
    # One or two series stacked and reduced in chunks cost ~3x their own computation: 5,000
    # tiny archives of one-series columns took 4.6 s of CPU in blocks against 1.4 s alone.
    from orcapost.plugins.extractors.statistics import BLOCK_MIN_ROWS

    series = {name: values for name, values in list(_series().items())[:BLOCK_MIN_ROWS - 1]}
    file = MemoryFile(series, blocks=True)
    monkeypatch.setattr(MemoryFile, "time_history_block",
                        lambda *a, **k: pytest.fail("a block for a few targets"))
    column = StatisticsColumn(label="{variable} {statistic}", object="Vessel", variable="*",
                              statistics=SIMPLE)
    assert StatisticsExtractor(column).extract(file, column) == per_series(file, column)


def test_a_block_larger_than_its_cap_is_computed_one_by_one(monkeypatch):
    # A source without its own block stacks a copy of every series: long series are computed
    # alone, from the source's own arrays (12 x 801 float64 = 77 kB, over a 64 kB cap here).
    from orcapost.plugins.extractors import statistics as statistics_module

    monkeypatch.setattr(statistics_module, "BLOCK_MAX_BYTES", 64 * 1024)
    file = MemoryFile(_series())
    monkeypatch.setattr(MemoryFile, "time_history_block",
                        lambda *a, **k: pytest.fail("a block over its cap"))
    column = StatisticsColumn(label="{variable} {statistic}", object="Vessel", variable="*",
                              statistics=SIMPLE)
    assert StatisticsExtractor(column).extract(file, column) == per_series(file, column)
    monkeypatch.setattr(statistics_module, "BLOCK_MAX_BYTES", 80 * 1024)  # fits: a block
    with pytest.raises(pytest.fail.Exception, match="over its cap"):
        StatisticsExtractor(column).extract(file, column)
