"""Malformed legacy configs get the same clear, located errors as v2 configs (exit 2, no
traceback): wrong types, a list where a name belongs, a misspelled Command, an empty file,
YAML syntax errors."""

from __future__ import annotations

import re

import pytest
from helpers import LEGACY_CONFIG as GOOD


def _with(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def test_the_good_legacy_file_is_fine(run_cli, write_config):
    result = run_cli("validate", write_config(GOOD))
    assert result.exit_code == 0, result.output


def test_a_misspelled_command_gets_the_exact_located_message(run_cli, write_config):
    path = write_config(_with("Command: TimeHistory", "Command: TimeHistroy"))
    result = run_cli("validate", path)
    assert result.exit_code == 2
    assert result.output == (
        f"error: {path}: invalid config (1 problem)\n"
        f"  {path}:10: summary_settings.groups.0.Columns.0.Command: unknown Command "
        "'TimeHistroy': use Range Graph, TimeHistory, StaticResult or GetData (did you mean "
        "'TimeHistory'?)\n"
        "  hint: a legacy post-processing config is migrated before it is checked; see "
        "docs/migration.md, or `orcapost migrate --diff` to see the migrated config\n"
    )


@pytest.mark.parametrize(("old", "new", "line", "says"), [
    ("ObjectName: Line1", "ObjectName: [Line1, Line2]", 11,
     "summary_settings.groups.0.Columns.0.ObjectName: ObjectName must be one object name, "
     "not a list ['Line1', 'Line2']"),
    ("Variable: Effective Tension", "Variable: [Effective Tension, Bend Moment]", 12,
     "Variable must be one variable name, not a list"),
    ("ObjectName: Line1", "ObjectName: 12.5", 11, "ObjectName must be one object name, not float"),
    ("Statistic_Type: Max", "Statistic_Type: Maxx", 14,
     "unknown Statistic_Type 'Maxx': use Max, Min or Mean (did you mean 'Max'?)"),
    ("objectExtra: [End B]", "objectExtra: [End C]", 13, "objectExtra ['End C'] has no equivalent"),
    ("          Label: L1\n", "          Label: L1\n          SimulationPeriod: [10, 5]\n", 16,
     "SimulationPeriod [10, 5] ends before it starts"),
    ("          Label: L1\n", "          Label: L1\n          transform: {scale: 2}\n", 16,
     "transform has no orcapost equivalent"),
    ("          Label: L1\n", "          Label: L1\n          Lable: x\n", 16,
     "unknown key 'Lable' (did you mean 'Label'?)"),
    ("summary_settings:", "summary_setings: {}\nsummary_settings:", 6,
     "unknown key 'summary_setings' (did you mean 'summary_settings'?)"),
    ("    - Label: moorings\n", "    - Label: [moorings]\n", 8, "Label must be a name"),
    ("      Columns:\n", "      Columns: Line1\n      Other:\n", 9,
     "Columns must be a list of columns"),
    ("summary_settings:\n  groups:\n", "summary_settings:\n  groups: 3\n  x:\n", 7,
     "groups must be a list of groups, not 3"),
    ("orcaflex:\n", "parallel_processing: {max_workers: many}\norcaflex:\n", 2,
     "a thread count is a whole number >= 1 or 'auto', not 'many'"),
    ("orcaflex:\n", "file_management: [a, b]\norcaflex:\n", 2,
     "file_management must be a mapping, not list"),
    ("    summary:\n      flag: True\n", "    summary: true\n", 4,
     "orcaflex.postprocess.summary: summary must be a mapping (flag: True or False, ...), "
     "not bool True"),
    ("    summary:\n", "    RAOs: [a]\n    summary:\n", 4,
     "orcaflex.postprocess.RAOs: RAOs must be a mapping"),
])
def test_malformed_legacy_input_is_located(run_cli, write_config, old, new, line, says):
    path = write_config(_with(old, new))
    for command in ("validate", "run"):
        result = run_cli(command, path)
        assert result.exit_code == 2, result.output
        assert f"{path}:{line}: " in result.output, result.output
        assert says in result.output
        assert "Traceback" not in result.output


def test_a_null_postprocess_kind_is_empty_not_a_crash(run_cli, write_config):
    text = (GOOD.replace("    summary:\n      flag: True\n",
                         "    summary: null\n    RangeGraph: {flag: True}\n")
            .replace("summary_settings:", "RangeGraph_settings:")
            .replace("Command: TimeHistory", "Command: Range Graph")
            .replace("          objectExtra: [End B]\n", ""))
    result = run_cli("validate", write_config(text))
    assert result.exit_code == 0, result.output
    assert "ok (results: moorings)" in result.output


def test_every_problem_is_reported_at_once(run_cli, write_config):
    text = _with("Command: TimeHistory", "Command: Histogram").replace(
        "ObjectName: Line1", "ObjectName: [a]")
    result = run_cli("validate", write_config(text))
    assert "invalid config (2 problems)" in result.output


@pytest.mark.parametrize(("text", "says"), [
    ("", "the file is empty"),
    ("basename: orcaflex_post_process\nsummary_settings:\n  groups: [\n", "YAML syntax error"),
    ("basename: orcaflex_post_process\norcaflex:\n\tpostprocess: {}\n", "YAML syntax error"),
    ("- basename: orcaflex_post_process\n", "a config is a mapping of keys"),
    ("basename: orcaflex_post_process\norcaflex:\n  postprocess:\n    summary: {flag: False}\n",
     "this is a visualisation config: only orcaflex.postprocess.visualization is on (on by "
     "the legacy base config)"),
])
def test_empty_and_unparsable_legacy_files(run_cli, write_config, text, says):
    result = run_cli("validate", write_config(text))
    assert result.exit_code == 2
    assert says in result.output
    assert "Traceback" not in result.output


def test_migrate_reports_the_same_located_error_and_exits_2(pm, run_cli, write_config):
    from orcapost.cli import cli

    pm.hook.orcapost_register_commands(cli=cli)
    path = write_config(_with("Command: TimeHistory", "Command: TimeHistroy"))
    result = run_cli("migrate", path, "--check")
    assert result.exit_code == 2
    assert f"{path}:10: summary_settings.groups.0.Columns.0.Command: unknown Command" \
        in result.output
    assert "0 to migrate, 0 current, 0 skipped, 1 with errors" in result.output


def test_a_problem_found_after_migration_names_the_legacy_key_and_line(run_cli, write_config):
    text = _with("Command: TimeHistory", "Command: Range Graph").replace(
        "          objectExtra: [End B]\n", "          ArcLength: [50, 0]\n")
    path = write_config(text)
    result = run_cli("validate", path)
    assert result.exit_code == 2
    assert (f"{path}:13: summary_settings.groups.0.Columns.0.ArcLength: arc_length range "
            "[50, 0] ends before it starts (migrated to results.moorings.columns.1.arc_length)"
            ) in result.output


def test_migrate_and_validate_report_a_post_migration_problem_alike(pm, run_cli, write_config):
    """`orcapost migrate` validates once, from the original text: the same legacy key and line
    as `orcapost validate`, not a line of the migrated text."""
    from orcapost.cli import cli

    pm.hook.orcapost_register_commands(cli=cli)
    text = _with("Command: TimeHistory", "Command: Range Graph").replace(
        "          objectExtra: [End B]\n", "          ArcLength: [50, 0]\n")
    path = write_config(text)
    validated = run_cli("validate", path)
    migrated = run_cli("migrate", path)
    assert validated.exit_code == migrated.exit_code == 2

    def located(output: str) -> list[str]:
        return [line.strip() for line in output.splitlines()
                if re.match(rf"{re.escape(str(path))}:\d", line.strip())]

    assert located(validated.output) == [
        f"{path}:13: summary_settings.groups.0.Columns.0.ArcLength: arc_length range [50, 0] "
        "ends before it starts (migrated to results.moorings.columns.1.arc_length)"]
    assert located(migrated.output) == located(validated.output)


def test_a_post_migration_problem_in_a_group_whose_label_has_a_dot_is_located(run_cli,
                                                                               write_config):
    text = _with("Command: TimeHistory", "Command: Range Graph").replace(
        "          objectExtra: [End B]\n", "          ArcLength: [50, 0]\n").replace(
        "Label: moorings", "Label: Hs 2.5")
    path = write_config(text)
    result = run_cli("validate", path)
    assert result.exit_code == 2
    assert (f"{path}:13: summary_settings.groups.0.Columns.0.ArcLength: arc_length range "
            "[50, 0] ends before it starts (migrated to results.Hs 2.5.columns.1.arc_length)"
            ) in result.output


MASTER = """\
basename: orcaflex_post_process
orcaflex:
  postprocess:
    summary:
      flag: True
summary_settings_master:
  groups:
    - Columns:
        - Command: Range Graph
          ArcLength: [50, 0]
          Statistic_Type: Max
summary_settings:
  groups:
    - Label: moorings
      Columns:
        - ObjectName: Line1
          Variable: Effective Tension
          Label: L1
"""


@pytest.mark.parametrize(("old", "new", "says"), [
    # Found after migration: the inherited arc_length range.
    (None, None, "summary_settings_master.groups.0.Columns.0.ArcLength: arc_length range "
     "[50, 0] ends before it starts (migrated to results.moorings.columns.1.arc_length)"),
    # Found by the migration: the inherited Statistic_Type.
    ("Statistic_Type: Max", "Statistic_Type: Maxx",
     "summary_settings_master.groups.0.Columns.0.Statistic_Type: unknown Statistic_Type 'Maxx'"),
])
def test_a_problem_in_a_value_inherited_from_a_master_is_located_at_the_master(
    run_cli, write_config, old, new, says
):
    text = MASTER.replace("ArcLength: [50, 0]", "ArcLength: [0, 50]").replace(old, new) \
        if old else MASTER
    path = write_config(text)
    result = run_cli("validate", path)
    assert result.exit_code == 2, result.output
    line = 11 if old else 10
    assert f"{path}:{line}: {says}" in result.output, result.output


def test_not_a_config_and_the_base_config_are_told_apart_by_type_not_message():
    from orcapost.migrations import LegacyBaseConfig, NotAConfig, detect_version, migrate

    with pytest.raises(NotAConfig) as found:
        detect_version({"General": {}, "Lines": []}, "model.yml")
    assert found.value.what.startswith("an OrcaFlex model (data) file")
    with pytest.raises(LegacyBaseConfig):
        migrate({"basename": "orcaflex_post_process", "parameters": {"a": 1}})
