import torch

from tal_pyg.models import BaMHead, BaSNetHead, DGAMHead, WithACGNet, model_summary, parameter_count


def test_paper_size_parameter_counts():
    """BaS-Net at D = 2048, C = 20: 26.3 M; + ACGNet (two 2048 x 2048 layers): 34.65 M (paper: 34.6 M)."""
    torch.manual_seed(0)
    head = BaSNetHead(2048, 20)
    assert parameter_count(head) == 26_262_529
    model = WithACGNet(head, dict(k=50), epm_weight=1.0)
    assert parameter_count(model) == 26_262_529 + 2 * 2048 * 2048 == 34_651_137
    assert round(parameter_count(head) / 1e6, 1) == 26.3
    assert abs(parameter_count(model) / 1e6 - 34.6) < 0.1
    text = model_summary(model)
    assert "34,651,137" in text and "26,262,529" in text and "8,388,608" in text and "34.65 M" in text
    print("\n" + text)


def test_other_heads_counts():
    # BaM: conv3 2048 -> 2048 (+ bias) and 1x1 2048 -> 20 without bias
    assert parameter_count(BaMHead(2048, 20)) == 2048 * 2048 * 3 + 2048 + 2048 * 20
    # DGAM, per 1024-channel stream: classifier, attention, CVAE encoder / decoder
    per_stream = (1024 * 21 + 21) + (1024 * 256 + 256 + 257) + (1025 * 128 + 128 + 128 * 129 + 128 * 256 + 256) \
        + (129 * 128 + 128 + 128 * 129 + 128 * 1024 + 1024)
    assert parameter_count(DGAMHead(2048, 20)) == 2 * per_stream


def test_trainable_only_and_depth():
    head = BaSNetHead(16, 3)
    head.cas_classifier.weight.requires_grad_(False)
    frozen = head.cas_classifier.weight.numel()
    assert parameter_count(head, trainable_only=True) == parameter_count(head) - frozen
    assert len(model_summary(head, max_depth=0).splitlines()) == 2
