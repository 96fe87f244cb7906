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


@pytest.mark.parametrize("raised, said", [
    ("import sys\nsys.exit(3)\n", "it called sys.exit(3) (SystemExit)"),
    ("raise SystemExit\n", "it called sys.exit(None) (SystemExit)"),
    ("raise KeyboardInterrupt\n", "it raised KeyboardInterrupt"),
])
def test_a_plugin_exiting_at_import_is_contained_like_a_broken_one(tmp_path, campaign, raised,
                                                                     said):
    # Before: the SystemExit/KeyboardInterrupt escaped the entry-point loader, and every command
    # exited with the plugin's code (5, 130...) and no word of which plugin did it.
    site = tmp_path / "site"
    _fake_distribution(site, "orcapost-exits", "exits = orcapost_exits", "orcapost_exits",
                       raised)
    env = _pythonpath(site)
    version = _orcapost("--version", env_extra=env)
    assert version.returncode == 0 and "orcapost" in version.stdout
    listing = _orcapost("plugins", env_extra=env)
    assert listing.returncode == 0, listing.stderr
    assert "plugin 'exits' (distribution orcapost-exits 1.0) was not loaded" in listing.stderr
    assert said in listing.stderr and "orcapost_exits.py:" in listing.stderr
    assert "ORCAPOST_DISABLE_PLUGINS=exits" in listing.stderr
    assert "Traceback" not in listing.stderr
    # The run goes on without it.
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(statistics_config(campaign, tmp_path / "out")),
                      encoding="utf-8")
    run = _orcapost("run", config, "--quiet", env_extra=env)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "lines.csv").is_file()


def test_a_plugin_raising_while_it_adds_commands_is_reported_and_skipped(tmp_path):
    # Before: every command but --version was "internal error", exit 3.
    site = tmp_path / "site"
    _fake_distribution(site, "orcapost-cmdbad", "cmdbad = orcapost_cmdbad", "orcapost_cmdbad", """
        from orcapost import hookimpl

        @hookimpl
        def orcapost_register_commands(cli):
            raise RuntimeError("no commands today")
    """)
    done = _orcapost("plugins", env_extra=_pythonpath(site))
    assert done.returncode == 0, done.stderr
    assert ("plugin 'cmdbad' (distribution orcapost-cmdbad 1.0): its hook "
            "'orcapost_register_commands' is ignored: RuntimeError: no commands today") \
        in done.stderr
    assert "migrate" in _orcapost("--help", env_extra=_pythonpath(site)).stdout


def _registration_hooks():
    from orcapost.registry import REGISTRATION_HOOKS

    return sorted(REGISTRATION_HOOKS.items())


@pytest.mark.parametrize("kind, hook", _registration_hooks(), ids=[h for _, h in
                                                                    _registration_hooks()])
@pytest.mark.parametrize("raised", [RuntimeError("backend unavailable"), SystemExit(4),
                                    KeyboardInterrupt()], ids=lambda e: type(e).__name__)
def test_a_chaos_plugin_raising_in_each_registration_hook_is_left_out_alone(kind, hook, raised):
    def chaos(register):
        raise raised

    pm = get_plugin_manager(entry_points=False)
    before = sorted(pm.registry.names(kind))
    pm.register(types.SimpleNamespace(**{hook: hookimpl(chaos)}), name="chaos")
    assert sorted(pm.registry.names(kind)) == before  # the built-ins are all there
    (problem,) = pm.problems
    assert problem.plugin == "chaos" and type(raised).__name__ in problem.error


def test_a_plugin_exiting_while_it_registers_is_reported_and_skipped():
    @hookimpl
    def orcapost_register_sinks(register):
        raise SystemExit(4)

    pm = get_plugin_manager(entry_points=False)
    pm.register(types.SimpleNamespace(orcapost_register_sinks=orcapost_register_sinks),
                name="exits-late")
    assert pm.registry.get("sink", "csv") is not None  # the registry is built all the same
    (problem,) = pm.problems
    assert problem.plugin == "exits-late" and "sys.exit(4)" in problem.error


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
