"""Challenge records -> Discord embeds, files and message text (no I/O here)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

import discord

from bot.db.models import ChallengeKind, ChallengeState
from bot.db.records import (
    ChallengeRecord,
    CloseOutcome,
    LeaderboardRow,
    Scoring,
    SubmissionRecord,
)
from bot.i18n import Locale, in_context, t

COLOUR = discord.Colour.from_rgb(88, 101, 242)
GOLD = discord.Colour.gold()
PLACE_NAMES = {1: "🥇 Winner", 2: "🥈 Runner-up"}  # catalog texts, as the labels below
TEXT_PREVIEW_CHARS = 1500
NO_MENTIONS = discord.AllowedMentions.none()


def timestamp(when: datetime) -> str:
    """Discord's full date and relative forms: ``<t:unix:F> (<t:unix:R>)``."""
    unix = int(when.timestamp())
    return f"<t:{unix}:F> (<t:{unix}:R>)"


def clean(text: str, limit: int) -> str:
    """Markdown-escaped, mention-neutral and clipped user text."""
    text = discord.utils.escape_mentions(discord.utils.escape_markdown(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rules_text(challenge: ChallengeRecord, scoring: Scoring) -> str:
    locale = challenge.locale
    entry = t(locale, "a wikimuse clip from your `/history`, or your own MIDI"
              if (challenge.kind is ChallengeKind.MUSIC)
              else "a wikimuse article from your `/history`, or your own text (`.txt`/`.md`)")
    return "\n".join((
        t(locale, "• Submit with `/challenge submit`: {entry}, with an optional link to your code.", entry=entry),
        t(locale, "• One entry per member; submitting again replaces your entry until the deadline."),
        t(locale, "• Voting: one vote per member, never for yourself; you may change your vote."),
        t(locale, "• Tallies stay hidden until voting closes."),
        t(locale, "• Winner {win} points, runner-up {runner_up}.", win=scoring.win, runner_up=scoring.runner_up),
    ))


def thread_name(challenge: ChallengeRecord) -> str:
    """The name of the challenge's thread (Discord: 1 to 100 characters)."""
    name = t(challenge.locale, "Challenge #{id}: {title}", id=challenge.id, title=" ".join(challenge.title.split()))
    return name if len(name) <= 100 else name[:99] + "…"


def announcement_embed(challenge: ChallengeRecord, scoring: Scoring,
                       thread_id: int | None = None) -> discord.Embed:
    """The announcement, in the challenge's language (its guild's, see ``ChallengeRecord.locale``):
    a public message, as are the ballots and the results below."""
    locale = challenge.locale
    embed = discord.Embed(
        title="🎯 " + t(locale, "Challenge #{id}: {title}", id=challenge.id, title=clean(challenge.title, 200)),
        description=clean(challenge.prompt, 3000),
        colour=COLOUR,
    )
    embed.add_field(name=t(locale, "Kind"), value=t(locale, challenge.kind.value))
    if challenge.genre:
        embed.add_field(name=t(locale, "Genre"), value=clean(challenge.genre, 100))
    embed.add_field(
        name=t(locale, "Submissions close"), value=timestamp(challenge.submission_deadline), inline=False
    )
    embed.add_field(name=t(locale, "Voting closes"), value=timestamp(challenge.voting_deadline), inline=False)
    embed.add_field(name=t(locale, "Rules"), value=rules_text(challenge, scoring), inline=False)
    if thread_id is not None:
        embed.add_field(name=t(locale, "Entries and talk"), value=f"<#{thread_id}>", inline=False)
    embed.set_footer(text=t(locale, "Challenge #{id}", id=challenge.id))
    return embed


def voting_header(challenge: ChallengeRecord, entries: int) -> str:
    return t(
        challenge.locale,
        "🗳️ **Voting is open** for challenge #{id}, *{title}*: {count} entry below. One vote per member, "
        "never for yourself; press another entry's button to change your vote. Voting closes {when}."
        if entries == 1 else
        "🗳️ **Voting is open** for challenge #{id}, *{title}*: {count} entries below. One vote per member, "
        "never for yourself; press another entry's button to change your vote. Voting closes {when}.",
        id=challenge.id, title=clean(challenge.title, 200), count=entries, when=timestamp(challenge.voting_deadline),
    )


def submission_text(challenge: ChallengeRecord, submission: SubmissionRecord, number: int) -> str:
    locale = challenge.locale
    lines = [t(locale, "**Entry {number}** for challenge #{id}, by {member}", number=number, id=challenge.id,
               member=f"<@{submission.user_id}>")]
    if submission.summary:
        lines.append(clean(submission.summary, 300))
    if submission.job_id and submission.jump_url:
        lines.append(t(locale, "wikimuse result: {link}", link=submission.jump_url))
    if submission.code_url:
        lines.append(t(locale, "Code: {link}", link=f"<{submission.code_url}>"))
    if submission.content is not None and challenge.kind is ChallengeKind.TEXT:
        preview = submission.content.decode("utf-8", "replace")
        preview = (
            preview if len(preview) <= TEXT_PREVIEW_CHARS else preview[:TEXT_PREVIEW_CHARS] + "…"
        )
        lines.append(">>> " + discord.utils.escape_mentions(preview))
    return "\n".join(lines)[:2000]


def submission_file(submission: SubmissionRecord) -> discord.File | None:
    if submission.content is None:
        return None
    name = submission.filename or f"entry-{submission.id}"
    return discord.File(io.BytesIO(submission.content), filename=name)


def results_embed(
    outcome: CloseOutcome, tallies: Sequence[tuple[int, int, int]], numbers: dict[int, int]
) -> discord.Embed:
    challenge = outcome.challenge
    locale = challenge.locale
    embed = discord.Embed(
        title="🏆 " + t(locale, "Results of challenge #{id}: {title}", id=challenge.id,
                        title=clean(challenge.title, 200)),
        colour=GOLD,
    )
    if not outcome.results:
        embed.description = t(
            locale,
            "No entries, so no winner this time."
            if outcome.submissions == 0
            else "Nobody voted, so no winner this time.",
        )
    for result in outcome.results:
        embed.add_field(
            name=t(locale, PLACE_NAMES[result.place]),
            value=t(
                locale,
                "{member}, entry {number}: {votes} vote, +{points} points" if result.votes == 1
                else "{member}, entry {number}: {votes} votes, +{points} points",
                member=f"<@{result.user_id}>", number=numbers.get(result.submission_id, "?"),
                votes=result.votes, points=result.points,
            ),
            inline=False,
        )
    if tallies:
        lines = [
            t(locale, "Entry {number} ({member}): {votes}", number=numbers.get(sid, "?"), member=f"<@{uid}>",
              votes=votes)
            for sid, uid, votes in tallies
        ]
        embed.add_field(name=t(locale, "All votes"), value="\n".join(lines)[:1024], inline=False)
    embed.set_footer(
        text=t(locale, "{entries} entries, {voters} voters · /challenge leaderboard",
               entries=outcome.submissions, voters=outcome.voters)
    )
    return embed


def leaderboard_embed(rows: Sequence[LeaderboardRow], guild_name: str, locale: Locale = None) -> discord.Embed:
    """The leaderboard, in ``locale``'s language (the user who asked)."""
    embed = discord.Embed(title=t(locale, "🏅 Challenge leaderboard: {guild}", guild=clean(guild_name, 100)),
                          colour=GOLD)
    if not rows:
        embed.description = t(locale, "No challenge has been decided yet.")
        return embed
    embed.description = "\n".join(
        t(locale, "{rank}. {member}: **{points}** points ({wins} win, {runner_ups} runner-up)" if row.wins == 1
          else "{rank}. {member}: **{points}** points ({wins} wins, {runner_ups} runner-up)",
          rank=rank, member=f"<@{row.user_id}>", points=row.points, wins=row.wins, runner_ups=row.runner_ups)
        for rank, row in enumerate(rows, start=1)
    )
    return embed


STATE_LABELS = {
    ChallengeState.OPEN: "open for entries",
    ChallengeState.VOTING: in_context("challenge state", "voting"),
    ChallengeState.CLOSED: "closed",
    ChallengeState.CANCELLED: "cancelled",
}


def list_embed(challenges: Sequence[ChallengeRecord], locale: Locale = None) -> discord.Embed:
    """The server's challenges, in ``locale``'s language (the user who asked)."""
    embed = discord.Embed(title=t(locale, "Challenges"), colour=COLOUR)
    if not challenges:
        embed.description = t(locale, "No challenges yet. Admins start one with `/challenge create`.")
        return embed
    for challenge in challenges[:25]:
        if challenge.state is ChallengeState.OPEN:
            when = t(locale, "entries until {when}", when=timestamp(challenge.submission_deadline))
        elif challenge.state is ChallengeState.VOTING:
            when = t(locale, "voting until {when}", when=timestamp(challenge.voting_deadline))
        else:
            when = t(locale, "since {when}",
                     when=f"<t:{int((challenge.closed_at or challenge.voting_deadline).timestamp())}:d>")
        genre = f", {clean(challenge.genre, 60)}" if challenge.genre else ""
        embed.add_field(
            name=f"#{challenge.id} {clean(challenge.title, 200)}"[:256],
            value=f"{t(locale, challenge.kind.value)}{genre} · {t(locale, STATE_LABELS[challenge.state])} · {when} · "
                  f"<#{challenge.channel_id}>"[
                :1024
            ],
            inline=False,
        )
    return embed
