"""The challenge and history repositories against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.db import Database, Scoring
from bot.db import errors as db_errors
from bot.db.challenges import ChallengeRepository
from bot.db.engine import make_session_factory
from bot.db.history import history_kind
from bot.db.migrate import upgrade
from bot.db.models import ChallengeKind, ChallengeState, Submission, Vote
from bot.db.records import ChallengeRecord
from workers import contracts

GUILD, OTHER_GUILD, CHANNEL, ADMIN = 1000, 2000, 3000, 1
ALICE, BOB, CAROL, DAVE = 11, 12, 13, 14
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
MIDI = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk\x00\x00\x00\x04\x00\xff\x2f\x00"


@pytest.fixture
def database(engine: sa.Engine) -> Database:
    """A migrated database on each backend (``engine`` is in ``conftest.py``)."""
    upgrade(engine)
    return Database(engine)


def make_challenge(
    repo: ChallengeRepository, guild: int = GUILD, kind: str = "music", **kwargs: object
) -> ChallengeRecord:
    fields: dict[str, object] = {
        "guild_id": guild,
        "channel_id": CHANNEL,
        "created_by": ADMIN,
        "title": "Lo-fi in 30 seconds",
        "prompt": "Generate a music clip for a genre that you choose.",
        "kind": kind,
        "genre": "jazz",
        "submission_deadline": T0 + timedelta(days=1),
        "voting_deadline": T0 + timedelta(days=2),
        "now": T0,
    }
    fields.update(kwargs)
    return repo.create(**fields)  # type: ignore[arg-type]


def run_to_voting(
    repo: ChallengeRepository, authors: tuple[int, ...]
) -> tuple[ChallengeRecord, dict[int, int]]:
    """A challenge with one submission per author (in order), now in voting."""
    challenge = make_challenge(repo)
    submissions = {}
    for minute, author in enumerate(authors):
        outcome = repo.submit(
            challenge.id,
            author,
            content=MIDI,
            filename=f"{author}.mid",
            now=T0 + timedelta(minutes=minute),
        )
        submissions[author] = outcome.submission.id
    assert repo.open_voting(challenge.id, now=challenge.submission_deadline)
    return challenge, submissions


VOTING = T0 + timedelta(days=1, hours=1)
AFTER = T0 + timedelta(days=2)


def test_create_validates_and_round_trips_aware_utc_datetimes(database: Database) -> None:
    repo = database.challenges
    challenge = make_challenge(repo, title="  Title  ", genre="  ")
    assert challenge.title == "Title" and challenge.genre is None
    assert challenge.state is ChallengeState.OPEN and challenge.kind is ChallengeKind.MUSIC
    stored = repo.get(challenge.id)
    assert stored.submission_deadline == T0 + timedelta(days=1)
    assert stored.submission_deadline.tzinfo is not None
    with pytest.raises(db_errors.InvalidChallenge, match="future"):
        make_challenge(repo, submission_deadline=T0 - timedelta(seconds=1))
    with pytest.raises(db_errors.InvalidChallenge, match="after"):
        make_challenge(repo, voting_deadline=T0 + timedelta(days=1))
    with pytest.raises(db_errors.InvalidChallenge, match="music or text"):
        make_challenge(repo, kind="video")
    with pytest.raises(db_errors.InvalidChallenge, match="title"):
        make_challenge(repo, title="x" * 101)
    with pytest.raises(db_errors.ChallengeNotFound):
        repo.get(challenge.id, guild_id=OTHER_GUILD)


def test_resubmission_replaces_until_the_deadline(database: Database) -> None:
    repo = database.challenges
    challenge = make_challenge(repo)
    first = repo.submit(challenge.id, ALICE, job_id="job-1", summary="jazz, lstm", now=T0)
    assert not first.replaced
    second = repo.submit(
        challenge.id,
        ALICE,
        content=MIDI,
        filename="mine.mid",
        code_url="https://x.org/a",
        now=T0 + timedelta(hours=1),
    )
    assert second.replaced and second.submission.id == first.submission.id
    [only] = repo.submissions(challenge.id)
    assert (only.job_id, only.content, only.filename, only.code_url) == (
        None,
        MIDI,
        "mine.mid",
        "https://x.org/a",
    )
    assert only.created_at == T0 and only.updated_at == T0 + timedelta(hours=1)
    with pytest.raises(db_errors.DeadlinePassed):
        repo.submit(challenge.id, BOB, job_id="job-2", now=challenge.submission_deadline)
    with pytest.raises(db_errors.InvalidSubmission):
        repo.submit(challenge.id, BOB, now=T0)
    with pytest.raises(db_errors.ChallengeNotFound):
        repo.submit(challenge.id + 99, BOB, job_id="job-2", now=T0)


def test_the_schema_refuses_an_empty_or_duplicate_submission(database: Database) -> None:
    challenge = make_challenge(database.challenges)
    sessions = make_session_factory(database.engine)
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(Submission(challenge_id=challenge.id, user_id=ALICE, summary=""))
    database.challenges.submit(challenge.id, ALICE, job_id="j", now=T0)
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(Submission(challenge_id=challenge.id, user_id=ALICE, job_id="k", summary=""))


def test_voting_opens_once_and_early_opening_closes_submissions(database: Database) -> None:
    repo = database.challenges
    challenge = make_challenge(repo)
    assert repo.due_for_voting(T0) == []
    assert not repo.open_voting(challenge.id, now=T0)  # not due yet
    assert repo.due_for_voting(challenge.submission_deadline) == [challenge.id]
    early = T0 + timedelta(hours=3)
    assert repo.open_voting(challenge.id, now=early, early=True)
    assert not repo.open_voting(challenge.id, now=early, early=True)
    opened = repo.get(challenge.id)
    assert opened.state is ChallengeState.VOTING
    assert opened.submission_deadline == early and opened.voting_opened_at == early
    assert opened.voting_deadline == challenge.voting_deadline
    with pytest.raises(db_errors.WrongState):
        repo.submit(challenge.id, ALICE, job_id="late", now=early)


def vote_of(database: Database, challenge_id: int, voter_id: int) -> int | None:
    """The submission a member's stored vote points at (None: no vote)."""
    with make_session_factory(database.engine)() as session:
        vote = session.get(Vote, (challenge_id, voter_id))
        return None if vote is None else vote.submission_id


def test_one_changeable_vote_per_member_and_no_self_votes(database: Database) -> None:
    repo = database.challenges
    challenge, subs = run_to_voting(repo, (ALICE, BOB, CAROL))
    first = repo.vote(challenge.id, subs[BOB], ALICE, now=VOTING)
    assert first.previous_submission_id is None and not first.changed
    changed = repo.vote(challenge.id, subs[CAROL], ALICE, now=VOTING)
    assert changed.changed and changed.previous_submission_id == subs[BOB]
    assert vote_of(database, challenge.id, ALICE) == subs[CAROL]
    with pytest.raises(db_errors.SelfVote):
        repo.vote(challenge.id, subs[ALICE], ALICE, now=VOTING)
    assert vote_of(database, challenge.id, ALICE) == subs[CAROL]  # the refused vote changed nothing
    other, other_subs = run_to_voting(repo, (DAVE,))
    with pytest.raises(db_errors.SubmissionNotFound):
        repo.vote(challenge.id, other_subs[DAVE], ALICE, now=VOTING)
    with pytest.raises(db_errors.DeadlinePassed):
        repo.vote(challenge.id, subs[BOB], DAVE, now=AFTER)
    pending = make_challenge(repo)
    with pytest.raises(db_errors.WrongState):
        repo.vote(pending.id, subs[BOB], DAVE, now=T0)


def test_the_schema_refuses_self_votes_and_forged_authors(database: Database) -> None:
    repo = database.challenges
    challenge, subs = run_to_voting(repo, (ALICE, BOB))
    sessions = make_session_factory(database.engine)
    base = {"challenge_id": challenge.id, "created_at": VOTING, "updated_at": VOTING}
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(Vote(voter_id=ALICE, submission_id=subs[ALICE], author_id=ALICE, **base))
    # Claiming Bob wrote Alice's entry, to slip past the CHECK, breaks the composite key.
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(Vote(voter_id=ALICE, submission_id=subs[ALICE], author_id=BOB, **base))
    with sessions.begin() as session:
        session.add(Vote(voter_id=ALICE, submission_id=subs[BOB], author_id=BOB, **base))


def test_close_ranks_by_votes_then_earliest_submission_and_happens_once(database: Database) -> None:
    repo = database.challenges
    challenge, subs = run_to_voting(repo, (ALICE, BOB, CAROL))
    # Bob 2 votes; Alice and Carol 1 each: Alice submitted first, so she is runner-up.
    repo.vote(challenge.id, subs[BOB], ALICE, now=VOTING)
    repo.vote(challenge.id, subs[BOB], CAROL, now=VOTING)
    repo.vote(challenge.id, subs[ALICE], BOB, now=VOTING)
    repo.vote(challenge.id, subs[CAROL], DAVE, now=VOTING)
    assert repo.close(challenge.id, Scoring(), now=VOTING) is None  # not due
    assert repo.due_for_closing(AFTER) == [challenge.id]
    outcome = repo.close(challenge.id, Scoring(win=5, runner_up=2), now=AFTER)
    assert outcome is not None
    assert [(r.place, r.user_id, r.votes, r.points) for r in outcome.results] == [
        (1, BOB, 2, 5),
        (2, ALICE, 1, 2),
    ]
    assert (outcome.submissions, outcome.voters) == (3, 4)
    assert outcome.challenge.state is ChallengeState.CLOSED and outcome.challenge.closed_at == AFTER
    assert repo.close(challenge.id, Scoring(), now=AFTER) is None
    assert repo.results(challenge.id) == list(outcome.results)
    assert repo.due_for_closing(AFTER) == []


def test_concurrent_closers_produce_exactly_one_outcome(database: Database) -> None:
    repo = database.challenges
    challenge, subs = run_to_voting(repo, (ALICE, BOB))
    repo.vote(challenge.id, subs[ALICE], BOB, now=VOTING)
    outcomes: list[object] = []
    barrier = threading.Barrier(6)

    def closer() -> None:
        barrier.wait()
        outcomes.append(repo.close(challenge.id, Scoring(), now=AFTER))

    threads = [threading.Thread(target=closer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 6
    assert sum(o is not None for o in outcomes) == 1
    assert [(r.place, r.user_id) for r in repo.results(challenge.id)] == [(1, ALICE)]


def test_no_votes_means_no_placings(database: Database) -> None:
    repo = database.challenges
    challenge, _ = run_to_voting(repo, (ALICE, BOB))
    outcome = repo.close(challenge.id, Scoring(), now=AFTER)
    assert outcome is not None and outcome.results == () and outcome.voters == 0


def test_leaderboard_sums_points_per_guild(database: Database) -> None:
    repo = database.challenges
    for winner, runner_up in ((BOB, ALICE), (ALICE, CAROL), (BOB, CAROL)):
        challenge, subs = run_to_voting(repo, (ALICE, BOB, CAROL))
        voters = [v for v in (ALICE, BOB, CAROL, DAVE) if v != winner]
        repo.vote(challenge.id, subs[winner], voters[0], now=VOTING)
        repo.vote(challenge.id, subs[winner], voters[1], now=VOTING)
        repo.vote(challenge.id, subs[runner_up], voters[2], now=VOTING)
        assert repo.close(challenge.id, Scoring(), now=AFTER) is not None
    elsewhere, elsewhere_subs = run_to_voting(repo, (DAVE, ALICE))
    repo.cancel(elsewhere.id, guild_id=GUILD, now=VOTING)
    rows = repo.leaderboard(GUILD)
    assert [(r.user_id, r.points, r.wins, r.runner_ups) for r in rows] == [
        (BOB, 6, 2, 0),
        (ALICE, 4, 1, 1),
        (CAROL, 2, 0, 2),
    ]
    assert repo.leaderboard(OTHER_GUILD) == []
    assert len(repo.leaderboard(GUILD, limit=2)) == 2


def test_cancel_only_active_challenges_of_the_guild(database: Database) -> None:
    repo = database.challenges
    challenge = make_challenge(repo)
    with pytest.raises(db_errors.ChallengeNotFound):
        repo.cancel(challenge.id, guild_id=OTHER_GUILD)
    cancelled = repo.cancel(challenge.id, guild_id=GUILD, now=T0)
    assert cancelled.state is ChallengeState.CANCELLED
    with pytest.raises(db_errors.WrongState, match="cancelled"):
        repo.cancel(challenge.id, guild_id=GUILD)
    assert repo.in_guild(GUILD, states=[ChallengeState.OPEN]) == []
    assert [c.id for c in repo.in_guild(GUILD)] == [challenge.id]


def test_lease_and_unpublished_work(database: Database) -> None:
    repo = database.challenges
    challenge, subs = run_to_voting(repo, (ALICE, BOB))
    assert repo.unpublished() == [challenge.id]
    assert repo.claim_lease(challenge.id, 60, now=VOTING)
    assert not repo.claim_lease(challenge.id, 60, now=VOTING + timedelta(seconds=59))
    assert repo.claim_lease(challenge.id, 60, now=VOTING + timedelta(seconds=61))
    repo.release_lease(challenge.id)
    assert repo.claim_lease(challenge.id, 60, now=VOTING)
    for submission_id in subs.values():
        repo.set_vote_message(submission_id, 555 + submission_id)
    assert repo.unpublished() == []
    repo.vote(challenge.id, subs[ALICE], BOB, now=VOTING)
    repo.close(challenge.id, Scoring(), now=AFTER)
    assert repo.unpublished() == [challenge.id]
    repo.set_results_message(challenge.id, 999)
    assert repo.unpublished() == []
    assert repo.get(challenge.id).results_message_id == 999


def test_history_is_idempotent_filtered_and_newest_first(database: Database) -> None:
    history = database.history
    for i in range(12):
        history.record(
            job_id=f"job{i:02d}",
            user_id=ALICE,
            guild_id=GUILD,
            channel_id=CHANNEL,
            kind="music" if i % 2 else "text",
            summary=f"clip {i} 100%_done",
            created_at=T0 + timedelta(minutes=i),
        )
    history.record(job_id="bob", user_id=BOB, kind="music", summary="bob's")
    again = history.record(
        job_id="job03",
        user_id=ALICE,
        guild_id=GUILD,
        channel_id=CHANNEL,
        kind="music",
        summary="clip 3 100%_done",
        jump_url="https://discord.com/channels/1/2/3",
    )
    assert again.created_at == T0 + timedelta(minutes=3)  # a repost keeps the original time
    recent = history.recent(ALICE)
    assert [r.job_id for r in recent] == [f"job{i:02d}" for i in range(11, 1, -1)]
    assert [r.job_id for r in history.recent(ALICE, kind="music", limit=3)] == [
        "job11",
        "job09",
        "job07",
    ]
    assert [r.job_id for r in history.recent(ALICE, search="CLIP 3")] == ["job03"]
    assert history.recent(ALICE, search="100%_d", limit=50).__len__() == 12
    assert history.recent(ALICE, search="100%x") == []  # % is matched literally
    assert history.get("job03").jump_url == "https://discord.com/channels/1/2/3"  # type: ignore[union-attr]
    assert history.recent(ALICE, guild_id=OTHER_GUILD) == []


async def test_database_run_awaits_a_repository_call_off_the_loop(database: Database) -> None:
    challenge = await database.run(make_challenge, database.challenges)
    fetched = await database.run(database.challenges.get, challenge.id, guild_id=GUILD)
    assert fetched == challenge


def test_history_kind_follows_the_task() -> None:
    assert history_kind(contracts.TASK_WIKI) is ChallengeKind.TEXT
    assert history_kind(contracts.TASK_COMPOSE) is ChallengeKind.MUSIC
    assert history_kind(contracts.TASK_CONTINUE) is ChallengeKind.MUSIC
