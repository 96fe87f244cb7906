"""The built-in plugin list is written out by hand (importing every module to discover plugins
would slow startup), so it is checked against the source: a plugin module left off the list
would silently register nothing."""

from __future__ import annotations

from orcapost.plugins import BUILTIN_PLUGINS, COMMAND_PLUGINS, OPT_IN_PLUGINS
from source_tree import hook_implementations, source_modules


def _plugin_modules() -> dict[str, list[str]]:
    """Modules of core/ and plugins/ with ``@hookimpl`` functions named ``orcapost_*``."""
    found = {}
    for name, module in source_modules().items():
        if name.startswith("orcapost.schemas"):
            continue
        hooks = hook_implementations(module)
        if hooks:
            found[name] = hooks
    return found


def test_the_scan_finds_hook_implementations_where_they_are():
    # Guards the scan itself: an AST walk that found nothing would pass the checks below.
    found = _plugin_modules()
    assert found["orcapost.plugins.process_file"] == ["orcapost_process_file"]
    assert found["orcapost.plugins.reductions.basic"] == ["orcapost_register_reductions"]
    assert "orcapost.pluginmanager" not in found


def test_every_module_with_hook_implementations_is_listed():
    listed = set(BUILTIN_PLUGINS) | set(OPT_IN_PLUGINS)
    missing = {name: hooks for name, hooks in _plugin_modules().items() if name not in listed}
    assert not missing, (
        f"modules implementing orcapost hooks but not in orcapost.plugins.BUILTIN_PLUGINS "
        f"(or OPT_IN_PLUGINS): {missing}")


def test_every_listed_module_exists_and_implements_a_hook():
    modules = source_modules()
    plugins = _plugin_modules()
    for name in (*BUILTIN_PLUGINS, *OPT_IN_PLUGINS):
        assert name in modules, f"{name} is listed as a built-in plugin but there is no such module"
        assert name in plugins, f"{name} is listed as a built-in plugin but implements no hook"


def test_no_module_is_listed_twice():
    listed = [*BUILTIN_PLUGINS, *OPT_IN_PLUGINS]
    assert sorted({n for n in listed if listed.count(n) > 1}) == []


def test_opt_in_plugins_are_not_registered_by_default(pm):
    for name in OPT_IN_PLUGINS:
        assert pm.get_plugin(name) is None, name


def test_every_built_in_command_comes_from_a_command_plugin():
    # `orcapost --help` loads only COMMAND_PLUGINS: a built-in adding commands from anywhere
    # else would be missing from the listing.
    adding = {name for name, hooks in _plugin_modules().items()
              if "orcapost_register_commands" in hooks and name in BUILTIN_PLUGINS}
    assert adding and adding <= set(COMMAND_PLUGINS)
