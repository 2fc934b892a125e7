"""Dense optical flow between consecutive grayscale frames (OpenCV).

Convention: ``flow = OpticalFlow(method)(prev, next)`` is ``[H, W, 2]`` float32 with channels
``(dx, dy)`` in pixels such that ``next[y + dy, x + dx] ≈ prev[y, x]`` (a pattern moving right has
``dx > 0``). This is the input layout of the I3D flow stream (channel 0 = horizontal).

Methods:
    - ``"tvl1"`` (default): OpenCV's Dual TV-L1 (``cv2.optflow.DualTVL1OpticalFlow_create``)
      with its default parameters (tau 0.25, lambda 0.15, theta 0.3, 5 scales, 5 warps,
      epsilon 0.01,
      30 inner / 10 outer iterations, scale step 0.8, median filtering 5). TV-L1 is the flow of
      the original I3D and of the standard THUMOS'14 features. Slow on CPU.
    - ``"farneback"``: ``cv2.calcOpticalFlowFarneback`` (pyramid scale 0.5, 3 levels, window 15,
      3 iterations, poly_n 5, poly_sigma 1.2). Much faster; features differ from TV-L1 features.
    - ``"dis"``: ``cv2.DISOpticalFlow`` with the MEDIUM preset. Fastest; also differs from TV-L1.

Features trained on TV-L1 flow (the public THUMOS'14 / ActivityNet features) should be paired with
``"tvl1"``; the fast methods are for quick experiments.

OpenCV (``cv2``, from ``opencv-contrib-python-headless``) is imported when an
:class:`OpticalFlow` is created, never at import time.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

import numpy as np

FLOW_METHODS: Tuple[str, ...] = ("tvl1", "farneback", "dis")

_FARNEBACK = dict(
    pyr_scale=0.5, levels=3, winsize=15, iterations=3, poly_n=5, poly_sigma=1.2, flags=0
)


def import_cv2() -> Any:
    """Import OpenCV, or raise an ``ImportError`` that says how to install it."""
    try:
        import cv2
    except ImportError as e:  # pragma: no cover - depends on the environment
        from tal_pyg.extract.video import EXTRACT_INSTALL_HINT

        raise ImportError(f"optical flow needs OpenCV ({e}); {EXTRACT_INSTALL_HINT}") from None
    return cv2


class OpticalFlow:
    """Callable dense optical flow ``(prev [H, W] uint8, next [H, W] uint8) -> [H, W, 2] float32``.

    Args:
        method: one of :data:`FLOW_METHODS`.

    Attributes:
        method; ``params``: the algorithm's parameters (recorded in the extraction metadata).
    """

    def __init__(self, method: str = "tvl1") -> None:
        if method not in FLOW_METHODS:
            raise ValueError(
                f"unknown optical flow method {method!r}; choose one of {', '.join(FLOW_METHODS)}"
            )
        cv2 = import_cv2()
        self.method = method
        self.params: Dict[str, Any]
        self._fn: Callable[[np.ndarray, np.ndarray], np.ndarray]
        if method == "tvl1":
            if not hasattr(cv2, "optflow"):
                raise ImportError(
                    "TV-L1 optical flow needs the OpenCV contrib modules (cv2.optflow): "
                    "pip install opencv-contrib-python-headless (and uninstall "
                    "opencv-python-headless), "
                    "or use --flow farneback / dis"
                )
            tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
            self.params = {
                "implementation": "cv2.optflow.DualTVL1OpticalFlow (OpenCV defaults)",
                "tau": tvl1.getTau(),
                "lambda": tvl1.getLambda(),
                "theta": tvl1.getTheta(),
                "scales": tvl1.getScalesNumber(),
                "warps": tvl1.getWarpingsNumber(),
                "epsilon": tvl1.getEpsilon(),
                "inner_iterations": tvl1.getInnerIterations(),
                "outer_iterations": tvl1.getOuterIterations(),
                "scale_step": tvl1.getScaleStep(),
                "median_filtering": tvl1.getMedianFiltering(),
            }
            self._fn = lambda a, b: tvl1.calc(a, b, None)
        elif method == "farneback":
            self.params = {"implementation": "cv2.calcOpticalFlowFarneback", **_FARNEBACK}
            self._fn = lambda a, b: cv2.calcOpticalFlowFarneback(a, b, None, **_FARNEBACK)
        else:
            dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
            self.params = {"implementation": "cv2.DISOpticalFlow", "preset": "MEDIUM"}
            self._fn = lambda a, b: dis.calc(a, b, None)
        self.params["opencv_version"] = cv2.__version__

    def __call__(self, prev: np.ndarray, next: np.ndarray) -> np.ndarray:
        if prev.shape != next.shape or prev.ndim != 2:
            raise ValueError(
                "optical flow needs two grayscale frames of equal size, "
                f"got {prev.shape} and {next.shape}"
            )
        flow = self._fn(np.ascontiguousarray(prev), np.ascontiguousarray(next))
        return np.asarray(flow, dtype=np.float32)

    def __repr__(self) -> str:
        return f"OpticalFlow(method={self.method!r})"
