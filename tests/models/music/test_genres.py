"""The genre registry."""

import pytest

from models.music.datasets import DATASETS
from models.music.genres import GENRES, genre_names, get_genre


def test_six_genres_with_valid_fields():
    assert genre_names() == ["chorale", "folk", "classical_piano", "classical", "jazz", "ragtime"]
    for g in GENRES.values():
        assert g.dataset in DATASETS
        assert 1 <= g.steps_per_beat <= 12
        assert 40 <= g.tempo <= 240
        assert 1 <= len(g.programs) <= 2 and all(0 <= p <= 127 for p in g.programs)
        assert g.title and g.license
        assert g.to_dict()["programs"] == list(g.programs)


def test_grids_match_the_datasets():
    assert get_genre("chorale").steps_per_beat == 1  # JSB: quarter notes
    for name in ("folk", "classical_piano", "classical"):
        assert get_genre(name).steps_per_beat == 2  # eighth notes
    assert get_genre("ragtime").beats_per_bar == 2


def test_no_unlicensed_jazz():
    assert "wjazzd" in get_genre("jazz").source
    assert all("metheny" not in g.source and "peterson" not in g.source for g in GENRES.values())


def test_lookup_is_forgiving_but_strict():
    assert get_genre("Classical Piano").name == "classical_piano"
    assert get_genre(" RAGTIME ").name == "ragtime"
    with pytest.raises(ValueError, match="unknown genre"):
        get_genre("polka")
