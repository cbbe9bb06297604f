"""Does the key of a default's clips move its statistics overlap? Per genre, the mean overlap and
the in-scale-rate overlap of the default's 50 clips (made as ``bench/music_genre_checks.py`` makes
them) three ways:

* as the genre checks measure them (``in_scale_rate`` counts notes in C major, the key the
  Boulanger sets were transposed to by their curators);
* each clip transposed to C (its best-fitting major / harmonic-minor root moved to C, at most
  6 semitones either way), the data windows as they are;
* the clips and the data windows both transposed so.

    python bench/music_key_overlap.py [GENRE ...]

A measurement, not a check: the genre checks stay as they are (``models.music.quality``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from models.music import classifier as clf  # noqa: E402
from models.music import quality, registry  # noqa: E402
from models.music.datasets import load_genre  # noqa: E402
from models.music.genres import GENRES, get_genre  # noqa: E402
from models.music.metrics import FEATURES, compare_sets, sample_statistics  # noqa: E402
from models.music.midi_io import roll_to_note_arrays  # noqa: E402
from models.music.pianoroll import transpose  # noqa: E402
from models.music.stats import windows  # noqa: E402


def key_root(roll: np.ndarray, steps_per_beat: int) -> int | None:
    """Root of the roll's best-fitting major / harmonic-minor scale (the classifier's), None if silent."""
    pitches = roll_to_note_arrays(np.asarray(roll, np.uint8), steps_per_beat).pitch.astype(np.int64)
    return clf._key(pitches)[0] if len(pitches) else None


def to_c(roll: np.ndarray, steps_per_beat: int) -> np.ndarray:
    """The roll moved by the nearest shift that puts its key's root on C (keys off the edge drop)."""
    root = key_root(roll, steps_per_beat) or 0
    return transpose(roll, -root if root <= 6 else 12 - root)


def main(argv: list[str] | None = None) -> int:
    genres = (argv if argv is not None else sys.argv[1:]) or list(GENRES)
    for genre in genres:
        started = time.perf_counter()
        kind = registry.best_kind(genre)
        g = get_genre(genre)
        clips = quality.make_clips(kind, genre, 50)
        data = windows(load_genre(genre)[quality.CHECK_SPLIT], int(np.median([c.shape[0] for c in clips])), 500)

        def stat(r: np.ndarray, g=g) -> dict:
            return sample_statistics(r, g.steps_per_beat, beats_per_bar=g.beats_per_bar)

        moved = [to_c(c, g.steps_per_beat) for c in clips]
        row = {}
        for name, cs, ds in (("as checked", clips, data), ("clips to C", moved, data),
                             ("both to C", moved, [to_c(d, g.steps_per_beat) for d in data])):
            f = compare_sets([stat(c) for c in cs], [stat(d) for d in ds])
            row[name] = {"mean": float(np.nanmean([f[k]["overlap"] for k in FEATURES])),
                         "in_scale_rate": f["in_scale_rate"]["overlap"]}
        for name, rolls in (("clips_in_c", clips), ("data_in_c", data)):
            row[name] = float(np.mean([key_root(r, g.steps_per_beat) == 0 for r in rolls if r.any()]))
        print(genre, kind, json.dumps(row), f"{time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
