"""Components by kind and name, collected from the registration hooks.

Each registration hook implementation is called on its own, so a plugin that raises while
registering is reported by name and left out, and every component knows which plugin gave it.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass

import pluggy
from orcapost.components import COMPONENT_KINDS, Component, Source
from orcapost.errors import OrcapostError, PluginError
from orcapost.plugin_problems import CONTAINED_AT_LOAD, PluginProblem, describe_exception

#: Registration hook of each component kind.
REGISTRATION_HOOKS: dict[str, str] = {
    "source": "orcapost_register_sources",
    "extractor": "orcapost_register_extractors",
    "thread_policy": "orcapost_register_thread_policies",
    "memory_optimizer": "orcapost_register_memory_optimizers",
    "io_scheduler": "orcapost_register_io_schedulers",
    "executor": "orcapost_register_executors",
    "sink": "orcapost_register_sinks",
    "reporter": "orcapost_register_reporters",
    "reduction": "orcapost_register_reductions",
}


def _suffixes(cls: type[Component]) -> tuple[str, ...]:
    """The suffixes a registered source reads (_check made sure it is a Source)."""
    assert issubclass(cls, Source)
    return cls.suffixes


@dataclass(frozen=True)
class RegisteredComponent:
    kind: str
    name: str
    cls: type[Component]
    plugin: str


class ComponentRegistry:
    def __init__(self) -> None:
        self._components: dict[str, dict[str, RegisteredComponent]] = {
            kind: {} for kind in COMPONENT_KINDS
        }

    def collect(self, pm: pluggy.PluginManager,
                distributions: Mapping[str, str]) -> list[PluginProblem]:
        """Call every registration hook implementation of ``pm``; return the plugins that
        failed (``distributions``: the distribution of each plugin, to name in a problem)."""
        problems: list[PluginProblem] = []
        for kind, hook_name in REGISTRATION_HOOKS.items():
            hook = getattr(pm.hook, hook_name)
            for impl in hook.get_hookimpls():
                staged: list[type[Component]] = []
                try:
                    impl.function(register=staged.append)
                    for cls in staged:
                        self._check(kind, cls, impl.plugin_name)
                except PluginError:
                    raise
                except CONTAINED_AT_LOAD as exc:
                    problems.append(PluginProblem(
                        impl.plugin_name, distributions.get(impl.plugin_name),
                        describe_exception(exc),
                    ))
                    continue
                for cls in staged:
                    self._add(kind, cls, impl.plugin_name)
        return problems

    def _check(self, kind: str, cls: object, plugin: str) -> None:
        base = COMPONENT_KINDS[kind]
        if not (inspect.isclass(cls) and issubclass(cls, base)):
            raise TypeError(f"registered {cls!r} as a {kind}, but it is not a {base.__name__}")
        if not isinstance(getattr(cls, "name", None), str) or not cls.name:
            raise TypeError(f"{cls.__name__} has no name")
        if inspect.isabstract(cls):
            raise TypeError(f"{cls.__name__} leaves abstract methods unimplemented")

    def _add(self, kind: str, cls: type[Component], plugin: str) -> None:
        if kind == "source":
            for other in self._components[kind].values():
                shared = set(_suffixes(other.cls)) & set(_suffixes(cls))
                if shared:
                    raise PluginError(
                        f"two plugins read {', '.join(sorted(shared))} files: "
                        f"{other.plugin!r} and {plugin!r}",
                        hint=f"disable one of them with ORCAPOST_DISABLE_PLUGINS={plugin}",
                    )
        existing = self._components[kind].get(cls.name)
        if existing is not None:
            raise PluginError(
                f"two plugins register a {kind} named {cls.name!r}: "
                f"{existing.plugin!r} and {plugin!r}",
                hint=f"disable one of them with ORCAPOST_DISABLE_PLUGINS={plugin}",
            )
        self._components[kind][cls.name] = RegisteredComponent(kind, cls.name, cls, plugin)

    # -- lookup ---------------------------------------------------------------------------
    def names(self, kind: str) -> list[str]:
        return sorted(self._components[kind])

    def all(self, kind: str) -> list[RegisteredComponent]:
        return [self._components[kind][name] for name in self.names(kind)]

    def get(self, kind: str, name: str) -> RegisteredComponent:
        try:
            return self._components[kind][name]
        except KeyError:
            names = self.names(kind)
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"did you mean {close[0]!r}?" if close else None
            raise OrcapostError(
                f"no {kind.replace('_', ' ')} named {name!r} (available: {', '.join(names)})",
                hint=hint,
            ) from None

    def create(self, kind: str, spec, tag: str = "name") -> Component:
        """Build a component from a validated config entry (its name and its options)."""
        from orcapost.schemas.config import create_selected

        return create_selected(self.get(kind, getattr(spec, tag)).cls, spec, tag)

    def config_model(self):
        """The v2 config model for these components (built once)."""
        if getattr(self, "_config_model", None) is None:
            from orcapost.schemas.config import build_config_model

            self._config_model = build_config_model(self)
        return self._config_model

    def source_for(self, suffix: str) -> RegisteredComponent | None:
        suffix = suffix.lower()
        for entry in self.all("source"):
            if suffix in _suffixes(entry.cls):
                return entry
        return None

    def by_plugin(self) -> dict[str, list[RegisteredComponent]]:
        out: dict[str, list[RegisteredComponent]] = {}
        for kind in COMPONENT_KINDS:
            for entry in self.all(kind):
                out.setdefault(entry.plugin, []).append(entry)
        return out
