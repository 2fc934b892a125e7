"""``tal-pyg graph-stats`` on a generated dataset, in process: numbers agree with the library."""
from __future__ import annotations

import json

import pytest

from tal_pyg.cli.main import main


def test_json_matches_library(tiny_features, capsys):
    from tal_pyg.datasets import WTALFeatures
    from tal_pyg.datasets.snippet_labels import snippet_labels
    from tal_pyg.graph import build_action_complement_graph
    from tal_pyg.transforms import UniformSampling

    assert main(["graph-stats", str(tiny_features), "--split", "test", "-k", "4", "--z", "3",
                 "--num-segments", "32", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ds = WTALFeatures(tiny_features, split="test")
    same = into = same_act = edges = 0
    for i in range(len(ds)):
        d = UniformSampling(32)(ds[i])
        ei, _ = build_action_complement_graph(d.x, k=4, z=3)
        lab = snippet_labels(d.gt_segments, d.gt_labels, 32, float(d.snippet_seconds))
        edges += ei.size(1)
        same += int((lab[ei[0]] == lab[ei[1]]).sum())
        act = lab[ei[1]] >= 0
        into += int(act.sum())
        same_act += int(((lab[ei[0]] == lab[ei[1]]) & act).sum())
    assert out["graphs"] == len(ds) and out["snippets"] == 32 * len(ds) and out["edges"] == edges
    assert edges > 0 and into > 0
    assert out["same_label_edge_fraction"] == pytest.approx(same / edges)
    assert out["action_purity"] == pytest.approx(same_act / into)
    assert out["settings"] == {"k": 4, "threshold": 0.85, "alpha": 1.0, "z": 3, "graph": "full"}


def test_table_and_output_file(tiny_features, tmp_path, capsys):
    path = tmp_path / "stats.json"
    assert main(["graph-stats", str(tiny_features), "--max-videos", "3", "--per-class",
                 "--output", str(path)]) == 0
    text = capsys.readouterr().out
    assert "action purity" in text and "| class | edges into | purity |" in text
    saved = json.loads(path.read_text())
    assert saved["graphs"] == 3 and saved["settings"]["k"] == 50


def test_bad_arguments(tiny_features, capsys):
    assert main(["graph-stats", str(tiny_features), "--num-segments", "0"]) == 2
    assert "--num-segments must be >= 1" in capsys.readouterr().err
    assert main(["graph-stats", str(tiny_features / "missing")]) == 2
    assert "not found" in capsys.readouterr().err
