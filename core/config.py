"""Load a config: read YAML safely -> migrate old versions -> validate the current model.

Every problem becomes a :class:`ConfigError` listing short, located issues (file, line, key path,
what is wrong, and for a misspelled key the nearest valid one). Never a traceback.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from orcapost import yamlread
from orcapost.defaults import CONFIG_VERSION
from orcapost.errors import OrcapostError
from orcapost.migrations import (
    Migration,
    MigrationIssues,
    MigrationOptions,
    migrate,
    origin_of,
)
from pydantic import ValidationError


@dataclass(frozen=True)
class ConfigIssue:
    path: str
    line: int | None
    message: str
    #: The key path as keys and indices (``path`` joins them with dots, which is ambiguous for
    #: a key that holds a dot, such as a group label "Hs 2.5").
    keys: tuple = ()

    def render(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {self.message}"


class ConfigError(OrcapostError):
    """A config that cannot be used. ``issues`` lists every problem found."""

    def __init__(self, source: str, issues: list[ConfigIssue], hint: str | None = None,
                 reason: Exception | None = None) -> None:
        self.source = source
        self.issues = issues
        #: The exception behind the issues, for callers that tell kinds apart (a migration's
        #: :class:`~orcapost.migrations.LegacyBaseConfig`).
        self.reason = reason
        lines = [issue.render(source) for issue in issues]
        head = f"{source}: invalid config ({len(issues)} problem{'s' * (len(issues) != 1)})"
        super().__init__("\n".join([head, *("  " + line for line in lines)]), hint)


@dataclass
class LoadedConfig:
    """A validated config, where it came from, and what was done to it on the way."""

    model: Any
    path: Path | None
    base_directory: Path
    data: dict[str, Any]
    migrated_from: int | None = None
    warnings: list[str] = field(default_factory=list)
    #: How the file came to the current version (notes, dropped keys, key origins).
    migration: Migration | None = None
    #: What the config is called in messages: its path, or e.g. "demo.yml" when built in.
    source: str = "<config>"

    def resolve(self, path: Path) -> Path:
        """A config path (inputs.directory, outputs.directory) relative to the config file."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else (self.base_directory / path)

    @property
    def stem(self) -> str:
        return self.path.stem if self.path else "config"


# -- YAML ---------------------------------------------------------------------------------------


def read_yaml(text: str, source: str) -> Any:
    """Parse YAML with the safe loader (libyaml's when installed); any tag that would build a
    Python object is refused, and so is nesting deeper than any config needs."""
    try:
        return yamlread.load(text)
    except yamlread.NestingTooDeep as exc:
        mark = exc.mark
        where = f" (here, column {mark.column + 1})" if mark is not None else ""
        raise ConfigError(source, [ConfigIssue("", mark.line + 1 if mark else None, (
            f"the YAML nests mappings and lists more than {exc.depth} levels deep{where}; a "
            "config is a few levels deep: check the brackets and the indentation here"
        ))]) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        tag = (exc.problem or "").split("'")[1] if "'" in (exc.problem or "") else "?"
        tag = tag.replace("tag:yaml.org,2002:", "!!")
        line = mark.line + 1 if mark else None
        from orcapost.legacy.detect import RESULTS_DUMP, is_results_dump_tag

        if is_results_dump_tag(tag):
            raise ConfigError(source, [ConfigIssue("", line, (
                f"this is {RESULTS_DUMP} (YAML tag {tag}), not a config: nothing to run"
            ))]) from None
        raise ConfigError(source, [ConfigIssue("", line, (
            f"the YAML tag {tag} is not allowed: orcapost reads configs with a safe loader "
            "that never builds Python objects; remove the tag"
        ))]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
        if mark is not None:
            message += f", column {mark.column + 1}"
        raise ConfigError(source, [ConfigIssue("", line, message)]) from None


@functools.lru_cache(maxsize=1)
def _composed(text: str):
    """The node tree of ``text`` (the last one asked for: a config's issues share it)."""
    try:
        return yaml.compose(text, Loader=yamlread.LOADER)
    except (yaml.YAMLError, RecursionError):
        return None


def line_of(text: str, path: tuple) -> int | None:
    """The 1-based line of the node at ``path`` (keys and list indices) in YAML ``text``.

    Path parts that are not keys or indices of the document (union tags pydantic adds) are
    skipped. For a missing key, the line of the nearest existing parent is returned.
    """
    node = _composed(text)
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    line, node = key.start_mark.line + 1, value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
    return line


#: The keys whose value pydantic puts into an error's location as a union tag.
_TAG_KEYS = ("kind", "name")


def _data_path(data: Any, loc: tuple) -> tuple:
    """Drop the parts of a pydantic error location that are not in the data (union tags).

    A union tag can also be a key of the entry it tags: a ``statistics`` column has a
    ``statistics`` key, so ``(..., 0, "statistics", "period")`` could follow the key and lose
    ``period`` (every such column's problem was put at its ``statistics`` line). A part that is
    both the entry's tag and one of its keys is tried both ways; the reading that leaves fewer
    parts unplaced (neither a key, an index nor the entry's tag) wins.
    """
    return _best_path(data, tuple(loc))[1]


def _best_path(node: Any, loc: tuple) -> tuple[int, tuple]:
    """``(unplaced parts, path)`` of the best reading of ``loc`` below ``node``."""
    if not loc:
        return 0, ()
    part, rest = loc[0], loc[1:]
    is_tag = isinstance(node, dict) and any(node.get(key) == part for key in _TAG_KEYS)
    readings = []
    if isinstance(node, dict) and part in node or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)):
        unplaced, path = _best_path(node[part], rest)
        readings.append((unplaced, (part, *path)))
    if is_tag or not readings:  # a tag (or no part of the data): skipped
        unplaced, path = _best_path(node, rest)
        readings.append((unplaced + (not is_tag), path))
    return min(readings, key=lambda reading: reading[0])


def _unknown_component(tag: str, value: Any, expected: str) -> str:
    """'unknown kind 'x'; installed: a, b (did you mean 'a'?)' for a name no plugin registered."""
    names = [name.strip(" '") for name in re.split(r",| or ", expected) if name.strip(" '")]
    message = f"unknown {tag} {value!r}; installed: {', '.join(names)}"
    close = difflib.get_close_matches(str(value), names, n=1)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    return message + " (see `orcapost plugins`)"


def _issues_from(exc: ValidationError, data: Any, text: str | None) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    seen: set[tuple[str, str]] = set()
    for error in exc.errors(include_url=False):
        path = _data_path(data, error["loc"])
        message = error["msg"]
        if error["type"] == "unknown_key":
            path = (*path, error["ctx"]["key"])
            message = message.removeprefix("Value error, ")
        elif error["type"] == "missing":
            message = f"missing required key {error['loc'][-1]!r}"
            if error["loc"][-1] in ("kind", "name"):
                continue  # reported by the union tag error instead
        elif error["type"] == "union_tag_invalid":
            ctx = error.get("ctx", {})
            tag = ctx.get("discriminator", "name").strip("'")
            message = _unknown_component(tag, ctx.get("tag"), str(ctx.get("expected_tags", "")))
            path = (*path, tag)  # located at the tag, as with a single installed component
        elif error["type"] == "literal_error" and error["loc"][-1] in ("kind", "name"):
            # Only one component of this kind installed: pydantic checks a plain Literal.
            message = _unknown_component(str(error["loc"][-1]), error.get("input"),
                                         str(error.get("ctx", {}).get("expected", "")))
        else:
            message = message.removeprefix("Value error, ")
        dotted = ".".join(str(p) for p in path)
        if (dotted, message) in seen:
            continue
        seen.add((dotted, message))
        line = line_of(text, path) if text is not None else None
        issues.append(ConfigIssue(dotted, line, message, path))
    return issues


# -- loading ------------------------------------------------------------------------------------


def validate_data(
    data: Any, registry, *, source: str = "<config>", text: str | None = None,
    path: Path | None = None, base_directory: Path | None = None,
    overrides: dict[str, Any] | None = None, options: MigrationOptions | None = None,
) -> LoadedConfig:
    """Migrate (with ``options``) and validate an already-parsed config; ``overrides`` are
    dotted v2 keys."""
    # Migration (of a legacy config) copies the data and validation builds the model: millions
    # of objects for a big config, none of them garbage, that collections would walk again and
    # again.
    with yamlread.gc_paused():
        try:
            return _validate_data(data, registry, source=source, text=text, path=path,
                                  base_directory=base_directory, overrides=overrides,
                                  options=options)
        finally:
            _composed.cache_clear()  # a big config's node tree is not kept past its messages


def _validate_data(data, registry, *, source, text, path, base_directory, overrides,
                   options) -> LoadedConfig:
    if data is None:
        raise ConfigError(source, [ConfigIssue("", None, "the file is empty: a config is a "
                                               "mapping with version, inputs and results")])
    if not isinstance(data, dict):
        raise ConfigError(source, [ConfigIssue("", 1, (
            f"a config is a mapping of keys (version, inputs, results, ...), "
            f"not a {type(data).__name__}"
        ))])
    try:
        migration = migrate(data, source=source, options=options)
    except MigrationIssues as exc:
        raise ConfigError(source, [
            ConfigIssue(".".join(map(str, path)), line_of(text, path) if text else None, message,
                        tuple(path))
            for path, message in exc.issues
        ], hint=LEGACY_HINT, reason=exc) from None
    current = apply_overrides(migration.data, overrides) if overrides else migration.data
    try:
        model = registry.config_model().model_validate(current)
    except ValidationError as exc:
        if migration.from_version == CONFIG_VERSION:
            raise ConfigError(source, _issues_from(exc, current, text)) from None
        # A migrated config: name the legacy key (and its line) each problem came from.
        raise ConfigError(source, _legacy_issues(exc, current, migration, text),
                          hint=LEGACY_HINT) from None
    _check_names(model, migration, source, text, path)
    base = base_directory or (path.parent if path else Path.cwd())
    _read_load_cases(model, base, source, text)
    warnings = list(migration.warnings)
    if migration.from_version != CONFIG_VERSION:
        target = str(path) if path else source
        warnings.append(
            f"{source} is a legacy (version {migration.from_version}) config, migrated in "
            f"memory; migrate it for good with `orcapost migrate {target} --in-place` "
            "(see docs/migration.md)"
        )
    return LoadedConfig(
        model=model, path=path, base_directory=base, data=current,
        migrated_from=None if migration.from_version == CONFIG_VERSION else migration.from_version,
        warnings=warnings, migration=migration, source=str(path) if path else source,
    )


def _check_names(model, migration, source: str, text: str | None, path: Path | None) -> None:
    """Output names that collide, are reserved or are no plain file name (orcapost.names)."""
    from orcapost.names import config_name_issues

    found = config_name_issues(model, path.stem if path else "config")
    if not found:
        return
    issues = [_located(tuple(keys), ".".join(map(str, keys)), message, migration, text)
              for keys, message in found]
    raise ConfigError(source, issues,
                      hint=None if migration.from_version == CONFIG_VERSION else LEGACY_HINT)


def _read_load_cases(model, base: Path, source: str, text: str | None) -> None:
    """Read ``inputs.load_cases`` now: a table that is missing, unreadable or cannot be joined
    as configured is a config error (exit 2) before any file is read."""
    spec = getattr(model.inputs, "load_cases", None)
    if spec is None:
        return
    from orcapost.load_cases import check_join, read_load_cases

    path = Path(spec.path).expanduser()
    try:
        table = read_load_cases(path if path.is_absolute() else base / path, spec.sheet,
                                None if spec.keys else spec.file_column)
        check_join(table, spec.keys, spec.file_column)
    except OrcapostError as exc:
        keys = ("inputs", "load_cases")
        raise ConfigError(source, [ConfigIssue("inputs.load_cases",
                                               line_of(text, keys) if text else None,
                                               exc.message, keys)], hint=exc.hint) from None
    spec._table = table


LEGACY_HINT = ("a legacy post-processing config is migrated before it is checked; see "
               "docs/migration.md, or `orcapost migrate --diff` to see the migrated config")


def _legacy_issues(exc: ValidationError, current: Any, migration, text: str | None):
    """Validation problems of a migrated config, located at the legacy keys they came from."""
    return [_located(issue.keys, issue.path, issue.message, migration, text)
            for issue in _issues_from(exc, current, None)]


def _located(keys: tuple, dotted: str, message: str, migration, text: str | None) -> ConfigIssue:
    """A problem at ``keys`` of the validated config, located in the text the user wrote: at
    those keys for a current config; for a migrated one at the legacy keys they came from, or
    at no line when none did (the legacy text has no line for a key migration made up)."""
    if migration.from_version == CONFIG_VERSION:
        return ConfigIssue(dotted, line_of(text, keys) if text else None, message, keys)
    legacy = origin_of(migration.origins, keys)
    if legacy is None:
        return ConfigIssue(dotted, None, f"(in the migrated config) {message}", keys)
    return ConfigIssue(".".join(map(str, legacy)), line_of(text, legacy) if text else None,
                       f"{message} (migrated to {dotted})", tuple(legacy))


def load_config(path: Path | str, registry, overrides: dict[str, Any] | None = None) -> LoadedConfig:
    """Read, migrate and validate the config at ``path``; ``overrides`` are dotted keys."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise OrcapostError(f"{source}: no such config file", hint="check the path")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(source, [ConfigIssue("", None, "not UTF-8 text")]) from None
    data = read_yaml(text, source)
    return validate_data(
        data, registry, source=source, text=text, path=path.resolve(), overrides=overrides
    )


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` with dotted keys set (``engine.executor``: ``processes``)."""
    import copy

    out = copy.deepcopy(data)
    for dotted, value in overrides.items():
        node = out
        *parents, last = dotted.split(".")
        for key in parents:
            child = node.get(key)
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
        node[last] = value
    return out
