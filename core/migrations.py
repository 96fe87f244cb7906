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
    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MigrationStep:
    from_version: int
    to_version: int
    name: str
    function: Callable[[dict[str, Any]], StepResult]


@dataclass
class Migration:
    data: dict[str, Any]
    from_version: int
    steps: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.steps)


#: Steps by the version they read.
STEPS: dict[int, MigrationStep] = {}

#: Functions that recognise an unversioned config's dialect; each returns a version or None.
DETECTORS: list[Callable[[dict[str, Any]], int | None]] = []


def migration(from_version: int, to_version: int, name: str):
    """Register a pure step that turns a ``from_version`` dict into a ``to_version`` dict."""

    def decorate(function: Callable[[dict[str, Any]], StepResult]):
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
        raise OrcapostError(
            f"{source}: no 'version' key, and the file is not a recognised older config",
            hint=f"an orcapost config starts with 'version: {CONFIG_VERSION}'",
        )
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


def migrate(data: dict[str, Any], source: str = "<config>") -> Migration:
    """Bring ``data`` to the current version. The input is never modified."""
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
        out = step.function(current)
        result.steps.append(step.name)
        result.notes.extend(out.notes)
        current, version = out.data, step.to_version
    result.data = current
    return result
