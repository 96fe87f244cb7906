"""One run per output folder: a lock file, ``orcapost-run.lock``, in the output folder.

A run takes the lock after its preflight checks and before it writes anything, and releases it
at the end, also after an error or an interruption. The lock file is created with
``os.open(O_CREAT | O_EXCL)``: creating a file that must not exist is atomic on local disks on
POSIX and Windows and on network shares (SMB ``CREATE_NEW``, NFS v3 and later), unlike
``flock``/``fcntl`` locks, which network file systems do not all honour and Windows lacks. The
file holds JSON: the pid, host, start time and config of the run that holds it, and a token.

A second run into the same folder is refused (exit 2), naming the run that holds the lock. A
lock left behind by a run that died (its pid no longer runs on this host, or runs a process
started after the lock was taken) is taken over with a warning. A lock from another host cannot
be checked: the message says where it comes from and to delete the file if that run is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from pathlib import Path

from orcapost.errors import OrcapostError
from orcapost.names import LOCK_NAME

#: A lock file that cannot be read (a run died while writing it) counts as stale after this.
UNREADABLE_STALE_SECONDS = 30.0


class RunLocked(OrcapostError):
    """Another run holds the output folder (exit 2)."""


def _unwritable(path: Path, exc: OSError) -> OrcapostError:
    """The output folder refuses the lock file: nothing was written (exit 2)."""
    return OrcapostError(
        f"cannot write in the output folder {path.parent}: creating {path.name} failed "
        f"({exc.strerror or exc})",
        hint="make the folder writable (permissions, a read-only share, free space), or choose "
             "another output folder (--output)")


def _host() -> str:
    return socket.gethostname()


def pid_running(pid: int, since: float | None = None) -> bool:
    """Whether process ``pid`` runs on this host and (when ``since`` is given) was started no
    later than ``since`` (a later process merely reuses the number)."""
    import psutil

    try:
        process = psutil.Process(pid)
        if since is not None and process.create_time() > since + 1.0:
            return False
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # AccessDenied: it exists, another user's
        return True


class RunLock:
    """The lock of one output folder, for one run (``acquire`` then ``release``)."""

    def __init__(self, directory: Path, config: str | None) -> None:
        self.path = Path(directory) / LOCK_NAME
        self.config = config
        self.token = uuid.uuid4().hex
        self.held = False

    def describe(self) -> dict:
        return {"pid": os.getpid(), "host": _host(), "started": time.time(),
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "config": self.config,
                "token": self.token}

    def acquire(self) -> list[str]:
        """Take the lock; return warnings (a stale lock taken over). Raises :class:`RunLocked`
        when another run holds it."""
        warnings: list[str] = []
        for _ in range(5):
            if self._create():
                return warnings
            holder = self._read()
            stale = self._stale(holder)
            if stale is None:
                raise RunLocked(_held_message(self.path, holder), hint=(
                    "wait for that run to end, or choose another output folder (--output); "
                    f"if that run is gone (it ran on another machine), delete {self.path}"))
            if self._take_over(holder):
                warnings.append(f"took over the lock {self.path} left by a run that is no "
                                f"longer running ({stale})")
        raise RunLocked(f"could not take the lock {self.path}: other runs keep taking it",
                        hint="run one orcapost at a time into one output folder")

    def release(self) -> None:
        """Remove the lock if it is still this run's (never another run's)."""
        if not self.held:
            return
        self.held = False
        holder = self._read()
        if holder is not None and holder.get("token") == self.token:
            with contextlib.suppress(OSError):
                self.path.unlink()

    # -- internals -----------------------------------------------------------------------------
    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY
                         | getattr(os, "O_BINARY", 0), 0o644)
        except FileExistsError:
            return False
        except PermissionError as exc:
            # Windows: a lock file being deleted by its owner refuses a new one for a moment.
            if self.path.exists():
                return False
            raise _unwritable(self.path, exc) from None
        except OSError as exc:  # a read-only file system, a full disk, ...
            raise _unwritable(self.path, exc) from None
        try:
            os.write(fd, json.dumps(self.describe(), indent=1).encode("utf-8"))
            os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            self.path.unlink(missing_ok=True)
            raise _unwritable(self.path, exc) from None
        else:
            os.close(fd)
        self.held = True
        return True

    def _read(self) -> dict | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _stale(self, holder: dict | None) -> str | None:
        """Why the lock's holder is gone, or None while it may still run."""
        if holder is None:
            try:
                age = time.time() - self.path.stat().st_mtime
            except OSError:
                return "it is gone"  # released meanwhile: just try again
            if age > UNREADABLE_STALE_SECONDS:
                return f"an unreadable lock file {age:.0f} s old"
            return None
        if holder.get("host") != _host():
            return None  # another machine's run: cannot tell
        pid = holder.get("pid")
        if not isinstance(pid, int):
            return "a lock file without a pid"
        # This process's own pid is no exception: another engine in this process took the lock
        # after the process started (so it is running), a dead run whose pid was reused took
        # it before (every run in a container can be the same pid on the same host).
        if pid_running(pid, holder.get("started")):
            return None
        return f"pid {pid} on {holder.get('host')}, since {holder.get('started_at')}"

    def _take_over(self, holder: dict | None) -> bool:
        """Remove a stale lock, unless another run replaced it meanwhile."""
        moved = self.path.with_name(f".{LOCK_NAME}.{self.token}.stale")
        try:
            os.replace(self.path, moved)
        except FileNotFoundError:
            return False  # another run took it over first: try again
        except OSError:
            return False
        taken = self._read_path(moved)
        if holder is not None and (taken or {}).get("token") != holder.get("token"):
            # Another run's fresh lock was moved meanwhile: put it back, never delete it.
            with contextlib.suppress(OSError):
                if not self.path.exists():
                    os.replace(moved, self.path)
            return False
        with contextlib.suppress(OSError):
            moved.unlink()
        return True

    @staticmethod
    def _read_path(path: Path) -> dict | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None


def _held_message(path: Path, holder: dict | None) -> str:
    if holder is None:
        return f"another orcapost run is writing into {path.parent} (lock file {path})"
    return (f"another orcapost run is writing into {path.parent}: pid {holder.get('pid')} on "
            f"{holder.get('host')}, since {holder.get('started_at')}, config "
            f"{holder.get('config')} (lock file {path})")
