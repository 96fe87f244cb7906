"""``orcapost migrate``: move legacy post-processing configs to version 2, file by file or a
whole repository at once, reporting what changed and what was dropped and why.

Over a folder every YAML file is classified: a post-processing config (to migrate, already
current, or with errors), the legacy tool's base config, one of its results files, a config of
another kind (visualisation, analysis, an OrcaFlex model, the pre-OPP dialect, ...) or not a
config at all. Only an error is exit 2; ``--check`` is exit 1 while something would change.
"""

from __future__ import annotations

import difflib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import click
from orcapost.api import CONFIG_VERSION, OrcapostError, atomic_path, hookimpl

SUFFIXES = (".yml", ".yaml")
#: The kind of every file that is (or tries to be) a post-processing config.
POSTPROCESSING = "post-processing config"


@dataclass
class Outcome:
    """What migrating one file came to."""

    path: Path
    state: str  # "current", "migrated", "skipped", "error"
    text: str | None = None
    original: str = ""
    from_version: int | None = None
    lines: list[str] = field(default_factory=list)
    kind: str = POSTPROCESSING
    data: dict[str, Any] | None = None
    origins: dict[tuple, tuple] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path.as_posix(), "kind": self.kind, "state": self.state,
                "from_version": self.from_version, "messages": self.lines}


def _files(paths: tuple[Path, ...]) -> list[tuple[Path, Path, bool]]:
    """(file, root it was found under, named explicitly) for each file to look at."""
    found = []
    for path in paths:
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                relative = file.relative_to(path).parts
                if file.suffix.lower() in SUFFIXES and file.is_file() and not any(
                    part.startswith(".") for part in relative
                ):
                    found.append((file, path, False))
        else:
            found.append((path, path.parent, True))
    return found


def migrate_file(path: Path, registry, keep_threads: bool, explicit: bool) -> Outcome:
    """Migrate one file in memory and check the result validates."""
    from orcapost.api import ConfigError, read_yaml, validate_data
    from orcapost.legacy.text import render
    from orcapost.migrations import (
        KIND_BASE,
        KIND_NOT_CONFIG,
        KIND_RESULTS,
        RESULTS_DUMP,
        LegacyBaseConfig,
        MigrationOptions,
        NotAConfig,
        NotPostProcessing,
        kind_of,
    )

    try:
        original = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Outcome(path, "error", lines=[f"cannot read it: {exc}"], kind="unreadable file")
    data = None
    try:
        data = read_yaml(original, str(path))
        if not isinstance(data, dict) and not explicit:
            # An empty file or a YAML list (a CI file, a playbook).
            what = "empty" if data is None else f"a YAML {type(data).__name__}"
            return Outcome(path, "skipped", original=original, kind=KIND_NOT_CONFIG,
                           lines=[f"{what}, not a post-processing config"])
        # Validated once, from the original text: errors name the legacy key and its line,
        # exactly as `orcapost validate` reports them.
        loaded = validate_data(data, registry, source=str(path), text=original, path=path,
                               options=MigrationOptions(keep_threads=keep_threads))
    except ConfigError as exc:
        if isinstance(exc.reason, LegacyBaseConfig):
            return Outcome(path, "skipped", original=original, kind=KIND_BASE, lines=[
                "the legacy tool's base config: its defaults are built into the migration, "
                "and it defines no results to run"])
        if isinstance(exc.reason, NotPostProcessing):
            if not explicit:
                return Outcome(path, "skipped", original=original, kind=exc.reason.kind,
                               lines=[str(exc.reason)])
            return Outcome(path, "error", original=original, kind=exc.reason.kind,
                           lines=str(exc).splitlines())
        if RESULTS_DUMP in str(exc):
            if not explicit:
                return Outcome(path, "skipped", original=original, kind=KIND_RESULTS,
                               lines=[RESULTS_DUMP])
            return Outcome(path, "error", original=original, kind=KIND_RESULTS,
                           lines=str(exc).splitlines())
        return Outcome(path, "error", original=original, lines=str(exc).splitlines())
    except NotAConfig as exc:
        kind = kind_of(data)
        if not explicit:
            return Outcome(path, "skipped", original=original, kind=kind, lines=[exc.what])
        return Outcome(path, "error", original=original, kind=kind, lines=str(exc).splitlines())
    except OrcapostError as exc:
        return Outcome(path, "error", original=original, lines=str(exc).splitlines())
    migration = loaded.migration
    assert migration is not None  # validate_data always records how the file was migrated
    if not migration.changed:
        return Outcome(path, "current", original=original, from_version=CONFIG_VERSION)
    text = render(migration.data, migration.origins, original)
    lines = [f"changed: {note}" for note in migration.notes]
    lines += [f"dropped: {note}" for note in migration.dropped]
    return Outcome(path, "migrated", text=text, original=original,
                   from_version=migration.from_version, lines=lines, data=migration.data,
                   origins=migration.origins)


def _moved(value: str, source: Path, target: Path) -> str:
    """A folder path relative to the config in ``source``, as seen from ``target`` (both
    folders); an absolute path is kept."""
    if PurePath(value).is_absolute() or (len(value) > 1 and value[1] == ":"):
        return value
    place = Path(os.path.normpath(source.resolve() / value))
    try:
        return Path(os.path.relpath(place, target.resolve())).as_posix()
    except ValueError:  # another drive (Windows): no relative path between them
        return place.as_posix()


def relocated(outcome: Outcome, target: Path) -> str:
    """The migrated text for a config written to ``target`` instead of beside the original:
    its input and output folders rewritten to point at the same places."""
    from orcapost.legacy.text import render

    assert outcome.data is not None
    source, destination = outcome.path.parent, target.parent
    if source.resolve() == destination.resolve():
        return outcome.text or ""
    data = dict(outcome.data)
    data["inputs"] = dict(data["inputs"], directory=_moved(
        str(data["inputs"].get("directory", ".")), source, destination))
    outputs = dict(data.get("outputs") or {})
    outputs["directory"] = _moved(str(outputs.get("directory", "results")), source,
                                  destination)
    data["outputs"] = {"directory": outputs.pop("directory"), **outputs}
    return render(data, outcome.origins, outcome.original)


def _write(text: str, target: Path) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def _report(outcome: Outcome, file: Path, in_place: bool, output: Path | None, root: Path
            ) -> None:
    if outcome.state == "current":
        click.echo(f"{file}: already current (version {CONFIG_VERSION}), nothing to do")
    elif outcome.state == "skipped":
        click.echo(f"{file}: skipped, {outcome.lines[0]}")
    elif outcome.state == "error":
        click.echo(f"{file}: cannot migrate ({outcome.kind})", err=True)
        for line in outcome.lines:
            click.echo(f"  {line}", err=True)
    else:
        where = "not written (use --in-place or --output DIR)"
        if in_place:
            _write(outcome.text or "", file)
            where = "rewritten in place"
        elif output is not None:
            target = output / file.relative_to(root)
            _write(relocated(outcome, target), target)
            where = f"written to {target} (its folders rewritten to point at the same data)"
        click.echo(f"{file}: legacy (version {outcome.from_version}) -> version "
                   f"{CONFIG_VERSION}, {where}")
        for line in outcome.lines:
            click.echo(f"  {line}")


def summary_rows(outcomes: list[Outcome]) -> list[tuple[str, str, int]]:
    """(kind, state, count) for the summary table, post-processing configs first."""
    counts = Counter((o.kind, o.state) for o in outcomes)
    return sorted(((kind, state, n) for (kind, state), n in counts.items()),
                  key=lambda row: (row[0] != POSTPROCESSING, row[0], row[1]))


def _table(rows: list[tuple[str, str, int]]) -> str:
    width = max([len("what the file is")] + [len(kind) for kind, _, _ in rows])
    lines = [f"{'what the file is':<{width}}  {'state':<9}  files"]
    lines += [f"{kind:<{width}}  {state:<9}  {n:>5}" for kind, state, n in rows]
    return "\n".join(lines)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="Exit 1 if any file needs migrating (for CI).")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of each change.")
@click.option("--in-place", is_flag=True, help="Rewrite each legacy file in place.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Write migrated files under DIR (folder structure kept; their input and "
                   "output folders rewritten to point at the same data).")
@click.option("--keep-threads", is_flag=True,
              help="Keep thread counts above 15 (default: capped at 15, see docs/migration.md).")
@click.option("--format", "report_format", type=click.Choice(["text", "json"]), default="text",
              help="json: one JSON document (every file's kind, state and messages, and the "
                   "counts) on stdout, for CI.")
@click.pass_context
def migrate(ctx, paths, check, show_diff, in_place, output, keep_threads, report_format):
    """Migrate legacy post-processing configs in PATHS (files, or folders searched recursively
    for .yml/.yaml) to config version 2; every file is classified by what it is."""
    if in_place and output is not None:
        raise click.UsageError("give --in-place or --output DIR, not both")
    registry = ctx.find_root().obj["pm"].registry
    outcomes = []
    quiet = report_format == "json"
    for file, root, explicit in _files(paths):
        outcome = migrate_file(file, registry, keep_threads, explicit)
        outcomes.append(outcome)
        if quiet:
            if outcome.state == "migrated" and (in_place or output is not None):
                target = file if in_place else output / file.relative_to(root)
                _write(outcome.text or "" if in_place else relocated(outcome, target), target)
            continue
        _report(outcome, file, in_place, output, root)
        if show_diff and outcome.state == "migrated":
            click.echo("".join(difflib.unified_diff(
                outcome.original.splitlines(keepends=True),
                (outcome.text or "").splitlines(keepends=True),
                fromfile=str(file), tofile=f"{file} (migrated)")), nl=False)
    counts = {state: sum(o.state == state for o in outcomes)
              for state in ("migrated", "current", "skipped", "error")}
    if quiet:
        click.echo(json.dumps({
            "files": [o.as_json() for o in outcomes],
            "summary": [{"kind": k, "state": s, "files": n} for k, s, n in summary_rows(outcomes)],
            "counts": counts,
        }, indent=2))
    else:
        if len(outcomes) > 1:
            click.echo(_table(summary_rows(outcomes)))
        click.echo(f"{counts['migrated']} to migrate, {counts['current']} current, "
                   f"{counts['skipped']} skipped, {counts['error']} with errors")
    if counts["error"]:
        ctx.exit(2)
    if check and counts["migrated"] and not (in_place or output is not None):
        ctx.exit(1)


@hookimpl
def orcapost_register_commands(cli):
    cli.add_command(migrate)
