"""The legacy base config, reproduced in orcapost.legacy.base, against the real file; and the
legacy tool's deep-merge semantics."""

from __future__ import annotations

import pytest
import yaml
from conftest import SHARED
from orcapost.legacy.base import LEGACY_BASE, deep_merge

BASE = SHARED / "legacy-configs" / "orcaflex_post_process.yml"


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, path + (key,))
    else:
        yield path, node


@pytest.mark.skipif(not BASE.is_file(), reason="../shared/legacy-configs absent")
def test_every_reproduced_default_is_the_real_base_configs_value():
    real = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    leaves = list(_leaves(LEGACY_BASE))
    assert len(leaves) > 20
    for path, value in leaves:
        node = real
        for key in path:
            node = node[key]
        assert node == value, path


def test_deep_merge_merges_mappings_and_replaces_everything_else():
    base = {"a": {"b": 1, "c": [1, 2], "d": {"e": 1}}, "f": 1}
    user = {"a": {"c": [3], "d": {"g": 2}}, "f": None, "h": {"i": 1}}
    merged = deep_merge(base, user)
    assert merged == {"a": {"b": 1, "c": [3], "d": {"e": 1, "g": 2}}, "f": None, "h": {"i": 1}}
    assert base == {"a": {"b": 1, "c": [1, 2], "d": {"e": 1}}, "f": 1}  # inputs untouched
    merged["h"]["i"] = 5
    assert user["h"]["i"] == 1
