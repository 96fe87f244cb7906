"""``orcapost bench CONFIG --threads 1,2,4,8,15,30 [--policy NAME] [--repeat N]``.

Runs one campaign under several settings -- the ``fixed`` policy at each thread count, and each
named policy with its default options -- and reports throughput and peak memory per setting.

Method: one warm-up run (the first setting, discarded) so that every measured run finds the
files equally cached; then ``--repeat`` rounds, each running every setting once in turn (so drift
of the machine affects all settings alike); the figures are the medians over the rounds. Each run
goes through the engine in this process, writing into a temporary folder, with the silent
reporter. Peak memory is the monitor's peak resident memory of the process during that run; as
runs share the process, memory not returned to the OS by an earlier run counts in later peaks.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path

import click
from orcapost.api import hookimpl


def parse_threads(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of thread counts "
                                 "(e.g. 1,2,4,8,15,30)") from None
    if not values or any(v < 1 or v > 1024 for v in values):
        raise click.BadParameter("thread counts are whole numbers from 1 to 1024")
    return values


def settings_for(threads: list[int], policies: list[str]) -> list[tuple[str, dict]]:
    settings = [(f"fixed {t}", {"name": "fixed", "threads": t}) for t in threads]
    settings += [(name, {"name": name}) for name in policies]
    return settings


def run_once(pm, config: Path, policy: dict, output: Path) -> dict:
    from orcapost.api import Engine, load_config

    loaded = load_config(config, pm.registry, overrides={
        "engine.thread_policy": policy, "outputs.directory": str(output)})
    engine = Engine(pm, loaded, reporter=pm.registry.get("reporter", "silent").cls())
    summary = engine.run()
    report = engine.report
    assert report is not None  # a run that returns has its report
    memory = report["memory"]
    return {
        "elapsed": summary.elapsed,
        "files_per_second": summary.files / summary.elapsed,
        "bytes_per_second": summary.bytes / summary.elapsed,
        "peak_rss": memory.get("peak_rss"),
        "rss_growth": (memory.get("peak_rss") or 0) - (memory.get("baseline_rss") or 0),
        "failed": summary.failed + summary.partial,
        "final_concurrency": report["decisions"][-1]["to"],
    }


def bench(pm, config: Path, settings, repeat: int, warmup: bool = True, echo=None) -> dict:
    runs: dict[str, list[dict]] = {label: [] for label, _ in settings}
    with tempfile.TemporaryDirectory(prefix="orcapost-bench-") as tmp:
        if warmup:
            run_once(pm, config, settings[0][1], Path(tmp) / "warm-up")
        for round_index in range(repeat):
            for index, (label, policy) in enumerate(settings):
                out = Path(tmp) / f"r{round_index}-s{index}"
                runs[label].append(run_once(pm, config, policy, out))
                if echo:
                    echo(f"round {round_index + 1}/{repeat}: {label}: "
                         f"{runs[label][-1]['elapsed']:.2f} s")
    rows = []
    for label, policy in settings:
        measured = runs[label]
        row = {"setting": label, "policy": policy, "runs": measured}
        for key in ("elapsed", "files_per_second", "bytes_per_second", "peak_rss",
                    "rss_growth"):
            row[key] = statistics.median(r[key] for r in measured)
        row["failed"] = max(r["failed"] for r in measured)
        rows.append(row)
    best = max(rows, key=lambda r: r["files_per_second"])
    for row in rows:
        row["relative_to_best"] = row["files_per_second"] / best["files_per_second"]
    return {"config": str(config), "repeat": repeat, "warmup": warmup, "settings": rows,
            "best": best["setting"],
            "method": "warm-up run discarded; then rounds of every setting in turn; medians"}


@click.command("bench")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--threads", "threads_text", default="1,2,4,8,15,30", show_default=True,
              help="Thread counts to run the fixed policy at.")
@click.option("--policy", "policies", multiple=True,
              help="Also run this thread policy with its default options (repeatable).")
@click.option("--repeat", type=click.IntRange(1, 100), default=3, show_default=True,
              help="Measured runs per setting (the medians are reported).")
@click.option("--no-warmup", is_flag=True, help="Skip the discarded warm-up run.")
@click.option("--json", "json_path", type=click.Path(path_type=Path),
              help="Where to write the JSON results (default: orcapost-bench-<config>.json).")
@click.pass_context
def bench_command(ctx, config, threads_text, policies, repeat, no_warmup, json_path):
    """Run CONFIG under several thread settings; print throughput and peak memory."""
    from orcapost.api import OrcapostError, load_config
    from rich.console import Console
    from rich.table import Table

    pm = ctx.find_root().obj["pm"]
    threads = parse_threads(threads_text)
    known = pm.registry.names("thread_policy")
    for name in policies:
        if name not in known:
            raise OrcapostError(f"no thread policy named {name!r}",
                                hint=f"installed: {', '.join(known)}")
    load_config(config, pm.registry)  # a bad config fails before any run
    settings = settings_for(threads, list(policies))
    result = bench(pm, config, settings, repeat, warmup=not no_warmup,
                   echo=lambda line: click.echo(line, err=True))
    json_path = json_path or Path(f"orcapost-bench-{config.stem}.json")
    json_path.write_text(json.dumps(result, indent=1), encoding="utf-8")
    table = Table(title=f"orcapost bench {config.name}: medians of {repeat} run(s)")
    for heading in ("setting", "elapsed", "files/s", "MB/s", "vs best", "peak RSS", "failed"):
        table.add_column(heading, justify="left" if heading == "setting" else "right")
    for row in result["settings"]:
        table.add_row(row["setting"], f"{row['elapsed']:.2f} s",
                      f"{row['files_per_second']:.1f}", f"{row['bytes_per_second'] / 1e6:.1f}",
                      f"{100 * row['relative_to_best']:.0f}%",
                      f"{(row['peak_rss'] or 0) / 1e6:,.0f} MB", str(row["failed"]))
    Console().print(table)
    click.echo(f"wrote {json_path}")


@hookimpl
def orcapost_register_commands(cli):
    cli.add_command(bench_command)
