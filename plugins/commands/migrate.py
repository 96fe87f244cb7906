"""``orcapost migrate``: move legacy post-processing configs to version 2, file by file or a
whole repository at once, reporting what changed and what was dropped and why."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import click
from orcapost.api import CONFIG_VERSION, OrcapostError, atomic_path, hookimpl

SUFFIXES = (".yml", ".yaml")


@dataclass
class Outcome:
    """What migrating one file came to."""

    path: Path
    state: str  # "current", "migrated", "skipped", "error"
    text: str | None = None
    original: str = ""
    from_version: int | None = None
    lines: list[str] = field(default_factory=list)


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
    from orcapost.migrations import LegacyBaseConfig, MigrationOptions, NotAConfig

    try:
        original = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Outcome(path, "error", lines=[f"cannot read it: {exc}"])
    try:
        data = read_yaml(original, str(path))
        if not isinstance(data, dict) and not explicit:
            # An empty file or a YAML list (a CI file, a playbook).
            what = "empty" if data is None else f"a YAML {type(data).__name__}"
            return Outcome(path, "skipped", original=original,
                           lines=[f"{what}, not a post-processing config"])
        # Validated once, from the original text: errors name the legacy key and its line,
        # exactly as `orcapost validate` reports them.
        loaded = validate_data(data, registry, source=str(path), text=original, path=path,
                               options=MigrationOptions(keep_threads=keep_threads))
    except ConfigError as exc:
        if isinstance(exc.reason, LegacyBaseConfig):
            return Outcome(path, "skipped", original=original, lines=[
                "the legacy tool's base config: its defaults are built into the migration, "
                "and it defines no results to run"])
        return Outcome(path, "error", original=original, lines=str(exc).splitlines())
    except NotAConfig as exc:
        if not explicit:
            return Outcome(path, "skipped", original=original, lines=[exc.what])
        return Outcome(path, "error", original=original, lines=str(exc).splitlines())
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
                   from_version=migration.from_version, lines=lines)


def _write(outcome: Outcome, target: Path) -> None:
    assert outcome.text is not None  # only a migrated outcome is written
    with atomic_path(target) as tmp:
        tmp.write_text(outcome.text, encoding="utf-8", newline="\n")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="Exit 1 if any file needs migrating (for CI).")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of each change.")
@click.option("--in-place", is_flag=True, help="Rewrite each legacy file in place.")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="Write migrated files under DIR (folder structure kept).")
@click.option("--keep-threads", is_flag=True,
              help="Keep thread counts above 15 (default: capped at 15, see docs/migration.md).")
@click.pass_context
def migrate(ctx, paths, check, show_diff, in_place, output, keep_threads):
    """Migrate legacy post-processing configs in PATHS (files, or folders searched recursively
    for .yml/.yaml) to config version 2."""
    if in_place and output is not None:
        raise click.UsageError("give --in-place or --output DIR, not both")
    registry = ctx.find_root().obj["pm"].registry
    outcomes = []
    for file, root, explicit in _files(paths):
        outcome = migrate_file(file, registry, keep_threads, explicit)
        outcomes.append(outcome)
        if outcome.state == "current":
            click.echo(f"{file}: already current (version {CONFIG_VERSION}), nothing to do")
        elif outcome.state == "skipped":
            click.echo(f"{file}: skipped, {outcome.lines[0]}")
        elif outcome.state == "error":
            click.echo(f"{file}: cannot migrate", err=True)
            for line in outcome.lines:
                click.echo(f"  {line}", err=True)
        else:
            where = "not written (use --in-place or --output DIR)"
            if in_place:
                _write(outcome, file)
                where = "rewritten in place"
            elif output is not None:
                target = output / file.relative_to(root)
                _write(outcome, target)
                where = f"written to {target}"
            click.echo(f"{file}: legacy (version {outcome.from_version}) -> version "
                       f"{CONFIG_VERSION}, {where}")
            for line in outcome.lines:
                click.echo(f"  {line}")
        if show_diff and outcome.state == "migrated":
            click.echo("".join(difflib.unified_diff(
                outcome.original.splitlines(keepends=True), outcome.text.splitlines(keepends=True),
                fromfile=str(file), tofile=f"{file} (migrated)")), nl=False)
    counts = {state: sum(o.state == state for o in outcomes)
              for state in ("migrated", "current", "skipped", "error")}
    click.echo(f"{counts['migrated']} to migrate, {counts['current']} current, "
               f"{counts['skipped']} skipped, {counts['error']} with errors")
    if counts["error"]:
        ctx.exit(2)
    if check and counts["migrated"] and not (in_place or output is not None):
        ctx.exit(1)


@hookimpl
def orcapost_register_commands(cli):
    cli.add_command(migrate)
