"""Challenges, submissions, votes and results: what members create and read.

:class:`ChallengeRepository` validates what a member typed before it reaches SQL
(each refusal an :mod:`bot.db.errors` exception with a message safe to show), and
inherits the state transitions and the posting lease from
:class:`bot.db.lifecycle.ChallengeLifecycle`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.db import errors
from bot.db.base import clip
from bot.db.lifecycle import ChallengeLifecycle
from bot.db.models import (
    GENRE_MAX,
    JOB_ID_MAX,
    LOCALE_MAX,
    PROMPT_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    URL_MAX,
    Challenge,
    ChallengeKind,
    ChallengeState,
    Result,
    Submission,
    Vote,
    utcnow,
)
from bot.db.records import (
    ChallengeRecord,
    LeaderboardRow,
    ResultRecord,
    SubmissionRecord,
    SubmitOutcome,
    VoteOutcome,
)


def _locked(session: Session, challenge_id: int) -> Challenge:
    """The challenge's row, locked until the transaction ends (``FOR UPDATE``; SQLite has
    no row locks and lets one writer at a time). Raises: ChallengeNotFound."""
    challenge = session.scalars(
        select(Challenge).where(Challenge.id == challenge_id).with_for_update()
    ).first()
    if challenge is None:
        raise errors.ChallengeNotFound("There is no challenge #{id}.", id=challenge_id)
    return challenge


class ChallengeRepository(ChallengeLifecycle):
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
        locale: str | None = None,
    ) -> ChallengeRecord:
        """Create an open challenge whose public messages are in ``locale``'s language (a
        Discord locale; None or one longer than a locale code: English).

        Raises:
            InvalidChallenge: empty or too long title/prompt, unknown kind, or deadlines
                that are not ``now < submission_deadline < voting_deadline``.
        """
        now = now or utcnow()
        title, prompt = title.strip(), prompt.strip()
        if not title or len(title) > TITLE_MAX:
            raise errors.InvalidChallenge("The title needs 1 to {limit} characters.", limit=TITLE_MAX)
        if not prompt or len(prompt) > PROMPT_MAX:
            raise errors.InvalidChallenge("The prompt needs 1 to {limit} characters.", limit=PROMPT_MAX)
        try:
            kind = ChallengeKind(kind)
        except ValueError:
            raise errors.InvalidChallenge("The kind is either music or text.") from None
        genre = (genre or "").strip() or None
        if genre is not None and len(genre) > GENRE_MAX:
            raise errors.InvalidChallenge("The genre needs at most {limit} characters.", limit=GENRE_MAX)
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
            locale=locale if locale and len(locale) <= LOCALE_MAX else None,
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
                raise errors.ChallengeNotFound("There is no challenge #{id} here.", id=challenge_id)
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

    # -- results ----------------------------------------------------------

    def results(self, challenge_id: int) -> list[ResultRecord]:
        query = select(Result).where(Result.challenge_id == challenge_id).order_by(Result.place)
        with self._sessions() as session:
            return [ResultRecord.of(r) for r in session.scalars(query)]

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
            raise errors.InvalidSubmission("The code link needs at most {limit} characters.", limit=URL_MAX)
        fields = {
            "job_id": job_id,
            "content": content,
            "filename": filename,
            "content_type": content_type,
            "code_url": code_url,
            "summary": clip(summary, SUMMARY_MAX) or "",
            "jump_url": jump_url if jump_url is None or len(jump_url) <= URL_MAX else None,
            "updated_at": now,
        }

        def attempt() -> SubmitOutcome:
            with self._sessions.begin() as session:
                challenge = _locked(session, challenge_id)
                if challenge.state != ChallengeState.OPEN.value:
                    raise errors.WrongState("Challenge #{id} is {state}; submissions are closed.",
                                            id=challenge_id, state=challenge.state)
                if challenge.submission_deadline <= now:
                    raise errors.DeadlinePassed("The submission deadline of challenge #{id} has passed.",
                                                id=challenge_id)
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

    def set_vote_message(self, submission_id: int, message_id: int) -> None:
        self._set(Submission, submission_id, vote_message_id=message_id)

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
                challenge = _locked(session, challenge_id)
                if challenge.state != ChallengeState.VOTING.value:
                    raise errors.WrongState("Voting for challenge #{id} is not open.", id=challenge_id)
                if challenge.voting_deadline <= now:
                    raise errors.DeadlinePassed("Voting for challenge #{id} has ended.", id=challenge_id)
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
