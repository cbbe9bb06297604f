"""The genre classifier: key-free features, deterministic training, shipped weights that still fit."""

from __future__ import annotations

import numpy as np
import pytest

from models.music import classifier as clf
from models.music.datasets import NUM_KEYS, load_genre
from models.music.pianoroll import transpose
from tests.models.music.tiny_rolls import random_rolls


def test_features_have_their_names_and_ignore_the_key():
    roll = load_genre("chorale")["test"][0]
    f = clf.features(roll, 1)
    assert f.shape == (len(clf.FEATURE_NAMES),) and np.isfinite(f).all()
    moved = clf.features(transpose(roll, 2), 1)
    pcs = [i for i, n in enumerate(clf.FEATURE_NAMES) if n.startswith(("pc_", "harm_", "poly_", "len_", "line_"))]
    np.testing.assert_allclose(moved[pcs], f[pcs])
    assert moved[clf.FEATURE_NAMES.index("pitch_mean")] > f[clf.FEATURE_NAMES.index("pitch_mean")]
    assert np.isfinite(clf.features(np.zeros((16, NUM_KEYS), np.uint8), 2)).all()  # silence


def test_fit_is_deterministic_and_separates_chords_from_lines():
    chords = random_rolls(30, seed=0)  # three keys at every step
    lines = []
    for r in random_rolls(30, seed=1):
        one = np.zeros_like(r)
        one[np.arange(r.shape[0]), r.argmax(axis=1)] = 1
        lines.append(one)
    x = np.array([clf.features(r, 2) for r in chords + lines])
    y = np.array([0] * 30 + [1] * 30)
    a = clf.fit(x, y, ("chorale", "jazz"), steps=300)
    b = clf.fit(x, y, ("chorale", "jazz"), steps=300)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.classify(random_rolls(5, seed=9), "folk") == ["chorale"] * 5
    again = clf.GenreClassifier.from_dict(a.to_dict())
    np.testing.assert_array_equal(again.probabilities(x), a.probabilities(x))
    bad = a.to_dict() | {"features": ["other"]}
    with pytest.raises(ValueError, match="retrain"):
        clf.GenreClassifier.from_dict(bad)


def test_real_clips_are_windows_of_held_out_pieces():
    rolls = [np.ones((10, NUM_KEYS), np.uint8), np.ones((1, NUM_KEYS), np.uint8), np.ones((5, NUM_KEYS), np.uint8)]
    assert [c.shape[0] for c in clf.real_clips(rolls, 4)] == [4, 4, 4]
    assert [c.shape[0] for c in clf.real_clips(rolls, 4, hop=3)] == [4, 4, 4, 4]
    assert [c.shape[0] for c in clf.real_clips(rolls, 6)] == [6, 5]  # half a clip or more is kept whole


@pytest.mark.parametrize("genre", ["chorale", "jazz"])
def test_the_shipped_weights_still_fit_the_features(genre):
    """The held-out accuracy recorded with the shipped weights is what they score now
    (features changed without retraining would fail here), and it is usable."""
    model = clf.load()
    held = model.info["heldout"]
    assert held["balanced_accuracy"] >= clf.MIN_ACCURACY
    data = load_genre(genre)
    clips = clf.genre_clips({genre: data}, ("valid", "test"))
    assert clf.accuracy(model, clips)["per_genre"][genre] == held["per_genre"][genre]
