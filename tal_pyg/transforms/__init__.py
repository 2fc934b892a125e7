
from tal_pyg.transforms.action_complement_graph import ActionComplementGraph
from tal_pyg.transforms.sampling import (
    AllSnippets,
    ClampedUniformSampling,
    RandomPerturbedSampling,
    UniformSampling,
)
from tal_pyg.transforms.scale import ScaleFeatures

__all__ = [
    "ActionComplementGraph",
    "AllSnippets",
    "ClampedUniformSampling",
    "RandomPerturbedSampling",
    "ScaleFeatures",
    "UniformSampling",
]
