"""Find the result files a config's ``inputs`` section names.

Rules (docs/sources.md, "Which files a run takes"):

- Patterns, ``include`` and ``exclude`` match case-insensitively on every platform, as Windows
  does: ``*.arrow`` finds ``X.ARROW``, and a config finds the same files on Linux and Windows.
  A pattern may name sub-folders (``sub/*.sim``, ``**/*.sim``; ``/`` or ``\\``); with
  ``recursive: true`` it matches at any depth below ``inputs.directory``.
- Hidden files (names starting with ``.``, orcapost's own temporary files among them) and
  folders are not result files and are skipped.
- An entry that matches but cannot be read -- a dangling link, a FIFO or device, a file without
  read permission, a folder that cannot be listed -- is not dropped: it comes back with a
  ``reason``, and the run gives it a failed row saying why.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from pathlib import Path

from orcapost.errors import OrcapostError
from orcapost.results import FileInfo


def _component(pattern: str):
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE | re.DOTALL).match


def _compile(pattern: str) -> list:
    """A pattern as one matcher per path component (``**`` stays a marker)."""
    parts = [part for part in re.split(r"[\\/]", pattern) if part not in ("", ".")]
    return ["**" if part == "**" else _component(part) for part in parts]


def _matches(matchers: list, parts: tuple[str, ...]) -> bool:
    if not matchers:
        return not parts
    head = matchers[0]
    if head == "**":
        return any(_matches(matchers[1:], parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and head(parts[0]) is not None and _matches(matchers[1:], parts[1:])


def _may_hold(matchers: list, parts: tuple[str, ...]) -> bool:
    """Whether a file below the folder ``parts`` could match: the folder is worth listing."""
    for depth, part in enumerate(parts):
        if depth >= len(matchers):
            return False
        head = matchers[depth]
        if head == "**":  # any depth below
            return True
        if depth == len(matchers) - 1 or head(part) is None:  # the last one names the file
            return False
    return len(matchers) > len(parts)


def _unreadable(path: Path, mode: int | None) -> str | None:
    """Why ``path`` (lstat mode ``mode``) cannot be read as a result file, or None."""
    if mode is None:
        return "cannot be read: it vanished or its folder denies access"
    if stat.S_ISLNK(mode):
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return f"dangling link: its target {os.readlink(path)!r} does not exist"
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) \
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file"
        return f"not a regular file ({kind}): only regular files are read"
    if not os.access(path, os.R_OK):
        return "permission denied: the file cannot be read"
    return None


def _walk(directory: Path, descend):
    """(path, relative parts, lstat mode or None, listing error) of every entry, sub-folders
    followed where ``descend(relative parts)`` says; a folder reached twice through links is
    not walked again."""
    seen: set[tuple[int, int]] = set()
    pending: list[tuple[Path, tuple[str, ...]]] = [(directory, ())]
    while pending:
        folder, parts = pending.pop()
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in seen and info.st_ino:
                continue
            seen.add((info.st_dev, info.st_ino))
            entries = list(os.scandir(folder))
        except OSError as exc:
            yield folder, parts, None, exc
            continue
        for entry in entries:
            relative = (*parts, entry.name)
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError:
                mode = None
            is_dir = False
            if mode is not None:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
            if is_dir:
                if descend(relative):
                    pending.append((Path(entry.path), relative))
                continue
            yield Path(entry.path), relative, mode, None


def discover(inputs, directory: Path) -> list[FileInfo]:
    """Files under ``directory`` matching ``inputs``, sorted by path for a stable order.

    Files listed explicitly in ``inputs.files`` are kept even if missing: a missing load case
    becomes a failure row rather than silently shrinking the campaign.
    """
    if not directory.is_dir():
        raise OrcapostError(
            f"input directory {directory} does not exist",
            hint="check inputs.directory (relative paths are relative to the config file)",
        )
    found: dict[Path, FileInfo] = {}
    if inputs.files:
        for name in inputs.files:
            path = directory / name
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                found[path] = FileInfo(path, 0)  # the task says "file not found"
                continue
            except OSError:
                mode = None
            found[path] = _info(path, mode)
        return list(found.values())
    matchers = [_compile(pattern) for pattern in inputs.patterns]
    if inputs.recursive:
        matchers = [m if m[:1] == ["**"] else ["**", *m] for m in matchers]
    include = [_component(pattern) for pattern in inputs.include]  # once, not once per file
    exclude = [_component(pattern) for pattern in inputs.exclude]

    # Only folders some pattern can reach into are listed (and reported when they cannot be).
    def descend(parts: tuple[str, ...]) -> bool:
        return any(_may_hold(m, parts) for m in matchers)

    for path, parts, mode, error in _walk(directory, descend):
        if error is not None:
            if not parts:
                raise OrcapostError(
                    f"input directory {directory} cannot be listed: {error.strerror or error}",
                    hint="check its permissions, or run as a user who may read it")
            # A sub-folder that cannot be listed may hold result files: say so in a row.
            found[path] = FileInfo(path, 0, reason=(
                f"folder cannot be listed ({error.strerror or error}): its files were not "
                "searched"))
            continue
        # Hidden files include orcapost's own temporary files mid-write.
        name = parts[-1]
        if name.startswith(".") or not any(_matches(m, parts) for m in matchers):
            continue
        if include and not any(match(name) for match in include):
            continue
        if any(match(name) for match in exclude):
            continue
        info = _info(path, mode)
        if info.reason is None:
            if inputs.min_size is not None and info.size < inputs.min_size:
                continue
            if inputs.max_size is not None and info.size > inputs.max_size:
                continue
        found[path] = info
    return sorted(found.values(), key=lambda f: str(f.path))


def _info(path: Path, mode: int | None) -> FileInfo:
    reason = _unreadable(path, mode)
    if reason is None:
        try:
            return FileInfo(path, os.stat(path).st_size)
        except OSError as exc:  # gone, or made unreadable, since it was listed
            reason = f"cannot be read: {exc.strerror or exc}"
    return FileInfo(path, 0, reason=reason)
