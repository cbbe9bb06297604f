"""Repositories: the only code that runs SQL against the challenge and history tables.

Methods are synchronous and each runs in its own transaction; they return frozen
records, never ORM objects, so results can cross threads and outlive sessions.
The bot calls them through :meth:`bot.db.Database.run`, which moves the call to a
worker thread so the event loop never blocks on the database.

State changes that must happen once (open -> voting, voting -> closed) are single
conditional ``UPDATE`` statements; the caller that sees ``rowcount == 1`` owns the
transition. Two bot instances, or a bot restarted mid-way, cannot both own it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.db import errors
from bot.db.models import (
    GENRE_MAX,
    JOB_ID_MAX,
    PROMPT_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    URL_MAX,
    Challenge,
    ChallengeKind,
    ChallengeState,
    GenerationHistory,
    Result,
    Submission,
    Vote,
    utcnow,
)
from workers import contracts

T = TypeVar("T")

ACTIVE_STATES = (ChallengeState.OPEN.value, ChallengeState.VOTING.value)


@dataclass(frozen=True)
class Scoring:
    """Points for a placing; stored with each result, so a change never rewrites history."""

    win: int = 3
    runner_up: int = 1

    def __post_init__(self) -> None:
        if self.win < 0 or self.runner_up < 0:
            raise ValueError("points must not be negative")


def _record(cls, row, **converted):
    """A frozen record of ``cls`` from an ORM ``row``: each field read from the row's
    attribute of the same name, unless ``converted`` gives its value."""
    return cls(**{f.name: converted[f.name] if f.name in converted else getattr(row, f.name)
                  for f in fields(cls)})


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

def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Repository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def _retry_on_conflict(self, fn: Callable[[], T], attempts: int = 3) -> T:
        """Run ``fn`` again when a concurrent insert won a unique-key race."""
        for attempt in range(attempts):
            try:
                return fn()
            except IntegrityError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")


class ChallengeRepository(_Repository):
    """Challenges, submissions, votes and results."""

    # -- challenges ---------------------------------------------------------

    def create(
        self,
        *,
        guild_id: int,
        channel_id: int,
        created_by: int,
        title: str,
        prompt: str,
        kind: ChallengeKind | str,
        submission_deadline: datetime,
        voting_deadline: datetime,
        genre: str | None = None,
        now: datetime | None = None,
    ) -> ChallengeRecord:
        """Create an open challenge.

        Raises:
            InvalidChallenge: empty or too long title/prompt, unknown kind, or deadlines
                that are not ``now < submission_deadline < voting_deadline``.
        """
        now = now or utcnow()
        title, prompt = title.strip(), prompt.strip()
        if not title or len(title) > TITLE_MAX:
            raise errors.InvalidChallenge(f"The title needs 1 to {TITLE_MAX} characters.")
        if not prompt or len(prompt) > PROMPT_MAX:
            raise errors.InvalidChallenge(f"The prompt needs 1 to {PROMPT_MAX} characters.")
        try:
            kind = ChallengeKind(kind)
        except ValueError:
            raise errors.InvalidChallenge("The kind is either music or text.") from None
        genre = (genre or "").strip() or None
        if genre is not None and len(genre) > GENRE_MAX:
            raise errors.InvalidChallenge(f"The genre needs at most {GENRE_MAX} characters.")
        if submission_deadline <= now:
            raise errors.InvalidChallenge("The submission deadline must be in the future.")
        if voting_deadline <= submission_deadline:
            raise errors.InvalidChallenge("Voting must end after the submission deadline.")
        row = Challenge(
            guild_id=guild_id,
            channel_id=channel_id,
            created_by=created_by,
            title=title,
            prompt=prompt,
            kind=kind.value,
            genre=genre,
            submission_deadline=submission_deadline,
            voting_deadline=voting_deadline,
            state=ChallengeState.OPEN.value,
            created_at=now,
        )
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            return ChallengeRecord.of(row)

    def get(self, challenge_id: int, *, guild_id: int | None = None) -> ChallengeRecord:
        """Raises: ChallengeNotFound (also when it belongs to another guild)."""
        with self._sessions() as session:
            row = session.get(Challenge, challenge_id)
            if row is None or (guild_id is not None and row.guild_id != guild_id):
                raise errors.ChallengeNotFound(f"There is no challenge #{challenge_id} here.")
            return ChallengeRecord.of(row)

    def in_guild(
        self,
        guild_id: int,
        *,
        states: Iterable[ChallengeState | str] | None = None,
        limit: int = 25,
    ) -> list[ChallengeRecord]:
        """Newest first."""
        query = select(Challenge).where(Challenge.guild_id == guild_id)
        if states is not None:
            query = query.where(Challenge.state.in_([ChallengeState(s).value for s in states]))
        query = query.order_by(Challenge.created_at.desc(), Challenge.id.desc()).limit(limit)
        with self._sessions() as session:
            return [ChallengeRecord.of(r) for r in session.scalars(query)]

    def set_announcement(self, challenge_id: int, message_id: int) -> None:
        self._set(Challenge, challenge_id, announcement_message_id=message_id)

    def cancel(
        self, challenge_id: int, *, guild_id: int, now: datetime | None = None
    ) -> ChallengeRecord:
        """Cancel an open or voting challenge.

        Raises:
            ChallengeNotFound: unknown id in this guild.
            WrongState: already closed or cancelled.
        """
        now = now or utcnow()
        with self._sessions.begin() as session:
            result = session.execute(
                update(Challenge)
                .where(
                    Challenge.id == challenge_id,
                    Challenge.guild_id == guild_id,
                    Challenge.state.in_(ACTIVE_STATES),
                )
                .values(state=ChallengeState.CANCELLED.value, closed_at=now)
            )
            row = session.get(Challenge, challenge_id)
            if row is None or row.guild_id != guild_id:
                raise errors.ChallengeNotFound(f"There is no challenge #{challenge_id} here.")
            if result.rowcount != 1:
                raise errors.WrongState(f"Challenge #{challenge_id} is already {row.state}.")
            return ChallengeRecord.of(row)

    # -- scheduling ---------------------------------------------------------

    def due_for_voting(self, now: datetime | None = None) -> list[int]:
        """Open challenges whose submission deadline has passed."""
        now = now or utcnow()
        query = select(Challenge.id).where(
            Challenge.state == ChallengeState.OPEN.value, Challenge.submission_deadline <= now
        )
        with self._sessions() as session:
            return list(session.scalars(query.order_by(Challenge.id)))

    def due_for_closing(self, now: datetime | None = None) -> list[int]:
        """Voting challenges whose voting deadline has passed."""
        now = now or utcnow()
        query = select(Challenge.id).where(
            Challenge.state == ChallengeState.VOTING.value, Challenge.voting_deadline <= now
        )
        with self._sessions() as session:
            return list(session.scalars(query.order_by(Challenge.id)))

    def unpublished(self) -> list[int]:
        """Challenges whose voting posts or results announcement still need posting.

        That is: voting challenges with a submission lacking its vote message, and
        closed challenges without a results message (a bot that died mid-way).
        """
        pending_votes = (
            select(Submission.id)
            .where(Submission.challenge_id == Challenge.id, Submission.vote_message_id.is_(None))
            .exists()
        )
        query = select(Challenge.id).where(
            or_(
                and_(Challenge.state == ChallengeState.VOTING.value, pending_votes),
                and_(
                    Challenge.state == ChallengeState.CLOSED.value,
                    Challenge.results_message_id.is_(None),
                ),
            )
        )
        with self._sessions() as session:
            return list(session.scalars(query.order_by(Challenge.id)))

    def claim_lease(self, challenge_id: int, seconds: float, now: datetime | None = None) -> bool:
        """Atomically take a short lease on posting for a challenge.

        Returns:
            True when this caller holds the lease until ``now + seconds``; False when
            another caller holds an unexpired one.
        """
        now = now or utcnow()
        with self._sessions.begin() as session:
            result = session.execute(
                update(Challenge)
                .where(
                    Challenge.id == challenge_id,
                    or_(Challenge.lease_until.is_(None), Challenge.lease_until <= now),
                )
                .values(lease_until=now + timedelta(seconds=seconds))
            )
            return result.rowcount == 1

    def release_lease(self, challenge_id: int) -> None:
        self._set(Challenge, challenge_id, lease_until=None)

    def open_voting(
        self, challenge_id: int, *, now: datetime | None = None, early: bool = False
    ) -> bool:
        """Move an open challenge to voting, once.

        Args:
            early: an admin opens voting before the submission deadline.

        Returns:
            True when this call made the transition (the caller posts the ballots).
        """
        now = now or utcnow()
        conditions = [Challenge.id == challenge_id, Challenge.state == ChallengeState.OPEN.value]
        if not early:
            conditions.append(Challenge.submission_deadline <= now)
        values: dict[str, object] = {"state": ChallengeState.VOTING.value, "voting_opened_at": now}
        with self._sessions.begin() as session:
            if early:
                # Submissions close now; keep the voting window as long as planned.
                row = session.get(Challenge, challenge_id)
                if row is not None and row.submission_deadline > now:
                    values["submission_deadline"] = now
            return (
                session.execute(update(Challenge).where(*conditions).values(**values)).rowcount == 1
            )

    def close(
        self,
        challenge_id: int,
        scoring: Scoring,
        *,
        now: datetime | None = None,
        early: bool = False,
    ) -> CloseOutcome | None:
        """Close voting and write the results, in one transaction, once.

        Ranking: most votes first; ties go to the earlier submission (the one
        first made, resubmissions keep their original time). A placing needs at
        least one vote. Only the caller that gets an outcome announces it.

        Returns:
            The outcome, or None when the challenge was not due or already closed.
        """
        now = now or utcnow()
        conditions = [Challenge.id == challenge_id, Challenge.state == ChallengeState.VOTING.value]
        if not early:
            conditions.append(Challenge.voting_deadline <= now)
        with self._sessions.begin() as session:
            transition = session.execute(
                update(Challenge)
                .where(*conditions)
                .values(state=ChallengeState.CLOSED.value, closed_at=now)
            )
            if transition.rowcount != 1:
                return None
            tallies = session.execute(self._tally_query(challenge_id)).all()
            points = (scoring.win, scoring.runner_up)
            results = []
            for place, (submission_id, user_id, votes) in enumerate(tallies[:2], start=1):
                if votes == 0:
                    break
                row = Result(
                    challenge_id=challenge_id,
                    place=place,
                    user_id=user_id,
                    submission_id=submission_id,
                    votes=votes,
                    points=points[place - 1],
                )
                session.add(row)
                results.append(row)
            session.flush()
            voters = session.scalar(
                select(func.count()).select_from(Vote).where(Vote.challenge_id == challenge_id)
            )
            challenge = session.get(Challenge, challenge_id)
            assert challenge is not None
            return CloseOutcome(
                challenge=ChallengeRecord.of(challenge),
                results=tuple(self._result_record(r) for r in results),
                submissions=len(tallies),
                voters=int(voters or 0),
            )

    def outcome(self, challenge_id: int) -> CloseOutcome:
        """The stored outcome of a closed challenge (for announcing it after a restart)."""
        with self._sessions() as session:
            challenge = session.get(Challenge, challenge_id)
            if challenge is None:
                raise errors.ChallengeNotFound(f"There is no challenge #{challenge_id}.")
            if challenge.state != ChallengeState.CLOSED.value:
                raise errors.WrongState(f"Challenge #{challenge_id} is {challenge.state}.")
            results = session.scalars(
                select(Result).where(Result.challenge_id == challenge_id).order_by(Result.place)
            )
            submissions = session.scalar(
                select(func.count())
                .select_from(Submission)
                .where(Submission.challenge_id == challenge_id)
            )
            voters = session.scalar(
                select(func.count()).select_from(Vote).where(Vote.challenge_id == challenge_id)
            )
            return CloseOutcome(
                challenge=ChallengeRecord.of(challenge),
                results=tuple(self._result_record(r) for r in results),
                submissions=int(submissions or 0),
                voters=int(voters or 0),
            )

    @staticmethod
    def _tally_query(challenge_id: int) -> Select[tuple[int, int, int]]:
        votes = func.count(Vote.voter_id)
        return (
            select(Submission.id, Submission.user_id, votes)
            .outerjoin(Vote, Vote.submission_id == Submission.id)
            .where(Submission.challenge_id == challenge_id)
            .group_by(Submission.id, Submission.user_id, Submission.created_at)
            .order_by(votes.desc(), Submission.created_at, Submission.id)
        )

    def tallies(self, challenge_id: int) -> list[tuple[int, int, int]]:
        """(submission id, author id, votes), best first. Show only after closing."""
        with self._sessions() as session:
            return [tuple(r) for r in session.execute(self._tally_query(challenge_id))]  # type: ignore[misc]

    def set_results_message(self, challenge_id: int, message_id: int) -> None:
        self._set(Challenge, challenge_id, results_message_id=message_id, lease_until=None)

    @staticmethod
    def _result_record(row: Result) -> ResultRecord:
        return ResultRecord(
            challenge_id=row.challenge_id,
            place=row.place,
            user_id=row.user_id,
            submission_id=row.submission_id,
            votes=row.votes,
            points=row.points,
        )

    def results(self, challenge_id: int) -> list[ResultRecord]:
        query = select(Result).where(Result.challenge_id == challenge_id).order_by(Result.place)
        with self._sessions() as session:
            return [self._result_record(r) for r in session.scalars(query)]

    def leaderboard(self, guild_id: int, *, limit: int = 10) -> list[LeaderboardRow]:
        """Points per member over the guild's closed challenges, best first."""
        points = func.sum(Result.points)
        wins = func.sum(case((Result.place == 1, 1), else_=0))
        runner_ups = func.sum(case((Result.place == 2, 1), else_=0))
        query = (
            select(Result.user_id, points, wins, runner_ups)
            .join(Challenge, Challenge.id == Result.challenge_id)
            .where(Challenge.guild_id == guild_id, Challenge.state == ChallengeState.CLOSED.value)
            .group_by(Result.user_id)
            .order_by(points.desc(), wins.desc(), Result.user_id)
            .limit(limit)
        )
        with self._sessions() as session:
            return [
                LeaderboardRow(user_id=u, points=int(p), wins=int(w), runner_ups=int(r))
                for u, p, w, r in session.execute(query)
            ]

    # -- submissions --------------------------------------------------------

    def submit(
        self,
        challenge_id: int,
        user_id: int,
        *,
        job_id: str | None = None,
        content: bytes | None = None,
        filename: str | None = None,
        content_type: str | None = None,
        code_url: str | None = None,
        summary: str = "",
        jump_url: str | None = None,
        now: datetime | None = None,
    ) -> SubmitOutcome:
        """Submit, or replace this member's submission, before the deadline.

        Raises:
            ChallengeNotFound, WrongState (not open), DeadlinePassed, InvalidSubmission.
        """
        now = now or utcnow()
        if job_id is None and content is None:
            raise errors.InvalidSubmission("Attach a wikimuse result or upload a file.")
        if job_id is not None and len(job_id) > JOB_ID_MAX:
            raise errors.InvalidSubmission("That job id is not a wikimuse job.")
        if code_url is not None and len(code_url) > URL_MAX:
            raise errors.InvalidSubmission(f"The code link needs at most {URL_MAX} characters.")
        fields = {
            "job_id": job_id,
            "content": content,
            "filename": filename,
            "content_type": content_type,
            "code_url": code_url,
            "summary": _clip(summary, SUMMARY_MAX) or "",
            "jump_url": jump_url if jump_url is None or len(jump_url) <= URL_MAX else None,
            "updated_at": now,
        }

        def attempt() -> SubmitOutcome:
            with self._sessions.begin() as session:
                challenge = session.scalars(
                    select(Challenge).where(Challenge.id == challenge_id).with_for_update()
                ).first()
                if challenge is None:
                    raise errors.ChallengeNotFound(f"There is no challenge #{challenge_id}.")
                if challenge.state != ChallengeState.OPEN.value:
                    raise errors.WrongState(
                        f"Challenge #{challenge_id} is {challenge.state}; submissions are closed."
                    )
                if challenge.submission_deadline <= now:
                    raise errors.DeadlinePassed(
                        f"The submission deadline of challenge #{challenge_id} has passed."
                    )
                row = session.scalars(
                    select(Submission).where(
                        Submission.challenge_id == challenge_id, Submission.user_id == user_id
                    )
                ).first()
                replaced = row is not None
                if row is None:
                    row = Submission(challenge_id=challenge_id, user_id=user_id, created_at=now)
                    session.add(row)
                for key, value in fields.items():
                    setattr(row, key, value)
                session.flush()
                return SubmitOutcome(SubmissionRecord.of(row), replaced=replaced)

        return self._retry_on_conflict(attempt)

    def submissions(self, challenge_id: int) -> list[SubmissionRecord]:
        """In submission order (first made first)."""
        query = (
            select(Submission)
            .where(Submission.challenge_id == challenge_id)
            .order_by(Submission.created_at, Submission.id)
        )
        with self._sessions() as session:
            return [SubmissionRecord.of(r) for r in session.scalars(query)]

    def get_submission(self, submission_id: int) -> SubmissionRecord:
        with self._sessions() as session:
            row = session.get(Submission, submission_id)
            if row is None:
                raise errors.SubmissionNotFound("That submission no longer exists.")
            return SubmissionRecord.of(row)

    def set_vote_message(self, submission_id: int, message_id: int) -> None:
        self._set(Submission, submission_id, vote_message_id=message_id)

    def _set(self, table: type[Challenge] | type[Submission], row_id: int, **values: Any) -> None:
        """Set columns of one row by primary key, in its own transaction."""
        with self._sessions.begin() as session:
            session.execute(update(table).where(table.id == row_id).values(**values))

    # -- votes --------------------------------------------------------------

    def vote(
        self, challenge_id: int, submission_id: int, voter_id: int, *, now: datetime | None = None
    ) -> VoteOutcome:
        """Cast or change a member's vote.

        Raises:
            ChallengeNotFound, WrongState (not voting), DeadlinePassed,
            SubmissionNotFound (not in this challenge), SelfVote.
        """
        now = now or utcnow()

        def attempt() -> VoteOutcome:
            with self._sessions.begin() as session:
                challenge = session.scalars(
                    select(Challenge).where(Challenge.id == challenge_id).with_for_update()
                ).first()
                if challenge is None:
                    raise errors.ChallengeNotFound(f"There is no challenge #{challenge_id}.")
                if challenge.state != ChallengeState.VOTING.value:
                    raise errors.WrongState(f"Voting for challenge #{challenge_id} is not open.")
                if challenge.voting_deadline <= now:
                    raise errors.DeadlinePassed(f"Voting for challenge #{challenge_id} has ended.")
                submission = session.get(Submission, submission_id)
                if submission is None or submission.challenge_id != challenge_id:
                    raise errors.SubmissionNotFound("That submission is not in this challenge.")
                if submission.user_id == voter_id:
                    raise errors.SelfVote("You cannot vote for your own submission.")
                vote = session.get(Vote, (challenge_id, voter_id))
                previous = None if vote is None else vote.submission_id
                if vote is None:
                    vote = Vote(challenge_id=challenge_id, voter_id=voter_id, created_at=now)
                    session.add(vote)
                vote.submission_id = submission.id
                vote.author_id = submission.user_id
                vote.updated_at = now
                session.flush()
                return VoteOutcome(submission_id=submission.id, previous_submission_id=previous)

        return self._retry_on_conflict(attempt)

    def vote_of(self, challenge_id: int, voter_id: int) -> int | None:
        """The submission id this member voted for, if any."""
        with self._sessions() as session:
            vote = session.get(Vote, (challenge_id, voter_id))
            return None if vote is None else vote.submission_id


def history_kind(task_name: str) -> ChallengeKind:
    """The history kind of a wikimuse task (its :class:`~workers.contracts.TaskSpec`)."""
    return ChallengeKind(contracts.task_spec(task_name).history_kind)


class HistoryRepository(_Repository):
    """The generation history behind /history and /challenge submit's autocomplete."""

    def record(
        self,
        *,
        job_id: str,
        user_id: int,
        kind: ChallengeKind | str,
        summary: str,
        guild_id: int | None = None,
        channel_id: int | None = None,
        jump_url: str | None = None,
        created_at: datetime | None = None,
    ) -> HistoryRecord:
        """Record a finished generation; idempotent per job id (a repost updates the link)."""
        if not job_id or len(job_id) > JOB_ID_MAX:
            raise ValueError(f"job_id must have 1 to {JOB_ID_MAX} characters")
        kind = ChallengeKind(kind)

        def attempt() -> HistoryRecord:
            with self._sessions.begin() as session:
                row = session.get(GenerationHistory, job_id)
                if row is None:
                    row = GenerationHistory(
                        job_id=job_id, user_id=user_id, created_at=created_at or utcnow()
                    )
                    session.add(row)
                row.kind = kind.value
                row.summary = _clip(summary, SUMMARY_MAX) or ""
                row.guild_id = guild_id
                row.channel_id = channel_id
                if jump_url is not None:
                    row.jump_url = jump_url if len(jump_url) <= URL_MAX else None
                session.flush()
                return HistoryRecord.of(row)

        return self._retry_on_conflict(attempt)

    def recent(
        self,
        user_id: int,
        *,
        limit: int = 10,
        kind: ChallengeKind | str | None = None,
        guild_id: int | None = None,
        search: str | None = None,
    ) -> list[HistoryRecord]:
        """A member's newest results first, optionally filtered (autocomplete uses search)."""
        query = select(GenerationHistory).where(GenerationHistory.user_id == user_id)
        if kind is not None:
            query = query.where(GenerationHistory.kind == ChallengeKind(kind).value)
        if guild_id is not None:
            query = query.where(GenerationHistory.guild_id == guild_id)
        if search:
            pattern = (
                "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            query = query.where(
                or_(
                    func.lower(GenerationHistory.summary).like(pattern.lower(), escape="\\"),
                    GenerationHistory.job_id.like(pattern, escape="\\"),
                )
            )
        query = query.order_by(GenerationHistory.created_at.desc(), GenerationHistory.job_id)
        with self._sessions() as session:
            return [HistoryRecord.of(r) for r in session.scalars(query.limit(limit))]

    def get(self, job_id: str) -> HistoryRecord | None:
        with self._sessions() as session:
            row = session.get(GenerationHistory, job_id)
            return None if row is None else HistoryRecord.of(row)
