"""Shared fixtures: a plugin manager, small demo campaigns, config files and the CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from helpers import SMALL_SPEC
from orcapost.cli import cli
from orcapost.demo import write_campaign
from orcapost.pluginmanager import get_plugin_manager
from orcapost.plugins.sources import contention as contention_source

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

@pytest.fixture
def pm():
    """A plugin manager with the built-in plugins only (no installed entry points)."""
    return get_plugin_manager(entry_points=False)


@pytest.fixture
def contention(pm):
    """``pm`` with the simulated ``.contention`` storage registered: an opt-in plugin, so the
    tests that run the engine on it ask for it. Returns the plugin module."""
    pm.register(contention_source, contention_source.__name__)
    return contention_source


@pytest.fixture(scope="session")
def campaign(tmp_path_factory) -> Path:
    """A folder of 8 small demo archives. Read-only: copy it before changing files."""
    directory = tmp_path_factory.mktemp("campaign")
    write_campaign(directory, SMALL_SPEC)
    return directory


@pytest.fixture
def campaign_copy(campaign, tmp_path) -> Path:
    import shutil

    target = tmp_path / "campaign"
    shutil.copytree(campaign, target)
    return target


@pytest.fixture
def write_config(tmp_path):
    """Write a config dict (or YAML text) to a file and return its path."""

    def write(data, name: str = "config.yml") -> Path:
        path = tmp_path / name
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def run_cli(pm):
    """Invoke the CLI in-process with the given plugin manager; returns the click Result."""

    def invoke(*args: str, manager=None):
        runner = CliRunner()
        return runner.invoke(cli, [str(a) for a in args], obj={"pm": manager or pm},
                             catch_exceptions=False)

    return invoke


@pytest.fixture
def double(monkeypatch):
    """The OrcFxAPI test double (tests/doubles), imported as ``OrcFxAPI`` for this test."""
    from doubles.sim_campaign import load_double

    module = load_double()
    monkeypatch.setitem(sys.modules, "OrcFxAPI", module)
    return module
