"""The emulator's REST API: Discord's checks on every request, then its routes.

Every request under ``/api/v10`` goes through :func:`discord_rules` first, in Discord's
order: injected server errors, rate limits (429), upload size (413), the bot token (401),
the body against Discord's OpenAPI spec and documented limits (400 50035), and
``attachment://`` references. Only a request that passes reaches its route in
:data:`routes` (an aiohttp :class:`~aiohttp.web.RouteTableDef`); a route answers
``(status, JSON body)``, or raises :class:`Refused`. A route that is not here answers
404 "not emulated". Each request and its answer are recorded
(:class:`~tests.emulator.state.RecordedRequest`) for tests to assert on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.emulator import payloads as p
from tests.emulator import rules as r_
from tests.emulator.ratelimits import is_interaction_endpoint
from tests.emulator.spec import FormErrors
from tests.emulator.state import (
    ALLOWED_CALLBACKS,
    API_VERSION,
    CALLBACK_AUTOCOMPLETE,
    CALLBACK_DEFERRED_MESSAGE,
    CALLBACK_DEFERRED_UPDATE,
    CALLBACK_MESSAGE,
    CALLBACK_MODAL,
    CALLBACK_UPDATE_MESSAGE,
    MESSAGE_FLAG_EPHEMERAL,
    MESSAGE_FLAG_LOADING,
    EmulatorState,
    InteractionRecord,
    RecordedFile,
    RecordedRequest,
    upload_names,
)

API = f"/api/v{API_VERSION}"
EMULATOR = web.AppKey("emulator", EmulatorState)
RECORD = web.RequestKey("record", RecordedRequest)  # the request's record, on the aiohttp request

Reply = tuple[int, Any]  # (HTTP status, JSON body; None for 204)
routes = web.RouteTableDef()


class Refused(Exception):
    """A route refuses the request with ``reply`` (an unknown id, a missing permission...)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply)
        self.reply = reply


def _context(request: web.Request) -> tuple[EmulatorState, RecordedRequest]:
    return request.config_dict[EMULATOR], request[RECORD]


# --- answers ----------------------------------------------------------------


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    if status == 204:
        return web.Response(status=204, headers=headers)
    # discord.py decodes JSON only when Content-Type is exactly application/json.
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={**(headers or {}), "Content-Type": "application/json"})


def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"message": message, "code": code}


def _refuse(r: RecordedRequest, rule: str, status: int, code: int, message: str
            ) -> tuple[int, dict[str, Any]]:
    r.rule = rule
    return _error(status, code, message)


def _invalid(r: RecordedRequest, rule: str, errors: FormErrors) -> tuple[int, dict[str, Any]]:
    r.rule = rule
    return 400, errors.body()


async def _read_body(request: web.Request) -> tuple[Any, list[RecordedFile]]:
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


# --- Discord's checks, before any route -------------------------------------


@web.middleware
async def discord_rules(request: web.Request,
                        handler: Callable[[web.Request], Awaitable[Any]]) -> web.StreamResponse:
    """Record an API request, apply Discord's checks, then let its route answer."""
    if not request.path.startswith(API + "/"):
        return await handler(request)  # the gateway and attachment downloads
    em = request.config_dict[EMULATOR]
    record = RecordedRequest(method=request.method, path=request.path.removeprefix(API),
                             query=dict(request.query), json=None, files=[], at=time.monotonic(),
                             authorization=request.headers.get("Authorization"),
                             content_type=request.content_type)
    em.requests.append(record)
    request[RECORD] = record
    headers: dict[str, str] = {}
    try:
        record.json, record.files = await _read_body(request)
    except (json.JSONDecodeError, UnicodeDecodeError):
        status, data = _refuse(record, "spec", 400, 50109, "The request body contains invalid JSON.")
    else:
        try:
            status, data = _checks(em, record, headers) or await _route(request, handler, record)
        except Exception as exc:  # a bug here must surface in the test, not hang the bot
            status, data = _error(500, 0, f"emulator error: {exc!r}")
    record.status, record.response = status, data
    return _json(data, status, headers)


async def _route(request: web.Request, handler: Callable[[web.Request], Awaitable[Any]],
                 r: RecordedRequest) -> Reply:
    if request.method == "HEAD":  # aiohttp would answer it with the GET route; Discord does not
        return _not_emulated(r)
    try:
        return await handler(request)
    except Refused as refused:
        return refused.reply
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        return _not_emulated(r)


def _not_emulated(r: RecordedRequest) -> Reply:
    return _error(404, 0, f"404: Not Found ({r.route} is not emulated)")


def _checks(em: EmulatorState, r: RecordedRequest, headers: dict[str, str]) -> Reply | None:
    """Discord's order: server trouble, rate limits, size, auth, form body (None: all pass)."""
    failure = em.injected_failure(r)
    if failure is not None:
        return _refuse(r, "server_error", failure, 0, f"{failure}: Server Error")
    if em.rules.rate_limits:
        verdict = em.ratelimiter.check(r.method, r.path, global_exempt=is_interaction_endpoint(r.path))
        headers.update(verdict.headers)
        if verdict.refused is not None:
            r.rule = "rate_limits"
            return 429, verdict.refused
    parts = r.path.strip("/").split("/")
    interaction_route = parts[0] in ("interactions", "webhooks")
    if em.rules.limits:
        limit = em.attachment_size_limit if interaction_route else r_.FILE_SIZE_MAX
        if any(len(f.data) > limit for f in r.files):
            return _refuse(r, "limits", 413, 40005, "Request entity too large")
    if not interaction_route and r.authorization != f"Bot {em.token}":
        return _error(401, 0, "401: Unauthorized")
    if em.rules.spec:
        errors = em.spec.validate(r.method, r.path, r.json, r.content_type or "application/json")
        if errors:
            return _invalid(r, "spec", errors)
    if em.rules.limits:
        errors = _limit_errors(em, r, parts)
        if errors:
            return _invalid(r, "limits", errors)
    if em.rules.attachments:
        errors = _attachment_errors(em, r, parts)
        if errors:
            return _invalid(r, "attachments", errors)
    return None


def _limit_errors(em: EmulatorState, r: RecordedRequest, parts: list[str]) -> FormErrors:
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
        elif ctype == CALLBACK_MODAL:
            errors.extend(r_.check_modal(body.get("data")))
        elif ctype in (CALLBACK_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            errors.extend(r_.check_message(body.get("data")), ("data",))
    elif body is not None and _is_message_write(r.method, parts):
        errors.extend(r_.check_message(body))
    return errors


def _is_message_write(method: str, parts: list[str]) -> bool:
    """A request whose body is a message: create or edit, in a channel or by webhook."""
    if parts[0] == "webhooks":
        return (method == "POST" and len(parts) == 3) or (method == "PATCH" and len(parts) == 5)
    return parts[0] == "channels" and method in ("POST", "PATCH") and parts[2:3] == ["messages"] \
        and len(parts) in (3, 4)


def _message_body(em: EmulatorState, r: RecordedRequest, parts: list[str]) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    body = r.json if isinstance(r.json, dict) else None
    if parts[0] == "interactions":
        if body is not None and body.get("type") in (CALLBACK_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            return body.get("data") or {}, ("data",)
        return None, ()
    return (body, ()) if _is_message_write(r.method, parts) else (None, ())


def _attachment_errors(em: EmulatorState, r: RecordedRequest, parts: list[str]) -> FormErrors:
    """``attachment://NAME`` in an embed must name a file of this request (or one it keeps)."""
    errors = FormErrors()
    body, prefix = _message_body(em, r, parts)
    if body is None:
        return errors
    names = {r_.sanitize_filename(n) for n in upload_names(r.files, body.get("attachments"))}
    names |= {r_.sanitize_filename(a.get("filename") or "") for a in body.get("attachments") or []}
    if r.method == "PATCH" and "attachments" not in body:  # the message keeps its files
        message = _message_for_path(em, parts)
        names |= {a["filename"] for a in (message or {}).get("attachments", [])}
    for where, name in r_.embed_attachment_refs(body):
        if name not in names:
            errors.add((*prefix, *where), "ATTACHMENT_NOT_FOUND",
                       f"attachment://{name} names no file of this message")
    return errors


def _message_for_path(em: EmulatorState, parts: list[str]) -> dict[str, Any] | None:
    if parts[0] == "channels" and len(parts) == 4 and parts[3].isdigit():
        return em.messages.get(int(parts[3]))
    if parts[0] == "webhooks" and len(parts) == 5:
        record = em.find_interaction(parts[2])
        if record is None:
            return None
        message_id = record.original_message_id if parts[4] == "@original" else (
            int(parts[4]) if parts[4].isdigit() else 0)
        return em.messages.get(message_id or 0)
    return None


# --- the application and commands -------------------------------------------


@routes.route("GET", API + "/users/@me")
async def current_user(request: web.Request) -> Reply:
    em, _ = _context(request)
    return 200, em.bot_user


@routes.route("GET", API + "/oauth2/applications/@me")
async def current_application(request: web.Request) -> Reply:
    em, _ = _context(request)
    return 200, em.application_payload()


@routes.route("GET", API + "/gateway")
@routes.route("GET", API + "/gateway/bot")
async def gateway(request: web.Request) -> Reply:
    em, _ = _context(request)
    return 200, {"url": em.gateway_url, "shards": em.shard_count, "session_start_limit": {
        "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}


def _command_scope(request: web.Request) -> int | None:
    """The guild of a guild command route (None: global commands)."""
    guild_id = request.match_info.get("guild_id")
    return None if guild_id is None else int(guild_id)


@routes.route("PUT", API + "/applications/{application_id}/commands")
@routes.route("PUT", API + "/applications/{application_id}/guilds/{guild_id}/commands")
async def sync_commands(request: web.Request) -> Reply:
    em, r = _context(request)
    return 200, em.sync_commands(_command_scope(request), r.json or [])


@routes.route("GET", API + "/applications/{application_id}/commands")
@routes.route("GET", API + "/applications/{application_id}/guilds/{guild_id}/commands")
async def get_commands(request: web.Request) -> Reply:
    em, _ = _context(request)
    return 200, em.commands.get(_command_scope(request), [])


# --- channels and their messages --------------------------------------------


def _channel(em: EmulatorState, request: web.Request) -> int:
    """The id of the route's channel; Refused (10003) when there is no such channel."""
    raw = request.match_info["channel_id"]
    channel_id = int(raw) if raw.isdigit() else 0
    if channel_id not in em.channels:
        raise Refused(_error(404, 10003, "Unknown Channel"))
    return channel_id


def _permitted(em: EmulatorState, r: RecordedRequest, channel_id: int, *needed: int) -> None:
    refused = _channel_permission_error(em, r, channel_id, *needed)
    if refused:
        raise Refused(refused)


def _channel_message(em: EmulatorState, request: web.Request) -> tuple[int, dict[str, Any]]:
    """The route's channel id and message; Refused when the channel is unknown (10003), or
    the message is unknown, in another channel or ephemeral (10008)."""
    channel_id = _channel(em, request)
    raw = request.match_info["message_id"]
    message = em.messages.get(int(raw)) if raw.isdigit() else None
    hidden = (message is not None and em.rules.interactions
              and int(message.get("flags") or 0) & MESSAGE_FLAG_EPHEMERAL)
    if message is None or int(message["channel_id"]) != channel_id or hidden:
        raise Refused(_error(404, 10008, "Unknown Message"))
    return channel_id, message


@routes.route("GET", API + "/channels/{channel_id}")
async def get_channel(request: web.Request) -> Reply:
    em, r = _context(request)
    channel_id = _channel(em, request)
    _permitted(em, r, channel_id)
    return 200, em.channels[channel_id]


@routes.route("POST", API + "/channels/{channel_id}/messages")
async def create_message(request: web.Request) -> Reply:
    em, r = _context(request)
    channel_id = _channel(em, request)
    thread = em.is_thread(channel_id)
    send = p.PERM_SEND_MESSAGES_IN_THREADS if thread else p.PERM_SEND_MESSAGES
    needed = [send] + ([p.PERM_ATTACH_FILES] if r.files else [])
    if r.json and r.json.get("message_reference"):
        needed.append(p.PERM_READ_HISTORY)
    _permitted(em, r, channel_id, *needed)
    if em.channels[channel_id]["type"] == p.CHANNEL_FORUM:  # posts are threads, not messages
        return _refuse(r, "limits", 400, 50008, "Cannot send messages in a non-text channel")
    if thread and em.rules.limits and em.channels[channel_id]["thread_metadata"]["archived"]:
        return _refuse(r, "limits", 400, 50083, "Thread is archived")
    body = _without_unpermitted_embeds(em, channel_id, r.json)
    if _empty(em, body, r.files):  # e.g. an embed-only message without Embed Links
        return _refuse(r, "limits", 400, 50006, "Cannot send an empty message")
    return 200, em.fresh(em.create_message(channel_id, body, r.files))


# --- threads ------------------------------------------------------------------


def _thread_name_errors(body: dict[str, Any] | None) -> FormErrors:
    """Discord's docs (Start Thread): a name of 1 to 100 characters."""
    errors = FormErrors()
    name = (body or {}).get("name")
    if not isinstance(name, str):
        errors.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
    elif not 1 <= len(name) <= r_.THREAD_NAME_MAX:
        errors.add(("name",), "BASE_TYPE_BAD_LENGTH",
                   f"Must be between 1 and {r_.THREAD_NAME_MAX} in length.")
    return errors


async def _new_thread(em: EmulatorState, parent_id: int, body: dict[str, Any],
                      thread_id: int | None = None) -> dict[str, Any]:
    """Open a thread the bot owns, and tell the bot (THREAD_CREATE), as Discord does."""
    thread_id = em.add_thread(parent_id, body["name"], thread_id=thread_id,
                              auto_archive_duration=int(body.get("auto_archive_duration") or 1440))
    if em.connected_bot():
        await em.dispatch("THREAD_CREATE", {**em.channels[thread_id], "newly_created": True})
    return em.channels[thread_id]


@routes.route("POST", API + "/channels/{channel_id}/messages/{message_id}/threads")
async def thread_from_message(request: web.Request) -> Reply:
    """A public thread started from a message: it takes the message's id."""
    em, r = _context(request)
    channel_id, message = _channel_message(em, request)
    _permitted(em, r, channel_id, p.PERM_CREATE_PUBLIC_THREADS)
    if em.channels[channel_id]["type"] != p.CHANNEL_TEXT:
        return _refuse(r, "limits", 400, 50024, "Cannot execute action on this channel type")
    errors = _thread_name_errors(r.json) if em.rules.limits else FormErrors()
    if errors:
        return _invalid(r, "limits", errors)
    if int(message["id"]) in em.channels:
        return _refuse(r, "limits", 400, 160004, "A thread has already been created for this message")
    thread = await _new_thread(em, channel_id, r.json, thread_id=int(message["id"]))
    message["thread"] = thread
    message["flags"] = int(message.get("flags") or 0) | p.MESSAGE_FLAG_HAS_THREAD
    return 201, thread


@routes.route("POST", API + "/channels/{channel_id}/threads")
async def start_thread(request: web.Request) -> Reply:
    """A thread without a message in a text channel (Create Public Threads), or a forum
    post (Send Messages), which needs its first message."""
    em, r = _context(request)
    channel_id = _channel(em, request)
    kind = em.channels[channel_id]["type"]
    forum = kind == p.CHANNEL_FORUM
    body = r.json if isinstance(r.json, dict) else {}
    if forum:
        needed = [p.PERM_SEND_MESSAGES] + ([p.PERM_ATTACH_FILES] if r.files else [])
    else:  # Discord's default without a message is a private thread
        private = body.get("type", p.CHANNEL_PRIVATE_THREAD) == p.CHANNEL_PRIVATE_THREAD
        needed = [p.PERM_CREATE_PRIVATE_THREADS if private else p.PERM_CREATE_PUBLIC_THREADS]
    _permitted(em, r, channel_id, *needed)
    if kind not in (p.CHANNEL_TEXT, p.CHANNEL_FORUM):
        return _refuse(r, "limits", 400, 50024, "Cannot execute action on this channel type")
    errors = _thread_name_errors(body) if em.rules.limits else FormErrors()
    starter = body.get("message")
    if em.rules.limits and forum:
        if not isinstance(starter, dict):
            errors.add(("message",), "BASE_TYPE_REQUIRED", "This field is required")
        else:
            errors.extend(r_.check_message(starter), ("message",))
    if errors:
        return _invalid(r, "limits", errors)
    if forum:
        starter = _without_unpermitted_embeds(em, channel_id, starter)
        if _empty(em, starter, r.files):
            return _refuse(r, "limits", 400, 50006, "Cannot send an empty message")
    thread = await _new_thread(em, channel_id, body)
    if not forum:
        return 201, thread
    # The starter message has the thread's id, and lives in the thread.
    message = em.create_message(int(thread["id"]), starter, r.files)
    del em.messages[int(message["id"])]
    message["id"] = thread["id"]
    em.messages[int(thread["id"])] = message
    thread.update(message_count=1, total_message_sent=1, last_message_id=thread["id"])
    return 201, {**thread, "message": em.fresh(message)}


@routes.route("GET", API + "/channels/{channel_id}/messages/{message_id}")
async def get_message(request: web.Request) -> Reply:
    em, r = _context(request)
    channel_id, message = _channel_message(em, request)
    _permitted(em, r, channel_id, p.PERM_READ_HISTORY)
    return 200, em.fresh(message)


@routes.route("PATCH", API + "/channels/{channel_id}/messages/{message_id}")
async def edit_message(request: web.Request) -> Reply:
    em, r = _context(request)
    channel_id, message = _channel_message(em, request)
    _permitted(em, r, channel_id)
    body = _without_unpermitted_embeds(em, channel_id, r.json)
    return 200, em.fresh(em.edit_message(message, body, r.files))


@routes.route("DELETE", API + "/channels/{channel_id}/messages/{message_id}")
async def delete_message(request: web.Request) -> Reply:
    em, r = _context(request)
    channel_id, message = _channel_message(em, request)
    _permitted(em, r, channel_id)
    del em.messages[int(message["id"])]
    return 204, None


@routes.route("*", API + "/channels/{channel_id}{tail:.*}")
async def other_channel_route(request: web.Request) -> Reply:
    em, r = _context(request)
    _channel(em, request)
    return _not_emulated(r)


# --- interactions: the callback, @original and followups --------------------


@routes.route("*", API + "/interactions/{interaction_id}/{token}/callback")
async def interaction_callback(request: web.Request) -> Reply:
    em, r = _context(request)
    raw = request.match_info["interaction_id"]
    record = em.interactions.get(int(raw)) if raw.isdigit() else None
    if record is None or record.token != request.match_info["token"]:
        return _error(404, 10062, "Unknown interaction")
    return _callback(em, record, r)


@routes.route("*", API + "/interactions{tail:.*}")
async def unknown_interaction(request: web.Request) -> Reply:
    return _error(404, 10062, "Unknown interaction")


def _webhook(em: EmulatorState, r: RecordedRequest, request: web.Request) -> InteractionRecord:
    """The interaction whose token the webhook route names; Refused when unknown (10015)
    or expired (50027), or before its first callback (10015)."""
    record = em.find_interaction(request.match_info["token"])
    if record is None or request.match_info["application_id"] != str(em.application_id):
        raise Refused(_error(404, 10015, "Unknown Webhook"))
    if em.rules.interactions and (record.expired or time.monotonic() - record.created > em.token_ttl):
        raise Refused(_refuse(r, "interactions", 401, 50027, "Invalid Webhook Token"))
    if record.callback_type is None:
        raise Refused(_error(404, 10015, "Unknown Webhook"))
    return record


def _webhook_message(em: EmulatorState, request: web.Request, record: InteractionRecord
                     ) -> dict[str, Any]:
    """``@original`` or a followup of the interaction; Refused (10008) for any other message."""
    raw = request.match_info["message_id"]
    message_id = record.original_message_id if raw == "@original" else (
        int(raw) if raw.isdigit() else None)
    own = {record.original_message_id, *record.followup_ids}
    message = em.messages.get(message_id or 0)
    if message is None or (em.rules.interactions and message_id not in own):
        raise Refused(_error(404, 10008, "Unknown Message"))
    return message


@routes.route("POST", API + "/webhooks/{application_id}/{token}")
async def followup(request: web.Request) -> Reply:
    em, r = _context(request)
    return _followup(em, _webhook(em, r, request), r)


@routes.route("GET", API + "/webhooks/{application_id}/{token}/messages/{message_id}")
async def get_webhook_message(request: web.Request) -> Reply:
    em, r = _context(request)
    return 200, em.fresh(_webhook_message(em, request, _webhook(em, r, request)))


@routes.route("PATCH", API + "/webhooks/{application_id}/{token}/messages/{message_id}")
async def edit_webhook_message(request: web.Request) -> Reply:
    em, r = _context(request)
    message = _webhook_message(em, request, _webhook(em, r, request))
    return 200, em.fresh(em.edit_message(message, r.json, r.files))


@routes.route("DELETE", API + "/webhooks/{application_id}/{token}/messages/{message_id}")
async def delete_webhook_message(request: web.Request) -> Reply:
    em, r = _context(request)
    message = _webhook_message(em, request, _webhook(em, r, request))
    del em.messages[int(message["id"])]
    return 204, None


@routes.route("*", API + "/webhooks/{application_id}/{token}{tail:.*}")
async def other_webhook_route(request: web.Request) -> Reply:
    em, r = _context(request)
    _webhook(em, r, request)
    return _not_emulated(r)


@routes.route("*", API + "/webhooks{tail:.*}")
async def unknown_webhook(request: web.Request) -> Reply:
    return _error(404, 10015, "Unknown Webhook")


# --- attachment downloads (the CDN) -----------------------------------------


@routes.get("/attachments/{channel_id}/{attachment_id}/{filename}")
async def download(request: web.Request) -> web.Response:
    em = request.config_dict[EMULATOR]
    attachment_id = int(request.match_info["attachment_id"])
    data = em.attachments.get(attachment_id)
    if data is None or (em.rules.attachments and not em.url_valid(attachment_id, dict(request.query))):
        return web.Response(status=404, text="This content is no longer available.")
    return web.Response(body=data, content_type="application/octet-stream")


# --- helpers of the routes --------------------------------------------------


def _channel_permission_error(em: EmulatorState, r: RecordedRequest, channel_id: int, *needed: int
                              ) -> tuple[int, Any] | None:
    """403 when the bot lacks a permission: 50001 without View Channel, else 50013."""
    if not em.rules.permissions:
        return None
    have = em.bot_permissions(channel_id)
    # A group DM the bot is not in: a user-installed app answers there only by webhook.
    if not em.bot_is_member(channel_id) or not have & p.PERM_VIEW_CHANNEL:
        return _refuse(r, "permissions", 403, 50001, "Missing Access")
    if any(not have & bit for bit in needed):
        return _refuse(r, "permissions", 403, 50013, "Missing Permissions")
    return None


def _empty(em: EmulatorState, body: dict[str, Any] | None, files: list[RecordedFile]) -> bool:
    """A new message with nothing to show, which Discord refuses (50006)."""
    body = body or {}
    return em.rules.limits and not (files or body.get("content") or body.get("embeds")
                                    or body.get("components") or body.get("sticker_ids")
                                    or body.get("poll"))


def _without_unpermitted_embeds(em: EmulatorState, channel_id: int, body: dict[str, Any] | None) -> dict[str, Any] | None:
    """Without Embed Links, Discord keeps the message and drops its embeds."""
    if body and em.rules.permissions and not em.bot_permissions(channel_id) & p.PERM_EMBED_LINKS:
        return {**body, "embeds": []} if body.get("embeds") else body
    return body


def _followup(em: EmulatorState, record: InteractionRecord, r: RecordedRequest) -> tuple[int, Any]:
    """A followup; the first one after a deferred reply edits that reply, whose ephemeral
    state it keeps whatever flags the followup asks for (as Discord does)."""
    original = em.messages.get(record.original_message_id or 0)
    if (em.rules.interactions and record.callback_type == CALLBACK_DEFERRED_MESSAGE
            and original is not None and int(original["flags"]) & MESSAGE_FLAG_LOADING
            and not record.followup_edited_original):
        record.followup_edited_original = True
        body = {k: v for k, v in (r.json or {}).items() if k != "flags"}
        return 200, em.fresh(em.edit_message(original, body, r.files))
    if _empty(em, r.json, r.files):
        return _refuse(r, "limits", 400, 50006, "Cannot send an empty message")
    flags = int((r.json or {}).get("flags") or 0)
    message = em.create_message(record.channel_id, r.json, r.files, webhook=True,
                                flags=flags, record=record)
    record.followup_ids.append(int(message["id"]))
    return 200, em.fresh(message)


def _callback(em: EmulatorState, record: InteractionRecord, r: RecordedRequest) -> tuple[int, Any]:
    """The first answer to an interaction: its type must suit the interaction, within 3 s."""
    body = r.json or {}
    ctype = int(body.get("type", 0))
    record.callback_attempts.append(ctype)
    if record.callback_type is not None:
        return _error(400, 40060, "Interaction has already been acknowledged.")
    if em.rules.interactions:
        if time.monotonic() - record.created > em.callback_deadline:
            return _refuse(r, "interactions", 404, 10062, "Unknown interaction")
        allowed = ALLOWED_CALLBACKS.get(record.type, ())
        if ctype not in allowed:
            errors = FormErrors()
            errors.add(("type",), "BASE_TYPE_CHOICES",
                       f"Value must be one of {allowed} for interaction type {record.type}.")
            return _invalid(r, "interactions", errors)
    data = body.get("data") or {}
    record.callback_type, record.callback_at, record.callback_json = ctype, r.at, body
    response: dict[str, Any] = {"interaction": {"id": str(record.id), "type": record.type},
                                "resource": {"type": ctype}}
    flags = int(data.get("flags") or 0)
    if ctype in (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE):
        if ctype == CALLBACK_DEFERRED_MESSAGE:
            flags |= MESSAGE_FLAG_LOADING
        message = em.create_message(record.channel_id, data, r.files, webhook=True,
                                    flags=flags, record=record)
        record.original_message_id = int(message["id"])
        response["interaction"].update(
            response_message_id=message["id"],
            response_message_loading=ctype == CALLBACK_DEFERRED_MESSAGE,
            response_message_ephemeral=bool(flags & MESSAGE_FLAG_EPHEMERAL))
        response["resource"]["message"] = em.fresh(message)
    elif ctype in (CALLBACK_DEFERRED_UPDATE, CALLBACK_UPDATE_MESSAGE):
        source = record.payload.get("message")
        if source is not None:
            record.original_message_id = int(source["id"])
            stored = em.messages.get(int(source["id"]))
            if ctype == CALLBACK_UPDATE_MESSAGE and stored is not None:
                em.edit_message(stored, data, r.files)
                response["resource"]["message"] = em.fresh(stored)
    return 200, response
