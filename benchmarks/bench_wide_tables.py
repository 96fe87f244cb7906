"""Benchmark: building a wide group table and joining a large load-case table.

Run: ``python benchmarks/bench_wide_tables.py [--columns 2000] [--files 400] [--cases 3000]``

A group table of ``--columns`` value columns over ``--files`` files is built (names checked,
tables listed, the group table built) as a run builds it after its last file; then ``--cases``
files are joined to a load-case table of ``--cases`` rows, by keys and by file-name patterns.
Figures depend on the machine: on the loaded, shared 2-core machine of docs/benchmarks.md read
them as orders of magnitude.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from orcapost.load_cases import LoadCaseTable, join
from orcapost.results import FileResult
from orcapost.tables import RunTables


def wide_run_tables(files: int, columns: int) -> RunTables:
    """The tables of a run of ``files`` results of one group with ``columns`` values each (a
    load case of two keys per file), every result added, as after a run's last file."""
    tables = RunTables(["g"])
    for f in range(files):
        tables.add(FileResult(path=f"/campaign/LC{f:05d}.sim", size=1,
                              load_case={"Hs": float(f % 7), "heading": float(f % 12)},
                              values={"g": {f"c{j} max": 0.25 * j + f for j in range(columns)}},
                              units={"g": {f"c{j} max": "kN" for j in range(columns)}}))
    return tables


def build_group_table(tables: RunTables):
    """What a run does with its tables before the sinks write them: names checked, tables
    listed, the group table built."""
    tables.check_names()
    tables.groups()
    return tables.table("g")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=2000)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--cases", type=int, default=3000)
    args = parser.parse_args()
    tables = wide_run_tables(args.files, args.columns)
    started = time.perf_counter()
    table = build_group_table(tables)
    print(f"group table {table.num_columns:,} columns x {table.num_rows:,} rows: "
          f"{time.perf_counter() - started:.2f} s")
    n = args.cases
    rows = [{"file": f"LC{i:05d}_*", "Hs": float(i), "p": 1 / n} for i in range(n)]
    cases = LoadCaseTable(Path("cases.csv"), ["file", "Hs", "p"], rows)
    started = time.perf_counter()
    for i in range(n):
        join(cases, ["Hs"], "file", f"LC{i:05d}_a.sim", {"Hs": float(i)})
    print(f"{n:,} files joined by keys to {n:,} rows: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    for i in range(n):
        join(cases, None, "file", f"LC{i:05d}_a.sim", {})
    print(f"{n:,} files joined by file-name pattern to {n:,} rows: "
          f"{time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
