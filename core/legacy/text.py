"""Write a migrated config as YAML text, keeping the comments of keys that survive.

Like pre-commit's ``migrate-config``, the result is text, not a re-dump: keys in v2 order, short
lists and mappings in flow style, and each comment that sat above a legacy key, or at the end of
its line, placed at the v2 key that key became (the migration records where every key came from).
Comments of dropped keys go with them; the file's leading comment block is kept.
"""

from __future__ import annotations

from typing import Any

import yaml

HEADER = "# Migrated from the legacy post-processing dialect by `orcapost migrate` (docs/migration.md)."
FLOW_WIDTH = 88


def _scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _flow(value: Any) -> str | None:
    """``value`` on one line, if it is a short list/mapping of scalars (or a scalar)."""
    if isinstance(value, (dict, list)):
        items = value.values() if isinstance(value, dict) else value
        if any(isinstance(v, dict) for v in items) and isinstance(value, dict):
            return None
        if any(isinstance(v, (dict, list)) and _flow(v) is None for v in items):
            return None
        text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**9,
                              allow_unicode=True).strip()
        return text if len(text) <= FLOW_WIDTH else None
    return _scalar(value)


class _Comments:
    """Comments of the original text by key path: lines above a key, and the one at its end."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.marks: dict[tuple, tuple[int, int]] = {}  # path -> (key line, value end line)
        self.used: set[int] = set()
        self.used_inline: set[int] = set()
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            root = None
        if root is not None:
            self._walk(root, ())

    def _walk(self, node, path: tuple) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = path + (_key(key.value),)
                self.marks[child] = (key.start_mark.line, value.end_mark.line)
                self._walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.marks[path + (i,)] = (item.start_mark.line, item.end_mark.line)
                self._walk(item, path + (i,))

    def header(self) -> list[str]:
        out = []
        for line in self.lines:
            if line.strip().startswith("#"):
                out.append(line.strip())
            elif line.strip():
                break
        return out

    def above(self, path: tuple) -> list[str]:
        """Comment lines right above the key at ``path`` (each original line given once)."""
        mark = self.marks.get(path)
        if mark is None:
            return []
        out: list[int] = []  # line numbers
        line = mark[0] - 1
        while line >= 0 and self.lines[line].strip().startswith("#"):
            out.insert(0, line)
            line -= 1
        if line < 0:
            return []  # the file's header: written once at the top
        fresh = [n for n in out if n not in self.used]
        self.used.update(fresh)
        return [self.lines[n].strip() for n in fresh]

    def inline(self, path: tuple) -> str | None:
        """The comment at the end of the key's line (each original line given once)."""
        mark = self.marks.get(path)
        if mark is None or mark[0] in self.used_inline or mark[0] >= len(self.lines):
            return None
        found = _trailing_comment(self.lines[mark[0]])
        if found:
            self.used_inline.add(mark[0])
        return found


def _key(value: str) -> Any:
    return int(value) if value.isdigit() else value


def _trailing_comment(line: str) -> str | None:
    """The ``# ...`` at the end of a YAML line, outside quotes."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[i:].strip() if line[:i].strip() else None
    return None


def render(data: dict[str, Any], origins: dict[tuple, tuple], original: str) -> str:
    """The v2 ``data`` as YAML text, with the comments of surviving keys from ``original``."""
    comments = _Comments(original)
    out: list[str] = [HEADER, *comments.header()]

    def origin(path: tuple) -> tuple | None:
        return origins.get(path)

    def emit(value: Any, path: tuple, indent: str, prefix: str) -> None:
        """Write ``prefix`` (``key:`` or ``-``) and the value, with the origin's comments."""
        legacy = origin(path)
        above = comments.above(legacy) if legacy else []
        inline = comments.inline(legacy) if legacy else None
        for line in above:
            out.append(f"{indent}{line}")
        # Sections and result groups stay in block style; anything short inside them flows.
        block = len(path) <= 1 or (path[0] == "results" and len(path) <= 2)
        flow = None if (isinstance(value, dict) and block) else _flow(value)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) \
                and len(path) <= 3:
            flow = None
        tail = f"  {inline}" if inline else ""
        if flow is not None:
            out.append(f"{indent}{prefix} {flow}{tail}")
            return
        if isinstance(value, dict):
            out.append(f"{indent}{prefix}{tail}")
            for key, child in value.items():
                emit(child, path + (key,), indent + "  ", f"{_scalar(key)}:")
            return
        out.append(f"{indent}{prefix}{tail}")
        for i, item in enumerate(value):
            if isinstance(item, dict) and item:
                _emit_item(item, path + (i,), indent + "  ")
            else:
                emit(item, path + (i,), indent + "  ", "-")

    def _emit_item(item: dict, path: tuple, indent: str) -> None:
        legacy = origin(path)
        for line in comments.above(legacy) if legacy else []:
            out.append(f"{indent}{line}")
        start = len(out)
        for key, child in item.items():
            emit(child, path + (key,), indent + "  ", f"{_scalar(key)}:")
        # The first key goes on the dash line.
        first = out[start]
        out[start] = f"{indent}- {first[len(indent) + 2:]}"

    for key, value in data.items():
        emit(value, (key,), "", f"{_scalar(key)}:")
    return "\n".join(out) + "\n"
