"""tal_pyg: weakly-supervised temporal action localization on PyTorch Geometric.

The core is ACGNet (Action Complement Graph Network, AAAI 2022): :class:`tal_pyg.transforms.ActionComplementGraph`
builds one sparse graph per video, :class:`tal_pyg.nn.ACGNet` enhances the snippet features and
:func:`tal_pyg.losses.epm_loss` trains it inside any WTAL framework (:mod:`tal_pyg.models`).
"""
from tal_pyg.version import __version__

__all__ = ["__version__"]
