"""Frame NLL as in Boulanger-Lewandowski 2012, and the sample statistics."""

import math

import numpy as np
import pytest

from models.music.metrics import (
    FEATURES,
    FrameNLL,
    bernoulli_nll,
    bernoulli_nll_from_logits,
    compare_sets,
    distribution_overlap,
    frame_nll,
    groove_consistency,
    pitch_class_histogram,
    predicted_frames,
    sample_statistics,
)
from models.music.pianoroll import NUM_KEYS, Note, notes_to_roll


def random_rolls(seed=0, lengths=(10, 25, 7)):
    rng = np.random.default_rng(seed)
    return [(rng.random((t, NUM_KEYS)) < 0.1).astype(np.uint8) for t in lengths]


def test_half_probability_gives_88_ln2():
    rolls = random_rolls()
    preds = [np.full((r.shape[0] - 1, NUM_KEYS), 0.5) for r in rolls]
    out = frame_nll(preds, rolls)
    assert out["frames"] == 9 + 24 + 6 == predicted_frames(rolls)
    assert out["nll"] == pytest.approx(88 * math.log(2))
    assert round(out["nll"], 1) == 61.0


def test_split_total_over_frames_not_mean_of_pieces():
    long = np.zeros((101, NUM_KEYS), np.uint8)
    short = np.zeros((2, NUM_KEYS), np.uint8)
    p_long = np.full((100, NUM_KEYS), 0.01)  # near-perfect on the long piece
    p_short = np.full((1, NUM_KEYS), 0.5)
    out = frame_nll([p_long, p_short], [long, short])
    per_frame_long = -88 * math.log(0.99)
    expected = (100 * per_frame_long + 88 * math.log(2)) / 101
    assert out["nll"] == pytest.approx(expected)
    mean_of_pieces = (per_frame_long + 88 * math.log(2)) / 2
    assert abs(out["nll"] - mean_of_pieces) > 20


def test_logits_agree_with_probabilities_and_are_stable():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 3, (20, NUM_KEYS))
    y = (rng.random((20, NUM_KEYS)) < 0.3).astype(np.uint8)
    p = 1 / (1 + np.exp(-logits))
    assert bernoulli_nll_from_logits(logits, y) == pytest.approx(bernoulli_nll(p, y), rel=1e-6)
    big = np.full((1, NUM_KEYS), 80.0)
    assert bernoulli_nll_from_logits(big, np.ones((1, NUM_KEYS))) == pytest.approx(0.0, abs=1e-20)
    assert math.isfinite(bernoulli_nll(np.zeros((1, NUM_KEYS)), np.ones((1, NUM_KEYS))))


def test_accumulator_and_shape_checks():
    acc = FrameNLL()
    acc.add(np.full((3, NUM_KEYS), 0.5), np.zeros((3, NUM_KEYS)))
    acc.add(np.zeros((2, NUM_KEYS)), np.zeros((2, NUM_KEYS)), logits=True)
    r = acc.result()
    assert r["frames"] == 5
    assert r["nll"] == pytest.approx((3 * 88 * math.log(2) + 2 * 88 * math.log(2)) / 5)
    with pytest.raises(ValueError):
        frame_nll([np.zeros((5, NUM_KEYS))], [np.zeros((5, NUM_KEYS))])
    with pytest.raises(ValueError):
        acc.add(np.zeros((2, 12)), np.zeros((2, 12)))
    assert math.isnan(FrameNLL().result()["nll"])


def test_statistics_of_a_c_major_scale():
    # C major scale in quarter notes, 2 steps per beat, 4/4: 8 notes over 2 bars
    pitches = [60, 62, 64, 65, 67, 69, 71, 72]
    roll = notes_to_roll([Note(i, i + 1, p) for i, p in enumerate(pitches)], 2)
    s = sample_statistics(roll, 2)
    assert set(s) == set(FEATURES)
    assert s["pitch_range"] == 12 and s["pitches_used"] == 8
    assert s["polyphony"] == 1.0
    assert s["note_density"] == pytest.approx(1.0)  # one note per beat
    assert s["empty_beat_rate"] == 0.0
    assert s["in_scale_rate"] == 1.0 and s["scale_consistency"] == 1.0
    assert s["mean_ioi"] == pytest.approx(1.0) and s["mean_note_length"] == pytest.approx(1.0)
    assert s["groove_consistency"] == 1.0  # both bars: onsets on every beat
    assert s["pitch_class_entropy"] == pytest.approx(-(6 * (1 / 8) * math.log2(1 / 8) + (2 / 8) * math.log2(2 / 8)))


def test_statistics_of_chords_rests_and_chromatic_notes():
    notes = [Note(0, 2, 60), Note(0, 2, 64), Note(0, 2, 67), Note(4, 5, 61)]  # a rest in beats 2-3
    s = sample_statistics(notes_to_roll(notes, 1, num_steps=8), 1)
    assert s["polyphony"] == pytest.approx((3 + 3 + 1) / 3)
    assert s["empty_beat_rate"] == pytest.approx(5 / 8)
    assert s["in_scale_rate"] == pytest.approx(3 / 4)
    assert s["scale_consistency"] == pytest.approx(1.0)  # C, C#, E, G: all in F harmonic minor
    hist = pitch_class_histogram(np.array([60, 64, 67, 61]))
    assert hist.sum() == pytest.approx(1.0) and hist[1] == 0.25


def test_empty_roll_gives_nan_not_errors():
    s = sample_statistics(np.zeros((16, NUM_KEYS), np.uint8), 4)
    assert math.isnan(s["pitch_range"]) and s["empty_beat_rate"] == 1.0


def test_groove_consistency_counts_changed_positions():
    # bar length 4: bar 1 onsets at 0,2; bar 2 at 0,1 -> 2 of 4 positions differ
    assert groove_consistency(np.array([0, 2, 4, 5]), 4, 8) == pytest.approx(0.5)
    assert math.isnan(groove_consistency(np.array([0]), 4, 4))


def test_overlap_of_distributions():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 400)
    assert distribution_overlap(a, rng.normal(0, 1, 400)) > 0.85
    assert distribution_overlap(a, rng.normal(10, 1, 400)) < 0.01
    assert 0.4 < distribution_overlap(a, rng.normal(1, 1, 400)) < 0.8  # theory: 0.62
    assert distribution_overlap([0.0] * 10, [0.0] * 12) > 0.99
    assert math.isnan(distribution_overlap([], [1.0]))


def test_compare_sets_reports_means_and_overlap():
    rolls = random_rolls(2, lengths=(32,) * 6)
    stats = [sample_statistics(r, 2) for r in rolls]
    cmp = compare_sets(stats[:3], stats[3:])
    assert set(cmp) == set(FEATURES)
    for f in cmp.values():
        assert {"generated_mean", "data_mean", "overlap"} <= set(f)
