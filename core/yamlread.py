"""Read YAML into plain data, fast, with exactly what ``yaml.safe_load`` gives.

``yaml.safe_load`` runs PyYAML's pure-Python parser even when libyaml is installed, and then
builds a node for every value before building the value: a 50 MB config took minutes. Here the
parser is libyaml's (``yaml.CSafeLoader``) when present, and plain data -- mappings, sequences,
untagged scalars -- is built straight from the parser's events, one loop, no nodes, no
recursion. Anything else (a tag, an anchor or alias, a merge key, a mapping used as a key, a
second document) is handed to the full safe loader, which reads the text again: the result, and
every refusal (an unsafe ``!!python/...`` tag) or syntax error with its line and column, is the
safe loader's own. Syntax errors come from the same parser on both paths.

The event loop knows how deep it is, so nesting deeper than :data:`MAX_DEPTH` is refused where it
happens (:class:`NestingTooDeep`), before anything downstream recurses into it.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

#: The loader behind every read: libyaml's safe loader when PyYAML was built with it.
LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Deepest nesting of mappings and sequences a document may have. Configs are a handful of
#: levels deep; validation and migration recurse into the data, so a runaway ``[[[[...`` must
#: stop here rather than as a RecursionError there.
MAX_DEPTH = 64

_TAG = "tag:yaml.org,2002:"
#: Tags of untagged plain scalars built on the fast path (anything else goes to the loader).
_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("null", "bool", "int", "float", "timestamp")}
_STR = f"{_TAG}str"


class NestingTooDeep(Exception):
    """The document nests mappings/sequences deeper than :data:`MAX_DEPTH`; ``mark`` is where."""

    def __init__(self, mark, depth: int) -> None:
        super().__init__(f"nested more than {depth} levels deep")
        self.mark = mark
        self.depth = depth


class _NotPlain(Exception):
    """The document needs the full safe loader (tags, anchors, merge keys, ...)."""


_NO_KEY = object()


def load(text: str, loader: type | None = None) -> Any:
    """The data in YAML ``text``, as ``yaml.load(text, Loader=loader)`` with a safe loader.

    Raises ``yaml.YAMLError`` as the loader does, and :class:`NestingTooDeep`.
    """
    loader = loader or LOADER
    with gc_paused():
        try:
            return _load_plain(text, loader)
        except _NotPlain:
            pass
        try:
            data = yaml.load(text, Loader=loader)  # a safe loader, by contract
        except RecursionError:  # the pure-Python composer recurses: only a deep document
            data = None
        else:
            if _depth(data) <= MAX_DEPTH:
                return data
        raise NestingTooDeep(_deep_mark(text, loader), MAX_DEPTH)


def _load_plain(text: str, loader_cls: type) -> Any:
    loader = loader_cls(text)
    try:
        return _build(loader)
    finally:
        loader.dispose()


def _build(loader) -> Any:
    get_event = loader.get_event
    get_event()  # StreamStartEvent
    if loader.check_event(StreamEndEvent):
        return None
    get_event()  # DocumentStartEvent
    plain_scalars: dict[str, Any] = {}
    # Open containers, innermost last; for a mapping, the key waiting for its value.
    stack: list[Any] = []
    keys: list[Any] = []
    root = None
    while True:
        event = get_event()
        kind = type(event)
        if kind is ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                raise _NotPlain
            if event.implicit[0]:  # plain: resolved once per distinct text
                value = plain_scalars.get(event.value, _NO_KEY)
                if value is _NO_KEY:
                    value = plain_scalars[event.value] = _plain_scalar(loader, event.value)
            else:
                value = event.value  # quoted and block scalars are strings
            container = False
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.anchor is not None or event.tag is not None:
                raise _NotPlain
            if len(stack) >= MAX_DEPTH:
                raise NestingTooDeep(event.start_mark, MAX_DEPTH)
            value = {} if kind is MappingStartEvent else []
            container = True
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            stack.pop()
            keys.pop()
            if stack:
                continue
            break
        elif kind is AliasEvent:
            raise _NotPlain
        else:  # pragma: no cover - the parser emits nothing else inside a document
            raise _NotPlain
        if not stack:
            root = value
        else:
            top = stack[-1]
            if type(top) is list:
                top.append(value)
            elif keys[-1] is _NO_KEY:
                if container:
                    raise _NotPlain  # a mapping or sequence as a key: the loader says why
                keys[-1] = value
            else:
                top[keys[-1]] = value
                keys[-1] = _NO_KEY
        if container:
            stack.append(value)
            keys.append(_NO_KEY)
        elif not stack:
            break  # the document is one scalar
    if not isinstance(get_event(), DocumentEndEvent) or not loader.check_event(StreamEndEvent):
        raise _NotPlain  # a second document: the loader reports it
    return root


def _plain_scalar(loader, value: str) -> Any:
    """An untagged plain scalar's value, resolved and built as the safe loader's constructor
    does (values are immutable: one per distinct text is shared)."""
    tag = loader.resolve(ScalarNode, value, (True, False))
    if tag == _STR:
        return value
    if tag not in _SCALAR_TAGS:
        raise _NotPlain  # a merge key (<<), a value key (=)
    return loader.yaml_constructors[tag](loader, ScalarNode(tag, value))


def _deep_mark(text: str, loader_cls: type):
    """Where the document first nests deeper than :data:`MAX_DEPTH` (the parser's events)."""
    loader = loader_cls(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, (MappingStartEvent, SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark
            elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
                depth -= 1
    finally:
        loader.dispose()
    return None


def _depth(data: Any) -> int:
    """How deep ``data`` nests (a shared or recursive container counted once), iteratively."""
    deepest = 0
    seen: set[int] = set()
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if id(node) in seen:
                continue
            seen.add(id(node))
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a big document's objects are built.

    Building millions of dicts and lists triggers collections that walk every one of them again
    (most of the time of a big config); none of them is garbage yet. Nested and concurrent uses
    share one pause, and the collector's previous state comes back when the last one ends.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()
