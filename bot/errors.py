"""The bot's exception tree and its one error handler.

Commands raise :class:`BotError` subclasses with a user-safe message; the
command tree's ``on_error`` (:func:`handle_app_command_error`) turns them, and
anything unexpected, into one ephemeral reply. Nothing else sends error text.
"""

from __future__ import annotations

import logging
from datetime import datetime

import discord
from discord import app_commands

from bot.i18n import Locale, t

log = logging.getLogger(__name__)

GENERIC_MESSAGE = "Something went wrong on our side. Please try again in a moment."


class BotError(app_commands.AppCommandError):
    """An error with a message that is safe to show to the user who caused it."""

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(t(None, message, **fields) if fields else message)  # English, its Terms too
        self.template, self.fields = message, fields
        self.user_message = str(self.args[0])

    def localized(self, locale: Locale) -> str:
        """The message in ``locale``'s language (English where it has no translation)."""
        return t(locale, self.template, **self.fields)


class BadInput(BotError):
    """An option value the bot refuses (empty, too long, out of range, wrong file)."""


class LimitReached(BotError):
    """A cooldown, concurrency cap, quota or full queue; ``retry_at`` says when to try again."""

    def __init__(self, message: str, retry_at: datetime | None = None, **fields: object) -> None:
        super().__init__(message, **fields)
        self.retry_at = retry_at
        if retry_at is not None:
            self.user_message = self.localized(None)

    def localized(self, locale: Locale) -> str:
        text = super().localized(locale)
        if self.retry_at is None:
            return text
        return t(locale, "{message} Try again {when}.", message=text,
                 when=discord.utils.format_dt(self.retry_at, "R"))


class NotAllowed(BotError):
    """The user may not do this here (another user's buttons, a disabled channel or guild)."""


class BackendUnavailable(BotError):
    """Redis or the queue cannot be reached."""

    def __init__(self, message: str = "The generator is unavailable right now. Please try again later.") -> None:
        super().__init__(message)


def user_message(error: BaseException, locale: Locale = None) -> str:
    """The text to show for ``error`` (unwrapping discord.py's invoke wrapper), in
    ``locale``'s language."""
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        original = error.__cause__ if isinstance(error, app_commands.TransformerError) else error.original
        if isinstance(original, BotError):
            return original.localized(locale)
        if isinstance(error, app_commands.TransformerError):
            return t(locale, "That value doesn't work for this option: {value}",
                     value=discord.utils.escape_mentions(str(error.value))[:100])
        return t(locale, GENERIC_MESSAGE)
    if isinstance(error, BotError):
        return error.localized(locale)
    if isinstance(error, app_commands.MissingPermissions):
        return t(locale, "You need the Manage Server permission for this.")
    if isinstance(error, app_commands.CommandOnCooldown):
        return t(locale, "Slow down: try again in {seconds} s.", seconds=f"{error.retry_after:.0f}")
    if isinstance(error, app_commands.CheckFailure):
        return t(locale, "You can't use this command here.")
    return t(locale, GENERIC_MESSAGE)


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """Answer with an ephemeral message, whether or not the interaction was answered yet."""
    mentions = discord.AllowedMentions.none()
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=mentions)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=mentions)
    except discord.HTTPException:
        log.warning("could not deliver an error message to interaction %s", interaction.id)


async def handle_app_command_error(interaction: discord.Interaction,
                                   error: app_commands.AppCommandError) -> None:
    """The command tree's ``on_error``: log what is unexpected, tell the user, ephemerally."""
    text = user_message(error, interaction.locale)
    if text == t(interaction.locale, GENERIC_MESSAGE):
        log.error("command %s failed", getattr(interaction.command, "name", "?"),
                  exc_info=error)
    await send_ephemeral(interaction, text)
