"""Safe mode: generated text is checked against a blocklist before it is posted.

The blocklist is the default list shipped in ``bot/blocklist.txt`` plus the guild's own
words (``/config``). Matching is whole-word and case-insensitive; a match keeps its first
letter and the rest becomes asterisks (``fudge`` -> ``f****``). The article's seed is
masked the same way wherever it is echoed; the job itself runs with the seed as typed.

Safe mode is on by default in a guild that scans every member's media
(:attr:`discord.Guild.explicit_content_filter` ``all_members``) or is marked safe for
all ages (:attr:`discord.Guild.nsfw_level` ``safe``); ``/config safe_mode`` overrides
that either way. Both settings are fields of the guild's
:class:`bot.store.GuildConfig`, next to the others ``/config`` sets.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import discord

from bot.errors import BadInput
from bot.i18n import Term
from bot.presenters import EMBED_FIELD_VALUE_MAX, join_within
from bot.store import GuildConfig, PendingJob
from workers.contracts import ErrorResult, MusicResult, WikiResult

if TYPE_CHECKING:
    from bot.interfaces import BotClient

DEFAULT_LIST = Path(__file__).with_name("blocklist.txt")
GUILD_WORDS_MAX = 100
WORD_MIN, WORD_MAX = 2, 40

_ENTRY = re.compile(r"[^\W_](?:[\w' -]*[^\W_])?\*?")

R = TypeVar("R", WikiResult, MusicResult, ErrorResult)


def normalize_word(word: str) -> str:
    """A blocklist entry as stored: lower case, single spaces.

    Raises:
        BadInput: not 2 to 40 letters, digits, spaces, apostrophes or hyphens (with an
            optional trailing ``*`` for "any ending").
    """
    entry = " ".join(word.split()).lower()
    stem = entry.removesuffix("*")
    if not WORD_MIN <= len(stem) <= WORD_MAX or not _ENTRY.fullmatch(entry):
        raise BadInput("A blocked word needs {low} to {high} letters or digits "
                       "(spaces, ' and - inside are fine; a trailing * matches any ending).", low=WORD_MIN, high=WORD_MAX)
    return entry


def parse_list(text: str) -> tuple[str, ...]:
    """The entries of a blocklist file: one a line, ``#`` comments and blank lines skipped."""
    lines = (line.strip() for line in text.splitlines())
    return tuple(normalize_word(line) for line in lines if line and not line.startswith("#"))


@functools.cache
def default_words() -> tuple[str, ...]:
    return parse_list(DEFAULT_LIST.read_text(encoding="utf-8"))


def _pattern(entry: str) -> str:
    stem = entry.removesuffix("*")
    body = r"\s+".join(re.escape(part) for part in stem.split(" "))
    return body + (r"\w*" if entry.endswith("*") else "")


def mask_word(word: str, *, markdown: bool = False) -> str:
    """``word`` with its first character kept and every other non-space one starred.

    ``markdown``: the stars are escaped (``f\\*\\*\\*``), for text Discord renders as markdown.
    """
    star = r"\*" if markdown else "*"
    return word[:1] + "".join(c if c.isspace() else star for c in word[1:])


class Blocklist:
    """Whole-word, case-insensitive matching of a set of entries."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.entries = tuple(dict.fromkeys(entries))
        alternatives = sorted((_pattern(e) for e in self.entries), key=len, reverse=True)
        self._regex = (re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
                       if alternatives else None)

    def matches(self, text: str) -> list[str]:
        return [] if self._regex is None else [m.group(0) for m in self._regex.finditer(text)]

    def mask(self, text: str, *, markdown: bool = False) -> str:
        if self._regex is None or not text:
            return text
        return self._regex.sub(lambda m: mask_word(m.group(0), markdown=markdown), text)


@functools.lru_cache(maxsize=256)  # one per guild word list in use
def _blocklist(guild_words: tuple[str, ...]) -> Blocklist:
    return Blocklist(default_words() + guild_words)


def guild_words(config: GuildConfig) -> tuple[str, ...]:
    """The guild's own words from its config (malformed entries are skipped)."""
    words = []
    for item in config.blocked_words:
        try:
            words.append(normalize_word(item))
        except BadInput:
            continue
    return tuple(words)


def on_by_default(content_filter: discord.ContentFilter, nsfw_level: discord.NSFWLevel) -> bool:
    """Whether a guild's own settings ask for safe mode: it scans every member's media,
    or it is marked safe for all ages."""
    return content_filter is discord.ContentFilter.all_members or nsfw_level is discord.NSFWLevel.safe


@dataclass(frozen=True)
class SafeMode:
    enabled: bool
    reason: str  # why it is on or off, for /config
    words: tuple[str, ...]  # the guild's own

    @property
    def blocklist(self) -> Blocklist:
        return _blocklist(self.words)


def safe_mode(guild_id: int | None, guild: discord.Guild | None, config: GuildConfig) -> SafeMode:
    """The safe mode of a guild (``guild``: the cached guild; None when the bot is not in it).

    In a DM (no guild) it is off. A guild the bot cannot see (the app installed by a user)
    counts as asking for it, since its settings are unknown.
    """
    words = guild_words(config)
    if config.safe_mode is not None:
        return SafeMode(config.safe_mode == "on", "set with /config", words)
    if guild_id is None:
        return SafeMode(False, "direct messages", words)
    if guild is None:
        return SafeMode(True, "this server's settings are unknown to me", words)
    if on_by_default(guild.explicit_content_filter, guild.nsfw_level):
        return SafeMode(True, "this server's content filter or age setting", words)
    return SafeMode(False, "this server's content filter and age setting", words)


def mask_result(result: R, blocklist: Blocklist) -> R:
    """``result`` with every text it shows masked (the article, its title and seed; notices)."""
    if isinstance(result, WikiResult):
        return dataclasses.replace(
            result, seed=blocklist.mask(result.seed), text=blocklist.mask(result.text),
            title=blocklist.mask(result.title, markdown=True),
            markdown=blocklist.mask(result.markdown, markdown=True))
    if isinstance(result, MusicResult):
        return dataclasses.replace(result, notice=blocklist.mask(result.notice, markdown=True))
    fields = {key: blocklist.mask(value, markdown=True) if isinstance(value, str) else value
              for key, value in result.fields.items()} if isinstance(result.fields, dict) else {}
    return dataclasses.replace(result, message=blocklist.mask(result.message, markdown=True), fields=fields)


async def screen(bot: BotClient, pending: PendingJob, result: R) -> tuple[PendingJob, R]:
    """``(pending, result)`` as they may be posted: masked where the guild's safe mode is on.

    The label (the late-delivery line, /history) and the note (how the seed was changed)
    quote the seed, so they are masked too.
    """
    guild_id = pending.guild_id
    config = await bot.store.guild_config(guild_id)
    guild = bot.get_guild(guild_id) if guild_id is not None else None
    mode = safe_mode(guild_id, guild, config)
    if not mode.enabled:
        return pending, result
    blocklist = mode.blocklist
    return (dataclasses.replace(pending, label=blocklist.mask(pending.label),
                                note=blocklist.mask(pending.note, markdown=True)),
            mask_result(result, blocklist))


# --- /config ---------------------------------------------------------------------


def configure(config: GuildConfig, mode: str | None, word: str | None, word_action: str | None) -> GuildConfig:
    """``config`` as ``/config safe_mode:… word_action:… blocked_word:…`` leaves it.

    Raises:
        BadInput: a word action without a word (but ``list``), a malformed word, a word
            to remove that is not on the list, or a list already full.
    """
    if mode is not None:
        config = dataclasses.replace(config, safe_mode=None if mode == "default" else mode)  # type: ignore[arg-type]
    if word_action in ("add", "remove"):
        if word is None:
            raise BadInput("Give the blocked_word to {word_action}.", word_action=Term(word_action))
        entry = normalize_word(word)
        words = list(guild_words(config))
        if word_action == "add" and entry not in words:
            if len(words) >= GUILD_WORDS_MAX:
                raise BadInput("This server's list is full ({count} words); remove one first.", count=GUILD_WORDS_MAX)
            words.append(entry)
        elif word_action == "remove":
            if entry not in words:
                raise BadInput("That word is not on this server's list (see word_action: list).")
            words.remove(entry)
        config = dataclasses.replace(config, blocked_words=tuple(sorted(words)))
    elif word is not None and word_action is None:
        raise BadInput("Pick a word_action (add or remove) for that blocked_word.")
    return config


def config_fields(guild_id: int, guild: discord.Guild | None, config: GuildConfig,
                  *, list_words: bool) -> list[tuple[str, str]]:
    """``(name, value)`` embed fields: the safe mode and, if asked, the guild's words
    (as spoilers, so an admin's screen does not show them at a glance)."""
    mode = safe_mode(guild_id, guild, config)
    fields = [("Safe mode", f"{'on' if mode.enabled else 'off'} ({mode.reason})"),
              ("Blocked words", f"{len(default_words())} by default + {len(mode.words)} of this server's")]
    if list_words:
        fields.append(("This server's words",
                       join_within([f"||{w}||" for w in mode.words], EMBED_FIELD_VALUE_MAX)))
    return fields
