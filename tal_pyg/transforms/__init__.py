
from tal_pyg.transforms.action_complement_graph import ActionComplementGraph
from tal_pyg.transforms.sampling import (
    AllSnippets,
    ClampedUniformSampling,
    RandomPerturbedSampling,
    UniformSampling,
)

__all__ = [
    "ActionComplementGraph",
    "AllSnippets",
    "ClampedUniformSampling",
    "RandomPerturbedSampling",
    "UniformSampling",
]
