"""The genres the composer knows: data, grid, tempo and instruments of each.

The bot offers the same names (it may not import models: their one-line
descriptions are in ``workers.contracts.GENRE_DESCRIPTIONS``); used by training
(``datasets.load_genre``) and by the workers (tempo and General MIDI programs
to render with). Grids are the ones each dataset is quantized on:

* JSB Chorales: one step per quarter note, as published by
  Boulanger-Lewandowski et al. (2012).
* Nottingham, Piano-midi.de, MuseData: one step per eighth note (same source).
* Ragtime (18 Joplin rags rendered from Mutopia LilyPond sources, 384 ppq):
  quantized by beats from the file's ticks, never seconds (several files keep
  LilyPond's default quarter = 60). Four steps per beat (sixteenths): 99.6 % of
  the 40,330 note onsets lie exactly on that grid, against 77 % on eighths.
* Jazz (Weimar Jazz Database v1.2 solos, ODbL): the transcriptions are in
  seconds (the shipped MIDI is a fixed 120 bpm), so seconds become beats
  through each solo's average tempo from ``df_solos.csv``; the 35 solos
  without a tempo there are left out (264 remain, median 167 bpm). Four steps
  per beat: 92.8 % of the 110,873 onsets land on distinct steps (3/beat:
  87.1 %, 6/beat: 97.2 %, at 1.5x the sequence length). The grid starts at
  the solo's time 0: the recording's beat positions are not in the CSVs, so
  its phase against the real beat is arbitrary (and a solo's tempo drift is
  ignored). These are monophonic horn solos, so the model learns lines, not
  chords.

Only openly licensed data backs a genre: the three other files under
``midi/jazz/`` have no open license and are never used here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Genre:
    name: str  # registry key, used in commands and checkpoint names
    title: str  # human name
    dataset: str  # key for models.music.datasets.load_dataset
    source: str  # where the data is, relative to DATA_DIR
    license: str
    steps_per_beat: int  # grid of the dataset (beat = quarter note)
    tempo: int  # default playback tempo, quarter notes per minute
    programs: tuple[int, ...]  # GM programs: (all,) or (melody, accompaniment)
    beats_per_bar: int = 4  # for bar lines and "bars" lengths

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["programs"] = list(self.programs)
        return d


GENRES: dict[str, Genre] = {
    g.name: g
    for g in (
        Genre(
            name="chorale",
            title="Chorale",
            dataset="jsb",
            source="music/boulanger2012/jsb_chorales.json.gz",
            license="public domain compositions; encodings Allan & Williams 2005",
            steps_per_beat=1,
            tempo=80,
            programs=(19,),  # Church Organ
        ),
        Genre(
            name="folk",
            title="Folk",
            dataset="nottingham",
            source="music/boulanger2012/nottingham.json.gz",
            license="Nottingham Music Database; research data",
            steps_per_beat=2,
            tempo=120,
            programs=(40, 24),  # Violin melody, Acoustic Guitar (nylon) chords
        ),
        Genre(
            name="classical_piano",
            title="Classical piano",
            dataset="piano_midi_de",
            source="music/boulanger2012/piano_midi_de.json.gz",
            license="Piano-midi.de, Bernd Krueger, CC BY-SA 3.0 DE",
            steps_per_beat=2,
            tempo=100,
            programs=(0,),  # Acoustic Grand Piano
        ),
        Genre(
            name="classical",
            title="Classical",
            dataset="musedata",
            source="music/boulanger2012/musedata.json.gz",
            license="CCARH MuseData encodings; research/educational use",
            steps_per_beat=2,
            tempo=100,
            programs=(48,),  # String Ensemble 1
        ),
        Genre(
            name="jazz",
            title="Jazz",
            dataset="wjazzd",
            source="midi/jazz/wjazzd_v1_2/solos_midi.zip",
            license="Weimar Jazz Database, Jazzomat Research Project (Pfleiderer et al. 2017), ODbL v1.0",
            steps_per_beat=4,
            tempo=160,
            programs=(66,),  # Tenor Sax
        ),
        Genre(
            name="ragtime",
            title="Ragtime",
            dataset="joplin",
            source="midi/ragtime/",
            license="public domain",
            steps_per_beat=4,
            tempo=100,
            programs=(0,),  # Acoustic Grand Piano
            beats_per_bar=2,  # rags are in 2/4
        ),
    )
}


def get_genre(name: str) -> Genre:
    """The genre called ``name`` (case and spaces forgiven), or ValueError."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in GENRES:
        raise ValueError(f"unknown genre {name!r}; choose one of {', '.join(GENRES)}")
    return GENRES[key]


def genre_names() -> list[str]:
    return list(GENRES)
