import doctest

import pytest
import torch

import tal_pyg.models.with_acgnet as with_acgnet_module
from tal_pyg.losses import epm_loss
from tal_pyg.models import BaMConfig, BaMHead, BaSNetConfig, BaSNetHead, DGAMConfig, DGAMHead, WithACGNet, WTALHead
from tal_pyg.nn import ACGNet

# a graph with edges on small random inputs: low similarity threshold, short temporal diffusion
GRAPH = dict(k=4, threshold=0.3, z=2)


def _heads(d=16, c=3):
    torch.manual_seed(0)
    return {
        "basnet": BaSNetHead(d, c, BaSNetConfig(hidden_channels=24, filter_hidden_channels=8)),
        "bam": BaMHead(d, c, BaMConfig(hidden_channels=24)),
        "dgam": DGAMHead(d, c, DGAMConfig(attention_hidden_channels=8, latent_channels=4, cvae_hidden_channels=8)),
    }


def test_custom_head_docstring_example_runs():
    """The exact custom-head example of the WithACGNet docstring (copied into the README)."""
    finder = doctest.DocTestFinder()
    tests = [t for t in finder.find(with_acgnet_module) if t.name.endswith("WithACGNet") and t.examples]
    assert len(tests) == 1 and len(tests[0].examples) == 8  # imports, the class, build, forward, loss, predict
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(tests[0])
    assert runner.failures == 0 and runner.tries == len(tests[0].examples)


@pytest.mark.parametrize("name", ["basnet", "bam", "dgam"])
def test_same_head_class_with_and_without_acgnet(name):
    head = _heads()[name].eval()
    x = torch.randn(2, 20, 16)
    with torch.no_grad():
        bare = head(x)
    state = {k: v.clone() for k, v in head.state_dict().items()}
    # F' = F when both branches are off: the wrapped head must give exactly the bare head's outputs
    identity = WithACGNet(head, dict(GRAPH, use_avg=False, use_gcn=False), epm_weight=1.0).eval()
    assert identity.head is head and type(identity.head) is type(head)
    assert all(torch.equal(v, head.state_dict()[k]) for k, v in state.items())  # wrapping changes nothing
    with torch.no_grad():
        wrapped = identity(x)
    for k, v in bare.items():
        if k in ("cvae_recon", "prior_recon", "cvae_mean", "cvae_log_var"):
            continue  # sampled
        torch.testing.assert_close(wrapped[k], v)
    assert identity.video_scores(wrapped).shape == (2, 3)
    assert len(identity.predict(wrapped, [0.64, 0.64])) == 2
    # the head still works on its own afterwards
    with torch.no_grad():
        torch.testing.assert_close(head(x)[next(iter(bare))], bare[next(iter(bare))])


@pytest.mark.parametrize("name", ["basnet", "bam"])
def test_epm_term_and_gradients_single_stream(name):
    head = _heads()[name]
    model = WithACGNet(head, GRAPH, epm_weight=0.5).train()
    assert model.input_streams == [(0, 16)] and len(model.acgnets) == 1
    torch.manual_seed(1)
    x, y = torch.randn(2, 20, 16), torch.tensor([[1.0, 0, 0], [0, 1, 1]])
    out = model(x)
    assert out["acgnet_edge_index_0"].shape[1] > 0
    losses = model.loss(out, y)
    expected = epm_loss(out["acgnet_output_0"].reshape(40, 16), x.reshape(40, 16), out["acgnet_edge_index_0"],
                        head.snippet_scores(out).reshape(40))
    torch.testing.assert_close(losses["epm"], expected)
    head_only = head.loss(out, y)
    torch.testing.assert_close(losses["total"], head_only["total"] + 0.5 * expected)
    losses["total"].backward()
    for n, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, n
    (phase,) = model.training_phases()
    assert phase.name == "model" and len(phase.parameters) == len(list(model.parameters()))


def test_dgam_one_acgnet_per_stream_and_phases():
    head = _heads()["dgam"]
    model = WithACGNet(head, GRAPH, epm_weight=1.0).train()
    model.on_train_iteration(10**6)
    assert head._iteration == 10**6  # the warm-up hook reaches the head
    assert len(model.acgnets) == 2 and [a.in_channels for a in model.acgnets] == [8, 8]
    assert model.input_streams == [(0, 8), (8, 16)]
    phases = {ph.name: ph for ph in model.training_phases()}
    acg = {id(p) for p in model.acgnets.parameters()}
    assert acg <= {id(p) for p in phases["model"].parameters}
    assert acg.isdisjoint({id(p) for p in phases["cvae"].parameters})
    torch.manual_seed(2)
    x, y = torch.randn(2, 20, 16), torch.tensor([[1.0, 0, 0], [0, 1, 1]])
    out = model(x)
    cvae = model.loss(out, y, phase="cvae")
    assert "epm" not in cvae
    cvae["total"].backward()
    assert all(p.grad is None for p in model.acgnets.parameters())
    model.zero_grad(set_to_none=True)
    out = model(x)
    losses = model.loss(out, y, phase="model")
    att = head.snippet_scores(out)
    expected = sum(
        epm_loss(out[f"acgnet_output_{s}"].reshape(40, 8), x[..., 8 * s:8 * (s + 1)].reshape(40, 8),
                 out[f"acgnet_edge_index_{s}"], att[s].reshape(40))
        for s in range(2)
    )
    torch.testing.assert_close(losses["epm"], expected)
    losses["total"].backward()
    for n, p in model.acgnets.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, n


def test_concat_fusion_widths_and_epm_on_the_sum():
    torch.manual_seed(0)
    head = DGAMHead(48, 3, DGAMConfig(attention_hidden_channels=8, latent_channels=4, cvae_hidden_channels=8))
    model = WithACGNet(head, dict(GRAPH, fusion="concat"), epm_weight=1.0)
    assert model.in_channels == 16 and [a.out_channels for a in model.acgnets] == [24, 24]
    x = torch.randn(2, 20, 16)
    out = model(x)
    fe = out["acgnet_output_0"].reshape(2, 20, 3, 8).sum(2)
    expected0 = epm_loss(fe.reshape(40, 8), x[..., :8].reshape(40, 8), out["acgnet_edge_index_0"],
                         out["attention"][0].reshape(40))
    fe1 = out["acgnet_output_1"].reshape(2, 20, 3, 8).sum(2)
    expected1 = epm_loss(fe1.reshape(40, 8), x[..., 8:].reshape(40, 8), out["acgnet_edge_index_1"],
                         out["attention"][1].reshape(40))
    torch.testing.assert_close(model.epm(out), expected0 + expected1)
    with pytest.raises(ValueError, match="not the output"):
        WithACGNet(BaSNetHead(16, 3), dict(fusion="concat"), epm_weight=1.0)


def test_masks_with_acgnet():
    head = _heads()["basnet"]
    model = WithACGNet(head, GRAPH, epm_weight=1.0).eval()
    a, b = torch.randn(1, 20, 16), torch.randn(1, 12, 16)
    x = torch.cat([a, torch.cat([b, 50 * torch.randn(1, 8, 16)], 1)])
    mask = torch.ones(2, 20, dtype=torch.bool)
    mask[1, 12:] = False
    with torch.no_grad():
        out, alone = model(x, mask), model(b)
    torch.testing.assert_close(out["cas_supp"][1, :12], alone["cas_supp"][0])
    torch.testing.assert_close(out["score_supp"][1], alone["score_supp"][0])
    ei = out["acgnet_edge_index_0"]
    assert not bool(((ei % 20) >= 12)[:, ei[1] >= 20].any())  # padding neither sends nor receives


def test_sum_reduction_and_errors():
    head = _heads()["bam"]
    model = WithACGNet(head, GRAPH, epm_weight=1.0, epm_reduction="sum")
    x = torch.randn(2, 20, 16)
    out = model(x)
    expected = epm_loss(out["acgnet_output_0"].reshape(40, 16), x.reshape(40, 16), out["acgnet_edge_index_0"],
                        head.snippet_scores(out).reshape(40), reduction="sum", num_graphs=2)
    torch.testing.assert_close(model.epm(out), expected)
    with pytest.raises(TypeError, match="WTALHead"):
        WithACGNet(torch.nn.Linear(2, 2), GRAPH, epm_weight=1.0)
    with pytest.raises(ValueError, match="2 input streams but 1"):
        WithACGNet(_heads()["dgam"], ACGNet(8), epm_weight=1.0)
    with pytest.raises(ValueError, match="in_channels"):
        WithACGNet(head, dict(in_channels=16), epm_weight=1.0)
    with pytest.raises(ValueError, match="epm_reduction"):
        WithACGNet(head, GRAPH, epm_weight=1.0, epm_reduction="max")
    ready = WithACGNet(_heads()["dgam"], [ACGNet(8, **GRAPH), ACGNet(8, **GRAPH)], epm_weight=1.0)
    assert isinstance(ready, WTALHead) and len(ready.acgnets) == 2


@pytest.mark.parametrize("acgnet", [False, True])
@pytest.mark.parametrize("name", ["basnet", "bam", "dgam"])
def test_heads_on_device_match_cpu(name, acgnet, device):
    """Forward outputs, every phase's loss and gradients on ``--device`` equal the CPU ones (eval
    mode: no dropout; DGAM's CVAE samples are drawn from the same values on both devices)."""
    import copy

    head = _heads()[name]
    model = WithACGNet(head, GRAPH, epm_weight=1.0) if acgnet else head
    model = model.double().eval()
    moved = copy.deepcopy(model).to(device)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(3, 20, 16, generator=gen, dtype=torch.float64)
    mask = torch.ones(3, 20, dtype=torch.bool)
    mask[1, 14:] = False
    y = torch.eye(3, dtype=torch.float64)
    for phase in [p.name for p in model.training_phases()]:
        torch.manual_seed(5)
        out = model(x, mask)
        torch.manual_seed(5)
        out_d = moved(x.to(device), mask.to(device))
        if name == "dgam":  # the CVAE noise comes from different generators: compare the deterministic part
            keys = [k for k in out if k not in ("cvae_recon", "prior_recon")]
        else:
            keys = list(out)
        for k in keys:
            if out[k].is_floating_point():
                torch.testing.assert_close(out_d[k].cpu(), out[k], rtol=1e-9, atol=1e-9, msg=k)
            else:
                assert torch.equal(out_d[k].cpu(), out[k]), k
        if name == "dgam":
            continue
        loss = model.loss(out, y, phase)["total"]
        loss_d = moved.loss(out_d, y.to(device), phase)["total"]
        torch.testing.assert_close(loss_d.cpu(), loss, rtol=1e-9, atol=1e-12)
        params = [p for p in model.parameters() if p.requires_grad]
        params_d = [p for p in moved.parameters() if p.requires_grad]
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        grads_d = torch.autograd.grad(loss_d, params_d, allow_unused=True)
        for g, g_d in zip(grads, grads_d):
            assert (g is None) == (g_d is None)
            if g is not None:
                torch.testing.assert_close(g_d.cpu(), g, rtol=1e-7, atol=1e-9)
