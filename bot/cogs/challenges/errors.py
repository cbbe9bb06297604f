"""The challenges cog's errors: :class:`bot.errors.BotError` subclasses, so the bot's one
error handler shows their (user-safe) message ephemerally."""

from __future__ import annotations

from bot.errors import BadInput, BotError


class ChallengeCommandError(BotError):
    """Base: a refusal by the challenge rules (wrong state, deadline passed, not found)."""


class BadDeadline(ChallengeCommandError, BadInput):
    """A deadline or duration that cannot be read, or is out of range."""


class UploadRejected(ChallengeCommandError, BadInput):
    """A submitted file of the wrong type, too large, unreadable or empty."""


class NotYourResult(ChallengeCommandError, BadInput):
    """A history entry that is not the member's, or of the wrong kind."""
