"""The in-loop sentence-end automaton finds exactly the ends ``end_cleanly`` cuts at.

Random strings over the characters that matter (spaced punctuation, closers, quotes,
newlines) are read by :class:`SentenceEnds` one step at a time, as the generation loop
reads them, and compared with the regular expressions of ``models.text.format``.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from models.text import format as fmt  # noqa: E402
from models.text.sentence_stop import SentenceEnds  # noqa: E402
from models.text.vocab import Vocab  # noqa: E402

ALPHABET = " .!?\"')]\na=\tx"
WEIGHTS = np.array([8, 3, 1, 1, 2, 1, 1, 1, 1, 3, 1, 0.3, 1])


def _strings(rng, count, length):
    picks = rng.choice(len(ALPHABET), size=(count, length), p=WEIGHTS / WEIGHTS.sum())
    return ["".join(ALPHABET[i] for i in row) for row in picks]


def _read(ends: SentenceEnds, vocab: Vocab, prompts: list[str], texts: list[str]):
    """Run the automaton over each written text; per row, every end it reports, by step."""
    ids = np.array([vocab.encode(text) for text in texts], np.int32)  # all the same length
    previous = tf.constant([vocab.encode(p[-1:] or " ")[0] for p in prompts], tf.int32)
    state = ends.start(tf.constant([fmt.open_quote(p) for p in prompts]))
    found = [[] for _ in texts]  # (step, end, quoted)
    for t in range(ids.shape[1]):
        token = tf.constant(ids[:, t])
        state, sentence, s_quoted, line, l_quoted = ends.step(state, previous, token, tf.constant(t))
        for ends_at, quoted_at in ((sentence.numpy(), s_quoted.numpy()), (line.numpy(), l_quoted.numpy())):
            for row in np.flatnonzero(ends_at >= 0):
                found[row].append((t, int(ends_at[row]), bool(quoted_at[row])))
        previous = token
    return found


def _regex_ends(prompt: str, written: str) -> list[tuple[int, bool]]:
    """The candidate ends ``end_cleanly`` considers, in written characters, with their quote state."""
    text, keep = prompt + written, len(prompt)
    ends = sorted({m.end() for m in fmt._SENTENCE_END.finditer(text, keep)}
                  | {m.start() for m in fmt._LINE_END.finditer(text, keep)})
    return [(e - keep, fmt.open_quote(text, e)) for e in ends if e > keep]


def test_the_automaton_reports_every_end_the_patterns_find_and_no_other():
    rng = np.random.default_rng(0)
    vocab = Vocab(ALPHABET)
    ends = SentenceEnds(vocab.chars)
    prompts = [p.replace("\t", "") for p in _strings(rng, 2000, 6)]
    # A closing newline and letter make every end certain within the text (no end of string).
    texts = [s + "\nx" for s in _strings(rng, 2000, 40)]
    for prompt, text, found in zip(prompts, texts, _read(ends, vocab, prompts, texts), strict=True):
        # (A sentence end right before a newline is reported twice, once as each.)
        # (end_cleanly never cuts at 0 characters, and the generator never stops there.)
        reported = sorted({(end, quoted) for _, end, quoted in found if end > 0})
        assert reported == _regex_ends(prompt, text), (prompt, text)
        assert all(step >= end for step, end, _ in found)  # never reported before it is written


def test_stopping_at_the_first_certain_end_past_the_length_keeps_the_same_article():
    rng = np.random.default_rng(1)
    vocab = Vocab(ALPHABET)
    ends = SentenceEnds(vocab.chars)
    prompts = [p.replace("\t", "") for p in _strings(rng, 2000, 6)]
    texts = _strings(rng, 2000, 60)
    lengths = rng.integers(1, 45, size=2000)
    slacks = rng.integers(0, 20, size=2000)
    stopped = 0
    for prompt, text, found, length, slack in zip(prompts, texts, _read(ends, vocab, prompts, texts),
                                                  lengths, slacks, strict=True):
        keep, full = len(prompt), prompt + text
        # The generator's rule: the first reported end within [length, length + slack], outside a quote.
        stops = [step for step, end, quoted in found if length <= end <= length + slack and not quoted]
        if stops:
            stopped += 1
            early = prompt + text[: stops[0] + 1]
            assert fmt.end_cleanly(early, keep, int(length), int(slack)) == \
                fmt.end_cleanly(full, keep, int(length), int(slack)), (prompt, text, length, slack)
    assert stopped > 500  # the property was exercised, not vacuous
