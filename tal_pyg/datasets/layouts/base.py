"""What a layout reader returns: one :class:`LayoutVideo` per video, pointing at its feature data.

A reader only lists files and reads annotations; it never reads feature data, so opening a
dataset costs a directory listing plus, at most, one ``.npy`` header per file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

from tal_pyg.datasets.annotations import VideoAnnotation
from tal_pyg.datasets.npy import load_npy, read_npy_header

STREAMS = ("rgb", "flow")


@dataclass
class StreamSource:
    """Where one stream (or the joint RGB‖flow array) of one video lives.

    Exactly one of ``path`` (an ``.npy`` file, memory-mapped on access) and ``array`` (an
    in-memory array, e.g. an element of W-TALC's pickled feature file) is set. ``columns``
    selects a column range (``(start, stop)``) of that array, e.g. the RGB half of a joint file.
    """

    path: Optional[Path] = None
    array: Optional[np.ndarray] = None
    columns: Optional[Tuple[int, Optional[int]]] = None
    label: str = ""  # how to name this source in errors (defaults to the path)

    def describe(self) -> str:
        return self.label or str(self.path)

    def shape(self) -> Tuple[Tuple[int, ...], np.dtype]:
        """Shape (after the column selection) and dtype, from the file header only."""
        if self.path is not None:
            shape, dtype = read_npy_header(self.path)
        else:
            arr = np.asarray(self.array)
            shape, dtype = arr.shape, arr.dtype
        if self.columns is not None and len(shape) == 2:
            start, stop = self.columns
            width = len(range(shape[1])[slice(start, stop)])
            shape = (shape[0], width)
        return tuple(shape), dtype

    def load(self) -> np.ndarray:
        """The stream as a (possibly memory-mapped) array, columns selected."""
        arr = load_npy(self.path) if self.path is not None else np.asarray(self.array)
        if self.columns is not None and arr.ndim == 2:
            arr = arr[:, self.columns[0]:self.columns[1]]
        return arr


@dataclass
class LayoutVideo:
    """One video a layout reader found: its name, its annotation (a :class:`VideoAnnotation`) and where its
    feature streams are (not the features themselves).

    ``sources`` maps ``"rgb"``/``"flow"`` to a :class:`StreamSource`; a missing key means that the
    stream is missing (an error when the requested modality needs it). ``missing`` names the file
    that should have held a missing stream (for the error message).
    """

    name: str
    annotation: VideoAnnotation
    sources: Dict[str, StreamSource] = field(default_factory=dict)
    missing: Dict[str, str] = field(default_factory=dict)


@dataclass
class LayoutContents:
    """Everything a layout reader found for one split."""

    layout: str
    records: List[LayoutVideo]
    class_names: Optional[List[str]] = None
    ambiguous: Dict[str, List[Tuple[float, float]]] = field(default_factory=dict)
    annotation_file: Optional[str] = None
