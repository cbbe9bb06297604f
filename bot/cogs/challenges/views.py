"""The persistent vote button: its custom_id carries the challenge and submission ids.

A :class:`discord.ui.DynamicItem` is rebuilt from the custom_id on every click, so
buttons posted before a restart keep working without any stored view state.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.i18n import Locale, t

if TYPE_CHECKING:
    from bot.cogs.challenges.commands import Challenges

VOTE_PREFIX = "wikimuse:challenge:vote"
COG_NAME = "Challenges"


def vote_custom_id(challenge_id: int, submission_id: int) -> str:
    return f"{VOTE_PREFIX}:{challenge_id}:{submission_id}"


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(VOTE_PREFIX) + r":(?P<challenge>[0-9]{1,20}):(?P<submission>[0-9]{1,20})",
):
    def __init__(self, challenge_id: int, submission_id: int, number: int | None = None,
                 locale: Locale = None) -> None:
        label = t(locale, "Vote") if number is None else t(locale, "Vote for entry {number}", number=number)
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.primary,
                label=label,
                emoji="🗳️",
                custom_id=vote_custom_id(challenge_id, submission_id),
            )
        )
        self.challenge_id = challenge_id
        self.submission_id = submission_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> VoteButton:
        return cls(int(match["challenge"]), int(match["submission"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog: Challenges | None = interaction.client.get_cog(COG_NAME)  # type: ignore[attr-defined]
        if cog is None:
            await interaction.response.send_message(
                t(interaction.locale, "Challenges are not available right now; please try again later."),
                ephemeral=True,
            )
            return
        await cog.handle_vote(interaction, self.challenge_id, self.submission_id)


def ballot_view(
    challenge_id: int, submission_id: int, number: int, *, closed: bool = False, locale: Locale = None
) -> discord.ui.View:
    """The button under an entry, labelled in ``locale``'s language (the challenge's); ``closed``
    greys it out once the results are in."""
    view = discord.ui.View(timeout=None)
    button = VoteButton(challenge_id, submission_id, number, locale)
    if closed:
        button.item.disabled = True
        button.item.label = t(locale, "Voting closed")
    view.add_item(button)
    return view
