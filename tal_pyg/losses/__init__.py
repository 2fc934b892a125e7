"""Losses: the easy positive mining loss of ACGNet (SPEC §4)."""
from tal_pyg.losses.epm import EPM_REDUCTIONS, epm_loss

__all__ = ["EPM_REDUCTIONS", "epm_loss"]
