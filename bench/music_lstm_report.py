"""Markdown tables of the shipped LSTM / encoder-decoder checkpoints, read from their sidecars.

    python bench/music_lstm_report.py [--kinds lstm seq2seq]

One row per checkpoint: parameters, size, epochs (best epoch), train / valid /
test NLL, the train-valid gap, wall time, why training stopped, and the
command that trained it (as recorded in the sidecar).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.music import registry  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kinds", nargs="+", default=["lstm", "seq2seq"])
    args = parser.parse_args()
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


if __name__ == "__main__":
    raise SystemExit(main())
