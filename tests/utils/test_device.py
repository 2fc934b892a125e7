import pytest
import torch

from tal_pyg.utils.device import resolve_device


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    for auto in (None, "auto"):
        dev = resolve_device(auto, local_rank=3)
        if torch.cuda.is_available():
            assert dev == torch.device("cuda", 3 % torch.cuda.device_count())
        else:
            assert dev == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="'cuda:1': CUDA is not available"):
            resolve_device("cuda:1")
    with pytest.raises(RuntimeError):
        resolve_device("gpu")
