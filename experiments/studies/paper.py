"""The paper's numbers and names (THUMOS'14 / ActivityNet1.2, D = 2048 I3D features), for reference only."""
from __future__ import annotations

TIOUS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
HEAD_NAMES = {"basnet": "BaS-Net", "bam": "BaM", "dgam": "DGAM"}
GRAPH_LABELS = {"similarity": "G1 = Gs", "similarity_minus_temporal": "G2 = Gs − Gt", "full": "G3 = Gs + Gt",
                "temporal_only": "Gt only"}

PAPER_TABLE1 = {  # mAP@0.1..0.7, average; "*" = the paper's re-implementation of each baseline
    "basnet": ([57.5, 51.6, 44.3, 35.5, 26.8, 18.6, 10.2], 34.9),
    "basnet_acgnet": ([58.8, 53.3, 46.4, 38.3, 29.8, 20.9, 11.2], 37.0),
    "dgam": ([59.4, 53.4, 46.1, 37.0, 27.8, 19.5, 11.0], 36.3),
    "dgam_acgnet": ([62.5, 55.9, 48.2, 39.5, 29.6, 20.4, 11.2], 38.2),
    "bam": ([66.6, 59.8, 51.3, 43.0, 33.4, 22.4, 12.1], 41.2),
    "bam_acgnet": ([68.1, 62.6, 53.1, 44.6, 34.7, 22.6, 12.0], 42.5),
}
PAPER_TABLE2 = {  # ActivityNet1.2: mAP@0.5, 0.75, 0.95, average
    "basnet": ([36.9, 23.3, 5.1], 22.4), "basnet_acgnet": ([40.8, 25.3, 5.6], 25.1),
    "bam": ([40.8, 24.9, 5.8], 25.6), "bam_acgnet": ([41.8, 26.0, 5.9], 26.1),
    "dgam": ([40.3, 23.2, 5.0], 24.0), "dgam_acgnet": ([41.4, 24.2, 5.5], 24.9),
}
PAPER_TABLE3 = {  # mAP@0.5 by K (at T = 750; 750 = dense) and graph
    "similarity": {1: 19.3, 5: 21.8, 20: 26.8, 50: 28.0, 200: 27.5, 750: 25.9},
    "similarity_minus_temporal": {1: 19.7, 5: 21.6, 20: 25.9, 50: 27.2, 200: 26.6, 750: 25.1},
    "full": {1: 22.2, 5: 24.3, 20: 28.1, 50: 29.8, 200: 28.6, 750: 25.3},
    "temporal_only": {50: 22.1},
}
# Table 4 (mAP@0.5), as we read the extracted text of the paper (check marks per row).
PAPER_TABLE4 = {
    "i3d": 26.8, "avg_only": 19.7, "i3d+avg(sum)": 28.5, "i3d+avg(concat)": 29.1,
    "i3d+gcn(sum,no-epm)": 26.2, "i3d+gcn(concat,no-epm)": 27.3, "gcn+epm": 22.4, "avg+gcn+epm": 22.2,
    "i3d+gcn+epm(sum)": 29.0, "i3d+gcn+epm(concat)": 29.1, "i3d+avg+gcn(sum,no-epm)": 28.2,
    "i3d+avg+gcn+epm(sum)": 29.8, "i3d+avg+gcn+epm(concat)": 28.7,
}
