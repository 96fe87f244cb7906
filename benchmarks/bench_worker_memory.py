"""Benchmark: worker processes stay within the memory budget, whatever ``--threads`` asks.

Run: ``python benchmarks/bench_worker_memory.py [--files 300] [--size 100KB] [--budget-gib 1.5]
[--max-workers N]``

Writes ``--files`` demo archives (``orcapost demo --files N --size SIZE --no-run``), then runs the
demo config on them as a user would, in a subprocess:
``orcapost run CONFIG --executor processes --threads 1024``, the config holding the ``admission``
optimizer with ``budget: --budget-gib``. With ``--max-workers N`` the command line gives no
``--executor`` and the config says ``executor: {name: processes, max_workers: N}`` instead, so the
cores no longer limit the pool and admission's budget is what does.

While the run goes on this script samples, every 50 ms, the resident memory of the run (the
``orcapost`` process and all its children) and the machine's used memory (total minus
available), and counts the worker processes. It prints the peaks, the budget, the most worker
processes at once, the exit code and the time. Before this fix, the same command started one
worker process per file (300) and exhausted a 24 GiB machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

GIB = 2**30
SAMPLE_SECONDS = 0.05


def orcapost_command() -> list[str]:
    return [sys.executable, "-m", "orcapost"]


def tree_rss(process: psutil.Process) -> tuple[int, int]:
    """Resident memory of ``process`` and its children, and how many children there are."""
    try:
        rss = process.memory_info().rss
        children = process.children(recursive=True)
    except psutil.Error:
        return 0, 0
    workers = 0
    for child in children:
        try:
            rss += child.memory_info().rss
            if "resource_tracker" not in " ".join(child.cmdline()):
                workers += 1
        except psutil.Error:
            pass
    return rss, workers


def used_memory() -> int:
    memory = psutil.virtual_memory()
    return int(memory.total - memory.available)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--size", default="100KB")
    parser.add_argument("--budget-gib", type=float, default=1.5)
    parser.add_argument("--max-workers", type=int, default=None)
    args = parser.parse_args()
    budget = int(args.budget_gib * GIB)
    with tempfile.TemporaryDirectory(prefix="orcapost-bench-workers-") as tmp:
        root = Path(tmp)
        subprocess.run([*orcapost_command(), "demo", str(root / "demo"), "--files",
                        str(args.files), "--size", args.size, "--no-run", "--quiet"],
                       check=True)
        import orcapost.configs

        config = yaml.safe_load((Path(orcapost.configs.__file__).parent / "demo.yml")
                                .read_text(encoding="utf-8"))
        config["inputs"]["directory"] = str(root / "demo" / "campaign")
        config.setdefault("outputs", {})["directory"] = str(root / "results")
        config["engine"]["memory_optimizers"] = [{"name": "admission", "budget": budget}]
        command = [*orcapost_command(), "run", str(root / "config.yml"), "--threads", "1024",
                   "--quiet"]
        if args.max_workers is None:
            command += ["--executor", "processes"]
        else:
            config["engine"]["executor"] = {"name": "processes",
                                            "max_workers": args.max_workers}
        (root / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False),
                                         encoding="utf-8")
        baseline = used_memory()
        started = time.perf_counter()
        process = subprocess.Popen(command)
        watched = psutil.Process(process.pid)
        peak_rss = peak_used = peak_workers = 0
        while process.poll() is None:
            rss, workers = tree_rss(watched)
            peak_rss, peak_workers = max(peak_rss, rss), max(peak_workers, workers)
            peak_used = max(peak_used, used_memory() - baseline)
            time.sleep(SAMPLE_SECONDS)
        elapsed = time.perf_counter() - started
        rows = len((root / "results" / "mooring.csv").read_text().splitlines()) - 1 \
            if (root / "results" / "mooring.csv").exists() else 0
        report_path = root / "results" / "orcapost-run.json"
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        shutil.rmtree(root / "demo", ignore_errors=True)
    how = ("--executor processes" if args.max_workers is None
           else f"executor: {{name: processes, max_workers: {args.max_workers}}}")
    print(f"{args.files} demo files of {args.size}, {how} --threads 1024, admission budget "
          f"{budget / GIB:.2f} GiB, {psutil.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / GIB:.1f} GiB machine")
    print(f"exit code {process.returncode}, {rows} rows, {elapsed:.1f} s")
    settings = report.get("settings", {})
    capacity = settings.get("capacity") or {}
    print(f"peak worker processes at once: {peak_workers} (the run's ceiling "
          f"{settings.get('ceiling')}; a worker process measured "
          f"{(capacity.get('worker_memory') or 0) / 1e6:.0f} MB by the probe; "
          f"{report.get('summary', {}).get('memory_holds')} admission holds)")
    print(f"peak run memory (orcapost and its workers, RSS): {peak_rss / GIB:.3f} GiB "
          f"-- budget {budget / GIB:.2f} GiB: {'within' if peak_rss <= budget else 'OVER'}")
    print(f"peak system memory in use above the start: {peak_used / GIB:.3f} GiB "
          f"-- budget {budget / GIB:.2f} GiB: {'within' if peak_used <= budget else 'OVER'}")


if __name__ == "__main__":
    main()
