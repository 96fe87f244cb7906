"""Reading config YAML: libyaml's fast path gives what yaml.safe_load gives, refuses what it
refuses at the same line and column, and stops runaway nesting with a located message."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from orcapost import yamlread
from orcapost.config import ConfigError, read_yaml

LOADERS = [pytest.param(yaml.SafeLoader, id="python")]
if yaml.__with_libyaml__:
    LOADERS.append(pytest.param(yaml.CSafeLoader, id="libyaml"))

DOCUMENTS = [
    "",
    "# only a comment\n",
    "plain scalar\n",
    "a: 1\nb: [1.5, -2, 0x1F, 0o17, 1_000, .inf, .nan, ~, null, yes, No, true, 'true']\n",
    "a: {b: {c: [d, {e: f}]}}\nempty: {}\nnone: []\nblank:\n",
    "dup: 1\nother: 2\ndup: 3\n",  # the last value wins, as with safe_load
    "1: int key\n2.5: float key\ntrue: bool key\n~: null key\n",
    "text: |\n  two\n  lines\nfolded: >\n  one\n  line\nquoted: \"1\"\n",
    "when: 2024-05-01\nstamp: 2024-05-01 10:00:00\n",
    "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\nsame: *b\n",
    "tagged: !!str 12\nset: !!set {a, b}\nbinary: !!binary aGVsbG8=\n",
    "? [complex, key]\n: value\n",
    "- a\n- b: [1, 2]\n  c: d\n",
    "=: value key\n",
]


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("text", DOCUMENTS)
def test_the_data_is_what_safe_load_gives(text, loader):
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        with pytest.raises(type(exc)):
            yamlread.load(text, loader)
        return
    data = yamlread.load(text, loader)
    assert data == expected or (data != data and expected != expected)
    assert repr(data) == repr(expected)  # same types and order, not merely equal


SYNTAX_ERRORS = [
    ("a: [1, 2\nb: 3\n", 2, 2), ("a: b: c\n", 1, 5), ("a:\n  - 1\n - 2\n", 3, 2),
    ("a: 'x\n", 2, 1), ("- a\nb: 1\n", 2, 1), ("a: 1\n\tb: 2\n", 2, 1), ("key: @x\n", 1, 6),
    ("a: *nope\n", 1, 4), ("a: 1\n---\nb: 2\n", 2, 1),
]


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(("text", "line", "column"), SYNTAX_ERRORS)
def test_syntax_errors_are_located_alike_by_both_parsers(monkeypatch, loader, text, line, column):
    monkeypatch.setattr(yamlread, "LOADER", loader)
    with pytest.raises(ConfigError) as caught:
        read_yaml(text, "c.yml")
    (issue,) = caught.value.issues
    assert issue.line == line and issue.message.endswith(f", column {column}")


@pytest.mark.parametrize("loader", LOADERS)
def test_a_python_tag_is_refused_not_run(monkeypatch, tmp_path, loader):
    monkeypatch.setattr(yamlread, "LOADER", loader)
    marker = tmp_path / "touched"
    text = f"a: 1\nb: !!python/object/apply:pathlib.Path.touch ['{marker}']\n"
    with pytest.raises(ConfigError) as caught:
        read_yaml(text, "c.yml")
    assert "c.yml:2: the YAML tag !!python/object/apply:pathlib.Path.touch is not allowed" \
        in str(caught.value)
    assert not marker.exists()


def _nested(depth: int, flow: bool) -> str:
    if flow:
        return "a: " + "[" * depth + "]" * depth + "\n"
    return "".join(" " * i + f"k{i}:\n" for i in range(depth)) + " " * depth + "x\n"


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("flow", [True, False], ids=["flow", "block"])
def test_nesting_deeper_than_a_config_needs_is_refused_where_it_happens(monkeypatch, loader,
                                                                       flow):
    monkeypatch.setattr(yamlread, "LOADER", loader)
    assert yamlread.load(_nested(yamlread.MAX_DEPTH - 1, flow)) is not None
    with pytest.raises(ConfigError) as caught:
        read_yaml(_nested(yamlread.MAX_DEPTH + 5, flow), "deep.yml")
    (issue,) = caught.value.issues
    assert f"more than {yamlread.MAX_DEPTH} levels deep" in issue.message
    # Where the level past the limit opens: line 1 of a flow list, line 65 of a block one.
    assert issue.line == (1 if flow else yamlread.MAX_DEPTH + 1)


@pytest.mark.parametrize("loader", LOADERS)
def test_deep_nesting_through_aliases_is_located_too(monkeypatch, loader):
    # Anchors send the document to the full loader, whose composer recurses.
    monkeypatch.setattr(yamlread, "LOADER", loader)
    text = "x: &a 1\ny: *a\nz: " + "[" * 300 + "]" * 300 + "\n"
    with pytest.raises(ConfigError) as caught:
        read_yaml(text, "deep.yml")
    (issue,) = caught.value.issues
    assert issue.line == 3 and "levels deep" in issue.message


def test_the_collector_is_paused_while_loading_and_restored_after():
    import gc

    assert gc.isenabled()
    with yamlread.gc_paused():
        with yamlread.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with yamlread.gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


BASE = ("version: 2\ninputs: {directory: .}\nresults: {g: {columns: [{label: x, kind: "
        "statistics, object: a, variable: b, statistics: [max]}]}}\n")


@pytest.mark.parametrize("depth", [100, 900, 5000])
def test_validate_a_deeply_nested_config_exits_2_with_the_line(tmp_path, depth):
    path = tmp_path / "deep.yml"
    path.write_text(BASE + "outputs: {directory: " + "[" * depth + "]" * depth + "}\n")
    done = subprocess.run([sys.executable, "-m", "orcapost", "validate", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert f"{path}:4:" in done.stderr and "Traceback" not in done.stderr
    assert "internal error" not in done.stderr
