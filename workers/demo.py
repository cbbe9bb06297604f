"""``make demo``: write one article through the real queue path, with zero external services.

Starts the embedded stack (a private Redis server and a Celery worker child),
enqueues a :class:`WikiJob` by task name exactly as the bot does, shows its
progress, writes the article to ``var/demo/article.md`` and shuts everything
down. Uses the shipped ``models/checkpoints/wiki_writer.keras`` (or MODEL_DIR);
if there is none, it trains the tiny config into a temporary directory first
and says so.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from workers import contracts
from workers.app import create_app
from workers.contracts import ErrorResult, WikiJob, WikiResult, result_from_dict
from workers.embedded import EmbeddedError, EmbeddedStack
from workers.settings import REPO_ROOT, get_settings, load_settings

DEFAULT_SEED = "I plan to make the world a better place by"


def _train_tiny(out: Path) -> None:
    print(f"No checkpoint at {get_settings().wiki_checkpoint()}; training the tiny config into {out} "
          "(a few seconds; the article will read like it).", flush=True)
    subprocess.run([sys.executable, "-m", "models.text.train", "--config", "tiny", "--out", str(out)],
                   cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)


def run_demo(seed: str, length: int, temperature: float, rng_seed: int | None, out: Path,
             timeout: float) -> int:
    settings = get_settings()
    env: dict[str, str] = {}
    tmp_models: Path | None = None
    if not settings.wiki_checkpoint().is_file():
        tmp_models = Path(tempfile.mkdtemp(prefix="wikimuse-demo-model-"))
        _train_tiny(tmp_models)
        env["MODEL_DIR"] = str(tmp_models)
    out.parent.mkdir(parents=True, exist_ok=True)
    worker_log = out.parent / "worker.log"
    try:
        started = time.perf_counter()
        with EmbeddedStack(env=env, log_path=worker_log) as stack:
            print(f"Embedded Redis and Celery worker up in {time.perf_counter() - started:.1f}s "
                  f"(worker log: {worker_log})", flush=True)
            app = create_app(load_settings({"REDIS_URL": stack.redis_url}))
            job = WikiJob(job_id=contracts.new_job_id(), seed=seed, length=length,
                          temperature=temperature, rng_seed=rng_seed)
            sent = app.send_task(contracts.TASK_WIKI, args=[job.to_dict()])
            result = _wait(app, sent.id, timeout)
            app.close()
    finally:
        if tmp_models is not None:
            shutil.rmtree(tmp_models, ignore_errors=True)
    if isinstance(result, ErrorResult):
        print(f"The worker returned an error ({result.code}): {result.message}", file=sys.stderr)
        return 1
    assert isinstance(result, WikiResult)
    out.write_text(f"# {result.title}\n\n{result.markdown}\n", encoding="utf-8")
    print(f"Wrote a {result.chars}-character article ({result.seconds:.1f}s of generation, "
          f"seed {result.rng_seed}) to {out}")
    return 0


def _wait(app, task_id: str, timeout: float) -> WikiResult | ErrorResult:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        meta = app.backend.get_task_meta(task_id)  # state and info in one read
        state, info = meta["status"], meta.get("result")
        if state == contracts.STATE_PROGRESS and isinstance(info, dict):
            shown = (info.get("phase"), round(float(info.get("fraction", 0)), 2))
            if shown != last:
                print(f"  {shown[0]}... {shown[1]:.0%}", flush=True)
                last = shown
        if state in ("SUCCESS", "FAILURE"):
            return result_from_dict(app.AsyncResult(task_id).get(timeout=5))  # type: ignore[return-value]
        time.sleep(0.1)
    raise EmbeddedError(f"no result after {timeout:.0f}s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", default=DEFAULT_SEED)
    parser.add_argument("--length", type=int, default=contracts.WIKI_LENGTH_DEFAULT)
    parser.add_argument("--temperature", type=float, default=contracts.WIKI_TEMPERATURE_DEFAULT)
    parser.add_argument("--rng-seed", type=int, default=None)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "var" / "demo" / "article.md")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    try:
        return run_demo(args.seed, args.length, args.temperature, args.rng_seed, args.out.resolve(),
                        args.timeout)
    except (EmbeddedError, subprocess.CalledProcessError) as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
