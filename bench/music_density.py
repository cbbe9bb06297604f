"""Are free-running clips as dense as the data, and is the sampler right? (exposure bias)

    python bench/music_density.py GENRE [--kind nade] [--clips 20] [--model-dir DIR]

1. ``--clips`` clips made as ``/compose`` makes them (``quality.make_clips``, seeds 0..N-1),
   each feature of ``models.music.metrics`` as a mean next to the data's windows (valid and
   train splits) and its overlap.
2. For a NADE: one frame drawn at every third step of the first 10 valid pieces given the
   TRUE history (teacher forced), its mean notes a frame next to the data's. If these match
   while the free-running clips are sparser, the sampler is right and the model drifts on
   its own output.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("genre")
    parser.add_argument("--kind", default="nade")
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--model-dir", default=None)
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    from models.music import nade, quality, registry
    from models.music.datasets import load_genre
    from models.music.genres import get_genre
    from models.music.metrics import FEATURES, compare_sets, sample_statistics
    from models.music.stats import windows

    g = get_genre(args.genre)
    data = load_genre(args.genre)
    clips = quality.make_clips(args.kind, args.genre, args.clips, directory=args.model_dir)
    stat = lambda r: sample_statistics(r, g.steps_per_beat, beats_per_bar=g.beats_per_bar)  # noqa: E731
    ours = [stat(c) for c in clips]
    for split in ("valid", "train"):
        theirs = [stat(w) for w in windows(data[split], clips[0].shape[0], 500)]
        cmp = compare_sets(ours, theirs)
        print(f"{split}: {len(theirs)} windows, mean overlap {np.mean([cmp[f]['overlap'] for f in FEATURES]):.3f}")
        for f in FEATURES:
            print(f"  {f:20s} clips {np.mean([s[f] for s in ours]):8.3f} data "
                  f"{np.mean([w[f] for w in theirs]):8.3f} overlap {cmp[f]['overlap']:.2f}")

    if args.kind != "nade":
        return
    model, config, _ = registry.load(registry.checkpoint_path("nade", args.genre, args.model_dir))
    lstm_out = keras.Model(model.inputs[0], model.get_layer(f"dropout_{config.layers}").output)
    layer = model.get_layer("nade")
    real, drawn = [], []
    for i, roll in enumerate(data["valid"][:10]):
        roll = roll[:400].astype("float32")
        context = np.concatenate([np.zeros((1, roll.shape[1]), "float32"), roll[:-1]])[None]
        h = lstm_out(context, training=False)[0]
        for t in range(0, roll.shape[0], 3):
            frame = nade.sample_frame(layer, h[t : t + 1], tf.constant(1.0), tf.constant([i, t], tf.int64))
            drawn.append(float(tf.reduce_sum(frame)))
            real.append(float(roll[t].sum()))
    print(f"one frame drawn given the true history, {len(real)} frames: "
          f"{np.mean(drawn):.2f} notes a frame, the data {np.mean(real):.2f}")


if __name__ == "__main__":
    main()
