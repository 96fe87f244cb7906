"""The ``orcapost`` command line.

Exit codes: 0 all good; 1 some files failed (or were partial/unfinished); 2 config or usage
error (also: another run holds the output folder, or the machine refused to write the run's
outputs: a full disk, no permission); 3 internal error (also: the run's own outputs failed for
another reason); 128 + the signal that stopped a run:
130 Ctrl-C, 143 SIGTERM, 129 SIGHUP, 149 SIGBREAK (Windows Ctrl-Break). User errors print a
message and a hint, never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from importlib import resources
from pathlib import Path

import click
from orcapost import __version__
from orcapost.errors import OrcapostError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 3
#: A value breached its acceptance criterion and ``outputs.fail_on_breach`` is true.
EXIT_BREACH = 4


def _echo_error(error: OrcapostError) -> None:
    click.echo(f"error: {error}", err=True)


class OrcapostGroup(click.Group):
    """Turns OrcapostError into a message and exit code 2, wherever it is raised, and Ctrl-C
    into exit code 130 without a traceback (click would print ``Aborted!`` and exit 1).

    Plugins add commands, so they are loaded the first time a command is looked up or listed,
    and never for ``--version``, which needs no plugin. Listing them (``orcapost --help``) loads
    only the plugins that can add commands (the built-in command modules and the installed
    plugins); the whole plugin manager is built when a command runs.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OrcapostError as error:
            _echo_error(error)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)

    def resolve_command(self, ctx, args):
        # A command is about to run, and the group's callback builds the whole plugin manager
        # for it: the plugins' commands come from that one, not from a second, command-only
        # manager built first (12 ms of every run's start-up, measured). Listing the
        # commands (--help) still loads only the plugins that can add them.
        _host(ctx)
        return super().resolve_command(ctx, args)

    def get_command(self, ctx, cmd_name):
        self._add_plugin_commands(ctx)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx):
        self._add_plugin_commands(ctx)
        return super().list_commands(ctx)

    def _add_plugin_commands(self, ctx: click.Context) -> None:
        obj = ctx.find_root().ensure_object(dict)
        if obj.get("plugin_commands_added"):
            return
        pm = obj.get("pm") or _command_plugin_manager()
        obj["plugin_commands_added"] = True
        from orcapost.pluginmanager import register_commands

        for problem in register_commands(pm, self):  # one plugin's failure is its own
            click.echo(f"warning: {problem.message()}", err=True)


def _command_plugin_manager():
    """A plugin manager with the plugins that can add commands, not every extractor."""
    from orcapost.pluginmanager import get_plugin_manager
    from orcapost.plugins import COMMAND_PLUGINS

    return get_plugin_manager(builtins=COMMAND_PLUGINS)


def _plugin_manager(obj: dict):
    """The run's plugin manager: the one the caller passed in ``obj``, else built once."""
    if "pm" not in obj:
        from orcapost.pluginmanager import get_plugin_manager

        obj["pm"] = get_plugin_manager()
    return obj["pm"]


def _host(ctx: click.Context):
    return _plugin_manager(ctx.find_root().ensure_object(dict))


def _warn_problems(pm) -> None:
    registry = pm.registry  # collects registration problems too
    del registry
    for problem in pm.problems:
        click.echo(f"warning: {problem.message()}", err=True)


@click.group(cls=OrcapostGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orcapost")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Post-process OrcaFlex simulation campaigns: every file opened once, in parallel."""
    _warn_problems(_host(ctx))


# -- run ------------------------------------------------------------------------------------


def _reporter(pm, loaded, progress: str | None, quiet: bool, no_progress: bool):
    registry = pm.registry
    if quiet:
        return registry.get("reporter", "silent").cls()
    if no_progress:
        plain = registry.get("reporter", "plain").cls
        return plain(plain.Options(interval=1e9))
    if progress:
        return registry.get("reporter", progress).cls()
    spec = loaded.model.engine.progress
    if spec == "auto":
        name = "rich" if sys.stderr.isatty() else "plain"
        return registry.get("reporter", name).cls()
    return registry.create("reporter", spec)


def run_config(pm, loaded, *, progress=None, quiet=False, no_progress=False,
               resume=False, shard=None) -> int:
    """Run a loaded config; return the exit code."""
    from orcapost.engine import Engine

    for warning in loaded.warnings:
        click.echo(f"warning: {warning}", err=True)
    from orcapost.signals import exit_code_for

    reporter = _reporter(pm, loaded, progress, quiet, no_progress)
    engine = Engine(pm, loaded, reporter=reporter, resume=resume, warn=_warn, shard=shard)
    try:
        summary = engine.run()
    except OSError as exc:
        # The engine creates the output folder before writing anything: an OSError while
        # that folder does not exist is the folder that could not be made, not a bug.
        output = loaded.resolve(loaded.model.outputs.directory)
        if output.is_dir():
            raise
        raise OrcapostError(
            f"the output folder {output} cannot be created: {exc.strerror or exc}"
            + (f" ({exc.filename})" if exc.filename else ""),
            hint="choose another outputs.directory (or --output), one you may write to",
        ) from None
    own = [error for error in engine.plugin_errors if error.own]
    for error in own:
        click.echo(f"error: {error.message()}: the run's outputs are incomplete (the last "
                   "complete tables are untouched and the journal keeps every finished file: "
                   "once it is fixed, `orcapost run --resume` writes them; see plugin_errors "
                   "in the run report)", err=True)
    if summary.interrupted:
        return exit_code_for(summary.stopped_by)
    if own:
        # A full disk or a folder without permission is the machine's answer, not a bug.
        return EXIT_USAGE if all(error.os_error for error in own) else EXIT_INTERNAL
    if summary.criteria and not quiet:
        click.echo(_verdict_line(summary.criteria), err=True)
    if loaded.model.outputs.fail_on_breach and summary.criteria.get("breaches"):
        return EXIT_BREACH
    return summary.exit_code


def _verdict_line(criteria: dict) -> str:
    """One line on the acceptance criteria: the verdict, breaches and the governing value."""
    line = (f"criteria: {criteria['verdict']}, {criteria['breaches']} breach"
            f"{'es' * (criteria['breaches'] != 1)} of {criteria['checked']} values checked")
    if criteria.get("unchecked"):
        line += f", {criteria['unchecked']} not checked (see the failures table)"
    governing = criteria.get("governing")
    if governing:
        where = (f" at {governing['arc_length']:g} m"
                 if governing.get("arc_length") is not None else "")
        utilisation = governing.get("utilisation")
        line += (f"; governing: {governing['output']} = {governing['value']:.6g}{where} in "
                 f"{governing['file']}, utilisation "
                 + ("not defined" if utilisation is None else f"{utilisation:.3f}"))
    return line + (" (verdict table: every breach)" if criteria["breaches"] else "")


def _warn(text: str) -> None:
    click.echo(f"warning: {text}", err=True)


def _overrides(threads, output, executor) -> dict:
    overrides: dict[str, object] = {}
    if threads is not None:
        overrides["engine.thread_policy"] = {"name": "fixed", "threads": threads}
    if output is not None:
        overrides["outputs.directory"] = str(Path(output).resolve())
    if executor is not None:
        overrides["engine.executor"] = executor
    return overrides


_progress_choice = click.Choice(["rich", "plain", "silent"])


@cli.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--threads", type=click.IntRange(1, 1024),
              help="Run with the fixed policy at this many files at once.")
@click.option("--output", type=click.Path(path_type=Path), help="Output folder.")
@click.option("--executor", type=click.Choice(["threads", "processes"]))
@click.option("--progress", type=_progress_choice, help="Reporter (default: from config).")
@click.option("--no-progress", is_flag=True, help="No live progress; a summary at the end.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option("--resume", is_flag=True,
              help="Reuse the output folder's journal: cells whose column, file and reader "
              "are unchanged; compute the rest.")
@click.option("--shard", "shard_text", metavar="I/N",
              help="Process only shard I of N (0 <= I < N): a stable share of the files, "
              "chosen by a hash of each file's path; `orcapost merge` joins the shards.")
@click.pass_context
def run(ctx, config, threads, output, executor, progress, no_progress, quiet, resume,
        shard_text):
    """Run CONFIG: extract results from every input file and write the tables."""
    from orcapost.config import load_config

    shard = None
    if shard_text is not None:  # checked before the config is read: a typo costs nothing
        from orcapost.shards import parse_shard

        shard = parse_shard(shard_text)
    pm = _host(ctx)
    loaded = load_config(config, pm.registry, overrides=_overrides(threads, output, executor))
    ctx.exit(run_config(pm, loaded, progress=progress, quiet=quiet, no_progress=no_progress,
                        resume=resume, shard=shard))


# -- validate / schema / plugins ------------------------------------------------------------


@cli.command()
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def validate(ctx, configs):
    """Check CONFIGS without running them."""
    from orcapost.config import load_config

    pm = _host(ctx)
    bad = 0
    for path in configs:
        try:
            loaded = load_config(path, pm.registry)
        except OrcapostError as error:
            bad += 1
            _echo_error(error)
            continue
        for warning in loaded.warnings:
            click.echo(f"warning: {warning}", err=True)
        groups = ", ".join(loaded.model.results)
        click.echo(f"{path}: ok (results: {groups})")
    ctx.exit(EXIT_USAGE if bad else 0)


@cli.command()
@click.pass_context
def schema(ctx):
    """Print the config's JSON Schema (with every installed plugin's options)."""
    model = _host(ctx).registry.config_model()
    document = model.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "orcapost config (version 2)"
    click.echo(json.dumps(document, indent=2))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def plugins(ctx, as_json):
    """List every plugin, its distribution and what it registers."""
    pm = _host(ctx)
    by_plugin = pm.registry.by_plugin()
    commands = _commands_by_plugin(pm)
    rows = []
    for name, plugin in pm.list_name_plugin():
        components = by_plugin.get(name, [])
        rows.append({
            "plugin": name,
            "distribution": pm.distributions.get(name, ""),
            "registers": [f"{c.kind} {c.name}" for c in components]
                         + [f"command {command}" for command in commands.get(name, [])],
            "hooks": sorted(h.name for h in pm.get_hookcallers(plugin) or []),
        })
    if as_json:
        click.echo(json.dumps({"plugins": rows,
                               "problems": [p.message() for p in pm.problems]}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="orcapost plugins")
    # Plugin names are what ORCAPOST_DISABLE_PLUGINS takes: wrap them, never cut them short.
    for heading in ("plugin", "distribution", "registers", "other hooks"):
        table.add_column(heading, overflow="fold")
    for row in rows:
        others = [h for h in row["hooks"] if not h.startswith("orcapost_register_")]
        table.add_row(row["plugin"], row["distribution"], "\n".join(row["registers"]),
                      "\n".join(others))
    Console().print(table)


def _commands_by_plugin(pm) -> dict[str, list[str]]:
    """The commands each plugin adds, found by letting each add them to a scratch group."""
    found: dict[str, list[str]] = {}
    for impl in pm.hook.orcapost_register_commands.get_hookimpls():
        scratch = click.Group()
        try:
            impl.function(cli=scratch)
        except Exception:  # a broken plugin is reported elsewhere; the listing goes on
            continue
        found[impl.plugin_name] = sorted(scratch.commands)
    return found


# -- demo -----------------------------------------------------------------------------------


def _parse_size(text: str) -> int:
    from orcapost.schemas.config import Size
    from pydantic import TypeAdapter, ValidationError

    try:
        return int(TypeAdapter(Size).validate_python(text))
    except ValidationError:
        raise click.BadParameter(f"{text!r} is not a size (e.g. 200KB, 5MB, 1GB)") from None


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), default="demo-campaign")
@click.option("--files", type=click.IntRange(1, 100_000), default=24, show_default=True,
              help="Number of result files.")
@click.option("--size", default="2MB", show_default=True, help="Approximate size of each file.")
@click.option("--no-run", is_flag=True, help="Only write the campaign.")
@click.option("--threads", type=click.IntRange(1, 1024), help="Files processed at once.")
@click.option("--progress", type=_progress_choice)
@click.option("--quiet", "-q", is_flag=True)
@click.option("--for-config", "for_config", type=click.Path(path_type=Path),
              help="Write a campaign with the objects and variables CONFIG names, and run CONFIG "
              "(a legacy config too) on it.")
@click.option("--force", is_flag=True,
              help="Clear DIRECTORY/campaign first when it already holds files (refused "
              "otherwise: the run would process them too).")
@click.pass_context
def demo(ctx, directory, files, size, no_run, threads, progress, quiet, for_config, force):
    """Write a demo campaign to DIRECTORY/campaign, then post-process it into DIRECTORY/results.

    The campaign is a moored FPSO with mooring lines and a riser in JONSWAP seas (headings x Hs x
    seeds), written as portable archives; the config is orcapost's configs/demo.yml, or with
    --for-config, the given config (its objects and variables are added to the campaign).
    """
    from orcapost.config import read_yaml, validate_data
    from orcapost.demo import DemoSpec, write_campaign

    spec = DemoSpec(file_size=_parse_size(size))
    campaign = directory / "campaign"
    _fresh_campaign(campaign, force)
    if for_config is not None:
        ctx.exit(_demo_for_config(ctx, for_config, spec, campaign, files, no_run, threads,
                                  progress, quiet))
    if not quiet:
        click.echo(f"writing {files} demo files of about {size} to {campaign} ...", err=True)
    with _writing_progress(files, spec.file_size, quiet, progress) as written:
        write_campaign(campaign, spec, files=files, progress=written)
    if no_run:
        click.echo(f"wrote {files} files to {campaign}")
        return
    pm = _host(ctx)
    config = resources.files("orcapost.configs").joinpath("demo.yml")
    data = read_yaml(config.read_text(encoding="utf-8"), "demo.yml")
    overrides = _overrides(threads, directory / "results", None)
    overrides["inputs.directory"] = str(campaign.resolve())
    loaded = validate_data(data, pm.registry, source="demo.yml", overrides=overrides,
                           base_directory=Path.cwd())
    ctx.exit(run_config(pm, loaded, progress=progress, quiet=quiet))


def _fresh_campaign(campaign: Path, force: bool) -> None:
    """Refuse a campaign folder that already holds files (the run would process them with the
    new ones: 24 + 48 files instead of 48), or with ``force`` clear it."""
    if not campaign.is_dir():
        return
    held = list(campaign.iterdir())
    if not held:
        return
    if not force:
        raise OrcapostError(
            f"the demo campaign folder {campaign} already holds {len(held)} files or folders "
            "(an earlier demo?): the run would process them together with the new files",
            hint="add --force to clear it first, or give another DIRECTORY")
    import shutil

    shutil.rmtree(campaign)


@contextlib.contextmanager
def _writing_progress(files: int, file_size: int, quiet: bool, progress: str | None):
    """A callback for each demo file written: a rich bar on a terminal, a plain line every
    few seconds otherwise (and nothing with --quiet or --progress silent)."""
    if quiet or progress == "silent":
        yield None
        return
    written = [0]
    started = time.monotonic()
    if (progress or ("rich" if sys.stderr.isatty() else "plain")) == "rich":
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        bar = Progress("writing", BarColumn(), MofNCompleteColumn(), "files",
                       TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        task = bar.add_task("demo", total=files)
        with bar:
            yield lambda path: bar.advance(task)
        return
    last = [started]

    def line(path: Path) -> None:
        written[0] += 1
        now = time.monotonic()
        if now - last[0] >= 5.0 or written[0] == files:
            last[0] = now
            click.echo(f"wrote {written[0]}/{files} demo files "
                       f"({written[0] * file_size / 1e6:.0f} MB, {now - started:.1f} s)", err=True)

    yield line


def _demo_for_config(ctx, config, spec, campaign, files, no_run, threads, progress,
                     quiet) -> int:
    """Write a campaign that satisfies CONFIG and run CONFIG on it (inputs and outputs
    redirected to the demo folder; everything else as the config says)."""
    from orcapost.config import load_config
    from orcapost.demo import spec_for_config, write_campaign

    pm = _host(ctx)
    overrides = _overrides(threads, campaign.parent / "results", None)
    overrides.update({"inputs.directory": str(campaign.resolve()), "inputs.patterns": ["*.arrow"],
                      "inputs.include": [], "inputs.exclude": [], "inputs.files": []})
    loaded = load_config(config, pm.registry, overrides=overrides)
    spec = spec_for_config(loaded.model, spec)
    if not quiet:
        click.echo(f"writing {files} demo files with the objects {config} names to "
                   f"{campaign} ...", err=True)
    with _writing_progress(files, spec.file_size, quiet, progress) as written:
        write_campaign(campaign, spec, files=files, progress=written)
    if no_run:
        click.echo(f"wrote {files} files to {campaign}")
        return 0
    return run_config(pm, loaded, progress=progress, quiet=quiet)


def _prestart(args: list[str]) -> None:
    """``orcapost run``: spawn the worker processes the default engine may use beside its
    threads now, before the plugins and the config are loaded, so their start-up runs on the
    other cores meanwhile (docs/engine.md, "Threads and worker processes"). The run's pool
    takes them over; a run that wants none kills them. Only the command line is read here:
    ``--threads 1``, ``--executor processes`` or one core start none."""
    command = next((arg for arg in args if not arg.startswith("-")), None)
    if command != "run" or "--help" in args:  # `run --help` runs nothing
        return
    import multiprocessing

    if multiprocessing.parent_process() is not None:
        # A worker process importing an unguarded main module that calls main(): never a
        # chain of spawns.
        return
    try:
        with run.make_context("run", list(args[args.index("run") + 1:]),
                              resilient_parsing=True) as ctx:
            threads, executor = ctx.params.get("threads"), ctx.params.get("executor")
    except (click.ClickException, click.exceptions.Exit):  # bad usage: run reports it
        return
    from orcapost.hybrid import prestart_count, prestart_processes

    prestart_processes(prestart_count(threads, executor))


def main(argv: list[str] | None = None) -> None:
    """The ``orcapost`` command. Called without ``argv`` (the console script, ``python -m
    orcapost``) it is the whole process, and ends it without the interpreter's teardown
    (:func:`_end_process`); with ``argv`` (tests, scripts) it raises ``SystemExit``."""
    whole_process = argv is None
    try:
        _prestart(sys.argv[1:] if argv is None else list(argv))
        cli.main(args=argv, prog_name="orcapost", obj={})
    except SystemExit as done:
        _exit(done.code, whole_process)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        _exit(EXIT_INTERRUPTED, whole_process)
    except Exception as exc:  # a bug, not bad input: say so briefly, full detail on request
        if os.environ.get("ORCAPOST_DEBUG"):
            raise
        click.echo(f"orcapost: internal error: {type(exc).__name__}: {exc}\n"
                   "  please report it; set ORCAPOST_DEBUG=1 to see the traceback", err=True)
        _exit(EXIT_INTERNAL, whole_process)


def _discard_prestarted() -> None:
    """Worker processes started early that no run took (threads only, an error first): killed,
    never waited for at exit."""
    hybrid = sys.modules.get("orcapost.hybrid")
    if hybrid is not None:
        hybrid.discard_prestarted()


def _exit(code, whole_process: bool = False) -> None:
    """Exit with ``code``. Worker threads still busy (a file that timed out, or files in
    flight when a run was interrupted: every output is written by now) would keep the process
    alive until they end, which may be never: then exit without waiting for them. Otherwise a
    ``whole_process`` ends by :func:`_end_process`."""
    _discard_prestarted()
    engine = sys.modules.get("orcapost.engine")  # no engine imported: no worker threads
    if engine is not None and engine.busy_worker_threads(wait=0.5):
        _flush_and_exit(_exit_status(code))
    if whole_process:
        _end_process(code)
    sys.exit(code)


def _exit_status(code) -> int:
    """What ``sys.exit(code)`` would exit with, its message printed as it would print it."""
    if isinstance(code, int):
        return code
    if code is not None:
        click.echo(str(code), err=True)
    return 0 if code is None else 1


def _end_process(code) -> None:
    """End the process as the interpreter would, but without its teardown.

    Every output is written and closed by now; what the interpreter's finalisation would still
    do is free every object and module one by one -- 0.3-0.5 s after a run that imported
    numba and pyarrow, as long as the tables took. So do its steps that matter, in its order:
    wait for non-daemon threads (after ``threading``'s own exit callbacks: executors stop their
    workers there), run the ``atexit`` handlers (logging, multiprocessing, plugins'), flush the
    standard streams, then ``os._exit``. On an interpreter without those two functions, the
    usual exit.
    """
    import atexit
    import threading

    shutdown_threads = getattr(threading, "_shutdown", None)
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if shutdown_threads is None or run_exit_handlers is None:
        sys.exit(code)
    status = _exit_status(code)
    try:
        shutdown_threads()
    except KeyboardInterrupt:  # Ctrl-C while a thread is waited for: stop waiting, quietly
        status = EXIT_INTERRUPTED
    run_exit_handlers()
    _flush_and_exit(status)


def _flush_and_exit(status: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: S110 -- a closed stream: nothing left to flush
            pass
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    main()
