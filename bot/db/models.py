"""SQLAlchemy 2 models for challenges, submissions, votes, results and generation history.

Every timestamp is stored in UTC. :class:`UTCDateTime` returns timezone-aware
values on every backend (SQLite keeps no offset, PostgreSQL uses ``timestamptz``),
so comparisons with ``datetime.now(UTC)`` never mix naive and aware values.

Integrity lives in the schema as far as SQL allows, not only in the repository:
one submission per member per challenge, one vote per member per challenge,
a vote must point at a submission *of the same challenge*, and nobody votes for
themselves (the vote carries the submission's author through a composite
foreign key, so the ``CHECK`` cannot be fooled by a wrong author id).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names, so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TITLE_MAX = 100
PROMPT_MAX = 1500
GENRE_MAX = 64
SUMMARY_MAX = 200
FILENAME_MAX = 128
URL_MAX = 300
JOB_ID_MAX = 64
LOCALE_MAX = 16  # a Discord locale code: "de", "es-ES", "es-419"


class ChallengeKind(enum.StrEnum):
    MUSIC = "music"
    TEXT = "text"


class ChallengeState(enum.StrEnum):
    """Life cycle: open (submissions) -> voting -> closed; open|voting -> cancelled."""

    OPEN = "open"
    VOTING = "voting"
    CLOSED = "closed"
    CANCELLED = "cancelled"


def _in(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        value = value.astimezone(UTC)
        # SQLite stores text without an offset: keep one canonical, comparable form.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Challenge(Base):
    __tablename__ = "challenges"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(ChallengeKind)})", name="kind"),
        CheckConstraint(f"state IN ({_in(ChallengeState)})", name="state"),
        CheckConstraint("voting_deadline > submission_deadline", name="deadline_order"),
        Index("ix_challenges_state_voting_deadline", "state", "voting_deadline"),
        Index("ix_challenges_guild_id_created_at", "guild_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    prompt: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8))
    genre: Mapped[str | None] = mapped_column(String(GENRE_MAX))
    submission_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    voting_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default=ChallengeState.OPEN.value)
    announcement_message_id: Mapped[int | None] = mapped_column(BigInteger)
    results_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # A short lease so that only one bot instance posts the voting messages or the
    # results of a challenge at a time (see ChallengeRepository.claim_lease).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voting_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language of its public messages (announcement, ballots, results): the guild's
    # locale when it was created; None (English) for challenges from before.
    locale: Mapped[str | None] = mapped_column(String(LOCALE_MAX))


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("challenge_id", "user_id", name="uq_submissions_member"),
        # Target of the votes' composite foreign key (id alone is already unique).
        UniqueConstraint("id", "challenge_id", "user_id", name="uq_submissions_identity"),
        CheckConstraint("job_id IS NOT NULL OR content IS NOT NULL", name="has_entry"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger)
    job_id: Mapped[str | None] = mapped_column(String(JOB_ID_MAX))  # a wikimuse result
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # MIDI/OGG/text bytes
    filename: Mapped[str | None] = mapped_column(String(FILENAME_MAX))
    content_type: Mapped[str | None] = mapped_column(String(64))
    code_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    jump_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    vote_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Vote(Base):
    __tablename__ = "votes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["submission_id", "challenge_id", "author_id"],
            ["submissions.id", "submissions.challenge_id", "submissions.user_id"],
            name="fk_votes_submission_identity",
            ondelete="CASCADE",
        ),
        CheckConstraint("voter_id <> author_id", name="no_self_vote"),
        Index("ix_votes_submission_id", "submission_id"),
    )

    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True
    )
    voter_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    submission_id: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Result(Base):
    """A placing in a closed challenge: place 1 is the winner, place 2 the runner-up."""

    __tablename__ = "results"
    __table_args__ = (
        CheckConstraint("place IN (1, 2)", name="place"),
        CheckConstraint("points >= 0", name="points"),
        UniqueConstraint("challenge_id", "user_id", name="uq_results_member"),
        Index("ix_results_user_id", "user_id"),
    )

    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True
    )
    place: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    votes: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)


class GenerationHistory(Base):
    """One finished wikimuse generation, for /history and /challenge submit."""

    __tablename__ = "generation_history"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(ChallengeKind)})", name="kind"),
        Index("ix_generation_history_user_id_created_at", "user_id", "created_at"),
    )

    job_id: Mapped[str] = mapped_column(String(JOB_ID_MAX), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))  # music | text
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX))
    jump_url: Mapped[str | None] = mapped_column(String(URL_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
