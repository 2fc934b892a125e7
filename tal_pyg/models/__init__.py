"""WTAL heads (BaS-Net, BaM, DGAM) behind one interface (:class:`WTALHead`), and :class:`WithACGNet`,
which plugs ACGNet into any of them (or into a user's own head)."""
from tal_pyg.models.bam import BaMConfig, BaMHead, BaMProposalConfig
from tal_pyg.models.base import TrainingPhase, WTALHead
from tal_pyg.models.basnet import BaSNetConfig, BaSNetHead, BaSNetProposalConfig
from tal_pyg.models.dgam import DGAMConfig, DGAMHead, DGAMProposalConfig
from tal_pyg.models.summary import model_summary, parameter_count
from tal_pyg.models.with_acgnet import WithACGNet

#: head name -> (head class, config dataclass)
HEADS = {
    "basnet": (BaSNetHead, BaSNetConfig),
    "bam": (BaMHead, BaMConfig),
    "dgam": (DGAMHead, DGAMConfig),
}

__all__ = [
    "HEADS",
    "BaMConfig",
    "BaMHead",
    "BaMProposalConfig",
    "BaSNetConfig",
    "BaSNetHead",
    "BaSNetProposalConfig",
    "DGAMConfig",
    "DGAMHead",
    "DGAMProposalConfig",
    "TrainingPhase",
    "WTALHead",
    "WithACGNet",
    "model_summary",
    "parameter_count",
]
