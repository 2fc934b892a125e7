r"""A synthetic WTAL benchmark with the structure and the difficulties of real I3D features.

The generator writes the BaS-Net layout (``features/{train,test}/{rgb,flow}/VIDEO.npy``,
``gt.json``, ``split_train.txt``, ``split_test.txt``, plus ``classes.txt`` and ``synthetic.json``
with the configuration), so the benchmark is read back by the same loader as real data::

    path = generate_synthetic("thumos-like-small", "data/synth", seed=0)
    train = WTALFeatures(path, split="train")

Same configuration and seed ⇒ byte-identical files.

Video structure
---------------
Drawn from the quantiles of the real annotation statistics (``metadata/structure_stats.json``,
WTAL training split of THUMOS'14 or ActivityNet1.2; each quantity is sampled from its
piecewise-linear empirical quantile function), or copied from a real ground-truth file:

* length ``T`` (snippets of 0.64 s) ~ ``feature_len_T`` × ``length_scale``, clipped to
  ``[min_snippets, max_snippets]``; duration ``d = (T + u) · 0.64``, ``u ~ U(0, 1)``;
* number of classes ~ ``classes_per_video_hist``; classes drawn without replacement in
  proportion to the real number of videos per class;
* ``count_mode="coverage"`` (THUMOS-like): a target action coverage ``c ~ coverage_per_video``;
  instances of length ``L ~ instance_duration_snippets`` × (class mean duration / mean over
  classes) × ``duration_scale`` are added until ``Σ L ≥ c T`` (so the count grows with ``T``,
  as in the real data); ``count_mode="sampled"`` (ActivityNet-like): ``K ~ instances_per_video``
  (at most ``max_instances``) instances share the action time ``c T`` (``c`` ≤ 0.95) with
  Dirichlet(2) proportions;
* the background ``T - Σ L`` is split into ``K + 1`` gaps with Dirichlet(``gap_concentration``)
  proportions (small concentration ⇒ heavy-tailed gaps), instance order random; segment times
  are rounded to 0.01 s and written in seconds;
* ``structure=<path to gt.json>`` or ``"thumos14-gt"`` (the packaged real THUMOS'14 annotation,
  200 train / 210 test videos) reuses real segments and durations exactly (``num_train``,
  ``num_test``, ``num_classes``, ``length_scale`` and the snippet limits are then ignored).

Snippet features
----------------
Each video has ``D`` columns: RGB = the first ``D // 2``, flow = the rest. Every stream ``h``
has its own weights (:class:`StreamStyle`: ``scale · {scene, background, action, actionness,
noise}``), written ``w^h_·`` below (a per-column vector ``w_·``). All prototype vectors are
non-negative, exponential-distributed on a random support of the given density and
normalised to unit RMS. For snippet ``t`` of video ``v`` (before smoothing)

.. math::
    z_t = w_{scene} \odot s_v
        + (1 - v_t) \odot w_{bg} \odot (\beta_{k_t} + m_{k_t} g)
        + v_t \odot (w_{act} \odot \mu_{c_t, p_t} + w_{actness} \odot g),
    \qquad v_t = a_t\, o_t,

    f_t = \max\big(0,\ \textstyle\sum_j \kappa_j z_{t+j} + n_t\, w_{noise} \odot \epsilon_t\big),
    \qquad \epsilon_t \sim \mathcal N(0, I),

* **scene** ``s_v``: per-video vector, ``class_context`` · context of the video's first class
  (classes grouped into ``num_context_groups`` shared venues) + the rest random, shared by all
  snippets of the video ⇒ high within-video cosine similarity, and background that carries
  class cues (as in real videos: a pool suggests diving);
* **background states**: ``num_background_states`` global prototypes ``β_k``; each video uses
  ``background_states_per_video`` of them in runs of mean length ``background_state_length``;
  a ``moving_background_prob`` share of the states also carries the class-agnostic motion
  vector ``g`` (``m_k = 1``: camera motion / people walking, hard negatives for actionness);
* **temporal incoherence**: an instance of class ``c`` passes through ``num_phases`` sub-action
  phases ``p`` (Dirichlet(2) phase lengths), each with its own prototype ``μ_{c,p}``; a phase is
  borrowed from a pool of ``num_shared_phases`` generic sub-actions with probability
  ``shared_phase_prob`` (e.g. a run-up shared by several jumps), so one snippet shows only a
  part of the action, and possibly a part that does not identify the class;
* ``a_t ∈ [0, 1]``: fraction of snippet ``t`` inside an instance (sub-snippet instances give
  weak evidence);
* **spatial incompleteness**: an action snippet is "easy" with probability ``easy_fraction``
  (``o_t = 1``, noise factor ``n_t = easy_noise``), otherwise a random share
  ``r_t ~ U(occlusion)`` of its feature dimensions is occluded (``o_t`` ∈ {0,1}^D, Bernoulli
  ``1 - r_t``) and ``n_t = 1``; occluded dimensions keep showing the background. With
  ``difficulty_scope="instance"`` the easy flag, ``r_t`` and the mask are drawn once per action instance and
  shared by its snippets (a whole instance is occluded alike, as by one camera angle), so its neighbours
  cannot fill a snippet's occluded dimensions, only snippets of other instances can;
* **temporal smoothing**: ``κ`` = normalised Gaussian kernel with ``smoothing_sigma`` snippets
  (I3D's receptive field covers several snippets), edge-padded;
* non-negative output (ReLU), stored as float32.

The difficulty knobs are the fields of :class:`SyntheticConfig` (and :class:`StreamStyle`);
they are recorded in ``synthetic.json``. :data:`SYNTHETIC_PRESETS` holds ``thumos-like``,
``thumos-like-small``, ``anet-like`` and ``anet-like-small``.

Modules: :mod:`.config` (knobs, presets, random streams), :mod:`.structure` (videos and segments),
:mod:`.features` (snippet features), :mod:`.writer` (:func:`generate_synthetic`).
"""
from tal_pyg.datasets.synthetic.config import (
    CALIBRATED_KNOBS,
    SNIPPET_SECONDS,
    SYNTHETIC_PRESETS,
    StreamStyle,
    SyntheticConfig,
)
from tal_pyg.datasets.synthetic.structure import SyntheticVideo, build_structure, summarize_structure
from tal_pyg.datasets.synthetic.writer import GENERATOR_VERSION, generate_synthetic

__all__ = [
    "CALIBRATED_KNOBS",
    "GENERATOR_VERSION",
    "SNIPPET_SECONDS",
    "SYNTHETIC_PRESETS",
    "StreamStyle",
    "SyntheticConfig",
    "SyntheticVideo",
    "build_structure",
    "generate_synthetic",
    "summarize_structure",
]
