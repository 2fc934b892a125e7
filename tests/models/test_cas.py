"""WTALHead.cas: the [B, T, C] class activation sequence of every head (what predict localises on and
`tal-pyg predict --plot` draws), against the head's own output tensors."""
import pytest
import torch

from tal_pyg.models import BaMHead, BaSNetHead, DGAMConfig, DGAMHead, WithACGNet, WTALHead


def _heads():
    torch.manual_seed(0)
    return {
        "basnet": BaSNetHead(16, 3),
        "bam": BaMHead(16, 3),
        "dgam": DGAMHead(16, 3, DGAMConfig(attention_hidden_channels=8, latent_channels=4,
                                            cvae_hidden_channels=8, stream_weights=(0.35, 0.65))),
    }


def _expected(name, head, out):
    if name == "basnet":  # suppression branch, background column dropped
        return out["cas_supp"][..., :3]
    if name == "bam":
        return out["cas"].softmax(dim=-1)
    # DGAM: sum_s w_s lambda_s sigmoid(tCAM_s) / sum_s w_s, written out per stream
    w = (0.35, 0.65)
    total = sum(w[s] * out["attention"][s].unsqueeze(-1) * torch.sigmoid(out["tcam"][s][..., :3]) for s in range(2))
    return total / sum(w)


@pytest.mark.parametrize("name", ["basnet", "bam", "dgam"])
@pytest.mark.parametrize("acgnet", [False, True])
def test_cas_is_the_heads_activation_sequence(name, acgnet):
    head = _heads()[name]
    model = WithACGNet(head, dict(k=4), epm_weight=0.1) if acgnet else head
    model.eval()
    x = torch.randn(2, 12, 16)
    with torch.no_grad():
        out = model(x)
        cas = model.cas(out)
    assert cas.shape == (2, 12, 3) and bool(torch.isfinite(cas).all())
    torch.testing.assert_close(cas, _expected(name, head, out))


def test_default_cas_reads_output_cas_and_says_what_is_missing():
    class Minimal(WTALHead):
        pass

    head = Minimal(4, 2)
    cas = torch.randn(1, 5, 2)
    assert head.cas({"cas": cas}) is cas
    with pytest.raises(NotImplementedError, match=r"override cas\(\)"):
        head.cas({"logits": cas})
