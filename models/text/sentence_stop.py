"""Where an article may stop: the first sentence or line end past its length, found as it is written.

:func:`models.text.format.end_cleanly` cuts an article at the first sentence or line end
within ``slack`` characters after its requested length (outside an open double quote).
Everything the sampler writes past that end is thrown away, so a row can stop as soon as
that end is certain: the text up to there is the same, and so is the cut.

:class:`SentenceEnds` reads one character per row and step inside the generation loop,
as a small automaton over the same pattern as ``end_cleanly``'s: a spaced ``.``, ``!`` or
``?``, then as many `` "``-style closers as are followed by whitespace. A sentence end is
known only a character or two after it (a closer may still extend it); a line end at once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from models.text.format import SENTENCE_CLOSERS, SENTENCE_PUNCT

# Automaton phases, after the character just read:
_IDLE = 0  # no sentence end pending
_PUNCT = 1  # a spaced punctuation mark: its end needs whitespace next
_SPACED = 2  # a confirmed end, then a space: a closer may extend it
_CLOSER = 3  # ... then a closer: confirmed only by whitespace after it


class EndState(NamedTuple):
    """Per row (B,): the automaton's phase, the pending ends and the quote parity."""

    phase: tf.Tensor  # int32
    candidate: tf.Tensor  # int32: end (exclusive, in written characters) awaiting confirmation
    candidate_quoted: tf.Tensor  # bool: inside an open quote at ``candidate``
    best: tf.Tensor  # int32: the longest confirmed end
    best_quoted: tf.Tensor  # bool
    quoted: tf.Tensor  # bool: the current line has opened a double quote it has not closed


class SentenceEnds:
    """Character classes of a vocabulary and the automaton's step.

    Args:
        chars: the vocabulary's characters in id order.
    """

    def __init__(self, chars: list[str]) -> None:
        def table(test) -> tf.Tensor:
            return tf.constant(np.array([bool(test(c)) for c in chars]))

        self._space = table(lambda c: c == " ")
        self._newline = table(lambda c: c == "\n")
        self._white = table(str.isspace)  # what the pattern's ``\s`` matches
        self._punct = table(lambda c: c in SENTENCE_PUNCT)
        self._closer = table(lambda c: c in SENTENCE_CLOSERS)
        self._quote = table(lambda c: c == '"')

    @staticmethod
    def start(quoted: tf.Tensor) -> EndState:
        """The state before the first written character; ``quoted`` (B,) bool: the prompt's
        last line has an open double quote."""
        zeros = tf.zeros_like(quoted, tf.int32)
        return EndState(zeros, zeros - 1, quoted, zeros - 1, quoted, quoted)

    def step(self, state: EndState, previous: tf.Tensor, token: tf.Tensor,
             t: tf.Tensor) -> tuple[EndState, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
        """Read ``token`` (B,), the character written at step ``t``, after ``previous`` (B,).

        Returns:
            The new state; the sentence end this character made certain (B,) int32, -1
            if none, and whether it lies in an open quote; the line end it is (``t`` for a
            newline, else -1), and the same.
        """
        space, white = tf.gather(self._space, token), tf.gather(self._white, token)
        closer, newline = tf.gather(self._closer, token), tf.gather(self._newline, token)
        quoted_after = tf.where(newline, False, state.quoted ^ tf.gather(self._quote, token))
        phase = state.phase
        none = tf.fill(tf.shape(token), -1)

        in_punct, in_spaced, in_closer = phase == _PUNCT, phase == _SPACED, phase == _CLOSER
        # Whitespace after a candidate ends it here; a space may still be followed by a closer.
        confirm = (in_punct | in_closer) & space
        close_candidate = (in_punct | in_closer) & white & ~space
        close_best = (in_spaced & ~closer) | (in_closer & ~white)
        end = tf.where(close_candidate, state.candidate, tf.where(close_best, state.best, none))
        end_quoted = tf.where(close_candidate, state.candidate_quoted, state.best_quoted)

        best = tf.where(confirm, state.candidate, state.best)
        best_quoted = tf.where(confirm, state.candidate_quoted, state.best_quoted)
        extend = in_spaced & closer  # `` . "``: the end may move past the closer
        candidate = tf.where(extend, t + 1, state.candidate)
        candidate_quoted = tf.where(extend, quoted_after, state.candidate_quoted)
        phase = tf.where(confirm, _SPACED, tf.where(extend, _CLOSER, tf.where(in_spaced | in_closer | in_punct,
                                                                              _IDLE, phase)))
        # A spaced punctuation mark opens a new candidate (only once nothing is pending).
        # (The space must be a written one: ``end_cleanly`` searches from the prompt's end.)
        opens = (phase == _IDLE) & tf.gather(self._space, previous) & tf.gather(self._punct, token) & (t >= 1)
        phase = tf.where(opens, _PUNCT, phase)
        candidate = tf.where(opens, t + 1, candidate)
        candidate_quoted = tf.where(opens, quoted_after, candidate_quoted)

        line_end = tf.where(newline, t, none)
        new = EndState(phase, candidate, candidate_quoted, best, best_quoted, quoted_after)
        return new, end, end_quoted, line_end, state.quoted

