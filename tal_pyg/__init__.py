"""tal_pyg: weakly-supervised temporal action localization on PyTorch Geometric.

The core is ACGNet (Action Complement Graph Network, AAAI 2022): :class:`tal_pyg.transforms.ActionComplementGraph`
builds one sparse graph per video, :class:`tal_pyg.nn.ACGNet` enhances the snippet features and
:func:`tal_pyg.losses.epm_loss` trains it inside any WTAL framework (:mod:`tal_pyg.models`).

:func:`set_debug` / ``TAL_PYG_DEBUG=1`` switch on the value checks inside the modules (:mod:`tal_pyg.debug`).
"""
from tal_pyg.debug import debug, is_debug_enabled, set_debug
from tal_pyg.version import __version__

__all__ = ["__version__", "debug", "is_debug_enabled", "set_debug"]
