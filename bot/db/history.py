"""The generation history: each finished /wiki or music result, per member.

It backs /history and the autocomplete of /challenge submit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from bot.db.base import Repository, clip
from bot.db.models import JOB_ID_MAX, SUMMARY_MAX, URL_MAX, ChallengeKind, GenerationHistory, utcnow
from bot.db.records import HistoryRecord
from workers import contracts


def history_kind(task_name: str) -> ChallengeKind:
    """The history kind of a wikimuse task (its :class:`~workers.contracts.TaskSpec`)."""
    return ChallengeKind(contracts.task_spec(task_name).history_kind)


class HistoryRepository(Repository):
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
                row.summary = clip(summary, SUMMARY_MAX) or ""
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
