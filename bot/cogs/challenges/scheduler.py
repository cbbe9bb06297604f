"""Scheduled challenge work: open voting, close it, and post ballots and results once.

Every tick reads what is due from the database, so nothing depends on timers that
a restart would lose. Each state change is an atomic conditional UPDATE in the
repository; posting to Discord happens under a short per-challenge lease, and each
posted message id is stored right after it is sent, so a restarted (or a second)
bot resumes where the first stopped instead of posting again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import discord

from bot.cogs.challenges import embeds
from bot.cogs.challenges.views import ballot_view
from bot.db import Database, Scoring
from bot.db.models import ChallengeState, utcnow
from bot.db.records import ChallengeRecord, SubmissionRecord
from bot.delivery import channel_permissions, may_send_but_not_attach
from bot.i18n import t

log = logging.getLogger(__name__)

# Stored instead of a message id when the channel is gone or forbidden: stop retrying.
UNDELIVERABLE = 0
MESSAGE_MAX = 2000


def may_embed(channel: discord.abc.Messageable) -> bool:
    """Whether the bot may show embeds in ``channel`` (True when its cache cannot tell)."""
    permissions = channel_permissions(channel)
    return permissions is None or permissions.embed_links


def embed_as_text(embed: discord.Embed) -> str:
    """An embed's title, description and fields as message text (at most 2,000 characters)."""
    lines = [f"**{embed.title}**"] if embed.title else []
    if embed.description:
        lines.append(embed.description)
    lines += [f"**{field.name}**: {field.value}" for field in embed.fields]
    text = "\n".join(lines)
    return text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 1] + "…"


class ChallengeScheduler:
    """Turns due challenges into state changes and Discord messages."""

    def __init__(
        self,
        client: discord.Client,
        database: Database,
        scoring: Scoring,
        *,
        lease_seconds: float = 120.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.client = client
        self.db = database
        self.scoring = scoring
        self.lease_seconds = lease_seconds
        self.clock = clock

    async def tick(self) -> None:
        """One pass: open due voting, close due challenges, post whatever is unposted."""
        repo = self.db.challenges
        now = self.clock()
        for challenge_id in await self.db.run(repo.due_for_voting, now):
            if await self.db.run(repo.open_voting, challenge_id, now=now):
                log.info("challenge %s: voting opened at the deadline", challenge_id)
        for challenge_id in await self.db.run(repo.due_for_closing, now):
            if await self.db.run(repo.close, challenge_id, self.scoring, now=now) is not None:
                log.info("challenge %s: closed", challenge_id)
        for challenge_id in await self.db.run(repo.unpublished):
            await self.publish(challenge_id)

    async def publish(self, challenge_id: int) -> None:
        """Post the ballots or the results of one challenge, if this caller wins the lease."""
        repo = self.db.challenges
        if not await self.db.run(repo.claim_lease, challenge_id, self.lease_seconds, self.clock()):
            return
        try:
            challenge = await self.db.run(repo.get, challenge_id)
            channel = await self._channel(challenge.channel_id)
            if channel is None:
                log.warning("challenge %s: channel is not a text channel", challenge_id)
                await self._give_up(challenge_id)
            elif challenge.state is ChallengeState.VOTING:
                await self._post_ballots(channel, challenge)
            elif challenge.state is ChallengeState.CLOSED and challenge.results_message_id is None:
                await self._post_results(channel, challenge)
        except discord.HTTPException as exc:
            if exc.status >= 500:  # Discord's trouble: the next tick tries again
                raise
            # 403/404, or a message Discord refuses: trying again would fail the same way.
            log.warning("challenge %s: channel unusable (%s); giving up posting", challenge_id, exc)
            await self._give_up(challenge_id)
        finally:
            await self.db.run(repo.release_lease, challenge_id)

    async def _channel(self, channel_id: int) -> discord.abc.Messageable | None:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            channel = await self.client.fetch_channel(channel_id)
        return channel if isinstance(channel, discord.abc.Messageable) else None

    async def _post_ballots(
        self, channel: discord.abc.Messageable, challenge: ChallengeRecord
    ) -> None:
        repo = self.db.challenges
        submissions = await self.db.run(repo.submissions, challenge.id)
        if submissions and all(s.vote_message_id is None for s in submissions):
            await channel.send(
                embeds.voting_header(challenge, len(submissions)),
                allowed_mentions=embeds.NO_MENTIONS,
            )
        for number, submission in enumerate(submissions, start=1):
            if submission.vote_message_id is not None:
                continue
            message = await self._post_ballot(channel, challenge, submission, number)
            await self.db.run(repo.set_vote_message, submission.id, message.id)

    async def _post_ballot(
        self,
        channel: discord.abc.Messageable,
        challenge: ChallengeRecord,
        submission: SubmissionRecord,
        number: int,
    ) -> discord.Message:
        """One entry with its vote button; without its file where the bot may not attach one.

        Raises:
            discord.Forbidden: the bot may not post in the channel at all.
        """
        text = embeds.submission_text(challenge, submission, number)
        file = embeds.submission_file(submission)
        view = ballot_view(challenge.id, submission.id, number, locale=challenge.locale)
        try:
            return await channel.send(
                text, file=file or discord.utils.MISSING, view=view,
                allowed_mentions=embeds.NO_MENTIONS,
            )
        except discord.Forbidden:
            if file is None or not may_send_but_not_attach(channel):
                raise
            log.warning("challenge %s: cannot attach entry %s here; posting it without", challenge.id, number)
            note = "\n-# " + t(challenge.locale, "The file could not be attached in this channel.")
            return await channel.send(
                text[: MESSAGE_MAX - len(note)] + note, view=view, allowed_mentions=embeds.NO_MENTIONS
            )

    async def _post_results(
        self, channel: discord.abc.Messageable, challenge: ChallengeRecord
    ) -> None:
        repo = self.db.challenges
        outcome = await self.db.run(repo.outcome, challenge.id)
        submissions = await self.db.run(repo.submissions, challenge.id)
        tallies = await self.db.run(repo.tallies, challenge.id)
        numbers = {s.id: n for n, s in enumerate(submissions, start=1)}
        by_id = {s.id: s for s in submissions}
        files = [
            f
            for result in outcome.results
            if (f := embeds.submission_file(by_id[result.submission_id])) is not None
        ]
        embed = embeds.results_embed(outcome, tallies, numbers)
        if may_embed(channel):
            content, embed_or_missing = None, embed
        else:  # Discord would drop the embed: the results go out as text
            content, embed_or_missing = embed_as_text(embed), discord.utils.MISSING
        message = await channel.send(
            content,
            embed=embed_or_missing,
            files=files or discord.utils.MISSING,
            allowed_mentions=embeds.NO_MENTIONS,
        )
        await self.db.run(repo.set_results_message, challenge.id, message.id)
        log.info("challenge %s: results announced in message %s", challenge.id, message.id)
        await self._close_ballots(channel, challenge, submissions)

    async def _close_ballots(
        self,
        channel: discord.abc.Messageable,
        challenge: ChallengeRecord,
        submissions: list[SubmissionRecord],
    ) -> None:
        """Grey out the vote buttons (best effort: a click after closing is refused anyway)."""
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return
        for number, submission in enumerate(submissions, start=1):
            if not submission.vote_message_id:
                continue
            try:
                await channel.get_partial_message(submission.vote_message_id).edit(
                    view=ballot_view(challenge.id, submission.id, number, closed=True, locale=challenge.locale)
                )
            except discord.HTTPException as exc:
                log.info("challenge %s: ballot %s not updated (%s)", challenge.id, number, exc)

    async def _give_up(self, challenge_id: int) -> None:
        repo = self.db.challenges
        challenge = await self.db.run(repo.get, challenge_id)
        if challenge.state is ChallengeState.CLOSED:
            await self.db.run(repo.set_results_message, challenge_id, UNDELIVERABLE)
        elif challenge.state is ChallengeState.VOTING:
            for submission in await self.db.run(repo.submissions, challenge_id):
                if submission.vote_message_id is None:
                    await self.db.run(repo.set_vote_message, submission.id, UNDELIVERABLE)
