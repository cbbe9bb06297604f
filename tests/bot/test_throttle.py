"""Progress edits are throttled: at most one per interval, repeats skipped."""

from __future__ import annotations

import time

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
