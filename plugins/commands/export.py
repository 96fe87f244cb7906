"""``orcapost export SIM... --output DIR``: result files to portable archives.

On a machine with licensed OrcaFlex, this turns .sim files into archives that orcapost
post-processes anywhere (Linux clusters, laptops, CI) without OrcaFlex. It runs the ordinary
engine with one ``export`` column, so files convert in parallel, with progress, and a file that
cannot be read becomes a failure row while the others carry on. The summary table
``export.csv`` lists each archive written.
"""

from __future__ import annotations

import glob
from pathlib import Path

import click
from orcapost.api import CONFIG_VERSION, OrcapostError, hookimpl

#: Result group (and so the summary table's name) of an export run.
EXPORT_GROUP = "export"
_GLOB_CHARACTERS = set("*?[")


def expand_inputs(inputs: tuple[str, ...]) -> list[Path]:
    """Files, folders (their .sim files) and glob patterns (for shells that do not expand them,
    like Windows'), each file once, in the order given."""
    found: dict[Path, None] = {}
    for text in inputs:
        path = Path(text)
        if path.is_dir():
            matches = sorted(path.glob("*.sim"))
            if not matches:
                raise OrcapostError(f"{path} holds no .sim files",
                                    hint="give the files, or a pattern such as DIR/*.outb")
        elif path.exists():
            matches = [path]
        elif _GLOB_CHARACTERS & set(text):
            matches = sorted(Path(p) for p in glob.glob(text, recursive=True))
            if not matches:
                raise OrcapostError(f"the pattern {text!r} matches no files")
        else:
            raise OrcapostError(f"{text}: no such file or folder", hint="check the path")
        for match in matches:
            if match.is_file():
                found.setdefault(match.resolve(), None)
    files = list(found)
    stems: dict[str, Path] = {}
    for file in files:
        other = stems.setdefault(file.stem.lower(), file)
        if other != file:
            raise OrcapostError(
                f"{other} and {file} would both be written as {file.stem}.arrow",
                hint="export them to different folders with separate commands",
            )
    return files


def selection_from_config(pm, config: Path) -> tuple[list[list[str]], list[dict], list[dict]]:
    """The (object, variable) patterns, model data items and per-point series (positions
    with qualifiers: wall points, vessel points, ...) a post-processing config uses."""
    from orcapost.api import Position, load_config

    loaded = load_config(config, pm.registry)
    derived = {name: channel.parsed().variables
               for name, channel in (getattr(loaded.model, "derived", None) or {}).items()}

    leaves: dict[str, list[str]] = {}

    def reads(var: str, seen: tuple[str, ...] = ()) -> list[str]:
        """The file's own variables behind a name: a derived channel's, recursively (each
        channel's once: listing them per path grew exponentially with shared channels)."""
        if var not in derived or var in seen:
            return [var]
        if var not in leaves:
            found = [leaf for used in derived[var] for leaf in reads(used, (*seen, var))]
            leaves[var] = list(dict.fromkeys(found))
        return leaves[var]

    pairs: list[list[str]] = []
    data: list[dict] = []
    points: list[dict] = []
    for group in loaded.model.results.values():
        for column in group.columns:
            obj = getattr(column, "object", None)
            named = [getattr(column, "variable", None), *(getattr(column, "linked", None) or [])]
            # A derived channel is exported as the variables it reads (computed again after).
            variables = [leaf for var in named
                         for leaf in (reads(var) if isinstance(var, str) else [var])]
            position = getattr(column, "position", None)
            for var in variables:
                if isinstance(obj, str) and isinstance(var, str) and [obj, var] not in pairs:
                    pairs.append([obj, var])
                if (isinstance(obj, str) and isinstance(var, str)
                        and isinstance(position, Position) and position.qualifiers()):
                    point = {"object": obj, "variable": var,
                             "position": position.model_dump(exclude_none=True)}
                    if point not in points:
                        points.append(point)
            for item in getattr(column, "data", None) or []:
                if hasattr(item, "object") and hasattr(item, "name"):
                    data.append({"object": item.object, "name": item.name,
                                 "index": getattr(item, "index", None)})
    if not pairs and not data:
        raise OrcapostError(f"{config} names no object and variable to export",
                            hint="use --objects/--variables instead")
    return pairs, data, points


def export_config(files: list[Path], output: Path, *, objects, variables, pairs, data,
                  precision: str, threads: int | None, executor: str | None,
                  orcaflex: dict | None = None, points: list | None = None) -> dict:
    """The in-memory config of an export run."""
    column = {"label": "archive", "kind": "export", "directory": str(output),
              "objects": list(objects) or ["*"], "variables": list(variables) or ["*"],
              "pairs": pairs, "precision": precision, "data": data, "points": points or []}
    engine: dict = {}
    if threads is not None:
        engine["thread_policy"] = {"name": "fixed", "threads": threads}
    if executor is not None:
        engine["executor"] = executor
    return {
        "version": CONFIG_VERSION,
        # Absolute file names: the folder only anchors them, and the outputs may sit inside it.
        "inputs": {"directory": str(Path.cwd()), "files": [str(f) for f in files],
                   "sources": [{"name": "orcaflex", **orcaflex}] if orcaflex else []},
        "engine": engine,
        "results": {EXPORT_GROUP: {"columns": [column]}},
        "outputs": {"directory": str(output), "write_into_inputs": True},
    }


@click.command("export")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
              help="Folder for the archives and the export table.")
@click.option("--objects", multiple=True, metavar="GLOB",
              help="Export only these objects (repeatable; default: all).")
@click.option("--variables", multiple=True, metavar="GLOB",
              help="Export only these variables (repeatable; default: all).")
@click.option("--config", "config", type=click.Path(path_type=Path),
              help="Export only what this post-processing config uses.")
@click.option("--precision", type=click.Choice(["float64", "float32"]), default="float64",
              show_default=True, help="Stored precision of the values.")
@click.option("--threads", type=click.IntRange(1, 1024), help="Files converted at once.")
@click.option("--model-threads", type=click.IntRange(1, 1024),
              help="Threads each OrcaFlex model may use (OrcFxAPI threadCount; default 1).")
@click.option("--licence-retries", type=click.IntRange(0, 1000),
              help="Retries after an OrcaFlex licence error (default 5).")
@click.option("--licence-delay", type=click.FloatRange(0, 3600),
              help="Seconds before the first licence retry, doubling each time (default 2).")
@click.option("--executor", type=click.Choice(["threads", "processes"]))
@click.option("--progress", type=click.Choice(["rich", "plain", "silent"]))
@click.option("--no-progress", is_flag=True, help="No live progress; a summary at the end.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.pass_context
def export(ctx, inputs, output, objects, variables, config, precision, threads, model_threads,
           licence_retries, licence_delay, executor, progress, no_progress, quiet):
    """Convert result files (.sim, and any other readable type) to portable archives in OUTPUT.

    INPUTS are files, folders (their .sim files) or glob patterns. Line variables keep their
    arc lengths; the points a --config's positions name (pipe-wall points, vessel points, ...)
    are exported as per-point series; static state, stages, latest wave, simulation state and model metadata (wave
    height, period and direction, vessel headings) are carried.
    """
    from orcapost.api import run_config, validate_data

    pm = ctx.find_root().obj["pm"]
    # The OrcaFlex source's options, given the way a config gives them (inputs.sources).
    orcaflex = {key: value for key, value in (("thread_count", model_threads),
                                              ("licence_retries", licence_retries),
                                              ("licence_delay", licence_delay))
                if value is not None}
    files = expand_inputs(inputs)
    pairs: list = []
    data: list = []
    points: list = []
    if config is not None:
        if objects or variables:
            raise OrcapostError("--config and --objects/--variables both choose what to export",
                                hint="use one or the other")
        pairs, data, points = selection_from_config(pm, config)
    output = output.resolve()
    settings = export_config(files, output, objects=objects, variables=variables, pairs=pairs,
                             data=data, precision=precision, threads=threads, executor=executor,
                             orcaflex=orcaflex, points=points)
    loaded = validate_data(settings, pm.registry, source="orcapost export",
                           base_directory=Path.cwd())
    ctx.exit(run_config(pm, loaded, progress=progress, quiet=quiet, no_progress=no_progress))


@hookimpl
def orcapost_register_commands(cli):
    cli.add_command(export)
