"""Batched text generation with the whole sampling loop inside one ``tf.function``.

The prompt is run through the LSTM once to prime the state; then a
``tf.while_loop`` feeds one character per step straight through the cells,
carrying ``[h, c]`` of every layer from step to step. Nothing is re-run over a
window, and there is no Python or eager call per character.

The function is compiled with XLA (``jit_compile``), which turns the loop into
native code: at batch 1 that is several times faster than TensorFlow's graph
executor, whose per-op overhead dominates a step this small. XLA needs static
shapes, so the batch, the prompt length and the number of steps are rounded up
to buckets; the function is traced and compiled once per (batch, prompt,
length) bucket and model, and every call in the same bucket reuses it.
Temperature, top-k, top-p, stop mode and the true length are tensors, so they
never cause a retrace.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from models import sampling
from models.text.format import open_quote
from models.text.sentence_stop import SentenceEnds
from models.text.vocab import UNK_ID, Vocab

# Context fed before every prompt: the end of a blank line and the space that
# opens every WikiText paragraph line, so the prompt reads as a paragraph start.
PRIME_PREFIX = " \n "
STOP_NONE, STOP_ARTICLE, STOP_SECTION = 0, 1, 2
SEED_MAX = 2**31 - 1
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)
PROMPT_BUCKET = 64  # prompt widths round up to a multiple of this
STEPS_BUCKET = 256  # numbers of new characters round up to a multiple of this


def _bucket(n: int, size: int) -> int:
    return max(size, -(-n // size) * size)


class TextGenerator:
    """Samples text from a :class:`~models.text.char_lstm.CharLSTM`.

    Args:
        model: a built CharLSTM.
        vocab: its vocabulary.
        prime_prefix: context fed before each prompt (not part of the output).
    """

    def __init__(self, model, vocab: Vocab, prime_prefix: str = PRIME_PREFIX,
                 jit_compile: bool = True) -> None:
        self.model = model
        self.vocab = vocab
        self.prime_prefix = prime_prefix
        self.traces = 0  # how many times the tf.function was traced (once per bucket)
        bias = np.zeros(len(vocab), np.float32)
        bias[UNK_ID] = sampling.NEG_INF  # never emit the unknown symbol
        self._logit_bias = tf.constant(bias)
        ids = {c: (vocab.encode(c)[0] if c in vocab else -1) for c in "\n ="}
        self._newline, self._space, self._equals = ids["\n"], ids[" "], ids["="]
        self._sentence_ends = SentenceEnds(vocab.chars)
        # Arguments: prompt ids right-aligned (B, P) int32; first real position of each row
        # (B,); max new characters; temperature; top_k (0 = off); top_p (1 = off); one
        # uniform number per row and step (B, M); stop mode; per row (B,): the minimum length,
        # where a sentence end may stop it (0 = never) and whether its prompt leaves a quote
        # open; the slack after that length. Shapes are bucketed.
        self._fn = tf.function(self._generate, jit_compile=jit_compile, reduce_retracing=False)

    # -- the graph -----------------------------------------------------------------------

    def _step(self, tokens: tf.Tensor, states: list[tf.Tensor]) -> tuple[tf.Tensor, list[tf.Tensor]]:
        """One character for every row: tokens (B,) -> logits (B, V), new states."""
        x = tf.gather(self.model.embedding.embeddings, tokens)  # (B, E)
        x = tf.cast(x, self.model.compute_dtype)
        new_states = []
        for i, cell in enumerate(self.model.cells):
            x, (h, c) = cell(x, [states[2 * i], states[2 * i + 1]], training=False)  # (B, U)
            new_states += [h, c]
        logits = tf.cast(self.model.head(x), tf.float32)  # (B, V)
        return logits + self._logit_bias, new_states

    def _ended(self, history: tf.Tensor, token: tf.Tensor, mode: tf.Tensor, t: tf.Tensor) -> tf.Tensor:
        """Whether ``token`` starts a new article (`` = T``) or section (`` = = S``) line.

        ``history`` (B, 6) holds the previous six tokens, oldest first; ``token`` is the
        character sampled at step ``t``. Only a heading on a line the model began ends the
        text: one that opens the continuation of a prompt ending a line (or an empty one)
        is the article's own title (or first section) and is kept.
        """
        nl, sp, eq = self._newline, self._space, self._equals
        not_eq = tf.not_equal(token, eq)
        # The newline is history[:, 0] (sampled at step t - 6) for a section; earlier steps
        # read it from the prompt.
        article = self._opens_heading_line(history, t)
        section = tf.reduce_all(tf.equal(history, tf.constant([nl, sp, eq, sp, eq, sp])), axis=-1) & (t >= 6)
        hit = tf.where(mode == STOP_SECTION, article | section, article) & not_eq
        return hit & (mode != STOP_NONE)

    def _opens_heading_line(self, history: tf.Tensor, t: tf.Tensor) -> tf.Tensor:
        """Rows (B,) whose last four tokens are a newline the model wrote and `` = ``.

        ``history`` (B, 6) ends with the current token; the newline is ``history[:, 2]``,
        sampled at step ``t - 4``, so earlier steps read it from the prompt.
        """
        nl, sp, eq = self._newline, self._space, self._equals
        return tf.reduce_all(tf.equal(history[:, 2:], tf.constant([nl, sp, eq, sp])), axis=-1) & (t >= 4)

    def _keep_writing(self, history: tf.Tensor, mode: tf.Tensor, t: tf.Tensor, min_chars: tf.Tensor) -> tf.Tensor:
        """Rows (B,) that must not start a new article at step ``t``: they have written
        fewer than their ``min_chars`` and the line the model began reads `` = `` so far.

        Such a row's next character is forced to ``=``, which makes the line a section
        heading instead (`` = = Section = = ``): the article goes on, as a minimum length
        suppresses the end-of-sequence token in other samplers. ``history`` (B, 6) ends
        with the current token.
        """
        return self._opens_heading_line(history, t) & (t < min_chars) & (mode != STOP_NONE)

    def _generate(self, prompt_ids, starts, max_chars, temperature, top_k, top_p, uniforms, mode, min_chars,
                  stop_after, quoted, slack):
        self.traces += 1
        batch, length = prompt_ids.shape  # static: bucketed
        steps = uniforms.shape[1]
        states = self.model.zero_states(batch)

        # Prime: run all but the last prompt character; rows start at their own offset
        # (prompts are right-aligned), and a row's state stays zero until it starts.
        def prime(t, *states):
            _, new = self._step(prompt_ids[:, t], list(states))
            active = (t >= starts)[:, None]
            return (t + 1, *[tf.where(active, n, s) for n, s in zip(new, states, strict=True)])

        _, *states = tf.while_loop(lambda t, *_: t < length - 1, prime, (tf.constant(0), *states))

        out = tf.TensorArray(tf.int32, size=steps, element_shape=[batch])
        # The six tokens before the current one (the last prompt character), oldest first.
        history = tf.concat([tf.fill([batch, 6], -1), prompt_ids], axis=1)[:, -7:-1]
        lengths = tf.fill([batch], max_chars)
        done = tf.zeros([batch], tf.bool)
        ends = self._sentence_ends.start(quoted)

        def at_sentence_end(end, end_quoted):
            return (end >= stop_after) & (end <= stop_after + slack) & ~end_quoted & (stop_after > 0)

        def body(t, token, history, lengths, done, ends, out, *states):
            logits, states = self._step(token, list(states))
            logits = sampling.filter_logits(logits, temperature, top_k, top_p)
            new = sampling.sample_with_uniforms(logits, tf.gather(uniforms, t, axis=1))  # (B,)
            history = tf.concat([history[:, 1:], token[:, None]], axis=1)
            new = tf.where(self._keep_writing(history, mode, t, min_chars), self._equals, new)
            ended = self._ended(history, new, mode, t) & ~done
            # Cut before the " = " that opens the next heading line (keep the newline).
            lengths = tf.where(ended, tf.maximum(t - 3, 0), lengths)
            # Past its stop_after, a row ends once the end its article will be cut at is certain.
            ends, sentence, sentence_quoted, line, line_quoted = self._sentence_ends.step(ends, token, new, t)
            stop = (at_sentence_end(sentence, sentence_quoted) | at_sentence_end(line, line_quoted)) & ~done & ~ended
            lengths = tf.where(stop, t + 1, lengths)
            done = done | ended | stop
            return (t + 1, new, history, lengths, done, ends, out.write(t, new), *states)

        def cond(t, token, history, lengths, done, ends, out, *states):
            return (t < max_chars) & ~tf.reduce_all(done)

        t, _, _, lengths, _, _, out, *_ = tf.while_loop(
            cond, body, (tf.constant(0), prompt_ids[:, -1], history, lengths, done, ends, out, *states),
            maximum_iterations=steps)
        return tf.transpose(out.stack()), tf.minimum(lengths, t)  # (B, M), (B,)

    # -- the Python API ------------------------------------------------------------------

    def generate(self, prompts: Sequence[str], max_chars: int, *, temperature: float = 0.8,
                 top_k: int = 0, top_p: float = 1.0, seed: int | Sequence[int] | None = None,
                 stop_at_end: bool = True, stop_at_section: bool = False,
                 min_chars: int | Sequence[int] = 0, stop_after: int | Sequence[int] = 0,
                 stop_slack: int = 0) -> list[str]:
        """Continue each prompt by up to ``max_chars`` characters.

        Args:
            prompts: the seed texts (at least one; each may be empty).
            max_chars: the most characters to add after each prompt.
            temperature: softmax temperature (> 0).
            top_k: keep only the k most likely characters (0 = all).
            top_p: nucleus sampling mass (1.0 = off).
            seed: an int (row ``i`` uses ``seed + i``), one seed per prompt, or None for
                a random one. A row's text depends only on its prompt and its own seed.
            stop_at_end: stop a row when it starts a new article (a `` = Title = `` line).
            stop_at_section: stop a row already at the next section heading.
            min_chars: an int, or one per prompt: a row does not start a new article
                before it has written this many characters (the heading becomes a
                section heading); it still stops at one after that.
            stop_after: an int, or one per prompt (0 = off): a row stops at the first
                sentence or line end (as :func:`models.text.format.end_cleanly` finds them)
                between this many and ``stop_after + stop_slack`` written characters, once
                that end is certain. What it would write after that, ``end_cleanly`` with
                the same length and slack cuts off anyway; this saves writing it.
            stop_slack: see ``stop_after``.

        Returns:
            For each prompt, the prompt followed by its continuation (WikiText style).

        Raises:
            OutOfVocabularyError: a prompt holds characters the model cannot read.
            ValueError: bad sampling parameters.
        """
        if not prompts:
            return []
        if max_chars < 0 or temperature <= 0 or top_k < 0 or not 0 < top_p <= 1:
            raise ValueError("need max_chars >= 0, temperature > 0, top_k >= 0, 0 < top_p <= 1")
        encoded = [self.vocab.encode(self.prime_prefix + p) for p in prompts]
        seeds = self._row_seeds(seed, len(prompts))
        if max_chars == 0:
            return list(prompts)
        # Pad to buckets: extra rows repeat the first prompt and are dropped afterwards.
        rows = next((b for b in BATCH_BUCKETS if b >= len(prompts)), _bucket(len(prompts), 64))
        encoded += [encoded[0]] * (rows - len(prompts))
        seeds = np.concatenate([seeds, np.zeros(rows - len(prompts), np.int64)])
        minimum = np.broadcast_to(np.asarray(min_chars, np.int32), (len(prompts),))
        minimum = np.concatenate([minimum, np.zeros(rows - len(prompts), np.int32)])
        stops = np.broadcast_to(np.asarray(stop_after, np.int32), (len(prompts),))
        stops = np.concatenate([stops, np.zeros(rows - len(prompts), np.int32)])
        quoted = np.array([open_quote(p) for p in prompts] + [False] * (rows - len(prompts)))
        width = _bucket(max(len(e) for e in encoded), PROMPT_BUCKET)
        ids = np.zeros((rows, width), np.int32)
        starts = np.zeros(rows, np.int32)
        for row, e in enumerate(encoded):
            ids[row, width - len(e):] = e
            starts[row] = width - len(e)
        uniforms = sampling.row_uniforms(seeds, _bucket(max_chars, STEPS_BUCKET))
        mode = STOP_SECTION if stop_at_section else STOP_ARTICLE if stop_at_end else STOP_NONE
        if min(self._newline, self._space, self._equals) < 0:
            mode = STOP_NONE  # a vocabulary without WikiText headings cannot detect them
        out, lengths = self._fn(
            tf.constant(ids), tf.constant(starts), tf.constant(int(max_chars), tf.int32),
            tf.constant(float(temperature), tf.float32), tf.constant(int(top_k), tf.int32),
            tf.constant(float(top_p), tf.float32), tf.constant(uniforms),
            tf.constant(mode, tf.int32), tf.constant(minimum), tf.constant(stops), tf.constant(quoted),
            tf.constant(int(stop_slack), tf.int32),
        )
        out, lengths = out.numpy(), lengths.numpy()
        return [p + self.vocab.decode(out[row, : lengths[row]]) for row, p in enumerate(prompts)]

    def warmup(self, batch_sizes: Sequence[int] = (1,), max_chars: int = 1000) -> None:
        """Compile the buckets that serve these batch sizes and lengths ahead of the first request."""
        for size in batch_sizes:
            self.generate(["a"] * size, max_chars, seed=0, stop_at_end=False)

    @staticmethod
    def _row_seeds(seed: int | Sequence[int] | None, rows: int) -> np.ndarray:
        if seed is None:
            seed = random.SystemRandom().randrange(SEED_MAX)
        if isinstance(seed, int | np.integer):
            return np.array([(int(seed) + i) % (SEED_MAX + 1) for i in range(rows)], np.int64)
        seeds = np.array([int(s) for s in seed], np.int64)
        if seeds.shape != (rows,):
            raise ValueError(f"need one seed per prompt ({rows}), got {len(seeds)}")
        return seeds
