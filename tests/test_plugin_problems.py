"""A hook implementation whose name is no orcapost hook (a misspelling) is that plugin's problem:
reported where plugin problems are, with the nearest hook name, and the rest keeps working."""

from __future__ import annotations

import csv
import json
import types

import pluggy
import pytest
from orcapost import hookimpl
from orcapost.components import Extractor
from orcapost.plugin_problems import PluginProblem
from orcapost.schemas.config import ColumnOptions

FINISHED: list[str] = []


class FileNameExtractor(Extractor):
    """The file's name: a column the misspelt plugin registers through its correct hook."""

    name = "file_name"
    Options = ColumnOptions

    def extract(self, file, column):
        return {column.label: file.path.name}


def _misspelt_plugin() -> types.ModuleType:
    """One correct hook (registers an extractor), one misspelt (``orcapost_fle_done``)."""

    @hookimpl
    def orcapost_register_extractors(register):
        register(FileNameExtractor)

    @hookimpl
    def orcapost_fle_done(result):
        FINISHED.append(result.path)

    plugin = types.ModuleType("typo_plugin")
    plugin.orcapost_register_extractors = orcapost_register_extractors
    plugin.orcapost_fle_done = orcapost_fle_done
    return plugin


@pytest.fixture
def typo_pm(pm):
    pm.register(_misspelt_plugin(), "typo")
    return pm


def test_a_misspelt_hook_is_the_plugins_problem_with_the_nearest_hook(typo_pm):
    (problem,) = typo_pm.problems
    assert problem == PluginProblem(
        "typo", None, "there is no such orcapost hook, so it is never called; "
        "did you mean 'orcapost_file_done'?", hook="orcapost_fle_done")
    message = problem.message()
    assert "plugin 'typo': its hook 'orcapost_fle_done' is ignored" in message
    assert "ORCAPOST_DISABLE_PLUGINS=typo" in message
    # What pluggy's own check makes of it: it stops at the first, which is why it is not used.
    with pytest.raises(pluggy.PluginValidationError, match="orcapost_fle_done"):
        typo_pm.check_pending()


def test_the_plugins_correct_hook_keeps_working(typo_pm):
    assert typo_pm.registry.get("extractor", "file_name").plugin == "typo"
    assert [p.hook for p in typo_pm.problems] == ["orcapost_fle_done"]  # not twice once built


def test_built_in_plugins_have_no_problem(pm):
    assert pm.problems == []


def test_an_optional_hook_without_spec_is_no_problem(pm):
    @hookimpl(optionalhook=True)
    def orcapost_maybe_later():
        pass

    plugin = types.ModuleType("optional_plugin")
    plugin.orcapost_maybe_later = orcapost_maybe_later
    pm.register(plugin, "optional")
    assert pm.problems == []


def test_a_name_far_from_every_hook_points_to_the_hooks_page(pm):
    @hookimpl
    def orcapost_xyzzy():
        pass

    plugin = types.ModuleType("far_plugin")
    plugin.orcapost_xyzzy = orcapost_xyzzy
    pm.register(plugin, "far")
    (problem,) = pm.problems
    assert problem.hook == "orcapost_xyzzy" and problem.error.endswith("docs/hooks.md")


def test_orcapost_plugins_lists_the_problem(typo_pm, run_cli):
    result = run_cli("plugins", "--json", manager=typo_pm)
    assert result.exit_code == 0
    (problem,) = json.loads(result.stdout)["problems"]
    assert "'orcapost_fle_done' is ignored" in problem and "'orcapost_file_done'" in problem
    assert "warning: plugin 'typo': its hook 'orcapost_fle_done' is ignored" in result.stderr


def test_a_run_warns_and_goes_on_with_the_plugins_extractor(typo_pm, run_cli, campaign,
                                                            write_config, tmp_path):
    config = write_config({
        "version": 2, "inputs": {"directory": str(campaign)},
        "results": {"names": {"columns": [{"label": "name", "kind": "file_name"}]}},
        "outputs": {"directory": str(tmp_path / "out"), "formats": ["csv"]},
    })
    FINISHED.clear()
    result = run_cli("run", config, "--quiet", manager=typo_pm)
    assert result.exit_code == 0, result.output
    assert "did you mean 'orcapost_file_done'?" in result.stderr
    with open(tmp_path / "out" / "names.csv", newline="", encoding="utf-8") as handle:
        names = [row["name"] for row in csv.DictReader(handle)]
    assert sorted(names) == sorted(p.name for p in campaign.glob("*.arrow"))
    assert FINISHED == []  # the misspelt hook is never called
