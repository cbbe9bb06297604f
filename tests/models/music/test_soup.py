"""The greedy model soup: the rule on plain arrays, and the CLI on tiny checkpoints."""

from __future__ import annotations

import json
import os
import shutil

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from models.music import evaluate, registry, soup


def _quadratic(weights: list[np.ndarray]) -> float:
    return float(sum(np.sum((w - 1.0) ** 2) for w in weights))  # optimum: every weight 1


def test_greedy_keeps_ingredients_whose_average_is_better_and_drops_one_that_is_not():
    a = [np.array([0.8, 1.2]), np.array([[1.1]])]
    b = [np.array([1.2, 0.8]), np.array([[0.9]])]  # as good as a; their mean is the optimum
    c = [np.array([5.0, 5.0]), np.array([[5.0]])]  # far away: averaging it in hurts
    kept, best, own = soup.greedy([c, a, b], _quadratic)
    assert own == [_quadratic(c), _quadratic(a), _quadratic(b)]
    assert kept[0] in (1, 2) and sorted(kept) == [1, 2]
    assert best == pytest.approx(0.0)


def test_greedy_of_one_is_that_one():
    a = [np.array([0.5])]
    assert soup.greedy([a], _quadratic) == ([0], 0.25, [0.25])


def test_the_cli_writes_a_soup_it_can_score_again(tiny_music_model_dir, tmp_path, capsys):
    first = tiny_music_model_dir / "music_lstm_chorale.keras"
    wrecked = tmp_path / "wrecked" / "music_lstm_chorale.keras"
    wrecked.parent.mkdir()
    model, _, _ = registry.load(first)
    rng = np.random.default_rng(0)
    model.set_weights([w + rng.normal(0, 3.0, w.shape).astype(w.dtype) for w in model.get_weights()])
    model.save(wrecked)
    shutil.copy(registry.sidecar_path(first), registry.sidecar_path(wrecked))

    out = tmp_path / "soup"
    assert soup.main(["--model", "lstm", "--genre", "chorale", "--out", str(out), str(wrecked), str(first)]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["kept"] == [str(first)]  # averaging the wrecked weights in only hurts
    side = registry.read_sidecar(out / "music_lstm_chorale.keras")
    assert [i["kept"] for i in side["soup"]["ingredients"]] == [False, True]
    assert side["soup"]["ingredients"][0]["valid_nll"] > side["soup"]["ingredients"][1]["valid_nll"]
    assert "checks" not in side and side["metrics"]["soup_of"] == 1

    assert evaluate.main(["--model", "lstm", "--dataset", "jsb", "--split", "valid",
                          "--checkpoint", str(out / "music_lstm_chorale.keras")]) == 0
    again = json.loads(capsys.readouterr().out.strip())
    assert again["nll"] == pytest.approx(side["metrics"]["valid_nll"], abs=1e-6)
    assert side["metrics"]["valid_nll"] == pytest.approx(side["soup"]["ingredients"][1]["valid_nll"], abs=1e-6)


def test_the_cli_refuses_checkpoints_of_another_kind_or_genre(tiny_music_model_dir, tmp_path):
    first = tiny_music_model_dir / "music_lstm_chorale.keras"
    with pytest.raises(SystemExit, match="not nade of chorale"):
        soup.main(["--model", "nade", "--genre", "chorale", "--out", str(tmp_path), str(first)])
