"""A challenge's language: the locale of its announcement, ballots and results.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: challenges from before keep NULL, and their messages stay English.
    op.add_column("challenges", sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35 and later): a batch copy of the table would drop it,
    # and with it, through ON DELETE CASCADE, every submission, vote and result.
    op.drop_column("challenges", "locale")
