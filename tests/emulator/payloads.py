"""Raw Discord API payloads, shaped like discord.py's TypedDicts (``discord/types/``).

Builders only: plain dicts in, plain dicts out. The emulator's state lives in
:mod:`tests.emulator.state`; this module knows what each object looks like on the
wire (API v10) so the real discord.py client parses it without complaint.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (discord.Permissions) the emulator's roles use.
PERM_ADMINISTRATOR = 1 << 3
PERM_MANAGE_GUILD = 1 << 5
PERM_VIEW_CHANNEL = 1 << 10
PERM_SEND_MESSAGES = 1 << 11
PERM_EMBED_LINKS = 1 << 14
PERM_ATTACH_FILES = 1 << 15
PERM_READ_HISTORY = 1 << 16
PERM_MENTION_EVERYONE = 1 << 17
PERM_USE_APP_COMMANDS = 1 << 31
PERM_CREATE_PUBLIC_THREADS = 1 << 35
PERM_CREATE_PRIVATE_THREADS = 1 << 36
PERM_SEND_MESSAGES_IN_THREADS = 1 << 38
EVERYONE_PERMISSIONS = (PERM_VIEW_CHANNEL | PERM_SEND_MESSAGES | PERM_EMBED_LINKS
                        | PERM_ATTACH_FILES | PERM_READ_HISTORY | PERM_USE_APP_COMMANDS
                        | PERM_CREATE_PUBLIC_THREADS | PERM_SEND_MESSAGES_IN_THREADS)
# A bot's permissions in its own DM with a user.
DM_PERMISSIONS = (PERM_VIEW_CHANNEL | PERM_SEND_MESSAGES | PERM_EMBED_LINKS | PERM_ATTACH_FILES
                  | PERM_READ_HISTORY | PERM_MENTION_EVERYONE)
# Discord's docs (Interaction object, app_permissions): where a user-installed app is not a
# member (a group DM, a DM between users), what its interaction responses may do.
PRIVATE_CHANNEL_APP_PERMISSIONS = PERM_ATTACH_FILES | PERM_EMBED_LINKS | PERM_MENTION_EVERYONE

# Channel types (Discord docs: Channel object).
CHANNEL_TEXT, CHANNEL_DM, CHANNEL_GROUP_DM = 0, 1, 3
CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD, CHANNEL_FORUM = 11, 12, 15
MESSAGE_FLAG_HAS_THREAD = 1 << 5
# Interaction contexts and installation types (Discord docs: Interactions, Application).
CONTEXT_GUILD, CONTEXT_BOT_DM, CONTEXT_PRIVATE_CHANNEL = 0, 1, 2
GUILD_INSTALL, USER_INSTALL = 0, 1

# Application command option types (discord.AppCommandOptionType).
OPTION_SUB_COMMAND, OPTION_SUB_COMMAND_GROUP = 1, 2
OPTION_STRING, OPTION_INTEGER, OPTION_BOOLEAN = 3, 4, 5
OPTION_USER, OPTION_CHANNEL = 6, 7
OPTION_ATTACHMENT, OPTION_NUMBER = 11, 10

_counter = itertools.count()
_lock = threading.Lock()


def snowflake() -> int:
    """A fresh, time-ordered snowflake id."""
    with _lock:
        increment = next(_counter) & 0xFFF
    return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (1 << 17) | increment


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: int, username: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id), "username": username, "discriminator": "0", "global_name": username,
        "avatar": None, "bot": bot, "public_flags": 0, "flags": 0,
    }


def role(role_id: int, name: str, permissions: int, position: int) -> dict[str, Any]:
    return {
        "id": str(role_id), "name": name, "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False, "position": position, "permissions": str(permissions),
        "managed": False, "mentionable": False, "flags": 0,
    }


def text_channel(channel_id: int, guild_id: int, name: str, position: int) -> dict[str, Any]:
    return {
        "id": str(channel_id), "type": 0, "guild_id": str(guild_id), "name": name,
        "position": position, "permission_overwrites": [], "nsfw": False, "parent_id": None,
        "topic": None, "last_message_id": None, "rate_limit_per_user": 0, "flags": 0,
    }


def forum_channel(channel_id: int, guild_id: int, name: str, position: int) -> dict[str, Any]:
    return {**text_channel(channel_id, guild_id, name, position), "type": CHANNEL_FORUM,
            "available_tags": [], "default_reaction_emoji": None, "default_sort_order": None,
            "default_forum_layout": 0, "default_thread_rate_limit_per_user": 0}


def thread_channel(thread_id: int, parent: dict[str, Any], name: str, owner_id: int,
                   auto_archive_duration: int = 1440) -> dict[str, Any]:
    return {
        "id": str(thread_id), "type": CHANNEL_PUBLIC_THREAD, "guild_id": parent["guild_id"],
        "parent_id": parent["id"], "name": name, "owner_id": str(owner_id),
        "last_message_id": None, "rate_limit_per_user": 0, "message_count": 0,
        "member_count": 1, "total_message_sent": 0, "flags": 0, "applied_tags": [],
        "thread_metadata": {"archived": False, "auto_archive_duration": auto_archive_duration,
                            "archive_timestamp": iso_now(), "locked": False,
                            "create_timestamp": iso_now()},
    }


def dm_channel(channel_id: int, recipient: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(channel_id), "type": CHANNEL_DM, "last_message_id": None, "flags": 0,
            "recipients": [recipient]}


def group_dm_channel(channel_id: int, name: str, owner_id: int,
                     recipients: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": str(channel_id), "type": CHANNEL_GROUP_DM, "name": name, "icon": None,
            "owner_id": str(owner_id), "last_message_id": None, "flags": 0,
            "recipients": recipients}


def member(user_payload: dict[str, Any], role_ids: list[int], permissions: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user": user_payload, "roles": [str(r) for r in role_ids], "joined_at": iso_now(),
        "deaf": False, "mute": False, "flags": 0, "pending": False, "nick": None, "avatar": None,
        "premium_since": None, "communication_disabled_until": None,
    }
    if permissions is not None:  # interaction members carry their computed permissions
        data["permissions"] = str(permissions)
    return data


def guild(guild_id: int, name: str, owner_id: int, roles: list[dict[str, Any]],
          channels: list[dict[str, Any]], members: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": str(guild_id), "name": name, "icon": None, "splash": None, "discovery_splash": None,
        "owner_id": str(owner_id), "afk_channel_id": None, "afk_timeout": 300,
        "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
        "roles": roles, "emojis": [], "stickers": [], "features": [], "mfa_level": 0,
        "application_id": None, "system_channel_id": None, "system_channel_flags": 0,
        "rules_channel_id": None, "vanity_url_code": None, "description": None, "banner": None,
        "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US",
        "public_updates_channel_id": None, "nsfw_level": 0, "premium_progress_bar_enabled": False,
        "unavailable": False, "large": False, "member_count": len(members), "joined_at": iso_now(),
        "voice_states": [], "members": members, "channels": channels, "threads": [],
        "presences": [], "stage_instances": [], "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def attachment(attachment_id: int, filename: str, size: int, url: str,
               content_type: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(attachment_id), "filename": filename, "size": size,
                            "url": url, "proxy_url": url}
    if content_type:
        data["content_type"] = content_type
    return data


def message(message_id: int, channel_id: int, author: dict[str, Any], *, guild_id: int | None,
            content: str = "", embeds: list[dict[str, Any]] | None = None,
            components: list[dict[str, Any]] | None = None,
            attachments: list[dict[str, Any]] | None = None, flags: int = 0,
            webhook_id: int | None = None, application_id: int | None = None,
            message_type: int = 0, message_reference: dict[str, Any] | None = None,
            interaction_metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(message_id), "channel_id": str(channel_id), "type": message_type,
        "author": author, "content": content, "timestamp": iso_now(), "edited_timestamp": None,
        "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
        "attachments": attachments or [], "embeds": embeds or [], "pinned": False,
        "flags": flags, "components": components or [],
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if application_id is not None:
        data["application_id"] = str(application_id)
    if message_reference is not None:
        data["message_reference"] = message_reference
    if interaction_metadata is not None:
        data["interaction_metadata"] = interaction_metadata
    return data


def interaction(*, interaction_id: int, interaction_type: int, token: str, application_id: int,
                guild_id: int | None, channel: dict[str, Any], member_payload: dict[str, Any],
                data: dict[str, Any], app_permissions: int, attachment_size_limit: int,
                message_payload: dict[str, Any] | None = None, context: int = CONTEXT_GUILD,
                owners: dict[str, str] | None = None, locale: str = "en-US",
                guild_locale: str = "en-US") -> dict[str, Any]:
    """An INTERACTION_CREATE payload. In a guild it carries ``guild_id``, ``member`` and
    ``guild_locale``; elsewhere (``context`` 1, a DM with the bot, or 2, a private channel)
    only ``user``. ``locale`` is the user's client language, sent in every interaction but
    pings (Discord: Interaction Object)."""
    payload: dict[str, Any] = {
        "id": str(interaction_id), "application_id": str(application_id), "type": interaction_type,
        "token": token, "version": 1, "channel_id": channel["id"], "channel": channel,
        "app_permissions": str(app_permissions), "locale": locale,
        "entitlements": [], "entitlement_sku_ids": [],
        "authorizing_integration_owners": owners or {"0": str(guild_id)}, "context": context,
        "attachment_size_limit": attachment_size_limit, "data": data,
    }
    if guild_id is not None:
        payload.update(guild_id=str(guild_id), member=member_payload, guild_locale=guild_locale,
                       guild={"id": str(guild_id), "locale": guild_locale, "features": []})
    else:
        payload["user"] = member_payload["user"]
    if message_payload is not None:
        payload["message"] = message_payload
    return payload
