"""orcapost's modules import each other without cycles.

A cycle works only as long as nobody reorders an import, and it hides which module is the lower
one. The graph is read from the source with ast: imports that run when a module is imported
(module level, class bodies, try and if blocks), not ``if TYPE_CHECKING:`` blocks nor imports
inside functions.
"""

from __future__ import annotations

import textwrap

from source_tree import import_cycles, import_graph, module_imports, source_modules


def test_orcapost_has_no_import_cycle():
    cycles = import_cycles(import_graph())
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_graph_holds_the_imports_it_should():
    # Guards the reading itself: an empty graph would have no cycle either.
    graph = import_graph()
    assert "orcapost.migrations" in graph["orcapost.config"]
    assert "orcapost.api" in graph["orcapost.plugins.extractors.export_archive"]
    # from package import submodule imports the submodule.
    assert "orcapost.legacy.columns" in graph["orcapost.legacy.steps"]


def test_import_time_statements_only(tmp_path):
    root = tmp_path / "core"
    (root / "sub").mkdir(parents=True)
    for name in ("__init__", "a", "b", "c", "d", "sub/__init__", "sub/e"):
        (root / f"{name}.py").write_text("")
    (root / "a.py").write_text(textwrap.dedent("""
        from typing import TYPE_CHECKING
        from orcapost import b
        from .sub import e
        if TYPE_CHECKING:
            from orcapost import c
        def later():
            import orcapost.d
        class Kept:
            import orcapost.d
    """))
    modules = source_modules(tmp_path)
    assert module_imports(modules["orcapost.a"], set(modules)) == {
        "orcapost", "orcapost.b", "orcapost.sub", "orcapost.sub.e", "orcapost.d"}


def test_a_cycle_is_named_by_its_modules():
    graph = {"x": {"y"}, "y": {"z"}, "z": {"x"}, "w": {"x"}}
    assert import_cycles(graph) == [["x", "y", "z", "x"]]
    assert import_cycles({"x": {"y"}, "y": set()}) == []
