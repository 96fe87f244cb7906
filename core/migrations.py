"""Config migrations: ordered, named, pure dict-to-dict steps keyed by the version they read.

``migrate`` applies the steps from a config's version up to the current one. Each step takes a
dict and returns a new dict (it never changes its input) plus notes on what it changed or
dropped; a step is registered with :func:`migration`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orcapost.defaults import CONFIG_VERSION
from orcapost.errors import OrcapostError


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
    from_version: int
    to_version: int
    name: str
    function: Callable[[dict[str, Any], MigrationOptions], StepResult]


class MigrationIssues(Exception):
    """Raised by a step for input it cannot migrate: ``issues`` are (key path, message) pairs,
    the key path in the step's input. :func:`migrate` maps them back to the original keys."""

    def __init__(self, issues: list[tuple[tuple, str]]) -> None:
        super().__init__("; ".join(message for _, message in issues))
        self.issues = issues


class LegacyBaseConfig(MigrationIssues):
    """The legacy tool's own base config (its defaults, merged under every file): nothing to
    migrate or run, and ``orcapost migrate`` skips it when searching a folder."""


class NotAConfig(OrcapostError):
    """A YAML document that is neither an orcapost config nor a legacy post-processing config;
    ``what`` says what it is (an OrcaFlex model file, another tool's config, ...)."""

    def __init__(self, source: str, what: str) -> None:
        super().__init__(
            f"{source}: this is {what}. orcapost post-processes simulation results; its config "
            "lists the result files and the results to extract",
            hint=f"an orcapost config starts with 'version: {CONFIG_VERSION}' (docs/config.md); "
            "a legacy post-processing config (basename: orcaflex_post_process) is read as is",
        )
        self.what = what


@dataclass
class Migration:
    data: dict[str, Any]
    from_version: int
    steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Current key path -> key path in the original data (only for keys that moved).
    origins: dict[tuple, tuple] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.steps)


#: Steps by the version they read.
STEPS: dict[int, MigrationStep] = {}

#: Functions that recognise an unversioned config's dialect; each returns a version or None.
DETECTORS: list[Callable[[dict[str, Any]], int | None]] = []


def migration(from_version: int, to_version: int, name: str):
    """Register a pure step that turns a ``from_version`` dict into a ``to_version`` dict; it
    is called with the dict and the user's :class:`MigrationOptions`."""

    def decorate(function: Callable[[dict[str, Any], MigrationOptions], StepResult]):
        if from_version in STEPS:
            raise ValueError(f"two migration steps read version {from_version}")
        STEPS[from_version] = MigrationStep(from_version, to_version, name, function)
        return function

    return decorate


def detect_version(data: dict[str, Any], source: str = "<config>") -> int:
    version = data.get("version")
    if version is None:
        for detector in DETECTORS:
            found = detector(data)
            if found is not None:
                return found
        from orcapost.legacy.detect import what_it_is

        raise NotAConfig(source, what_it_is(data))
    if isinstance(version, bool) or not isinstance(version, int):
        raise OrcapostError(f"{source}: version must be a whole number, not {version!r}",
                            hint=f"use 'version: {CONFIG_VERSION}'")
    if version > CONFIG_VERSION:
        raise OrcapostError(
            f"{source}: config version {version} is newer than this orcapost reads "
            f"({CONFIG_VERSION})",
            hint="upgrade orcapost",
        )
    return version


def migrate(data: dict[str, Any], source: str = "<config>",
            options: MigrationOptions | None = None) -> Migration:
    """Bring ``data`` to the current version. The input is never modified.

    A step that cannot migrate its input raises :class:`MigrationIssues`; the issues' key paths
    are mapped back to the original data before it propagates.
    """
    options = options or MigrationOptions()
    version = detect_version(data, source)
    result = Migration(data=data, from_version=version)
    current = copy.deepcopy(data)
    while version != CONFIG_VERSION:
        step = STEPS.get(version)
        if step is None:
            raise OrcapostError(
                f"{source}: no migration from config version {version}",
                hint=f"write the config for version {CONFIG_VERSION}",
            )
        try:
            out = step.function(current, options)
        except MigrationIssues as exc:
            exc.issues = [(origin_of(result.origins, path, path), msg) for path, msg in exc.issues]
            raise
        result.steps.append(step.name)
        result.notes.extend(out.notes)
        result.dropped.extend(out.dropped)
        # Chain origins: a key of this step's output -> its key in the original data.
        result.origins = {new: origin_of(result.origins, old, old)
                          for new, old in out.origins.items()}
        current, version = out.data, step.to_version
    result.data = current
    return result


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


# The legacy dialect's steps and detector register themselves on import.
from orcapost.legacy import steps as _legacy_steps  # noqa: E402,F401
