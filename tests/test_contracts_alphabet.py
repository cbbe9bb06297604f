"""The bot's copy of the writer's alphabet (stdlib, no models import) matches the shipped model.

The bot maps /wiki seeds onto ``workers.contracts.WIKI_ALPHABET`` before enqueueing; the
worker reads them with the vocabulary in the checkpoint's sidecar. A character in the
sidecar but not here is needlessly replaced; one here but not there is refused by the worker.
"""

from __future__ import annotations

import json
from pathlib import Path

from models.text.vocab import UNK, Vocab
from workers import contracts

SIDECAR = Path(__file__).resolve().parents[1] / "models" / "checkpoints" / "wiki_writer.json"


def test_the_bot_alphabet_is_the_shipped_writers_vocabulary():
    vocab = Vocab.from_dict(json.loads(SIDECAR.read_text())["vocab"])
    assert set(contracts.WIKI_ALPHABET) == set(vocab.chars) - {UNK}
    assert UNK not in contracts.WIKI_ALPHABET
