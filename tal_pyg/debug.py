r"""The debug switch: value checks inside the modules, off by default (see ``docs/gpu.md``).

Checks that need a tensor's *values* (NaN/inf, edge indices in range, non-negative scores, a padding
mask with a real snippet in every row) copy a value from the device to the host and wait for the
device to finish: a few microseconds on a CPU, a stall of the whole GPU pipeline on a GPU. They run

* always at the boundaries: the datasets (NaN/Inf in a feature file), the config, the CLI, and the
  public functions a user calls directly (:func:`tal_pyg.graph.build_action_complement_graph`,
  :func:`tal_pyg.losses.epm_loss`);
* inside the modules (:class:`tal_pyg.nn.ACGNet`, the heads of :mod:`tal_pyg.models`) and the
  training step only when the debug switch is on.

Shape, dtype and argument checks cost nothing on the device and always run.

The switch is this module's one flag. Its initial value comes from the environment variable
``TAL_PYG_DEBUG`` (``1``/``true``/``yes``/``on`` switch it on); then

>>> import tal_pyg
>>> tal_pyg.set_debug(True)          # on from here on
>>> with tal_pyg.set_debug(False):   # ... or for a block, restored afterwards
...     tal_pyg.is_debug_enabled()
False
>>> with tal_pyg.debug():            # shorthand for set_debug(True) as a context manager
...     tal_pyg.is_debug_enabled()
True
>>> _ = tal_pyg.set_debug(False)
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["ENV_VARIABLE", "all_finite", "debug", "is_debug_enabled", "set_debug"]

#: Environment variable that sets the switch when tal_pyg is imported.
ENV_VARIABLE = "TAL_PYG_DEBUG"


def _from_environment() -> bool:
    return os.environ.get(ENV_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


_state = {"enabled": _from_environment()}


def is_debug_enabled() -> bool:
    """Whether the in-module value checks run (see the module docstring)."""
    return _state["enabled"]


class set_debug:
    """Switch the in-module value checks on or off.

    Called as a function the change lasts; used as a context manager (``with set_debug(True):``) the
    previous value is restored when the block ends.
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_debug: mode must be True or False, got {mode!r}")
        self.previous = _state["enabled"]
        _state["enabled"] = mode

    def __enter__(self) -> "set_debug":
        return self

    def __exit__(self, *exc: Any) -> None:
        _state["enabled"] = self.previous


def debug() -> set_debug:
    """``with tal_pyg.debug():`` runs a block with the value checks on."""
    return set_debug(True)


def all_finite(x: "Tensor") -> bool:
    """``True`` iff ``x`` has no NaN/inf, in one reduction pass for valid input (one host read).

    A NaN or inf anywhere makes the sum non-finite, so a finite sum proves every element finite;
    only a non-finite sum (which finite values can also produce by overflow) triggers the
    element-wise check.
    """
    if x.numel() == 0:
        return True
    if bool(x.sum().isfinite()):
        return True
    return bool(x.isfinite().all())
