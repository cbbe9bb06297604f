"""Safe mode: the blocklist's matching and masking, the guild's words, when it is on."""

from __future__ import annotations

import dataclasses
import json

import discord
import pytest

from bot import safety
from bot.errors import BadInput
from bot.presenters import result_reply
from bot.store import GuildConfig
from workers.contracts import ErrorResult, WikiResult

# A guild's own words, so the tests need not spell out the default list's.
WORDS = ("zebra", "quartz*", "red panda")


def test_the_default_list_loads_and_its_words_are_masked_keeping_the_first_letter():
    words = safety.default_words()
    assert len(words) >= 20 and all(w == safety.normalize_word(w) for w in words)
    blocklist = safety.Blocklist(words)
    for word in words:
        stem = word.removesuffix("*")
        assert blocklist.mask(f"a {stem.upper()} b") == f"a {stem[0].upper()}{'*' * (len(stem) - 1)} b"


def test_matching_is_whole_word_and_case_insensitive_with_star_endings_and_phrases():
    blocklist = safety.Blocklist(WORDS)
    assert blocklist.mask("Zebra, zebras; ZEBRA.") == "Z****, zebras; Z****."
    assert blocklist.mask("quartzite and Quartz") == "q******** and Q*****"
    assert blocklist.mask("antiquartz stays") == "antiquartz stays"
    assert blocklist.mask("a Red  Panda ate") == "a R**  ***** ate"
    assert blocklist.matches("red pandas and a red panda") == ["red panda"]
    assert safety.Blocklist([]).mask("zebra") == "zebra"


def test_masks_in_markdown_are_escaped_so_discord_shows_stars():
    assert safety.Blocklist(WORDS).mask("the zebra", markdown=True) == r"the z\*\*\*\*"


@pytest.mark.parametrize("word", ["a", "x" * 41, "ze#bra", "<@123>", "*", "-dash", "ab**"])
def test_malformed_words_are_refused_with_a_clear_message(word):
    with pytest.raises(BadInput, match="blocked word needs"):
        safety.normalize_word(word)


def test_config_adds_removes_and_validates_the_guilds_words():
    config = safety.configure(GuildConfig(), None, "  Zebra ", "add")
    assert config.blocked_words == ("zebra",)
    config = safety.configure(config, "on", "quartz*", "add")
    assert safety.guild_words(config) == ("quartz*", "zebra") and config.safe_mode == "on"
    config = safety.configure(config, None, "ZEBRA", "remove")
    assert safety.guild_words(config) == ("quartz*",)
    assert safety.configure(config, "default", None, "list") == dataclasses.replace(config, safe_mode=None)
    with pytest.raises(BadInput, match="not on this server's list"):
        safety.configure(config, None, "zebra", "remove")
    with pytest.raises(BadInput, match="Give the blocked_word"):
        safety.configure(config, None, None, "add")
    with pytest.raises(BadInput, match="Pick a word_action"):
        safety.configure(config, None, "zebra", None)
    full = GuildConfig(blocked_words=tuple(f"word{i}" for i in range(safety.GUILD_WORDS_MAX)))
    with pytest.raises(BadInput, match="full"):
        safety.configure(full, None, "zebra", "add")
    # As stored: a hash of strings, whose malformed entries read as unset.
    stored = GuildConfig.from_hash(config.to_hash())
    assert stored == config and safety.guild_words(stored) == ("quartz*",)
    assert safety.guild_words(GuildConfig.from_hash({"blocked_words": "not json"})) == ()
    assert safety.guild_words(GuildConfig(blocked_words=("ok", "#bad"))) == ("ok",)


@pytest.mark.parametrize(("content_filter", "nsfw_level", "on"), [
    (discord.ContentFilter.disabled, discord.NSFWLevel.default, False),
    (discord.ContentFilter.no_role, discord.NSFWLevel.default, False),
    (discord.ContentFilter.all_members, discord.NSFWLevel.default, True),
    (discord.ContentFilter.disabled, discord.NSFWLevel.safe, True),
    (discord.ContentFilter.no_role, discord.NSFWLevel.age_restricted, False),
    (discord.ContentFilter.all_members, discord.NSFWLevel.explicit, True),
])
def test_on_by_default_where_the_guilds_filter_or_age_setting_asks_for_it(content_filter, nsfw_level, on):
    assert safety.on_by_default(content_filter, nsfw_level) is on


def test_an_explicit_setting_wins_and_dms_and_unseen_guilds_have_their_defaults():
    assert safety.safe_mode(None, None, GuildConfig()).enabled is False  # a DM
    assert safety.safe_mode(1, None, GuildConfig()).enabled is True  # a guild the bot is not in
    assert safety.safe_mode(1, None, GuildConfig(safe_mode="off")).enabled is False
    stored_default = GuildConfig.from_hash({"safe_mode": ""})  # back to the default
    assert safety.safe_mode(1, None, stored_default).enabled is True
    assert safety.safe_mode(None, None, GuildConfig(safe_mode="on")).enabled is True


def test_a_masked_article_shows_the_masked_seed_in_bold_and_nowhere_the_word():
    article = WikiResult(job_id="j", seed="The zebra of", title="Zebra of Quartzville",
                         markdown="The zebra of the plains.\n\n## Zebra\n\nA zebra \\* star.",
                         text="The zebra of the plains.", chars=24, rng_seed=1, model="tiny",
                         seconds=0.1)
    masked = safety.mask_result(article, safety.Blocklist(WORDS))
    embed = result_reply(masked).embeds[0]
    assert embed.description.startswith(r"**The z\*\*\*\* of**")
    assert embed.title == r"Z\*\*\*\* of Q" + r"\*" * len("uartzville")
    assert embed.fields[0].name == r"Z\*\*\*\*" and r"A z\*\*\*\* \* star." == embed.fields[0].value
    shown = json.dumps(embed.to_dict()) + masked.text
    assert "zebra" not in shown.lower()
    error = safety.mask_result(ErrorResult(job_id="j", code="bad_input", message="no zebra"),
                               safety.Blocklist(WORDS))
    assert error.message == r"no z\*\*\*\*"
