"""Helpers for extractor authors: expand a column's glob patterns and name its outputs
(:class:`Namer`, :func:`namer_for`) and its extra tables (:func:`table_name`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from orcapost.names import placeholders
from orcapost.resultfile import ObjectInfo, ResultFile, VariableInfo


@dataclass(frozen=True)
class Target:
    """One object/variable pair a column's patterns matched in a file."""

    obj: ObjectInfo
    var: VariableInfo


def targets(file: ResultFile, column) -> Iterator[Target]:
    """Every (object, variable) a column's ``object`` and ``variable`` patterns match.

    A pattern that matches nothing raises :class:`~orcapost.errors.ResultFileError` (a per-file
    error, never silence).
    """
    catalogue = file.catalogue()
    for obj in catalogue.objects(column.object):
        for var in catalogue.variables(obj, column.variable):
            yield Target(obj, var)


class Namer:
    """Names the outputs of one column: the label as a template, plus what varies.

    ``varying`` lists the parts with more than one value in this column (e.g. ``object`` when
    ``Line*`` matched several lines, ``statistic`` when several were asked for). A varying part
    the label has no placeholder for is appended, so output names never collide.
    """

    def __init__(self, label: str, varying: list[str]) -> None:
        self.label = label
        present = self.present = placeholders(label)
        self.append = [part for part in varying if part not in present]

    def __call__(self, **parts: str) -> str:
        name = self.label.format_map(_Missing(parts)) if self.present else self.label
        for part in self.append:
            name += f" {parts[part]}"
        return name


def namer_for(label: str, found: list[Target], parts: list[str] | None = None) -> Namer:
    """The :class:`Namer` of a column's outputs over the targets it matched: ``object`` and
    ``variable`` vary when the targets have more than one of them, then ``parts`` (e.g.
    ``["statistic"]`` when several statistics were asked for)."""
    varying = []
    if len({t.obj.name for t in found}) > 1:
        varying.append("object")
    if len({t.var.name for t in found}) > 1:
        varying.append("variable")
    return Namer(label, varying + list(parts or []))


def table_name(label: str, column: Any) -> str:
    """The name of a column's extra table: its label with the patterns it was given."""
    return Namer(label, [])(object=getattr(column, "object", ""),
                            variable=getattr(column, "variable", ""), statistic="")


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
