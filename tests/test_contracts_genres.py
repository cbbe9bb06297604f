"""The bot's genre list (stdlib, no models import) matches the composer's genres.

The bot offers ``workers.contracts.GENRE_NAMES`` in autocomplete and validates
/compose against it; the worker looks genres up in ``models.music.genres.GENRES``.
A genre in one list but not the other is either never offered or refused by the
worker. Order is not part of the contract (autocomplete sorts), membership is.
"""

from __future__ import annotations

from models.music.genres import GENRES
from workers import contracts


def test_bot_genres_are_the_composer_genres():
    assert len(set(contracts.GENRE_NAMES)) == len(contracts.GENRE_NAMES), "duplicate genre names"
    assert set(contracts.GENRE_NAMES) == set(GENRES)


def test_every_genre_has_a_description_for_the_bot():
    assert set(contracts.GENRE_DESCRIPTIONS) == set(contracts.GENRE_NAMES)
    assert all(text.strip() for text in contracts.GENRE_DESCRIPTIONS.values())
