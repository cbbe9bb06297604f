"""WikiText-2 loading and the spelling of ``<unk>`` for training."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from models.text import data  # noqa: E402
from models.text.train import Streams  # noqa: E402
from models.text.vocab import UNK  # noqa: E402


def test_rare_words_are_the_words_seen_at_most_n_times():
    text = f"a a a b b c d {UNK} {UNK}x e e e e"
    assert data.rare_words(text, 1) == ["c", "d"]
    assert data.rare_words(text, 2) == ["b", "c", "d"]
    assert data.rare_words(text, 3) == ["a", "b", "c", "d"]


def test_spell_unknowns_replaces_every_unk_deterministically_by_seed():
    text = f"The {UNK} of {UNK} was {UNK} .\n"
    words = ["Abra", "Kedavra", "Zog"]
    one = data.spell_unknowns(text, words, [7, 0])
    assert UNK not in one
    assert one == data.spell_unknowns(text, words, [7, 0])
    filled = one.removeprefix("The ").removesuffix(" .\n").replace(" of ", "|").replace(" was ", "|").split("|")
    assert len(filled) == 3 and set(filled) <= set(words)
    spellings = {data.spell_unknowns(text, words, [7, epoch]) for epoch in range(20)}
    assert len(spellings) > 5  # a new draw each epoch
    assert data.spell_unknowns("no unknowns here", [], 1) == "no unknowns here"
    with pytest.raises(ValueError, match="no words"):
        data.spell_unknowns(text, [], 1)


def test_spelled_train_split_keeps_every_other_character():
    full = data.load_tokens("train")
    train = full[:300_000]
    lexicon = data.rare_words(full, 5)
    # WikiText-2 keeps words seen 3+ times, so the rare ones are those seen 3-5 times.
    assert 5_000 < len(lexicon) < 30_000 and all(" " not in w and UNK not in w for w in lexicon)
    spelled = data.spell_unknowns(train, lexicon, [1, 0])
    assert train.count(UNK) > 500 and UNK not in spelled
    pieces = train.split(UNK)
    at = 0
    for piece in pieces:  # the text between the unknowns is untouched, in order
        found = spelled.index(piece, at)
        assert found == at or spelled[at:found] in lexicon
        at = found + len(piece)
    assert at == len(spelled)


def test_streams_draw_each_epoch_from_its_own_corpus():
    base = np.arange(1000)
    calls = []

    def epoch_ids(epoch):
        calls.append(epoch)
        return base + 10_000 * epoch if epoch % 2 else base[:-50] + 10_000 * epoch  # one shorter

    streams = Streams(base, batch=4, seq_len=10, seed=3, epoch_ids=epoch_ids)
    per_epoch = streams.steps_per_epoch
    x0, _, first = streams.batch_at(0)
    assert first and x0.max() < 10_000 and calls == []  # epoch 0 is `ids` itself
    x1, y1, first = streams.batch_at(per_epoch)
    assert first and (x1 >= 10_000).all() and (x1 < 20_000).all()
    np.testing.assert_array_equal(x1[:, 1:], y1[:, :-1])
    x2, _, _ = streams.batch_at(2 * per_epoch + per_epoch - 1)  # the last step of a shorter corpus
    assert x2.shape == (4, 10) and calls == [1, 2]


def test_wordfreq_rare_words_are_rare_unseen_and_spellable():
    words, p = data.wordfreq_rare_words("the lobster Homarus", max_freq=1e-6, chars="abcdefghijklmnopqrstuvwxyz")
    import wordfreq

    assert len(words) > 100_000 and len(p) == len(words) and abs(p.sum() - 1) < 1e-9
    assert "homarus" not in words and "the" not in words  # the known text spells them
    assert all(w.isalpha() and w.islower() and len(w) > 1 for w in words[::997])
    assert all(wordfreq.word_frequency(w, "en", wordlist="large") <= 1e-6 for w in words[::4999])
    assert data.wordfreq_rare_words("", 1e-6, chars="ab")[0] == sorted(
        w for w in data.wordfreq_rare_words("", 1e-6)[0] if set(w) <= {"a", "b"})


def test_spelling_with_weights_and_capitals():
    text = f"{UNK} {UNK} {UNK} {UNK} {UNK} {UNK} {UNK} {UNK}"
    assert data.spell_unknowns(text, ["zog", "abra"], 3, p=np.array([1.0, 0.0])).split() == ["zog"] * 8
    assert data.spell_unknowns(text, ["zog"], 3, p=np.array([1.0]), capital=1.0).split() == ["Zog"] * 8
    mixed = data.spell_unknowns(" ".join([text] * 50), ["zog"], 3, p=np.array([1.0]), capital=0.5).split()
    assert 100 < mixed.count("Zog") < 300 and set(mixed) == {"zog", "Zog"}
    assert data.capital_rate("Aa Aa b b c D", 2) == 0.5
