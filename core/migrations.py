"""Config migrations: ordered, named, pure dict-to-dict steps keyed by the version they read.

``migrate`` applies the steps from a config's version up to the current one. Each step takes a
dict and returns a new dict (it never changes its input) plus notes on what it changed or
dropped (:mod:`orcapost.migration_step` says what a step is). The steps are the legacy
dialect's (:mod:`orcapost.legacy.steps`), listed in :data:`STEPS`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from orcapost.defaults import CONFIG_VERSION
from orcapost.errors import OrcapostError
from orcapost.legacy.detect import (
    KIND_BASE,
    KIND_NOT_CONFIG,
    KIND_RESULTS,
    RESULTS_DUMP,
    detect_legacy,
    kind_of,
    what_it_is,
)
from orcapost.migration_step import (
    LegacyBaseConfig,
    MigrationIssues,
    MigrationOptions,
    MigrationStep,
    NotPostProcessing,
    StepResult,
    origin_of,
)

# What callers of the migration driver have always imported from here.
__all__ = [
    "KIND_BASE", "KIND_NOT_CONFIG", "KIND_RESULTS", "RESULTS_DUMP", "kind_of",
    "STEPS",  # noqa: F822 - loaded at first use by the module's __getattr__
    "DETECTORS", "LegacyBaseConfig", "Migration", "MigrationIssues", "MigrationOptions",
    "MigrationStep", "NotAConfig", "NotPostProcessing", "StepResult", "detect_version", "migrate", "origin_of",
]


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


def steps_by_version(steps: Iterable[MigrationStep]) -> dict[int, MigrationStep]:
    """The steps keyed by the version each reads; two steps reading one version is an error."""
    out: dict[int, MigrationStep] = {}
    for step in steps:
        if step.from_version in out:
            raise ValueError(f"two migration steps read version {step.from_version}: "
                             f"{out[step.from_version].name!r} and {step.name!r}")
        out[step.from_version] = step
    return out


@functools.cache
def _steps() -> dict[int, MigrationStep]:
    """Steps by the version they read (:data:`STEPS`), loaded with the first config that needs
    one: a current config needs none, and the legacy dialect's steps cost ~30 ms to import at
    every start-up."""
    from orcapost.legacy.steps import LEGACY_STEPS

    return steps_by_version(LEGACY_STEPS)


def __getattr__(name: str) -> Any:
    if name == "STEPS":  # steps by the version they read, loaded at first use
        return _steps()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: Functions that recognise an unversioned config's dialect; each returns a version or None.
DETECTORS: list[Callable[[dict[str, Any]], int | None]] = [detect_legacy]


def detect_version(data: dict[str, Any], source: str = "<config>") -> int:
    version = data.get("version")
    if version is None:
        for detector in DETECTORS:
            found = detector(data)
            if found is not None:
                return found
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

    A config already at the current version is returned as it is, not copied (for a big config
    the copy cost as much as validating it): ``result.data`` is ``data``. A config that needs
    steps is copied first, so the migrated data shares nothing with the input.

    A step that cannot migrate its input raises :class:`MigrationIssues`; the issues' key paths
    are mapped back to the original data before it propagates.
    """
    options = options or MigrationOptions()
    version = detect_version(data, source)
    result = Migration(data=data, from_version=version)
    if version == CONFIG_VERSION:
        return result
    current = copy.deepcopy(data)
    while version != CONFIG_VERSION:
        step = _steps().get(version)
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
