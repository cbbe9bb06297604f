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
- Test drivers: :meth:`invoke` (slash command or ``"group sub"``; in a DM with ``dm=True``
  or in a group DM from :meth:`add_private_channel`, with the user-install context),
  threads (:meth:`create_thread`, :meth:`archive_thread`), :meth:`click`/
  :meth:`select` (components), :meth:`autocomplete`, :meth:`message_command` (right-click
  a message -> Apps), :meth:`submit_modal` (a user fills in a modal the bot opened),
  :meth:`post_user_message`, token expiry, the bot's channel
  permissions, injected server errors, and a record of every request
  (:class:`RecordedRequest`) so tests assert on what the bot actually sent.

It answers as Discord does, and says no as Discord does (:class:`tests.emulator.rules.Rules`,
all on by default; ``docs/CONFORMANCE.md`` lists each rule and its source): bodies are
validated against Discord's OpenAPI spec and documented limits (400 50035 with Discord's
error tree, 413 40005 for a file over the limit), interaction callbacks follow Discord's
rules (types, 3 s, 15 min token, the first followup after a deferral edits it, ephemeral
messages hidden from channel routes), the bot's channel permissions apply (403), and rate
limits answer 429 with Discord's headers.

The parts: :mod:`tests.emulator.state` (the world and the request log),
:mod:`tests.emulator.rest` (Discord's checks and the REST routes),
:mod:`tests.emulator.gateway` (the websocket); this module puts them together and adds
the test drivers. Its names are what tests import.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from typing import Any

import yarl
from aiohttp import web

from tests.emulator import payloads as p
from tests.emulator import rest
from tests.emulator.gateway import Gateway
from tests.emulator.state import (
    CALLBACK_AUTOCOMPLETE,
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_DEFERRED_UPDATE,
    CALLBACK_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_UPDATE_MESSAGE,
    COMMAND_CHAT_INPUT,
    COMMAND_MESSAGE,
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_COMMAND,
    INTERACTION_COMPONENT,
    INTERACTION_MODAL_SUBMIT,
    MESSAGE_FLAG_EPHEMERAL,
    MESSAGE_FLAG_LOADING,
    EmulatorError,
    InteractionRecord,
    RecordedRequest,
    Upload,
)

# What tests import from here (the emulator and the Discord constants they assert on).
__all__ = [
    "CALLBACK_AUTOCOMPLETE", "CALLBACK_DEFERRED_MESSAGE", "CALLBACK_DEFERRED_UPDATE",
    "CALLBACK_MESSAGE", "CALLBACK_MODAL", "CALLBACK_UPDATE_MESSAGE", "MESSAGE_FLAG_EPHEMERAL",
    "MESSAGE_FLAG_LOADING", "DiscordEmulator", "EmulatorError", "InteractionRecord",
    "RecordedRequest", "Upload",
]


class DiscordEmulator(Gateway):
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

    _runner: web.AppRunner | None = None  # set by start()

    # --- lifecycle ----------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> DiscordEmulator:
        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[rest.discord_rules])
        app[rest.EMULATOR] = self
        app.router.add_get("/gateway", self.websocket)
        app.router.add_get("/gateway/", self.websocket)
        app.router.add_get("/resume", self.websocket)
        app.add_routes(rest.routes)
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

    # --- world changes the bot hears about ---------------------------------

    async def create_channel(self, name: str) -> int:
        """Add a text channel and tell connected clients (CHANNEL_CREATE), as Discord does."""
        channel_id = self.add_channel(name)
        if self.active_session is not None:
            await self.dispatch("CHANNEL_CREATE", self.channels[channel_id])
        return channel_id

    async def create_thread(self, parent_id: int, name: str, *, owner_id: int | None = None) -> int:
        """A member opens a public thread under a channel; connected clients hear THREAD_CREATE."""
        thread_id = self.add_thread(parent_id, name, owner_id=owner_id or self.owner_id)
        if self.connected_bot():
            await self.dispatch("THREAD_CREATE", {**self.channels[thread_id], "newly_created": True})
        return thread_id

    async def archive_thread(self, thread_id: int) -> None:
        """Archive a thread (as after its auto-archive duration), and tell clients (THREAD_UPDATE)."""
        self.channels[thread_id]["thread_metadata"].update(archived=True, archive_timestamp=p.iso_now())
        if self.connected_bot():
            await self.dispatch("THREAD_UPDATE", self.channels[thread_id])

    async def set_bot_permissions(self, channel_id: int, *, deny: int = 0) -> None:
        """Deny the bot ``deny`` (permission bits) in a channel, as a member overwrite would,
        and tell connected clients (CHANNEL_UPDATE). ``deny=0`` restores the defaults."""
        self.bot_denied[channel_id] = deny
        overwrites = [{"id": str(self.application_id), "type": 1, "allow": "0", "deny": str(deny)}]
        self.channels[channel_id]["permission_overwrites"] = overwrites if deny else []
        if self.active_session is not None:
            await self.dispatch("CHANNEL_UPDATE", self.channels[channel_id])

    # --- driving the bot ----------------------------------------------------

    def _owners(self, context: int, guild_id: int | None, user_id: int, install: int) -> dict[str, str]:
        """``authorizing_integration_owners``: the guild that installed the app (``"0"`` in
        the bot's DM), or the user who did."""
        if install == p.USER_INSTALL:
            return {str(p.USER_INSTALL): str(user_id)}
        return {str(p.GUILD_INSTALL): str(guild_id) if context == p.CONTEXT_GUILD else "0"}

    def _new_interaction(self, itype: int, data: dict[str, Any], user_id: int, channel_id: int | None,
                         message_payload: dict[str, Any] | None = None,
                         install: int | None = None) -> InteractionRecord:
        if user_id not in self.users:
            raise EmulatorError(f"unknown user {user_id}")
        channel_id = channel_id or self.default_channel_id
        context = self.context_of(channel_id)
        if install is None:
            install = p.GUILD_INSTALL if context == p.CONTEXT_GUILD else p.USER_INSTALL
        if context == p.CONTEXT_PRIVATE_CHANNEL and install != p.USER_INSTALL:
            raise EmulatorError("only a user-installed app is reached from a private channel")
        guild_id = self.guild_of(channel_id)
        record = InteractionRecord(
            id=p.snowflake(), token="aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48), type=itype,
            payload={}, created=time.monotonic(), user_id=user_id, channel_id=channel_id)
        if guild_id is None:
            member_payload = {"user": self.users[user_id]}
        elif guild_id == self.guild_id:
            member_payload = self.member(user_id, with_permissions=True)
        else:
            member_payload = p.member(self.users[user_id], [], p.EVERYONE_PERMISSIONS)
        record.payload = p.interaction(
            interaction_id=record.id, interaction_type=itype, token=record.token,
            application_id=self.application_id, guild_id=guild_id,
            channel=self.channels[channel_id], member_payload=member_payload, data=data,
            app_permissions=self.bot_permissions(channel_id),
            attachment_size_limit=self.attachment_size_limit, message_payload=message_payload,
            context=context, owners=self._owners(context, guild_id, user_id, install),
            locale=self.user_locales.get(user_id, "en-US"), guild_locale=self.guild_locale)
        self.interactions[record.id] = record
        return record

    def _check_offered(self, name: str, channel_id: int, install: int | None,
                       command_type: int = COMMAND_CHAT_INPUT) -> None:
        """Raise unless Discord offers ``/name`` (or the menu ``name``) in the channel's context
        (its synced ``contexts``, ``integration_types`` and scope): Discord never delivers the others."""
        schema = self._command_schema(name, command_type)
        context = self.context_of(channel_id)
        if schema is None or context == p.CONTEXT_GUILD:
            return
        if install is None:
            install = p.USER_INSTALL
        contexts = schema.get("contexts")
        if contexts is None:  # the deprecated field: DMs unless dm_permission is false
            contexts = [p.CONTEXT_GUILD] + ([p.CONTEXT_BOT_DM, p.CONTEXT_PRIVATE_CHANNEL]
                                            if schema.get("dm_permission") is not False else [])
        installs = schema.get("integration_types") or [p.GUILD_INSTALL]
        if schema.get("guild_id") or context not in contexts or install not in installs:
            raise EmulatorError(f"Discord does not offer /{name} in context {context} with "
                                f"install {install} (contexts {contexts}, integration_types "
                                f"{installs}, guild {schema.get('guild_id')})")

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
                member = self.member(user_id, with_permissions=True)
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
                     user: int | None = None, channel: int | None = None, dm: bool = False,
                     install: int | None = None, force: bool = False) -> InteractionRecord:
        """A user runs ``/name`` with ``options`` (values, or :class:`Upload` for attachments);
        ``name`` may be ``"group sub"`` for a subcommand.

        ``dm=True`` runs it in the user's DM with the bot (``channel`` may also be a DM or a
        group DM, :meth:`add_private_channel`); ``install`` is how the app was installed
        (``p.GUILD_INSTALL``/``p.USER_INSTALL``; default: the guild's in a guild, the user's
        elsewhere). A command Discord does not offer there raises :class:`EmulatorError`,
        unless ``force`` (a test of how the bot copes with it anyway)."""
        user = user or self.owner_id
        if dm:
            channel = self.dm_channel(user)
        channel = channel or self.default_channel_id
        if not force:
            self._check_offered(name.split()[0], channel, install)
        data = self._command_data(name, options or {})
        record = self._new_interaction(INTERACTION_COMMAND, data, user, channel, install=install)
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

    async def message_command(self, name: str, message_id: int, *, user: int | None = None,
                              install: int | None = None) -> InteractionRecord:
        """A user right-clicks a message -> Apps -> ``name``: an APPLICATION_COMMAND
        interaction with ``data.type`` 3, ``target_id`` and the message in ``resolved``
        (where Discord offers the menu: see :meth:`invoke`)."""
        schema = self._command_schema(name, COMMAND_MESSAGE)
        if schema is None:
            raise EmulatorError(f"no message command {name!r} was synced")
        message = self.messages[message_id]
        self._check_offered(name, int(message["channel_id"]), install, COMMAND_MESSAGE)
        data: dict[str, Any] = {"id": schema["id"], "name": name, "type": COMMAND_MESSAGE,
                                "target_id": str(message_id),
                                "resolved": {"messages": {str(message_id): self.fresh(message)}}}
        if schema.get("guild_id"):
            data["guild_id"] = schema["guild_id"]
        record = self._new_interaction(INTERACTION_COMMAND, data, user or self.owner_id,
                                       int(message["channel_id"]), install=install)
        await self.dispatch("INTERACTION_CREATE", record.payload)
        return record

    async def submit_modal(self, record: InteractionRecord, values: dict[str, str] | None = None, *,
                           user: int | None = None) -> InteractionRecord:
        """A user submits the modal the bot answered ``record`` with (callback type 9).

        ``values`` (by a text input's custom_id or label) replace what the modal prefilled.
        Discord's client submits only what the inputs allow, so a value outside an input's
        required/min/max length is an :class:`EmulatorError`, not a submission; and a modal
        closes once submitted (a second try needs a new one)."""
        if record.callback_type != CALLBACK_MODAL:
            raise EmulatorError(f"interaction {record.id} was not answered with a modal")
        if record.modal_submitted:
            raise EmulatorError("that modal was submitted already, which closed it")
        modal = record.callback_json["data"]
        values = dict(values or {})
        rows = []
        for row in modal["components"]:
            text_input = row.get("component") or row["components"][0]  # a label, or an action row
            label = row.get("label") or text_input.get("label")
            value = values.pop(text_input["custom_id"], values.pop(label, text_input.get("value") or ""))
            low = text_input.get("min_length") or (1 if text_input.get("required", True) else 0)
            high = text_input.get("max_length") or 4000
            if (value or text_input.get("required", True)) and not low <= len(value) <= high:
                raise EmulatorError(f"{label!r}: Discord's client does not submit {len(value)} characters "
                                    f"(allowed: {low} to {high})")
            rows.append({"type": 1, "components": [
                {"type": 4, "custom_id": text_input["custom_id"], "value": value}]})
        if values:
            raise EmulatorError(f"the modal has no inputs {sorted(values)}")
        record.modal_submitted = True
        data = {"custom_id": modal["custom_id"], "components": rows}
        submit = self._new_interaction(INTERACTION_MODAL_SUBMIT, data, user or record.user_id,
                                       record.channel_id, message_payload=record.payload.get("message"))
        await self.dispatch("INTERACTION_CREATE", submit.payload)
        return submit

    async def wait_for_callback(self, record: InteractionRecord, timeout: float = 5.0) -> InteractionRecord:
        await self.wait_for(lambda: record.callback_type is not None, timeout,
                            f"a callback for interaction {record.id}")
        return record
