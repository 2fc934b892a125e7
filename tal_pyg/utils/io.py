"""Atomic file writing and safe loading: nothing written is ever left half-done; text and JSON files
read with one clear error message per failure (:func:`read_text`, :func:`read_json`).

Every writer here re-raises an ``OSError`` of the machine (disk full, read-only file system, permission
denied) with the path it was writing in ``filename``, so the command line can say in one line which file
could not be written (docs/reliability.md).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, List, Union

PathLike = Union[str, "os.PathLike[str]"]

#: temporary files of :func:`atomic_open`: ``.<name>.<random>.tmp`` next to the target
_TMP_PREFIX, _TMP_SUFFIX = ".", ".tmp"
_TMP_PATTERN = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")


@contextmanager
def _naming_path(path: Path) -> Iterator[None]:
    """Re-raise an ``OSError`` without a file name as the same error naming ``path``."""
    try:
        yield
    except OSError as e:
        if e.filename is None and e.errno is not None:
            raise type(e)(e.errno, e.strerror or os.strerror(e.errno), str(path)) from e
        raise


@contextmanager
def atomic_open(path: PathLike, mode: str = "w", **kwargs: Any) -> Iterator[Any]:
    """Open a temporary file next to ``path``; on success it replaces ``path`` atomically.

    On an exception the temporary file is removed and ``path`` keeps its previous content.
    """
    path = Path(path)
    with _naming_path(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f"{_TMP_PREFIX}{path.name}.", suffix=_TMP_SUFFIX, dir=path.parent)
    try:
        with _naming_path(path):
            with os.fdopen(fd, mode, **kwargs) as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the usual permissions
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def append_text(path: PathLike, text: str) -> None:
    """Append ``text`` to ``path`` (created if missing). Not atomic: a crash or a full disk can leave a
    torn last line, which the readers of append-only logs detect (e.g. ``MetricsLog``)."""
    path = Path(path)
    with _naming_path(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
            f.flush()


def remove_stale_temporaries(folder: PathLike) -> List[Path]:
    """Delete the temporary files that :func:`atomic_open` left in ``folder`` when its process was killed
    mid-write; returns them. Only for folders no other process is writing into (e.g. a locked run folder)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    stale = sorted(p for p in folder.iterdir() if _TMP_PATTERN.match(p.name) and p.is_file())
    for p in stale:
        with _naming_path(p):
            p.unlink(missing_ok=True)
    return stale


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file in the same folder + rename)."""
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write(text)


def atomic_write_json(path: PathLike, obj: Any, indent: int | None = 2) -> None:
    """Write ``obj`` as JSON to ``path`` atomically."""
    atomic_write_text(path, json.dumps(obj, indent=indent) + "\n")


def atomic_torch_save(obj: Any, path: PathLike) -> None:
    """``torch.save`` to ``path`` atomically."""
    import torch

    with atomic_open(path, "wb") as f:
        torch.save(obj, f)


def read_text(path: "str | os.PathLike[str]", what: str) -> str:
    """The content of the UTF-8 text file ``path``, line ends (``\\r\\n``, ``\\r``) read as ``\\n``.

    Raises:
        FileNotFoundError: ``{what} file not found: {path}``.
        ValueError: the file is not UTF-8.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} file not found: {path}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: {what} file is not UTF-8 text ({e.reason})") from None


def read_json(path: "str | os.PathLike[str]", what: str) -> Any:
    """Load ``path`` as JSON.

    Raises:
        FileNotFoundError: ``{what} file not found: {path}``.
        ValueError: the file is empty, not UTF-8 or not valid JSON (with line and column).
    """
    path = Path(path)
    text = read_text(path, what)
    if not text.strip():
        raise ValueError(f"{path}: {what} file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(
            f"{path}: {what} file is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})"
        ) from None
