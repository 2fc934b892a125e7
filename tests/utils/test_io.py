import json
import os
import stat

import pytest
import torch

from tal_pyg.utils.io import atomic_open, atomic_torch_save, atomic_write_json, atomic_write_text


def test_atomic_write_replaces_and_keeps_old_content_on_error(tmp_path):
    p = tmp_path / "sub" / "r.json"
    atomic_write_json(p, {"a": 1})
    assert json.loads(p.read_text()) == {"a": 1}
    with pytest.raises(RuntimeError):
        with atomic_open(p, "w") as f:
            f.write('{"a": 2, "half')
            raise RuntimeError("interrupted")
    assert json.loads(p.read_text()) == {"a": 1}
    assert [q.name for q in p.parent.iterdir()] == ["r.json"]  # no temporary file left behind


def test_atomic_files_get_umask_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        p = tmp_path / "t.txt"
        atomic_write_text(p, "x")
        assert stat.S_IMODE(p.stat().st_mode) == 0o644
    finally:
        os.umask(mask)


def test_atomic_torch_save_loads_with_weights_only(tmp_path):
    p = tmp_path / "c.pt"
    atomic_torch_save({"w": torch.arange(3)}, p)
    assert torch.equal(torch.load(p, weights_only=True)["w"], torch.arange(3))
