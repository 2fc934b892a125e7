"""ActivityNet1.2 (100 classes): train = 4,819 training videos, test = 2,383 validation videos.

The class list, ground truth (keyed by YouTube id, with durations) and split lists are packaged
(``tal_pyg/datasets/metadata/activitynet12/``, see ``datasets/activitynet12/README.md``). Known quirks
handled here: videos with empty feature arrays are left out with a warning (``min_snippets=1``; CO2-Net
uses 11), all-zero feature arrays can be left out with ``drop_all_zero=True`` (reads all features once),
and the 185 segments that end after the video are clipped in ``gt_segments`` (kept in
:attr:`ground_truth`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

from torch_geometric.data import Data

from tal_pyg.datasets.annotations import read_name_list
from tal_pyg.datasets.layouts import detect_layout
from tal_pyg.datasets.metadata import class_names, metadata_path
from tal_pyg.datasets.wtal_features import PathLike, WTALFeatures


class ActivityNet12(WTALFeatures):
    r"""ActivityNet1.2 features in the BaS-Net, W-TALC or DGAM layout (see :class:`WTALFeatures`).

    Video names are YouTube ids (BaS-Net and DGAM layouts) or W-TALC's ``video_N`` names (W-TALC
    layout, whose own annotation folder is then used).

    Args:
        root: the folder with the features.
        split: ``"train"`` (training subset) or ``"test"`` (validation subset).
        min_snippets: videos with fewer snippets are left out with a warning (default 1).
        **kwargs: passed to :class:`WTALFeatures`.
    """

    def __init__(self, root: PathLike, split: str = "train", layout: str = "auto",
                 transform: Optional[Callable[[Data], Data]] = None, min_snippets: Optional[int] = 1,
                 **kwargs: Any) -> None:
        root = Path(root)
        layout = detect_layout(root) if layout == "auto" else layout
        layout_kwargs = dict(kwargs.pop("layout_kwargs", {}) or {})
        names = kwargs.pop("names", None)
        if layout == "wtalc":
            layout_kwargs.setdefault("dataset_name", "ActivityNet1.2")
            layout_kwargs.setdefault("weak_labels", "instances")
        else:
            kwargs.setdefault("annotation_file", metadata_path("activitynet12", "gt.json"))
            if names is None:
                if layout == "dgam":
                    if not list((root / f"{split}_data").glob("*vid_list*.txt")):
                        names = read_name_list(metadata_path("activitynet12", f"dgam_{split}_vid_list.txt"))
                elif not (root / f"split_{split}.txt").is_file():
                    names = read_name_list(metadata_path("activitynet12", f"split_{split}.txt"))
        kwargs.setdefault("class_names", class_names("activitynet12"))
        super().__init__(root, split=split, layout=layout, transform=transform, names=names,
                         min_snippets=min_snippets, layout_kwargs=layout_kwargs, **kwargs)
