"""Generated clips of the LSTM composer and the encoder-decoder: MIDI sets for the statistics,
and small rendered OGG examples under docs/samples/.

    python bench/music_lstm_samples.py [--clips 20] [--bars 16] [--ogg-seconds 15]
        [--kinds lstm seq2seq] [--genres chorale folk ...] [--out runs/music/samples]

For every shipped checkpoint of those kinds:
  * ``--clips`` clips of ``--bars`` bars at temperature 1.0 (seeds 0..clips-1) are
    written as MIDI to ``<out>/<kind>_<genre>/`` (the LSTM composes from
    silence; the encoder-decoder continues 4 bars of a test piece, and only the
    continuation is written), then compared with the genre's data by
    ``python -m models.music.stats --genre G --samples DIR --json DIR/stats.json
    --markdown DIR/stats.md``;
  * one example of about ``--ogg-seconds`` seconds (temperature 0.9, seed 7) is
    rendered with ``workers.render.render_clip`` at the genre's tempo and
    instruments to ``docs/samples/<kind>_<genre>.ogg`` (22.05 kHz, small).
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from models.music import registry  # noqa: E402
from models.music.datasets import load_genre  # noqa: E402
from models.music.genres import GENRES  # noqa: E402
from models.music.midi_io import roll_to_midi_bytes  # noqa: E402


def primers(genre: str, steps: int, count: int) -> list[np.ndarray]:
    """``count`` primers of ``steps`` steps from the genre's test pieces (cycled)."""
    pieces = [r for r in load_genre(genre)["test"] if r.shape[0] >= steps and r[:steps].any()]
    return [pieces[i % len(pieces)][:steps] for i in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--ogg-seconds", type=float, default=15.0)
    parser.add_argument("--kinds", nargs="+", default=["lstm", "seq2seq"])
    parser.add_argument("--genres", nargs="+", default=list(GENRES))
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "music" / "samples")
    parser.add_argument("--no-stats", action="store_true")
    parser.add_argument("--no-ogg", action="store_true")
    args = parser.parse_args()
    samples_dir = REPO / "docs" / "samples"

    for (kind, genre), path in sorted(registry.shipped().items()):
        if kind not in args.kinds or genre not in args.genres:
            continue
        model, config, _ = registry.load(path)
        mod = registry.module(kind)
        g = GENRES[genre]
        bar = g.beats_per_bar * g.steps_per_beat
        steps = args.bars * bar
        primer_list = primers(genre, 4 * bar, args.clips + 1) if kind == "seq2seq" else None
        folder = args.out / f"{kind}_{genre}"
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.mid"):
            old.unlink()
        for seed in range(args.clips):
            primer = primer_list[seed] if primer_list else None
            roll = mod.generate(model, config, steps, temperature=1.0, seed=seed, primer=primer)
            midi = roll_to_midi_bytes(roll, g.steps_per_beat, g.tempo, program=g.programs,
                                      time_signature=(g.beats_per_bar, 4))
            (folder / f"clip_{seed:02d}.mid").write_bytes(midi)
        print(f"## {kind} / {genre}: {args.clips} clips of {args.bars} bars in {folder}", flush=True)
        if not args.no_stats:
            cmd = [sys.executable, "-m", "models.music.stats", "--genre", genre,
                   "--samples", str(folder), "--json", str(folder / "stats.json"),
                   "--markdown", str(folder / "stats.md")]
            proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
            if proc.returncode == 0:
                print((folder / "stats.md").read_text(encoding="utf-8"), flush=True)
            else:
                print(proc.stderr[-2000:], flush=True)
        if not args.no_ogg:
            from workers.render import render_clip

            ogg_steps = math.ceil(args.ogg_seconds * g.tempo / 60 * g.steps_per_beat)
            primer = primer_list[-1] if primer_list else None
            roll = mod.generate(model, config, ogg_steps, temperature=0.9, seed=7, primer=primer)
            if primer is not None:
                roll = np.concatenate([primer.astype(np.uint8), roll])
            out = render_clip(roll, g.steps_per_beat, g.tempo, g.programs, genre=genre, model=kind,
                              beats_per_bar=g.beats_per_bar,
                              primer_steps=0 if primer is None else primer.shape[0],
                              sample_rate=22050, formats=("ogg",))
            samples_dir.mkdir(parents=True, exist_ok=True)
            target = samples_dir / f"{kind}_{genre}.ogg"
            target.write_bytes(out["ogg"])
            print(f"{target.relative_to(REPO)}: {len(out['ogg']) / 1024:.0f} KiB, "
                  f"{out['seconds']:.1f} s, {out['notes']} notes, engine {out['engine']}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
