"""Which figures to draw: the ``outputs.report`` lists, or defaults from what the tables hold.

A list given in the config is drawn as given, and a table or column it names that is not in the
results is an error naming it (exit 2). A list left out is filled from the tables
(docs/report.md, "Defaults"), never more than ``max_figures`` figures in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from orcapost.api import OrcapostError, ReportConfig
from orcapost.plugins.commands.report_html.tables import Table, load_case_keys, value_columns


@dataclass
class Plan:
    """The figures to draw, in page order: (kind, table, options) per entry."""

    keys: list[str]
    #: The result groups (their tables' names).
    groups: list[str] = field(default_factory=list)
    entries: list[tuple[str, Table, Any]] = field(default_factory=list)
    #: Figures a default would have drawn beyond ``max_figures``: listed on the page.
    left_out: list[str] = field(default_factory=list)
    #: Figures whose drawing failed, with the reason: listed on the page and by the command.
    failed: list[str] = field(default_factory=list)


def _table(tables: dict[str, Table], name: str, kind: str, what: str) -> Table:
    table = tables.get(name)
    wanted = [t.name for t in tables.values() if t.kind == kind]
    if table is None or table.kind != kind:
        found = ", ".join(wanted) or "none"
        raise OrcapostError(f"outputs.report.{what}: {name!r} is not a {kind.replace('_', ' ')} "
                            f"table of these results (there: {found})",
                            hint="name a table by its file stem, or leave the list out")
    return table


def _column(table: Table, name: str, what: str) -> None:
    if name not in table.columns:
        raise OrcapostError(f"outputs.report.{what}: table {table.name!r} has no column "
                            f"{name!r}", hint="use a column name exactly as in the table")


def _first_max(table: Table, keys: list[str]) -> str | None:
    """A group's governing column by default: its first non-constant '... max' column."""
    columns = value_columns(table, keys)
    for name in [c for c in columns if c.endswith(" max")] + columns:
        values = table.numeric(name)
        finite = values[np.isfinite(values)]
        if finite.size >= 2 and finite.min() != finite.max():
            return name
    return None


def _key_pair(table: Table, keys: list[str]) -> tuple[str, str] | None:
    """The default heat map's axes: heading x Hs, else the first two load-case keys that vary
    (seeds are repeats of one case, not a key to map)."""
    if "heading" in table.columns and "Hs" in table.columns:
        return "heading", "Hs"
    varying = [k for k in keys if k in table.columns and k != "seed" and table.is_numeric(k)
               and np.unique(table.numeric(k)).size > 1]
    return (varying[0], varying[1]) if len(varying) >= 2 else None


def _default(kind: str, **values: Any) -> Any:
    """A default entry of list ``kind``, validated by the same model a config entry is."""
    return getattr(ReportConfig.model_validate({kind: [values]}), kind)[0]


def plan_figures(tables: dict[str, Table], options: ReportConfig) -> Plan:
    keys = load_case_keys(tables)
    groups = [t for t in tables.values() if t.kind == "group"]
    plan = Plan(keys, [t.name for t in groups])

    def add(kind: str, table: Table, entry: Any) -> None:
        plan.entries.append((kind, table, entry))

    def per_table(figure: str, option: str, kind: str, columns: Any) -> None:
        """A figure drawn from one table: one per table of ``kind`` by default, else one per
        entry of ``options.<option>``, its table and ``columns(entry)`` checked."""
        entries = getattr(options, option)
        if entries is None:
            for table in tables.values():
                if table.kind == kind:
                    add(figure, table, _default(option, table=table.name))
            return
        for entry in entries:
            table = _table(tables, entry.table, kind, option)
            for name in columns(entry):
                _column(table, name, option)
            add(figure, table, entry)

    per_table("envelope", "envelopes", "envelope", lambda entry: entry.statistics)

    if options.heatmaps is None:
        for table in groups:
            column = _first_max(table, keys)
            pair = _key_pair(table, keys)
            if column and pair:
                add("heatmap", table, _default("heatmaps", group=table.name, column=column,
                                               x=pair[0], y=pair[1]))
    else:
        for heat in options.heatmaps:
            table = _table(tables, heat.group, "group", "heatmaps")
            for name in (heat.column, heat.x, heat.y):
                _column(table, name, "heatmaps")
            add("heatmap", table, heat)

    if options.probability is None:
        for table in groups:
            column = _first_max(table, keys)
            if column:
                add("probability", table, _default("probability", group=table.name,
                                                      column=column))
    else:
        for chance in options.probability:
            table = _table(tables, chance.group, "group", "probability")
            _column(table, chance.column, "probability")
            for key in chance.by or ():
                _column(table, key, "probability")
            add("probability", table, chance)

    per_table("fit", "fits", "extremes_sample", lambda entry: ())
    per_table("rainflow", "rainflow", "histogram", lambda entry: ())
    per_table("time_history", "time_histories", "time_history",
              lambda entry: entry.columns or ())

    if len(plan.entries) > options.max_figures:
        plan.left_out = [f"{kind} of {table.name}"
                         for kind, table, _ in plan.entries[options.max_figures:]]
        plan.entries = plan.entries[:options.max_figures]
    return plan
