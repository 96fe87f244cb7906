"""Plugin loading: the example third-party plugin, broken plugins, duplicates, the run guard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from helpers import statistics_config
from orcapost import hookimpl
from orcapost.components import Extractor
from orcapost.errors import PluginError
from orcapost.pluginmanager import get_plugin_manager
from orcapost.schemas.config import SeriesColumn

EXAMPLE = REPO / "examples" / "orcapost-exceedance"


def _orcapost(*args, env_extra: dict[str, str], cwd: Path | None = None):
    env = {key: value for key, value in os.environ.items() if not key.startswith("ORCAPOST_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "orcapost", *map(str, args)], env=env,
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def _pythonpath(*paths: Path) -> dict[str, str]:
    existing = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": os.pathsep.join([*map(str, paths), *([existing] if existing else [])])}


@pytest.fixture(scope="module")
def example_installed(tmp_path_factory) -> Path:
    """The example plugin pip-installed into its own folder (put on PYTHONPATH to use it)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(EXAMPLE)],
        check=True, capture_output=True, timeout=300,
    )
    return target


def test_example_plugin_is_discovered_through_its_entry_point(example_installed):
    done = _orcapost("plugins", "--json", env_extra=_pythonpath(example_installed))
    assert done.returncode == 0, done.stderr
    listing = json.loads(done.stdout)
    rows = {row["plugin"]: row for row in listing["plugins"]}
    assert rows["exceedance"]["distribution"] == "orcapost-exceedance 0.1.0"
    assert rows["exceedance"]["registers"] == ["extractor threshold"]
    assert listing["problems"] == []


def test_example_plugin_runs_from_a_config(example_installed, campaign, tmp_path):
    import numpy as np
    import pyarrow.csv as pacsv
    from orcapost.archive.reader import Archive

    config = {
        "version": 2,
        "inputs": {"directory": str(campaign)},
        "results": {"exceed": {"columns": [{
            "label": "heave over 1 m", "kind": "threshold", "object": "FPSO",
            "variable": "Heave", "threshold": 1.0,
        }]}},
        "outputs": {"directory": str(tmp_path / "out"), "formats": ["csv"]},
    }
    path = tmp_path / "exceed.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    done = _orcapost("run", path, "--quiet", env_extra=_pythonpath(example_installed))
    assert done.returncode == 0, done.stderr
    table = pacsv.read_csv(tmp_path / "out" / "exceed.csv").to_pylist()
    assert len(table) == len(list(campaign.glob("*.arrow")))
    # One cell recomputed from the archive: whole simulation excludes the build-up stage.
    row = table[0]
    with Archive(campaign / row["file"]) as archive:
        time = archive.time
        heave = np.array(archive.column("FPSO/Heave"))
    keep = time >= 0
    above = heave[keep] > 1.0
    assert row["heave over 1 m fraction"] == pytest.approx(float(np.mean(above)), abs=1e-12)
    assert row["heave over 1 m crossings"] == int(np.count_nonzero(above[1:] & ~above[:-1]))


def test_unknown_option_of_a_plugin_component_is_a_config_error(example_installed, tmp_path):
    config = statistics_config(tmp_path, tmp_path / "out")
    config["results"] = {"g": {"columns": [{
        "label": "x", "kind": "threshold", "object": "FPSO", "variable": "Heave",
        "treshold": 1.0}]}}
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    done = _orcapost("validate", path, env_extra=_pythonpath(example_installed))
    assert done.returncode == 2
    assert "treshold" in done.stderr and "threshold" in done.stderr
    assert "Traceback" not in done.stderr


def _fake_distribution(site: Path, name: str, entry_points: str, module: str, code: str) -> None:
    dist = site / f"{name.replace('-', '_')}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
                                   encoding="utf-8")
    (dist / "entry_points.txt").write_text(f"[orcapost]\n{entry_points}\n", encoding="utf-8")
    (site / f"{module}.py").write_text(textwrap.dedent(code), encoding="utf-8")


def test_a_broken_plugin_is_reported_with_how_to_disable_it(tmp_path, campaign):
    site = tmp_path / "site"
    _fake_distribution(site, "orcapost-broken", "broken = orcapost_broken", "orcapost_broken",
                       "raise ImportError('needs a library that is not installed')\n")
    env = _pythonpath(site)
    listing = _orcapost("plugins", env_extra=env)
    assert listing.returncode == 0
    assert "plugin 'broken' (distribution orcapost-broken 1.0) was not loaded" in listing.stderr
    assert "needs a library that is not installed" in listing.stderr
    assert "ORCAPOST_DISABLE_PLUGINS=broken" in listing.stderr
    assert "Traceback" not in listing.stderr

    # The host still runs configs, and the hint works.
    disabled = _orcapost("plugins", env_extra={**env, "ORCAPOST_DISABLE_PLUGINS": "broken"})
    assert disabled.returncode == 0 and "broken" not in disabled.stderr
    only_none = _orcapost("plugins", env_extra={**env, "ORCAPOST_LOAD_PLUGINS": ""})
    assert only_none.returncode == 0 and "broken" not in only_none.stderr


def test_a_plugin_failing_during_registration_is_reported_and_skipped(tmp_path):
    site = tmp_path / "site"
    _fake_distribution(site, "orcapost-bad-register", "badreg = orcapost_badreg",
                       "orcapost_badreg", """
        from orcapost import hookimpl

        @hookimpl
        def orcapost_register_sinks(register):
            raise RuntimeError("sink backend unavailable")
    """)
    done = _orcapost("plugins", "--json", env_extra=_pythonpath(site))
    assert done.returncode == 0
    problems = json.loads(done.stdout)["problems"]
    assert len(problems) == 1 and "sink backend unavailable" in problems[0]
    assert "ORCAPOST_DISABLE_PLUGINS=badreg" in problems[0]


class _AnotherStatistics(Extractor):
    """A clash with the built-in."""

    name = "statistics"
    Options = SeriesColumn

    def extract(self, file, column):
        return {}


def test_duplicate_component_names_are_an_error_naming_both_plugins():
    pm = get_plugin_manager(entry_points=False)
    clash = types.ModuleType("clashing_plugin")

    @hookimpl
    def orcapost_register_extractors(register):
        register(_AnotherStatistics)

    clash.orcapost_register_extractors = orcapost_register_extractors
    pm.register(clash, "clashing_plugin")
    with pytest.raises(PluginError) as caught:
        pm.registry  # noqa: B018 -- building the registry is what raises
    message = str(caught.value)
    assert "extractor named 'statistics'" in message
    assert "'orcapost.plugins.extractors.statistics'" in message
    assert "'clashing_plugin'" in message
    assert "ORCAPOST_DISABLE_PLUGINS=clashing_plugin" in caught.value.hint


def test_registration_order_does_not_matter():
    from orcapost.plugins import BUILTIN_PLUGINS

    forward = get_plugin_manager(entry_points=False)
    backward = get_plugin_manager(entry_points=False)
    for name in reversed(BUILTIN_PLUGINS):
        backward.unregister(name=name)
    import importlib

    for name in reversed(BUILTIN_PLUGINS):
        backward.register(importlib.import_module(name), name)
    schema_a = forward.registry.config_model().model_json_schema()
    schema_b = backward.registry.config_model().model_json_schema()
    assert json.dumps(schema_a, sort_keys=True) == json.dumps(schema_b, sort_keys=True)


def test_no_registration_while_a_run_is_active(campaign, tmp_path):
    from orcapost.config import validate_data
    from orcapost.engine import Engine

    pm = get_plugin_manager(entry_points=False)
    late = types.ModuleType("late_plugin")
    refused: list[str] = []

    @hookimpl
    def orcapost_file_done(context, result):
        if not refused:
            try:
                pm.register(late, "late_plugin")
            except PluginError as error:
                refused.append(str(error))

    watcher = types.ModuleType("watcher")
    watcher.orcapost_file_done = orcapost_file_done
    pm.register(watcher, "watcher")
    loaded = validate_data(statistics_config(campaign, tmp_path / "out"), pm.registry)
    from orcapost.plugins.reporters.silent import SilentReporter

    Engine(pm, loaded, reporter=SilentReporter()).run()
    assert refused == ["plugins cannot be registered while a run is active"]
    assert not pm.run_active
    pm.register(late, "late_plugin")  # allowed again after the run
