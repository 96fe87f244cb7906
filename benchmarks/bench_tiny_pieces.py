"""Benchmark: the per-file pieces issue 17 item 4 changed, each with and without the change.

Run: ``python benchmarks/bench_tiny_pieces.py [--data DIR]``

On 1,000 of ``bench_core.py``'s tiny archives (written under ``--data`` if missing): opening
each with the archive source with the layout cache and with it turned off (CPU per file); a
per-file hook to 4 listeners through pluggy and through the direct caller (CPU per call); a
journal line flushed per file and per batch of 32 (wall per line). Medians of alternating loops.
"""

from __future__ import annotations

import argparse
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
from orcapost.engine import DIRECT_LISTENERS  # noqa: E402
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

if __name__ == "__main__":
    main()
