"""Meta-tests: the protocol, components and commands are all documented and exercised."""

from __future__ import annotations

import inspect
import re

import pytest
from conftest import REPO
from orcapost import hookspecs

DOCS = REPO / "docs"
HOOKS = sorted(name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
               if name.startswith("orcapost_"))


def _docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.rglob("*.md")))


def test_there_are_hooks_and_all_are_prefixed():
    assert len(HOOKS) >= 12
    public = [name for name, obj in inspect.getmembers(hookspecs, inspect.isfunction)
              if obj.__module__ == hookspecs.__name__]
    assert sorted(public) == HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_section_in_docs_hooks_md(hook):
    text = (DOCS / "hooks.md").read_text(encoding="utf-8")
    assert re.search(rf"^#+ {hook}\s*$", text, re.MULTILINE), f"docs/hooks.md has no ### {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_docstring_says_thread_and_firstresult(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert "thread" in doc and "firstresult" in doc, hook


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_exercised_by_a_test(hook):
    """A test implements or calls the hook (this file does not count)."""
    users = [p.name for p in (REPO / "tests").rglob("test_*.py")
             if p.name != "test_meta.py" and hook in p.read_text(encoding="utf-8")]
    assert users, f"no test implements or calls {hook}"


def _components():
    from orcapost.pluginmanager import get_plugin_manager

    registry = get_plugin_manager(entry_points=False).registry
    from orcapost.components import COMPONENT_KINDS

    return [(kind, name) for kind in COMPONENT_KINDS for name in registry.names(kind)]


@pytest.mark.parametrize(("kind", "name"), _components())
def test_every_built_in_component_is_documented(kind, name):
    assert re.search(rf"`{re.escape(name)}`", _docs_text()), f"{kind} {name!r} is not in docs/"


def _commands():
    from orcapost.cli import cli
    from orcapost.pluginmanager import get_plugin_manager

    get_plugin_manager(entry_points=False).hook.orcapost_register_commands(cli=cli)
    return sorted(cli.commands)


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_documented(command):
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert re.search(rf"^#+ `?orcapost {command}\b", text, re.MULTILINE), \
        f"docs/cli.md has no section for orcapost {command}"


def test_every_docs_page_is_linked_from_the_index():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in sorted(DOCS.rglob("*.md")):
        relative = page.relative_to(DOCS).as_posix()
        if relative != "index.md":
            assert f"({relative})" in index, f"docs/index.md does not link {relative}"
