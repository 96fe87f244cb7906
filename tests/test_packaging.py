"""Packaging: one import name, every subpackage inside it, and no top-level source folders."""

from __future__ import annotations

import ast
import os
import re
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
    # The wheel is built from the sdist (build's default without --wheel), in a clean folder:
    # built straight from the checkout, setuptools reuses its build/ folder, and a module
    # deleted since the last build (plugins/sinks/_tabular.py once) would still be in it.
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
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


def _source_modules() -> int:
    return sum(1 for folder in SOURCE_FOLDERS for path in (REPO / folder).rglob("*.py")
               if "__pycache__" not in path.parts)


@pytest.mark.slow
def test_mypy_finds_no_errors_in_the_installed_package(request, tmp_path):
    """mypy, configured in pyproject.toml, checks the package as installed: the source folders
    do not have its import layout. Under a non-editable install (CI) that is site-packages;
    under an editable one, whose import hook mypy cannot follow, the wheel's files."""
    import orcapost

    env = {key: value for key, value in os.environ.items() if key != "MYPYPATH"}
    if REPO in Path(orcapost.__file__).resolve().parents:  # an editable install
        site = tmp_path / "site"
        with zipfile.ZipFile(request.getfixturevalue("wheel")) as archive:
            archive.extractall(site)
        env["MYPYPATH"] = str(site)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
         "--cache-dir", str(tmp_path / "mypy-cache"), "-p", "orcapost"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"mypy found errors:\n{done.stdout}{done.stderr}"
    checked = re.search(r"Success: no issues found in (\d+) source files", done.stdout)
    assert checked, done.stdout
    assert int(checked.group(1)) == _source_modules(), done.stdout  # the whole package


def test_mypy_is_configured_without_blanket_ignores():
    """No global ignore_errors or ignore_missing_imports, and every ``# type: ignore`` in the
    code names its error code."""
    sections: dict[str, list[str]] = {}  # pyproject's mypy tables by header (tomllib is 3.11+)
    header = ""
    for line in (REPO / "pyproject.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            header = line.split("#")[0].strip()
        elif header.startswith(("[tool.mypy]", "[[tool.mypy.")) and "=" in line:
            sections.setdefault(header, []).append(line.split("=")[0].strip())
    assert "ignore_errors" not in sections["[tool.mypy]"]
    assert "ignore_missing_imports" not in sections["[tool.mypy]"]
    for header, keys in sections.items():
        if header != "[tool.mypy]":
            assert header == "[[tool.mypy.overrides]]"
            assert set(keys) <= {"module", "ignore_missing_imports"}, keys
    bare = []
    for folder in SOURCE_FOLDERS:
        for path in (REPO / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"#\s*type:\s*ignore(?!\[)", line):
                    bare.append(f"{path.relative_to(REPO).as_posix()}:{number}")
    assert bare == []
