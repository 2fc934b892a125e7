"""WTAL datasets: THUMOS'14, ActivityNet1.2, generic features, padded batches and a synthetic benchmark.

* :class:`WTALFeatures` — any features in the BaS-Net, W-TALC or DGAM layout + ActivityNet-format
  annotations; one :class:`torch_geometric.data.Data` per video (``x [T, D]``, ``y [1, C]``, ...).
* :class:`Thumos14`, :class:`ActivityNet12` — the same with the packaged metadata of each dataset.
* :class:`DenseBatch` — padded ``[B, T_max, D]`` batches with masks (``collate_fn``).
* :func:`generate_synthetic`, :data:`SYNTHETIC_PRESETS` — the synthetic benchmark.
* :func:`convert_wtalc_to_basnet` — W-TALC pickled features → safe per-video ``.npy`` files.
* :func:`snippet_labels` — per-snippet classes from segments (analysis only).
"""
from tal_pyg.datasets.activitynet12 import ActivityNet12
from tal_pyg.datasets.convert import convert_wtalc_to_basnet
from tal_pyg.datasets.dense_batch import DenseBatch
from tal_pyg.datasets.layouts import LAYOUTS, detect_layout
from tal_pyg.datasets.snippet_labels import snippet_labels
from tal_pyg.datasets.synthetic import SYNTHETIC_PRESETS, StreamStyle, SyntheticConfig, generate_synthetic
from tal_pyg.datasets.thumos14 import Thumos14
from tal_pyg.datasets.wtal_features import WTALFeatures

__all__ = [
    "ActivityNet12",
    "DenseBatch",
    "LAYOUTS",
    "SYNTHETIC_PRESETS",
    "StreamStyle",
    "SyntheticConfig",
    "Thumos14",
    "WTALFeatures",
    "convert_wtalc_to_basnet",
    "detect_layout",
    "generate_synthetic",
    "snippet_labels",
]
