"""The emulator's gateway: the websocket discord.py's shards connect to, and dispatch.

HELLO -> heartbeat/ACK -> IDENTIFY -> READY (``resume_gateway_url``, ``application``) ->
GUILD_CREATE; RESUME replays missed events; RECONNECT on demand. IDENTIFY ``shard: [id, n]``
gets the guilds with ``(guild_id >> 22) % n == id``, and their events (interactions
included) go to that shard's session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from typing import Any

import aiohttp
from aiohttp import web

from tests.emulator.state import API_VERSION, EmulatorError, EmulatorState, GatewaySession

GATEWAY_OP_DISPATCH, GATEWAY_OP_HEARTBEAT, GATEWAY_OP_IDENTIFY = 0, 1, 2
GATEWAY_OP_RESUME, GATEWAY_OP_RECONNECT, GATEWAY_OP_INVALID_SESSION = 6, 7, 9
GATEWAY_OP_HELLO, GATEWAY_OP_HEARTBEAT_ACK = 10, 11


class Gateway(EmulatorState):
    """:class:`EmulatorState` behind a gateway: :meth:`websocket` serves ``/gateway``, and
    :meth:`dispatch` sends an event to the session of the guild's shard."""

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
            # Events outside a guild (DMs) go to shard 0, as Discord sends them.
            session = (self.session_for(int(guild_id)) if guild_id
                       else self.session_for(0) or self.active_session)
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

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
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
