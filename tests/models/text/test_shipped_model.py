"""The shipped Wikipedia writer: loads, is what its sidecar says, scores and writes as it should.

The real checkpoint (``models/checkpoints/wiki_writer.keras``), the real raw test
split, the real sampler: a retrained, truncated or corrupted checkpoint fails here.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

from models.text import evaluate
from models.text.char_lstm import get_config
from models.text.checkpoint import load
from models.text.format import format_article
from models.text.generate import TextGenerator

SEED = "I plan to make the world a better place by"


@pytest.fixture(scope="module")
def shipped():
    return load(evaluate.DEFAULT_CHECKPOINT)


def test_checkpoint_and_sidecar(shipped):
    model, vocab, meta = shipped
    path = evaluate.DEFAULT_CHECKPOINT
    assert path.stat().st_size < 25 * 2**20 and path.with_suffix(".json").is_file()
    assert meta["params"] == model.count_params() and len(vocab) == model.vocab_size
    assert 0 < meta["test_bpc"] < meta["valid_bpc"] + 0.3 and meta["test_chars"] > 1_000_000
    assert meta["learning_curve"] and meta["train_seconds"] > 0
    # what `train --init-from` checks, so a warm restart with the config the sidecar names can start
    cfg = get_config(meta["config_name"])
    assert {k: meta["config"][k] for k in ("layers", "units", "embedding")} == {
        "layers": cfg.layers, "units": cfg.units, "embedding": cfg.embedding}
    assert model.units == cfg.units and meta["stored_dtype"] == cfg.stored_dtype


@pytest.mark.slow
def test_prefix_of_raw_test_scores_near_the_sidecar(shipped, capsys):
    assert evaluate.main(["--split", "test", "--max-chars", "60000"]) == 0
    line = json.loads(capsys.readouterr().out.strip())
    assert line["dataset"] == "wikitext-2-raw" and line["split"] == "test" and line["chars"] > 50_000
    assert abs(line["bpc"] - shipped[2]["test_bpc"]) < 0.25, line


def test_the_readme_seed_gets_an_article_that_continues_it(shipped):
    model, vocab, _ = shipped
    # as /wiki asks (workers.pipeline): no new article before the requested length
    (text,) = TextGenerator(model, vocab).generate([SEED], 600, temperature=0.8, seed=1, min_chars=500)
    assert text.startswith(SEED) and len(text) > len(SEED) + 100
    title, markdown = format_article(text)
    assert SEED in markdown and "@-@" not in markdown
