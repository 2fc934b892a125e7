"""Reading a text or JSON file with one clear error message per failure (private helper)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


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
