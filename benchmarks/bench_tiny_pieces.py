"""Benchmark: the per-file pieces issue 17 item 4 changed, each with and without the change.

Run: ``python benchmarks/bench_tiny_pieces.py [--data DIR]``

On 1,000 of ``bench_core.py``'s tiny archives (written under ``--data`` if missing): opening
each with the archive source with the layout cache and with it turned off (CPU per file); a
per-file hook to 4 listeners through pluggy and through the direct caller (CPU per call); a
journal line flushed per file and per batch of 32 (wall per line); a file's identity hashed by
a second open and read (``file_identity``) against taken from the archive's own read, and the
path checks before the open (CPU per file); ``orcapost_process_file`` through pluggy against the
direct caller (CPU per call); a statistics column's targets and names resolved per file against
kept per catalogue (CPU per column). Medians of alternating loops.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_core  # noqa: E402  (beside this script)
from orcapost import dispatch, hookimpl  # noqa: E402
from orcapost.archive import reader  # noqa: E402
from orcapost.components import Extractor  # noqa: E402
from orcapost.engine import DIRECT_LISTENERS  # noqa: E402
from orcapost.fingerprints import file_identity  # noqa: E402
from orcapost.journal import Journal  # noqa: E402
from orcapost.pluginmanager import get_plugin_manager  # noqa: E402
from orcapost.plugins.sources.archive import ArchiveSource  # noqa: E402
from orcapost.results import FileResult  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE.parent / "bench-data")
    args = parser.parse_args()
    directory = bench_core.tiny_campaign(args.data, 1000)
    files = sorted(directory.glob("*.arrow"))[:1000]
    source = ArchiveSource()
    known_layout = reader._known_layout

    def opens(cached: bool) -> float:
        reader._known_layout = known_layout if cached else (lambda objects, schema: None)
        started = time.process_time()
        for path in files:
            source.open(path).close()
        return (time.process_time() - started) / len(files) * 1e6

    with_cache, without = [], []
    for _ in range(7):
        with_cache.append(opens(True))
        without.append(opens(False))
    reader._known_layout = known_layout
    print(f"archive open: layout cached {statistics.median(with_cache):.1f} us, not cached "
          f"{statistics.median(without):.1f} us (CPU per file)")

    pm = get_plugin_manager(entry_points=False)

    class Listener:
        @hookimpl
        def orcapost_file_done(self, context, result, replayed):
            pass

    for name in sorted(DIRECT_LISTENERS):
        pm.register(Listener(), name=name)
    direct = dispatch.direct_caller(pm, "orcapost_file_done", DIRECT_LISTENERS)

    def calls(caller, count: int = 20000) -> float:
        started = time.process_time()
        for _ in range(count):
            caller(context=1, result=2, replayed=False)
        return (time.process_time() - started) / count * 1e6

    through = [calls(pm.hook.orcapost_file_done) for _ in range(5)]
    straight = [calls(direct) for _ in range(5)]
    print(f"orcapost_file_done, 4 listeners: pluggy {statistics.median(through):.2f} us, "
          f"direct {statistics.median(straight):.2f} us per call")

    result = FileResult(path="x", size=1)
    result.values = {"all": {f"v{i}": float(i) for i in range(28)}}
    with tempfile.TemporaryDirectory() as scratch:
        journal = Journal(Path(scratch))
        journal.start(keep=False)

        def lines(batch: int, count: int = 6400) -> float:
            started = time.perf_counter()
            for i in range(count):
                journal.append(result)
                if (i + 1) % batch == 0:
                    journal.flush()
            journal.flush()
            return (time.perf_counter() - started) / count * 1e6

        per_file = [lines(1) for _ in range(5)]
        per_batch = [lines(32) for _ in range(5)]
        journal.close()
    print(f"journal line: flushed per file {statistics.median(per_file):.1f} us, per batch of 32 "
          f"{statistics.median(per_batch):.1f} us (wall per line)")

    def identities(own: bool) -> float:
        started = time.process_time()
        for path in files:
            if own:  # one stat before the open; the identity from the archive's own read
                os.stat(path)
                opened = source.open(path)
                opened.read_identity()
            else:  # as before: stat, is_file, a second open and read to hash, then the open
                os.stat(path)
                path.is_file()
                file_identity(path)
                opened = source.open(path)
            opened.close()
        return (time.process_time() - started) / len(files) * 1e6

    second, own = [], []
    for _ in range(7):
        second.append(identities(False))
        own.append(identities(True))
    print(f"stat, identity and open: a second open to hash {statistics.median(second):.1f} us, "
          f"the archive's own read {statistics.median(own):.1f} us (CPU per file)")

    class Task:
        def execute(self):
            return None

    task = Task()
    process = dispatch.process_file_caller(pm)
    hook = pm.hook.orcapost_process_file

    def processes(direct: bool, count: int = 20000) -> float:
        started = time.process_time()
        if direct:
            for _ in range(count):
                process(task)
        else:
            for _ in range(count):
                hook(task=task)
        return (time.process_time() - started) / count * 1e6

    through = [processes(False) for _ in range(5)]
    straight = [processes(True) for _ in range(5)]
    print(f"orcapost_process_file: pluggy {statistics.median(through):.2f} us, direct "
          f"{statistics.median(straight):.2f} us per call"
          f"{'' if getattr(process, 'direct', False) else ' (NOT direct: another plugin)'}")

    from orcapost.plugins.extractors.statistics import StatisticsColumn, StatisticsExtractor

    column = StatisticsColumn(label="heave", object="FPSO", variable="Heave",
                              statistics=["min", "max", "mean", "std"])
    extractor = StatisticsExtractor(column)
    opened_files = [source.open(path) for path in files[:200]]

    def names(kept: bool) -> float:
        started = time.process_time()
        for opened in opened_files:
            if kept:
                extractor.named_statistics(opened, column, column.statistics)
            else:
                Extractor._named_statistics(extractor, opened, column, column.statistics)
        return (time.process_time() - started) / len(opened_files) * 1e6

    fresh, kept = [], []
    for _ in range(7):
        fresh.append(names(False))
        kept.append(names(True))
    for opened in opened_files:
        opened.close()
    print(f"a column's targets and names: resolved per file {statistics.median(fresh):.1f} us, "
          f"kept per catalogue {statistics.median(kept):.1f} us (CPU per column and file)")

if __name__ == "__main__":
    main()
