"""Build the plugin manager and the component registry.

The host is small on purpose (pluggy's eggsample): a ``PluginManager`` with orcapost's hookspecs,
the built-in plugin modules, then third-party plugins from the ``orcapost`` entry-point group.

Recovering from a broken plugin (as ``LLM_LOAD_PLUGINS`` does for llm):

- ``ORCAPOST_DISABLE_PLUGINS=name1,name2`` blocks plugins by name (entry-point name, or a
  built-in module name such as ``orcapost.plugins.sinks.parquet``);
- ``ORCAPOST_LOAD_PLUGINS=name1,name2`` loads only those entry-point plugins (empty: none).

A plugin that fails to import or register is reported by name with how to disable it, and the
host carries on without it.
"""

from __future__ import annotations

import importlib
import os
import traceback
from dataclasses import dataclass
from importlib import metadata

import pluggy
from orcapost import hookspecs
from orcapost.errors import PluginError
from orcapost.markers import PROJECT_NAME
from orcapost.plugins import BUILTIN_PLUGINS
from orcapost.registry import ComponentRegistry

ENTRY_POINT_GROUP = "orcapost"
DISABLE_ENV = "ORCAPOST_DISABLE_PLUGINS"
LOAD_ENV = "ORCAPOST_LOAD_PLUGINS"


@dataclass(frozen=True)
class PluginProblem:
    """A plugin that could not be loaded or registered."""

    plugin: str
    distribution: str | None
    error: str

    def message(self) -> str:
        where = f" (distribution {self.distribution})" if self.distribution else ""
        return (
            f"plugin {self.plugin!r}{where} was not loaded: {self.error}\n"
            f"  to run without it: set {DISABLE_ENV}={self.plugin}"
            + (f", or pip uninstall {self.distribution.split()[0]}" if self.distribution else "")
        )


class OrcapostPluginManager(pluggy.PluginManager):
    """A PluginManager that refuses registration changes while a run is active."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.run_active = False
        self.problems: list[PluginProblem] = []
        self.distributions: dict[str, str] = {}
        self._registry: ComponentRegistry | None = None

    def register(self, plugin, name=None):
        if self.run_active:
            raise PluginError("plugins cannot be registered while a run is active")
        if _registers_components(plugin):
            self._registry = None
        return super().register(plugin, name)

    def unregister(self, plugin=None, name=None):
        if self.run_active:
            raise PluginError("plugins cannot be unregistered while a run is active")
        if plugin is None and name is not None:
            plugin = self.get_plugin(name)
        if plugin is None or _registers_components(plugin):
            self._registry = None
        return super().unregister(plugin, name)

    @property
    def registry(self) -> ComponentRegistry:
        """Components by kind and name, built (once) from the registration hooks."""
        if self._registry is None:
            registry = ComponentRegistry()
            self.problems.extend(registry.collect(self))
            self._registry = registry
        return self._registry


def _registers_components(plugin) -> bool:
    """Whether a plugin implements a registration hook (the component registry then changes;
    a run listener, registered for the length of a run, leaves it as it is)."""
    return any(name.startswith("orcapost_register_") for name in dir(plugin))


def _names_from_env(variable: str) -> set[str] | None:
    raw = os.environ.get(variable)
    if raw is None:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


def _describe(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {last[0].filename}:{last[0].lineno}" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def get_plugin_manager(*, entry_points: bool = True) -> OrcapostPluginManager:
    """The plugin manager with built-in and installed plugins registered."""
    pm = OrcapostPluginManager()
    pm.add_hookspecs(hookspecs)
    blocked = _names_from_env(DISABLE_ENV) or set()
    for name in blocked:
        pm.set_blocked(name)
    for module_name in BUILTIN_PLUGINS:
        if module_name in blocked:
            continue
        pm.register(importlib.import_module(module_name), module_name)
        pm.distributions[module_name] = "orcapost (built-in)"
    if entry_points:
        _load_entry_points(pm, blocked)
    return pm


def _load_entry_points(pm: OrcapostPluginManager, blocked: set[str]) -> None:
    wanted = _names_from_env(LOAD_ENV)
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in blocked or (wanted is not None and ep.name not in wanted):
            continue
        if pm.get_plugin(ep.name) is not None:
            continue
        dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist else None
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except Exception as exc:  # a broken plugin must not take the host down
            pm.problems.append(PluginProblem(ep.name, dist, _describe(exc)))
            continue
        if dist:
            pm.distributions[ep.name] = dist
