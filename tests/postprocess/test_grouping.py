import numpy as np
from tests._reference.postprocess import runs_ref

from tal_pyg.postprocess import consecutive_runs


def test_matches_loop_reference_on_random_rows():
    rng = np.random.default_rng(0)
    active = rng.random((17, 53)) > 0.45
    active[0] = True
    active[1] = False
    rows, starts, ends = consecutive_runs(active)
    expected = [(r, s, e) for r in range(active.shape[0]) for s, e in runs_ref(list(active[r]))]
    assert list(zip(rows.tolist(), starts.tolist(), ends.tolist())) == expected
    assert (0, 0, 52) in expected


def test_hand_example_and_1d():
    rows, starts, ends = consecutive_runs([1, 1, 0, 0, 1, 0, 1, 1, 1])
    assert rows.tolist() == [0, 0, 0]
    assert starts.tolist() == [0, 4, 6] and ends.tolist() == [1, 4, 8]
    r, s, e = consecutive_runs(np.zeros((3, 0), dtype=bool))
    assert r.size == s.size == e.size == 0
