"""THUMOS'14 (20 classes): train = the 200 validation videos, test = 210 (or 212) test videos.

The class list, ground truth (with durations), split lists, W-TALC's ``labels_all``, the
Ambiguous segments and DGAM's name lists are packaged (``tal_pyg/datasets/metadata/thumos14/``, described in
``datasets/thumos14/README.md``), so only the features are needed, in any of the three public layouts.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Optional

from torch_geometric.data import Data

from tal_pyg.datasets.annotations import read_ambiguous, read_name_list
from tal_pyg.datasets.layouts import detect_layout
from tal_pyg.datasets.metadata import class_names, metadata_path
from tal_pyg.datasets.wtal_features import PathLike, WTALFeatures

#: test videos with wrong annotations, dropped by BaS-Net/UM/DGAM/STPN (kept in the 212-video set)
FALSELY_ANNOTATED = ("video_test_0000270", "video_test_0001496")
#: test video whose only annotations are 'Ambiguous' (dropped by every layout)
AMBIGUOUS_ONLY = ("video_test_0001292",)


class Thumos14(WTALFeatures):
    r"""THUMOS'14 features in the BaS-Net, W-TALC or DGAM layout (see :class:`WTALFeatures`).

    Args:
        root: the folder with the features (``layout="auto"`` detects which layout).
        split: ``"train"`` (200 validation videos) or ``"test"``.
        test_set: ``"210"`` (BaS-Net/UM/DGAM/STPN; without 270 and 1496) or ``"212"``
            (W-TALC/CO2-Net/DELU). 1292 (only 'Ambiguous' annotations) is never included.
        weak_labels: ``"instances"`` (union of the instance labels: BaS-Net/UM/DGAM) or
            ``"labels_all"`` (W-TALC's video labels; they differ for 28 videos).
        **kwargs: passed to :class:`WTALFeatures` (``modality``, ``transform``, ``on_error``,
            ``trust_pickle``, ...).

    :attr:`ambiguous` holds the 99 'Ambiguous' segments of the test videos for an evaluator
    (``detection_map(..., ambiguous=ds.ambiguous)``). Ground-truth segments that run past the video
    end (4 in the test set) are kept in :attr:`ground_truth` and clipped in ``gt_segments``.
    """

    def __init__(self, root: PathLike, split: str = "train", layout: str = "auto", test_set: str = "210",
                 weak_labels: str = "instances", transform: Optional[Callable[[Data], Data]] = None,
                 **kwargs: Any) -> None:
        if test_set not in ("210", "212"):
            raise ValueError(f"test_set must be '210' or '212', got {test_set!r}")
        if weak_labels not in ("instances", "labels_all"):
            raise ValueError(f"weak_labels must be 'instances' or 'labels_all', got {weak_labels!r}")
        root = Path(root)
        layout = detect_layout(root) if layout == "auto" else layout
        self.test_set = test_set
        names = None
        if split == "train":
            names = read_name_list(metadata_path("thumos14", "split_train.txt"))
        else:
            names = read_name_list(metadata_path("thumos14", f"split_test{'' if test_set == '210' else '_212'}.txt"))
        layout_kwargs = dict(kwargs.pop("layout_kwargs", {}) or {})
        if layout == "dgam":
            folder = root / f"{split}_data"
            if not list(folder.glob("*vid_list*.txt")):
                names = read_name_list(metadata_path("thumos14", f"dgam_{split}_vid_list.txt"))
            else:
                names = None  # the folder's own list (file order)
        if layout == "wtalc":
            layout_kwargs.setdefault("dataset_name", "Thumos14reduced")
            layout_kwargs.setdefault("weak_labels", "instances")
        video_labels = None
        if weak_labels == "labels_all":
            video_labels = json.loads(metadata_path("thumos14", "labels_all.json").read_text(encoding="utf-8"))
        exclude = set(kwargs.pop("exclude", ())) | set(AMBIGUOUS_ONLY)
        if test_set == "210":
            exclude |= set(FALSELY_ANNOTATED)
        kwargs.setdefault("annotation_file", metadata_path("thumos14", "gt.json"))
        kwargs.setdefault("class_names", class_names("thumos14"))
        super().__init__(root, split=split, layout=layout, transform=transform, names=names, exclude=exclude,
                         video_labels=video_labels, layout_kwargs=layout_kwargs, **kwargs)
        if split == "test":
            amb = read_ambiguous(metadata_path("thumos14", "Ambiguous_test.txt"))
            keep = set(self.video_names)
            for v, segs in amb.items():
                if v in keep:
                    merged = set(self.ambiguous.get(v, [])) | set(segs)
                    self.ambiguous[v] = sorted(merged)
