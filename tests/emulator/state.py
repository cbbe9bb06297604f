"""The emulator's state: one fake Discord's world, its messages, and the request log.

:class:`EmulatorState` holds what a Discord server would store (the application, guilds,
users, roles, channels, messages, attachments, interactions, synced commands) and what a
test reads back (every :class:`RecordedRequest`); :mod:`tests.emulator.gateway` and
:mod:`tests.emulator.rest` serve it, :mod:`tests.emulator.server` puts them together.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.emulator import payloads as p
from tests.emulator import rules as r_
from tests.emulator.ratelimits import RateLimiter
from tests.emulator.rules import Rules
from tests.emulator.spec import discord_spec

API_VERSION = 10

# Interaction callback types.
CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE = 4, 5
CALLBACK_DEFERRED_UPDATE, CALLBACK_UPDATE_MESSAGE = 6, 7
CALLBACK_AUTOCOMPLETE, CALLBACK_MODAL = 8, 9
MESSAGE_FLAG_EPHEMERAL, MESSAGE_FLAG_LOADING = 64, 128

# Application command types (data.type of an APPLICATION_COMMAND interaction).
COMMAND_CHAT_INPUT, COMMAND_USER, COMMAND_MESSAGE = 1, 2, 3
INTERACTION_PING, INTERACTION_COMMAND, INTERACTION_COMPONENT = 1, 2, 3
INTERACTION_AUTOCOMPLETE, INTERACTION_MODAL_SUBMIT = 4, 5
# Discord's docs (Interaction Response Types): which callbacks each interaction may get.
ALLOWED_CALLBACKS = {
    INTERACTION_PING: (1,),
    INTERACTION_COMMAND: (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE, CALLBACK_MODAL),
    INTERACTION_COMPONENT: (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE, CALLBACK_DEFERRED_UPDATE,
                            CALLBACK_UPDATE_MESSAGE, CALLBACK_MODAL),
    INTERACTION_AUTOCOMPLETE: (CALLBACK_AUTOCOMPLETE,),
    INTERACTION_MODAL_SUBMIT: (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE, CALLBACK_DEFERRED_UPDATE,
                               CALLBACK_UPDATE_MESSAGE),
}
# Codes of requests refused as malformed: a correct bot never gets these.
INVALID_CODES = (50035, 40005, 50006)


@dataclass
class RecordedFile:
    """One uploaded file of a multipart request."""

    field_name: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One REST request the bot made, and what the emulator answered."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]
    at: float  # time.monotonic()
    authorization: str | None
    content_type: str = ""
    status: int = 0
    response: Any = None
    rule: str | None = None  # the rule that refused it (None: accepted, or not a rule)

    @property
    def code(self) -> int | None:
        return self.response.get("code") if isinstance(self.response, dict) else None

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Upload:
    """A file a simulated user attaches to a slash command option."""

    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class InteractionRecord:
    """An interaction the emulator dispatched, and how the bot answered it."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    created: float  # time.monotonic()
    user_id: int
    channel_id: int
    callback_type: int | None = None
    callback_at: float | None = None
    callback_json: Any = None
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    expired: bool = False
    followup_edited_original: bool = False  # the first followup after a deferral edited it
    callback_attempts: list[int] = field(default_factory=list)  # callback types tried, refused too
    modal_submitted: bool = False  # the modal it was answered with was submitted (and so closed)

    @property
    def status_seen(self) -> bool:
        """The bot tried to answer (accepted or not)."""
        return bool(self.callback_attempts)

    @property
    def deferral_seconds(self) -> float | None:
        return None if self.callback_at is None else self.callback_at - self.created

    @property
    def ephemeral(self) -> bool:
        data = (self.callback_json or {}).get("data") or {}
        return bool(int(data.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL)


def upload_names(files: list[RecordedFile], declared: list[dict[str, Any]] | None) -> list[str]:
    """The names of uploaded files: the declared ``attachments[].filename`` of each
    ``files[n]``, else its own filename."""
    by_index = {str(a.get("id")): a for a in declared or []}
    names = []
    for f in files:
        index = f.field_name.removeprefix("files[").removesuffix("]")
        names.append(by_index.get(index, {}).get("filename") or f.filename)
    return names


class GatewaySession:
    """One gateway session: survives a websocket reconnect through RESUME."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.seq = 0
        self.events: list[dict[str, Any]] = []
        self.ws: web.WebSocketResponse | None = None
        self.identify: dict[str, Any] | None = None
        self.shard: tuple[int, int] = (0, 1)  # [shard_id, num_shards] from IDENTIFY
        self.heartbeats = 0
        self.resumes = 0

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed


class EmulatorError(AssertionError):
    """The bot did not do what a test waited for."""


class EmulatorState:
    """The world of one fake Discord, and the record of what the bot asked of it.

    The first guild (``guild_id``) has roles and admins; :meth:`add_guild` adds plain ones.
    Arguments: see :class:`tests.emulator.server.DiscordEmulator`.
    """

    def __init__(self, *, token: str = "emulator.bot.token", callback_deadline: float = 3.0,
                 token_ttl: float = 15 * 60, attachment_size_limit: int = r_.FILE_SIZE_MAX,
                 rules: Rules | None = None, attachment_ttl: float = 24 * 3600,
                 shard_count: int = 1) -> None:
        self.token = token
        self.callback_deadline = callback_deadline
        self.token_ttl = token_ttl
        self.attachment_size_limit = attachment_size_limit
        self.rules = rules or Rules()
        self.attachment_ttl = attachment_ttl
        self.shard_count = shard_count
        self.spec = discord_spec()
        self.ratelimiter = RateLimiter()
        self.application_id = p.snowflake()
        self.bot_user = p.user(self.application_id, "wikimuse", bot=True)
        self.owner_id = p.snowflake()
        self.guild_id = p.snowflake()
        self.guild_names: dict[int, str] = {self.guild_id: "wikimuse test guild"}
        self.admin_role_id = p.snowflake()
        self.users: dict[int, dict[str, Any]] = {self.owner_id: p.user(self.owner_id, "owner")}
        self.member_roles: dict[int, list[int]] = {self.owner_id: [self.admin_role_id]}
        # Each user's client language (an interaction's ``locale``) and the guild's
        # (``guild_locale``, the community's preferred locale): Discord locale codes.
        self.user_locales: dict[int, str] = {}
        self.guild_locale = "en-US"
        self.roles = [
            p.role(self.guild_id, "@everyone", p.EVERYONE_PERMISSIONS, 0),
            p.role(self.admin_role_id, "admin", p.EVERYONE_PERMISSIONS | p.PERM_MANAGE_GUILD, 1),
        ]
        self.channels: dict[int, dict[str, Any]] = {}
        self.bot_denied: dict[int, int] = {}  # channel id -> permission bits denied to the bot
        self.default_channel_id = self.add_channel("general")
        self.messages: dict[int, dict[str, Any]] = {}
        self.attachments: dict[int, bytes] = {}
        self.requests: list[RecordedRequest] = []
        self.interactions: dict[int, InteractionRecord] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # guild id (None: global)
        self.sessions: dict[str, GatewaySession] = {}  # gateway sessions by id
        self.identifies = 0
        self.heartbeats = 0
        self._acks: set[asyncio.Task[None]] = set()  # HEARTBEAT_ACKs on their way
        self.expect_invalid = False  # set by tests that send malformed requests on purpose
        self._failures: list[list[Any]] = []  # [method, path fragment, status, times left]
        self._cdn_key = secrets.token_bytes(16)
        self._url_generation = 0
        self.host = "127.0.0.1"
        self.port = 0  # set by DiscordEmulator.start

    # --- where it listens ----------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    # --- world building ------------------------------------------------------

    def add_channel(self, name: str, guild_id: int | None = None, *, forum: bool = False) -> int:
        """A text channel (or a forum channel, type 15) in a guild (default: the first)."""
        channel_id = p.snowflake()
        build = p.forum_channel if forum else p.text_channel
        self.channels[channel_id] = build(channel_id, guild_id or self.guild_id, name, len(self.channels))
        return channel_id

    def dm_channel(self, user_id: int) -> int:
        """The DM channel (type 1) between ``user_id`` and the bot (created on first use)."""
        for channel_id, channel in self.channels.items():
            if channel["type"] == p.CHANNEL_DM and channel["recipients"][0]["id"] == str(user_id):
                return channel_id
        channel_id = p.snowflake()
        self.channels[channel_id] = p.dm_channel(channel_id, self.users[user_id])
        return channel_id

    def add_private_channel(self, *user_ids: int, name: str = "friends") -> int:
        """A group DM (type 3) of users, without the bot: a user-installed app reaches it
        only through its interactions' webhooks."""
        channel_id = p.snowflake()
        self.channels[channel_id] = p.group_dm_channel(
            channel_id, name, user_ids[0], [self.users[u] for u in user_ids])
        return channel_id

    def add_thread(self, parent_id: int, name: str, *, owner_id: int | None = None,
                   thread_id: int | None = None, auto_archive_duration: int = 1440) -> int:
        """A public thread (type 11) under a text or forum channel."""
        thread_id = thread_id or p.snowflake()
        self.channels[thread_id] = p.thread_channel(
            thread_id, self.channels[parent_id], name, owner_id or self.application_id,
            auto_archive_duration)
        return thread_id

    def is_thread(self, channel_id: int) -> bool:
        return self.channels[channel_id]["type"] == p.CHANNEL_PUBLIC_THREAD

    def context_of(self, channel_id: int) -> int:
        """The interaction context of a channel: 0 a guild, 1 the bot's DM, 2 a private channel."""
        kind = self.channels[channel_id]["type"]
        return (p.CONTEXT_BOT_DM if kind == p.CHANNEL_DM else
                p.CONTEXT_PRIVATE_CHANNEL if kind == p.CHANNEL_GROUP_DM else p.CONTEXT_GUILD)

    def bot_is_member(self, channel_id: int) -> bool:
        """Whether the bot itself is in the channel (its own DMs and guild channels; never a
        group DM, where only a user-installed app's interactions reach)."""
        return self.channels[channel_id]["type"] != p.CHANNEL_GROUP_DM

    def add_guild(self, name: str) -> tuple[int, int]:
        """Add a guild with one text channel (before the bot connects); returns both ids.
        Successive guilds get successive snowflake timestamps, so they spread over the shards."""
        guild_id = p.snowflake() + (len(self.guild_names) << 22)
        self.guild_names[guild_id] = name
        return guild_id, self.add_channel("general", guild_id)

    def guild_of(self, channel_id: int) -> int | None:
        """The channel's guild (None: a DM or group DM)."""
        guild_id = self.channels[channel_id].get("guild_id")
        return None if guild_id is None else int(guild_id)

    def shard_of(self, guild_id: int, num_shards: int) -> int:
        return (guild_id >> 22) % num_shards

    def bot_permissions(self, channel_id: int) -> int:
        """The bot's permissions in a channel: @everyone's, less what the test denied (a
        thread: its parent's); in its DM, a DM's; in a group DM, what a user-installed app's
        responses may do."""
        channel = self.channels[channel_id]
        if channel["type"] == p.CHANNEL_DM:
            return p.DM_PERMISSIONS
        if channel["type"] == p.CHANNEL_GROUP_DM:
            return p.PRIVATE_CHANNEL_APP_PERMISSIONS
        if channel["type"] == p.CHANNEL_PUBLIC_THREAD:
            return self.bot_permissions(int(channel["parent_id"]))
        return p.EVERYONE_PERMISSIONS & ~self.bot_denied.get(channel_id, 0)

    def add_user(self, username: str, *, admin: bool = False, locale: str = "en-US") -> int:
        """A member of the guild whose Discord client runs in ``locale`` (e.g. ``de``, ``es-ES``)."""
        user_id = p.snowflake()
        self.users[user_id] = p.user(user_id, username)
        self.member_roles[user_id] = [self.admin_role_id] if admin else []
        self.set_locale(user_id, locale)
        return user_id

    def set_locale(self, user_id: int, locale: str) -> None:
        """Switch ``user_id``'s client language: their next interactions carry ``locale``."""
        self.user_locales[user_id] = locale

    def permissions_of(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return (1 << 53) - 1
        perms = 0
        role_ids = {self.guild_id, *self.member_roles.get(user_id, [])}
        for role in self.roles:
            if int(role["id"]) in role_ids:
                perms |= int(role["permissions"])
        return perms

    def member(self, user_id: int, *, with_permissions: bool = False) -> dict[str, Any]:
        perms = self.permissions_of(user_id) if with_permissions else None
        return p.member(self.users[user_id], self.member_roles.get(user_id, []), perms)

    def guild_payload(self, guild_id: int | None = None) -> dict[str, Any]:
        guild_id = guild_id or self.guild_id
        here = [c for c in self.channels.values() if c.get("guild_id") == str(guild_id)]
        channels = [c for c in here if c["type"] != p.CHANNEL_PUBLIC_THREAD]
        threads = [c for c in here if c["type"] == p.CHANNEL_PUBLIC_THREAD]
        if guild_id == self.guild_id:
            roles, members = self.roles, [self.member(uid) for uid in self.users]
        else:  # an added guild: only @everyone
            roles = [p.role(guild_id, "@everyone", p.EVERYONE_PERMISSIONS, 0)]
            members = [p.member(u, []) for u in self.users.values()]
        members.append(p.member(self.bot_user, []))
        return {**p.guild(guild_id, self.guild_names[guild_id], self.owner_id, roles, channels, members),
                "threads": threads}

    def application_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id), "name": "wikimuse", "icon": None,
            "description": "test application", "rpc_origins": [], "bot_public": True,
            "bot_require_code_grant": False, "owner": self.users[self.owner_id],
            "summary": "", "verify_key": "0" * 64, "team": None, "flags": 0,
            "bot": self.bot_user, "tags": [], "redirect_uris": [],
            "interactions_endpoint_url": None, "approximate_guild_count": 1,
        }

    def sync_commands(self, guild_id: int | None, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        synced = []
        for command in commands:
            stored = {"default_member_permissions": None, "nsfw": False, "type": 1,
                      "options": [], "description": "", **command}
            stored.update(id=str(p.snowflake()), application_id=str(self.application_id),
                          version=str(p.snowflake()))
            if guild_id is not None:
                stored["guild_id"] = str(guild_id)
            synced.append(stored)
        self.commands[guild_id] = synced
        return synced

    def _command_schema(self, name: str, command_type: int = 1) -> dict[str, Any] | None:
        """The synced command ``name`` of ``command_type`` (1 slash, 2 user, 3 message)."""
        for scope in (self.guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name and int(command.get("type") or 1) == command_type:
                    return command
        return None

    def connected_bot(self) -> bool:
        """Whether a client has identified (and hears the gateway's events)."""
        return any(s.identify is not None for s in self.sessions.values())

    async def dispatch(self, event: str, data: dict[str, Any],
                       session: GatewaySession | None = None) -> None:
        """Send a gateway event to the bot (the gateway, :mod:`tests.emulator.gateway`, does)."""
        raise NotImplementedError

    # --- request log ---------------------------------------------------------

    def requests_matching(self, method: str | None = None, contains: str = "") -> list[RecordedRequest]:
        return [r for r in self.requests
                if (method is None or r.method == method) and contains in r.path]

    def requests_for(self, interaction: InteractionRecord) -> list[RecordedRequest]:
        """Every request answering ``interaction`` (callback, @original, followups)."""
        return [r for r in self.requests if interaction.token in r.path]

    def original_edits(self, interaction: InteractionRecord) -> list[RecordedRequest]:
        return [r for r in self.requests_for(interaction)
                if r.method == "PATCH" and r.path.endswith("/messages/@original")]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0,
                       what: str = "condition") -> Any:
        """Poll ``predicate`` until it returns something truthy (and return that)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                routes = "\n".join(f"  {r.status} {r.route} {str(r.json)[:200]}"
                                   for r in self.requests[-15:])
                raise EmulatorError(f"timed out after {timeout}s waiting for {what}; "
                                    f"last requests:\n{routes}")
            await asyncio.sleep(0.02)

    async def wait_for_request(self, predicate: Callable[[RecordedRequest], bool],
                               timeout: float = 10.0, what: str = "request",
                               after: int = 0) -> RecordedRequest:
        def find() -> RecordedRequest | None:
            for r in self.requests[after:]:
                if r.status and predicate(r):
                    return r
            return None
        return await self.wait_for(find, timeout, what)

    # --- messages and attachments --------------------------------------------

    def channel_messages(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        channel_id = channel_id or self.default_channel_id
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    def original_message(self, record: InteractionRecord) -> dict[str, Any] | None:
        return self.messages.get(record.original_message_id or 0)

    def files_of(self, message: dict[str, Any]) -> dict[str, bytes]:
        """filename -> bytes of a stored message's attachments."""
        return {a["filename"]: self.attachments[int(a["id"])] for a in message.get("attachments", [])}

    def upload(self, upload: Upload, channel_id: int | None = None) -> dict[str, Any]:
        """Store a file a user attaches (to a command option) and return its attachment payload."""
        attachment_id = p.snowflake()
        self.attachments[attachment_id] = upload.data
        return p.attachment(attachment_id, upload.filename, len(upload.data),
                            self.cdn_url(channel_id or self.default_channel_id, attachment_id,
                                          upload.filename), upload.content_type)

    def jump_url(self, message: dict[str, Any]) -> str:
        """The link Discord's client opens a message with (``Message.jump_url``)."""
        guild = message.get("guild_id") or "@me"
        return f"https://discord.com/channels/{guild}/{message['channel_id']}/{message['id']}"

    def post_user_message(self, content: str = "", uploads: list[Upload] | None = None, *,
                          user: int | None = None, channel: int | None = None) -> dict[str, Any]:
        """A message a user posts in a channel (with files), e.g. for a context menu to act on."""
        channel_id = channel or self.default_channel_id
        author = self.users[user or self.owner_id]
        attachments = [self.upload(u, channel_id) for u in uploads or []]
        message = p.message(p.snowflake(), channel_id, author, guild_id=self.guild_of(channel_id),
                            content=content, attachments=attachments)
        self.messages[int(message["id"])] = message
        return message

    def cdn_url(self, channel_id: int, attachment_id: int, filename: str) -> str:
        """A signed attachment URL like Discord's CDN: ``ex`` (expiry), ``is`` (issued), ``hm``."""
        issued = int(time.time())
        expires = int(issued + self.attachment_ttl)
        query = f"ex={expires:x}&is={issued:x}"
        signature = hmac.new(self._cdn_key, f"{self._url_generation}:{attachment_id}?{query}".encode(),
                             hashlib.sha256)
        return (f"{self.base_url}/attachments/{channel_id}/{attachment_id}/"
                f"{urllib.parse.quote(filename)}?{query}&hm={signature.hexdigest()}")

    def url_valid(self, attachment_id: int, query: dict[str, str]) -> bool:
        try:
            expires, issued = int(query["ex"], 16), int(query["is"], 16)
        except (KeyError, ValueError):
            return False
        signed = f"{self._url_generation}:{attachment_id}?ex={query['ex']}&is={query['is']}"
        expected = hmac.new(self._cdn_key, signed.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, query.get("hm", "")) and issued <= time.time() < expires

    def fresh(self, message: dict[str, Any]) -> dict[str, Any]:
        """A message as a read returns it: attachment URLs signed anew, as Discord does."""
        attachments = [{**a, "url": (url := self.cdn_url(int(message["channel_id"]), int(a["id"]),
                                                          a["filename"])), "proxy_url": url}
                       for a in message.get("attachments", [])]
        return {**message, "attachments": attachments}

    def _store_files(self, channel_id: int, files: list[RecordedFile],
                     declared: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        out = []
        for f, name in zip(files, upload_names(files, declared), strict=True):
            attachment_id = p.snowflake()
            self.attachments[attachment_id] = f.data
            filename = r_.sanitize_filename(name) if self.rules.attachments else name
            out.append(p.attachment(attachment_id, filename, len(f.data),
                                    self.cdn_url(channel_id, attachment_id, filename), f.content_type))
        return out

    def create_message(self, channel_id: int, body: dict[str, Any] | None,
                        files: list[RecordedFile], *, webhook: bool = False, flags: int = 0,
                        record: InteractionRecord | None = None) -> dict[str, Any]:
        body = body or {}
        message_id = p.snowflake()
        metadata = None
        if record is not None:
            metadata = {"id": str(record.id), "type": record.type,
                        "user": self.users[record.user_id],
                        "authorizing_integration_owners": record.payload["authorizing_integration_owners"]}
        message = p.message(
            message_id, channel_id, self.bot_user, guild_id=self.guild_of(channel_id),
            content=body.get("content") or "", embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            attachments=self._store_files(channel_id, files, body.get("attachments")),
            flags=flags | int(body.get("flags") or 0),
            webhook_id=self.application_id if webhook else None,
            application_id=self.application_id if webhook else None,
            message_type=20 if record is not None else (19 if body.get("message_reference") else 0),
            message_reference=body.get("message_reference"), interaction_metadata=metadata)
        message["allowed_mentions"] = body.get("allowed_mentions")
        self.messages[message_id] = message
        return message

    def edit_message(self, message: dict[str, Any], body: dict[str, Any] | None,
                      files: list[RecordedFile]) -> dict[str, Any]:
        body = body or {}
        for key, empty in (("content", ""), ("embeds", []), ("components", [])):
            if key in body:
                message[key] = body[key] if body[key] is not None else empty
        if "allowed_mentions" in body:
            message["allowed_mentions"] = body["allowed_mentions"]
        if "flags" in body and body["flags"] is not None:
            # Only SUPPRESS_EMBEDS can change on an edit; EPHEMERAL stays what it was.
            kept = int(message.get("flags") or 0) & (MESSAGE_FLAG_EPHEMERAL | MESSAGE_FLAG_LOADING)
            message["flags"] = kept | (int(body["flags"]) & ~MESSAGE_FLAG_EPHEMERAL)
        channel_id = int(message["channel_id"])
        if "attachments" in body:
            keep_ids = {str(a.get("id")) for a in body["attachments"] or []}
            kept = [a for a in message["attachments"] if a["id"] in keep_ids]
            message["attachments"] = kept + self._store_files(channel_id, files, body["attachments"])
        elif files:
            message["attachments"] = message["attachments"] + self._store_files(channel_id, files, None)
        message["flags"] = int(message.get("flags") or 0) & ~MESSAGE_FLAG_LOADING
        message["edited_timestamp"] = p.iso_now()
        return message

    def find_interaction(self, token: str) -> InteractionRecord | None:
        for record in self.interactions.values():
            if record.token == token:
                return record
        return None

    # --- rules: test controls and what they refused --------------------------

    def fail_next(self, contains: str = "", *, method: str | None = None, status: int = 500,
                  times: int = 1) -> None:
        """Answer the next ``times`` requests whose path contains ``contains`` with ``status``
        (a 5xx, as Discord does now and then), before doing anything else with them."""
        self._failures.append([method, contains, status, times])

    def injected_failure(self, r: RecordedRequest) -> int | None:
        for failure in self._failures:
            method, contains, status, times = failure
            if times > 0 and (method is None or method == r.method) and contains in r.path:
                failure[3] -= 1
                return status
        return None

    def expire_tokens(self) -> None:
        """Make every interaction token so far invalid (as after 15 minutes)."""
        for record in self.interactions.values():
            record.expired = True

    def expire_attachment_urls(self) -> None:
        """Every attachment URL handed out so far stops working (as after their expiry)."""
        self._url_generation += 1  # old signatures no longer verify

    def rejected(self, *rules: str) -> list[RecordedRequest]:
        """Requests a rule refused (all rules, or those named: ``"spec"``, ``"limits"``,
        ``"interactions"``, ``"permissions"``, ``"rate_limits"``, ``"attachments"``, ``"server_error"``)."""
        return [r for r in self.requests if r.rule and (not rules or r.rule in rules)]

    def invalid_requests(self) -> list[RecordedRequest]:
        """Requests Discord would refuse as malformed (400 50035 or 50006, 413 40005)."""
        return [r for r in self.requests if r.rule and r.code in INVALID_CODES]

    def assert_no_invalid_requests(self) -> None:
        """Fail unless every request the bot sent was well formed (tests that send malformed
        requests on purpose set :attr:`expect_invalid`)."""
        invalid = self.invalid_requests()
        if invalid and not self.expect_invalid:
            lines = "\n".join(f"  {r.status} {r.route}: {json.dumps(r.response)[:400]}\n"
                              f"    body: {json.dumps(r.json)[:400]}" for r in invalid[:10])
            raise EmulatorError(f"{len(invalid)} request(s) Discord would refuse:\n{lines}")
