
from tal_pyg.transforms.action_complement_graph import ActionComplementGraph
from tal_pyg.transforms.sampling import AllSnippets, RandomPerturbedSampling, UniformSampling

__all__ = ["ActionComplementGraph", "AllSnippets", "RandomPerturbedSampling", "UniformSampling"]
