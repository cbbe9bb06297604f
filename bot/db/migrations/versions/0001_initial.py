"""Challenges, submissions, votes, results and the generation history.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 09:13:03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# bot.db.models.UTCDateTime stores this type; migrations never import the models,
# so that later model changes cannot rewrite history.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "challenges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("genre", sa.String(length=64), nullable=True),
        sa.Column("submission_deadline", UTC_DATETIME, nullable=False),
        sa.Column("voting_deadline", UTC_DATETIME, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("announcement_message_id", sa.BigInteger(), nullable=True),
        sa.Column("results_message_id", sa.BigInteger(), nullable=True),
        sa.Column("lease_until", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("voting_opened_at", UTC_DATETIME, nullable=True),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint("kind IN ('music', 'text')", name=op.f("ck_challenges_kind")),
        sa.CheckConstraint(
            "state IN ('open', 'voting', 'closed', 'cancelled')", name=op.f("ck_challenges_state")
        ),
        sa.CheckConstraint(
            "voting_deadline > submission_deadline", name=op.f("ck_challenges_deadline_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenges")),
    )
    op.create_index("ix_challenges_guild_id_created_at", "challenges", ["guild_id", "created_at"])
    op.create_index(
        "ix_challenges_state_voting_deadline", "challenges", ["state", "voting_deadline"]
    )

    op.create_table(
        "generation_history",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("jump_url", sa.String(length=300), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("kind IN ('music', 'text')", name=op.f("ck_generation_history_kind")),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_generation_history")),
    )
    op.create_index(
        "ix_generation_history_user_id_created_at",
        "generation_history",
        ["user_id", "created_at"],
    )

    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("filename", sa.String(length=128), nullable=True),
        sa.Column("content_type", sa.String(length=64), nullable=True),
        sa.Column("code_url", sa.String(length=300), nullable=True),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("jump_url", sa.String(length=300), nullable=True),
        sa.Column("vote_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "job_id IS NOT NULL OR content IS NOT NULL", name=op.f("ck_submissions_has_entry")
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_submissions_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("challenge_id", "user_id", name="uq_submissions_member"),
        sa.UniqueConstraint("id", "challenge_id", "user_id", name="uq_submissions_identity"),
    )
    op.create_index(op.f("ix_submissions_challenge_id"), "submissions", ["challenge_id"])

    op.create_table(
        "results",
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.CheckConstraint("place IN (1, 2)", name=op.f("ck_results_place")),
        sa.CheckConstraint("points >= 0", name=op.f("ck_results_points")),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_results_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_results_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("challenge_id", "place", name=op.f("pk_results")),
        sa.UniqueConstraint("challenge_id", "user_id", name="uq_results_member"),
    )
    op.create_index("ix_results_user_id", "results", ["user_id"])

    op.create_table(
        "votes",
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.BigInteger(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("voter_id <> author_id", name=op.f("ck_votes_no_self_vote")),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_votes_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        # The author travels with the vote so that the CHECK above can refuse self-votes;
        # this key makes sure the author (and the challenge) are the submission's own.
        sa.ForeignKeyConstraint(
            ["submission_id", "challenge_id", "author_id"],
            ["submissions.id", "submissions.challenge_id", "submissions.user_id"],
            name="fk_votes_submission_identity",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("challenge_id", "voter_id", name=op.f("pk_votes")),
    )
    op.create_index("ix_votes_submission_id", "votes", ["submission_id"])


def downgrade() -> None:
    op.drop_table("votes")
    op.drop_table("results")
    op.drop_table("submissions")
    op.drop_table("generation_history")
    op.drop_table("challenges")
