"""A full community challenge through the Discord emulator, with restarts in between.

The real bot (:class:`bot.client.WikimuseBot` with the challenges cog) talks to the
emulator over HTTP and the gateway; the database is a real SQLite file that outlives
each bot instance. Asserts are on what the emulator received.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bot.client import WikimuseBot
from bot.db import Database, default_sqlite_url
from bot.db.models import Challenge, ChallengeState, utcnow
from bot.jobs import JobBackend
from bot.presenters import result_reply
from bot.settings import BotSettings
from tests.emulator.server import DiscordEmulator, InteractionRecord, Upload
from workers.contracts import Attachment, MusicResult

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

EPHEMERAL, LOADING = 64, 128
TIMESTAMPS = re.compile(r"<t:(\d+):F> \(<t:\1:R>\)")
VOTE_ID = re.compile(r"^wikimuse:challenge:vote:(\d+):(\d+)$")


def midi(note: int) -> bytes:
    """A tiny Standard MIDI File with one note (distinct bytes per entry)."""
    track = bytes([0x00, 0x90, note, 0x60, 0x60, 0x80, note, 0x40, 0x00, 0xFF, 0x2F, 0x00])
    return (
        b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk" + len(track).to_bytes(4, "big") + track
    )


@dataclass(frozen=True)
class ChallengeBotSettings(BotSettings):
    """BotSettings plus the challenge options the cog reads (a fast scheduler for tests)."""

    challenge_poll_seconds: float = 0.2


class Harness:
    """Starts and stops bot instances against one emulator, one Redis and one database."""

    def __init__(self, emulator: DiscordEmulator, redis_url: str, database_url: str) -> None:
        self.emulator = emulator
        self.settings = ChallengeBotSettings(
            token=emulator.token, redis_url=redis_url, database_url=database_url, log_json=False
        )

    @contextlib.asynccontextmanager
    async def running(self, *, sync: bool = False) -> AsyncIterator[WikimuseBot]:
        backend = JobBackend(self.settings.redis_url or "", poll_interval=0.1)
        bot = WikimuseBot(
            self.settings, backend, sync_commands=sync, extensions=("bot.cogs.challenges",)
        )
        task = asyncio.create_task(bot.start(self.settings.token))
        try:
            await self.emulator.wait_for(
                lambda: bot.is_ready() or task.done(), 20, "the bot to be ready"
            )
            if task.done():
                task.result()
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
            await backend.close()

    # -- driving /challenge subcommands ("challenge <sub>" in the emulator's drivers)

    async def invoke(self, sub: str, options: dict[str, Any], *, user: int) -> InteractionRecord:
        return await self.emulator.invoke(f"challenge {sub}", options, user=user)

    async def autocomplete(
        self, sub: str, options: dict[str, Any], focused: str, *, user: int
    ) -> list[dict[str, Any]]:
        return await self.emulator.autocomplete(f"challenge {sub}", options, focused, user=user)

    async def ask(self, sub: str, options: dict[str, Any], *, user: int) -> dict[str, Any]:
        """Invoke ``/challenge sub`` and wait for its answer (see :meth:`answer`)."""
        return await self.answer(await self.invoke(sub, options, user=user))

    async def answer(self, record: InteractionRecord) -> dict[str, Any]:
        """The message that answered an interaction: the reply, the deferred reply once
        filled in, or the first followup."""
        emulator = self.emulator

        def find() -> dict[str, Any] | None:
            if record.callback_type == 4:
                return {**record.callback_json["data"], "_ephemeral": record.ephemeral}
            original = emulator.original_message(record)
            if record.callback_type == 5 and original and not int(original["flags"]) & LOADING:
                return {**original, "_ephemeral": bool(int(original["flags"]) & EPHEMERAL)}
            if record.followup_ids:
                message = emulator.messages[record.followup_ids[0]]
                return {**message, "_ephemeral": bool(int(message["flags"]) & EPHEMERAL)}
            return None

        return await emulator.wait_for(find, 15, f"an answer to interaction {record.id}")

    def posts(self, channel_id: int, after: int = 0) -> list[Any]:
        """Bot messages posted with the bot token (not interaction webhooks) to a channel."""
        return [
            r
            for r in self.emulator.requests[after:]
            if r.method == "POST"
            and r.path == f"/channels/{channel_id}/messages"
            and r.status == 200
        ]


async def wait_until(emulator: DiscordEmulator, predicate: Callable[[], Any], what: str) -> Any:
    return await emulator.wait_for(predicate, 20, what)


def set_deadlines(database: Database, challenge_id: int, **deadlines: datetime) -> None:
    """Move a challenge's deadlines in the database, as if time had passed."""
    with database.engine.begin() as connection:
        connection.execute(
            update(Challenge).where(Challenge.id == challenge_id).values(**deadlines)
        )


def assert_no_mentions(payload: dict[str, Any]) -> None:
    assert payload.get("allowed_mentions") == {"parse": []}, payload.get("allowed_mentions")


async def test_a_challenge_from_announcement_to_leaderboard_across_restarts(
    discord_emulator: DiscordEmulator,
    redis_url: str,
    tmp_path: Path,
) -> None:
    emulator = discord_emulator
    database_url = default_sqlite_url(tmp_path)
    harness = Harness(emulator, redis_url, database_url)
    admin = emulator.owner_id
    alice, bob, carol, dave = (emulator.add_user(n) for n in ("alice", "bob", "carol", "dave"))
    channel = emulator.default_channel_id

    async with harness.running(sync=True) as bot:
        # -- create: members without Manage Server are refused -------------------------
        refused = await harness.ask(
            "create",
            {"title": "x", "prompt": "y", "kind": "music", "deadline": "1h"},
            user=alice,
        )
        assert refused["_ephemeral"] and "Manage Server" in refused["content"]
        bad = await harness.ask(
            "create",
            {"title": "x", "prompt": "y", "kind": "music", "deadline": "yesterday"},
            user=admin,
        )
        assert bad["_ephemeral"] and "not a deadline" in bad["content"]

        before = len(emulator.requests)
        created = await harness.invoke(
            "create",
            {
                "title": "Ragtime in 30 seconds",
                "prompt": "Generate a music clip for a genre that you choose. @everyone",
                "kind": "music",
                "deadline": "1h",
                "voting": "1h",
                "genre": "ragtime",
            },
            user=admin,
        )
        confirmation = await harness.answer(created)
        assert created.callback_type == 5 and created.ephemeral  # deferred, privately
        assert "is announced" in confirmation["content"]
        [announcement] = harness.posts(channel, before)
        assert_no_mentions(announcement.json)
        [embed] = announcement.json["embeds"]
        assert embed["title"] == "🎯 Challenge #1: Ragtime in 30 seconds"
        assert "\\@everyone" in embed["description"] or "@\u200beveryone" in embed["description"]
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert TIMESTAMPS.fullmatch(fields["Submissions close"])
        assert TIMESTAMPS.fullmatch(fields["Voting closes"])
        assert "never for yourself" in fields["Rules"] and "Winner 3 points" in fields["Rules"]

        # -- submissions: uploads, a history result, a bad file, a resubmission ---------
        for member, note in ((alice, 60), (carol, 64)):
            answer = await harness.ask(
                "submit",
                {"challenge": 1, "file": Upload(f"{note}.mid", midi(note), "audio/midi")},
                user=member,
            )
            assert answer["_ephemeral"] and "is in" in answer["content"], answer["content"]
        fake = await harness.ask(
            "submit",
            {"challenge": 1, "file": Upload("fake.mid", b"RIFF....WAVEfmt ", None)},
            user=dave,
        )
        assert fake["_ephemeral"] and "MThd" in fake["content"]

        # Bob enters a wikimuse result from his history: the bot posted it earlier, its
        # piano roll (here listed first) shown in the embed. The entry is the clip itself.
        clip = b"OggS" + bytes(range(256)) * 4
        reply = result_reply(MusicResult(
            job_id="job-bob-1", genre="ragtime", model="lstm", tempo=100, seconds=30.0, bars=12,
            rng_seed=7, generation_seconds=1.0, attachments=[
                Attachment("roll.png", "image/png", b"\x89PNG"), Attachment("clip.ogg", "audio/ogg", clip),
                Attachment("clip.mid", "audio/midi", midi(60))]))
        result_message = await bot.get_channel(channel).send(  # type: ignore[union-attr]
            "ragtime · lstm", embeds=reply.embeds, files=reply.files()
        )
        database = Database.connect(database_url)
        await database.run(
            database.history.record,
            job_id="job-bob-1",
            user_id=bob,
            guild_id=emulator.guild_id,
            channel_id=channel,
            kind="music",
            summary="ragtime · lstm · 30 s · seed 7",
            jump_url=result_message.jump_url,
        )
        await database.run(
            database.history.record,
            job_id="job-bob-text",
            user_id=bob,
            kind="text",
            summary="an article about ragtime",
        )
        choices = await harness.autocomplete(
            "submit", {"challenge": 1, "result": "rag"}, "result", user=bob
        )
        assert [c["value"] for c in choices] == ["job-bob-1"]  # music only, his own
        assert (
            await harness.autocomplete(
                "submit", {"challenge": 1, "result": ""}, "result", user=alice
            )
            == []
        )
        answer = await harness.ask("submit", {"challenge": 1, "result": "job-bob-1"}, user=bob)
        assert "is in" in answer["content"], answer["content"]
        stolen = await harness.ask("submit", {"challenge": 1, "result": "job-bob-1"}, user=dave)
        assert "not one of your" in stolen["content"]

        resubmitted = await harness.ask(
            "submit",
            {
                "challenge": 1,
                "file": Upload("carol-v2.mid", midi(67), "audio/midi"),
                "code": "https://github.com/carol/ragtime",
            },
            user=carol,
        )
        assert "replaced your earlier entry" in resubmitted["content"]

        # -- voting opens: every entry posted with its file and a vote button -----------
        before = len(emulator.requests)
        opened = await harness.ask("start-voting", {"challenge": 1}, user=admin)
        assert opened["_ephemeral"] and "Voting for challenge #1 is open" in opened["content"]
        ballots = await wait_until(
            emulator,
            lambda: (posts := harness.posts(channel, before)) and len(posts) == 4 and posts,
            "the voting header and three ballots",
        )
        header, *ballots = ballots
        assert "Voting is open" in header.json["content"] and "3 entries" in header.json["content"]
        buttons: dict[int, tuple[str, int]] = {}  # author -> (custom_id, message id)
        for number, ballot in enumerate(ballots, start=1):
            assert_no_mentions(ballot.json)
            assert ballot.json["content"].startswith(f"**Entry {number}** for challenge #1")
            [button] = ballot.json["components"][0]["components"]
            assert (
                VOTE_ID.match(button["custom_id"]) and button["label"] == f"Vote for entry {number}"
            )
            author = int(re.search(r"<@(\d+)>", ballot.json["content"]).group(1))  # type: ignore[union-attr]
            buttons[author] = (button["custom_id"], int(ballot.response["id"]))
        files = {a: [f.filename for f in b.files] for a, b in zip(buttons, ballots, strict=True)}
        assert files == {alice: ["60.mid"], carol: ["carol-v2.mid"], bob: ["clip.ogg"]}
        assert ballots[2].files[0].data == clip  # copied from Bob's result message
        assert "github.com/carol/ragtime" in ballots[1].json["content"]
        late = await harness.ask(
            "submit",
            {"challenge": 1, "file": Upload("late.mid", midi(70), "audio/midi")},
            user=dave,
        )
        assert "no longer takes entries" in late["content"]

        async def vote(voter: int, author: int) -> dict[str, Any]:
            custom_id, message_id = buttons[author]
            return await harness.answer(await emulator.click(message_id, custom_id, user=voter))

        first = await vote(alice, bob)
        assert first["_ephemeral"] and "vote for entry 3 is counted" in first["content"]
        assert "hidden" in first["content"]
        own = await vote(alice, alice)
        assert own["_ephemeral"] and "cannot vote for your own entry" in own["content"]
        await vote(bob, carol)
        await vote(carol, bob)
        await vote(dave, alice)
        changed = await vote(dave, bob)
        assert "changed your vote from entry 1 to entry 3" in changed["content"]
        assert all("2 votes" not in m.get("content", "") for m in emulator.messages.values())

    # -- time passes while the bot is down: the voting deadline is behind us ------------
    set_deadlines(database, 1, voting_deadline=utcnow() - timedelta(milliseconds=1))
    before = len(emulator.requests)

    def results_posts() -> list[Any]:
        return [
            r
            for r in harness.posts(channel)
            if r.json.get("embeds") and r.json["embeds"][0]["title"].startswith("🏆 Results")
        ]

    # Two instances start at once (a restart racing a second replica): one announcement.
    async with harness.running(), harness.running():
        await wait_until(emulator, results_posts, "the results announcement")
        await asyncio.sleep(1.0)  # several more scheduler ticks on both instances
    [results] = results_posts()
    assert_no_mentions(results.json)
    embed = results.json["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["🥇 Winner"] == f"<@{bob}>, entry 3: 3 votes, +3 points"
    assert fields["🥈 Runner-up"] == f"<@{carol}>, entry 2: 1 vote, +1 points"
    assert sorted(f.filename for f in results.files) == ["carol-v2.mid", "clip.ogg"]
    for _author, (custom_id, message_id) in buttons.items():  # ballots greyed out, ids kept
        [button] = emulator.messages[message_id]["components"][0]["components"]
        assert button["disabled"] is True and button["custom_id"] == custom_id
    stored = await database.run(database.challenges.get, 1)
    assert stored.state is ChallengeState.CLOSED and stored.results_message_id == int(
        results.response["id"]
    )

    # -- another restart: nothing is announced again; the leaderboard has the points -----
    async with harness.running():
        await asyncio.sleep(1.0)
        assert len(results_posts()) == 1
        closed = await harness.answer(
            await emulator.click(buttons[alice][1], buttons[alice][0], user=dave)
        )
        assert "closed" in closed["content"]
        board = await harness.ask("leaderboard", {}, user=dave)
        assert_no_mentions(board)
        lines = board["embeds"][0]["description"].splitlines()
        assert lines == [
            f"1. <@{bob}>: **3** points (1 win, 0 runner-up)",
            f"2. <@{carol}>: **1** points (0 wins, 1 runner-up)",
        ]
        listed = await harness.ask("list", {}, user=dave)
        assert "closed" in listed["embeds"][0]["fields"][0]["value"]
        cancelled = await harness.ask("cancel", {"challenge": 1}, user=admin)
        assert cancelled["_ephemeral"] and "already closed" in cancelled["content"]
        assert len(harness.posts(channel, before)) == 1  # only the results, once

        # -- a second challenge: voting opens by itself at the submission deadline -------
        await harness.ask(
            "create",
            {
                "title": "Essays",
                "prompt": "Write about jazz.",
                "kind": "text",
                "deadline": "2h",
                "voting": "1d",
            },
            user=admin,
        )
        wrong_kind = await harness.ask(
            "submit",
            {"challenge": 2, "file": Upload("a.mid", midi(60), "audio/midi")},
            user=alice,
        )
        assert ".txt" in wrong_kind["content"]
        essay = b"# Jazz\n@everyone swings"
        await harness.ask(
            "submit", {"challenge": 2, "file": Upload("essay.md", essay, None)}, user=alice
        )
        set_deadlines(database, 2, submission_deadline=utcnow() - timedelta(seconds=1))
        after = len(emulator.requests)
        header, ballot = await wait_until(
            emulator,
            lambda: len(posts := harness.posts(channel, after)) == 2 and posts,
            "ballots posted at the deadline",
        )
        assert "1 entry below" in header.json["content"]
        assert "# Jazz\n@\u200beveryone swings" in ballot.json["content"]  # text preview, defused
        assert [f.filename for f in ballot.files] == ["essay.md"]
        assert_no_mentions(ballot.json)
        cancelled = await harness.ask("cancel", {"challenge": 2}, user=admin)
        assert not cancelled["_ephemeral"] and "was cancelled" in cancelled["content"]
        assert (await database.run(database.challenges.get, 2)).state is ChallengeState.CANCELLED
    database.dispose()
