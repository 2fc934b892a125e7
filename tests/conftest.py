import pytest
import torch

from tal_pyg.training.callbacks import Callback


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models: one intra-op thread is much faster than two on a shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_features(tmp_path_factory):
    """A tiny synthetic dataset in the BaS-Net layout (16 train / 8 test videos, D = 32)."""
    from tal_pyg.datasets import generate_synthetic

    root = tmp_path_factory.mktemp("tiny") / "data"
    return generate_synthetic("thumos-like-small", root, seed=0, num_train=16, num_test=8, feature_dim=32,
                              max_snippets=64, min_snippets=16)


@pytest.fixture
def tiny_config():
    """``tiny_config(root, section={...})``: a small BaS-Net + ACGNet experiment as a config dict."""
    return make_tiny_config


def make_tiny_config(root, **sections):
    cfg = {
        "name": "tiny",
        "data": {"dataset": "features", "root": str(root), "num_segments": 32, "val_fraction": 0.25},
        "model": {"head": "basnet", "head_config": {"hidden_channels": 16, "filter_hidden_channels": 8},
                  "acgnet": {"enabled": True, "k": 4}},
        "optim": {"batch_size": 4, "iterations": 6},
        "train": {"eval_every": 3, "checkpoint_every": 2, "log_every": 1, "progress": False},
    }
    for key, value in sections.items():
        cfg[key] = {**cfg.get(key, {}), **value}
    return cfg


class StopAt(Callback):
    """A training callback that stops the run after iteration ``n`` (as a user's callback would), leaving
    ``checkpoints/last.pt`` at ``n``: ``Trainer(..., callbacks=[StopAt(3)])``."""

    def __init__(self, n):
        self.n = n

    def on_iteration_end(self, trainer, iteration, logs):
        if iteration >= self.n:
            trainer.request_stop()


def pytest_addoption(parser):
    parser.addoption("--device", default="cpu",
                     help="device of the tests that take the `device` fixture (cpu, cuda, cuda:N); default cpu")


@pytest.fixture(scope="session")
def device(request):
    """The ``--device`` of this run as a :class:`torch.device` (tests that take it run their numerics there)."""
    dev = torch.device(request.config.getoption("--device"))
    if dev.type == "cuda" and not torch.cuda.is_available():
        pytest.skip("--device cuda: CUDA is not available")
    return dev


def pytest_collection_modifyitems(config, items):
    """Tests that take the ``device`` fixture get the ``device`` marker (``pytest -m device --device cuda``)."""
    for item in items:
        if "device" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.device)


@pytest.fixture(autouse=True)
def _debug_switch_isolated(request):
    """Every test starts with the debug switch off (tal_pyg's one global flag) and may not leave it on."""
    import warnings

    import tal_pyg

    with tal_pyg.set_debug(False):
        yield
        if tal_pyg.is_debug_enabled():
            warnings.warn(f"{request.node.nodeid} left tal_pyg's debug switch on (restored)")
