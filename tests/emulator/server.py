"""A local Discord API emulator: REST + gateway websocket on aiohttp, for offline tests.

The real, unmodified discord.py client talks to it once ``discord.http.Route.BASE`` and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` point here (see
:meth:`DiscordEmulator.patch_discord`). It implements what wikimuse uses:

- REST: ``/users/@me``, ``/oauth2/applications/@me``, ``/gateway(/bot)``, command sync
  (global and guild), interaction callbacks (``with_response``), the ``@original``
  message and followups (JSON or multipart with ``payload_json`` + ``files[n]``),
  channel messages, and attachment downloads (signed URLs that expire).
- Gateway: HELLO -> heartbeat/ACK -> IDENTIFY -> READY (``resume_gateway_url``,
  ``application``) -> GUILD_CREATE; RESUME replays missed events; RECONNECT on demand.
  Shards: IDENTIFY ``shard: [id, n]`` gets the guilds with ``(guild_id >> 22) % n == id``,
  and their events (interactions included) go to that shard's session.
- Test drivers: :meth:`invoke` (slash command or ``"group sub"``), :meth:`click`/
  :meth:`select` (components), :meth:`autocomplete`, token expiry, the bot's channel
  permissions, injected server errors, and a record of every request
  (:class:`RecordedRequest`) so tests assert on what the bot actually sent.

It answers as Discord does, and says no as Discord does (:class:`tests.emulator.rules.Rules`,
all on by default; ``docs/CONFORMANCE.md`` lists each rule and its source): bodies are
validated against Discord's OpenAPI spec and documented limits (400 50035 with Discord's
error tree, 413 40005 for a file over the limit), interaction callbacks follow Discord's
rules (types, 3 s, 15 min token, the first followup after a deferral edits it, ephemeral
messages hidden from channel routes), the bot's channel permissions apply (403), and rate
limits answer 429 with Discord's headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import yarl
from aiohttp import web

from tests.emulator import payloads as p
from tests.emulator import rules as r_
from tests.emulator.ratelimits import RateLimiter, is_interaction_endpoint
from tests.emulator.rules import Rules
from tests.emulator.spec import FormErrors, discord_spec

API_VERSION = 10
GATEWAY_OP_DISPATCH, GATEWAY_OP_HEARTBEAT, GATEWAY_OP_IDENTIFY = 0, 1, 2
GATEWAY_OP_RESUME, GATEWAY_OP_RECONNECT, GATEWAY_OP_INVALID_SESSION = 6, 7, 9
GATEWAY_OP_HELLO, GATEWAY_OP_HEARTBEAT_ACK = 10, 11

# Interaction callback types.
CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE = 4, 5
CALLBACK_DEFERRED_UPDATE, CALLBACK_UPDATE_MESSAGE = 6, 7
CALLBACK_AUTOCOMPLETE, CALLBACK_MODAL = 8, 9
MESSAGE_FLAG_EPHEMERAL, MESSAGE_FLAG_LOADING = 64, 128

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


class DiscordEmulator:
    """State of one fake Discord: a bot application, its guilds, users, channels, messages.

    The first guild (``guild_id``) has roles and admins; :meth:`add_guild` adds plain ones.
    Each guild's events go to the gateway session of its shard, ``(guild_id >> 22) % num_shards``.

    Args:
        token: the bot token the client must present.
        callback_deadline: seconds an interaction may wait for its first callback.
        token_ttl: seconds an interaction token stays valid for webhook calls.
        attachment_size_limit: what INTERACTION_CREATE announces, and the per-file upload
            limit of interaction responses (bytes).
        rules: the Discord rules enforced (default: all of them).
        attachment_ttl: seconds a signed attachment URL stays valid (Discord: about a day).
        shard_count: the shard count ``GET /gateway/bot`` recommends.
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
        self.sessions: dict[str, GatewaySession] = {}
        self.identifies = 0
        self.heartbeats = 0
        self.expect_invalid = False  # set by tests that send malformed requests on purpose
        self._failures: list[list[Any]] = []  # [method, path fragment, status, times left]
        self._cdn_key = secrets.token_bytes(16)
        self._url_generation = 0
        self._acks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ----------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> DiscordEmulator:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/gateway/", self._gateway)
        app.router.add_get("/resume", self._gateway)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._download)
        app.router.add_route("*", f"/api/v{API_VERSION}/{{path:.*}}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.host = host
        return self

    async def stop(self) -> None:
        for session in self.sessions.values():
            if session.connected:
                with contextlib.suppress(Exception):
                    await session.ws.close()  # type: ignore[union-attr]
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway here, and restore them after."""
        import discord.gateway
        import discord.http

        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url + "/")
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    # --- world building -----------------------------------------------------

    def add_channel(self, name: str, guild_id: int | None = None) -> int:
        channel_id = p.snowflake()
        self.channels[channel_id] = p.text_channel(channel_id, guild_id or self.guild_id, name,
                                                   len(self.channels))
        return channel_id

    def add_guild(self, name: str) -> tuple[int, int]:
        """Add a guild with one text channel (before the bot connects); returns both ids.
        Successive guilds get successive snowflake timestamps, so they spread over the shards."""
        guild_id = p.snowflake() + (len(self.guild_names) << 22)
        self.guild_names[guild_id] = name
        return guild_id, self.add_channel("general", guild_id)

    def guild_of(self, channel_id: int) -> int:
        return int(self.channels[channel_id]["guild_id"])

    def shard_of(self, guild_id: int, num_shards: int) -> int:
        return (guild_id >> 22) % num_shards

    async def create_channel(self, name: str) -> int:
        """Add a text channel and tell connected clients (CHANNEL_CREATE), as Discord does."""
        channel_id = self.add_channel(name)
        if self.active_session is not None:
            await self.dispatch("CHANNEL_CREATE", self.channels[channel_id])
        return channel_id

    async def set_bot_permissions(self, channel_id: int, *, deny: int = 0) -> None:
        """Deny the bot ``deny`` (permission bits) in a channel, as a member overwrite would,
        and tell connected clients (CHANNEL_UPDATE). ``deny=0`` restores the defaults."""
        self.bot_denied[channel_id] = deny
        overwrites = [{"id": str(self.application_id), "type": 1, "allow": "0", "deny": str(deny)}]
        self.channels[channel_id]["permission_overwrites"] = overwrites if deny else []
        if self.active_session is not None:
            await self.dispatch("CHANNEL_UPDATE", self.channels[channel_id])

    def bot_permissions(self, channel_id: int) -> int:
        """The bot's permissions in a channel: @everyone's, less what the test denied."""
        return p.EVERYONE_PERMISSIONS & ~self.bot_denied.get(channel_id, 0)

    def add_user(self, username: str, *, admin: bool = False) -> int:
        user_id = p.snowflake()
        self.users[user_id] = p.user(user_id, username)
        self.member_roles[user_id] = [self.admin_role_id] if admin else []
        return user_id

    def permissions_of(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return (1 << 53) - 1
        perms = 0
        role_ids = {self.guild_id, *self.member_roles.get(user_id, [])}
        for role in self.roles:
            if int(role["id"]) in role_ids:
                perms |= int(role["permissions"])
        return perms

    def _member(self, user_id: int, *, with_permissions: bool = False) -> dict[str, Any]:
        perms = self.permissions_of(user_id) if with_permissions else None
        return p.member(self.users[user_id], self.member_roles.get(user_id, []), perms)

    def guild_payload(self, guild_id: int | None = None) -> dict[str, Any]:
        guild_id = guild_id or self.guild_id
        channels = [c for c in self.channels.values() if int(c["guild_id"]) == guild_id]
        if guild_id == self.guild_id:
            roles, members = self.roles, [self._member(uid) for uid in self.users]
        else:  # an added guild: only @everyone
            roles = [p.role(guild_id, "@everyone", p.EVERYONE_PERMISSIONS, 0)]
            members = [p.member(u, []) for u in self.users.values()]
        members.append(p.member(self.bot_user, []))
        return p.guild(guild_id, self.guild_names[guild_id], self.owner_id, roles, channels, members)

    # --- request log --------------------------------------------------------

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

    # --- gateway ------------------------------------------------------------

    @property
    def active_session(self) -> GatewaySession | None:
        live = [s for s in self.sessions.values() if s.identify is not None]
        connected = [s for s in live if s.connected]
        return (connected or live or [None])[-1]

    def session_for(self, guild_id: int) -> GatewaySession | None:
        """The gateway session that gets ``guild_id``'s events: its shard's, the connected
        one first (None: no session runs that shard)."""
        live = [s for s in self.sessions.values() if s.identify is not None
                and s.shard[0] == self.shard_of(guild_id, s.shard[1])]
        connected = [s for s in live if s.connected]
        return (connected or live or [None])[-1]

    async def wait_until_connected(self, timeout: float = 15.0) -> GatewaySession:
        return await self.wait_for(
            lambda: self.active_session if self.active_session and self.active_session.connected
            else None, timeout, "a gateway session")

    async def dispatch(self, event: str, data: dict[str, Any],
                       session: GatewaySession | None = None) -> None:
        if session is None:
            guild_id = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_") else None)
            session = self.session_for(int(guild_id)) if guild_id else self.active_session
        if session is None:
            raise EmulatorError("no gateway session to dispatch to")
        session.seq += 1
        frame = {"op": GATEWAY_OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        session.events.append(frame)
        if session.connected:
            await session.ws.send_str(json.dumps(frame))  # type: ignore[union-attr]

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: the client reconnects to resume_gateway_url and RESUMEs."""
        session = self.active_session
        if session and session.connected:
            await session.ws.send_str(json.dumps({"op": GATEWAY_OP_RECONNECT, "d": None}))  # type: ignore[union-attr]

    async def _ack_later(self, ws: web.WebSocketResponse) -> None:
        await asyncio.sleep(0.05)
        if not ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(json.dumps({"op": GATEWAY_OP_HEARTBEAT_ACK}))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": GATEWAY_OP_HELLO, "d": {"heartbeat_interval": 41250}}))
        session: GatewaySession | None = None
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op, data = frame.get("op"), frame.get("d")
            if op == GATEWAY_OP_HEARTBEAT:
                self.heartbeats += 1
                if session:
                    session.heartbeats += 1
                # Answer after a moment, like a real network: discord.py's keep-alive thread
                # records its send time only after the send returns, and an instant ACK
                # would make it log a spurious "Can't keep up".
                ack = asyncio.create_task(self._ack_later(ws))
                self._acks.add(ack)
                ack.add_done_callback(self._acks.discard)
            elif op == GATEWAY_OP_IDENTIFY:
                if data.get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                shard_id, num_shards = data.get("shard") or (0, 1)
                if not 0 <= shard_id < num_shards:
                    await ws.close(code=4010, message=b"Invalid shard.")
                    break
                self.identifies += 1
                session = GatewaySession(secrets.token_hex(16))
                session.identify = data
                session.shard = (shard_id, num_shards)
                session.ws = ws
                self.sessions[session.session_id] = session
                guilds = [g for g in self.guild_names if self.shard_of(g, num_shards) == shard_id]
                await self.dispatch("READY", {
                    "v": API_VERSION, "user": self.bot_user,
                    "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
                    "session_id": session.session_id,
                    "resume_gateway_url": f"ws://{self.host}:{self.port}/resume",
                    "shard": [shard_id, num_shards],
                    "application": {"id": str(self.application_id), "flags": 0},
                }, session)
                for guild_id in guilds:
                    await self.dispatch("GUILD_CREATE", self.guild_payload(guild_id), session)
            elif op == GATEWAY_OP_RESUME:
                known = self.sessions.get(data.get("session_id"))
                if known is None or data.get("token") != self.token:
                    await ws.send_str(json.dumps({"op": GATEWAY_OP_INVALID_SESSION, "d": False}))
                    continue
                session = known
                session.ws = ws
                session.resumes += 1
                for missed in session.events:
                    if missed["s"] > int(data.get("seq") or 0):
                        await ws.send_str(json.dumps(missed))
                await self.dispatch("RESUMED", {}, session)
        return ws

    # --- driving the bot ----------------------------------------------------

    def _new_interaction(self, itype: int, data: dict[str, Any], user_id: int, channel_id: int | None,
                         message_payload: dict[str, Any] | None = None) -> InteractionRecord:
        if user_id not in self.users:
            raise EmulatorError(f"unknown user {user_id}")
        channel_id = channel_id or self.default_channel_id
        record = InteractionRecord(
            id=p.snowflake(), token="aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48), type=itype,
            payload={}, created=time.monotonic(), user_id=user_id, channel_id=channel_id)
        record.payload = p.interaction(
            interaction_id=record.id, interaction_type=itype, token=record.token,
            application_id=self.application_id, guild_id=self.guild_of(channel_id),
            channel=self.channels[channel_id],
            member_payload=self._member(user_id, with_permissions=True) if self.guild_of(channel_id) == self.guild_id
            else p.member(self.users[user_id], [], p.EVERYONE_PERMISSIONS), data=data,
            app_permissions=self.bot_permissions(channel_id),
            attachment_size_limit=self.attachment_size_limit, message_payload=message_payload)
        self.interactions[record.id] = record
        return record

    def _command_schema(self, name: str) -> dict[str, Any] | None:
        for scope in (self.guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return command
        return None

    def upload(self, upload: Upload, channel_id: int | None = None) -> dict[str, Any]:
        """Store a file a user attaches (to a command option) and return its attachment payload."""
        attachment_id = p.snowflake()
        self.attachments[attachment_id] = upload.data
        return p.attachment(attachment_id, upload.filename, len(upload.data),
                            self._cdn_url(channel_id or self.default_channel_id, attachment_id,
                                          upload.filename), upload.content_type)

    def _options(self, declared_options: list[dict[str, Any]], options: dict[str, Any],
                 focused: str | None, resolved: dict[str, Any]) -> list[dict[str, Any]]:
        """Typed option payloads (from the synced schema when known), filling ``resolved``."""
        declared = {o["name"]: o for o in declared_options}
        out: list[dict[str, Any]] = []
        for key, value in options.items():
            option_type = declared.get(key, {}).get("type")
            if isinstance(value, Upload):
                attachment = self.upload(value)
                resolved.setdefault("attachments", {})[attachment["id"]] = attachment
                option_type, value = p.OPTION_ATTACHMENT, attachment["id"]
            elif option_type == p.OPTION_CHANNEL:
                channel = self.channels[int(value)]
                resolved.setdefault("channels", {})[str(value)] = {
                    "id": channel["id"], "name": channel["name"], "type": channel["type"],
                    "permissions": str(p.EVERYONE_PERMISSIONS), "parent_id": None}
                value = str(value)
            elif option_type == p.OPTION_USER:
                user_id = int(value)
                resolved.setdefault("users", {})[str(user_id)] = self.users[user_id]
                member = self._member(user_id, with_permissions=True)
                member.pop("user")
                resolved.setdefault("members", {})[str(user_id)] = member
                value = str(user_id)
            elif option_type is None:
                option_type = (p.OPTION_BOOLEAN if isinstance(value, bool) else
                               p.OPTION_INTEGER if isinstance(value, int) else
                               p.OPTION_NUMBER if isinstance(value, float) else p.OPTION_STRING)
            item: dict[str, Any] = {"name": key, "type": option_type, "value": value}
            if key == focused:
                item["focused"] = True
            out.append(item)
        return out

    def _command_data(self, name: str, options: dict[str, Any], focused: str | None = None
                      ) -> dict[str, Any]:
        """INTERACTION_CREATE ``data`` for ``/name``; ``"group sub"`` names a subcommand."""
        top, *subs = name.split()
        schema = self._command_schema(top) or {}
        declared = schema.get("options", [])
        chain: list[dict[str, Any]] = []
        for sub in subs:
            option = next((o for o in declared if o["name"] == sub), {"name": sub, "options": []})
            chain.append({"type": option.get("type", p.OPTION_SUB_COMMAND), "name": sub})
            declared = option.get("options", [])
        resolved: dict[str, Any] = {}
        opts = self._options(declared, options, focused, resolved)
        for link in reversed(chain):
            link["options"] = opts
            opts = [link]
        data: dict[str, Any] = {"id": schema.get("id", str(p.snowflake())), "name": top, "type": 1,
                                "options": opts}
        if resolved:
            data["resolved"] = resolved
        if schema.get("guild_id"):
            data["guild_id"] = schema["guild_id"]
        return data

    async def invoke(self, name: str, options: dict[str, Any] | None = None, *,
                     user: int | None = None, channel: int | None = None) -> InteractionRecord:
        """A user runs ``/name`` with ``options`` (values, or :class:`Upload` for attachments);
        ``name`` may be ``"group sub"`` for a subcommand."""
        data = self._command_data(name, options or {})
        record = self._new_interaction(INTERACTION_COMMAND, data, user or self.owner_id, channel)
        await self.dispatch("INTERACTION_CREATE", record.payload)
        return record

    async def autocomplete_interaction(self, name: str, options: dict[str, Any], focused: str, *,
                                       user: int | None = None, timeout: float = 5.0
                                       ) -> InteractionRecord:
        """A user types into ``focused``; returns the interaction once the bot answered it."""
        data = self._command_data(name, options, focused)
        record = self._new_interaction(INTERACTION_AUTOCOMPLETE, data, user or self.owner_id, None)
        await self.dispatch("INTERACTION_CREATE", record.payload)
        await self.wait_for(lambda: record.status_seen, timeout, "an autocomplete callback")
        return record

    async def autocomplete(self, name: str, options: dict[str, Any], focused: str, *,
                           user: int | None = None, timeout: float = 5.0) -> list[dict[str, Any]]:
        """A user types into ``focused``; returns the choices the bot offered."""
        record = await self.autocomplete_interaction(name, options, focused, user=user, timeout=timeout)
        if record.callback_type != CALLBACK_AUTOCOMPLETE:
            raise EmulatorError(f"autocomplete answered with callback {record.callback_attempts}")
        return list((record.callback_json.get("data") or {}).get("choices") or [])

    async def click(self, message_id: int, custom_id: str, *, user: int | None = None,
                    values: list[str] | None = None) -> InteractionRecord:
        """A user clicks a button (or picks ``values`` in a select) on a message."""
        message = self.messages[message_id]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2}
        if values is not None:
            data = {"custom_id": custom_id, "component_type": 3, "values": values}
        record = self._new_interaction(INTERACTION_COMPONENT, data, user or self.owner_id,
                                       int(message["channel_id"]), message_payload=message)
        await self.dispatch("INTERACTION_CREATE", record.payload)
        return record

    def expire_tokens(self) -> None:
        """Make every interaction token so far invalid (as after 15 minutes)."""
        for record in self.interactions.values():
            record.expired = True

    async def wait_for_callback(self, record: InteractionRecord, timeout: float = 5.0) -> InteractionRecord:
        await self.wait_for(lambda: record.callback_type is not None, timeout,
                            f"a callback for interaction {record.id}")
        return record

    def channel_messages(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        channel_id = channel_id or self.default_channel_id
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    def original_message(self, record: InteractionRecord) -> dict[str, Any] | None:
        return self.messages.get(record.original_message_id or 0)

    def files_of(self, message: dict[str, Any]) -> dict[str, bytes]:
        """filename -> bytes of a stored message's attachments."""
        return {a["filename"]: self.attachments[int(a["id"])] for a in message.get("attachments", [])}

    # --- rules: test controls and what they refused ---------------------------

    def fail_next(self, contains: str = "", *, method: str | None = None, status: int = 500,
                  times: int = 1) -> None:
        """Answer the next ``times`` requests whose path contains ``contains`` with ``status``
        (a 5xx, as Discord does now and then), before doing anything else with them."""
        self._failures.append([method, contains, status, times])

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

    # --- REST ---------------------------------------------------------------

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        if status == 204:
            return web.Response(status=204, headers=headers)
        # discord.py decodes JSON only when Content-Type is exactly application/json.
        return web.Response(body=json.dumps(data).encode(), status=status,
                            headers={**(headers or {}), "Content-Type": "application/json"})

    @staticmethod
    def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
        return status, {"message": message, "code": code}

    def _refuse(self, r: RecordedRequest, rule: str, status: int, code: int, message: str
                ) -> tuple[int, dict[str, Any]]:
        r.rule = rule
        return self._error(status, code, message)

    def _invalid(self, r: RecordedRequest, rule: str, errors: FormErrors) -> tuple[int, dict[str, Any]]:
        r.rule = rule
        return 400, errors.body()

    async def _read_body(self, request: web.Request) -> tuple[Any, list[RecordedFile]]:
        if not request.body_exists:
            return None, []
        if request.content_type.startswith("multipart/"):
            body: Any = None
            files: list[RecordedFile] = []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    data = bytes(await part.read())
                    files.append(RecordedFile(part.name or "", part.filename or "",
                                              part.headers.get("Content-Type"), data))
            return body, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), []

    def _cdn_url(self, channel_id: int, attachment_id: int, filename: str) -> str:
        """A signed attachment URL like Discord's CDN: ``ex`` (expiry), ``is`` (issued), ``hm``."""
        issued = int(time.time())
        expires = int(issued + self.attachment_ttl)
        query = f"ex={expires:x}&is={issued:x}"
        signature = hmac.new(self._cdn_key, f"{self._url_generation}:{attachment_id}?{query}".encode(),
                             hashlib.sha256)
        return (f"{self.base_url}/attachments/{channel_id}/{attachment_id}/"
                f"{urllib.parse.quote(filename)}?{query}&hm={signature.hexdigest()}")

    def _url_valid(self, attachment_id: int, query: dict[str, str]) -> bool:
        try:
            expires, issued = int(query["ex"], 16), int(query["is"], 16)
        except (KeyError, ValueError):
            return False
        signed = f"{self._url_generation}:{attachment_id}?ex={query['ex']}&is={query['is']}"
        expected = hmac.new(self._cdn_key, signed.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, query.get("hm", "")) and issued <= time.time() < expires

    def _fresh(self, message: dict[str, Any]) -> dict[str, Any]:
        """A message as a read returns it: attachment URLs signed anew, as Discord does."""
        attachments = [{**a, "url": (url := self._cdn_url(int(message["channel_id"]), int(a["id"]),
                                                          a["filename"])), "proxy_url": url}
                       for a in message.get("attachments", [])]
        return {**message, "attachments": attachments}

    async def _download(self, request: web.Request) -> web.Response:
        attachment_id = int(request.match_info["attachment_id"])
        data = self.attachments.get(attachment_id)
        if data is None or (self.rules.attachments and not self._url_valid(attachment_id, dict(request.query))):
            return web.Response(status=404, text="This content is no longer available.")
        return web.Response(body=data, content_type="application/octet-stream")

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        record = RecordedRequest(method=request.method, path=path, query=dict(request.query),
                                 json=None, files=[], at=time.monotonic(),
                                 authorization=request.headers.get("Authorization"),
                                 content_type=request.content_type)
        self.requests.append(record)
        headers: dict[str, str] = {}
        try:
            record.json, record.files = await self._read_body(request)
        except (json.JSONDecodeError, UnicodeDecodeError):
            status, data = self._refuse(record, "spec", 400, 50109, "The request body contains invalid JSON.")
        else:
            try:
                status, data = self._handle(record, headers)
            except Exception as exc:  # a bug here must surface in the test, not hang the bot
                status, data = self._error(500, 0, f"emulator error: {exc!r}")
        record.status, record.response = status, data
        return self._json(data, status, headers)

    def _injected_failure(self, r: RecordedRequest) -> int | None:
        for failure in self._failures:
            method, contains, status, times = failure
            if times > 0 and (method is None or method == r.method) and contains in r.path:
                failure[3] -= 1
                return status
        return None

    def _handle(self, r: RecordedRequest, headers: dict[str, str]) -> tuple[int, Any]:
        """Discord's order: server trouble, rate limits, size, auth, form body, then the route."""
        failure = self._injected_failure(r)
        if failure is not None:
            return self._refuse(r, "server_error", failure, 0, f"{failure}: Server Error")
        if self.rules.rate_limits:
            verdict = self.ratelimiter.check(r.method, r.path, global_exempt=is_interaction_endpoint(r.path))
            headers.update(verdict.headers)
            if verdict.refused is not None:
                r.rule = "rate_limits"
                return 429, verdict.refused
        parts = r.path.strip("/").split("/")
        interaction_route = parts[0] in ("interactions", "webhooks")
        if self.rules.limits:
            limit = self.attachment_size_limit if interaction_route else r_.FILE_SIZE_MAX
            if any(len(f.data) > limit for f in r.files):
                return self._refuse(r, "limits", 413, 40005, "Request entity too large")
        if not interaction_route and r.authorization != f"Bot {self.token}":
            return self._error(401, 0, "401: Unauthorized")
        if self.rules.spec:
            errors = self.spec.validate(r.method, r.path, r.json, r.content_type or "application/json")
            if errors:
                return self._invalid(r, "spec", errors)
        if self.rules.limits:
            errors = self._limit_errors(r, parts)
            if errors:
                return self._invalid(r, "limits", errors)
        if self.rules.attachments:
            errors = self._attachment_errors(r, parts)
            if errors:
                return self._invalid(r, "attachments", errors)
        if interaction_route:
            return self._route_interaction(r, parts)
        return self._route(r, parts)

    def _limit_errors(self, r: RecordedRequest, parts: list[str]) -> FormErrors:
        """The documented limits for the body of a message, callback or command sync."""
        body = r.json if isinstance(r.json, dict) else None
        errors = FormErrors()
        if parts[0] == "applications" and parts[-1] == "commands" and r.method == "PUT":
            return r_.check_commands(r.json)
        if len(r.files) > r_.FILES_MAX:
            errors.add(("attachments",), "BASE_TYPE_MAX_LENGTH", f"Must be {r_.FILES_MAX} or fewer in length.")
        if parts[0] == "interactions" and body is not None:
            ctype = body.get("type")
            if ctype == CALLBACK_AUTOCOMPLETE:
                errors.extend(r_.check_autocomplete(body.get("data")))
            elif ctype in (CALLBACK_MESSAGE, CALLBACK_UPDATE_MESSAGE):
                errors.extend(r_.check_message(body.get("data")), ("data",))
        elif body is not None and self._is_message_write(r.method, parts):
            errors.extend(r_.check_message(body))
        return errors

    @staticmethod
    def _is_message_write(method: str, parts: list[str]) -> bool:
        """A request whose body is a message: create or edit, in a channel or by webhook."""
        if parts[0] == "webhooks":
            return (method == "POST" and len(parts) == 3) or (method == "PATCH" and len(parts) == 5)
        return parts[0] == "channels" and method in ("POST", "PATCH") and parts[2:3] == ["messages"] \
            and len(parts) in (3, 4)

    def _message_body(self, r: RecordedRequest, parts: list[str]) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
        body = r.json if isinstance(r.json, dict) else None
        if parts[0] == "interactions":
            if body is not None and body.get("type") in (CALLBACK_MESSAGE, CALLBACK_UPDATE_MESSAGE):
                return body.get("data") or {}, ("data",)
            return None, ()
        return (body, ()) if self._is_message_write(r.method, parts) else (None, ())

    def _attachment_errors(self, r: RecordedRequest, parts: list[str]) -> FormErrors:
        """``attachment://NAME`` in an embed must name a file of this request (or one it keeps)."""
        errors = FormErrors()
        body, prefix = self._message_body(r, parts)
        if body is None:
            return errors
        names = {r_.sanitize_filename(n) for n in self._upload_names(r.files, body.get("attachments"))}
        names |= {r_.sanitize_filename(a.get("filename") or "") for a in body.get("attachments") or []}
        if r.method == "PATCH" and "attachments" not in body:  # the message keeps its files
            message = self._message_for_path(parts)
            names |= {a["filename"] for a in (message or {}).get("attachments", [])}
        for where, name in r_.embed_attachment_refs(body):
            if name not in names:
                errors.add((*prefix, *where), "ATTACHMENT_NOT_FOUND",
                           f"attachment://{name} names no file of this message")
        return errors

    def _message_for_path(self, parts: list[str]) -> dict[str, Any] | None:
        if parts[0] == "channels" and len(parts) == 4 and parts[3].isdigit():
            return self.messages.get(int(parts[3]))
        if parts[0] == "webhooks" and len(parts) == 5:
            record = self._find_interaction(parts[2])
            if record is None:
                return None
            message_id = record.original_message_id if parts[4] == "@original" else (
                int(parts[4]) if parts[4].isdigit() else 0)
            return self.messages.get(message_id or 0)
        return None

    @staticmethod
    def _upload_names(files: list[RecordedFile], declared: list[dict[str, Any]] | None) -> list[str]:
        by_index = {str(a.get("id")): a for a in declared or []}
        names = []
        for f in files:
            index = f.field_name.removeprefix("files[").removesuffix("]")
            names.append(by_index.get(index, {}).get("filename") or f.filename)
        return names

    def _route(self, r: RecordedRequest, parts: list[str]) -> tuple[int, Any]:
        key = (r.method, *parts)
        if key == ("GET", "users", "@me"):
            return 200, self.bot_user
        if key == ("GET", "oauth2", "applications", "@me"):
            return 200, self._application()
        if key in (("GET", "gateway"), ("GET", "gateway", "bot")):
            return 200, {"url": self.gateway_url, "shards": self.shard_count, "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}
        if parts[0] == "applications" and parts[-1] == "commands":
            guild_id = int(parts[3]) if len(parts) == 5 and parts[2] == "guilds" else None
            if r.method == "PUT":
                return 200, self._sync_commands(guild_id, r.json or [])
            if r.method == "GET":
                return 200, self.commands.get(guild_id, [])
        if parts[0] == "channels":
            return self._route_channel(r, parts)
        return self._error(404, 0, f"404: Not Found ({r.route} is not emulated)")

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id), "name": "wikimuse", "icon": None,
            "description": "test application", "rpc_origins": [], "bot_public": True,
            "bot_require_code_grant": False, "owner": self.users[self.owner_id],
            "summary": "", "verify_key": "0" * 64, "team": None, "flags": 0,
            "bot": self.bot_user, "tags": [], "redirect_uris": [],
            "interactions_endpoint_url": None, "approximate_guild_count": 1,
        }

    def _sync_commands(self, guild_id: int | None, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
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

    # messages ------------------------------------------------------------

    def _store_files(self, channel_id: int, files: list[RecordedFile],
                     declared: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        out = []
        for f, name in zip(files, self._upload_names(files, declared), strict=True):
            attachment_id = p.snowflake()
            self.attachments[attachment_id] = f.data
            filename = r_.sanitize_filename(name) if self.rules.attachments else name
            out.append(p.attachment(attachment_id, filename, len(f.data),
                                    self._cdn_url(channel_id, attachment_id, filename), f.content_type))
        return out

    def _create_message(self, channel_id: int, body: dict[str, Any] | None,
                        files: list[RecordedFile], *, webhook: bool = False, flags: int = 0,
                        record: InteractionRecord | None = None) -> dict[str, Any]:
        body = body or {}
        message_id = p.snowflake()
        metadata = None
        if record is not None:
            metadata = {"id": str(record.id), "type": record.type,
                        "user": self.users[record.user_id],
                        "authorizing_integration_owners": {"0": str(self.guild_of(channel_id))}}
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

    def _edit_message(self, message: dict[str, Any], body: dict[str, Any] | None,
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

    def _channel_permission_error(self, r: RecordedRequest, channel_id: int, *needed: int
                                  ) -> tuple[int, Any] | None:
        """403 when the bot lacks a permission: 50001 without View Channel, else 50013."""
        if not self.rules.permissions:
            return None
        have = self.bot_permissions(channel_id)
        if not have & p.PERM_VIEW_CHANNEL:
            return self._refuse(r, "permissions", 403, 50001, "Missing Access")
        if any(not have & bit for bit in needed):
            return self._refuse(r, "permissions", 403, 50013, "Missing Permissions")
        return None

    def _empty(self, body: dict[str, Any] | None, files: list[RecordedFile]) -> bool:
        """A new message with nothing to show, which Discord refuses (50006)."""
        body = body or {}
        return self.rules.limits and not (files or body.get("content") or body.get("embeds")
                                          or body.get("components") or body.get("sticker_ids")
                                          or body.get("poll"))

    def _without_unpermitted_embeds(self, channel_id: int, body: dict[str, Any] | None) -> dict[str, Any] | None:
        """Without Embed Links, Discord keeps the message and drops its embeds."""
        if body and self.rules.permissions and not self.bot_permissions(channel_id) & p.PERM_EMBED_LINKS:
            return {**body, "embeds": []} if body.get("embeds") else body
        return body

    def _route_channel(self, r: RecordedRequest, parts: list[str]) -> tuple[int, Any]:
        channel_id = int(parts[1]) if parts[1].isdigit() else 0
        if channel_id not in self.channels:
            return self._error(404, 10003, "Unknown Channel")
        if len(parts) == 2 and r.method == "GET":
            return self._channel_permission_error(r, channel_id) or (200, self.channels[channel_id])
        if len(parts) == 3 and parts[2] == "messages" and r.method == "POST":
            needed = [p.PERM_SEND_MESSAGES] + ([p.PERM_ATTACH_FILES] if r.files else [])
            if r.json and r.json.get("message_reference"):
                needed.append(p.PERM_READ_HISTORY)
            refused = self._channel_permission_error(r, channel_id, *needed)
            if refused:
                return refused
            body = self._without_unpermitted_embeds(channel_id, r.json)
            if self._empty(body, r.files):  # e.g. an embed-only message without Embed Links
                return self._refuse(r, "limits", 400, 50006, "Cannot send an empty message")
            return 200, self._fresh(self._create_message(channel_id, body, r.files))
        if len(parts) == 4 and parts[2] == "messages":
            message = self.messages.get(int(parts[3])) if parts[3].isdigit() else None
            hidden = (message is not None and self.rules.interactions
                      and int(message.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL)
            if message is None or int(message["channel_id"]) != channel_id or hidden:
                return self._error(404, 10008, "Unknown Message")
            if r.method == "GET":
                return self._channel_permission_error(r, channel_id, p.PERM_READ_HISTORY) or (
                    200, self._fresh(message))
            if r.method == "PATCH":
                refused = self._channel_permission_error(r, channel_id)
                if refused:
                    return refused
                body = self._without_unpermitted_embeds(channel_id, r.json)
                return 200, self._fresh(self._edit_message(message, body, r.files))
            if r.method == "DELETE":
                refused = self._channel_permission_error(r, channel_id)
                if refused:
                    return refused
                del self.messages[int(message["id"])]
                return 204, None
        return self._error(404, 0, f"404: Not Found ({r.route} is not emulated)")

    # interactions ----------------------------------------------------------

    def _find_interaction(self, token: str) -> InteractionRecord | None:
        for record in self.interactions.values():
            if record.token == token:
                return record
        return None

    def _route_interaction(self, r: RecordedRequest, parts: list[str]) -> tuple[int, Any]:
        if parts[0] == "interactions":  # /interactions/{id}/{token}/callback
            record = self.interactions.get(int(parts[1])) if parts[1].isdigit() else None
            if record is None or record.token != parts[2] or parts[-1] != "callback":
                return self._error(404, 10062, "Unknown interaction")
            return self._callback(record, r)
        # /webhooks/{application_id}/{token}[/messages/{id|@original}]
        record = self._find_interaction(parts[2]) if len(parts) >= 3 else None
        if record is None or parts[1] != str(self.application_id):
            return self._error(404, 10015, "Unknown Webhook")
        if self.rules.interactions and (record.expired or time.monotonic() - record.created > self.token_ttl):
            return self._refuse(r, "interactions", 401, 50027, "Invalid Webhook Token")
        if record.callback_type is None:
            return self._error(404, 10015, "Unknown Webhook")
        if len(parts) == 3 and r.method == "POST":
            return self._followup(record, r)
        if len(parts) == 5 and parts[3] == "messages":
            message_id = record.original_message_id if parts[4] == "@original" else (
                int(parts[4]) if parts[4].isdigit() else None)
            own = {record.original_message_id, *record.followup_ids}
            message = self.messages.get(message_id or 0)
            if message is None or (self.rules.interactions and message_id not in own):
                return self._error(404, 10008, "Unknown Message")
            if r.method == "GET":
                return 200, self._fresh(message)
            if r.method == "PATCH":
                return 200, self._fresh(self._edit_message(message, r.json, r.files))
            if r.method == "DELETE":
                del self.messages[int(message["id"])]
                return 204, None
        return self._error(404, 0, f"404: Not Found ({r.route} is not emulated)")

    def _followup(self, record: InteractionRecord, r: RecordedRequest) -> tuple[int, Any]:
        """A followup; the first one after a deferred reply edits that reply, whose ephemeral
        state it keeps whatever flags the followup asks for (as Discord does)."""
        original = self.messages.get(record.original_message_id or 0)
        if (self.rules.interactions and record.callback_type == CALLBACK_DEFERRED_MESSAGE
                and original is not None and int(original["flags"]) & MESSAGE_FLAG_LOADING
                and not record.followup_edited_original):
            record.followup_edited_original = True
            body = {k: v for k, v in (r.json or {}).items() if k != "flags"}
            return 200, self._fresh(self._edit_message(original, body, r.files))
        if self._empty(r.json, r.files):
            return self._refuse(r, "limits", 400, 50006, "Cannot send an empty message")
        flags = int((r.json or {}).get("flags") or 0)
        message = self._create_message(record.channel_id, r.json, r.files, webhook=True,
                                       flags=flags, record=record)
        record.followup_ids.append(int(message["id"]))
        return 200, self._fresh(message)

    def _callback(self, record: InteractionRecord, r: RecordedRequest) -> tuple[int, Any]:
        body = r.json or {}
        ctype = int(body.get("type", 0))
        record.callback_attempts.append(ctype)
        if record.callback_type is not None:
            return self._error(400, 40060, "Interaction has already been acknowledged.")
        if self.rules.interactions:
            if time.monotonic() - record.created > self.callback_deadline:
                return self._refuse(r, "interactions", 404, 10062, "Unknown interaction")
            allowed = ALLOWED_CALLBACKS.get(record.type, ())
            if ctype not in allowed:
                errors = FormErrors()
                errors.add(("type",), "BASE_TYPE_CHOICES",
                           f"Value must be one of {allowed} for interaction type {record.type}.")
                return self._invalid(r, "interactions", errors)
        data = body.get("data") or {}
        record.callback_type, record.callback_at, record.callback_json = ctype, r.at, body
        response: dict[str, Any] = {"interaction": {"id": str(record.id), "type": record.type},
                                    "resource": {"type": ctype}}
        flags = int(data.get("flags") or 0)
        if ctype in (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE):
            if ctype == CALLBACK_DEFERRED_MESSAGE:
                flags |= MESSAGE_FLAG_LOADING
            message = self._create_message(record.channel_id, data, r.files, webhook=True,
                                           flags=flags, record=record)
            record.original_message_id = int(message["id"])
            response["interaction"].update(
                response_message_id=message["id"],
                response_message_loading=ctype == CALLBACK_DEFERRED_MESSAGE,
                response_message_ephemeral=bool(flags & MESSAGE_FLAG_EPHEMERAL))
            response["resource"]["message"] = self._fresh(message)
        elif ctype in (CALLBACK_DEFERRED_UPDATE, CALLBACK_UPDATE_MESSAGE):
            source = record.payload.get("message")
            if source is not None:
                record.original_message_id = int(source["id"])
                stored = self.messages.get(int(source["id"]))
                if ctype == CALLBACK_UPDATE_MESSAGE and stored is not None:
                    self._edit_message(stored, data, r.files)
                    response["resource"]["message"] = self._fresh(stored)
        return 200, response
