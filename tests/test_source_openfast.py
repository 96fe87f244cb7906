"""The OpenFAST source: files the project writes in every format, read back through the source,
and a campaign of them through `orcapost run` with statistics for every channel."""

from __future__ import annotations

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from orcapost.errors import ResultFileError
from orcapost.formats.openfast import FileFmtID, OpenFASTOutput, read, write_binary, write_text
from orcapost.plugins.sources.openfast import OBJECT_NAME, OpenFASTResultFile
from orcapost.resultfile import latest_wave
from orcapost.schemas.vocabulary import Period, Position

CHANNELS = ["GenPwr", "RootMyc1", "PtfmPitch", "Wave1Elev"]
UNITS = ["kW", "kN-m", "deg", "m"]
FORMATS = ["text", *FileFmtID]


def output(seed: int, n: int = 1201, dt: float = 0.05) -> OpenFASTOutput:
    rng = np.random.default_rng(seed)
    time = dt * np.arange(n)
    data = np.column_stack([
        5000.0 + 300.0 * rng.standard_normal(n),
        2.0e4 * np.sin(2 * np.pi * time / 9.0) + 800.0 * rng.standard_normal(n),
        2.5 + 0.8 * np.sin(2 * np.pi * time / 30.0),
        1.2 * np.sin(2 * np.pi * time / 8.0 + seed),
    ])
    return OpenFASTOutput(time=time, channels=list(CHANNELS), units=list(UNITS), data=data,
                          description=f"orcapost test output, seed {seed}")


def write(path, out: OpenFASTOutput, fmt) -> None:
    if fmt == "text":
        write_text(path, out)
    else:
        write_binary(path, out, fmt)


def _name(fmt) -> str:
    return "run.out" if fmt == "text" else f"run_{int(fmt)}.outb"


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f if f == "text" else f"FileFmtID{int(f)}")
def test_every_format_reads_back_as_written(tmp_path, fmt):
    written = output(1)
    path = tmp_path / _name(fmt)
    write(path, written, fmt)
    decoded = read(path)  # what the format gives back (int16 packing rounds values)
    if fmt in ("text", FileFmtID.NO_COMPRESS_WITHOUT_TIME):
        assert np.array_equal(decoded.data, written.data)  # lossless formats: exact
    else:
        span = written.data.max(axis=0) - written.data.min(axis=0)
        assert np.all(np.abs(decoded.data - written.data) <= span / 65535.0 + 1e-9 * span)
    with OpenFASTResultFile(path) as file:
        info = file.catalogue()[OBJECT_NAME]
        assert list(info.variables) == CHANNELS
        assert [v.units for v in info.variables.values()] == UNITS
        assert not any(v.along_line for v in info.variables.values())
        assert np.array_equal(file.sample_times(), decoded.time)
        # FileFmtID 1 packs time into 131071 int32 steps over the record; the others are exact.
        resolution = (written.time[-1] - written.time[0]) / 131071.0
        assert np.allclose(decoded.time, written.time, rtol=0, atol=resolution)
        for index, channel in enumerate(CHANNELS):
            series = file.time_history(OBJECT_NAME, channel, None,
                                       Period.model_validate("whole simulation"))
            assert np.array_equal(series.values, decoded.data[:, index])
            assert series.units == UNITS[index]
        window = file.time_history(OBJECT_NAME, "GenPwr", None, Period.model_validate([10, 20]))
        inside = decoded.time[(decoded.time >= 10.0 - 1e-9) & (decoded.time <= 20.0 + 1e-9)]
        assert np.array_equal(window.time, inside) and inside.size > 150
        assert file.stages()[0].start == written.time[0]
        assert file.latest_wave() == latest_wave(decoded.time, decoded.data[:, 3], after=-np.inf)
        assert file.latest_wave()[1] > 50.0
        assert file.state() == "complete" and file.load_case() == {}


def test_positions_statics_and_bad_files_are_clear_errors(tmp_path):
    path = tmp_path / "run.outb"
    write_binary(path, output(2))
    with OpenFASTResultFile(path) as file:
        with pytest.raises(ResultFileError, match="not a line variable"):
            file.time_history(OBJECT_NAME, "GenPwr", Position.model_validate({"node": 2}),
                              Period.model_validate("whole simulation"))
        with pytest.raises(ResultFileError, match="no static-state value"):
            file.static_value(OBJECT_NAME, "GenPwr", None)
        with pytest.raises(ResultFileError, match="no line variables"):
            file.raw_line_values(OBJECT_NAME, "GenPwr")
    truncated = tmp_path / "cut.outb"
    truncated.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ResultFileError, match="truncated") as info:
        OpenFASTResultFile(truncated)
    assert info.value.stage == "open"


def test_an_openfast_campaign_runs_with_statistics_for_every_channel(tmp_path, run_cli,
                                                                      write_config):
    runs = tmp_path / "runs"
    runs.mkdir()
    written = {}
    for seed, fmt in enumerate(FORMATS, start=1):
        out = output(seed)
        path = runs / f"dlc_{seed}{'.out' if fmt == 'text' else '.outb'}"
        write(path, out, fmt)
        written[path.name] = read(path)
    config = {
        "version": 2,
        "inputs": {"directory": str(runs), "patterns": ["*.out", "*.outb"]},
        "results": {"channels": {"columns": [
            {"label": "{variable} {statistic}", "kind": "statistics", "object": OBJECT_NAME,
             "variable": "*", "statistics": ["min", "max", "mean", "std"]},
            {"label": "power latest wave", "kind": "statistics", "object": OBJECT_NAME,
             "variable": "GenPwr", "period": "latest wave", "statistics": ["mean"]},
        ]}},
        "outputs": {"directory": str(tmp_path / "results"), "formats": ["csv", "parquet"]},
    }
    result = run_cli("run", write_config(config), "--quiet")
    assert result.exit_code == 0, result.output
    # Each column carries its channel's unit from the file's units line (Arrow field metadata).
    schema = pq.read_schema(tmp_path / "results" / "channels.parquet")
    for channel, unit in zip(CHANNELS, UNITS, strict=True):
        for statistic in ("min", "max", "mean", "std"):
            assert schema.field(f"{channel} {statistic}").metadata[b"unit"] == unit.encode()
    rows = pacsv.read_csv(tmp_path / "results" / "channels.csv").to_pylist()
    assert sorted(r["file"] for r in rows) == sorted(written)
    for row in rows:
        assert row["status"] == "ok"
        decoded = written[row["file"]]
        for index, channel in enumerate(CHANNELS):
            values = decoded.data[:, index]
            assert row[f"{channel} min"] == pytest.approx(values.min(), rel=1e-12)
            assert row[f"{channel} max"] == pytest.approx(values.max(), rel=1e-12)
            assert row[f"{channel} mean"] == pytest.approx(values.mean(), rel=1e-12)
            assert row[f"{channel} std"] == pytest.approx(values.std(), rel=1e-9)
        t0, t1 = latest_wave(decoded.time, decoded.data[:, 3], after=-np.inf)
        inside = (decoded.time >= t0 - 1e-9) & (decoded.time <= t1 + 1e-9)
        assert row["power latest wave"] == pytest.approx(decoded.data[inside, 0].mean(),
                                                         rel=1e-12)


def test_openfast_files_export_to_archives_with_the_same_values(tmp_path, pm):
    from click.testing import CliRunner
    from orcapost.cli import cli
    from orcapost.plugins.sources.archive import ArchiveResultFile

    path = tmp_path / "dlc.outb"
    write_binary(path, output(5), FileFmtID.WITH_TIME)
    pm.hook.orcapost_register_commands(cli=cli)
    result = CliRunner().invoke(cli, ["export", str(path), "--output", str(tmp_path / "out"),
                                      "--quiet"], obj={"pm": pm}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    whole = Period.model_validate("whole simulation")
    with OpenFASTResultFile(path) as original, \
            ArchiveResultFile(tmp_path / "out" / "dlc.arrow") as archive:
        assert list(archive.catalogue()[OBJECT_NAME].variables) == CHANNELS
        assert archive.latest_wave() == original.latest_wave()
        for channel in CHANNELS:
            a = original.time_history(OBJECT_NAME, channel, None, whole)
            b = archive.time_history(OBJECT_NAME, channel, None, whole)
            assert np.array_equal(a.time, b.time) and np.array_equal(a.values, b.values)
            assert a.units == b.units
