"""The public plugin API: built-in plugins import orcapost only through it, and its extractor
helpers name outputs without collisions."""

from __future__ import annotations

import ast
import importlib.util

import numpy as np
import pytest
from conftest import REPO
from helpers import first_archive
from orcapost.plugins import BUILTIN_PLUGINS
from orcapost.units import split_units

#: What a plugin may import from orcapost besides ``orcapost.api``: the public library
#: namespaces (pure functions and file formats, no plugin machinery; docs/plugins.md).
PUBLIC_LIBRARIES = ("orcapost.numerics", "orcapost.archive", "orcapost.formats")

#: Built-in plugins that still import orcapost's modules directly (module -> why): none.
NOT_YET_CONVERTED: dict[str, str] = {}

#: Imports that are not plugin API on purpose (module -> {imported module: why}).
HOST_MACHINERY = {
    # The migrate command is the front end of config migration, which the lead is rewriting.
    "orcapost.plugins.commands.migrate": {
        "orcapost.migrations": "migration steps and their outcomes",
        "orcapost.legacy.text": "renders a migrated config with the original's comments",
    },
    # profile recommends the file_size policy and shares admission's percentile: both are
    # other built-in plugins' code, not API (the registry would give the policy, not the helper).
    "orcapost.plugins.commands.profile": {
        "orcapost.plugins.optimizers.admission": "nearest_rank",
        "orcapost.plugins.policies.file_size": "FileSizePolicy.threads_for",
    },
}


def _module_name(path) -> str:
    relative = path.relative_to(REPO).with_suffix("")
    parts = list(relative.parts)
    if parts[0] == "plugins":
        parts[0] = "orcapost.plugins"
    elif parts[0] == "core":
        parts[0] = "orcapost"
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _plugin_files():
    files = sorted((REPO / "plugins").rglob("*.py")) + sorted((REPO / "examples").rglob("*.py"))
    return [path for path in files if "build" not in path.parts]


def _orcapost_imports(path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import of an ``orcapost`` module, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names
                      if a.name.split(".")[0] == "orcapost"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "orcapost":
            found.append((node.lineno, node.module, [a.name for a in node.names]))
    return found


def _allowed(importer: str, module: str, names: list[str]) -> bool:
    if module == "orcapost.api":
        return True
    if module == "orcapost" and names:  # `from orcapost import archive`: a library namespace
        return all(f"orcapost.{name}" in PUBLIC_LIBRARIES for name in names)
    if any(module == lib or module.startswith(lib + ".") for lib in PUBLIC_LIBRARIES):
        return not any(name.startswith("_") for name in names)
    package = importer.rpartition(".")[0]
    # A helper module of the plugin's own package (_common, _reads, orcaflex_vocabulary), or
    # of a helper package inside it (commands/report_html/): not itself a registered plugin.
    home = module.rpartition(".")[0]
    if (home == package or home.startswith(package + ".")) \
            and package.startswith("orcapost.plugins.") and module not in BUILTIN_PLUGINS:
        return True
    return module in HOST_MACHINERY.get(importer, {})


@pytest.mark.parametrize("path", _plugin_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_a_plugin_imports_orcapost_only_through_the_api(path):
    importer = _module_name(path)
    if importer in NOT_YET_CONVERTED:
        pytest.skip(f"not yet converted: {NOT_YET_CONVERTED[importer]}")
    wrong = [f"line {line}: {module} {names}" for line, module, names in _orcapost_imports(path)
             if not _allowed(importer, module, names)]
    assert not wrong, f"{importer} imports orcapost beyond orcapost.api: {wrong}"


def test_the_scan_sees_every_built_in_plugin_and_the_allow_lists_are_real():
    scanned = {_module_name(path) for path in _plugin_files()}
    assert set(BUILTIN_PLUGINS) <= scanned
    assert set(NOT_YET_CONVERTED) <= scanned
    for importer, modules in HOST_MACHINERY.items():
        imported = {module for _, module, _ in
                    _orcapost_imports(next(p for p in _plugin_files()
                                           if _module_name(p) == importer))}
        assert set(modules) <= imported, f"{importer} no longer needs {set(modules) - imported}"


def test_the_scan_catches_an_internal_import(tmp_path):
    assert not _allowed("orcapost.plugins.extractors.statistics", "orcapost.extraction",
                        ["targets"])
    assert not _allowed("orcapost.plugins.commands.report", "orcapost.plugins.reporters._figures",
                        ["human_bytes"])  # another package's private helper
    assert not _allowed("orcapost.plugins.extractors.fatigue", "orcapost.numerics.rainflow",
                        ["_count"])
    assert _allowed("orcapost.plugins.extractors.fatigue", "orcapost.plugins.extractors._common",
                    ["ArcLength"])
    # A helper package of the plugin's own package, and that package's own modules.
    assert _allowed("orcapost.plugins.commands.report",
                    "orcapost.plugins.commands.report_html", ["write_html"])
    assert _allowed("orcapost.plugins.commands.report_html",
                    "orcapost.plugins.commands.report_html.figures", ["Figure"])
    assert not _allowed("orcapost.plugins.commands.report_html.page",
                        "orcapost.plugins.reporters.plain", ["PlainReporter"])


def test_every_api_name_resolves_and_is_listed():
    import orcapost.api as api

    assert api.__all__ == sorted(api.__all__)
    for name in api.__all__:
        assert getattr(api, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        api.nonexistent  # noqa: B018


# -- naming outputs ------------------------------------------------------------------------------


def _exceedance_module():
    path = REPO / "examples" / "orcapost-exceedance" / "orcapost_exceedance.py"
    spec = importlib.util.spec_from_file_location("orcapost_exceedance_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_plugin_keeps_every_variable_a_pattern_matches(campaign):
    """Surge, Sway and Heave all match "S*|H*": 3 variables x 3 outputs, none overwritten."""
    from orcapost.archive import Archive
    from orcapost.plugins.sources.archive import ArchiveResultFile

    extractor_cls = _exceedance_module().ExceedanceExtractor
    column = extractor_cls.Options.model_validate(
        {"label": "FPSO over 0.5", "object": "FPSO", "variable": "[SH]*", "threshold": 0.5})
    path = first_archive(campaign)
    with ArchiveResultFile(path) as file:
        out = split_units(extractor_cls(column).extract(file, column))[0]
    assert len(out) == 9
    with Archive(path) as archive:
        keep = archive.time >= 0
        for variable in ("Surge", "Sway", "Heave"):
            above = np.array(archive.column(f"FPSO/{variable}"))[keep] > 0.5
            assert out[f"FPSO over 0.5 {variable} fraction"] == pytest.approx(float(above.mean()))
            assert out[f"FPSO over 0.5 {variable} crossings"] == int(
                np.count_nonzero(above[1:] & ~above[:-1]))


def test_named_targets_refuses_a_label_that_gives_two_targets_one_name(tmp_path):
    from orcapost.api import Extractor, ResultFileError, SeriesColumn
    from orcapost.archive import ObjectData, SimulationData, Stage, TimeVariable, write_archive
    from orcapost.plugins.sources.archive import ArchiveResultFile

    time = np.linspace(0.0, 10.0, 11)
    ones = np.ones_like(time)
    # "A" / "B C" and "A B" / "C" both become "x A B C" once object and variable are appended.
    sim = SimulationData(time=time, stages=[Stage(0, 0.0, 10.0)], objects=[
        ObjectData("A", "Vessel", [TimeVariable("B C", "m", ones)]),
        ObjectData("A B", "Vessel", [TimeVariable("C", "m", ones)]),
    ])
    path = write_archive(tmp_path / "clash.arrow", sim)

    class Probe(Extractor):
        name = "probe"
        Options = SeriesColumn

        def extract(self, file, column):
            return dict((name, 1.0) for _, name in self.named_targets(file, column))

    column = SeriesColumn.model_validate({"label": "x", "object": "A*", "variable": "*"})
    with ArchiveResultFile(path) as file, pytest.raises(ResultFileError, match="names both"):
        Probe(column).extract(file, column)
    distinct = SeriesColumn.model_validate(
        {"label": "{object}: {variable}", "object": "A*", "variable": "*"})
    with ArchiveResultFile(path) as file:
        assert Probe(distinct).extract(file, distinct) == {"A: B C": 1.0, "A B: C": 1.0}


def test_type_checkers_see_every_api_name_from_the_module_that_defines_it():
    # core/api.py is lazy (PEP 562), so its names are Any to a type checker but for the
    # `if TYPE_CHECKING:` block of real imports: the block must name exactly what _SOURCES does.
    import orcapost.api as api

    tree = ast.parse((REPO / "core" / "api.py").read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
    seen = {alias.name: node.module for node in block.body if isinstance(node, ast.ImportFrom)
            for alias in node.names if alias.asname == alias.name}
    assert seen == api._SOURCES
