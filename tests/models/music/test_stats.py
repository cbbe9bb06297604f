"""The stats CLI: generated MIDI vs a genre's data."""

import json

import numpy as np

from models.music import stats
from models.music.datasets import load_genre
from models.music.metrics import FEATURES
from models.music.midi_io import roll_to_midi_file
from models.music.pianoroll import NUM_KEYS


def test_real_pieces_overlap_the_data_more_than_noise(tmp_path):
    real = tmp_path / "real"
    noise = tmp_path / "noise"
    real.mkdir()
    noise.mkdir()
    pieces = load_genre("chorale")["train"][:12]
    rng = np.random.default_rng(0)
    for i, r in enumerate(pieces):
        roll_to_midi_file(real / f"{i}.mid", r[:48], 1, 80)
        roll_to_midi_file(noise / f"{i}.mid", (rng.random((48, NUM_KEYS)) < 0.15).astype(np.uint8), 1, 80)
    (noise / "broken.mid").write_bytes(b"not midi")

    out_json = tmp_path / "real.json"
    table = tmp_path / "real.md"
    assert stats.main(["--genre", "chorale", "--samples", str(real), "--json", str(out_json), "--markdown", str(table)]) == 0
    good = json.loads(out_json.read_text())
    assert good["samples"] == 12 and good["window_steps"] == 48 and good["data_windows"] > 50
    assert set(good["features"]) == set(FEATURES)
    assert "| pitch_range |" in table.read_text()

    assert stats.main(["--genre", "chorale", "--samples", str(noise), "--json", str(tmp_path / "n.json")]) == 0
    bad = json.loads((tmp_path / "n.json").read_text())
    assert len(bad["skipped"]) == 1
    for feature in ("pitch_range", "scale_consistency", "polyphony", "note_density"):
        assert good["features"][feature]["overlap"] > bad["features"][feature]["overlap"] + 0.3, feature
    # means are reported for both sides
    assert bad["features"]["polyphony"]["generated_mean"] > good["features"]["polyphony"]["generated_mean"]


def test_empty_folder_is_an_error(tmp_path):
    assert stats.main(["--genre", "jazz", "--samples", str(tmp_path)]) == 2
