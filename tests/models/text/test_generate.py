"""Batched generation in one tf.function: seeds, batching, stopping, no retracing."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from models.text.char_lstm import CharLSTMConfig, build_model  # noqa: E402
from models.text.generate import TextGenerator  # noqa: E402
from models.text.vocab import UNK, OutOfVocabularyError, Vocab  # noqa: E402

TEXT = " = Title = \n \n the quick brown fox jumps over the lazy dog . \n = = Part = = \n"


@pytest.fixture(scope="module")
def generator():
    import keras

    keras.utils.set_random_seed(0)
    vocab = Vocab.from_text(TEXT)
    model = build_model(CharLSTMConfig(layers=2, units=16, embedding=8, dropout=0.0), len(vocab))
    # Graph mode keeps these tests fast (each XLA bucket compiles for seconds); the XLA
    # path is checked against it below.
    return TextGenerator(model, vocab, jit_compile=False)


def test_xla_compiled_loop_gives_the_same_text(generator):
    xla = TextGenerator(generator.model, generator.vocab, jit_compile=True)
    prompts = ["the quick", "lazy dog . \n"]
    kw = dict(seed=[3, 4], temperature=0.9, top_k=20, top_p=0.95, stop_at_end=False)
    assert xla.generate(prompts, 60, **kw) == generator.generate(prompts, 60, **kw)


def test_output_starts_with_the_prompt_and_has_max_chars(generator):
    out = generator.generate(["the fox", ""], 40, seed=1, stop_at_end=False)
    assert out[0].startswith("the fox") and len(out[0]) == len("the fox") + 40
    assert len(out[1]) == 40
    assert all(UNK not in text for text in out)


def test_seed_makes_it_reproducible(generator):
    a = generator.generate(["the lazy"], 60, seed=42, stop_at_end=False)
    assert a == generator.generate(["the lazy"], 60, seed=42, stop_at_end=False)
    assert a != generator.generate(["the lazy"], 60, seed=43, stop_at_end=False)


def test_batched_rows_equal_individual_runs_with_their_seeds(generator):
    prompts = ["the quick brown", "dog", "over the lazy d"]
    batch = generator.generate(prompts, 50, seed=[11, 12, 13], temperature=0.9, stop_at_end=False)
    alone = [generator.generate([p], 50, seed=s, temperature=0.9, stop_at_end=False)[0]
             for p, s in zip(prompts, [11, 12, 13], strict=True)]
    assert batch == alone
    # An int seed gives row i the seed seed + i.
    assert generator.generate(prompts, 50, seed=11, temperature=0.9, stop_at_end=False) == batch


def test_greedy_top_k_1_ignores_the_seed(generator):
    a = generator.generate(["the"], 30, top_k=1, seed=1, stop_at_end=False)
    assert a == generator.generate(["the"], 30, top_k=1, seed=2, stop_at_end=False)


def test_stops_at_a_new_article_or_section_heading(generator):
    head = generator.model.head
    kernel, bias = head.get_weights()
    forced = np.full_like(bias, -20.0)
    forced[generator.vocab.encode("x")[0]] = 20.0  # the model now always writes "x"
    head.set_weights([np.zeros_like(kernel), forced])
    try:
        def run(prompt, **kw):
            return generator.generate([prompt], 12, seed=0, **kw)[0]

        # A heading the prompt opened is the article's own: the model writes its title.
        assert run("the fox . \n = ") == "the fox . \n = " + "x" * 12
        assert run("dog \n = = ", stop_at_section=True) == "dog \n = = " + "x" * 12
        assert run("no heading here") == "no heading here" + "x" * 12
    finally:
        head.set_weights([kernel, bias])


def test_only_a_heading_on_a_line_the_model_began_ends_the_text(generator):
    import tensorflow as tf

    ids = {c: generator.vocab.encode(c)[0] for c in "\n =x"}

    def ended(before, token, t, mode):
        history = tf.constant([[ids[c] for c in before]], tf.int32)
        return bool(generator._ended(history, tf.constant([ids[token]]), tf.constant(mode), tf.constant(t))[0])

    # " = x" opens a new article title line: it ends the text once the model wrote the newline.
    assert ended("xx\n = ", "x", 4, 1) and ended("xx\n = ", "x", 40, 1)
    assert not ended("xx\n = ", "x", 3, 1)  # the newline came from the prompt: the title is kept
    assert not ended("xx\n = ", "=", 40, 1)  # " = =" is a section, not an article
    assert not ended("xx\n = ", "x", 40, 0)  # stop mode off
    # " = = x" opens a section: only the section mode stops there.
    assert ended("\n = = ", "x", 6, 2) and not ended("\n = = ", "x", 5, 2)
    assert not ended("\n = = ", "x", 40, 1)


def test_a_title_line_the_model_writes_first_is_kept(generator):
    head = generator.model.head
    kernel, bias = head.get_weights()
    forced = np.full_like(bias, -20.0)
    forced[generator.vocab.encode("x")[0]] = 20.0
    head.set_weights([np.zeros_like(kernel), forced])
    try:
        assert generator.generate(["= "], 5, seed=0)[0] == "= xxxxx"
    finally:
        head.set_weights([kernel, bias])


def test_traced_once_per_bucket(generator):
    generator.generate(["a", "b", "c", "d"], 5, seed=0)  # bucket: 4 rows, 64 prompt, 256 steps
    before = generator.traces
    for prompts, n in [(["a"] * 3, 5), (["the", "dog", "fox"], 200), (["x y"] * 4, 3)]:
        generator.generate(prompts, n, temperature=0.7, top_k=5, top_p=0.9, seed=0)
    assert generator.traces == before
    generator.generate(["a"] * 5, 5, seed=0)  # 8 rows: a new bucket
    assert generator.traces == before + 1


def test_unknown_prompt_characters_raise(generator):
    with pytest.raises(OutOfVocabularyError):
        generator.generate(["the 字"], 10, seed=0)


def test_rejects_bad_parameters(generator):
    with pytest.raises(ValueError):
        generator.generate(["the"], 10, temperature=0.0)
    with pytest.raises(ValueError):
        generator.generate(["the"], 10, top_p=0.0)
    assert generator.generate(["the"], 0) == ["the"]
    assert generator.generate([], 10) == []


def test_never_emits_the_unknown_symbol_even_when_it_is_likely(generator):
    head = generator.model.head
    kernel, bias = head.get_weights()
    boosted = bias.copy()
    boosted[0] = 50.0  # the model now "wants" UNK above everything
    head.set_weights([kernel, boosted])
    try:
        out = generator.generate(["the"], 100, seed=5, stop_at_end=False)[0]
    finally:
        head.set_weights([kernel, bias])
    assert UNK not in out and len(out) == 103
    assert np.isfinite(bias).all()


def test_a_new_article_before_the_minimum_length_becomes_a_section(generator):
    import tensorflow as tf

    ids = {c: generator.vocab.encode(c)[0] for c in "\n =x"}

    def keep(before, t, minimum, mode=1):
        history = tf.constant([[ids[c] for c in before]], tf.int32)
        return bool(generator._keep_writing(history, tf.constant(mode), tf.constant(t),
                                            tf.constant([minimum]))[0])

    # The model began the line "\n = " before the minimum: its next character is forced to "=".
    assert keep("xx\n = ", 40, 100)
    assert not keep("xx\n = ", 100, 100)  # the minimum is reached: a new article may start
    assert not keep("xx\n = ", 3, 100)  # the newline came from the prompt: the title is kept
    assert not keep("x\n = =", 40, 100) and not keep("xxxxxx", 40, 100)
    assert not keep("xx\n = ", 40, 100, mode=0)  # no stopping at all: nothing to prevent


def test_each_row_keeps_its_own_minimum_length_in_a_batch(generator):
    prompts = ["the quick brown", "dog", "over the lazy d"]
    batch = generator.generate(prompts, 50, seed=[11, 12, 13], min_chars=[10, 40, 0])
    alone = [generator.generate([p], 50, seed=s, min_chars=m)[0]
             for p, s, m in zip(prompts, [11, 12, 13], [10, 40, 0], strict=True)]
    assert batch == alone


def test_stopping_at_the_sentence_end_the_article_is_cut_at_changes_no_article(generator):
    from models.text.format import end_cleanly

    prompts = ["the quick brown", "dog", "over the lazy d", "the fox"]
    seeds, lengths, slack = [21, 22, 23, 24], [30, 60, 45, 50], 40
    kw = dict(seed=seeds, temperature=1.5, min_chars=lengths)
    full = generator.generate(prompts, 100, **kw)
    early = generator.generate(prompts, 100, stop_after=lengths, stop_slack=slack, **kw)
    for prompt, a, b, length in zip(prompts, full, early, lengths, strict=True):
        assert b == a[:len(b)]  # the same text, cut short
        assert end_cleanly(b, len(prompt), length, slack) == end_cleanly(a, len(prompt), length, slack)
    assert any(len(b) < len(a) for a, b in zip(full, early, strict=True))  # rows did stop early
    # A row stops on its own: alone it writes what it writes in the batch.
    alone = [generator.generate([p], 100, seed=s, min_chars=m, stop_after=m, stop_slack=slack, temperature=1.5)[0]
             for p, s, m in zip(prompts, seeds, lengths, strict=True)]
    assert alone == early
