import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from tal_pyg.transforms import AllSnippets, RandomPerturbedSampling, UniformSampling
from tal_pyg.transforms.sampling import random_perturbed_indices, uniform_indices


def video(T, D=3, ss=0.64):
    x = torch.arange(T, dtype=torch.float32)[:, None].repeat(1, D)  # row t holds t
    return Data(x=x, y=torch.zeros(1, 2), video_name="v", duration=T * ss, snippet_seconds=ss, num_snippets=T)


@pytest.mark.parametrize("T,N", [(10, 4), (4, 10), (750, 750), (1000, 750), (7, 3), (1, 5)])
def test_uniform_matches_formula(T, N):
    ref = [int(np.floor(i * T / N)) for i in range(N)]  # BaS-Net uniform sampling
    assert uniform_indices(T, N).tolist() == ref
    d = UniformSampling(N)(video(T))
    assert d.x[:, 0].long().tolist() == ref
    assert d.snippet_seconds == pytest.approx(0.64 * T / N)
    assert d.num_snippets == T and d.duration == pytest.approx(T * 0.64)


@pytest.mark.parametrize("T,N", [(10, 4), (4, 10), (1000, 750), (7, 3), (13, 13), (1, 5), (2203, 750)])
def test_random_perturbed_stays_in_its_bin(T, N):
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        idx = random_perturbed_indices(T, N, g).numpy()
        for i, t in enumerate(idx):
            lo, hi = i * T / N, (i + 1) * T / N
            # snippet t = [t, t+1) must meet the bin [lo, hi)
            assert t < hi and t + 1 > lo and 0 <= t < T
        assert (np.diff(idx) >= 0).all()


def test_random_perturbed_covers_bin_uniformly():
    g = torch.Generator().manual_seed(1)
    counts = np.zeros(10, int)
    for _ in range(2000):
        idx = random_perturbed_indices(10, 2, g)  # bins [0,5) and [5,10)
        counts[idx[0]] += 1
        counts[idx[1]] += 1
    assert (counts > 300).all()  # 400 expected each


def test_random_perturbed_transform_seeded_and_time_mapping():
    a = RandomPerturbedSampling(6, generator=torch.Generator().manual_seed(3))(video(20))
    b = RandomPerturbedSampling(6, generator=torch.Generator().manual_seed(3))(video(20))
    assert torch.equal(a.x, b.x) and a.x.shape == (6, 3)
    assert a.snippet_seconds == pytest.approx(0.64 * 20 / 6)
    # step i covers [i s', (i+1) s') seconds, which contains the sampled snippet's start time or overlaps it
    for i, t in enumerate(a.x[:, 0].tolist()):
        assert t * 0.64 < (i + 1) * a.snippet_seconds and (t + 1) * 0.64 > i * a.snippet_seconds
    same = RandomPerturbedSampling(20)(video(20))
    assert torch.equal(same.x, video(20).x) and same.snippet_seconds == 0.64


def test_all_snippets():
    d = AllSnippets()(video(9))
    assert d.x.shape == (9, 3) and d.snippet_seconds == 0.64
    d = AllSnippets(max_snippets=4)(video(9))
    assert d.x[:, 0].tolist() == [0, 2, 4, 6] and d.snippet_seconds == pytest.approx(0.64 * 9 / 4)
    assert AllSnippets(max_snippets=40)(video(9)).x.shape == (9, 3)


def test_only_longer_and_bad_args():
    assert UniformSampling(20, only_longer=True)(video(9)).x.shape == (9, 3)
    for cls in (UniformSampling, RandomPerturbedSampling):
        with pytest.raises(ValueError):
            cls(0)
    with pytest.raises(ValueError):
        AllSnippets(0)


# ---- test-time sampling of each head (docs/departures.md)

@pytest.mark.parametrize("T,lo,hi,N", [(30, 50, 400, 50), (50, 50, 400, 50), (120, 50, 400, 120),
                                       (400, 50, 400, 400), (1000, 50, 400, 400), (1, 2, 200, 2),
                                       (2, 2, 200, 2), (150, 2, 200, 150), (301, 2, 200, 200)])
def test_clamped_uniform_length_and_indices(T, lo, hi, N):
    from tal_pyg.transforms import ClampedUniformSampling

    d = ClampedUniformSampling(lo, hi)(video(T))
    assert d.x.shape == (N, 3)
    assert d.x[:, 0].long().tolist() == [int(np.floor(i * T / N)) for i in range(N)]
    assert d.snippet_seconds == pytest.approx(0.64 * T / N)
    assert d.num_snippets == T


def test_clamped_uniform_hand_case_and_errors():
    from tal_pyg.transforms import ClampedUniformSampling

    # 3 snippets clamped up to 5 steps: floor(i * 3 / 5) = 0, 0, 1, 1, 2
    d = ClampedUniformSampling(5, 10)(video(3))
    assert d.x[:, 0].long().tolist() == [0, 0, 1, 1, 2]
    for bad in ((0, 5), (6, 5)):
        with pytest.raises(ValueError, match="min_segments"):
            ClampedUniformSampling(*bad)


@pytest.mark.parametrize("config,expected", [("thumos14_basnet.yaml", 750), ("thumos14_bam.yaml", 30),
                                             ("thumos14_dgam.yaml", 50), ("thumos14_bam_acgnet.yaml", 30)])
def test_a_30_snippet_video_per_head(config, expected):
    """The released rules: BaS-Net up-samples to T = 750, UM/BaM keeps the 30 snippets, DGAM clamps to 50."""
    from pathlib import Path

    from tal_pyg.config import load_config
    from tal_pyg.training.data import eval_transform

    root = Path(__file__).resolve().parents[2] / "experiments" / "configs"
    cfg = load_config(root / config)
    transform = eval_transform(cfg.data)
    d = video(30) if transform is None else transform(video(30))
    assert d.x.shape[0] == expected
    assert d.snippet_seconds * d.x.shape[0] == pytest.approx(30 * 0.64)  # the seconds a step covers


@pytest.mark.parametrize("config,T,expected", [("thumos14_bam.yaml", 1000, 400), ("thumos14_dgam.yaml", 1000, 400),
                                               ("activitynet12_dgam.yaml", 1, 2), ("activitynet12_dgam.yaml", 150, 150),
                                               ("activitynet12_dgam.yaml", 500, 200),
                                               ("activitynet12_bam.yaml", 30, 30), ("activitynet12_bam.yaml", 80, 50),
                                               ("activitynet12_basnet.yaml", 30, 50)])
def test_long_and_activitynet_videos_per_head(config, T, expected):
    from pathlib import Path

    from tal_pyg.config import load_config
    from tal_pyg.training.data import eval_transform

    cfg = load_config(Path(__file__).resolve().parents[2] / "experiments" / "configs" / config)
    assert eval_transform(cfg.data)(video(T)).x.shape[0] == expected


def test_eval_transform_explicit_rules_and_auto_needs_head():
    from tal_pyg.config import DataConfig
    from tal_pyg.training.data import eval_transform

    assert eval_transform(DataConfig(num_segments=100, test_sampling="uniform"))(video(30)).x.shape[0] == 100
    assert eval_transform(DataConfig(num_segments=100, test_sampling="cap"))(video(30)).x.shape[0] == 30
    assert eval_transform(DataConfig(test_sampling="all")) is None
    cfg = DataConfig(test_sampling="clamp", test_min_segments=40, test_num_segments=60)
    assert eval_transform(cfg)(video(30)).x.shape[0] == 40
    auto = DataConfig(num_segments=100)
    with pytest.raises(ValueError, match="auto"):
        eval_transform(auto)
    assert eval_transform(auto, "dgam")(video(30)).x.shape[0] == 50
    assert eval_transform(auto, "bam")(video(30)).x.shape[0] == 30
    assert eval_transform(auto, "basnet")(video(30)).x.shape[0] == 100
