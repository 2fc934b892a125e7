import pytest

from tests._reference.layouts import default_videos, write_basnet


@pytest.fixture
def basnet_root(tmp_path):
    root = tmp_path / "basnet"
    feats = write_basnet(root, default_videos())
    return root, feats
