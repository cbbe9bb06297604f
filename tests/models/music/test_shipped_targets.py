"""The shipped checkpoints still meet their likelihood targets (docs/BENCHMARKS.md).

Each test evaluates a shipped checkpoint on its Boulanger test split with the
evaluation CLI (the real model, the real data) and checks the figure against the
target and against the checkpoint's own sidecar, so a retrained or
corrupted checkpoint that misses the target fails here.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

from models.music import evaluate, registry

# (kind, dataset, target test NLL) for the LSTM composer, the NADE and the RNN-RBM
TARGETS = [
    ("lstm", "jsb", 8.4),
    ("lstm", "nottingham", 3.3),
    ("nade", "jsb", 5.4),
    ("nade", "nottingham", 2.5),
    ("rnn_rbm", "jsb", 7.0),  # an AIS estimate, as the issue (and the paper) allows
]
ESTIMATED = {"rnn_rbm", "rbm"}


@pytest.mark.slow
@pytest.mark.parametrize("kind,dataset,target", TARGETS, ids=[f"{k}-{d}" for k, d, _ in TARGETS])
def test_shipped_checkpoint_meets_its_target(kind, dataset, target, capsys):
    path = registry.checkpoint_path(kind, registry.DATASET_GENRES[dataset])
    assert evaluate.main(["--model", kind, "--dataset", dataset, "--split", "test"]) == 0
    line = json.loads(capsys.readouterr().out.strip())
    assert line["frames"] > 0 and line.get("estimate", False) == (kind in ESTIMATED)
    if kind in ESTIMATED:  # AIS with a schedule long enough not to flatter the model (see BENCHMARKS)
        assert line["ais_betas"] >= 1000
    assert line["nll"] <= target
    # the sidecar written by the training CLI reports the same figure
    assert line["nll"] == pytest.approx(registry.read_sidecar(path)["metrics"]["test_nll"], abs=1e-3)
