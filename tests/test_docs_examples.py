"""Every YAML example in the docs is a config `orcapost validate` accepts (issue 12): a whole
config as it is; a fragment (a column list, an ``inputs``/``engine``/``campaign`` section) in
the shipped demo config, in the place it shows. An example that drifts from the schema (a key
renamed, an option removed) fails here, naming the page and line."""

from __future__ import annotations

import copy
import re

import pytest
import yaml
from conftest import REPO

DOCS = REPO / "docs"
BLOCK = re.compile(r"^```ya?ml\n(.*?)^```", re.S | re.M)


def _examples() -> list[tuple[str, str]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text[: match.start()].count("\n") + 1
            found.append((f"{page.relative_to(DOCS).as_posix()}:{line}", match.group(1)))
    return found


EXAMPLES = _examples()


def _demo() -> dict:
    return yaml.safe_load((REPO / "configs" / "demo.yml").read_text(encoding="utf-8"))


def _as_config(example) -> dict:
    """The config an example shows: itself when whole, else the demo config with it in place."""
    if isinstance(example, dict) and "version" in example and "results" in example:
        return example
    config = _demo()
    if isinstance(example, list):  # columns of a result group
        config["results"]["example"] = {"columns": example}
    elif isinstance(example, dict):
        for key, value in example.items():
            if isinstance(value, dict) and isinstance(config.get(key), dict):
                config[key] = {**config[key], **copy.deepcopy(value)}
            else:
                config[key] = value
    return config


def _provide_load_cases(config: dict, folder) -> None:
    """An example naming a load-case table gets the demo's table under that name, with a
    ``file`` column of patterns for the default join: the page shows how the table is named,
    not its rows."""
    named = (config.get("inputs") or {}).get("load_cases")
    if isinstance(named, dict):
        named = named.get("path")
    if isinstance(named, str) and named.endswith(".csv"):
        rows = (REPO / "configs" / "demo_load_cases.csv").read_text(encoding="utf-8").splitlines()
        lines = ["file," + rows[0]] + [f"*case{i}*,{row}" for i, row in enumerate(rows[1:])]
        (folder / named).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_docs_have_yaml_examples():
    assert len(EXAMPLES) >= 15  # the pages above; a regex that found none would pass vacuously


@pytest.mark.parametrize("where, text", EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_every_docs_example_validates(run_cli, tmp_path, where, text):
    example = yaml.safe_load(text)
    path = tmp_path / "example.yml"
    config = _as_config(example)
    _provide_load_cases(config, tmp_path)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    done = run_cli("validate", path)
    assert done.exit_code == 0, f"{where}:\n{done.output}"
