"""The music21 corpus step: conversion, keys, decontamination, the checksummed cache, the train hook."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from music21 import chord, harmony, meter, note, stream

from models.music import corpus
from models.music.pianoroll import NoteArrays, transpose

REPO_ROOT = Path(__file__).resolve().parents[3]


def _score() -> stream.Score:
    """Two parts: C4 (1 beat), E4 (2 beats), a C-E-G chord (1 beat), two eighths D4 F4; and a
    low part with a C0 (folded up to C1), a grace note and a chord symbol, which add no sound."""
    upper = stream.Part([meter.TimeSignature("4/4")])
    upper.append(note.Note("C4", quarterLength=1))
    upper.append(note.Note("E4", quarterLength=2))
    upper.append(chord.Chord(["C4", "E4", "G4"], quarterLength=1))
    upper.append(note.Note("D4", quarterLength=0.5))
    upper.append(note.Note("F4", quarterLength=0.5))
    lower = stream.Part()
    lower.insert(0, harmony.ChordSymbol("C"))
    lower.insert(0, note.Note("C0", quarterLength=2))
    lower.insert(2, note.Note("D5").getGrace())
    lower.insert(2, note.Rest(quarterLength=2))
    return stream.Score([upper, lower])


def _keys(roll: np.ndarray) -> list[list[int]]:
    """MIDI pitches sounding at each frame."""
    return [[int(k) + 21 for k in np.flatnonzero(frame)] for frame in roll]


def test_a_score_becomes_the_roll_of_its_beats_on_two_grids():
    notes = corpus.work_notes(_score())
    # C0 folded to C1; no D5 (grace), no C chord symbol
    assert sorted(set(notes.pitch.tolist())) == [24, 60, 62, 64, 65, 67]
    # Quarters: each frame holds what sounds on its beat, so the F4 between beats is not heard.
    assert _keys(corpus.to_roll(notes, 1)) == [[24, 60], [24, 64], [64], [60, 64, 67], [62]]
    assert _keys(corpus.to_roll(notes, 2)) == [[24, 60], [24, 60], [24, 64], [24, 64],
                                               [64], [64], [60, 64, 67], [60, 64, 67], [62], [65]]


def test_parts_can_be_chosen_by_name():
    score = _score()
    score.parts[0].partName = "Piano"
    score.parts[1].partName = "Voice"
    notes = corpus.work_notes(score, parts=r"(?i)piano")
    assert sorted(set(notes.pitch.tolist())) == [60, 62, 64, 65, 67]


def _scale_notes(tonic: int, minor: bool = False) -> NoteArrays:
    steps = [0, 2, 3, 5, 7, 8, 10] if minor else [0, 2, 4, 5, 7, 9, 11]
    pitches = [tonic + s for s in steps] + [tonic + 12] + [tonic, tonic + (3 if minor else 4), tonic + 7] * 3
    start = np.arange(len(pitches), dtype=np.float64)
    return NoteArrays(start, start + 1, np.array(pitches, np.int16), np.full(len(pitches), 80, np.uint8))


@pytest.mark.parametrize(("tonic", "minor", "shift"), [(67, False, 5), (69, True, 3), (62, False, -2),
                                                       (60, False, 0), (66, True, -6)])
def test_works_are_moved_to_c(tonic, minor, shift):
    notes = _scale_notes(tonic, minor)
    assert corpus.tonic_pitch_class(notes) == tonic % 12
    assert corpus.shift_to_c(corpus.tonic_pitch_class(notes)) == shift
    moved = corpus.transpose_notes(notes, shift)
    assert corpus.tonic_pitch_class(moved) == 0
    assert moved.pitch.tolist() == (notes.pitch + shift).tolist()


def test_train_pieces_are_moved_to_c_and_held_out_pieces_are_not():
    g_major = corpus.to_roll(_scale_notes(67), 2)  # G4 major: five semitones up to C5
    f_major = corpus.to_roll(_scale_notes(65), 2)  # F: seven up, the same as five down
    data = {"train": [g_major, f_major], "valid": [g_major], "test": [f_major]}
    moved, shifts = corpus.train_in_c(data, 2)
    assert shifts == [5, -5]
    assert np.array_equal(moved["train"][0], transpose(g_major, 5))
    assert np.array_equal(moved["train"][1], transpose(f_major, -5))
    assert moved["valid"][0] is g_major and moved["test"][0] is f_major
    assert data["train"][0] is g_major  # the input is not changed


def test_a_piece_at_the_top_of_the_keyboard_goes_to_c_an_octave_down():
    high = corpus.to_roll(_scale_notes(103), 2)  # G7 major: up five would leave the keyboard
    roll, shift = corpus.roll_to_c(high, 2)
    assert shift == 5 - 12
    assert int(roll.sum()) == int(high.sum())


def _random_piece(seed: int, beats: int = 64, voices: int = 4) -> NoteArrays:
    """A chorale-like texture: ``voices`` voices, one random pitch per voice per beat."""
    rng = np.random.default_rng(seed)
    base = np.array([48, 55, 62, 69])[:voices]
    start = np.repeat(np.arange(beats, dtype=np.float64), voices)
    pitch = (np.tile(base, beats) + rng.integers(0, 7, beats * voices)).astype(np.int16)
    return NoteArrays(start, start + 1, pitch, np.full(pitch.shape, 80, np.uint8))


def _melody(seed: int, beats: int = 64) -> NoteArrays:
    return _random_piece(seed, beats, voices=1)


def test_a_transposed_copy_of_a_valid_piece_is_dropped_and_an_unrelated_one_kept():
    valid = corpus.to_roll(_random_piece(1), 2)
    held = corpus.HeldOut.build({"musedata valid": (2, [transpose(valid, 3)])}, own=[], train=[], steps_per_beat=2)
    copied = corpus.transpose_notes(_random_piece(1, beats=64), -2)
    works = {"copy": copied, "unrelated": _random_piece(2)}
    result = corpus.decontaminate(works, 2, held)
    assert list(result.kept) == ["unrelated"]
    assert result.dropped["shared_frames"] == {"copy": "musedata valid[0]"}
    assert result.report()["dropped"] == {"shared_frames": 1, "same_tune": 0, "twin_of_dropped": 0,
                                          "duplicate_in_corpus": 0}


def test_another_encoding_of_a_dropped_work_goes_too_whatever_the_order():
    valid = _random_piece(13)
    # held out: the first 16 beats; the second encoding differs there (so it shares nothing
    # with the held-out piece) but holds the same last 48 beats as the first
    held = corpus.HeldOut.build({"musedata test": (2, [corpus.to_roll(valid, 2)[:32]])}, own=[], train=[],
                                steps_per_beat=2)
    new = _random_piece(14)
    other = NoteArrays(*(np.concatenate([a[valid.start >= 16], b[new.start < 16]])
                         for a, b in zip(valid, new, strict=True)))
    for order in (["krn", "mxl"], ["mxl", "krn"]):
        works = {"krn": valid, "mxl": other}
        result = corpus.decontaminate({k: works[k] for k in order}, 2, held)
        assert not result.kept
        assert result.dropped["shared_frames"] == {"krn": "musedata test[0]"}
        assert result.dropped["twin_of_dropped"] == {"mxl": "krn"}


def test_a_bar_of_melody_in_common_is_no_evidence_of_a_copy():
    valid, other = _melody(20), _melody(21)
    bar = valid.start < 4  # the valid tune's first 4 beats (8 frames), pasted into the other
    pasted = NoteArrays(*(np.concatenate([a[bar], b[other.start >= 4]]) for a, b in zip(valid, other, strict=True)))
    held = corpus.HeldOut.build({"wjazzd test": (2, [corpus.to_roll(valid, 2)])}, own=[], train=[], steps_per_beat=2)
    result = corpus.decontaminate({"pasted": pasted}, 2, held)
    assert list(result.kept) == ["pasted"]
    longer = valid.start < 12  # 24 frames of it: a copied passage
    copied = NoteArrays(*(np.concatenate([a[longer], b[other.start >= 12]]) for a, b in zip(valid, other, strict=True)))
    assert corpus.decontaminate({"copied": copied}, 2, held).dropped["shared_frames"] == {"copied": "wjazzd test[0]"}


def test_held_out_music_is_compared_on_its_own_grid():
    # A JSB-like valid piece on quarters; the work is for a genre on eighths.
    held = corpus.HeldOut.build({"jsb test": (1, [corpus.to_roll(_random_piece(3), 1)])}, own=[], train=[], steps_per_beat=2)
    result = corpus.decontaminate({"copy": _random_piece(3), "other": _random_piece(4)}, 2, held)
    assert set(result.dropped["shared_frames"]) == {"copy"} and list(result.kept) == ["other"]
    assert result.kept["other"].shape == (128, 88)  # returned on the genre's grid


def test_a_tune_under_other_chords_is_dropped_by_its_top_line():
    tune = _melody(5)
    harmonized = NoteArrays(*(np.concatenate([a, b]) for a, b in zip(
        tune, corpus.transpose_notes(_random_piece(6, voices=2), -12), strict=True)))
    held = corpus.HeldOut.build({"nottingham valid": (2, [corpus.to_roll(harmonized, 2)])},
                                own=["nottingham valid"], train=[], steps_per_beat=2)
    result = corpus.decontaminate({"tune": corpus.transpose_notes(tune, 4), "other": _melody(7)}, 2, held)
    assert result.dropped["same_tune"] == {"tune": "nottingham valid[0]"}
    assert list(result.kept) == ["other"]


def test_train_near_duplicates_are_kept_but_counted_and_corpus_twins_dropped():
    train = [corpus.to_roll(_random_piece(8), 2)]
    held = corpus.HeldOut.build({}, own=[], train=train, steps_per_beat=2)
    works = {"a": _random_piece(8), "b": _random_piece(9), "b again": _random_piece(9)}
    result = corpus.decontaminate(works, 2, held)
    assert sorted(result.kept) == ["a", "b"]
    assert result.near_duplicate_of_train == ["a"] and result.same_tune_as_train == ["a"]
    assert result.dropped["duplicate_in_corpus"] == {"b again": "b"}


def _write(cache: Path) -> dict[str, np.ndarray]:
    rolls = {"one": corpus.to_roll(_random_piece(10, beats=8), 2),
             "two": corpus.to_roll(_random_piece(11, beats=12), 2)}
    corpus.write_cache(cache, "classical", rolls, {"steps_per_beat": 2, "kept": 2})
    return rolls


def test_the_cache_round_trips_and_a_checksum_mismatch_is_refused(tmp_path):
    rolls = _write(tmp_path)
    loaded, entry = corpus.load_cached("classical", tmp_path)
    assert [r.tolist() for r in loaded] == [rolls["one"].tolist(), rolls["two"].tolist()]
    manifest = json.loads((tmp_path / corpus.MANIFEST).read_text())
    assert manifest["version"] == corpus.VERSION and manifest["wheel_sha256"] == corpus.WHEEL_SHA256
    assert entry["pieces"] == 2 and entry["frames"] == 40
    with np.load(tmp_path / "classical.npz", allow_pickle=False) as npz:
        np.savez(tmp_path / "classical.npz", frames=1 - npz["frames"], lengths=npz["lengths"],
                 names=npz["names"])
    with pytest.raises(corpus.CorpusError, match="sha256 .* refusing"):
        corpus.load_cached("classical", tmp_path)


def test_a_missing_cache_says_how_to_build_it(tmp_path):
    with pytest.raises(corpus.CorpusError, match="python -m models.music.corpus --genres folk"):
        corpus.load_cached("folk", tmp_path)
    _write(tmp_path)
    with pytest.raises(corpus.CorpusError, match="no folk rolls"):
        corpus.load_cached("folk", tmp_path)


def test_the_train_hook_adds_rolls_to_train_only(tmp_path):
    rolls = _write(tmp_path)
    data = {split: [np.zeros((4, 88), np.uint8)] * n for split, n in (("train", 3), ("valid", 2), ("test", 1))}
    out, info = corpus.with_extra(data, "classical", "music21", tmp_path)
    assert len(out["train"]) == 5 and out["train"][3].tolist() == rolls["one"].tolist()
    assert out["valid"] == data["valid"] and out["test"] == data["test"] and len(data["train"]) == 3
    assert info["pieces"] == 2 and info["frames"] == 40 and info["version"] == corpus.VERSION


def test_the_wheel_checksum_is_the_locked_one():
    lock = (REPO_ROOT / "requirements" / "lock.txt").read_text()
    block = re.search(rf"^music21=={re.escape(corpus.VERSION)} \\\n((?:\s+--hash=sha256:\w+.*\n)+)", lock, re.M)
    assert block and f"sha256:{corpus.WHEEL_SHA256}" in block.group(1)


def test_every_genre_names_its_sources_and_key_convention():
    from models.music.genres import GENRES

    assert set(corpus.SOURCES) == set(GENRES) == set(corpus.KEY_TO_C)
    folders = {s.folder for sources in corpus.SOURCES.values() for s in sources}
    assert "nottingham-dataset" not in folders  # that is the Nottingham benchmark itself
    assert corpus.SOURCES["jazz"] == ()


@pytest.mark.slow
def test_train_cli_reads_the_extra_rolls_and_its_sidecar_says_so(tmp_path, capsys):
    from models.music import registry, train

    rolls = {"one": corpus.to_roll(_random_piece(12, beats=40), 1)}
    corpus.write_cache(tmp_path / "cache", "chorale", rolls, {"steps_per_beat": 1, "kept": 1})
    out = tmp_path / "out"
    args = ["--model", "lstm", "--genre", "chorale", "--config", "tiny", "--out", str(out),
            "--run-dir", str(tmp_path / "run"), "--no-progress", "--set", "max_epochs=1",
            "--extra-data", "music21", "--extra-cache-dir", str(tmp_path / "cache")]
    assert train.main(args) == 0
    capsys.readouterr()
    side = registry.read_sidecar(out / "music_lstm_chorale.keras")
    assert side["dataset"] == "jsb train + music21 10.5.1 corpus (1 pieces, 40 frames)"
    assert side["extra_data"]["pieces"] == 1 and side["extra_data"]["frames"] == 40
    assert side["metrics"]["test_frames"] == 4725 - 77  # JSB test, untouched

    from models.music import evaluate

    assert evaluate.main(["--model", "lstm", "--dataset", "jsb", "--split", "test",
                          "--checkpoint", str(out / "music_lstm_chorale.keras")]) == 0
    line = json.loads(capsys.readouterr().out.strip())
    assert line["train_data"] == side["dataset"]  # its figure says it is no benchmark row


def test_train_cli_refuses_a_missing_cache(tmp_path):
    from models.music import train

    with pytest.raises(SystemExit, match="--extra-data music21: no music21 cache"):
        train.main(["--model", "lstm", "--genre", "chorale", "--config", "tiny", "--out", str(tmp_path),
                    "--extra-data", "music21", "--extra-cache-dir", str(tmp_path / "none")])
