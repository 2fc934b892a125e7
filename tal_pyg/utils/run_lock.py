"""One run per output folder: an exclusive lock on ``OUT/run.lock`` for the life of a run.

The lock is ``fcntl.flock(LOCK_EX | LOCK_NB)`` on a file inside the run folder: the operating system
releases it when the holding process ends in any way (``kill -9`` included), so a killed run never blocks
``--resume``. A second run on a locked folder stops at once with :class:`RunLockedError`, whose message
names the folder and the process id of the holder. See docs/reliability.md.

The lock is advisory: it guards against a second ``tal-pyg train`` (or :class:`~tal_pyg.training.Trainer`),
not against other programs writing into the folder. On platforms without ``fcntl`` (Windows) no lock is
taken. Network file systems that do not support ``flock`` raise an ``OSError`` naming the lock file.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "run.lock"


class RunLockedError(ValueError):
    """The run folder is locked by another live process."""


class RunLock:
    """An exclusive, non-blocking lock on ``folder/run.lock`` (the folder is created if needed).

    ``with RunLock(folder):`` or :meth:`acquire` / :meth:`release`. The holder's pid is written into the
    lock file, so the error of a second run can name it. ``name``: another lock file in the same folder
    (a study runner holds ``cell.lock`` over a cell's training and evaluation).
    """

    def __init__(self, folder: Union[str, "os.PathLike[str]"], name: str = LOCK_NAME) -> None:
        self.folder = Path(folder)
        self.path = self.folder / name
        self._fd: Optional[int] = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> "RunLock":
        if self._fd is not None or fcntl is None:
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise RunLockedError(
                f"{self.folder} is in use by another tal-pyg run (pid {holder if holder else 'unknown'}): "
                "wait for it to end, or choose another --out"
            ) from None
        except OSError as e:
            os.close(fd)
            raise OSError(e.errno, f"cannot lock the run folder ({e.strerror})", str(self.path)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Release the lock (the lock file stays; its content is stale once no process holds it)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def __del__(self) -> None:  # a dropped lock object must not keep the folder locked
        try:
            self.release()
        except Exception:
            pass


def is_locked(folder: Union[str, "os.PathLike[str]"], name: str = LOCK_NAME) -> bool:
    """Whether a live process holds ``folder/name`` (False where the file is absent or ``fcntl`` is missing).

    A probe: it takes a shared lock and drops it at once, so it never blocks the holder; a process that
    tries to take the lock in that instant fails as if the folder were in use."""
    path = Path(folder) / name
    if fcntl is None or not path.is_file():
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _read_pid(fd: int) -> Optional[int]:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None
