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


def test_a_current_config_loads_without_the_legacy_migration_steps(tmp_path):
    config = tmp_path / "c.yml"
    config.write_text(
        "version: 2\ninputs: {directory: .}\nresults:\n  g:\n    columns:\n"
        "      - {label: x, kind: statistics, object: FPSO, variable: Heave}\n",
        encoding="utf-8")
    loaded = _fresh_modules(f"""
        from orcapost.config import load_config
        from orcapost.pluginmanager import get_plugin_manager
        assert load_config({str(config)!r}, get_plugin_manager().registry).model.results
    """)
    assert "orcapost.config" in loaded and "orcapost.migrations" in loaded
    assert "orcapost.legacy.steps" not in loaded
    legacy = _fresh_modules("from orcapost.migrations import STEPS\nassert 0 in STEPS")
    assert "orcapost.legacy.steps" in legacy  # loaded when they are asked for
