r"""Generic WTAL feature dataset: pre-extracted snippet features + ActivityNet-format annotations.

One :class:`torch_geometric.data.Data` per video:

=================  ================  ==============================================================
attribute          shape / type      meaning
=================  ================  ==============================================================
``x``              ``[T, D]`` f32    snippet features, ``[RGB ‖ flow]`` (``modality="all"``) or one stream
``y``              ``[1, C]`` f32    multi-hot video-level (weak) label
``video_name``     ``str``           the video's name
``duration``       ``float``         seconds (from the annotation, else ``T * snippet_seconds``)
``snippet_seconds`` ``float``        seconds per step of ``x``: ``frames_per_snippet / feature_fps``
                                     (16/25 = 0.64 s); sampling transforms scale it by ``T / T_new``
``num_snippets``   ``int``           ``T`` of the stored features (before any resampling)
``gt_segments``    ``[K, 2]`` f32    ground-truth ``(start_s, end_s)``, clipped to ``[0, duration]``
                                     (segments that start after the end are left out here)
``gt_labels``      ``[K]`` long      class of each segment
=================  ================  ==============================================================

Snippet ``t`` covers seconds ``[t * snippet_seconds, (t + 1) * snippet_seconds)``
(docs/method.md#snippets-seconds-and-sampling).
No per-video attribute name contains ``index`` (PyG's batching would shift it).

Opening a dataset reads annotations, lists folders and reads ``.npy`` *headers* only
(``validate="header"``); features are memory-mapped (``np.load(mmap_mode="r")``) when a video is
requested, so datasets larger than RAM work and 10,000 videos open in seconds.

Bad input (a missing stream file, RGB/flow length mismatch, a feature dimension that differs from
the other videos, NaN/Inf, an empty array, a label outside the class list, a video listed without
annotation) raises one ``ValueError``/``FileNotFoundError`` naming the file; with
``on_error="skip"`` the video is left out instead, with one warning and the reasons in
:attr:`WTALFeatures.skipped`. NaN/Inf and all-zero arrays can only be seen by reading the data:
``validate="full"`` (the default when ``on_error="skip"``) reads every video once when opening;
otherwise they are caught when the video is loaded (always an error then).
"""
from __future__ import annotations

import os
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch_geometric.data import Data, Dataset

from tal_pyg.datasets.annotations import (
    VideoAnnotation,
    load_activitynet_json,
    merge_ambiguous,
    read_ambiguous,
    read_name_list,
    to_activitynet,
)
from tal_pyg.datasets.layouts import detect_layout, read_layout
from tal_pyg.datasets.layouts.base import STREAMS, LayoutContents, StreamSource, LayoutVideo

PathLike = Union[str, "os.PathLike[str]"]

MODALITIES = ("all", "rgb", "flow")


class _VideoError(Exception):
    """A problem with one video (skippable with ``on_error="skip"``)."""


@dataclass
class _Item:
    record: LayoutVideo
    sources: List[StreamSource]  # in concatenation order
    num_snippets: int
    label_ids: List[int]


class WTALFeatures(Dataset):
    r"""Pre-extracted snippet features of untrimmed videos with video-level labels (WTAL).

    Args:
        root: the dataset folder (see :mod:`tal_pyg.datasets.layouts` for the layouts).
        split: ``"train"`` or ``"test"``.
        layout: ``"auto"`` (detected from the files), ``"basnet"``, ``"wtalc"`` or ``"dgam"``.
        modality: ``"all"`` (RGB ‖ flow), ``"rgb"`` or ``"flow"``.
        transform: PyG transform applied on access (e.g. :class:`~tal_pyg.transforms.UniformSampling`).
        trust_pickle: allow reading pickled files (W-TALC's feature file). Only for trusted files.
        on_error: ``"raise"`` (default) or ``"skip"`` bad videos with a warning.
        validate: ``"header"`` (shapes from ``.npy`` headers) or ``"full"`` (also read the data once
            to find NaN/Inf/all-zero arrays); default ``"full"`` if ``on_error="skip"`` or
            ``drop_all_zero`` else ``"header"``.
        class_names: list of class names, or a path to a file with one name per line; default: the
            layout's class list, else the sorted labels of the annotation file.
        annotation_file: ActivityNet-format ground truth to use instead of the layout's.
        names: the videos of the split (default: the layout's split list).
        exclude: video names to leave out silently.
        min_snippets: videos with fewer snippets are left out with a warning (a policy for known
            short videos, e.g. ActivityNet); ``None``: only empty arrays are an error.
        drop_all_zero: leave out videos whose features are all zero (needs a full read).
        feature_dim: expected per-video ``D`` of ``x`` (after the modality choice); default: the most
            common dimension among the videos.
        feature_fps, frames_per_snippet: the feature rate (25 fps, 16 frames per snippet).
        ambiguous_file: extra ``Ambiguous_test.txt``-style file.
        video_labels: ``{video: [label, ...]}`` weak labels replacing the layout's (e.g. W-TALC's
            ``labels_all``); videos not in the map keep theirs.
        layout_kwargs: extra options for the layout reader (e.g. ``dataset_name`` for W-TALC).
        cache_bytes: keep up to this many bytes of loaded feature matrices in memory, filled in the order
            the videos are first read and never evicted (``0``: read the files on every access). A cached
            video is not re-read or re-checked; each access returns a private copy.

    Attributes:
        class_names, num_classes: the classes (``y`` column order).
        video_names: names in dataset order.
        ground_truth: ActivityNet-format ground truth of the videos (for the evaluator).
        ambiguous: ``{video: [(start_s, end_s), ...]}`` segments labelled ``Ambiguous`` (or read from an
            ``Ambiguous_test.txt``), for evaluators that ignore predictions on them.
        skipped: ``{video: reason}`` of the videos left out (``on_error="skip"``, ``min_snippets``,
            ``drop_all_zero``).
        failed: ``{video: problem}`` of the skipped videos whose files are bad (``on_error="skip"``), as
            opposed to those left out by a policy (``min_snippets``, ``drop_all_zero``, ``exclude``).
        layout, feature_dim, snippet_seconds: the detected layout, ``D`` of ``x``, seconds per snippet.
    """

    def __init__(
        self,
        root: PathLike,
        split: str = "train",
        layout: str = "auto",
        modality: str = "all",
        transform: Optional[Callable[[Data], Data]] = None,
        trust_pickle: bool = False,
        on_error: str = "raise",
        validate: Optional[str] = None,
        class_names: Union[None, Sequence[str], PathLike] = None,
        annotation_file: Optional[PathLike] = None,
        names: Optional[Sequence[str]] = None,
        exclude: Iterable[str] = (),
        min_snippets: Optional[int] = None,
        drop_all_zero: bool = False,
        feature_dim: Optional[int] = None,
        feature_fps: float = 25.0,
        frames_per_snippet: int = 16,
        ambiguous_file: Optional[PathLike] = None,
        video_labels: Optional[Dict[str, Sequence[str]]] = None,
        layout_kwargs: Optional[Dict[str, Any]] = None,
        cache_bytes: int = 0,
    ) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}")
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        if validate is None:
            validate = "full" if (on_error == "skip" or drop_all_zero) else "header"
        if validate not in ("header", "full"):
            raise ValueError(f"validate must be 'header' or 'full', got {validate!r}")
        if drop_all_zero and validate != "full":
            raise ValueError("drop_all_zero=True needs validate='full'")
        if feature_fps <= 0 or frames_per_snippet <= 0:
            raise ValueError("feature_fps and frames_per_snippet must be positive")
        root_path = Path(root)
        if not root_path.is_dir():
            raise FileNotFoundError(f"{root_path}: dataset folder not found")
        if cache_bytes < 0:
            raise ValueError(f"cache_bytes must be >= 0, got {cache_bytes}")
        self.split = split
        self.modality = modality
        self.cache_bytes = int(cache_bytes)
        self._cache: Dict[int, np.ndarray] = {}
        self._cached_bytes = 0
        self.on_error = on_error
        self.trust_pickle = trust_pickle
        self.snippet_seconds = float(frames_per_snippet) / float(feature_fps)
        self.skipped: Dict[str, str] = {}
        self.failed: Dict[str, str] = {}
        self._allow_empty = min_snippets is not None
        super().__init__(str(root_path), transform=transform)

        annotations = load_activitynet_json(annotation_file) if annotation_file is not None else None
        self.layout = detect_layout(root_path) if layout == "auto" else layout
        if isinstance(class_names, (str, os.PathLike)):
            class_names = read_name_list(class_names)
        layout_kwargs = dict(layout_kwargs or {})
        if self.layout == "dgam" and class_names is not None:
            layout_kwargs.setdefault("class_names", list(class_names))
        contents: LayoutContents = read_layout(
            self.layout, root_path, split, annotations=annotations,
            annotation_file=Path(annotation_file) if annotation_file is not None else None,
            names=names, trust_pickle=trust_pickle, **layout_kwargs,
        )
        self.annotation_file = contents.annotation_file
        if video_labels is not None:
            for rec in contents.records:
                if rec.name in video_labels:
                    rec.annotation.video_labels = [str(x) for x in video_labels[rec.name]]
        self.class_names = self._resolve_class_names(class_names, contents)
        self._class_ids = {c: i for i, c in enumerate(self.class_names)}
        ambiguous = contents.ambiguous
        if ambiguous_file is not None:
            ambiguous = merge_ambiguous(ambiguous, read_ambiguous(ambiguous_file))

        excluded = set(exclude)
        items: List[_Item] = []
        headers: List[Tuple[_Item, List[Tuple[int, ...]]]] = []
        for rec in contents.records:
            if rec.name in excluded:
                continue
            try:
                item, shapes = self._check_record(rec)
            except (_VideoError, ValueError, FileNotFoundError) as e:
                self._fail(rec.name, e)
                continue
            headers.append((item, shapes))
        dims = [sum(s[1] for s in shapes) for _, shapes in headers]
        real_dims = [d for (it, _), d in zip(headers, dims) if it.num_snippets > 0]
        expected = feature_dim if feature_dim is not None else (
            Counter(real_dims).most_common(1)[0][0] if real_dims else None)
        for (item, shapes), dim in zip(headers, dims):
            if min_snippets is not None and item.num_snippets < min_snippets:
                self.skipped[item.record.name] = (
                    f"{item.sources[0].describe()}: only {item.num_snippets} snippets (< min_snippets={min_snippets})")
                continue
            if dim != expected:
                srcs = ", ".join(f"{s.describe()} {tuple(sh)}" for s, sh in zip(item.sources, shapes))
                self._fail(item.record.name, _VideoError(
                    f"{srcs}: feature dimension {dim} differs from the expected {expected}"))
                continue
            if validate == "full":
                try:
                    arr = self._load_array(item)
                    if drop_all_zero and not np.any(arr):
                        self.skipped[item.record.name] = f"{item.sources[0].describe()}: all-zero features"
                        continue
                except _VideoError as e:
                    self._fail(item.record.name, e)
                    continue
            items.append(item)
        self.feature_dim = expected
        self._items = items
        self._by_name = {it.record.name: k for k, it in enumerate(items)}
        names_kept = set(self._by_name)
        self.ambiguous: Dict[str, List[Tuple[float, float]]] = {
            v: list(segs) for v, segs in ambiguous.items() if v in names_kept}
        if self.skipped:
            first = "; ".join(f"{v}: {r}" for v, r in list(self.skipped.items())[:3])
            warnings.warn(
                f"{type(self).__name__}({root_path}, split={split!r}): left out {len(self.skipped)} video(s) "
                f"(see .skipped): {first}" + (" ..." if len(self.skipped) > 3 else ""),
                stacklevel=2,
            )

    # ----------------------------------------------------------------------------------------
    def _resolve_class_names(self, class_names: Any, contents: LayoutContents) -> List[str]:
        if class_names is not None:
            if isinstance(class_names, (str, os.PathLike)):
                names = read_name_list(class_names)
            else:
                names = [str(c) for c in class_names]
        elif contents.class_names is not None:
            names = list(contents.class_names)
        else:
            names = sorted({lab for rec in contents.records for lab in rec.annotation.weak_labels()}
                           | set(getattr(contents, "all_labels", ()) or ()))
        if len(set(names)) != len(names):
            raise ValueError(f"class list has duplicated names: {names}")
        if not names:
            raise ValueError(f"{self.root}: no class names (empty annotations); pass class_names=")
        return names

    def _fail(self, video: str, error: Exception) -> None:
        if self.on_error == "raise":
            if isinstance(error, _VideoError):
                raise ValueError(str(error)) from None
            raise error
        self.skipped[video] = self.failed[video] = str(error)

    def _check_record(self, rec: LayoutVideo) -> Tuple[_Item, List[Tuple[int, ...]]]:
        if "annotation" in rec.missing:
            raise _VideoError(rec.missing["annotation"])
        label_ids = []
        for lab in rec.annotation.weak_labels() + [lab for _, _, lab in rec.annotation.instances]:
            if lab not in self._class_ids:
                src = self.annotation_file or self.root
                raise _VideoError(f"{src}: video {rec.name!r}: label {lab!r} is not in the class list "
                                  f"({len(self.class_names)} classes)")
        label_ids = sorted({self._class_ids[lab] for lab in rec.annotation.weak_labels()})
        wanted = STREAMS if self.modality == "all" else (self.modality,)
        sources: List[StreamSource] = []
        if "joint" in rec.sources:
            joint = rec.sources["joint"]
            (shape, dtype) = joint.shape()
            self._check_shape(joint, shape, dtype)
            half = shape[1] // 2 if len(shape) == 2 else 0
            cols = {"rgb": (0, half), "flow": (half, None)}
            if self.modality == "all":
                sources = [joint]
            else:
                sources = [StreamSource(path=joint.path, array=joint.array, columns=cols[self.modality],
                                        label=joint.label)]
        else:
            for s in wanted:
                if s not in rec.sources:
                    raise FileNotFoundError(f"{rec.missing.get(s, rec.name + ' ' + s)}: {s} feature file not found")
                sources.append(rec.sources[s])
        shapes = []
        for src in sources:
            shape, dtype = src.shape()
            self._check_shape(src, shape, dtype)
            shapes.append(shape if len(shape) == 2 else (0, 0))
        lengths = {sh[0] for sh in shapes}
        if len(lengths) > 1:
            desc = ", ".join(f"{src.describe()} has {sh[0]}" for src, sh in zip(sources, shapes))
            raise _VideoError(f"RGB/flow length mismatch for video {rec.name!r}: {desc} snippets")
        return _Item(rec, sources, shapes[0][0], label_ids), shapes  # type: ignore[return-value]

    def _check_shape(self, src: StreamSource, shape: Tuple[int, ...], dtype: np.dtype) -> None:
        if dtype.hasobject:
            if src.path is not None:
                raise _VideoError(f"{src.describe()}: pickled object array; not a feature matrix")
        elif not (np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)):
            raise _VideoError(f"{src.describe()}: dtype {dtype} is not numeric")
        if int(np.prod(shape)) == 0 and self._allow_empty and len(shape) >= 1:
            return  # empty video: left out by the min_snippets policy
        if len(shape) != 2:
            raise _VideoError(f"{src.describe()}: expected a 2-D (T, D) array, got shape {tuple(shape)}")
        if shape[0] == 0 or shape[1] == 0:
            raise _VideoError(f"{src.describe()}: empty array of shape {tuple(shape)}")

    def _load_array(self, item: _Item) -> np.ndarray:
        parts = []
        for src in item.sources:
            try:
                arr = src.load()
            except (ValueError, FileNotFoundError, OSError) as e:
                raise _VideoError(str(e)) from None
            if arr.ndim != 2 or arr.shape[0] != item.num_snippets:
                raise _VideoError(f"{src.describe()}: shape {arr.shape} changed since the dataset was opened")
            if not np.isfinite(arr).all():
                bad = int(np.size(arr) - np.isfinite(arr).sum())
                raise _VideoError(f"{src.describe()}: {bad} NaN/Inf value(s) in the features")
            parts.append(arr)
        if len(parts) == 1:  # always a private, writable copy (never the memory map / cached array)
            return np.array(parts[0], dtype=np.float32, order="C", copy=True)
        return np.concatenate(parts, axis=1, dtype=np.float32)

    # ----------------------------------------------------------------------------------------
    @property
    def num_classes(self) -> int:  # type: ignore[override]
        return len(self.class_names)

    @property
    def video_names(self) -> List[str]:
        """Names of the videos in dataset order (of this view, after ``ds[...]`` slicing)."""
        return [self._items[i].record.name for i in self.indices()]

    def index_of(self, video_name: str) -> int:
        """Position of ``video_name`` in the dataset (``KeyError`` if absent)."""
        return self.video_names.index(video_name) if self._indices is not None else self._by_name[video_name]

    def annotation(self, video_name: str) -> VideoAnnotation:
        """The (unclipped) annotation of one video."""
        return self._items[self._by_name[video_name]].record.annotation

    def _duration(self, raw: int) -> float:
        item = self._items[raw]
        d = item.record.annotation.duration
        return float(d) if d is not None else item.num_snippets * self.snippet_seconds

    @property
    def ground_truth(self) -> Dict[str, Any]:
        """ActivityNet-format ground truth of this split's videos (subset renamed to ``split``).

        Segments are as in the annotation file (not clipped; ``Ambiguous`` ones excluded, see
        :attr:`ambiguous`). Durations are filled in from ``T * snippet_seconds`` when missing.
        """
        anns = {}
        for raw in self.indices():
            it = self._items[raw]
            anns[it.record.name] = VideoAnnotation(subset=self.split, duration=self._duration(raw),
                                                   instances=list(it.record.annotation.instances))
        return to_activitynet(anns, subset=self.split)

    def len(self) -> int:
        return len(self._items)

    def _features(self, idx: int) -> np.ndarray:
        cached = self._cache.get(idx)
        if cached is not None:
            return cached.copy()
        try:
            arr = self._load_array(self._items[idx])
        except _VideoError as e:
            raise ValueError(str(e)) from None
        if self._cached_bytes + arr.nbytes <= self.cache_bytes:
            self._cache[idx] = arr.copy()
            self._cached_bytes += arr.nbytes
        return arr

    def get(self, idx: int) -> Data:
        item = self._items[idx]
        arr = self._features(idx)
        y = torch.zeros(1, self.num_classes, dtype=torch.float32)
        if item.label_ids:
            y[0, item.label_ids] = 1.0
        duration = self._duration(idx)
        inst = item.record.annotation.instances
        if item.record.annotation.duration is not None:  # clip to the video; drop what starts after its end
            inst = [(max(s, 0.0), min(e, duration), lab) for s, e, lab in inst if s < duration]
        if inst:
            seg = np.array([[s, e] for s, e, _ in inst], dtype=np.float64)
            gt_segments = torch.tensor(np.clip(seg, 0.0, None), dtype=torch.float32)
            gt_labels = torch.tensor([self._class_ids[lab] for _, _, lab in inst], dtype=torch.long)
        else:
            gt_segments = torch.zeros(0, 2, dtype=torch.float32)
            gt_labels = torch.zeros(0, dtype=torch.long)
        return Data(
            x=torch.from_numpy(arr),
            y=y,
            video_name=item.record.name,
            duration=duration,
            snippet_seconds=self.snippet_seconds,
            num_snippets=item.num_snippets,
            gt_segments=gt_segments,
            gt_labels=gt_labels,
        )

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({len(self)}, split={self.split!r}, layout={self.layout!r}, "
                f"modality={self.modality!r}, num_classes={self.num_classes})")
