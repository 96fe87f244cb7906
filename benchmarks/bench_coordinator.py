"""Benchmark: the coordinator's own work -- journal, tables, sinks, run report -- side by side.

Run: ``python benchmarks/bench_coordinator.py [--config CFG] [--formats csv,parquet]
[--tiny-files 5000] [--columns 2000] [--files 400] [--repeat 5] [--data DIR]
[--python OTHER_PYTHON ...]``

Three figures (issue 17: "tables are built once, column-wise in Arrow, linear in rows x columns
(a 2,000-column table <= 1 s)"; "one journal write per batch"), each the median of ``--repeat``
interleaved rounds, each round a fresh child process per interpreter:

- **campaign** (``--config``, e.g. the 276-channel OpenFAST campaign's
  ``/tmp/pcb/orcapost-276.yml``; copied, its output pointed at a temporary folder and its
  ``outputs.formats`` set to ``--formats``): ``orcapost run --threads 1`` in the child, with the
  coordinator thread's CPU time (``time.thread_time``) of (a) the journal: every file's entry
  and every write, and (b) the work after the last file: the tables, every sink, the run
  report. Targets: journal <= 0.1 s in all, after the last file <= 0.3 s. The modules a run
  imports first after its last file (``pyarrow.compute``, ``pyarrow.parquet``: any version
  does) are imported before the run and timed apart (``first_imports_s``).
- **wide table**: a group table of ``--columns`` float columns x ``--files`` files built as a
  run builds it (names checked, tables listed, the table built). Target: well under 1 s.
- **tiny files**: the journal's CPU time per file on ``--tiny-files`` archives of about 10 KB
  (``bench_core.py``'s tiny campaign, written once under ``--data``), the engine's defaults.
  Target: <= 20 us per file.

``--python`` adds interpreters of other checkouts (e.g. the previous main's virtualenv): each is
measured in the same interleaved rounds and printed beside this checkout's, with the ratio. The
child timing hooks wrap methods every version has (``JournalWriter``'s ``orcapost_file_done``,
``flush``, ``orcapost_run_finish``; ``TableWriter.orcapost_run_finish``; ``build_report``,
``write_report``), so a baseline runs unchanged. CPU time of the coordinator thread only: on
the loaded, shared 2-core machine of docs/benchmarks.md the figures still compare side by side.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling benchmarks (bench_core, bench_wide_tables)


# -- the child: one interpreter, one measurement ------------------------------------------------


def _timed(owner, name: str, totals: dict[str, float], bucket: str) -> None:
    """Wrap ``owner.name`` so that the calling thread's CPU time in it adds to ``bucket``
    (``functools.wraps`` keeps a hook implementation's marker and signature)."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            totals[bucket] += time.thread_time() - started

    setattr(owner, name, wrapper)


def _instrument() -> dict[str, float]:
    from orcapost import journal, outputs, run_report

    totals: dict[str, float] = defaultdict(float)
    for name in ("orcapost_file_done", "flush", "orcapost_run_finish"):
        _timed(journal.JournalWriter, name, totals, "journal")
    _timed(outputs.TableWriter, "orcapost_run_finish", totals, "tables_and_sinks")
    _timed(run_report, "build_report", totals, "run_report")
    _timed(run_report, "write_report", totals, "run_report")
    _timed(outputs, "write_tables", totals, "write_tables")
    return totals


def _run_cli(config: dict, output: Path, threads: int | None) -> None:
    import yaml
    from orcapost.cli import main

    config = json.loads(json.dumps(config))
    config.setdefault("outputs", {})["directory"] = str(output)
    path = output.parent / "config.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    argv = ["run", str(path), "--quiet"] + (["--threads", str(threads)] if threads else [])
    try:
        main(argv)
    except SystemExit as stop:
        if stop.code not in (0, None):
            raise RuntimeError(f"orcapost run exited {stop.code}") from None


def child_campaign(config_path: str, formats: list[str]) -> dict:
    import yaml

    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))
    config.setdefault("outputs", {})["formats"] = formats
    # The modules a run imports first after its last file (Arrow's compute functions and its
    # Parquet writer, in every version), imported here and timed apart: their one-time cost
    # is no work on the tables.
    started = time.thread_time()
    import pyarrow.compute  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    imports = time.thread_time() - started
    totals = _instrument()
    with tempfile.TemporaryDirectory() as folder:
        _run_cli(config, Path(folder) / "out", threads=1)
    after = totals["tables_and_sinks"] + totals["run_report"]
    return {"journal_s": totals["journal"], "after_last_file_s": after,
            "first_imports_s": imports, "write_tables_s": totals["write_tables"],
            "run_report_s": totals["run_report"]}


def child_wide(columns: int, files: int) -> dict:
    import pyarrow  # noqa: F401  (imported by any run before its tables: not timed here)
    from bench_wide_tables import build_group_table, wide_run_tables

    tables = wide_run_tables(files, columns)
    started = time.thread_time()  # the coordinator thread's CPU, as the table's heading says
    table = build_group_table(tables)
    elapsed = time.thread_time() - started
    assert table.num_rows == files
    return {"wide_table_s": elapsed}


def child_tiny(directory: str) -> dict:
    import bench_core

    totals = _instrument()
    with tempfile.TemporaryDirectory() as folder:
        config = bench_core.config(Path(directory), Path(folder) / "out", None)
        _run_cli(config, Path(folder) / "out", threads=None)
    files = sum(1 for _ in Path(directory).glob("*.arrow"))
    return {"tiny_journal_us_per_file": totals["journal"] / files * 1e6}


# -- the parent: interleaved rounds -------------------------------------------------------------


def _child(python: str, job: list[str]) -> dict:
    from bench_core import child_env

    done = subprocess.run([python, str(Path(__file__).resolve()), "--child", *job],
                          capture_output=True, text=True, timeout=1800, env=child_env())
    if done.returncode != 0:
        raise RuntimeError(f"{python} {' '.join(job)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


TARGETS = {"journal_s": 0.1, "after_last_file_s": 0.3, "wide_table_s": 1.0,
           "tiny_journal_us_per_file": 20.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="a campaign's config (e.g. /tmp/pcb/orcapost-276.yml)")
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--tiny-files", type=int, default=5000, help="0: no tiny-file figure")
    parser.add_argument("--columns", type=int, default=2000)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "orcapost-bench")
    parser.add_argument("--python", action="append", default=[],
                        help="another checkout's interpreter, measured side by side")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "campaign":
            out = child_campaign(rest[0], rest[1].split(","))
        elif kind == "wide":
            out = child_wide(int(rest[0]), int(rest[1]))
        else:
            out = child_tiny(rest[0])
        print(json.dumps(out))
        return
    jobs = [["wide", str(args.columns), str(args.files)]]
    if args.config:
        jobs.append(["campaign", str(Path(args.config).resolve()), args.formats])
    if args.tiny_files:
        import bench_core

        jobs.append(["tiny", str(bench_core.tiny_campaign(args.data, args.tiny_files))])
    pythons = [sys.executable, *args.python]
    figures: dict[str, dict[str, list[float]]] = {p: defaultdict(list) for p in pythons}
    for _ in range(args.repeat):
        for job in jobs:
            for python in pythons:  # interleaved: the machine's load drifts alike for each
                for key, value in _child(python, job).items():
                    figures[python][key].append(value)
    print(f"medians of {args.repeat} interleaved rounds (coordinator thread's CPU time)")
    for n, python in enumerate(pythons):
        print(f"  [{n}] {python}" + ("  (this checkout)" if n == 0 else ""))
    print(f"{'figure':<28}{'target':>10}" + "".join(f"{f'[{n}]':>12}" for n in range(len(pythons)))
          + ("   [n]/[0]" if len(pythons) > 1 else ""))
    for key in figures[sys.executable]:
        medians = [statistics.median(figures[p][key]) for p in pythons]
        line = f"{key:<28}{TARGETS.get(key, float('nan')):>10.3g}" + "".join(
            f"{m:>12.4g}" for m in medians)
        if len(pythons) > 1 and medians[0] > 0:
            line += "   " + " ".join(f"{m / medians[0]:.1f}x" for m in medians[1:])
        print(line)

if __name__ == "__main__":
    main()
