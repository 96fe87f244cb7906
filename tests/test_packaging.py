"""Packaging: one import name, every subpackage inside it, and no top-level source folders."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

SOURCE_FOLDERS = ("core", "plugins", "schemas", "configs")


def _source_packages() -> set[str]:
    """Every folder under the source roots that holds Python modules, as its import name."""
    roots = {"core": "orcapost", "plugins": "orcapost.plugins", "schemas": "orcapost.schemas",
             "configs": "orcapost.configs"}
    names = set()
    for folder, name in roots.items():
        for init in (REPO / folder).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            relative = init.parent.relative_to(REPO / folder).parts
            names.add(".".join((name, *relative)))
    return names


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
         str(REPO)],
        check=True, capture_output=True, timeout=600,
    )
    (built,) = out.glob("orcapost-*.whl")
    return built


def test_the_wheel_has_one_top_level_name_and_every_subpackage(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(
        (".dist-info", ".data"))}
    assert top == {"orcapost"}
    packages = {Path(name).parent.as_posix().replace("/", ".")
                for name in names if name.endswith("/__init__.py")}
    assert _source_packages() <= packages, _source_packages() - packages
    assert "orcapost/py.typed" in names
    assert "orcapost/configs/demo.yml" in names
    assert not any(name.startswith(("orcapost/tests", "orcapost/examples")) for name in names)


def test_the_tests_use_the_installed_package():
    from importlib import metadata

    import orcapost

    distribution = metadata.distribution("orcapost")
    assert distribution.version == orcapost.__version__
    # Nothing imported the source folders under their own names.
    for folder in SOURCE_FOLDERS:
        assert not any(name == folder or name.startswith(f"{folder}.") for name in sys.modules)


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_no_code_imports_the_source_folders_as_top_level_names():
    offenders = []
    for folder in ("core", "plugins", "schemas", "tests", "benchmarks", "examples"):
        for path in (REPO / folder).rglob("*.py"):
            if set(SOURCE_FOLDERS) & _top_level_imports(path):
                offenders.append(path.relative_to(REPO).as_posix())
    assert offenders == []


def test_the_lint_rule_rejects_a_top_level_source_import(tmp_path):
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        ruff = Path(sys.executable).with_name("ruff.exe")
    bad = REPO / "plugins" / "_lint_probe_delete_me.py"
    bad.write_text("from core.errors import OrcapostError\n\nprint(OrcapostError)\n",
                   encoding="utf-8")
    try:
        done = subprocess.run([str(ruff), "check", "--no-cache", "--select", "TID251",
                               str(bad)], cwd=REPO, capture_output=True, text=True, timeout=120)
    finally:
        bad.unlink()
    assert done.returncode == 1
    assert "import orcapost, not the source folder 'core'" in done.stdout


def test_the_whole_code_base_passes_the_linter():
    ruff = Path(sys.executable).with_name("ruff")
    done = subprocess.run([str(ruff), "check", "--no-cache", "core", "plugins", "schemas"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout
