import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from layout_writers import default_videos, write_basnet  # noqa: E402


@pytest.fixture
def basnet_root(tmp_path):
    root = tmp_path / "basnet"
    feats = write_basnet(root, default_videos())
    return root, feats
