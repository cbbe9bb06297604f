"""Per genre and kind, side by side: comparable NLL, classifier share, statistics overlap, default.

    python bench/music_genre_checks.py [--genres G ...] [--kinds K ...] [--clips 50]
        [--max-pieces N] [--retrain-classifier] [--calibrate] [--recorded] [--write] [--json OUT]

1. The genre classifier (``models.music.classifier``): the shipped weights
   (``models/checkpoints/genre_classifier.json``), or with ``--retrain-classifier``
   trained anew on the six genres' train splits (deterministic) and saved there;
   its held-out accuracy on real clips of the valid and test splits is printed.
2. For every shipped checkpoint of the chosen genres and kinds: the comparable NLL
   (``models.music.quality``: frames after the first 4 bars of each valid piece,
   given those bars), ``--clips`` clips of 30 s made as ``/compose`` makes them
   (temperature 1.0, i.e. each model's own sampling temperature, seeds 0..N-1; the
   encoder-decoder primed with a bar of the genre's best from-silence kind), the share
   the classifier gives their own genre and the mean statistics overlap with the valid
   split. With ``--calibrate`` each model's sampling temperature is first set anew
   (``quality.calibrate_temperature``: its clips as dense as the genre's train split,
   from seeds the checks do not use), the from-silence kinds before the primed one.
3. The default each genre gets from those (``registry.best_choice``) and why.

Everything is recorded in a scratch copy of the sidecars (the encoder-decoder's
primer comes from the new choice); ``--write`` copies the ``sampling``, ``checks`` and ``default``
entries back into ``models/checkpoints/*.json``. ``--samples DIR`` also writes the
first clip of each genre's default as MIDI and as OGG rendered with FluidSynth
(``default_<kind>_<genre>``, replacing the genre's earlier default's files). ``--recorded`` scores nothing: it takes
every kind's checks as the sidecars hold them and re-derives only the defaults (after
a change to the rule of ``best_choice``); a primed kind whose recorded clips were primed
by another kind than the genre's from-silence choice now is named as stale, to re-check.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.music import classifier as clf  # noqa: E402
from models.music import quality, registry  # noqa: E402
from models.music.datasets import load_genre  # noqa: E402
from models.music.genres import GENRES, get_genre  # noqa: E402


def _fmt(x: object, spec: str) -> str:
    return "–" if x is None or (isinstance(x, float) and x != x) else format(x, spec)


def scratch_copy(model_dir: Path) -> Path:
    """A folder with links to the checkpoints and copies of their sidecars."""
    out = Path(tempfile.mkdtemp(prefix="genre-checks-"))
    for side in model_dir.glob("music_*.json"):
        keras_file = side.with_suffix(".keras")
        if keras_file.is_file():
            shutil.copy(side, out / side.name)
            (out / keras_file.name).symlink_to(keras_file.resolve())
    return out


def write_sample(kind: str, genre: str, folder: Path, loader, directory: Path) -> None:
    """``default_<kind>_<genre>.mid`` and ``.ogg``: the default's first clip (seed 0, as the
    checks make it), rendered by ``workers.render`` with FluidSynth (an error where it is
    missing: the built-in synthesizer is no sample of the bot). The genre's samples of
    other kinds, earlier defaults, are removed."""
    from workers.render import render_clip

    folder.mkdir(parents=True, exist_ok=True)
    for other in registry.KINDS:
        if other != kind:
            for ext in ("mid", "ogg"):
                (folder / f"default_{other}_{genre}.{ext}").unlink(missing_ok=True)
    g = get_genre(genre)
    roll = registry.compose(kind, genre, clf.clip_steps(genre), seed=0, loader=loader, directory=directory)
    primer = registry.bar_steps(genre) if registry.needs_primer(kind) else 0
    out = render_clip(roll, g.steps_per_beat, g.tempo, g.programs, genre=genre, model=kind,
                      beats_per_bar=g.beats_per_bar, primer_steps=primer, sample_rate=22050,
                      engine="fluidsynth", formats=("ogg",))
    (folder / f"default_{kind}_{genre}.mid").write_bytes(out["midi"])
    (folder / f"default_{kind}_{genre}.ogg").write_bytes(out["ogg"])
    print(f"{folder / f'default_{kind}_{genre}.ogg'}: {len(out['ogg']) / 1024:.0f} KiB, "
          f"{out['seconds']:.1f} s, {out['notes']} notes, engine {out['engine']}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--genres", nargs="+", default=list(GENRES), choices=list(GENRES))
    parser.add_argument("--kinds", nargs="+", default=list(registry.KINDS), choices=list(registry.KINDS))
    parser.add_argument("--clips", type=int, default=50)
    parser.add_argument("--max-pieces", type=int, default=None, help="valid pieces for the NLL (default: all)")
    parser.add_argument("--model-dir", type=Path, default=registry.CHECKPOINT_DIR)
    parser.add_argument("--classifier", type=Path, default=clf.DEFAULT_PATH)
    parser.add_argument("--retrain-classifier", action="store_true")
    parser.add_argument("--calibrate", action="store_true",
                        help="first set each model's sampling temperature to match the train split's note density")
    parser.add_argument("--write", action="store_true", help="record checks and defaults in the sidecars")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--samples", type=Path, default=None, help="write each default's first clip here")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--recorded", action="store_true",
                        help="score nothing: re-derive the defaults from the checks the sidecars hold")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    data = {} if args.recorded else {g: load_genre(g, args.data_dir) for g in GENRES}
    if not args.recorded and (args.retrain_classifier or not args.classifier.is_file()):
        classifier = clf.train(data)
        clf.save(classifier, args.classifier)
        print(f"classifier trained and saved to {args.classifier} ({time.perf_counter() - started:.0f} s)")
    else:
        classifier = clf.load(args.classifier)
    held = classifier.info["heldout"]
    print(f"\nclassifier, held-out real clips of {clf.CLIP_SECONDS:g} s (valid + test splits): "
          f"balanced accuracy {held['balanced_accuracy']:.3f} (usable from {clf.MIN_ACCURACY})")
    print("| genre | real clips | classified as own genre | confused with |")
    print("| --- | ---: | ---: | --- |")
    for genre, row in held["per_genre"].items():
        others = {g: n for g, n in held["confusion"][genre].items() if g != genre}
        print(f"| {genre} | {row['clips']} | {row['accuracy']:.1%} | "
              f"{', '.join(f'{g} {n}' for g, n in others.items()) or '–'} |")

    work = scratch_copy(args.model_dir)
    cache: dict[Path, tuple] = {}

    def loader(path: Path) -> tuple:  # the scratch sidecar, not the one beside the linked file
        path = Path(path).absolute()
        if path not in cache:
            cache[path] = registry.load(path)
        return cache[path]

    ordered = [k for k in registry.FROM_SILENCE if k in args.kinds] + [
        k for k in args.kinds if k not in registry.FROM_SILENCE]
    results: dict[str, dict] = {}
    stale: list[str] = []
    for genre in args.genres:
        results[genre] = {"kinds": {}}
        for kind in ordered:
            path = registry.shipped(work).get((kind, genre))  # a placeholder is not offered, nor checked
            if path is None:
                continue
            if args.recorded:
                recorded = registry.read_sidecar(path).get("checks")
                if isinstance(recorded, dict):
                    results[genre]["kinds"][kind] = recorded
                continue
            valid = data[genre][quality.CHECK_SPLIT][: args.max_pieces]
            t0 = time.perf_counter()
            if args.calibrate:
                sampling = quality.calibrate_temperature(kind, genre, loader=loader, directory=work,
                                                         data_dir=args.data_dir)
                quality.write_sampling(path, sampling)
                cache.pop(Path(path).absolute(), None)  # reload with the new sidecar
                print(f"{genre:16s} {kind:8s} sampling temperature {sampling['temperature']:.3f}: "
                      f"{sampling['density']:.2f} notes a beat (train {sampling['target_density']:.2f}, "
                      f"at 1.0 {_fmt(sampling['density_at_1'], '.2f')}; {time.perf_counter() - t0:.0f} s)",
                      flush=True)
                t0 = time.perf_counter()
            model, config, sidecar = loader(path)
            nll = quality.comparable_nll(kind, model, config, valid, genre)
            t1 = time.perf_counter()
            clips = quality.make_clips(kind, genre, args.clips, loader=loader, directory=work)
            t2 = time.perf_counter()
            checks = quality.check_clips(genre, clips, classifier, data_dir=args.data_dir)
            checks.update({
                "comparable_nll": nll["nll"], "comparable_frames": nll["frames"],
                "comparable_start_steps": nll["start"], "comparable_bars": quality.COMPARABLE_BARS,
                "comparable_pieces": nll["pieces"], "split": quality.CHECK_SPLIT,
                "estimate": bool(nll.get("estimate", False)), "temperature": 1.0,
                "sampling_temperature": registry.sampling_temperature(sidecar),
                "primed_by": registry.best_kind(genre, registry.FROM_SILENCE, work)
                if registry.needs_primer(kind) else None,
                "command": "python bench/music_genre_checks.py --write"
                + (" --calibrate" if args.calibrate else ""),
            })
            if nll.get("estimate"):
                checks["ais_betas"] = nll.get("ais_betas")
                checks["ais_frames"] = nll["frames"]
            quality.write_checks(path, checks)
            results[genre]["kinds"][kind] = checks
            print(f"{genre:16s} {kind:8s} nll {nll['nll']:7.3f} ({nll['frames']} frames, {t1 - t0:.0f} s)  "
                  f"share {checks['classifier_share']:.2f}  overlap {checks['mean_overlap']:.3f}  "
                  f"clips {t2 - t1:.0f} s", flush=True)
        choice = quality.write_default(genre, work)
        lead = registry.best_kind(genre, registry.FROM_SILENCE, work)
        stale += [f"{genre} {kind} (primed by {c.get('primed_by')}, now {lead})"
                  for kind, c in results[genre]["kinds"].items()
                  if registry.needs_primer(kind) and c.get("primed_by") != lead]
        if choice:
            results[genre]["default"] = {"kind": choice[0], "reason": choice[1]}
            if args.samples:
                write_sample(choice[0], genre, args.samples, loader, work)

    print(f"\nper genre and kind: comparable NLL on {quality.CHECK_SPLIT} (frames after "
          f"{quality.COMPARABLE_BARS} bars, given them), {args.clips} clips of {clf.CLIP_SECONDS:g} s: "
          f"share classified as their genre (target {quality.SHARE_TARGET:.0%}), mean overlap "
          f"(target {quality.OVERLAP_TARGET})")
    print("| genre | kind | comparable NLL | classified as genre | mean overlap | passes | default |")
    print("| --- | --- | ---: | ---: | ---: | :---: | :---: |")
    for genre, res in results.items():
        for kind, c in res["kinds"].items():
            est = " (AIS)" if c["estimate"] else ""
            print(f"| {genre} | {kind} | {_fmt(c['comparable_nll'], '.3f')}{est} | "
                  f"{_fmt(c['classifier_share'], '.0%')} | {_fmt(c['mean_overlap'], '.3f')} | "
                  f"{'yes' if c['passed'] else 'no'} | {'**yes**' if res.get('default', {}).get('kind') == kind else ''} |")
    print()
    for genre, res in results.items():
        if "default" in res:
            print(f"{genre}: {res['default']['kind']}: {res['default']['reason']}")
    if stale:
        print("\nstale checks, primed by another kind than the from-silence choice: " + "; ".join(stale))
    if args.write:
        for side in work.glob("music_*.json"):
            target = args.model_dir / side.name
            meta = json.loads(target.read_text(encoding="utf-8"))
            new = json.loads(side.read_text(encoding="utf-8"))
            for key in ("sampling", "checks", "default"):
                if key in new:
                    meta[key] = new[key]
            target.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        print(f"\nwrote sampling, checks and defaults into {args.model_dir}")
    if args.json:
        args.json.write_text(json.dumps(quality._plain(results), indent=1) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
