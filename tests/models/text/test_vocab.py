"""Vocabulary: JSON round trip, the reserved unknown symbol, out-of-vocabulary input."""

import json

import numpy as np
import pytest

from models.text.vocab import UNK, UNK_ID, OutOfVocabularyError, Vocab


def test_round_trip_through_json():
    vocab = Vocab.from_text("the cat sat on the mat\n = Title = \n")
    again = Vocab.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert again == vocab
    text = "the mat = cat"
    assert again.decode(again.encode(text)) == text


def test_unk_is_reserved_id_zero_and_most_frequent_first():
    vocab = Vocab.from_text("aaab" + UNK * 10)
    assert vocab.chars[UNK_ID] == UNK
    assert vocab.chars[1:] == ["a", "b"]
    assert len(vocab) == 3


def test_min_count_drops_rare_characters():
    vocab = Vocab.from_text("aaaabbc", min_count=2)
    assert "c" not in vocab and "b" in vocab


def test_unknown_characters_raise_a_user_facing_error():
    vocab = Vocab.from_text("abc ")
    with pytest.raises(OutOfVocabularyError) as info:
        vocab.encode("abc 中文")
    assert isinstance(info.value, ValueError)
    assert "'中'" in str(info.value) and "'文'" in str(info.value)
    assert info.value.chars == ["中", "文"]
    assert vocab.encode("ab 中", unknown="unk") == [*vocab.encode("ab "), UNK_ID]


def test_typographic_characters_are_mapped_before_rejecting():
    vocab = Vocab.from_text("it's \"so\" - e ...")
    assert vocab.decode(vocab.encode("it\u2019s \u201cso\u201d \u2010 \u00e9\u2026")) == "it's \"so\" - e..."


def test_the_unknown_symbol_itself_is_rejected_in_user_text():
    vocab = Vocab.from_text("ab")
    with pytest.raises(OutOfVocabularyError):
        vocab.encode("a" + UNK)


def test_bulk_encoding_matches_encode_and_maps_unknown_to_unk():
    vocab = Vocab.from_text("hello world")
    ids = vocab.encode_array("hello\u2603 world")
    assert ids.dtype == np.uint8
    assert ids.tolist() == vocab.encode("hello") + [UNK_ID] + vocab.encode(" world")
