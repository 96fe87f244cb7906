"""``orcapost profile DIR``: what a campaign looks like, and how to run it.

Counts the result files (those a source reads, or ``--pattern``), shows their size distribution,
estimates the memory one worker needs (the largest file times ``--ratio``: an OrcaFlex simulation
is loaded whole, so 1.0; memory-mapped archives need far less), and recommends a thread policy,
a thread count and, when memory is what limits, the ``admission`` optimizer -- with the reason.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import click
from orcapost.api import hookimpl

#: Size classes of the distribution (upper bounds, bytes).
BINS = ((1e6, "< 1 MB"), (10e6, "1-10 MB"), (100e6, "10-100 MB"), (1e9, "100 MB-1 GB"),
        (10e9, "1-10 GB"), (float("inf"), ">= 10 GB"))
#: Memory left to the system when the thread count is derived from memory.
RESERVE = 1_000_000_000


def profile(sizes: list[int], available: int, ratio: float = 1.0) -> dict:
    """The profile of a campaign of files of ``sizes`` bytes on a machine with ``available``
    bytes of free memory: distribution, memory per worker, recommendation and reason."""
    from orcapost.api import DEFAULT_THREADS
    from orcapost.plugins.optimizers.admission import nearest_rank
    from orcapost.plugins.policies.file_size import FileSizePolicy

    ordered = sorted(sizes)
    median = statistics.median(ordered)
    per_worker = int(ordered[-1] * ratio)
    memory_threads = max(1, (available - RESERVE) // per_worker) if per_worker else 10**6
    by_size = FileSizePolicy().threads_for(median)
    spread = ordered[-1] / max(1, nearest_rank(ordered, 0.1))
    reasons = []
    if spread > 10 and len(ordered) > 1:
        policy = "file_size"
        reasons.append(f"sizes range {spread:.0f}x (10th percentile to largest): file_size "
                       "adjusts the concurrency to the files still queued")
        threads = by_size
    elif median < 100e6:
        policy = "file_size"
        reasons.append(f"median file {median / 1e6:.1f} MB: small files are CPU-bound and "
                       f"gain from up to {by_size} at once")
        threads = by_size
    else:
        policy = "fixed"
        threads = min(DEFAULT_THREADS, by_size)
        reasons.append(f"median file {median / 1e6:.0f} MB: large files contend for the disk "
                       f"(30 at once was slower than 15 on multi-GB files), so {threads}")
    optimizers = []
    if memory_threads < threads:
        reasons.append(f"memory: {available / 1e9:.1f} GB available minus a "
                       f"{RESERVE / 1e9:.0f} GB reserve holds {memory_threads} workers of "
                       f"{per_worker / 1e9:.2f} GB, so at most {memory_threads}, and the "
                       "admission optimizer keeps it so")
        threads = memory_threads
        optimizers = ["admission"]
    threads = int(max(1, min(threads, len(ordered))))
    histogram = {}
    low = 0.0
    for high, label in BINS:
        count = sum(1 for s in ordered if low <= s < high)
        if count:
            histogram[label] = count
        low = high
    return {
        "files": len(ordered), "total_bytes": sum(ordered),
        "min": ordered[0], "median": median, "p90": nearest_rank(ordered, 0.9), "max": ordered[-1],
        "histogram": histogram,
        "memory_per_worker": per_worker, "ratio": ratio, "available_memory": available,
        "memory_threads": int(memory_threads),
        "recommendation": {"thread_policy": policy, "threads": threads,
                           "memory_optimizers": optimizers, "reason": "; ".join(reasons)},
    }


@click.command("profile")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--pattern", "patterns", multiple=True,
              help="Glob of the files to count (repeatable); default: every readable suffix.")
@click.option("--recursive", is_flag=True, help="Look in subfolders too.")
@click.option("--ratio", type=click.FloatRange(0.001, 100.0), default=1.0, show_default=True,
              help="Memory a file needs per byte of its size.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def profile_command(ctx, directory, patterns, recursive, ratio, as_json):
    """Profile the result files in DIRECTORY and recommend a thread policy and count."""
    from orcapost.api import InputsConfig, OrcapostError, available_memory, discover, human_bytes

    if not directory.is_dir():
        raise OrcapostError(f"{directory} is not a folder", hint="give the campaign's folder")
    pm = ctx.find_root().obj["pm"]
    if not patterns:
        patterns = sorted({f"*{s}" for e in pm.registry.all("source") for s in e.cls.suffixes})
    # The files a run would find (discovery sizes each file once).
    try:
        inputs = InputsConfig(directory=directory, patterns=list(patterns), recursive=recursive)
    except ValueError as exc:  # a pattern leaving DIRECTORY: the model's own message
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise OrcapostError(f"--pattern: {message}", hint="give patterns inside DIRECTORY") \
            from None
    files = discover(inputs, directory) if patterns else []
    if not files:
        raise OrcapostError(f"no result files in {directory} match {', '.join(patterns)}",
                            hint="use --pattern (e.g. --pattern '*.sim') or --recursive")
    result = profile([f.size for f in files], available_memory(), ratio)
    result["directory"] = str(directory)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"{result['files']} files in {directory}, "
                        f"{human_bytes(result['total_bytes'])}")
    for heading in ("min", "median", "90%", "max"):
        table.add_column(heading, justify="right")
    table.add_row(*(human_bytes(result[key]) for key in ("min", "median", "p90", "max")))
    console.print(table)
    table = Table(title="size distribution")
    table.add_column("size")
    table.add_column("files", justify="right")
    for label, count in result["histogram"].items():
        table.add_row(label, str(count))
    console.print(table)
    rec = result["recommendation"]
    console.print(f"memory per worker: about {human_bytes(result['memory_per_worker'])} "
                  f"(largest file x {ratio:g}); {human_bytes(result['available_memory'])} available")
    console.print(f"recommended: thread_policy {rec['thread_policy']} with {rec['threads']} "
                  f"at once" + (f", memory_optimizers: {rec['memory_optimizers']}"
                                if rec["memory_optimizers"] else ""))
    console.print(f"because: {rec['reason']}")


@hookimpl
def orcapost_register_commands(cli):
    cli.add_command(profile_command)
