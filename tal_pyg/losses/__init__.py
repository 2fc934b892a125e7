"""Losses: the easy positive mining loss of ACGNet (paper Eq. 8;
docs/method.md#easy-positive-mining-loss-eq-8)."""
from tal_pyg.losses.epm import EPM_REDUCTIONS, epm_loss

__all__ = ["EPM_REDUCTIONS", "epm_loss"]
