"""The challenges cog's own errors; every message is safe to show the member (ephemeral)."""

from __future__ import annotations

from discord import app_commands


class ChallengeCommandError(app_commands.AppCommandError):
    """Base: a refusal with a user-facing message."""


class BadDeadline(ChallengeCommandError):
    """A deadline or duration that cannot be read, or is out of range."""


class UploadRejected(ChallengeCommandError):
    """A submitted file of the wrong type, too large, unreadable or empty."""


class NotYourResult(ChallengeCommandError):
    """A history entry that is not the member's, or unknown."""
