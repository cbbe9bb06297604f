"""Job and result contracts shared by the bot and the workers.

Standard library only: the bot imports this module without pulling in Celery,
Redis or TensorFlow. Everything that crosses the queue is one of these
dataclasses, serialised to a plain JSON-able dict. Binary payloads (a result's
:class:`Attachment` s, an uploaded MIDI file) travel base64-encoded inside the JSON,
because the Celery app accepts JSON only.

What a task is (its name, queue, job and result types, progress verb, typical
duration, history kind) is written once, in :data:`TASKS`; the bot and the
workers read it. Each job checks its own bounds with ``validate()``: the bot
before enqueueing (its refusals are these messages), the workers again for jobs
that did not come from the bot. A new slash command that needs a worker starts
here: its job and result contracts and one :class:`TaskSpec` line.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import re
import urllib.parse
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
CONTINUE_BARS_DEFAULT = 8
MIDI_UPLOAD_MAX_BYTES = 1_000_000
RNG_SEED_MAX = 2**31 - 1

# The music model kinds, name -> what it is (for /about). models.music.registry.KINDS
# holds their modules; tests/test_contracts_genres.py keeps the two in step. "best" is
# no kind: the worker picks the best measured kind of the genre.
MUSIC_KINDS = {
    "lstm": "LSTM composer over 88-key piano rolls.",
    "seq2seq": "Encoder-decoder that continues a primer.",
    "rbm": "Restricted Boltzmann machine over piano-roll frames.",
    "rnn_rbm": "RNN-RBM: an RNN conditioning an RBM at each step.",
    "nade": "RNN-NADE: an RNN conditioning a NADE at each step.",
}
MUSIC_MODEL_BEST = "best"
MUSIC_MODELS = (*MUSIC_KINDS, MUSIC_MODEL_BEST)

# The genres, name -> one line for autocomplete and the genre menu under a clip. The
# composer's own table (models.music.genres.GENRES: data, tempo, instruments) holds the
# same names; tests/test_contracts_genres.py keeps the two in step.
GENRE_DESCRIPTIONS = {
    "chorale": "Four-part Bach chorales, on a church organ",
    "folk": "British and American folk tunes, fiddle over guitar",
    "classical_piano": "Classical and romantic piano music",
    "classical": "Orchestral and keyboard classics, on strings",
    "jazz": "Improvised jazz solo lines, on tenor saxophone",
    "ragtime": "Scott Joplin piano rags",
}
GENRE_NAMES = tuple(GENRE_DESCRIPTIONS)
CONTINUE_GENRE_DEFAULT = "classical_piano"  # /continue without a genre


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


class ContractError(ValueError):
    """A payload that does not match its contract."""


class InvalidJob(ContractError):
    """A job outside its contract's bounds. The message is the one a user sees: the bot
    shows it as its ephemeral refusal, a worker returns it in a ``bad_input`` result.
    ``template`` and ``fields`` are that message before formatting (``str(exc)`` is
    ``template.format(**fields)``), so that the bot can show it in the user's language."""

    def __init__(self, template: str, **fields: object) -> None:
        super().__init__(template.format(**fields) if fields else template)
        self.template, self.fields = template, fields


# --- validation: one check per kind of bound, one wording for each -----------------


def check_whole(value: object, name: str, low: int, high: int, *, float_ok: bool = False) -> None:
    """:class:`InvalidJob` unless ``value`` is a whole number in ``[low, high]`` (``name``
    as the message starts with it: "Length", "Seed"); ``float_ok``: ``30.0`` counts too."""
    whole = isinstance(value, int) or (float_ok and isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or not low <= value <= high:  # type: ignore[operator]
        raise InvalidJob("{name} must be a whole number from {low:,} to {high:,}.", name=name, low=low, high=high)


def check_number(value: object, name: str, low: float, high: float) -> None:
    """:class:`InvalidJob` unless ``value`` is a finite number in ``[low, high]``."""
    if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            or not low <= value <= high):
        raise InvalidJob("{name} must be a number from {low} to {high}.", name=name, low=low, high=high)


def check_rng_seed(value: object) -> None:
    if value is not None:
        check_whole(value, "Seed", 0, RNG_SEED_MAX)


def check_seed_text(seed: object) -> None:
    """The text a /wiki article starts with: not blank, at most WIKI_SEED_MAX_CHARS."""
    if not isinstance(seed, str) or not seed.strip():
        raise InvalidJob("The seed is empty (invisible characters don't count). Please type some text.")
    if len(seed) > WIKI_SEED_MAX_CHARS:
        raise InvalidJob("The seed is {count:,} characters long; the limit is {limit:,}.",
                         count=len(seed), limit=WIKI_SEED_MAX_CHARS)


def genre_key(text: str) -> str:
    """The genre name a user means by ``text`` (case, spaces and dashes forgiven)."""
    return text.strip().lower().replace(" ", "_").replace("-", "_")


def check_genre(genre: object, *, required: bool = True) -> None:
    """:class:`InvalidJob` unless ``genre`` is one of :data:`GENRE_NAMES` (or, when not
    ``required``, None or empty)."""
    if genre is None or genre == "":
        if required:
            raise InvalidJob("Please pick a genre: {genres}.", genres=", ".join(GENRE_NAMES))
        return
    if genre not in GENRE_NAMES:
        shown = re.sub(r"[^\w -]", "", str(genre))[:40]  # quoted as plain text, whatever was sent
        raise InvalidJob("I don't know the genre “{genre}”. Choose one of: {genres}.",
                         genre=shown, genres=", ".join(GENRE_NAMES))


def check_music_model(model: object) -> None:
    if model not in MUSIC_MODELS:
        raise InvalidJob("Unknown model. Choose one of: {models}.", models=", ".join(MUSIC_MODELS))


_MODEL_FILE_NAME = re.compile(r"[A-Za-z0-9_\-]{1,64}")


T = TypeVar("T", bound="Contract")


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


# --- jobs ---------------------------------------------------------------------------


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

    def validate(self) -> None:
        """:class:`InvalidJob` unless every field is within its bounds."""
        check_seed_text(self.seed)
        check_whole(self.length, "Length", WIKI_LENGTH_MIN, WIKI_LENGTH_MAX)
        check_number(self.temperature, "Temperature", TEMPERATURE_MIN, TEMPERATURE_MAX)
        check_whole(self.top_k, "Top-k", 0, TOP_K_MAX)
        check_number(self.top_p, "Top-p", TOP_P_MIN, TOP_P_MAX)
        check_rng_seed(self.rng_seed)
        # The model name becomes a file name: no paths.
        if not isinstance(self.model, str) or not _MODEL_FILE_NAME.fullmatch(self.model):
            raise InvalidJob("Unknown model name.")

    def longer(self) -> WikiJob:
        """The same job, twice as long (within bounds)."""
        return dataclasses.replace(self, length=min(self.length * 2, WIKI_LENGTH_MAX))


@dataclass(frozen=True)
class ComposeJob(Contract):
    kind: ClassVar[str] = "compose_job"
    job_id: str
    genre: str
    model: str = MUSIC_MODEL_BEST
    seconds: float = MUSIC_SECONDS_DEFAULT
    bars: int | None = None  # when set, wins over seconds
    tempo: int | None = None  # None: the genre's default tempo
    temperature: float = MUSIC_TEMPERATURE_DEFAULT
    rng_seed: int | None = None

    def validate(self) -> None:
        """:class:`InvalidJob` unless every field is within its bounds."""
        check_genre(self.genre)
        check_music_model(self.model)
        check_whole(self.seconds, "Length", MUSIC_SECONDS_MIN, MUSIC_SECONDS_MAX, float_ok=True)
        if self.bars is not None:
            check_whole(self.bars, "Bars", MUSIC_BARS_MIN, MUSIC_BARS_MAX)
        if self.tempo is not None:
            check_whole(self.tempo, "Tempo", TEMPO_MIN, TEMPO_MAX)
        check_number(self.temperature, "Temperature", TEMPERATURE_MIN, TEMPERATURE_MAX)
        check_rng_seed(self.rng_seed)

    def longer(self) -> ComposeJob:
        """The same job, twice as long (within bounds), in bars if it was asked in bars."""
        if self.bars is not None:
            return dataclasses.replace(self, bars=min(self.bars * 2, MUSIC_BARS_MAX))
        return dataclasses.replace(self, seconds=min(self.seconds * 2, MUSIC_SECONDS_MAX))


@dataclass(frozen=True)
class ContinueJob(Contract):
    kind: ClassVar[str] = "continue_job"
    job_id: str
    midi_b64: str
    bars: int = CONTINUE_BARS_DEFAULT
    genre: str | None = None  # None: CONTINUE_GENRE_DEFAULT
    temperature: float = MUSIC_TEMPERATURE_DEFAULT
    rng_seed: int | None = None
    filename: str = "upload.mid"
    midi_ref: str = ""  # set instead of midi_b64: the UPLOAD_KEY holding it

    def validate(self) -> None:
        """:class:`InvalidJob` unless every field but the file is within its bounds (the
        worker reads the file; what is wrong with it is a ``bad_midi`` result)."""
        check_whole(self.bars, "Bars", MUSIC_BARS_MIN, MUSIC_BARS_MAX)
        check_genre(self.genre, required=False)
        check_number(self.temperature, "Temperature", TEMPERATURE_MIN, TEMPERATURE_MAX)
        check_rng_seed(self.rng_seed)

    def longer(self) -> ContinueJob:
        """The same upload, continued by twice as many bars (within bounds)."""
        return dataclasses.replace(self, bars=min(self.bars * 2, MUSIC_BARS_MAX))


# --- results ------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """One file of a result, as the user gets it: its file name, MIME type and bytes.

    A result lists its attachments in the order they are posted, the one to listen to
    (or read) first; a picture to show inline has an ``image/`` type. On the queue the
    bytes are base64 (:meth:`to_dict`).
    """

    name: str
    mime: str
    data: bytes

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "mime": self.mime, "data": b64encode(self.data)}

    @classmethod
    def from_dict(cls, data: Any) -> Attachment:
        if not isinstance(data, dict):
            raise ContractError(f"Attachment: expected an object, got {type(data).__name__}")
        try:
            return cls(name=str(data["name"]), mime=str(data["mime"]), data=b64decode(data["data"]))
        except (KeyError, ValueError, AttributeError) as exc:
            raise ContractError(f"Attachment: {exc}") from exc


def clip_stem(genre: str, job_id: str) -> str:
    """The file name, without its suffix, of a clip's attachments."""
    return f"wikimuse-{genre.replace('_', '-')}-{job_id[:8]}"


@dataclass(frozen=True)
class _WithAttachments(Contract):
    """A result whose files travel as :class:`Attachment` s (base64 in the JSON)."""

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["attachments"] = [a.to_dict() for a in self.attachments]  # type: ignore[attr-defined]
        return d

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        result = super().from_dict(data)  # type: ignore[misc]
        raw = getattr(result, "attachments", [])
        if not isinstance(raw, list):
            raise ContractError(f"{cls.__name__}: attachments is not a list")
        files = [a if isinstance(a, Attachment) else Attachment.from_dict(a) for a in raw]
        return dataclasses.replace(result, attachments=files)  # type: ignore[return-value]


@dataclass(frozen=True)
class WikiResult(_WithAttachments):
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
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class MusicResult(_WithAttachments):
    kind: ClassVar[str] = "music_result"
    job_id: str
    genre: str
    model: str
    tempo: int
    seconds: float  # duration of the clip
    bars: int
    rng_seed: int
    generation_seconds: float
    attachments: list[Attachment] = field(default_factory=list)  # audio first, then MIDI, piano roll
    primer_seconds: float = 0.0  # /continue: how much of the clip is the user's primer
    notes: int = 0
    notice: str = ""  # user-safe: what the worker changed in the request (e.g. a length cap)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MusicResult:
        if isinstance(data, dict) and "attachments" not in data and "midi_b64" in data:
            data = _with_named_files(data)
        return super().from_dict(data)


def _with_named_files(data: dict[str, Any]) -> dict[str, Any]:
    """A result of a worker from before attachments (``audio_b64``, ``midi_b64``,
    ``png_b64``), still pending in Redis across a deploy, in today's shape."""
    stem = clip_stem(str(data.get("genre", "")), str(data.get("job_id", "")))
    files = [(data.get("audio_b64"), data.get("audio_format") or "ogg", "audio/ogg"),
             (data.get("midi_b64"), "mid", "audio/midi"), (data.get("png_b64"), "png", "image/png")]
    return {**data, "attachments": [{"name": f"{stem}.{suffix}", "mime": mime, "data": b64}
                                    for b64, suffix, mime in files if b64]}


@dataclass(frozen=True)
class ErrorResult(Contract):
    """A job that gave no result: ``code`` says why, ``message`` tells the user (in English).

    ``template`` and ``fields`` are ``message`` before formatting (``message`` is
    ``template.format(**fields)``), as an :class:`InvalidJob` keeps them, so that a client
    can show it in its user's language; "" and {} in a result of a worker from before them
    (or for a message with no template), which a client shows as ``message``.
    """

    kind: ClassVar[str] = "error_result"
    job_id: str
    code: str
    message: str  # safe to show to a user
    template: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # JSON scalars only

    @classmethod
    def of(cls, job_id: str, code: str, template: str, **fields: object) -> ErrorResult:
        """The result for ``template`` formatted with ``fields``, both kept beside the message."""
        return cls(job_id=job_id, code=code, message=template.format(**fields) if fields else template,
                   template=template, fields=dict(fields))

    @classmethod
    def refusal(cls, job_id: str, exc: InvalidJob, code: str = ERR_BAD_INPUT) -> ErrorResult:
        """The ``bad_input`` result for a job outside its contract (the refusal's own wording)."""
        return cls(job_id=job_id, code=code, message=str(exc), template=exc.template, fields=dict(exc.fields))


@dataclass(frozen=True)
class Progress(Contract):
    kind: ClassVar[str] = "progress"
    fraction: float = 0.0
    phase: str = "queued"
    batch_size: int = 1


# --- tasks --------------------------------------------------------------------------

HISTORY_TEXT, HISTORY_MUSIC = "text", "music"  # the /history kinds (bot.db.models.ChallengeKind)


@dataclass(frozen=True)
class TaskSpec:
    """Everything about one task that the bot and the workers share.

    Attributes:
        name: the Celery task name (stable: the bot sends by name).
        command: the slash command that starts it, as /queue shows it.
        queue: the queue it runs on (one per model family).
        job, result: its job contract and the result it returns (or an ErrorResult).
        verb: the progress line while it runs ("Writing… 40%").
        typical_seconds: about how long one job takes, for the queue's estimate.
        history_kind: how /history and the challenges file its results.
        longer_label: the "make it longer" button under its result.
        genres: whether its result can be made again in another genre.
    """

    name: str
    command: str
    queue: str
    job: type[WikiJob | ComposeJob | ContinueJob]
    result: type[WikiResult | MusicResult]
    verb: str
    typical_seconds: float
    history_kind: str
    longer_label: str = "Longer"
    genres: bool = False

    @property
    def short(self) -> str:
        """``wikimuse.wiki`` -> ``wiki``: the metrics' ``kind`` label."""
        return self.name.rsplit(".", 1)[-1]


TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in (
    TaskSpec(TASK_WIKI, "/wiki", QUEUE_TEXT, WikiJob, WikiResult, "Writing", 8.0, HISTORY_TEXT),
    TaskSpec(TASK_COMPOSE, "/compose", QUEUE_MUSIC, ComposeJob, MusicResult, "Composing", 20.0,
             HISTORY_MUSIC, genres=True),
    TaskSpec(TASK_CONTINUE, "/continue", QUEUE_MUSIC, ContinueJob, MusicResult, "Continuing", 20.0,
             HISTORY_MUSIC, longer_label="Continue", genres=True),
)}
TASK_QUEUES = {name: spec.queue for name, spec in TASKS.items()}


def task_spec(task_name: str) -> TaskSpec:
    """The spec of ``task_name``; :class:`ContractError` for a name no task has."""
    try:
        return TASKS[task_name]
    except KeyError:
        raise ContractError(f"unknown task {task_name!r}") from None


_RESULTS: dict[str, type[Contract]] = {
    c.kind: c for c in (WikiResult, MusicResult, ErrorResult)
}
_JOBS: dict[str, type[Contract]] = {spec.job.kind: spec.job for spec in TASKS.values()}


def result_from_dict(data: dict[str, Any]) -> WikiResult | MusicResult | ErrorResult:
    """Decode whichever result a task returned."""
    if not isinstance(data, dict) or data.get("kind") not in _RESULTS:
        raise ContractError(f"not a result: {str(data)[:200]}")
    return _RESULTS[data["kind"]].from_dict(data)  # type: ignore[return-value]


def job_from_dict(data: dict[str, Any]) -> WikiJob | ComposeJob | ContinueJob:
    if not isinstance(data, dict) or data.get("kind") not in _JOBS:
        raise ContractError(f"not a job: {str(data)[:200]}")
    return _JOBS[data["kind"]].from_dict(data)  # type: ignore[return-value]



# Redis behind Sentinel, for failover: REDIS_URL lists the sentinels, the form Celery and
# kombu read (``sentinel://host:26379;sentinel://host2:26379``; a password and database
# number go on the first entry), and REDIS_SENTINEL_MASTER names the monitored master.
# The bot and the workers both resolve the master through the sentinels.
SENTINEL_SCHEME = "sentinel"
SENTINEL_PORT_DEFAULT = 26379


@dataclass(frozen=True)
class SentinelAddress:
    """Where the sentinels are, and what to log in to the master they name with."""

    master: str
    sentinels: tuple[tuple[str, int], ...]
    db: int = 0
    username: str | None = None
    password: str | None = None

    def master_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the connections to the master (``Sentinel.master_for``)."""
        kwargs: dict[str, Any] = {"db": self.db}
        if self.username:
            kwargs["username"] = self.username
        if self.password:
            kwargs["password"] = self.password
        return kwargs


def is_sentinel_url(url: str) -> bool:
    return url.strip().lower().startswith(f"{SENTINEL_SCHEME}://")


def sentinel_address(url: str, master: str | None) -> SentinelAddress | None:
    """The sentinels of ``url`` with ``master``; None for a plain ``redis://`` URL and no master.

    Raises:
        ValueError: the URL and the master name do not go together, or an entry is malformed
            (the message is one line, naming REDIS_URL and REDIS_SENTINEL_MASTER).
    """
    master = (master or "").strip() or None
    if not is_sentinel_url(url):
        if master:
            raise ValueError("REDIS_SENTINEL_MASTER is set, but REDIS_URL is not a sentinel:// URL "
                             "(sentinel://host:26379;sentinel://host2:26379)")
        return None
    if not master:
        raise ValueError("REDIS_URL lists sentinels: set REDIS_SENTINEL_MASTER to the name of the master "
                         "they monitor (the name in `sentinel monitor NAME ...`)")
    sentinels: list[tuple[str, int]] = []
    first: Any = None
    for entry in url.strip().split(";"):
        parts = urllib.parse.urlsplit(entry.strip())
        try:
            port = parts.port or SENTINEL_PORT_DEFAULT
        except ValueError:
            raise ValueError(f"REDIS_URL: {_without_password(entry)!r} has no valid port") from None
        if parts.scheme.lower() != SENTINEL_SCHEME or not parts.hostname:
            raise ValueError(f"REDIS_URL: {_without_password(entry)!r} is not sentinel://host:port")
        sentinels.append((parts.hostname, port))
        first = first or parts
    db_text = first.path.strip("/") or "0"
    if not db_text.isdigit():
        raise ValueError(f"REDIS_URL: the database number {db_text!r} is not a whole number")
    return SentinelAddress(master=master, sentinels=tuple(sentinels), db=int(db_text),
                           username=urllib.parse.unquote(first.username) if first.username else None,
                           password=urllib.parse.unquote(first.password) if first.password else None)


def _without_password(entry: str) -> str:
    parts = urllib.parse.urlsplit(entry.strip())
    if parts.password is None:
        return entry.strip()
    host = parts.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


__all__ = [name for name in dir() if not name.startswith("_")] + ["field"]
