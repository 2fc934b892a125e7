import inspect

from tal_pyg.graph.params import DEFAULT_GRAPH, GraphParams

KEYS = ("k", "threshold", "alpha", "z", "graph", "block_size")


def test_the_paper_values():
    assert (DEFAULT_GRAPH.k, DEFAULT_GRAPH.threshold, DEFAULT_GRAPH.alpha, DEFAULT_GRAPH.z, DEFAULT_GRAPH.graph,
            DEFAULT_GRAPH.block_size) == (50, 0.85, 1.0, 10, "full", None)
    assert DEFAULT_GRAPH == GraphParams()


def test_every_entry_point_takes_the_defaults_from_one_place():
    from tal_pyg.config import ACGNetConfig
    from tal_pyg.graph import build_action_complement_graph
    from tal_pyg.nn import ACGNet
    from tal_pyg.transforms import ActionComplementGraph

    config = ACGNetConfig()
    for fn in (build_action_complement_graph, ACGNet.__init__, ActionComplementGraph.__init__):
        params = inspect.signature(fn).parameters
        assert {k: params[k].default for k in KEYS} == {k: getattr(DEFAULT_GRAPH, k) for k in KEYS}, fn
    assert {k: getattr(config, k) for k in KEYS} == {k: getattr(DEFAULT_GRAPH, k) for k in KEYS}


def test_the_config_loads_without_torch():
    import subprocess
    import sys

    code = "import sys, tal_pyg.config, tal_pyg.graph.params; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
