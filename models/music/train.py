"""Train one music model for one genre and ship its checkpoint.

    python -m models.music.train --model lstm --genre chorale [--max-minutes 30]
        [--resume] [--out models/checkpoints] [--config tiny|default|FILE.json]
        [--set units=512 --set dropout=0.3] [--seed 0] [--data-dir DIR]
        [--extra-data music21]

Dispatches by kind (``models.music.<kind>``, see ``registry.py``). The genre's
grid and transposition range come from the genre registry. While training, the
resumable state lives under ``runs/music/<kind>_<genre>/`` (git-ignored):
``resume.keras`` (model with optimizer slots), ``state.json`` and
``state.npz`` (best weights). At the end the best weights are written, without
optimizer state, to ``<out>/music_<kind>_<genre>.keras`` with a JSON sidecar
(kind, genre, dataset, grid, config, train/valid/test NLL and their gap, steps,
wall time, hardware, date).

``--init-from CHECKPOINT`` fine-tunes a shipped model (its config, ``--set``
overrides); for the RNN-RBM a larger ``--set hidden=H`` first widens the RBM
(``rnn_rbm.widen``: new units start near zero, so the NLL is unchanged).

``--extra-data music21`` appends the genre's cached music21 corpus rolls
(``models.music.corpus``, built beforehand, checksums verified) to the train split
only; valid and test stay the genre's own. The sidecar's ``dataset`` then says so, and
``extra_data`` gives the pieces, frames and checksums read. A model trained so is no
benchmark row: those are trained on the benchmark train splits alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from models.music import registry

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNS_DIR = REPO_ROOT / "runs" / "music"
# --init-from with a larger --set hidden=H (RNN-RBM): the new hidden units' weights start at
# N(0, WIDEN_STDDEV), small enough to keep the model's NLL, large enough to break symmetry.
WIDEN_STDDEV = 0.01


def hardware() -> str:
    """CPU model and core count (and GPUs, if TensorFlow sees any)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    desc = f"{cpu}, {os.cpu_count()} cores"
    try:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            desc += f", {len(gpus)} GPU"
    except ImportError:
        pass
    return desc


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def make_config(mod: Any, genre: str, spec: str, overrides: list[str], info: dict[str, Any]) -> Any:
    """Module defaults (per genre when the module has ``config_for_genre``), then the
    genre registry's grid and transposition, then ``--set key=value`` overrides."""
    if spec == "tiny":
        config = mod.Config.tiny()
    elif spec == "default":
        config = mod.config_for_genre(genre) if hasattr(mod, "config_for_genre") else mod.Config()
    else:
        config = mod.Config.from_dict(json.loads(Path(spec).read_text(encoding="utf-8")))
    names = {f.name for f in dataclasses.fields(config)}
    grid = {key: int(info[key]) for key in ("steps_per_beat", "transpose") if key in names and key in info}
    return apply_overrides(dataclasses.replace(config, **grid), overrides)


def apply_overrides(config: Any, overrides: list[str]) -> Any:
    """``config`` with ``--set KEY=VALUE`` items applied (KEY must be a field)."""
    names = {f.name for f in dataclasses.fields(config)}
    updates: dict[str, Any] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or key not in names:
            raise SystemExit(f"--set {item!r}: expected KEY=VALUE with KEY in {sorted(names)}")
        updates[key] = parse_value(value)
    return dataclasses.replace(config, **updates)


# ---------------------------------------------------------------------------
# Resumable state on disk: JSON for scalars, npz (no pickle) for arrays


def _layers(model: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"})
            for layer in model.layers]


def rebuilt(mod: Any, model: Any, config: Any) -> Any:
    """``model``'s weights in a model built anew from ``config``.

    A loaded Keras model keeps the layers it was saved with, so a changed dropout or
    input dropout (``--set dropout=0.5``) takes effect only in a model built from the
    new config; the weights carry over when the shapes agree.
    """
    fresh = mod.build_model(config)
    if _layers(fresh) == _layers(model):
        return model  # nothing the layers hold changed: keep it, and a resumed run's optimizer slots
    old, new = model.get_weights(), fresh.get_weights()
    if [w.shape for w in old] != [w.shape for w in new]:
        raise SystemExit("--set changed the shape of the model's weights: only the RBM's hidden units can grow")
    fresh.set_weights(old)
    return fresh


def save_state(run_dir: Path, model: Any, config: Any, state: dict[str, Any]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    plain: dict[str, Any] = {}
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            arrays[key] = value
        elif isinstance(value, list | tuple) and value and isinstance(value[0], np.ndarray):
            plain[f"{key}__count"] = len(value)
            for i, a in enumerate(value):
                arrays[f"{key}__{i}"] = a
        else:
            plain[key] = value
    tmp = Path(tempfile.mkdtemp(dir=run_dir))
    model.save(tmp / "resume.keras")
    np.savez(tmp / "state.npz", **arrays)
    (tmp / "state.json").write_text(json.dumps(plain, default=float), encoding="utf-8")
    (tmp / "config.json").write_text(json.dumps(config.to_dict(), indent=1), encoding="utf-8")
    for name in ("resume.keras", "state.npz", "state.json", "config.json"):
        os.replace(tmp / name, run_dir / name)
    shutil.rmtree(tmp, ignore_errors=True)


def load_state(run_dir: Path) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """(compiled model, config dict, state) from a run folder."""
    import keras

    plain = json.loads((run_dir / "state.json").read_text(encoding="utf-8"))
    config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    with np.load(run_dir / "state.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    state: dict[str, Any] = {}
    for key, value in plain.items():
        if key.endswith("__count"):
            base = key[: -len("__count")]
            state[base] = [arrays[f"{base}__{i}"] for i in range(int(value))]
        else:
            state[key] = value
    for key, value in arrays.items():
        if "__" not in key:
            state[key] = value
    model = keras.saving.load_model(run_dir / "resume.keras", compile=True)
    return model, config, state


def save_clean(model: Any, path: Path) -> None:
    """Write the model without optimizer slots (shipped checkpoints stay small)."""
    import keras

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "model.keras"
        model.save(staged)
        clean = keras.saving.load_model(staged, compile=False)
        clean.save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, choices=sorted(registry.KINDS))
    parser.add_argument("--genre", required=True)
    parser.add_argument("--resume", action="store_true", help="continue runs/music/<kind>_<genre>")
    parser.add_argument("--max-minutes", type=float, default=None, help="training time budget")
    parser.add_argument("--out", type=Path, default=registry.CHECKPOINT_DIR)
    parser.add_argument("--config", default="default", help="tiny, default or a JSON file")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--run-dir", type=Path, default=None, help="default runs/music/<kind>_<genre>")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--extra-data", choices=["music21"], default=None,
        help="append the cached music21 corpus rolls of the genre to train (never valid/test)",
    )
    parser.add_argument("--extra-cache-dir", type=Path, default=None, help="default var/cache/music21")
    parser.add_argument(
        "--train-in-c", action="store_true",
        help="move each train piece to C (its estimated tonic, the Boulanger sets' convention) "
        "before training; valid and test stay as written",
    )
    parser.add_argument(
        "--init-from", type=Path, default=None, metavar="CHECKPOINT",
        help="fine-tune: start from the weights and config of a .keras checkpoint of the same kind "
        "(fresh optimizer and early-stopping state; --set overrides its config)",
    )
    args = parser.parse_args(argv)
    if args.init_from is not None and args.resume:
        parser.error("--init-from and --resume are exclusive")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    mod = registry.module(args.model)
    info = registry.genre_info(args.genre)
    data = registry.load_genre_data(args.genre, args.data_dir)
    dataset, extra = info.get("dataset"), None
    if args.extra_data:
        from models.music import corpus

        try:
            data, extra = corpus.with_extra(data, args.genre, args.extra_data, args.extra_cache_dir)
        except corpus.CorpusError as err:
            raise SystemExit(f"--extra-data {args.extra_data}: {err}") from err
        dataset = (f"{dataset} train + {extra['name']} {extra['version']} corpus "
                   f"({extra['pieces']} pieces, {extra['frames']} frames)")
        print(f"train split: {dataset}", file=sys.stderr)
    train_key = None
    if args.train_in_c:
        from models.music import corpus

        data, shifts = corpus.train_in_c(data, int(info["steps_per_beat"]))
        train_key = {"tonic": "C", "estimate": "Krumhansl-Kessler", "shifts": shifts}
        moved = sum(1 for s in shifts if s)
        print(f"train split moved to C: {moved} of {len(shifts)} pieces shifted {shifts}", file=sys.stderr)
    run_dir = args.run_dir or RUNS_DIR / f"{args.model}_{args.genre}"

    state = None
    if args.resume and (run_dir / "state.json").exists():
        model, config_dict, state = load_state(run_dir)
        config = mod.Config.from_dict(config_dict)
        # e.g. --set max_epochs=800 or --set patience=20 to go further
        resumed_config, config = config, apply_overrides(config, args.set)
        if config != resumed_config:
            model = rebuilt(mod, model, config)
        print(f"resuming {run_dir} at epoch {state.get('epoch')}", file=sys.stderr)
    elif args.init_from is not None:
        model, config, sidecar = registry.load(args.init_from)
        if sidecar.get("kind") != args.model:
            raise SystemExit(f"--init-from {args.init_from}: a {sidecar.get('kind')} checkpoint, not {args.model}")
        start_config, config = config, apply_overrides(config, args.set)
        keras.utils.set_random_seed(args.seed)
        if getattr(config, "hidden", None) != getattr(start_config, "hidden", None) and hasattr(mod, "widen"):
            # e.g. --set hidden=800: a wider RBM with the same distribution to start from
            model = mod.widen(model, start_config, config.hidden, stddev=WIDEN_STDDEV, seed=args.seed)
            print(f"widened the RBM from {start_config.hidden} to {config.hidden} hidden units", file=sys.stderr)
        elif config != start_config:
            model = rebuilt(mod, model, config)
        print(f"fine-tuning from {args.init_from}", file=sys.stderr)
        state = {"validate_start": True}
    else:
        config = make_config(mod, args.genre, args.config, args.set, info)
        keras.utils.set_random_seed(args.seed)
        model = mod.build_model(config)

    def on_checkpoint(m: Any, st: dict[str, Any]) -> None:
        save_state(run_dir, m, config, st)

    metrics = mod.fit(
        model,
        config,
        data["train"],
        data["valid"],
        seed=args.seed,
        max_minutes=args.max_minutes,
        state=state,
        on_checkpoint=on_checkpoint,
        progress=not args.no_progress,
    )
    test = mod.frame_nll(model, config, data["test"])
    history = metrics.pop("history", [])
    metrics.update(
        test_nll=test["nll"],
        test_frames=test["frames"],
        train_valid_gap=metrics["valid_nll"] - metrics["train_nll"],
    )
    metrics.pop("gap", None)
    for key, value in test.items():
        if key not in ("nll", "frames"):
            metrics[f"test_{key}"] = value

    name = registry.checkpoint_name(args.model, args.genre)
    path = args.out / f"{name}.keras"
    save_clean(model, path)
    sidecar = {
        "kind": args.model,
        "genre": args.genre,
        "dataset": dataset,
        **({"extra_data": extra} if extra else {}),
        **({"train_key": train_key} if train_key else {}),
        "steps_per_beat": getattr(config, "steps_per_beat", info.get("steps_per_beat")),
        "config": config.to_dict(),
        "metrics": metrics,
        "steps": metrics.get("steps"),
        "wall_seconds": metrics.get("wall_seconds"),
        "params": int(model.count_params()),
        "history": history,
        "seed": args.seed,
        "command": "python -m models.music.train " + " ".join(sys.argv[1:] if argv is None else argv),
        "hardware": hardware(),
        "versions": {"tensorflow": __import__("tensorflow").__version__, "keras": keras.__version__},
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "size_bytes": path.stat().st_size,
    }
    registry.sidecar_path(path).write_text(json.dumps(sidecar, indent=1), encoding="utf-8")
    print(json.dumps({"checkpoint": str(path), **{k: v for k, v in metrics.items()}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
