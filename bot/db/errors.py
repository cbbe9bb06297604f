"""The persistence layer's exception tree; each carries a message safe to show a member."""

from __future__ import annotations


class ChallengeError(Exception):
    """Base: a challenge operation that the rules refuse."""


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
