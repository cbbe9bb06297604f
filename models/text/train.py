"""Train the character LSTM: ``python -m models.text.train --config NAME [--resume]``.

Stateful truncated BPTT: the training text is cut into ``batch`` contiguous
streams; step ``k`` of an epoch trains on characters ``[k*T, (k+1)*T)`` of every
stream, starting from the LSTM state that step ``k-1`` ended with (gradients stop
at the batch boundary). Each epoch shifts the streams by a seeded offset.

Every ``checkpoint_every_min`` minutes the run directory gets a resume file
holding every model and optimizer variable, the carried LSTM states, the step
(hence the data position) and the bookkeeping, so ``--resume`` continues
exactly. Every ``valid_every_min`` minutes the model is scored on raw valid, and
each new best is exported to ``OUT/wiki_writer.keras`` + ``.json``. At the end
the exported model is scored on raw test and the sidecar updated.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "models" / "checkpoints"
NAME = "wiki_writer"
LN2 = math.log(2.0)


def _setup_tf(seed: int, precision: str = "float32", threads: int = 0, explicit: bool = True):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    if threads > 0:  # before the first op: a background run can leave the other cores free
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    keras.utils.set_random_seed(seed)
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:  # cuDNN LSTM kernels are used by keras.layers.LSTM automatically on GPU
        keras.mixed_precision.set_global_policy("mixed_float16")
    else:
        keras.mixed_precision.set_global_policy(cpu_precision(precision, explicit))
    return tf, keras, bool(gpus)


BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # native bfloat16 dot products on x86


def bf16_native(cpuinfo: str | None = None) -> bool | None:
    """Whether the CPU computes bfloat16 dot products natively (``avx512_bf16`` or ``amx_bf16``
    among its flags); None where ``/proc/cpuinfo`` (or the ``cpuinfo`` text given) lists no flags."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return None
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return any(flag in BF16_FLAGS for flag in line.split(":", 1)[1].split())
    return None


def cpu_precision(precision: str, explicit: bool, cpuinfo: str | None = None) -> str:
    """The CPU training precision to use for ``precision``.

    Without native bfloat16 (an AVX2-only CPU, say) TensorFlow emulates it, and a 2 x 768 writer
    then trained 14 % slower in mixed_bfloat16 than in float32 (docs/BENCHMARKS.md), so a
    config's mixed_bfloat16 falls back to float32 there. A precision asked for on the command
    line (``explicit``) is kept, with a warning.
    """
    if precision != "mixed_bfloat16" or bf16_native(cpuinfo) is not False:
        return precision
    if explicit:
        print("warning: this CPU has no native bfloat16 (avx512_bf16 or amx_bf16); "
              "mixed_bfloat16 is emulated and slower than float32", file=sys.stderr)
        return precision
    print("this CPU has no native bfloat16 (avx512_bf16 or amx_bf16): training in float32 "
          "instead of the config's mixed_bfloat16 (--precision mixed_bfloat16 forces it)", file=sys.stderr)
    return "float32"


def hardware() -> dict[str, Any]:
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return {"cpu": cpu, "cpu_count": os.cpu_count(), "gpus": gpus, "tensorflow": tf.__version__,
            "python": platform.python_version()}


def float32_copy(model, cfg, vocab_size: int, keras):
    """``model`` itself when it computes in float32, else a float32 twin with its weights.

    Mixed-precision training keeps float32 weights, so the copy is exact; the shipped
    checkpoint then loads and samples in float32 whatever policy trained it.
    """
    if model.compute_dtype == "float32":
        return model
    from models.text.char_lstm import build_model

    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        twin = build_model(cfg, vocab_size)
    finally:
        keras.mixed_precision.set_global_policy(policy)
    twin.set_weights(model.get_weights())
    return twin


def lr_at(step: int, cfg, elapsed_s: float = 0.0) -> float:
    """Linear warm-up, then cosine decay to ``lr * min_lr_ratio``.

    The decay runs on whichever is further along: steps (``step / cfg.steps``) or the
    time budget (``elapsed_s / cfg.max_minutes``). On a shared machine the step rate
    varies, and a run stopped by its time budget still ends with a fully decayed
    rate instead of being cut off at a high one.
    """
    if cfg.warmup_steps and step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    span = max(1, cfg.steps - cfg.warmup_steps)
    progress = (step - cfg.warmup_steps) / span
    if cfg.max_minutes > 0:
        progress = max(progress, elapsed_s / (cfg.max_minutes * 60))
    progress = min(1.0, progress)
    floor = cfg.lr * cfg.min_lr_ratio
    return floor + 0.5 * (cfg.lr - floor) * (1 + math.cos(math.pi * progress))


class Streams:
    """Batches of stateful truncated BPTT over ``ids``, addressed by global step (exact resume)."""

    def __init__(self, ids: np.ndarray, batch: int, seq_len: int, seed: int,
                 epoch_ids: Callable[[int], np.ndarray] | None = None) -> None:
        """``epoch_ids``, when given, makes each epoch's corpus (``ids`` sets the epoch's length)."""
        self.ids, self.batch, self.seq_len, self.seed = ids, batch, seq_len, seed
        self.epoch_ids = epoch_ids
        self.stream_len = (len(ids) - 1 - seq_len) // batch
        self.steps_per_epoch = self.stream_len // seq_len
        if self.steps_per_epoch < 1:
            raise ValueError("training text too short for this batch and seq_len")
        self._epoch = -1
        self._streams: np.ndarray | None = None

    def _layout(self, epoch: int) -> np.ndarray:
        offset = int(np.random.default_rng([self.seed, epoch]).integers(0, self.seq_len))
        n = self.stream_len
        ids = self.ids if self.epoch_ids is None or epoch == 0 else self.epoch_ids(epoch)
        need = offset + n * self.batch + 1
        if len(ids) < need:  # a respelled epoch a few characters shorter: wrap around
            ids = np.resize(ids, need)
        starts = offset + n * np.arange(self.batch)
        return np.stack([ids[s:s + n + 1] for s in starts])  # (B, n + 1)

    def batch_at(self, step: int) -> tuple[np.ndarray, np.ndarray, bool]:
        """(x, y, starts_epoch) for a global step; x, y are (B, T) int32."""
        epoch, k = divmod(step, self.steps_per_epoch)
        if epoch != self._epoch:
            self._streams, self._epoch = self._layout(epoch), epoch
        t = self.seq_len
        chunk = self._streams[:, k * t:(k + 1) * t + 1].astype(np.int32)
        return chunk[:, :-1], chunk[:, 1:], k == 0


def make_train_step(model, optimizer, n_states: int, tf, loss_scale: bool = False):
    """One compiled step of stateful truncated BPTT: ``(x, y, states, lr) -> (loss, states)``.

    The loss is the mean cross-entropy in nats, computed in float32 whatever the
    compute dtype; the returned states are float32 and cut from the graph.
    """
    state_spec = [tf.TensorSpec([None, None], tf.float32)] * n_states

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32),
                                  tf.TensorSpec([None, None], tf.int32), state_spec,
                                  tf.TensorSpec([], tf.float32)])
    def train_step(x, y, states, lr):
        optimizer.learning_rate.assign(lr)
        with tf.GradientTape() as tape:
            logits, new_states = model(x, states=states, training=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                y, tf.cast(logits, tf.float32)))
            scaled = optimizer.scale_loss(loss) if loss_scale else loss
        grads = tape.gradient(scaled, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss, [tf.stop_gradient(tf.cast(s, tf.float32)) for s in new_states]

    return train_step


def make_eval_fn(model, tf):
    """A compiled ``(x, y, states) -> (nll, states)``: the cross-entropy (nats) of each position."""
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32),
                                  tf.TensorSpec([None, None], tf.int32),
                                  [tf.TensorSpec([None, None], tf.float32)] * (2 * model.num_layers)])
    def eval_step(x, y, states):
        logits, states = model(x, states=states, training=False)
        nll = tf.nn.sparse_softmax_cross_entropy_with_logits(y, tf.cast(logits, tf.float32))
        return nll, [tf.cast(s, tf.float32) for s in states]

    return eval_step


def char_bits(model, ids: np.ndarray, batch: int = 32, seq_len: int = 256, eval_fn=None,
              progress: Callable[[int, int, float], None] | None = None) -> np.ndarray:
    """Bits for each predicted character of ``ids``, read as ``batch`` contiguous stateful streams.

    ``eval_fn`` (default :func:`make_eval_fn`) runs each window of ``seq_len`` characters:
    ``(x, y, states) -> (nll per position, states)``. ``progress(end, n, bpc_so_far)`` is
    called after each window.

    Returns:
        shape ``(batch, n)``: row ``b`` scores ``ids[b*n + 1 : b*n + n + 1]`` (the first
        character of each stream is not predicted).
    """
    import tensorflow as tf

    eval_fn = eval_fn or make_eval_fn(model, tf)
    batch = max(1, min(batch, (len(ids) - 1) // 2))
    n = (len(ids) - 1) // batch
    streams = np.stack([ids[b * n:b * n + n + 1] for b in range(batch)]).astype(np.int32)
    states = [tf.zeros([batch, model.units], tf.float32)] * (2 * model.num_layers)
    out, total = [], 0.0
    for start in range(0, n, seq_len):
        end = min(n, start + seq_len)
        nll, states = eval_fn(streams[:, start:end], streams[:, start + 1:end + 1], states)
        out.append(nll.numpy())
        if progress is not None:
            total += float(out[-1].sum(dtype=np.float64))
            progress(end, n, total / (batch * end) / LN2)
    return np.concatenate(out, axis=1).astype(np.float64) / LN2


def evaluate_bpc(model, ids: np.ndarray, batch: int = 32, seq_len: int = 256,
                 eval_fn=None) -> tuple[float, int]:
    """Bits per character of ``model`` on ``ids``, run as ``batch`` contiguous stateful streams.

    Returns:
        (bpc, number of characters predicted).
    """
    bits = char_bits(model, ids, batch=batch, seq_len=seq_len, eval_fn=eval_fn)
    return float(bits.mean()), int(bits.size)


class Scalars:
    """TensorBoard scalars when TensorBoard is installed (the dev extra), else a JSON-lines file."""

    def __init__(self, log_dir: Path, tf) -> None:
        self.tf = tf
        log_dir.mkdir(parents=True, exist_ok=True)
        try:
            import tensorboard  # noqa: F401

            self.writer = tf.summary.create_file_writer(str(log_dir))
        except ImportError:
            self.writer = None
        self.jsonl = log_dir / "scalars.jsonl"

    def write(self, step: int, values: dict[str, float]) -> None:
        if self.writer is not None:
            with self.writer.as_default():
                for name, value in values.items():
                    self.tf.summary.scalar(name, value, step=step)
            self.writer.flush()
        with self.jsonl.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"step": step, "time": round(time.time(), 1), **values}) + "\n")


def _atomic_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    from models.text.char_lstm import CONFIGS, PRECISIONS, UNK_LEXICONS, get_config

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="tiny", choices=sorted(CONFIGS))
    parser.add_argument("--out", type=Path, default=None,
                        help=f"where wiki_writer.keras/.json go (default {DEFAULT_OUT})")
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="resume state + TensorBoard logs (default runs/text/CONFIG, or OUT/run)")
    parser.add_argument("--steps", type=int, default=None, help="override the number of steps")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop after this much training time")
    parser.add_argument("--precision", choices=PRECISIONS, default=None,
                        help="override the config's CPU training precision")
    parser.add_argument("--init-from", type=Path, default=None, metavar="CHECKPOINT",
                        help="warm start: a new run (fresh optimizer, new schedule) from the weights "
                             "and vocabulary of a .keras checkpoint of the same architecture")
    parser.add_argument("--widen", action="store_true",
                        help="with --init-from: the config has more units than the checkpoint; "
                             "start from the checkpoint widened to them, computing the same function")
    parser.add_argument("--spell-unk", type=int, default=None, metavar="MAX_COUNT",
                        help="override the config's spell_unk: spell each <unk> as a train word seen "
                             "at most MAX_COUNT times (0 keeps the UNK symbol)")
    parser.add_argument("--unk-lexicon", choices=UNK_LEXICONS, default=None,
                        help="override the config's unk_lexicon: where the spellings of <unk> come from")
    parser.add_argument("--resume", action="store_true", help="continue from the run directory")
    parser.add_argument("--stop-after", type=int, default=None,
                        help="stop at this step without changing the schedule (then --resume)")
    parser.add_argument("--threads", type=int, default=0,
                        help="TensorFlow intra- and inter-op threads (0 = TensorFlow's default)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    cfg = get_config(args.config)
    if args.steps is not None:
        cfg.steps = args.steps
        cfg.warmup_steps = min(cfg.warmup_steps, max(0, args.steps // 10))
    if args.max_minutes is not None:
        cfg.max_minutes = args.max_minutes
    if args.precision is not None:
        cfg.precision = args.precision
    if args.spell_unk is not None:
        cfg.spell_unk = args.spell_unk
    if args.unk_lexicon is not None:
        cfg.unk_lexicon = args.unk_lexicon
    out_dir = args.out or DEFAULT_OUT
    run_dir = args.run_dir or (args.out / "run" if args.out else REPO_ROOT / "runs" / "text" / args.config)
    run_dir.mkdir(parents=True, exist_ok=True)
    resume_path = run_dir / "resume.npz"
    state_path = run_dir / "resume.json"
    if args.resume and args.init_from:
        sys.exit("--resume continues a run; --init-from starts one: give one of them")
    if args.resume:
        if not state_path.is_file():
            sys.exit(f"nothing to resume in {run_dir}")
        saved = json.loads(state_path.read_text())
        from models.text.char_lstm import CharLSTMConfig
        cfg = CharLSTMConfig.from_dict(saved["config"])
        if args.max_minutes is not None:
            cfg.max_minutes = args.max_minutes
        if args.steps is not None:
            cfg.steps = args.steps

    tf, keras, on_gpu = _setup_tf(cfg.seed, cfg.precision, args.threads, explicit=args.precision is not None)
    if not on_gpu:  # what it trains in, recorded in the run's config and sidecar
        cfg.precision = keras.mixed_precision.global_policy().name
    from tqdm import tqdm

    from models.text import checkpoint, data
    from models.text.char_lstm import build_model
    from models.text.vocab import UNK, Vocab

    wall_start = time.time()
    train_text = data.load_train(args.data_dir)
    prior = saved.get("prior") if args.resume else None  # the run a warm start began from
    init_model = None
    if args.init_from:
        init_model, vocab, init_meta = checkpoint.load(args.init_from)
        arch = {k: init_meta["config"][k] for k in ("layers", "units", "embedding")}
        wanted = {k: getattr(cfg, k) for k in arch}
        widen = args.widen and arch["units"] < cfg.units and arch | {"units": cfg.units} == wanted
        if arch != wanted and not widen:
            sys.exit(f"--init-from {args.init_from}: its architecture {arch} differs from "
                     f"config {args.config!r}" + ("" if args.widen else " (--widen grows the units)"))
        prior = {"checkpoint": str(args.init_from), **({"widened_from_units": arch["units"]} if widen else {}),
                 "steps": init_meta.get("total_steps", init_meta.get("steps", 0)),
                 "train_seconds": init_meta.get("total_train_seconds", init_meta.get("train_seconds", 0.0)),
                 "train_chars": init_meta.get("total_train_chars", init_meta.get("train_chars", 0)),
                 "valid_bpc": init_meta.get("valid_bpc"), "test_bpc": init_meta.get("test_bpc")}
    elif args.resume:
        vocab = Vocab.from_dict(saved["vocab"])
    else:
        vocab = Vocab.from_text(train_text, min_count=cfg.vocab_min_count)
    if cfg.train_chars:
        train_text = train_text[: cfg.train_chars]
    epoch_ids = None
    extra_ids = vocab.encode_array("")
    extra_note = ""
    if cfg.extra_text == "vital":
        from models.text import vital

        extra, report = vital.build(args.data_dir)
        extra_ids = vocab.encode_array(vocab.normalize(extra))
        extra_note = (f" + {report['kept']:,} decontaminated vital-article extracts "
                      f"({len(extra_ids):,} chars)")
        print(json.dumps({"extra_text": report}, ensure_ascii=False), flush=True)
    if cfg.spell_unk and UNK in train_text:
        if cfg.unk_lexicon == "wordfreq":
            lexicon, weights = data.wordfreq_rare_words(train_text, chars=vocab.chars[1:])
            capital = data.capital_rate(train_text, cfg.spell_unk)
            spelled_as = (f"a rare wordfreq word (frequency <= 1e-6, {len(lexicon):,} words), "
                          f"capitalised at {capital:.3f}")
        else:
            lexicon, weights, capital = data.rare_words(train_text, cfg.spell_unk), None, 0.0
            spelled_as = f"a train word seen <= {cfg.spell_unk} times"

        def epoch_ids(epoch: int) -> np.ndarray:
            spelled = data.spell_unknowns(train_text, lexicon, [cfg.seed, epoch], p=weights, capital=capital)
            return np.concatenate([vocab.encode_array(spelled), extra_ids])

        train_ids = epoch_ids(0)
        print(f"spelling {train_text.count(UNK):,} <unk> each as {spelled_as}", flush=True)
        dataset = f"wikitext-2 (train: tokenized, each <unk> spelled as {spelled_as}, drawn per epoch)"
    else:
        train_ids = np.concatenate([vocab.encode_array(train_text), extra_ids])
        dataset = "wikitext-2 (train: tokenized, <unk> -> reserved symbol)"
    dataset += extra_note
    valid_text = data.load_raw("valid", args.data_dir)
    valid_ids = vocab.encode_array(valid_text[: cfg.valid_chars] if cfg.valid_chars else valid_text)
    streams = Streams(train_ids, cfg.batch, cfg.seq_len, cfg.seed, epoch_ids)

    model = build_model(cfg, len(vocab))
    optimizer = keras.optimizers.Adam(learning_rate=cfg.lr, global_clipnorm=cfg.clipnorm)
    if on_gpu:
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    if init_model is not None:
        if init_model.units != cfg.units:
            from models.text.grow import widen as widen_into

            widen_into(init_model, model)
            print(f"widened {init_model.units} -> {cfg.units} units per layer", flush=True)
        else:
            model.set_weights(init_model.get_weights())
        del init_model
    optimizer.build(model.trainable_variables)
    n_states = 2 * cfg.layers
    train_step = make_train_step(model, optimizer, n_states, tf, loss_scale=on_gpu)

    eval_fn = make_eval_fn(model, tf)
    step = 0
    elapsed = 0.0  # training wall time, summed over resumed sessions
    best = math.inf
    curve: list[list[float]] = []
    exported = False
    states = [tf.zeros([cfg.batch, cfg.units])] * n_states
    if args.resume:
        arrays = np.load(resume_path, allow_pickle=False)
        for i, v in enumerate(model.variables):
            v.assign(arrays[f"model_{i}"])
        for i, v in enumerate(optimizer.variables):
            v.assign(arrays[f"opt_{i}"])
        states = [tf.constant(arrays[f"state_{i}"]) for i in range(n_states)]
        step, elapsed, best = saved["step"], saved["elapsed_s"], saved["best_valid_bpc"]
        curve, exported = saved["curve"], saved["exported"]
        print(f"resumed at step {step} ({elapsed / 60:.1f} min trained, best valid {best:.4f})")

    def save_resume() -> None:
        arrays = {f"model_{i}": v.numpy() for i, v in enumerate(model.variables)}
        arrays.update({f"opt_{i}": v.numpy() for i, v in enumerate(optimizer.variables)})
        arrays.update({f"state_{i}": s.numpy() for i, s in enumerate(states)})
        tmp = run_dir / "resume.tmp.npz"
        np.savez(tmp, **arrays)
        os.replace(tmp, resume_path)
        _atomic_json(state_path, {
            "config": cfg.to_dict(), "vocab": vocab.to_dict(), "step": step, "elapsed_s": elapsed,
            "best_valid_bpc": best, "curve": curve, "exported": exported, "prior": prior,
        })

    hw = hardware()
    params = int(model.count_params())
    meta_base = {"name": NAME, "config_name": args.config, "config": cfg.to_dict(), "params": params,
                 "hardware": hw, "dataset": dataset}

    def export(valid_bpc: float, test_bpc: float | None = None) -> None:
        meta = {**meta_base, "steps": step, "train_seconds": round(elapsed, 1),
                "train_chars": step * cfg.batch * cfg.seq_len, "valid_bpc": round(valid_bpc, 4),
                "valid_chars": int(len(valid_ids) - 1), "test_bpc": test_bpc,
                "learning_curve": curve, "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if prior:  # a warm start: totals over this run and the runs it began from
            meta.update(init_from=prior, total_steps=prior["steps"] + step,
                        total_train_seconds=round(prior["train_seconds"] + elapsed, 1),
                        total_train_chars=prior["train_chars"] + step * cfg.batch * cfg.seq_len)
        checkpoint.save(out_dir, NAME, float32_copy(model, cfg, len(vocab), keras), vocab, meta,
                        stored_dtype=cfg.stored_dtype)

    scalars = Scalars(run_dir / "tb", tf)
    print(f"config {args.config}: {params:,} params, vocab {len(vocab)}, {len(train_ids):,} train chars, "
          f"{streams.steps_per_epoch} steps/epoch, batch {cfg.batch}x{cfg.seq_len}, gpu={on_gpu}",
          flush=True)
    session_start = time.time()
    elapsed_at_session = elapsed
    last_ckpt = last_valid = time.time()
    chars_per_step = cfg.batch * cfg.seq_len
    bar = tqdm(total=cfg.steps, initial=step, disable=args.no_progress, dynamic_ncols=True,
               mininterval=1.0 if sys.stderr.isatty() else 30.0, smoothing=0.05)
    ema = None
    window_start, window_step = time.time(), step

    def validate() -> None:
        nonlocal best, exported, last_valid
        bpc, _ = evaluate_bpc(model, valid_ids, eval_fn=eval_fn)
        curve.append([round(elapsed, 1), round(bpc, 4), step])
        scalars.write(step, {"valid/bpc": bpc})
        improved = bpc < best
        if improved:
            best = bpc
            export(bpc)
            exported = True
        tqdm.write(f"step {step}: valid bpc {bpc:.4f} after {elapsed / 60:.1f} min"
                   f"{' (best, exported)' if improved else ''}")
        last_valid = time.time()

    stop_reason = "steps"
    while step < cfg.steps:
        x, y, new_epoch = streams.batch_at(step)
        if new_epoch:
            states = [tf.zeros([cfg.batch, cfg.units])] * n_states
        loss, states = train_step(x, y, states, tf.constant(lr_at(step, cfg, elapsed), tf.float32))
        step += 1
        elapsed = elapsed_at_session + time.time() - session_start
        loss = float(loss)
        if not math.isfinite(loss):
            sys.exit(f"loss is {loss} at step {step}; stopping (resume from the last checkpoint)")
        ema = loss if ema is None else 0.9 * ema + 0.1 * loss
        bar.update(1)
        if step % 20 == 0 or step == cfg.steps:
            rate = (step - window_step) * chars_per_step / max(1e-9, time.time() - window_start)
            bar.set_postfix(loss=f"{ema:.3f}", bpc=f"{ema / LN2:.3f}", lr=f"{lr_at(step, cfg, elapsed):.1e}",
                            cps=f"{rate:,.0f}")
            scalars.write(step, {"train/bpc": ema / LN2, "train/lr": lr_at(step, cfg, elapsed),
                                 "train/chars_per_s": rate})
            window_start, window_step = time.time(), step
        out_of_time = cfg.max_minutes > 0 and elapsed >= cfg.max_minutes * 60
        if cfg.valid_every_min > 0 and time.time() - last_valid >= cfg.valid_every_min * 60:
            validate()
        if cfg.checkpoint_every_min > 0 and time.time() - last_ckpt >= cfg.checkpoint_every_min * 60:
            save_resume()
            last_ckpt = time.time()
        if out_of_time or step == args.stop_after:
            stop_reason = "time" if out_of_time else "stop-after"
            break
    bar.close()
    if not curve or curve[-1][2] != step:
        validate()
    save_resume()
    if not exported:
        export(curve[-1][1])
    # Score the exported (best-on-valid) model on raw test and record it in its sidecar.
    best_model, _, meta = checkpoint.load(out_dir / f"{NAME}.keras")
    test_text = data.load_raw("test", args.data_dir)
    test_ids = vocab.encode_array(test_text[: cfg.test_chars] if cfg.test_chars else test_text)
    test_bpc, test_chars = evaluate_bpc(best_model, test_ids)
    meta.update(test_bpc=round(test_bpc, 4), test_chars=test_chars, stop_reason=stop_reason,
                total_wall_s=round(time.time() - wall_start, 1))
    _atomic_json(out_dir / f"{NAME}.json", meta)
    print(json.dumps({"steps": step, "train_minutes": round(elapsed / 60, 2), "best_valid_bpc": round(best, 4),
                      "test_bpc": round(test_bpc, 4), "out": str(out_dir / f"{NAME}.keras")}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
