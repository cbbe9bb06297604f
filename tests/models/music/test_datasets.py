"""Datasets: the Boulanger splits, the MIDI folders, load_genre, the --stats CLI."""

import io
import json
import zipfile

import numpy as np
import pytest

from models.music import datasets
from models.music.datasets import (
    NUM_KEYS,
    SPLITS,
    dataset_stats,
    load_boulanger,
    load_genre,
    load_joplin,
    load_wjazzd,
    split_names,
    wjazzd_tempos,
)
from models.music.genres import GENRES

PUBLISHED = {
    "jsb": (229, 76, 77),
    "nottingham": (694, 173, 170),
    "piano_midi_de": (87, 12, 25),
    "musedata": (524, 135, 124),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_boulanger_splits_match_the_paper(name):
    data = load_boulanger(name)
    assert tuple(len(data[s]) for s in SPLITS) == PUBLISHED[name]
    r = data["train"][0]
    assert r.dtype == np.uint8 and r.shape[1] == NUM_KEYS and set(np.unique(r)) <= {0, 1}


def test_boulanger_time_steps_match_the_data_readme():
    assert dataset_stats(load_boulanger("jsb")) == {
        "train": {"pieces": 229, "steps": 13807},
        "valid": {"pieces": 76, "steps": 4602},
        "test": {"pieces": 77, "steps": 4725},
    }


def test_split_names_is_deterministic_and_disjoint():
    names = [f"piece_{i}" for i in range(50)]
    a = split_names(names)
    b = split_names(list(reversed(names)))
    assert a == b
    assert sorted(sum(a.values(), [])) == sorted(names)
    assert (len(a["train"]), len(a["valid"]), len(a["test"])) == (40, 5, 5)
    # adding pieces does not move existing ones between valid/test and train wholesale
    more = split_names(names + [f"new_{i}" for i in range(5)])
    moved = sum(1 for n in a["train"] if n not in more["train"])
    assert moved <= 3


def test_joplin_on_a_sixteenth_grid():
    data = load_joplin()
    assert [len(data[s]) for s in SPLITS] == [14, 2, 2]
    # maple leaf rag: 144 s at 120 bpm = 288 beats = 1152 sixteenth steps
    spb = GENRES["ragtime"].steps_per_beat
    lengths = sorted(r.shape[0] for s in SPLITS for r in data[s])
    assert spb == 4 and 1152 in lengths


def test_wjazzd_uses_solo_tempos():
    tempos = wjazzd_tempos()
    assert len(tempos) == 264
    data = load_wjazzd()
    assert sum(len(data[s]) for s in SPLITS) == 264
    assert [len(data[s]) for s in SPLITS] == [212, 26, 26]
    # monophonic solos: almost always one key at a time (legato overlaps aside)
    counts = np.concatenate([r.sum(1) for r in data["valid"]])
    assert 1.0 <= counts[counts > 0].mean() < 1.2


# the Boulanger genres load through load_boulanger (tested above); JSB stands for them
@pytest.mark.parametrize("genre", ["chorale", "jazz", "ragtime"])
def test_load_genre_gives_rolls(genre):
    data = load_genre(genre)
    assert set(data) == set(SPLITS)
    for split in SPLITS:
        assert data[split], split
        assert all(r.ndim == 2 and r.shape[1] == NUM_KEYS and r.dtype == np.uint8 for r in data[split])


def test_stats_cli_prints_the_published_counts(capsys):
    assert datasets.main(["--stats", "--dataset", "jsb", "--dataset", "piano_midi_de"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [out["jsb"][s]["pieces"] for s in SPLITS] == [229, 76, 77]
    assert [out["piano_midi_de"][s]["pieces"] for s in SPLITS] == [87, 12, 25]


def test_data_dir_argument_wins(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_joplin(tmp_path)


# ---------------------------------------------------------------- download.py


def test_download_verifies_checksums_and_is_atomic(tmp_path):
    from models.music.download import DOWNLOADS, ChecksumError, fetch, verify

    shared = datasets.default_data_dir()
    source = next(s for s in DOWNLOADS if s.name == "wjazzd_solos")
    local = lambda url: open(shared / source.path, "rb")  # noqa: E731 - offline stand-in for the URL
    got = fetch(source, tmp_path, opener=local)
    assert got.read_bytes() == (shared / source.path).read_bytes()
    bad = lambda url: io.BytesIO(b"tampered")  # noqa: E731
    with pytest.raises(ChecksumError):
        fetch(source, tmp_path, opener=bad, force=True)
    assert got.read_bytes() == (shared / source.path).read_bytes()  # old file kept
    assert [p.name for p in got.parent.iterdir()] == [got.name]  # no temp files left
    status = verify(shared)
    assert status and all(v == "ok" for v in status.values()), status


def test_wjazzd_conversion_reproduces_the_shipped_midi(tmp_path):
    from models.music.download import wjazzd_csv_to_midi_zip
    from models.music.midi_io import midi_bytes_to_notes

    shared = datasets.default_data_dir() / "midi/jazz/wjazzd_v1_2"
    with zipfile.ZipFile(shared / "score_csv.zip") as zin, zipfile.ZipFile(tmp_path / "s.zip", "w") as zout:
        names = sorted(zin.namelist())[:4]
        for n in names:
            zout.writestr(n, zin.read(n))
    assert wjazzd_csv_to_midi_zip(tmp_path / "s.zip", shared / "df_solos.csv", tmp_path / "m.zip") == 4
    with zipfile.ZipFile(tmp_path / "m.zip") as mine, zipfile.ZipFile(shared / "solos_midi.zip") as ref:
        for member in mine.namelist():
            a, _ = midi_bytes_to_notes(mine.read(member))
            b, _ = midi_bytes_to_notes(ref.read(member))
            assert len(a) == len(b) and np.allclose(a.start, b.start) and np.array_equal(a.pitch, b.pitch)
