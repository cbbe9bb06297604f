"""Markdown tables of the shipped LSTM / encoder-decoder checkpoints, read from their sidecars.

    python bench/music_lstm_report.py [--kinds lstm seq2seq] [--stats runs/music/samples]

One row per checkpoint: parameters, size, epochs (best epoch), train / valid /
test NLL, the train-valid gap, wall time, why training stopped, and the
command that trained it (as recorded in the sidecar). With ``--stats DIR``, one
table per genre instead, from the ``stats.json`` that bench/music_lstm_samples.py
left in ``DIR/<kind>_<genre>/``: per feature, the data mean and each kind's
generated mean with the overlap of the two distributions.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.music import registry  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kinds", nargs="+", default=["lstm", "seq2seq"])
    parser.add_argument("--stats", type=Path, default=None)
    args = parser.parse_args()
    if args.stats:
        return stats_tables(args.stats, args.kinds)
    print("| model | genre | params | size | epochs (best) | train NLL | valid NLL | test NLL "
          "| gap valid-train | wall | stopped |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    commands = []
    for (kind, genre), path in sorted(registry.shipped().items()):
        if kind not in args.kinds:
            continue
        side = registry.read_sidecar(path)
        m = side["metrics"]
        note = f" (after {side['config']['primer_steps']} primer steps)" if kind == "seq2seq" else ""
        print(f"| {kind} | {genre} | {side['params']:,} | {path.stat().st_size / 2**20:.1f} MB "
              f"| {m['epochs']} ({m['best_epoch']}) | {m['train_nll']:.3f} | {m['valid_nll']:.3f} "
              f"| {m['test_nll']:.3f}{note} | {m['train_valid_gap']:+.3f} "
              f"| {m['wall_seconds'] / 60:.0f} min | {m['stopped']} |")
        commands.append(f"- {kind}/{genre}: `{side['command']}` ({side['date']})")
    print("\nTrained with:\n")
    print("\n".join(commands))
    return 0


def stats_tables(folder: Path, kinds: list[str]) -> int:
    from models.music.genres import GENRES

    for genre in GENRES:
        found = {k: folder / f"{k}_{genre}" / "stats.json" for k in kinds}
        found = {k: json.loads(p.read_text()) for k, p in found.items() if p.exists()}
        if not found:
            continue
        first = next(iter(found.values()))
        print(f"**{genre}** ({first['samples']} clips of each model vs {first['data_windows']} "
              f"test windows of {first['window_steps']} steps; generated mean (overlap))\n")
        print("| feature | data | " + " | ".join(found) + " |")
        print("| --- | ---: | " + " | ".join("---:" for _ in found) + " |")
        for feature, row in first["features"].items():
            cells = [f"{found[k]['features'][feature]['generated_mean']:.3g} "
                     f"({found[k]['features'][feature]['overlap']:.2f})" for k in found]
            print(f"| {feature} | {row['data_mean']:.3g} | " + " | ".join(cells) + " |")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
