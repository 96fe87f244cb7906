"""Shared fixtures: a plugin manager, small demo campaigns, config files and the CLI."""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest
import yaml
from click.testing import CliRunner
from helpers import SMALL_SPEC
from orcapost.cli import cli
from orcapost.demo import write_campaign
from orcapost.pluginmanager import get_plugin_manager
from orcapost.plugins.sources import contention as contention_source
from source_tree import REPO

SHARED = REPO.parent / "shared"


def pytest_report_header(config) -> list[str]:
    """Which orcapost the tests import: a stale installed copy otherwise passes unnoticed."""
    import orcapost

    # What an installer (pip writes INSTALLER) put in place: setuptools' orcapost.egg-info
    # build folder in the checkout also looks like a distribution, and comes first on sys.path.
    installs = [d for d in metadata.distributions(name="orcapost") if d.read_text("INSTALLER")]
    direct_url = json.loads(installs[0].read_text("direct_url.json") or "null") if installs else None
    return describe_orcapost(Path(orcapost.__file__).resolve().parent, bool(installs),
                             direct_url, REPO)


def describe_orcapost(package: Path, installed: bool, direct_url: dict | None,
                      repo: Path) -> list[str]:
    """The report header's lines for the imported package folder; ``direct_url``: the
    installed distribution's direct_url.json (PEP 610), which says whether it is editable."""
    lines = [f"orcapost under test: {package}"]
    editable = bool(direct_url and direct_url.get("dir_info", {}).get("editable"))
    if editable:
        # url2pathname, not unquote: file:///C:/x is C:\x on Windows, not \C:\x.
        source = Path(url2pathname(urlparse(direct_url["url"]).path))
        lines.append(f"  editable install of {source}")
    elif installed:
        lines.append("  installed copy, not editable: edits to this checkout are tested only "
                     "after reinstalling (develop with pip install -e \".[dev]\")")
    else:
        lines.append("  not installed: imported from sys.path")
    if not package.is_relative_to(repo):
        lines.append(f"  not the source of this checkout ({repo})")
    return lines


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
