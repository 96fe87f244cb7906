"""Start-up stays cheap: what the command line and the plugins import (never a timing)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import REPO


def _fresh_modules(code: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code) +
                           "\nimport sys\nprint('\\n'.join(sys.modules))"],
                          capture_output=True, text=True, timeout=300, cwd=REPO, check=True)
    return set(done.stdout.split())


def _current_config(tmp_path):
    """A config of the current version, one statistics column."""
    config = tmp_path / "c.yml"
    config.write_text(
        "version: 2\ninputs: {directory: .}\nresults:\n  g:\n    columns:\n"
        "      - {label: x, kind: statistics, object: FPSO, variable: Heave}\n",
        encoding="utf-8")
    return config


#: Loaded at first use, never by the command line or a plugin's import: numba and scipy for
#: the numerics, pyarrow for tables and archives (about 50 ms), rich for the live display.
HEAVY = ("numba", "scipy", "pyarrow", "rich")


def test_the_command_line_and_every_plugin_load_no_heavy_library():
    loaded = _fresh_modules("""
        import orcapost.cli
        from orcapost.pluginmanager import get_plugin_manager
        get_plugin_manager()
    """)
    assert "orcapost.plugins.extractors.fatigue" in loaded  # the plugins really were imported
    assert not [name for name in loaded if name.split(".")[0] in HEAVY]


def test_version_builds_no_plugin_manager():
    loaded = _fresh_modules("""
        from orcapost.cli import main
        try:
            main(["--version"])
        except SystemExit as exit:
            assert exit.code == 0
    """)
    assert "orcapost.pluginmanager" not in loaded
    assert not [name for name in loaded if name.startswith("orcapost.plugins.")]


def test_importing_the_api_imports_nothing_it_exports():
    loaded = _fresh_modules("import orcapost.api")
    assert not [name for name in loaded if name.startswith("orcapost.")
                and name not in ("orcapost.api", "orcapost.markers")]
    assert "numpy" not in loaded and "pydantic" not in loaded


def test_help_lists_plugin_commands_without_loading_the_other_plugins():
    loaded = _fresh_modules("""
        import contextlib, io
        from orcapost.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                main(["--help"])
            except SystemExit as exit:
                assert exit.code == 0
        assert "migrate" in out.getvalue() and "export" in out.getvalue(), out.getvalue()
    """)
    assert "orcapost.plugins.commands.migrate" in loaded
    assert not [name for name in loaded if name.startswith(("orcapost.plugins.extractors.",
                                                            "orcapost.plugins.sources."))]


def test_a_command_that_runs_builds_one_plugin_manager(tmp_path):
    """``orcapost validate`` (as ``run``) builds the whole plugin manager once and takes the
    plugins' commands from it, not from a command-only manager built first (12 ms a run)."""
    config = _current_config(tmp_path)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import orcapost.pluginmanager as manager
        from orcapost.cli import main
        built = []
        original = manager.get_plugin_manager
        def counted(**kwargs):
            built.append(kwargs)
            return original(**kwargs)
        manager.get_plugin_manager = counted
        try:
            main(["validate", {str(config)!r}])
        except SystemExit as exit:
            assert exit.code == 0, exit.code
        print("built", len(built), built)
    """)], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].split()[1] == "1", done.stdout


def test_a_current_config_loads_without_the_legacy_migration_steps(tmp_path):
    config = _current_config(tmp_path)
    loaded = _fresh_modules(f"""
        from orcapost.config import load_config
        from orcapost.pluginmanager import get_plugin_manager
        assert load_config({str(config)!r}, get_plugin_manager().registry).model.results
    """)
    assert "orcapost.config" in loaded and "orcapost.migrations" in loaded
    assert "orcapost.legacy.steps" not in loaded
    legacy = _fresh_modules("from orcapost.migrations import STEPS\nassert 0 in STEPS")
    assert "orcapost.legacy.steps" in legacy  # loaded when they are asked for
