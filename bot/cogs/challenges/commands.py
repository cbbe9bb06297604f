"""/challenge: create, submit, start-voting, list, leaderboard and cancel; the vote handler."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs.challenges import embeds
from bot.cogs.challenges.checks import challenge_admin
from bot.cogs.challenges.config import DEFAULT_VOTING, ChallengeSettings
from bot.cogs.challenges.converters import parse_deadline, parse_duration
from bot.cogs.challenges.errors import ChallengeCommandError, NotYourResult, UploadRejected
from bot.cogs.challenges.scheduler import ChallengeScheduler
from bot.cogs.challenges.uploads import ValidUpload, check_content, read_attachment
from bot.cogs.challenges.views import COG_NAME, VoteButton
from bot.db import Database
from bot.db import errors as db_errors
from bot.db.models import ChallengeKind, ChallengeState, utcnow
from bot.db.records import ChallengeRecord, HistoryRecord
from bot.delivery import channel_permissions
from bot.i18n import Term, t

if TYPE_CHECKING:
    from bot.interfaces import CogHost

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

NO_MENTIONS = embeds.NO_MENTIONS
CODE_URL = re.compile(r"^https?://[^\s<>]{3,290}$")
JUMP_URL = re.compile(r"/channels/(?:\d+|@me)/(?P<channel>\d+)/(?P<message>\d+)")
HISTORY_FETCH_TIMEOUT = 10.0
UNLOAD_GRACE_SECONDS = 15.0
THREAD_ARCHIVE_MINUTES = 10080  # a week, Discord's longest: a challenge runs for days


def result_file(message: discord.Message) -> discord.Attachment | None:
    """The file of a result the bot posted: its first attachment that is not the embed's
    picture. A result lists its files best first (the audio, then the MIDI file; the full
    article), so no list of file types is kept here."""

    def pictured(attachment: discord.Attachment) -> bool:
        for embed in message.embeds:
            url = (embed.image.url or "").split("?", 1)[0]
            if url == f"attachment://{attachment.filename}" or url.endswith(f"/{attachment.filename}"):
                return True
        return False

    return next((a for a in message.attachments if not pictured(a)), None)


ANNOUNCE_PERMISSIONS = ("view_channel", "send_messages", "embed_links")


def missing_post_permissions(channel: object) -> str:
    """The permissions the bot lacks to post an embed in ``channel`` ("" when none, or when
    its cache cannot tell). Without Embed Links, Discord would drop the announcement."""
    have = channel_permissions(channel)
    if have is None:
        return ""
    lacking = [name for name in ANNOUNCE_PERMISSIONS if not getattr(have, name)]
    return ", ".join(name.replace("_", " ").title() for name in lacking)


def guild_locale(interaction: discord.Interaction) -> str | None:
    """The guild's preferred locale (a Discord locale code), the language of a challenge's
    public messages; None where Discord sends none."""
    locale = interaction.guild_locale
    return getattr(locale, "value", None) or (str(locale) if locale else None)


async def answer_deferred(interaction: discord.Interaction, text: str) -> None:
    """Fill in a deferred reply (its "thinking…" message) with ``text``.

    An edit, not a followup: Discord turns only the first followup after a deferral into
    that edit, and keeps the deferral's visibility whatever the followup's flags say.
    """
    await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)


async def reply(interaction: discord.Interaction, text: str, *, ephemeral: bool = True) -> None:
    """Answer whether or not the interaction was already acknowledged."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(
            text, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )


class Challenges(commands.Cog, name=COG_NAME):
    """Community coding challenges: prompts, entries, votes, winners and a leaderboard."""

    # Guild-only, also for Discord's contexts field (dm_permission alone is deprecated).
    challenge = app_commands.Group(
        name="challenge", description="Community coding challenges", guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(
        self,
        bot: CogHost,
        settings: ChallengeSettings,
        database: Database,
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.db = database  # the bot's; it opens and disposes of it
        self.scheduler: ChallengeScheduler | None = None
        self._tick_lock = asyncio.Lock()

    async def _call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a repository call off the loop; a rule refusal becomes a user-facing error."""
        try:
            return await self.db.run(fn, *args, **kwargs)
        except db_errors.ChallengeError as exc:  # worded in the member's language: a state by its label
            fields = {key: Term(embeds.STATE_LABELS[ChallengeState(value)]) if key == "state" else value
                      for key, value in exc.fields.items()}
            raise ChallengeCommandError(exc.template, **fields) from exc

    async def cog_load(self) -> None:
        self.scheduler = ChallengeScheduler(
            self.bot, self.db, self.settings.scoring, lease_seconds=self.settings.lease_seconds
        )
        self.bot.add_dynamic_items(VoteButton)
        self.scheduler_loop.change_interval(seconds=self.settings.poll_seconds)
        self.scheduler_loop.start()

    async def cog_unload(self) -> None:
        # Let a tick in progress finish, so a posted message and its stored id stay together.
        try:
            async with asyncio.timeout(UNLOAD_GRACE_SECONDS):
                await self._tick_lock.acquire()
        except TimeoutError:
            log.warning("challenge scheduler still busy at unload; cancelling it")
        self.scheduler_loop.cancel()
        self.bot.remove_dynamic_items(VoteButton)

    @tasks.loop(seconds=30.0)
    async def scheduler_loop(self) -> None:
        assert self.scheduler is not None
        async with self._tick_lock:
            try:
                await self.scheduler.tick()
            except Exception:  # a bad tick must not stop the loop; the next one retries
                log.exception("challenge scheduler tick failed")

    @scheduler_loop.before_loop
    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    # -- autocomplete -------------------------------------------------------

    async def _challenge_choices(
        self, interaction: discord.Interaction, current: str, states: tuple[ChallengeState, ...]
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        challenges = await self.db.run(
            self.db.challenges.in_guild, interaction.guild_id, states=states, limit=25
        )
        current = current.strip().lower().lstrip("#")
        return [
            app_commands.Choice(name=f"#{c.id} {c.title}"[:100], value=c.id)
            for c in challenges
            if not current or current in f"{c.id} {c.title}".lower()
        ][:25]

    async def open_challenges(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self._challenge_choices(interaction, current, (ChallengeState.OPEN,))

    async def active_challenges(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await self._challenge_choices(
            interaction, current, (ChallengeState.OPEN, ChallengeState.VOTING)
        )

    async def history_results(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        kind = None
        challenge_id = getattr(interaction.namespace, "challenge", None)
        if isinstance(challenge_id, int) and interaction.guild_id is not None:
            try:
                challenge = await self.db.run(
                    self.db.challenges.get, challenge_id, guild_id=interaction.guild_id
                )
                kind = challenge.kind
            except db_errors.ChallengeNotFound:
                pass
        records = await self.db.run(
            self.db.history.recent,
            interaction.user.id,
            limit=25,
            kind=kind,
            search=current.strip()[:50] or None,
        )
        return [
            app_commands.Choice(
                name=f"{r.summary or r.kind.value} · {r.created_at:%Y-%m-%d %H:%M}"[:100],
                value=r.job_id,
            )
            for r in records
        ]

    # -- commands -----------------------------------------------------------

    @challenge.command(name="create")
    @app_commands.describe(
        title="A short title for the challenge",
        prompt="What to make, e.g. 'generate a music clip for a genre that you choose'",
        kind="Whether entries are music (MIDI or a wikimuse clip) or text",
        deadline="When submissions close: a duration (3d, 36h), a UTC date (2026-12-01 18:00) or a Discord timestamp",
        voting="How long voting lasts after the deadline, e.g. 2d or 12h (default 2d)",
        genre="An optional genre for the entries",
        channel="Where to announce and hold the vote (default: here)",
    )
    @app_commands.choices(
        kind=[app_commands.Choice(name=k.value, value=k.value) for k in ChallengeKind]
    )
    @challenge_admin()
    async def create(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, 100],
        prompt: app_commands.Range[str, 1, 1500],
        kind: str,
        deadline: app_commands.Range[str, 1, 64],
        voting: app_commands.Range[str, 1, 32] = DEFAULT_VOTING,
        genre: app_commands.Range[str, 1, 64] | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Start a community challenge and announce it (Manage Server)."""
        assert interaction.guild_id is not None
        now = utcnow()
        submission_deadline = parse_deadline(deadline, now)
        voting_deadline = submission_deadline + parse_duration(voting)
        target = channel or interaction.channel
        if not isinstance(target, discord.abc.Messageable) or getattr(target, "id", None) is None:
            raise ChallengeCommandError("Pick a text channel for the challenge.")
        missing = missing_post_permissions(target)
        if missing:
            raise ChallengeCommandError(
                "I cannot post the announcement in {channel}: I need {missing} there.",
                channel=target.mention, missing=missing,  # type: ignore[union-attr]
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        record = await self._call(
            self.db.challenges.create,
            guild_id=interaction.guild_id,
            channel_id=target.id,  # type: ignore[union-attr]
            created_by=interaction.user.id,
            title=title,
            prompt=prompt,
            kind=kind,
            genre=genre,
            submission_deadline=submission_deadline,
            voting_deadline=voting_deadline,
            now=now,
            locale=guild_locale(interaction),
        )
        try:
            message = await target.send(
                embed=embeds.announcement_embed(record, self.settings.scoring),
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException:  # 403, 404, or an announcement Discord would not show
            await self._call(self.db.challenges.cancel, record.id, guild_id=interaction.guild_id)
            raise ChallengeCommandError(
                "I cannot post in that channel; the challenge was not created."
            ) from None
        await self._call(self.db.challenges.set_announcement, record.id, message.id)
        thread = await self._open_thread(message, record)
        locale = interaction.locale
        talk = t(locale, "; entries and talk in {thread}", thread=thread.mention) if thread is not None else ""
        await answer_deferred(interaction, t(locale, "Challenge #{id} is announced: {link}{talk}",
                                             id=record.id, link=message.jump_url, talk=talk))

    async def _open_thread(self, announcement: discord.Message,
                           record: ChallengeRecord) -> discord.Thread | None:
        """A public thread from the announcement, for entries and talk, linked from it
        (best effort: without Create Public Threads the challenge goes on without one)."""
        if not isinstance(announcement.channel, discord.TextChannel):
            return None
        try:
            thread = await announcement.create_thread(name=embeds.thread_name(record),
                                                      auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except discord.HTTPException as exc:
            log.info("challenge %s: no thread (%s)", record.id, exc)
            return None
        try:
            await announcement.edit(embed=embeds.announcement_embed(record, self.settings.scoring, thread.id),
                                    allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.info("challenge %s: announcement not linked to its thread (%s)", record.id, exc)
        return thread

    @challenge.command(name="submit")
    @app_commands.describe(
        challenge="The challenge to enter",
        result="One of your wikimuse results (type to search your history)",
        file="Or your own file: MIDI for music challenges, .txt/.md for text",
        code="An optional link to the code that made your entry",
    )
    @app_commands.autocomplete(challenge=open_challenges, result=history_results)
    async def submit(
        self,
        interaction: discord.Interaction,
        challenge: app_commands.Range[int, 1],
        result: app_commands.Range[str, 1, 64] | None = None,
        file: discord.Attachment | None = None,
        code: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        """Enter a challenge with a wikimuse result or your own file; again to replace it."""
        assert interaction.guild_id is not None
        if (result is None) == (file is None):
            raise ChallengeCommandError(
                "Choose one: a `result` from your history, or a `file` you made."
            )
        if code is not None and not CODE_URL.match(code.strip()):
            raise ChallengeCommandError("The code link must be an http(s) URL.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        record = await self._call(self.db.challenges.get, challenge, guild_id=interaction.guild_id)
        if record.state is not ChallengeState.OPEN or record.submission_deadline <= utcnow():
            raise ChallengeCommandError("Challenge #{id} no longer takes entries.", id=record.id)
        fields: dict[str, object]
        if file is not None:
            upload = await read_attachment(
                file, record.kind, getattr(interaction, "filesize_limit", None)
            )
            fields = {
                "content": upload.data,
                "filename": upload.filename,
                "content_type": upload.content_type,
                "summary": f"{upload.filename}",
            }
        else:
            assert result is not None
            entry = await self._call(self.db.history.get, result.strip())
            if entry is None or entry.user_id != interaction.user.id:
                raise NotYourResult(
                    "That is not one of your wikimuse results; pick one from the list."
                )
            if entry.kind is not record.kind:
                raise NotYourResult(
                    "This is a music challenge; pick a music result." if record.kind.value == "music"
                    else "This is a text challenge; pick a text result."
                )
            upload = await self._fetch_history_content(entry, record.kind)
            fields = {
                "job_id": entry.job_id,
                "summary": entry.summary,
                "jump_url": entry.jump_url,
            }
            if upload is not None:
                fields.update(
                    content=upload.data, filename=upload.filename, content_type=upload.content_type
                )
        outcome = await self._call(
            self.db.challenges.submit,
            record.id,
            interaction.user.id,
            code_url=code.strip() if code else None,
            **fields,  # type: ignore[arg-type]
        )
        entered = ("✅ Your entry for challenge #{id} replaced your earlier entry. You can submit again "
                   "to replace it until {deadline}." if outcome.replaced else
                   "✅ Your entry for challenge #{id} is in. You can submit again to replace it until {deadline}.")
        await answer_deferred(interaction, t(interaction.locale, entered, id=record.id,
                                             deadline=embeds.timestamp(record.submission_deadline)))

    async def _fetch_history_content(
        self, entry: HistoryRecord, kind: ChallengeKind
    ) -> ValidUpload | None:
        """Best effort: copy the clip or article from the result's message, so the entry
        survives that message. None when it cannot be read; the ballot then links to it."""
        match = JUMP_URL.search(entry.jump_url or "")
        if match is None:
            return None
        try:
            async with asyncio.timeout(HISTORY_FETCH_TIMEOUT):
                channel = self.bot.get_channel(
                    int(match["channel"])
                ) or await self.bot.fetch_channel(int(match["channel"]))
                message = await channel.fetch_message(int(match["message"]))  # type: ignore[union-attr]
                attachment = result_file(message)
                if attachment is not None:
                    data = await attachment.read()
                    if kind is ChallengeKind.TEXT:
                        return check_content(attachment.filename, data, kind)
                    content_type = attachment.content_type or "application/octet-stream"
                    return ValidUpload(attachment.filename, content_type, data)
                if kind is ChallengeKind.TEXT and message.embeds and message.embeds[0].description:
                    text = message.embeds[0].description.encode("utf-8")
                    return check_content(f"{entry.job_id}.md", text, kind)
        except (TimeoutError, discord.HTTPException, AttributeError, UploadRejected) as exc:
            log.info("history %s: could not copy the result (%s)", entry.job_id, exc)
        return None

    @challenge.command(name="start-voting")
    @app_commands.describe(challenge="The open challenge whose voting starts now")
    @app_commands.autocomplete(challenge=open_challenges)
    @challenge_admin()
    async def start_voting(
        self, interaction: discord.Interaction, challenge: app_commands.Range[int, 1]
    ) -> None:
        """Close entries now and post every entry with a vote button (Manage Server)."""
        assert interaction.guild_id is not None and self.scheduler is not None
        record = await self._call(self.db.challenges.get, challenge, guild_id=interaction.guild_id)
        if not await self._call(self.db.challenges.open_voting, record.id, early=True):
            raise ChallengeCommandError("Challenge #{id} is not open for entries.", id=record.id)
        await interaction.response.send_message(
            t(interaction.locale, "Voting for challenge #{id} is open; the entries follow in {channel}.",
              id=record.id, channel=f"<#{record.channel_id}>"),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        await self.scheduler.publish(record.id)

    @challenge.command(name="list")
    async def list_challenges(self, interaction: discord.Interaction) -> None:
        """The server's challenges, newest first."""
        assert interaction.guild_id is not None
        records = await self._call(self.db.challenges.in_guild, interaction.guild_id, limit=10)
        await interaction.response.send_message(
            embed=embeds.list_embed(records, interaction.locale), allowed_mentions=NO_MENTIONS
        )

    @challenge.command(name="leaderboard")
    async def leaderboard(self, interaction: discord.Interaction) -> None:
        """Points per member across the server's challenges."""
        assert interaction.guild is not None
        rows = await self._call(self.db.challenges.leaderboard, interaction.guild.id, limit=10)
        await interaction.response.send_message(
            embed=embeds.leaderboard_embed(rows, interaction.guild.name, interaction.locale),
            allowed_mentions=NO_MENTIONS,
        )

    @challenge.command(name="cancel")
    @app_commands.describe(challenge="The challenge to cancel")
    @app_commands.autocomplete(challenge=active_challenges)
    @challenge_admin()
    async def cancel(
        self, interaction: discord.Interaction, challenge: app_commands.Range[int, 1]
    ) -> None:
        """Cancel an open or voting challenge; nobody scores (Manage Server)."""
        assert interaction.guild_id is not None
        record = await self._call(
            self.db.challenges.cancel, challenge, guild_id=interaction.guild_id
        )
        await interaction.response.send_message(  # public: in the challenge's language
            t(record.locale, "Challenge #{id}, *{title}*, was cancelled by {member}.", id=record.id,
              title=embeds.clean(record.title, 200), member=f"<@{interaction.user.id}>"),
            allowed_mentions=NO_MENTIONS,
        )

    # -- votes --------------------------------------------------------------

    async def handle_vote(
        self, interaction: discord.Interaction, challenge_id: int, submission_id: int
    ) -> None:
        """A vote button press: record or change the vote, answer privately."""
        # The database may be busy (many voters at once): reply first, within 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        locale = interaction.locale
        try:
            outcome = await self.db.run(
                self.db.challenges.vote, challenge_id, submission_id, interaction.user.id
            )
        except db_errors.SelfVote:
            await reply(interaction, t(locale, "You cannot vote for your own entry."))
            return
        except (db_errors.WrongState, db_errors.DeadlinePassed):
            await reply(interaction, t(locale, "Voting for challenge #{id} is closed.", id=challenge_id))
            return
        except (db_errors.ChallengeNotFound, db_errors.SubmissionNotFound):
            await reply(interaction, t(locale, "That entry no longer exists."))
            return
        numbers = {
            s.id: n
            for n, s in enumerate(
                await self.db.run(self.db.challenges.submissions, challenge_id), start=1
            )
        }
        number = numbers.get(outcome.submission_id, "?")
        if outcome.previous_submission_id is None:
            text = t(locale, "✅ Your vote for entry {number} is counted.", number=number)
        elif outcome.changed:
            before = numbers.get(outcome.previous_submission_id, "?")
            text = t(locale, "🔁 You changed your vote from entry {before} to entry {number}.",
                     before=before, number=number)
        else:
            text = t(locale, "You already voted for entry {number}.", number=number)
        await reply(interaction, text + t(locale, " Tallies stay hidden until voting closes."))
