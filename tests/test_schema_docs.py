"""The JSON Schema of ``orcapost schema`` accepts what ``orcapost validate`` accepts: every
shipped config, every config block of the docs and README, the short names (``csv``,
``fixed``); and the plugin example of docs/plugins.md runs."""

from __future__ import annotations

import copy
import re
import types
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml
from orcapost.config import validate_data
from orcapost.demo import DemoSpec, write_campaign
from orcapost.errors import OrcapostError
from orcapost.pluginmanager import get_plugin_manager

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "configs").glob("*.yml"))
DOCS = sorted([*(REPO / "docs").glob("*.md"), REPO / "README.md"])


@pytest.fixture(scope="module")
def registry():
    return get_plugin_manager(entry_points=False).registry


@pytest.fixture(scope="module")
def validator(registry):
    schema = registry.config_model().model_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def yaml_blocks() -> list[tuple[str, dict]]:
    """Every YAML block of the docs and README that is a mapping, named file:line."""
    blocks = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"```ya?ml\n(.*?)```", text, re.S):
            data = yaml.safe_load(match.group(1))
            if isinstance(data, dict):
                line = text[:match.start()].count("\n") + 1
                blocks.append((f"{path.name}:{line}", data))
    return blocks


def _is_config(data: dict) -> bool:
    return "inputs" in data and "results" in data


CONFIG_BLOCKS = [(name, data) for name, data in yaml_blocks() if _is_config(data)]
FRAGMENTS = [(name, data) for name, data in yaml_blocks() if not _is_config(data)]


def test_the_docs_hold_config_blocks_to_check():
    assert len(CONFIG_BLOCKS) >= 3 and len(FRAGMENTS) >= 3 and SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_config_passes_the_schema_and_validate(path, registry, validator):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(data)] == []
    validate_data(copy.deepcopy(data), registry, base_directory=path.parent)


@pytest.mark.parametrize(("name", "data"), CONFIG_BLOCKS, ids=[n for n, _ in CONFIG_BLOCKS])
def test_every_config_block_of_the_docs_passes_the_schema_and_validate(name, data, registry,
                                                                         validator, tmp_path):
    assert [e.message for e in validator.iter_errors(data)] == []
    validate_data(copy.deepcopy(data), registry, base_directory=tmp_path)


@pytest.mark.parametrize(("name", "data"), FRAGMENTS, ids=[n for n, _ in FRAGMENTS])
def test_every_config_fragment_of_the_docs_passes_its_section_of_the_schema(name, data,
                                                                              validator):
    """A block of some sections (``engine:``, ``campaign:``) against those sections' schema."""
    schema = validator.schema
    sections = set(schema["properties"])
    assert set(data) <= sections, f"{name}: {sorted(set(data) - sections)} is no config section"
    for key, value in data.items():
        if key == "version":
            continue
        section = {**schema["properties"][key], "$defs": schema.get("$defs", {})}
        errors = [e.message for e in jsonschema.Draft202012Validator(section).iter_errors(value)]
        assert errors == [], f"{name}: {key}"


BASE = {"version": 2, "inputs": {"directory": "x"}, "results": {"g": {"columns": [
    {"label": "a", "kind": "statistics", "object": "L", "variable": "T"}]}}}


def _with(path: list[str], value) -> dict:
    data = copy.deepcopy(BASE)
    cursor = data
    for key in path[:-1]:
        cursor = cursor.setdefault(key, {})
    cursor[path[-1]] = value
    return data


def _column(**options) -> dict:
    data = copy.deepcopy(BASE)
    data["results"]["g"]["columns"][0].update(options)
    return data


def _range(arc_length) -> dict:
    return _with(["results", "g", "columns"], [{"label": "r", "kind": "range_graph",
                                                "object": "L", "variable": "T",
                                                "arc_length": arc_length}])


CASES = {
    "formats short names": _with(["outputs", "formats"], ["csv", "parquet", "xlsx"]),
    "formats with options": _with(["outputs", "formats"], [{"name": "csv", "units_row": True}]),
    "formats empty": _with(["outputs", "formats"], []),
    "formats unknown sink": _with(["outputs", "formats"], ["nosuch"]),
    "thread_policy short": _with(["engine", "thread_policy"], "fixed"),
    "thread_policy unknown": _with(["engine", "thread_policy"], "nosuch"),
    "io_scheduler short": _with(["engine", "io_scheduler"], "as_listed"),
    "progress short": _with(["engine", "progress"], "plain"),
    "sources short": _with(["inputs", "sources"], ["archive"]),
    "size with a space": _with(["inputs", "min_size"], "10 MB"),
    "size not a size": _with(["inputs", "min_size"], "ten"),
    "position": _column(position="End A"),
    "position unknown": _column(position="Middle"),
    "period latest wave": _column(period="latest wave"),
    "statistic percentile": _column(statistics=["p99.9", "p100"]),
    "statistic beyond 100": _column(statistics=["p101"]),
    "unknown option": _column(foo=1),
    "arc length legacy []": _range([]),
    "arc length legacy [S]": _range([5]),
    "arc length sections": _range([[0, 5], [5, 9]]),
    "arc length three numbers": _range([1, 2, 3]),
}


@pytest.mark.parametrize("case", CASES)
def test_the_schema_and_validate_agree(case, registry, validator):
    data = CASES[case]
    try:
        validate_data(copy.deepcopy(data), registry)
        accepted = True
    except OrcapostError:
        accepted = False
    assert validator.is_valid(data) == accepted


def _plugin_example() -> str:
    text = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    return re.search(r"```python\n(# orcapost_exceedance\.py\n.*?)```", text, re.S).group(1)


def test_the_plugin_example_of_the_docs_runs(tmp_path):
    """The docs' example module, registered on a plugin manager, extracts from a demo file."""
    module = types.ModuleType("orcapost_exceedance_doc")
    exec(compile(_plugin_example(), "docs/plugins.md", "exec"), module.__dict__)
    pm = get_plugin_manager(entry_points=False)
    pm.register(module, name="orcapost_exceedance_doc")
    entry = next(e for e in pm.registry.all("extractor") if e.name == "threshold")
    (path,) = write_campaign(tmp_path, DemoSpec(file_size=60_000), files=1)
    from orcapost.plugins.sources.archive import ArchiveSource

    column = entry.cls.Options.model_validate({
        "label": "heave over 0.5", "object": "FPSO", "variable": "Heave", "threshold": 0.5})
    file = ArchiveSource().open(path)
    try:
        out = entry.cls(column).extract(file, column)
        heave = file.time_history("FPSO", "Heave", column.position, column.period).values
    finally:
        file.close()
    units = out.pop("__orcapost_units__")
    assert out["heave over 0.5 fraction"] == pytest.approx(float(np.mean(heave > 0.5)))
    assert out["heave over 0.5 crossings"] > 0
    assert units == {"heave over 0.5 fraction": "-", "heave over 0.5 crossings": "-"}
