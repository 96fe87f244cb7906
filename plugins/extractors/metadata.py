"""The ``metadata`` extractor: load-case values as columns.

Three sources, each optional:

- ``keys``: load-case metadata the file carries (Hs, Tp, heading, seed, ...);
- ``pattern``: a regular expression searched in the file name; each named group becomes a
  column, its text converted to an int or a float when it reads as one;
- ``data``: model data items, ``ResultFile.model_data(object, name, index)`` (OrcaFlex
  ``model[object].GetData(name, index)``).

Columns are named by the label with ``{key}`` (the key, group name or data label); without the
placeholder the key is appended. Conventions: docs/extractors/metadata.md.
"""

from __future__ import annotations

import re
from typing import Any

from orcapost.api import (
    ColumnOptions,
    DataItem,
    Extractor,
    Namer,
    ResultFileError,
    hookimpl,
)
from pydantic import Field, field_validator, model_validator


class MetadataColumn(ColumnOptions):
    label: str = Field(default="{key}", min_length=1,
                       description="Output column name template; {key} is each key's name.")
    keys: list[str] = Field(default_factory=list, description="Load-case keys to copy.")
    pattern: str | None = Field(
        default=None, description="Regular expression with named groups, searched in the file "
        "name (e.g. 'H(?P<heading>\\d+)_Hs(?P<Hs>[\\d.]+)').")
    data: list[DataItem] = Field(default_factory=list, description="Model data items.")

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value):
        if value is None:
            return value
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"pattern is not a regular expression: {exc}") from None
        if not compiled.groupindex:
            raise ValueError("pattern has no named group: write (?P<name>...) for each column")
        return value

    def output_names(self) -> list[str]:
        name = Namer(self.label, ["key"])
        groups = list(re.compile(self.pattern).groupindex) if self.pattern else []
        return [name(key=key) for key in [*self.keys, *groups, *(i.key() for i in self.data)]]

    @model_validator(mode="after")
    def _something(self):
        if not (self.keys or self.pattern or self.data):
            raise ValueError("give keys, pattern or data")
        return self


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


class MetadataExtractor(Extractor):
    """Load-case values from the file, from the file name by regular expression, and model data."""

    name = "metadata"
    Options = MetadataColumn

    def extract(self, file, column: MetadataColumn) -> dict:
        name = Namer(column.label, ["key"])
        out: dict[str, Any] = {}
        if column.keys:
            load_case = file.load_case()
            for key in column.keys:
                if key not in load_case:
                    raise ResultFileError(f"no load-case key {key!r} in this file "
                                          f"(keys: {', '.join(load_case) or 'none'})")
                out[name(key=key)] = load_case[key]
        if column.pattern is not None:
            match = re.search(column.pattern, file.path.name)
            if match is None:
                raise ResultFileError(f"file name {file.path.name!r} does not match pattern "
                                      f"{column.pattern!r}")
            for group, text in match.groupdict().items():
                out[name(key=group)] = None if text is None else _number(text)
        for item in column.data:
            out[name(key=item.key())] = file.model_data(item.object, item.name, item.index)
        return out


@hookimpl
def orcapost_register_extractors(register):
    register(MetadataExtractor)
