"""What one config migration step is: what it is given, what it returns, what it raises.

A step is a pure function from a dict of one config version to a dict of the next. The steps of
a dialect (:mod:`orcapost.legacy.steps`) are written against this module, and the driver that
chains them (:mod:`orcapost.migrations`) runs them; neither needs the other to say what a step is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, overload


@dataclass
class StepResult:
    """A step's output: the new dict, what it changed (``notes``), what it dropped and why
    (``dropped``), and where keys came from (``origins``: new key path -> key path in the
    step's input), so comments and error lines can follow a key that moved."""

    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    origins: dict[tuple, tuple] = field(default_factory=dict)


@dataclass(frozen=True)
class MigrationOptions:
    """Choices the user makes when migrating (``orcapost migrate --keep-threads``)."""

    keep_threads: bool = False


@dataclass(frozen=True)
class MigrationStep:
    """A named step that turns a ``from_version`` dict into a ``to_version`` dict; ``function``
    is called with the dict and the user's :class:`MigrationOptions`."""

    from_version: int
    to_version: int
    name: str
    function: Callable[[dict[str, Any], MigrationOptions], StepResult]


class MigrationIssues(Exception):
    """Raised by a step for input it cannot migrate: ``issues`` are (key path, message) pairs,
    the key path in the step's input. The driver maps them back to the original keys."""

    def __init__(self, issues: list[tuple[tuple, str]]) -> None:
        super().__init__("; ".join(message for _, message in issues))
        self.issues = issues


class LegacyBaseConfig(MigrationIssues):
    """The legacy tool's own base config (its defaults, merged under every file): nothing to
    migrate or run, and ``orcapost migrate`` skips it when searching a folder."""


class NotPostProcessing(MigrationIssues):
    """A file of the legacy dialect that defines no post-processing job (a visualisation
    config, one with nothing switched on): ``kind`` says what it is. ``orcapost migrate`` over a
    folder classifies it instead of failing; run or validate it and the reason is the error."""

    def __init__(self, kind: str, issues: list[tuple[tuple, str]]) -> None:
        super().__init__(issues)
        self.kind = kind


@overload
def origin_of(origins: dict[tuple, tuple], path: tuple, default: tuple) -> tuple: ...
@overload
def origin_of(origins: dict[tuple, tuple], path: tuple,
              default: None = None) -> tuple | None: ...
def origin_of(origins: dict[tuple, tuple], path: tuple,
              default: tuple | None = None) -> tuple | None:
    """Where the key ``path`` came from, by its longest prefix in ``origins`` (new key path ->
    old key path); ``default`` when no prefix of it moved."""
    path = tuple(path)
    for length in range(len(path), 0, -1):
        found = origins.get(path[:length])
        if found is not None:
            return found + path[length:]
    return default
