"""Safe, lazy access to ``.npy`` feature files.

Only the header of a file is read when a dataset is opened (:func:`read_npy_header`); the data
are memory-mapped when a video is requested (:func:`load_npy`), so a dataset larger than RAM
(ActivityNet1.2 is ~10 GB) can be used. Pickled (``dtype=object``) files are refused unless the
caller passes ``allow_pickle=True`` explicitly.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]


_HEADER = re.compile(
    r"^\{'descr':\s*'([^']+)',\s*'fortran_order':\s*(True|False),\s*'shape':\s*\(([0-9,\s]*)\),?\s*\}\s*$")


def _fast_header(path: PathLike) -> Optional[Tuple[Tuple[int, ...], np.dtype]]:
    """Parse the common ``np.save`` header with a regular expression (``None`` = let numpy do it)."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 10 or head[:6] != b"\x93NUMPY":
                return None
            if head[6] == 1:
                n, start = int.from_bytes(head[8:10], "little"), 10
            elif head[6] in (2, 3):
                n, start = int.from_bytes(head[8:12], "little"), 12
            else:
                return None
            f.seek(start)
            text = f.read(n).decode("latin1")
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: feature file not found") from None
    m = _HEADER.match(text)
    if m is None:
        return None
    try:
        dtype = np.dtype(m.group(1))
        shape = tuple(int(v) for v in m.group(3).replace(" ", "").split(",") if v)
    except (TypeError, ValueError):
        return None
    return shape, dtype


def read_npy_header(path: PathLike) -> Tuple[Tuple[int, ...], np.dtype]:
    """Return ``(shape, dtype)`` of an ``.npy`` file without reading its data.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not a valid ``.npy`` file (message names the file).
    """
    fast = _fast_header(path)
    if fast is not None:
        return fast
    path = Path(path)
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif version in ((2, 0), (3, 0)):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:  # pragma: no cover - future numpy formats
                raise ValueError(f"unsupported .npy format version {version}")
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: feature file not found") from None
    except (ValueError, OSError, EOFError) as e:
        raise ValueError(f"{path}: not a valid .npy file ({e})") from None
    return tuple(int(s) for s in shape), np.dtype(dtype)


def _content_problem(path: Path, allow_pickle: bool) -> Optional[str]:
    """Why ``path`` is not a ``.npy`` array (a text file, a ``.npz`` archive, empty...), or ``None``."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: file not found") from None
    if head.startswith(b"\x93NUMPY"):
        return None
    if not head:
        return "empty file (0 bytes), not a .npy array"
    if head.startswith(b"PK\x03\x04"):
        return "a .npz archive (a zip of arrays), not a .npy array: save the [T, D] array itself with np.save"
    if head[:1] == b"\x80":  # a raw Python pickle (np.load reads it with allow_pickle=True)
        return None if allow_pickle else ("a Python pickle, not a .npy array (loading it can run arbitrary code; "
                                          "not read)")
    return f"not a .npy file (it starts with {head!r}); expected an array written by numpy.save"


def load_npy(path: PathLike, mmap: bool = True, allow_pickle: bool = False) -> np.ndarray:
    """Load an ``.npy`` file, memory-mapped read-only by default (``np.load(mmap_mode="r")``).

    Object (pickled) arrays need ``allow_pickle=True``; they cannot be memory-mapped. Anything that is not
    an ``.npy`` file (text, ``.npz``, empty) is a ``ValueError`` saying what the file is.
    """
    path = Path(path)
    problem = _content_problem(path, allow_pickle)
    if problem is not None:
        raise ValueError(f"{path}: {problem}")
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError as e:
        if "greater than file size" in str(e) or "cannot reshape array" in str(e):
            raise ValueError(f"{path}: truncated .npy file (shorter than its header says: {e})") from None
        if "pickle" not in str(e).lower() and "object" not in str(e).lower():
            raise ValueError(f"{path}: cannot read .npy file ({e})") from None
        if not allow_pickle:
            raise ValueError(
                f"{path}: file holds a pickled object array; loading it can run arbitrary code. "
                "Convert it once with `tal-pyg convert --trust-pickle` (W-TALC files), or, for training on "
                "files you trust, set data.trust_pickle: true in the config."
            ) from None
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: file not found") from None
    return np.load(path, allow_pickle=True, encoding="latin1")
