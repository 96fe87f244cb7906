"""The serial part and Amdahl bound that ``benchmarks/bench_cores.py`` prints beside its
ratios: read from a run report, so a wrong reading would misstate what the target allows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_cores  # noqa: E402
import run_order  # noqa: E402


def _report(tmp_path: Path, rows: list[dict]) -> dict:
    (tmp_path / "orcapost-run.json").write_text(json.dumps({"files": rows}), encoding="utf-8")
    return bench_cores.run_report(tmp_path)


def test_serial_part_reads_start_warm_up_and_tail(tmp_path: Path) -> None:
    began = 1000.0
    rows = [  # out of order, as a report may list them; the first opened pays the warm-up
        {"opened_at": 1001.9, "closed_at": 1002.0, "total": 0.1},
        {"opened_at": 1000.8, "closed_at": 1001.7, "total": 0.9},
        {"opened_at": 1001.7, "closed_at": 1001.8, "total": 0.1},
        {"opened_at": 1001.8, "closed_at": 1001.9, "total": 0.1},
    ]
    start, warm, tail = bench_cores.serial_part(_report(tmp_path, rows), began, wall=2.5)
    assert start == pytest.approx(0.8)
    assert warm == pytest.approx(0.8)
    assert tail == pytest.approx(0.5)


def test_serial_part_of_a_run_without_files_is_all_serial(tmp_path: Path) -> None:
    assert bench_cores.serial_part(_report(tmp_path, []), 0.0, wall=1.5) == (1.5, 0.0, 0.0)


def test_best_ratio_is_amdahls_bound() -> None:
    assert bench_cores.best_ratio(10.0, 0.0, 2) == pytest.approx(2.0)
    assert bench_cores.best_ratio(10.0, 10.0, 2) == pytest.approx(1.0)
    # 20 % serial on 2 cores: 10 / (2 + 4) -- below issue 17's 1.7x whatever the engine does.
    assert bench_cores.best_ratio(10.0, 2.0, 2) == pytest.approx(10 / 6)
    assert bench_cores.best_ratio(10.0, 2.0, 1) == pytest.approx(1.0)


@pytest.mark.parametrize("memory_map", [False, True])
def test_the_benchmark_configs_validate_and_map_only_when_asked(tmp_path: Path, pm,
                                                                 memory_map: bool) -> None:
    """``--memory-map`` compares modes on archives read in place: the config it writes must be
    a valid current config whose archive source maps, and without it the shipped sources."""
    from orcapost.api import load_config

    inputs = tmp_path / "campaign"
    inputs.mkdir()
    path = bench_cores.config_for(inputs, tmp_path / "out", {"name": "threads", "processes": 0},
                                  memory_map=memory_map)
    config = load_config(path, pm.registry).model
    sources = [source.model_dump() for source in config.inputs.sources or ()]
    mapped = [source for source in sources if source.get("memory_map")]
    assert bool(mapped) is memory_map
    assert config.engine.executor.name == "threads"


@pytest.mark.parametrize("count", [2, 3, 4, 5])
def test_the_run_order_has_every_mode_follow_every_other_once(count: int) -> None:
    """Read as a cycle (repeated, and after a warm-up run of its last mode), every ordered pair
    of modes occurs once: no mode always runs after the same other one."""
    order = run_order.balanced_order(count)
    assert len(order) == count * (count - 1)
    pairs = [(order[i - 1], order[i]) for i in range(len(order))]
    assert sorted(pairs) == sorted((a, b) for a in range(count) for b in range(count) if a != b)
    assert all(order.count(mode) == count - 1 for mode in range(count))


def test_serial_budget_is_the_inverse_of_amdahls_bound() -> None:
    """The allowance bench_cores.py sets against the bare process: with exactly that serial
    part, Amdahl's bound is the target; with more, it is below."""
    budget = bench_cores.serial_budget(1.76, 2, 1.7)
    assert budget == pytest.approx(1.76 * 0.15 / 0.7)
    wall = budget + 1.76
    assert bench_cores.best_ratio(wall, budget, 2) == pytest.approx(1.7)
    assert bench_cores.best_ratio(wall + 0.1, budget + 0.1, 2) < 1.7
    assert bench_cores.serial_budget(1.0, 1, 1.7) < 0  # beyond one core whatever the rest
    assert bench_cores.serial_budget(1.0, 2, 1.0) == float("inf")


def test_the_bare_process_runs_and_writes_the_tables(tmp_path: Path) -> None:
    """The floor's script must run as written (a typo would make the floor a failure's time),
    and with a run's tables must write them: a floor that skipped them would be too low."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = tmp_path / "tables"
    tables.mkdir()
    pq.write_table(pa.table({"x": list(range(200_000))}), tables / "big.parquet")
    bare = bench_cores.bare_floor(runs=1)
    assert 0.0 < bare < 60.0
    out = tmp_path / "out"
    assert bench_cores.bare_floor(tables, runs=1, out=out) > 0.0
    assert pq.read_table(out / "big.parquet").equals(pq.read_table(tables / "big.parquet"))
    assert len((out / "big.csv").read_text(encoding="utf-8").splitlines()) == 200_001
    # No tables where a run's should be: the script fails, loudly, rather than time nothing.
    with pytest.raises(subprocess.CalledProcessError):
        bench_cores.bare_floor(tmp_path / "missing", runs=1)
