"""A challenge's life: open -> voting -> closed (or cancelled), and the posting lease.

Each transition that must happen once is a single conditional ``UPDATE``; the caller
that sees ``rowcount == 1`` owns it. Two bot instances, or a bot restarted mid-way,
cannot both own a transition. Posting to Discord happens under a short lease
(:meth:`ChallengeLifecycle.claim_lease`), so only one process posts a challenge's
ballots or results at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.db import errors
from bot.db.base import Repository
from bot.db.models import Challenge, ChallengeState, Result, Submission, Vote, utcnow
from bot.db.records import ChallengeRecord, CloseOutcome, ResultRecord, Scoring

ACTIVE_STATES = (ChallengeState.OPEN.value, ChallengeState.VOTING.value)


def tally_query(challenge_id: int) -> Select[tuple[int, int, int]]:
    """(submission id, author id, votes) of a challenge, best first: most votes, then the
    earlier submission (resubmissions keep their original time)."""
    votes = func.count(Vote.voter_id)
    return (
        select(Submission.id, Submission.user_id, votes)
        .outerjoin(Vote, Vote.submission_id == Submission.id)
        .where(Submission.challenge_id == challenge_id)
        .group_by(Submission.id, Submission.user_id, Submission.created_at)
        .order_by(votes.desc(), Submission.created_at, Submission.id)
    )


def _transition(session: Session, conditions: list[Any], **values: Any) -> bool:
    """Set ``values`` on the challenge that meets ``conditions``: True when this call
    changed it (and so owns the transition), False when it no longer qualified."""
    return session.execute(update(Challenge).where(*conditions).values(**values)).rowcount == 1


def _outcome(
    session: Session, challenge: Challenge, results: Iterable[Result], *, submissions: int
) -> CloseOutcome:
    voters = session.scalar(
        select(func.count()).select_from(Vote).where(Vote.challenge_id == challenge.id)
    )
    return CloseOutcome(
        challenge=ChallengeRecord.of(challenge),
        results=tuple(ResultRecord.of(r) for r in results),
        submissions=submissions,
        voters=int(voters or 0),
    )


class ChallengeLifecycle(Repository):
    """State transitions, the deadlines that trigger them, and the posting lease."""

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
            cancelled = _transition(
                session,
                [
                    Challenge.id == challenge_id,
                    Challenge.guild_id == guild_id,
                    Challenge.state.in_(ACTIVE_STATES),
                ],
                state=ChallengeState.CANCELLED.value,
                closed_at=now,
            )
            row = session.get(Challenge, challenge_id)
            if row is None or row.guild_id != guild_id:
                raise errors.ChallengeNotFound("There is no challenge #{id} here.", id=challenge_id)
            if not cancelled:
                raise errors.WrongState("Challenge #{id} is already {state}.", id=challenge_id, state=row.state)
            return ChallengeRecord.of(row)

    # -- scheduling ---------------------------------------------------------

    def due_for_voting(self, now: datetime | None = None) -> list[int]:
        """Open challenges whose submission deadline has passed."""
        return self._due(ChallengeState.OPEN, Challenge.submission_deadline, now)

    def due_for_closing(self, now: datetime | None = None) -> list[int]:
        """Voting challenges whose voting deadline has passed."""
        return self._due(ChallengeState.VOTING, Challenge.voting_deadline, now)

    def _due(
        self,
        state: ChallengeState,
        deadline: InstrumentedAttribute[datetime],
        now: datetime | None,
    ) -> list[int]:
        query = select(Challenge.id).where(
            Challenge.state == state.value, deadline <= (now or utcnow())
        )
        return self._challenge_ids(query)

    def _challenge_ids(self, query: Select[tuple[int]]) -> list[int]:
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
        return self._challenge_ids(query)

    def claim_lease(self, challenge_id: int, seconds: float, now: datetime | None = None) -> bool:
        """Atomically take a short lease on posting for a challenge.

        Returns:
            True when this caller holds the lease until ``now + seconds``; False when
            another caller holds an unexpired one.
        """
        now = now or utcnow()
        free = or_(Challenge.lease_until.is_(None), Challenge.lease_until <= now)
        with self._sessions.begin() as session:
            return _transition(
                session,
                [Challenge.id == challenge_id, free],
                lease_until=now + timedelta(seconds=seconds),
            )

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
            return _transition(session, conditions, **values)

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
            if not _transition(
                session, conditions, state=ChallengeState.CLOSED.value, closed_at=now
            ):
                return None
            tallies = session.execute(tally_query(challenge_id)).all()
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
            challenge = session.get(Challenge, challenge_id)
            assert challenge is not None
            return _outcome(session, challenge, results, submissions=len(tallies))

    def outcome(self, challenge_id: int) -> CloseOutcome:
        """The stored outcome of a closed challenge (for announcing it after a restart)."""
        with self._sessions() as session:
            challenge = session.get(Challenge, challenge_id)
            if challenge is None:
                raise errors.ChallengeNotFound("There is no challenge #{id}.", id=challenge_id)
            if challenge.state != ChallengeState.CLOSED.value:
                raise errors.WrongState("Challenge #{id} is {state}.", id=challenge_id, state=challenge.state)
            results = session.scalars(
                select(Result).where(Result.challenge_id == challenge_id).order_by(Result.place)
            )
            submissions = session.scalar(
                select(func.count())
                .select_from(Submission)
                .where(Submission.challenge_id == challenge_id)
            )
            return _outcome(session, challenge, results, submissions=int(submissions or 0))

    def tallies(self, challenge_id: int) -> list[tuple[int, int, int]]:
        """(submission id, author id, votes), best first. Show only after closing."""
        with self._sessions() as session:
            return [tuple(r) for r in session.execute(tally_query(challenge_id))]  # type: ignore[misc]

    def set_results_message(self, challenge_id: int, message_id: int) -> None:
        self._set(Challenge, challenge_id, results_message_id=message_id, lease_until=None)
