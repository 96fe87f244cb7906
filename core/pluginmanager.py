"""Build the plugin manager and the component registry.

The host is small on purpose (pluggy's eggsample): a ``PluginManager`` with orcapost's hookspecs,
the built-in plugin modules, then third-party plugins from the ``orcapost`` entry-point group.

Recovering from a broken plugin (as ``LLM_LOAD_PLUGINS`` does for llm):

- ``ORCAPOST_DISABLE_PLUGINS=name1,name2`` blocks plugins by name (entry-point name, or a
  built-in module name such as ``orcapost.plugins.sinks.parquet``);
- ``ORCAPOST_LOAD_PLUGINS=name1,name2`` loads only those entry-point plugins (empty: none).

A plugin that fails to import or register is reported by name with how to disable it, and the
host carries on without it (also when its import calls ``sys.exit()`` or raises
``KeyboardInterrupt``: :data:`orcapost.plugin_problems.CONTAINED_AT_LOAD`). So is a hook implementation whose name is no orcapost hook (a
misspelling such as ``orcapost_fle_done``): pluggy would never call it, and its
``check_pending`` would stop the host on the first one.
"""

from __future__ import annotations

import difflib
import importlib
import os
from importlib import metadata

import pluggy
from orcapost import hookspecs
from orcapost.errors import PluginError
from orcapost.markers import PROJECT_NAME
from orcapost.plugin_problems import (
    CONTAINED_AT_LOAD,
    DISABLE_ENV,
    PluginProblem,
    describe_exception,
)
from orcapost.plugins import BUILTIN_PLUGINS
from orcapost.registry import ComponentRegistry

ENTRY_POINT_GROUP = "orcapost"
LOAD_ENV = "ORCAPOST_LOAD_PLUGINS"


class OrcapostPluginManager(pluggy.PluginManager):
    """A PluginManager that refuses registration changes while a run is active."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.run_active = False
        #: Plugins that could not be imported or registered with pluggy.
        self.load_problems: list[PluginProblem] = []
        self.distributions: dict[str, str] = {}
        self._registry: ComponentRegistry | None = None
        self._registration_problems: list[PluginProblem] = []

    def register(self, plugin, name=None):
        if self.run_active:
            raise PluginError("plugins cannot be registered while a run is active")
        if _registers_components(plugin):
            self._forget_registry()
        return super().register(plugin, name)

    def unregister(self, plugin=None, name=None):
        if self.run_active:
            raise PluginError("plugins cannot be unregistered while a run is active")
        if plugin is None and name is not None:
            plugin = self.get_plugin(name)
        if plugin is None or _registers_components(plugin):
            self._forget_registry()
        return super().unregister(plugin, name)

    def _forget_registry(self) -> None:
        # The plugins changed: components and registration problems are found again.
        self._registry = None
        self._registration_problems = []

    @property
    def registry(self) -> ComponentRegistry:
        """Components by kind and name, built (once) from the registration hooks."""
        if self._registry is None:
            registry = ComponentRegistry()
            self._registration_problems = registry.collect(self, self.distributions)
            self._registry = registry
        return self._registry

    @property
    def problems(self) -> list[PluginProblem]:
        """Every plugin problem: plugins that failed to load, hook implementations that are
        no hook (checked now), and registrations that raised (found building the registry)."""
        return [*self.load_problems, *unknown_hook_problems(self), *self._registration_problems]


def unknown_hook_problems(pm: OrcapostPluginManager) -> list[PluginProblem]:
    """pluggy's pending-hook check (``PluginManager.check_pending``) without raising: each
    plugin's implementations of a hook name that has no spec, one problem each, with the
    nearest hook name. The plugin's other hooks keep working."""
    hooks = sorted(name for name, caller in vars(pm.hook).items()
                   if not name.startswith("_") and caller.has_spec())
    problems = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:  # blocked
            continue
        for caller in pm.get_hookcallers(plugin) or []:
            if caller.has_spec() or all(impl.plugin is not plugin or impl.optionalhook
                                        for impl in caller.get_hookimpls()):
                continue
            close = difflib.get_close_matches(caller.name, hooks, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "the hooks are in docs/hooks.md"
            problems.append(PluginProblem(
                name, pm.distributions.get(name),
                f"there is no such orcapost hook, so it is never called; {hint}",
                hook=caller.name,
            ))
    return problems


def register_commands(pm: OrcapostPluginManager, cli) -> list[PluginProblem]:
    """Call every ``orcapost_register_commands`` implementation with ``cli``, each on its own:
    one that raises (or exits) is that plugin's problem, returned, and the other plugins'
    commands are added all the same (one raising took every command down with exit 3)."""
    problems = []
    for impl in pm.hook.orcapost_register_commands.get_hookimpls():
        try:
            impl.function(**{name: cli for name in impl.argnames})  # pluggy: a subset
        except CONTAINED_AT_LOAD as exc:
            problems.append(PluginProblem(impl.plugin_name, pm.distributions.get(impl.plugin_name),
                                          describe_exception(exc),
                                          hook="orcapost_register_commands"))
    return problems


def _registers_components(plugin) -> bool:
    """Whether a plugin implements a registration hook (the component registry then changes;
    a run listener, registered for the length of a run, leaves it as it is)."""
    return any(name.startswith("orcapost_register_") for name in dir(plugin))


def _names_from_env(variable: str) -> set[str] | None:
    raw = os.environ.get(variable)
    if raw is None:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


def get_plugin_manager(*, entry_points: bool = True,
                       builtins: tuple[str, ...] = BUILTIN_PLUGINS) -> OrcapostPluginManager:
    """The plugin manager with built-in and installed plugins registered (``builtins``: which
    built-in modules, by default all)."""
    pm = OrcapostPluginManager()
    pm.add_hookspecs(hookspecs)
    blocked = _names_from_env(DISABLE_ENV) or set()
    for name in blocked:
        pm.set_blocked(name)
    for module_name in builtins:
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
        except CONTAINED_AT_LOAD as exc:  # a broken plugin must not take the host down
            pm.load_problems.append(PluginProblem(ep.name, dist, describe_exception(exc)))
            continue
        if dist:
            pm.distributions[ep.name] = dist
