"""Frozen records: what the repositories return instead of ORM rows.

Records cross threads and outlive sessions (a repository call runs in a worker
thread; its result is read on the event loop), so each is a frozen dataclass
built from a row by its ``of`` classmethod.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from bot.db.models import (
    Challenge,
    ChallengeKind,
    ChallengeState,
    GenerationHistory,
    Result,
    Submission,
)


def _record(cls: Any, row: Any, **converted: Any) -> Any:
    """A frozen record of ``cls`` from an ORM ``row``: each field read from the row's
    attribute of the same name, unless ``converted`` gives its value."""
    read = {f.name: getattr(row, f.name) for f in fields(cls) if f.name not in converted}
    return cls(**read, **converted)


@dataclass(frozen=True)
class Scoring:
    """Points for a placing; stored with each result, so a change never rewrites history."""

    win: int = 3
    runner_up: int = 1

    def __post_init__(self) -> None:
        if self.win < 0 or self.runner_up < 0:
            raise ValueError("points must not be negative")


@dataclass(frozen=True)
class ChallengeRecord:
    id: int
    guild_id: int
    channel_id: int
    created_by: int
    title: str
    prompt: str
    kind: ChallengeKind
    genre: str | None
    submission_deadline: datetime
    voting_deadline: datetime
    state: ChallengeState
    announcement_message_id: int | None
    results_message_id: int | None
    created_at: datetime
    voting_opened_at: datetime | None
    closed_at: datetime | None
    locale: str | None = None  # the language of its public messages (None: English)

    @classmethod
    def of(cls, row: Challenge) -> ChallengeRecord:
        return _record(cls, row, kind=ChallengeKind(row.kind), state=ChallengeState(row.state))


@dataclass(frozen=True)
class SubmissionRecord:
    id: int
    challenge_id: int
    user_id: int
    job_id: str | None
    content: bytes | None
    filename: str | None
    content_type: str | None
    code_url: str | None
    summary: str
    jump_url: str | None
    vote_message_id: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Submission) -> SubmissionRecord:
        return _record(cls, row)


@dataclass(frozen=True)
class SubmitOutcome:
    submission: SubmissionRecord
    replaced: bool  # True: this member's earlier submission was replaced


@dataclass(frozen=True)
class VoteOutcome:
    submission_id: int
    previous_submission_id: int | None  # None: a first vote

    @property
    def changed(self) -> bool:
        return self.previous_submission_id not in (None, self.submission_id)


@dataclass(frozen=True)
class ResultRecord:
    challenge_id: int
    place: int
    user_id: int
    submission_id: int
    votes: int
    points: int

    @classmethod
    def of(cls, row: Result) -> ResultRecord:
        return _record(cls, row)


@dataclass(frozen=True)
class CloseOutcome:
    challenge: ChallengeRecord
    results: tuple[ResultRecord, ...]
    submissions: int
    voters: int


@dataclass(frozen=True)
class LeaderboardRow:
    user_id: int
    points: int
    wins: int
    runner_ups: int


@dataclass(frozen=True)
class HistoryRecord:
    job_id: str
    user_id: int
    guild_id: int | None
    channel_id: int | None
    kind: ChallengeKind
    summary: str
    jump_url: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: GenerationHistory) -> HistoryRecord:
        return _record(cls, row, kind=ChallengeKind(row.kind))
