"""orcapost's source folders read as modules, with ast (nothing is imported).

The checks on the built-in plugin list and on import cycles look at the source as it is in the
working tree, not at whatever copy of orcapost happens to be installed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Source folder -> the import name it has when installed (pyproject's package-dir map).
SOURCE_FOLDERS: dict[str, str] = {
    "core": "orcapost",
    "plugins": "orcapost.plugins",
    "schemas": "orcapost.schemas",
}


@dataclass(frozen=True)
class SourceModule:
    name: str
    path: Path
    is_package: bool

    def tree(self) -> ast.Module:
        return ast.parse(self.path.read_text(encoding="utf-8"), filename=str(self.path))


def source_modules(repo: Path = REPO) -> dict[str, SourceModule]:
    """Every module of the source folders, by import name."""
    modules: dict[str, SourceModule] = {}
    for folder, package in SOURCE_FOLDERS.items():
        root = repo / folder
        for path in sorted(root.rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            name = ".".join([package, *parts])
            modules[name] = SourceModule(name, path, is_package)
    return modules


# -- hook implementations ---------------------------------------------------------------------


def _is_hookimpl(decorator: ast.expr) -> bool:
    # @hookimpl, @hookimpl(...), @orcapost.hookimpl, @markers.hookimpl(...)
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        return target.attr == "hookimpl"
    return isinstance(target, ast.Name) and target.id == "hookimpl"


def _hook_name(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    # @hookimpl(specname="orcapost_x") implements orcapost_x whatever the function is called.
    for decorator in function.decorator_list:
        if _is_hookimpl(decorator) and isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                if keyword.arg == "specname" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return function.name


def hook_implementations(module: SourceModule) -> list[str]:
    """The ``orcapost_*`` hooks the module implements with module-level ``@hookimpl``
    functions: what pluggy finds when the module itself is registered as a plugin. (Methods of
    classes are hooks of their instances, such as the run listeners the engine registers for
    the length of a run, not of the module.)"""
    found = []
    for node in module.tree().body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                _is_hookimpl(d) for d in node.decorator_list):
            name = _hook_name(node)
            if name.startswith("orcapost_"):
                found.append(name)
    return found


# -- module-level imports ---------------------------------------------------------------------


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _import_time_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements run when the module is imported: not function bodies (run when called),
    not ``if TYPE_CHECKING:`` blocks (never run); class bodies, try and other if blocks are."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        yield node
        if isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _import_time_statements(node.body)
            yield from _import_time_statements(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody,
                          *(handler.body for handler in node.handlers)):
                yield from _import_time_statements(block)
        elif isinstance(node, (ast.With, ast.ClassDef)):
            yield from _import_time_statements(node.body)


def _absolute(module: SourceModule, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.name.split(".")
    if not module.is_package:
        package.pop()
    base = package[:len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def module_imports(module: SourceModule, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``module`` imports when it is imported."""
    out: set[str] = set()
    for node in _import_time_statements(module.tree().body):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            if source in known:
                out.add(source)
            # from package import submodule imports the submodule too.
            out.update(f"{source}.{alias.name}" for alias in node.names
                       if f"{source}.{alias.name}" in known)
    out.discard(module.name)
    return out


def import_graph(repo: Path = REPO) -> dict[str, set[str]]:
    """orcapost's modules -> the orcapost modules each imports at import time."""
    modules = source_modules(repo)
    known = set(modules)
    return {name: module_imports(module, known) for name, module in modules.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path that returns to its start) for each group of modules that import
    each other, found with Tarjan's strongly connected components."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(group, graph) for group in groups]


def _cycle_in(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    # Shortest way back to the group's first module, by breadth-first search inside the group.
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"{sorted(group)} is not strongly connected")
