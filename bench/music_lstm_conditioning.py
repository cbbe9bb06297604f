"""Genre conditioning of the LSTM composer: one model with a genre embedding, or one per genre?

    python bench/music_lstm_conditioning.py [--updates 1200] [--every 300] [--units 128] [--lr 2e-3]

Trains, from the same seed and with the same sizes:
  * ``separate``: the composer of models/music/lstm.py on chorale (JSB) only;
  * ``joint``: the same network whose input frame is concatenated with an
    8-dim genre embedding, trained on chorale and folk (Nottingham) batches in
    turn, so it gets the same number of chorale updates plus as many folk ones
    (twice the compute).
Prints the chorale validation NLL of both after every block of updates, and the
joint model's folk validation NLL, as JSON lines. If sharing helped, the joint
model would reach a lower chorale NLL for the same chorale updates.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from models.music import lstm, training  # noqa: E402
from models.music.batches import next_frame_epoch  # noqa: E402
from models.music.datasets import NUM_KEYS, load_genre  # noqa: E402

GENRE_IDS = {"chorale": 0, "folk": 1}


def build_joint(config: lstm.Config, genres: int) -> keras.Model:
    frames = keras.Input((None, NUM_KEYS), name="frames")
    genre = keras.Input((), dtype="int32", name="genre")
    emb = keras.layers.Embedding(genres, 8, name="genre_embedding")(genre)  # (B, 8)
    emb = keras.ops.zeros_like(frames[:, :, :1]) + keras.ops.expand_dims(emb, 1)  # (B, T, 8)
    x = keras.layers.Concatenate()([frames, emb])
    x = keras.layers.LSTM(config.units, return_sequences=True, name="lstm_1")(x)
    x = keras.layers.Dropout(config.dropout)(x)
    x = keras.layers.LSTM(config.units, return_sequences=True, name="lstm_2")(x)
    x = keras.layers.Dropout(config.dropout)(x)
    return keras.Model([frames, genre], keras.layers.Dense(NUM_KEYS)(x))


def batch_stream(rolls, config, seed):
    epoch = 0
    while True:
        epoch += 1
        yield from next_frame_epoch(rolls, config, np.random.default_rng([seed, epoch]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=1200, help="chorale updates per model")
    parser.add_argument("--every", type=int, default=300)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=("separate", "joint"), default=None)
    args = parser.parse_args()
    config = lstm.Config(units=args.units, dropout=0.3, batch_size=16, window=64,
                         learning_rate=args.lr)
    data = {g: load_genre(g) for g in GENRE_IDS}

    def nll(model, genre, joint):
        rolls = data[genre]["valid"]
        if not joint:
            return lstm.frame_nll(model, config, rolls)["nll"]
        gid = GENRE_IDS[genre]

        class Wrapped:  # frame_nll feeds frames only: bind the genre id
            def __call__(self, x, training=False):
                ids = tf.fill([tf.shape(x)[0]], gid)
                return model([x, ids], training=training)

        return lstm.frame_nll(Wrapped(), config, rolls)["nll"]

    results = {}
    for name in (args.only,) if args.only else ("separate", "joint"):
        keras.utils.set_random_seed(args.seed)
        joint = name == "joint"
        model = build_joint(config, len(GENRE_IDS)) if joint else lstm.build_model(config)
        opt = training.make_optimizer(config)
        opt.build(model.trainable_variables)

        @tf.function(reduce_retracing=True)
        def step(inputs, targets, mask, gid, model=model, opt=opt, joint=joint):
            with tf.GradientTape() as tape:
                x = [inputs, tf.fill([tf.shape(inputs)[0]], gid)] if joint else inputs
                logits = model(x, training=True)
                nll = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(targets, logits), -1)
                loss = tf.reduce_sum(nll * mask) / tf.reduce_sum(mask)
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables, strict=True))
            return loss

        streams = {g: batch_stream(data[g]["train"], config, args.seed) for g in GENRE_IDS}
        started = time.perf_counter()
        for update in range(1, args.updates + 1):
            genres = ("chorale", "folk") if joint else ("chorale",)
            for g in genres:
                b = next(streams[g])
                step(*(tf.constant(a) for a in b), tf.constant(GENRE_IDS[g]))
            if update % args.every == 0:
                row = {"model": name, "chorale_updates": update,
                       "chorale_valid_nll": round(nll(model, "chorale", joint), 3),
                       "seconds": round(time.perf_counter() - started, 1)}
                if joint:
                    row["folk_valid_nll"] = round(nll(model, "folk", joint), 3)
                print(json.dumps(row), flush=True)
                results[name] = row
    print(json.dumps({"summary": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
