"""``orcapost merge OUT1 OUT2 ... --output DIR``: the shards of a campaign, run with
``orcapost run CONFIG --shard I/N``, joined into one complete result set in DIR.

The checks and what is written are :func:`orcapost.merge.merge_shards`'s (docs/sharding.md): the shards
must share one config fingerprint, orcapost and plugin versions, and cover every file exactly
once; a shard that ended partial is refused, naming it. DIR gets the tables a single run over
the whole campaign writes (campaign tables included), a journal and a run report.
"""

from __future__ import annotations

from pathlib import Path

import click
from orcapost.api import hookimpl


@click.command("merge")
@click.argument("shards", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path),
              help="The folder the merged tables, journal and run report go into.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.pass_context
def merge_command(ctx, shards, output, quiet):
    """Merge the output folders SHARDS of `orcapost run CONFIG --shard I/N` into one result
    set in --output: the tables of a single run over the whole campaign."""
    from orcapost.api import merge_shards

    pm = ctx.find_root().obj["pm"]

    def warn(text: str) -> None:
        click.echo(f"warning: {text}", err=True)

    outcome = merge_shards(pm, list(shards), output, warn=warn)
    summary = outcome.summary
    if not quiet:
        click.echo(f"merged {len(outcome.report['merged_from'])} shards: {summary.files} files "
                   f"({summary.ok} ok, {summary.partial} partial or unfinished, "
                   f"{summary.failed} failed) into {output}")
        for path in summary.outputs:
            click.echo(f"wrote {path}")
    ctx.exit(summary.exit_code)


@hookimpl
def orcapost_register_commands(cli):
    cli.add_command(merge_command)
