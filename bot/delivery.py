"""From a deferred interaction to a delivered result, with nothing lost on the way.

:class:`JobRunner` persists the pending job (so a restarted bot can finish it),
enqueues it, edits the deferred reply with progress at most once per interval,
and delivers the result exactly once: by editing the deferred reply while its
token is valid, else by posting to the channel with the bot token.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord
import redis.exceptions
from kombu.exceptions import OperationalError
from sqlalchemy.exc import SQLAlchemyError

from bot import metrics, presenters, safety
from bot.aio import stop_tasks
from bot.db.history import history_kind
from bot.errors import BackendUnavailable, BotError, NotAllowed
from bot.i18n import Locale, t
from bot.jobs import STATE_QUEUED, JobBackend, JobStatus, Result, ThrottledEditor
from bot.leases import Leases
from bot.limits import Limits, RateLimiter
from bot.presenters import NO_MENTIONS, Reply
from bot.settings import BotSettings
from bot.store import PendingJob, Store
from workers import contracts
from workers.contracts import Contract, ErrorResult

if TYPE_CHECKING:
    from bot.interfaces import BotClient

log = logging.getLogger(__name__)

SEND_GRACE_SECONDS = 15.0  # how long close() lets a delivery in flight finish
STOP_GRACE_SECONDS = 5.0  # then how long it waits for the cancelled follow-ups to end
PENDING_SCAN_SECONDS = 5.0  # how often the pending store is scanned for jobs nobody here follows
ARTICLE_TAIL_CHARS = 300  # how much of an article's end "Write more" starts from (a seed's limit is 500)
ADOPT_RETRY_SECONDS = (10.0, 300.0)  # a failed follow-up of a scanned job is retried after 10 s, doubling

ViewFactory = Callable[[PendingJob, Result], discord.ui.View | None]


def _is_token_error(exc: discord.HTTPException) -> bool:
    # 401/50027 Invalid Webhook Token, 404/10015 Unknown Webhook, 10008 Unknown Message.
    return exc.status in (401, 404) or exc.code in (50027, 10015, 10008)


class JobRunner:
    """Runs jobs for interactions and delivers their results.

    Args:
        bot: the client (for channels and webhooks).
        backend: the queue.
        store: pending jobs and delivery claims (Redis); the history goes to ``bot.database``.
        settings: intervals and timeouts.
        view_factory: buttons to put under a result (None: no buttons).
    """

    def __init__(self, bot: BotClient, backend: JobBackend, store: Store, settings: BotSettings,
                 view_factory: ViewFactory | None = None) -> None:
        self.bot = bot
        self.backend = backend
        self.store = store
        self.limiter = RateLimiter(backend.redis)
        self.settings = settings
        self.view_factory = view_factory
        self.leases = Leases(backend.redis, settings)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sending: set[asyncio.Future[Any]] = set()  # deliveries between send and mark
        self._following: set[str] = set()  # job ids a task of this process follows
        self._adopt_failures: dict[str, tuple[int, float]] = {}  # job id -> (failures, retry at)
        self._scanner: asyncio.Task[Any] | None = None
        self.pending_scan_seconds = PENDING_SCAN_SECONDS

    # --- running ------------------------------------------------------------

    async def limits_for(self, guild_id: int | None) -> Limits:
        return Limits.from_settings(self.settings).with_overrides(await self.store.guild_config(guild_id))

    async def check_channel(self, interaction: discord.Interaction) -> None:
        """:class:`NotAllowed` when /config restricted the guild to other channels."""
        config = await self.store.guild_config(interaction.guild_id)
        if not config.allows(interaction.channel_id):
            where = ", ".join(f"<#{c}>" for c in config.channels[:10])
            raise NotAllowed("I only answer in {where} on this server.", where=where)

    async def start(self, interaction: discord.Interaction, job: Contract, task_name: str,
                    label: str, note: str = "") -> PendingJob | None:
        """Check limits, defer, enqueue and follow ``job`` in the background.

        ``note`` goes above the result (e.g. how the seed was changed). An interaction
        the command already deferred (it had work to do first) is not deferred again.

        Raises:
            LimitReached: before deferring, so the refusal can be ephemeral (after it,
                when the command deferred first).
        """
        job_id = job.job_id  # type: ignore[attr-defined]
        try:
            await self.check_channel(interaction)
            limits = await self.limits_for(interaction.guild_id)
            await self.limiter.acquire(user_id=interaction.user.id, guild_id=interaction.guild_id,
                                       job_id=job_id, queue=contracts.TASK_QUEUES[task_name],
                                       limits=limits)
        except redis.exceptions.RedisError as exc:
            log.warning("refused: the backend failed the limit check: %s: %s", type(exc).__name__, exc,
                        extra={"job_id": job_id})
            raise BackendUnavailable() from exc
        if not interaction.response.is_done():
            try:
                await self.acknowledge(interaction, task_name)
            except discord.HTTPException:  # too late (3 s) or already answered: nothing was queued
                await self._release_quietly(interaction.user.id, job_id)
                raise
        try:
            post = await self.open_post(interaction, label)
            pending = await self.submit(interaction, job, task_name, label, note, post=post)
        except BotError as exc:
            await self._release_quietly(interaction.user.id, job_id)
            await interaction.edit_original_response(content=exc.localized(interaction.locale), allowed_mentions=NO_MENTIONS)
            return None
        self.spawn(self._follow_safely(interaction, pending))
        if post is not None:
            try:
                await interaction.edit_original_response(
                    content=t(interaction.locale, "Your {label} gets a post of its own: {post}",
                              label=presenters.quote_user_text(label, 100), post=post.mention),
                    allowed_mentions=NO_MENTIONS)
            except discord.HTTPException as exc:  # the job goes on; its result goes to the post
                log.warning("could not point to the forum post: %s", exc, extra={"job_id": job_id})
        return pending

    async def acknowledge(self, interaction: discord.Interaction, task_name: str) -> None:
        """Defer ``interaction`` ("thinking…"), the reply a result will later replace; in a
        forum, privately (the result goes to a post of its own, :meth:`open_post`)."""
        await interaction.response.defer(thinking=True, ephemeral=in_forum(interaction))
        metrics.observe(task_name, "ack", (discord.utils.utcnow() - interaction.created_at).total_seconds())

    async def open_post(self, interaction: discord.Interaction, label: str) -> discord.Thread | None:
        """In a forum channel, a post (a thread with its first message) for the result; None
        elsewhere.

        Raises:
            NotAllowed: the bot may not post in the forum.
        """
        forum = interaction.channel
        if not isinstance(forum, discord.ForumChannel):
            return None
        quoted = presenters.quote_user_text(label, 100)
        try:
            created = await forum.create_thread(
                name=presenters.clip(label, 100),
                content=t(interaction.locale, "{mention} asked for {what}; it follows here.",
                          mention=f"<@{interaction.user.id}>", what=quoted),
                allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("cannot open a post in forum %s: %s", forum.id, exc)
            raise NotAllowed("I cannot open a post in this forum (I need Send Messages there).") from exc
        return created.thread

    async def _release_quietly(self, user_id: int, job_id: str) -> None:
        try:
            await self.limiter.release(user_id=user_id, job_id=job_id)
        except redis.exceptions.RedisError:
            log.warning("could not release a concurrency slot", extra={"job_id": job_id})

    async def _follow_safely(self, interaction: discord.Interaction, pending: PendingJob) -> None:
        try:
            await self.follow(interaction, pending)
        except (redis.exceptions.RedisError, OperationalError) as exc:
            # Redis went away at delivery. The job stays pending in Redis: the pending scan
            # delivers it once Redis is back, so the user is not told that it failed.
            log.error("lost the backend while delivering a job; the pending scan will retry: %s", exc,
                      extra={"job_id": pending.job_id})
            metrics.count_failure(pending.task_name, metrics.BACKEND_UNAVAILABLE)
        except discord.HTTPException as exc:
            # Discord kept failing (5xx after discord.py's retries): the job stays pending
            # and the pending scan delivers it later.
            log.error("could not deliver a result: %s", exc, extra={"job_id": pending.job_id})
            metrics.count_failure(pending.task_name, metrics.UNDELIVERABLE)
        finally:
            self._following.discard(pending.job_id)

    async def submit(self, interaction: discord.Interaction, job: Contract, task_name: str,
                     label: str, note: str = "", post: discord.Thread | None = None) -> PendingJob:
        """Persist and enqueue ``job`` for a deferred ``interaction``; its result goes to
        ``post`` (a forum post) when given, else replaces the deferred reply."""
        pending = PendingJob(
            job_id=job.job_id, task_name=task_name, user_id=interaction.user.id,  # type: ignore[attr-defined]
            channel_id=post.id if post is not None else interaction.channel_id,
            guild_id=interaction.guild_id,
            interaction_token=None if post is not None else interaction.token,
            application_id=interaction.application_id, job=job.to_dict(), label=label, note=note,
            locale=getattr(interaction.locale, "value", str(interaction.locale or "")))
        self._following.add(pending.job_id)  # before the pending scan can see it
        try:
            await self.store.add_pending(pending)
            await self.leases.take(pending.job_id)
            await self.backend.submit(job, task_name)
        except (redis.exceptions.RedisError, OperationalError, OSError) as exc:
            log.error("cannot enqueue: %s", exc)
            metrics.count_failure(task_name, metrics.BACKEND_UNAVAILABLE)
            self._following.discard(pending.job_id)
            await self._forget_quietly(pending.job_id)
            raise BackendUnavailable() from exc
        return pending

    async def _forget_quietly(self, job_id: str) -> None:
        try:
            await self.store.remove_pending(job_id)
        except redis.exceptions.RedisError:
            pass

    async def follow(self, interaction: discord.Interaction, pending: PendingJob) -> None:
        """Edit ``interaction``'s deferred reply with progress, then deliver the result."""
        spec = contracts.task_spec(pending.task_name)

        async def edit(text: str) -> None:
            try:
                await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException as exc:
                log.warning("progress edit failed: %s", exc, extra={"job_id": pending.job_id})

        editor = ThrottledEditor(edit, self.settings.progress_interval,
                                 quiet_start=self.settings.progress_interval)
        enqueued = time.monotonic()
        running_since: float | None = None

        async def on_status(status: JobStatus) -> None:
            nonlocal running_since
            if running_since is None and status.state != STATE_QUEUED:
                running_since = time.monotonic()
            if not pending.token_valid(margin=60):  # expiring, or a forum post's result
                return
            await editor.show(self.progress_line(status, spec, interaction.locale))

        result = await self.backend.wait(pending.job_id, spec.queue, on_status, self.settings.job_timeout)
        finished = time.monotonic()
        metrics.observe(pending.task_name, "wait", finished - enqueued)
        if running_since is not None:
            metrics.observe(pending.task_name, "queued", running_since - enqueued)
            metrics.observe(pending.task_name, "run", finished - running_since)
        await editor.wait_final()
        message = await self.deliver(pending, result, interaction=interaction)
        if message is not None:
            metrics.observe(pending.task_name, "deliver", time.monotonic() - finished)
            metrics.observe(pending.task_name, "total",
                            (discord.utils.utcnow() - interaction.created_at).total_seconds())

    def progress_line(self, status: JobStatus, spec: contracts.TaskSpec, locale: Locale = None) -> str:
        if status.state == STATE_QUEUED:
            eta = None
            if status.position is not None:
                eta = status.position * spec.typical_seconds
            return presenters.progress_text("queued", position=status.position, eta_seconds=eta, locale=locale)
        fraction = status.progress.fraction if status.progress else None
        return presenters.progress_text("running", fraction=fraction, verb=spec.verb, locale=locale)

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._log_failure)
        return task

    @staticmethod
    def _log_failure(task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("job follow-up failed", exc_info=task.exception())

    async def close(self) -> None:
        # A delivery already sending must finish (and be marked) before we stop: cancelled
        # between Discord accepting the message and mark_delivered, it would be released
        # and sent again by the next start.
        sending = [t for t in self._sending if not t.done()]
        if sending:
            await asyncio.wait(sending, timeout=SEND_GRACE_SECONDS)
        await stop_tasks(list(self._tasks), STOP_GRACE_SECONDS)

    # --- recovery after a restart --------------------------------------------

    async def resume_pending(self) -> int:
        """Follow every pending job that this process may lease (see :mod:`bot.leases`) and
        that no task of it follows, now and then every :attr:`pending_scan_seconds`: jobs a
        previous run left, jobs of a bot process that died, and jobs whose follower lost
        Redis at delivery. Results go out exactly once. Returns how many were taken now.
        """
        if self._scanner is None:
            self._scanner = self.spawn(self._scan_pending())
        return await self._adopt_pending()

    async def keep_leases(self) -> None:
        """Renew this process's leases and take over the jobs of dead ones, forever."""
        while True:
            await asyncio.sleep(self.leases.interval)
            try:
                await self.leases.renew()
                await self._adopt_pending()
            except redis.exceptions.RedisError as exc:  # Redis restarting: try again next time
                log.warning("cannot renew job leases: %s", exc)

    async def _scan_pending(self) -> None:
        while True:
            await asyncio.sleep(self.pending_scan_seconds)
            try:
                await self._adopt_pending()
            except redis.exceptions.RedisError as exc:
                log.debug("pending scan failed: %s", exc)

    async def _adopt_pending(self) -> int:
        now = time.monotonic()
        taken = 0
        ids = await self.store.pending_ids()
        for gone in set(self._adopt_failures) - set(ids):  # delivered meanwhile, by whoever
            del self._adopt_failures[gone]
        for job_id in ids:
            if job_id in self._following or self._adopt_failures.get(job_id, (0, 0.0))[1] > now:
                continue
            pending = await self.store.get_pending(job_id)
            if pending is None or job_id in self._following:
                continue
            # Leased here but no task follows it (its follower lost Redis): follow it again.
            if job_id not in self.leases.held and not await self.leases.acquire(pending):
                continue
            self._following.add(job_id)
            self.spawn(self._resume(pending))
            taken += 1
        if taken:
            log.info("following %d pending job(s)", taken)
        return taken

    async def _resume(self, pending: PendingJob) -> None:
        queue = contracts.TASK_QUEUES.get(pending.task_name, contracts.QUEUE_TEXT)
        # The deadline runs from when the job was sent, not from when it was picked up here.
        remaining = max(0.0, pending.created_at + self.settings.job_timeout - time.time())
        try:
            result = await self.backend.wait(pending.job_id, queue, None, remaining)
            await self.bot.wait_until_ready()
            await self.deliver(pending, result)
        except Exception:
            failures = self._adopt_failures.get(pending.job_id, (0, 0.0))[0] + 1
            first, cap = ADOPT_RETRY_SECONDS
            self._adopt_failures[pending.job_id] = (failures, time.monotonic() + min(cap, first * 2 ** (failures - 1)))
            raise
        else:
            self._adopt_failures.pop(pending.job_id, None)
        finally:
            self._following.discard(pending.job_id)

    # --- delivery -------------------------------------------------------------

    async def _send_and_mark(self, pending: PendingJob, reply: Reply, view: Any,
                             interaction: discord.Interaction | None) -> discord.Message | None:
        try:
            message = None
            if pending.token_valid():
                message = await self._edit_original(pending, reply, view, interaction)
            if message is None:
                message = await self._post_in_channel(pending, reply, view)
        except BaseException:
            await self.store.release_delivery(pending.job_id)
            raise
        await self.store.mark_delivered(pending.job_id)
        return message

    def reply_for(self, result: Result, size_limit: int | None, note: str = "",
                  job: dict[str, Any] | None = None, locale: Locale = None) -> Reply:
        return presenters.result_reply(result, size_limit=size_limit, note=note, job=job, locale=locale)

    async def deliver(self, pending: PendingJob, result: Result,
                      interaction: discord.Interaction | None = None) -> discord.Message | None:
        """Send ``result`` once (masked where safe mode is on): edit the deferred reply,
        else post in the channel."""
        pending, result = await safety.screen(self.bot, pending, result)
        # The job as it ran: the seed the worker drew, for the buttons and the parameters shown.
        job = {**pending.job, "rng_seed": getattr(result, "rng_seed", pending.job.get("rng_seed"))}
        if not isinstance(result, ErrorResult):  # before the send, so its buttons work at once
            tail = getattr(result, "text", "")[-ARTICLE_TAIL_CHARS:]
            await self.store.remember_job(pending.job_id, dataclasses.replace(pending, job=job, tail=tail))
        if not await self.store.claim_delivery(pending.job_id):
            log.info("already delivered", extra={"job_id": pending.job_id})
            return None
        if interaction is not None:
            size_limit = interaction.filesize_limit
        else:  # a recovered job: the guild's upload limit per file (10 MiB without boosts)
            guild = self.bot.get_guild(pending.guild_id) if pending.guild_id else None
            size_limit = guild.filesize_limit if guild is not None else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES
        reply = self.reply_for(result, size_limit, pending.note, job, pending.locale)
        view = self.view_factory(pending, result) if self.view_factory else None
        # Send and mark in a task of its own, shielded: close() waits for it, so a
        # shutdown never cuts a delivery between the send and the mark.
        send = asyncio.ensure_future(self._send_and_mark(pending, reply, view, interaction))
        self._sending.add(send)
        send.add_done_callback(self._sending.discard)
        message = await asyncio.shield(send)
        metrics.count_result(pending.task_name, result.code if isinstance(result, ErrorResult) else None)
        await self._release_quietly(pending.user_id, pending.job_id)
        if message is not None and not isinstance(result, ErrorResult):
            await self.record_history(pending, message)
        return message

    async def record_history(self, pending: PendingJob, message: discord.Message) -> None:
        """Add a delivered result to the SQL history (idempotent per job id).

        A row is dated when the job was asked for, so /history lists a member's results in
        the order of their commands, however the workers finished them. The result is
        already in the channel, so a database failure is logged, not raised.
        """
        database = self.bot.database
        if database is None:
            log.warning("no database: result not added to the history", extra={"job_id": pending.job_id})
            return
        try:
            await database.run(
                database.history.record, job_id=pending.job_id, user_id=pending.user_id,
                guild_id=pending.guild_id, channel_id=pending.channel_id,
                kind=history_kind(pending.task_name), summary=pending.label, jump_url=message.jump_url,
                created_at=datetime.fromtimestamp(pending.created_at, UTC))
        except (SQLAlchemyError, ValueError) as exc:
            log.error("could not record the history: %s", exc, extra={"job_id": pending.job_id})

    async def _edit_original(self, pending: PendingJob, reply: Reply, view: discord.ui.View | None,
                             interaction: discord.Interaction | None) -> discord.Message | None:
        kwargs: dict[str, Any] = dict(content=reply.content, embeds=reply.embeds,
                                      attachments=reply.files(), allowed_mentions=NO_MENTIONS)
        if view is not None:
            kwargs["view"] = view
        try:
            if interaction is not None:
                return await interaction.edit_original_response(**kwargs)
            webhook = discord.Webhook.partial(pending.application_id or self.bot.application_id or 0,
                                              pending.interaction_token or "", client=self.bot)
            return await webhook.edit_message("@original", **kwargs)  # type: ignore[arg-type]
        except discord.HTTPException as exc:
            if _is_token_error(exc):
                log.info("interaction token no longer valid; posting in the channel",
                         extra={"job_id": pending.job_id})
                return None
            raise

    async def _post_in_channel(self, pending: PendingJob, reply: Reply,
                               view: discord.ui.View | None) -> discord.Message | None:
        if pending.channel_id is None:
            log.warning("no channel to post a late result in", extra={"job_id": pending.job_id})
            return None
        channel = self.bot.get_channel(pending.channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(pending.channel_id)
            except discord.HTTPException as exc:
                log.warning("channel %s unavailable: %s", pending.channel_id, exc)
                return None
        mention = presenters.late_delivery_line(pending.user_id, pending.label, failed=reply.failed,
                                                locale=pending.locale)
        content = f"{mention}\n{reply.content}" if reply.content else mention
        # Only the requester may be pinged: no roles, no @everyone, no other users.
        only_requester = discord.AllowedMentions(everyone=False, roles=False, replied_user=False,
                                                 users=[discord.Object(pending.user_id)])
        kwargs: dict[str, Any] = dict(content=presenters.clip(content, presenters.CONTENT_MAX),
                                      embeds=reply.embeds, files=reply.files(),
                                      allowed_mentions=only_requester)
        if view is not None:
            kwargs["view"] = view
        return await self._send_permitted(channel, pending, kwargs)

    async def _send_permitted(self, channel: Any, pending: PendingJob,
                              kwargs: dict[str, Any]) -> discord.Message | None:
        """``channel.send`` as far as the bot's permissions there allow.

        Without Attach Files the result goes out without its files (and without embed
        images that pointed at them). A channel the bot cannot see or write in (403) gets
        nothing: that is final, so the job is not retried on every start.
        """
        try:
            return await channel.send(**kwargs)
        except discord.Forbidden as exc:
            if kwargs.get("files") and may_send_but_not_attach(channel):
                log.warning("cannot attach files in channel %s (%s); posting without them",
                            pending.channel_id, exc.text, extra={"job_id": pending.job_id})
                note = "(I may not attach files in this channel.)"
                kwargs = {**kwargs, "files": [], "embeds": [_without_attached_images(e) for e in kwargs["embeds"]],
                          "content": presenters.clip(f"{kwargs['content']}\n{note}", presenters.CONTENT_MAX)}
                return await self._send_permitted(channel, pending, kwargs)
            log.warning("cannot post in channel %s (%s); the result is not delivered",
                        pending.channel_id, exc.text, extra={"job_id": pending.job_id})
            metrics.count_failure(pending.task_name, metrics.UNDELIVERABLE)
            return None


def in_forum(interaction: discord.Interaction) -> bool:
    return isinstance(interaction.channel, discord.ForumChannel)


def channel_permissions(channel: Any) -> discord.Permissions | None:
    """The bot's permissions in ``channel`` as its cache knows them (None: it cannot tell)."""
    guild = getattr(channel, "guild", None)
    if guild is None or guild.me is None or not hasattr(channel, "permissions_for"):
        return None
    return channel.permissions_for(guild.me)


def may_send_but_not_attach(channel: Any) -> bool:
    """Whether the bot may post in ``channel`` but not attach files (as its cache knows):
    then a 403 for a message with files is about the files, and it can go without them."""
    permissions = channel_permissions(channel)
    return permissions is not None and permissions.send_messages and not permissions.attach_files


def _without_attached_images(embed: discord.Embed) -> discord.Embed:
    """``embed`` without the image or thumbnail that named an attachment (``attachment://``)."""
    data = embed.to_dict()
    for key in ("image", "thumbnail"):
        if str((data.get(key) or {}).get("url", "")).startswith("attachment://"):
            data.pop(key)  # type: ignore[misc]
    return discord.Embed.from_dict(data)
