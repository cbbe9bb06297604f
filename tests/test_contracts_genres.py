"""The bot's genre and model-kind lists (stdlib, no models import) match the composer's.

The bot offers ``workers.contracts.GENRE_NAMES`` in autocomplete and validates
/compose against it; the worker looks genres up in ``models.music.genres.GENRES``.
A genre in one list but not the other is either never offered or refused by the
worker. Order is not part of the contract (autocomplete sorts), membership is.
"""

from __future__ import annotations

from models.music.genres import GENRES
from models.music.registry import KINDS
from workers import contracts


def test_bot_genres_are_the_composer_genres():
    assert len(set(contracts.GENRE_NAMES)) == len(contracts.GENRE_NAMES), "duplicate genre names"
    assert set(contracts.GENRE_NAMES) == set(GENRES)


def test_every_genre_has_a_description_for_the_bot():
    assert set(contracts.GENRE_DESCRIPTIONS) == set(contracts.GENRE_NAMES)
    assert all(text.strip() for text in contracts.GENRE_DESCRIPTIONS.values())


def test_bot_music_kinds_are_the_registry_kinds():
    assert set(contracts.MUSIC_KINDS) == set(KINDS)
    assert contracts.MUSIC_MODEL_BEST not in KINDS and contracts.MUSIC_MODELS[-1] == contracts.MUSIC_MODEL_BEST
    assert all(text.strip() for text in contracts.MUSIC_KINDS.values())
