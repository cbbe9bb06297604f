"""Job and result contracts shared by the bot and the workers.

Standard library only: the bot imports this module without pulling in Celery,
Redis or TensorFlow. Everything that crosses the queue is one of these
dataclasses, serialised to a plain JSON-able dict. Binary payloads (MIDI, OGG,
PNG) travel base64-encoded inside the JSON, because the Celery app accepts JSON
only.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

# Stable task names: the bot enqueues by name with send_task and never imports tasks.
TASK_WIKI = "wikimuse.wiki"
TASK_COMPOSE = "wikimuse.compose"
TASK_CONTINUE = "wikimuse.continue"

# One queue per model family, so text and music scale independently.
QUEUE_TEXT = "text"
QUEUE_MUSIC = "music"

TASK_QUEUES = {TASK_WIKI: QUEUE_TEXT, TASK_COMPOSE: QUEUE_MUSIC, TASK_CONTINUE: QUEUE_MUSIC}

# Custom Celery state for progress; meta is Progress.to_dict().
STATE_PROGRESS = "PROGRESS"

# The bot stops waiting for a job at its job timeout (BOT_JOB_TIMEOUT). It sends each
# job with Celery's ``expires`` at least this long before then, and workers drop a job
# (a redelivery included) not started by that time: one that started in time ends,
# with a result or a timeout, within the workers' hard time limit (TASK_TIME_LIMIT,
# 150 s), so no job runs after its user was told that it timed out.
JOB_RUN_ALLOWANCE = 180.0

# An uploaded MIDI file larger than this (base64 characters) goes by reference: the bot
# stores it under UPLOAD_KEY (in the broker's Redis, with a TTL) and the job carries the
# key in ``midi_ref`` instead of the file, so the queue holds small messages.
UPLOAD_INLINE_MAX = 8192
UPLOAD_KEY = "wikimuse:upload:{}"

# Bounds shared by the bot (validation before enqueueing) and workers (defence in depth).
WIKI_SEED_MAX_CHARS = 500
WIKI_LENGTH_MIN, WIKI_LENGTH_MAX, WIKI_LENGTH_DEFAULT = 100, 4000, 1000
TEMPERATURE_MIN, TEMPERATURE_MAX = 0.1, 2.0
WIKI_TEMPERATURE_DEFAULT = 0.8
# Nucleus sampling for /wiki: keep the most likely characters up to this probability mass.
TOP_P_MIN, TOP_P_MAX = 0.05, 1.0
WIKI_TOP_P_DEFAULT = 0.95  # chosen by bench/text_sampling.py --sweep (docs/BENCHMARKS.md)
TOP_K_MAX = 200
MUSIC_SECONDS_MIN, MUSIC_SECONDS_MAX, MUSIC_SECONDS_DEFAULT = 5, 120, 30
MUSIC_BARS_MIN, MUSIC_BARS_MAX = 1, 64
TEMPO_MIN, TEMPO_MAX = 40, 240
MUSIC_TEMPERATURE_DEFAULT = 1.0
MIDI_UPLOAD_MAX_BYTES = 1_000_000
RNG_SEED_MAX = 2**31 - 1
MUSIC_MODELS = ("lstm", "seq2seq", "rbm", "rnn_rbm", "nade", "best")


# The characters the shipped writer (models/checkpoints/wiki_writer.json, "vocab") can
# read. The bot maps /wiki seeds onto them before enqueueing (it may not load the
# model); tests/test_contracts_alphabet.py keeps the two in step.
WIKI_ALPHABET = frozenset(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^abcdefghijklmnopqrstuvwxyz~"
    "\n\xa3\xb0\xb1\xb2\xb5\xbd\xc5\xc6\xc9\xcd\xce\xd7\xd8"
    "\xe0\xe1\xe2\xe3\xe4\xe5\xe7\xe8\xe9\xea\xeb\xec\xed\xee"
    "\xf1\xf3\xf4\xf6\xf8\xfa\xfb\xfc\u0100\u0101\u0103\u0107\u010d\u0110"
    "\u0111\u0117\u012b\u0142\u014c\u014d\u015b\u0161\u016b\u017e\u01a1\u01b0\u02bb\u0303"
    "\u03b1\u03b2\u03b3\u03bc\u0627\u0644\u0647\u094d\u10fb\u1e43\u1e45\u1e6d\u1ea7\u1ec5"
    "\u1ec7\u1ecb\u1edb\u1ef3\u2011\u2013\u2014\u2018\u2019\u201c\u201d\u201e\u2020\u2026"
    "\u2032\u2044\u20ac\u20b9\u2153\u2192\u2212\u2264\u2609\u266d\u266f\u3008\u3009\u30fb"
    "\u5927\u7a7a\ufeff\uff5e"
)

# Error codes a result may carry; the bot maps each to a user-facing message.
ERR_BAD_INPUT = "bad_input"
ERR_BAD_MIDI = "bad_midi"
ERR_TIMEOUT = "timeout"
ERR_INTERNAL = "internal"
ERR_CANCELLED = "cancelled"
ERR_MODEL_MISSING = "model_missing"


def new_job_id() -> str:
    return uuid.uuid4().hex


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


T = TypeVar("T", bound="Contract")


class ContractError(ValueError):
    """A payload that does not match its contract."""


@dataclass(frozen=True)
class Contract:
    """Base: dict/JSON round-trip that ignores unknown keys (forward compatible)."""

    kind: ClassVar[str] = "contract"

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["kind"] = self.kind
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        if not isinstance(data, dict):
            raise ContractError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        if data.get("kind", cls.kind) != cls.kind:
            raise ContractError(f"{cls.__name__}: kind {data.get('kind')!r} != {cls.kind!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError as exc:
            raise ContractError(f"{cls.__name__}: {exc}") from exc

    @classmethod
    def from_json(cls: type[T], text: str) -> T:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ContractError(f"{cls.__name__}: invalid JSON: {exc}") from exc


@dataclass(frozen=True)
class Requester:
    """Who asked, and where to answer (enough to post after a bot restart)."""

    user_id: int = 0
    guild_id: int | None = None
    channel_id: int | None = None
    interaction_id: int | None = None
    interaction_token: str | None = None
    application_id: int | None = None


@dataclass(frozen=True)
class WikiJob(Contract):
    kind: ClassVar[str] = "wiki_job"
    job_id: str
    seed: str
    length: int = WIKI_LENGTH_DEFAULT
    temperature: float = WIKI_TEMPERATURE_DEFAULT
    top_k: int = 0
    top_p: float = WIKI_TOP_P_DEFAULT
    rng_seed: int | None = None
    model: str = "wiki_writer"


@dataclass(frozen=True)
class WikiResult(Contract):
    kind: ClassVar[str] = "wiki_result"
    job_id: str
    seed: str
    title: str
    markdown: str  # formatted article (Discord markdown)
    text: str  # raw generated text, WikiText style, starting with the seed
    chars: int
    rng_seed: int
    model: str
    seconds: float
    batch_size: int = 1


@dataclass(frozen=True)
class ComposeJob(Contract):
    kind: ClassVar[str] = "compose_job"
    job_id: str
    genre: str
    model: str = "best"
    seconds: float = MUSIC_SECONDS_DEFAULT
    bars: int | None = None  # when set, wins over seconds
    tempo: int | None = None  # None: the genre's default tempo
    temperature: float = MUSIC_TEMPERATURE_DEFAULT
    rng_seed: int | None = None


@dataclass(frozen=True)
class ContinueJob(Contract):
    kind: ClassVar[str] = "continue_job"
    job_id: str
    midi_b64: str
    bars: int = 8
    genre: str | None = None
    temperature: float = MUSIC_TEMPERATURE_DEFAULT
    rng_seed: int | None = None
    filename: str = "upload.mid"
    midi_ref: str = ""  # set instead of midi_b64: the UPLOAD_KEY holding it


@dataclass(frozen=True)
class MusicResult(Contract):
    kind: ClassVar[str] = "music_result"
    job_id: str
    genre: str
    model: str
    tempo: int
    seconds: float  # duration of the clip
    bars: int
    rng_seed: int
    generation_seconds: float
    midi_b64: str
    audio_b64: str  # OGG Vorbis
    png_b64: str
    audio_format: str = "ogg"
    primer_seconds: float = 0.0  # /continue: how much of the clip is the user's primer
    notes: int = 0
    notice: str = ""  # user-safe: what the worker changed in the request (e.g. a length cap)


@dataclass(frozen=True)
class ErrorResult(Contract):
    kind: ClassVar[str] = "error_result"
    job_id: str
    code: str
    message: str  # safe to show to a user


@dataclass(frozen=True)
class Progress(Contract):
    kind: ClassVar[str] = "progress"
    fraction: float = 0.0
    phase: str = "queued"
    batch_size: int = 1


_RESULTS: dict[str, type[Contract]] = {
    c.kind: c for c in (WikiResult, MusicResult, ErrorResult)
}
_JOBS: dict[str, type[Contract]] = {c.kind: c for c in (WikiJob, ComposeJob, ContinueJob)}


def result_from_dict(data: dict[str, Any]) -> WikiResult | MusicResult | ErrorResult:
    """Decode whichever result a task returned."""
    if not isinstance(data, dict) or data.get("kind") not in _RESULTS:
        raise ContractError(f"not a result: {str(data)[:200]}")
    return _RESULTS[data["kind"]].from_dict(data)  # type: ignore[return-value]


def job_from_dict(data: dict[str, Any]) -> WikiJob | ComposeJob | ContinueJob:
    if not isinstance(data, dict) or data.get("kind") not in _JOBS:
        raise ContractError(f"not a job: {str(data)[:200]}")
    return _JOBS[data["kind"]].from_dict(data)  # type: ignore[return-value]


# Genres the bot offers (autocomplete) without importing models: keep in step with
# models/music/genres.py (a test checks). name -> one-line description.
GENRE_DESCRIPTIONS = {
    "chorale": "Four-part Bach chorales, on a church organ",
    "folk": "British and American folk tunes, fiddle over guitar",
    "classical_piano": "Classical and romantic piano music",
    "classical": "Orchestral and keyboard classics, on strings",
    "jazz": "Improvised jazz solo lines, on tenor saxophone",
    "ragtime": "Scott Joplin piano rags",
}
GENRE_NAMES = tuple(GENRE_DESCRIPTIONS)


__all__ = [name for name in dir() if not name.startswith("_")] + ["field"]
