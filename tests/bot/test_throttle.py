"""Progress edits are throttled: at most one per interval, repeats skipped."""

from __future__ import annotations

import time

import pytest

from bot.jobs import ThrottledEditor


async def test_edits_at_most_once_per_interval_and_skips_repeats():
    sent: list[tuple[float, str]] = []

    async def edit(text: str) -> None:
        sent.append((time.monotonic(), text))

    editor = ThrottledEditor(edit, interval=0.3)
    await editor.show("a")
    await editor.show("b")  # too soon: dropped
    await editor.wait_turn()
    await editor.show("b")
    await editor.show("b")
    await editor.wait_turn()
    await editor.show("b")  # same text: skipped
    assert [t for _, t in sent] == ["a", "b"]
    assert sent[1][0] - sent[0][0] >= 0.29


async def test_quiet_start_holds_progress_and_the_final_edit_waits_only_the_final_gap(monkeypatch):
    import bot.jobs

    clock = {"now": 100.0}
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(bot.jobs.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(bot.jobs.asyncio, "sleep", fake_sleep)
    sent: list[tuple[float, str]] = []

    async def edit(text: str) -> None:
        sent.append((clock["now"], text))

    editor = ThrottledEditor(edit, interval=2.0, quiet_start=2.0, final_gap=0.5)
    clock["now"] += 1.9
    await editor.show("Queued")  # within the quiet start: not shown
    await editor.wait_final()  # nothing was edited: no wait at all
    assert sent == [] and slept == []
    clock["now"] += 0.1
    await editor.show("Queued")
    assert sent == [(102.0, "Queued")]
    clock["now"] += 0.1
    await editor.wait_final()  # the final gap after the last edit, not the progress interval
    assert slept == [pytest.approx(0.4)]
