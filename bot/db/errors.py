"""The persistence layer's exception tree; each carries a message safe to show a member."""

from __future__ import annotations


class ChallengeError(Exception):
    """Base: a challenge operation that the rules refuse. ``str(exc)`` is ``template``
    formatted with ``fields``; both are kept, so that the bot can word it in a member's
    language (a ``state`` field holds a :class:`~bot.db.models.ChallengeState` value)."""

    def __init__(self, template: str, **fields: object) -> None:
        super().__init__(template.format(**fields) if fields else template)
        self.template, self.fields = template, fields


class ChallengeNotFound(ChallengeError):
    """No such challenge (in this guild)."""


class InvalidChallenge(ChallengeError):
    """Bad title, prompt, kind or deadlines."""


class WrongState(ChallengeError):
    """The challenge is not in a state that allows this (e.g. submitting during voting)."""


class DeadlinePassed(ChallengeError):
    """The submission or voting deadline has passed."""


class InvalidSubmission(ChallengeError):
    """A submission that has neither a job id nor content, or the wrong kind."""


class SubmissionNotFound(ChallengeError):
    """No such submission in this challenge."""


class SelfVote(ChallengeError):
    """A member tried to vote for their own submission."""
