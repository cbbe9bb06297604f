"""Rendering a generated clip: MIDI, audio (OGG Vorbis + MP3) and a piano-roll PNG.

Everything is bytes in, bytes out. :func:`render_clip` is what the worker
pipeline calls; the OGG and MP3 encoders (C code, the GIL released) run in
threads beside the picture, so a 30-second clip takes well under a second on
two cores.

A result carries the files as :class:`~workers.contracts.Attachment` s
(:func:`clip_attachments`), in the order of :data:`FILE_TYPES`; everything after
the worker (the bot's reply, the challenges) reads that list. A new output format
is an encoder, a line in :data:`FILE_TYPES` and, to serve it, an entry in
:data:`SERVED_FORMATS`: nothing outside this package changes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from models.music.pianoroll import DEFAULT_VELOCITY, NoteArrays, seconds_for_steps
from workers.contracts import Attachment
from workers.render.audio import (
    DEFAULT_SAMPLE_RATE,
    DEFAULT_SIZE_LIMIT,
    encode_audio,
    find_soundfont,
    render_audio,
)
from workers.render.image import render_piano_roll_png
from workers.render.midi import notes_to_midi_bytes, roll_to_tracks

__all__ = ["render_clip", "clip_attachments", "clip_title", "DEFAULT_SIZE_LIMIT", "FILE_TYPES",
           "SERVED_FORMATS"]

# Each file render_clip can make -> (suffix, MIME type), in the order a result lists
# them: the audio to play first, then the MIDI file, then the piano roll (an image,
# shown inline).
FILE_TYPES: dict[str, tuple[str, str]] = {
    "ogg": ("ogg", "audio/ogg"),
    "mp3": ("mp3", "audio/mpeg"),
    "midi": ("mid", "audio/midi"),
    "png": ("png", "image/png"),
}
SERVED_FORMATS = ("ogg",)  # the audio formats a clip sent to a user carries

_POOL: tuple[int, ThreadPoolExecutor] | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """A small thread pool per process (threads do not survive Celery's fork)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid():
            _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=2, thread_name_prefix="render"))
        return _POOL[1]


def clip_title(genre: str = "", model: str = "", tempo: float | None = None) -> str:
    parts = [genre.replace("_", " ").capitalize() if genre else "", model]
    if tempo:
        parts.append(f"{tempo:g} bpm")
    return " · ".join(p for p in parts if p)


def render_clip(
    roll: np.ndarray,
    steps_per_beat: int,
    tempo: float,
    programs: Sequence[int] = (0,),
    *,
    title: str | None = None,
    genre: str = "",
    model: str = "",
    size_limit: int = DEFAULT_SIZE_LIMIT,
    beats_per_bar: int = 4,
    primer_steps: int = 0,
    velocity: int | np.ndarray = DEFAULT_VELOCITY,
    onsets: np.ndarray | None = None,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    soundfont: str | Path | None = None,
    data_dir: str | Path | None = None,
    engine: str = "auto",
    formats: Sequence[str] = ("ogg", "mp3"),
) -> dict[str, Any]:
    """Roll -> ``{"midi", "ogg", "mp3", "png": bytes, "seconds": float, ...}``.

    Args:
        roll: ``(T, 88)`` binary roll on a grid of ``steps_per_beat``.
        tempo: quarter notes per minute.
        programs: General MIDI programs, ``(all,)`` or ``(melody, accompaniment)``.
        title: PNG title; default built from ``genre``, ``model`` and ``tempo``.
        size_limit: maximum bytes of each audio file (Discord's attachment limit).
        primer_steps: the first steps are the user's primer (shaded in the PNG).
        soundfont / data_dir: where to find a GM SoundFont (else system paths).
        engine: "auto", "fluidsynth" or "builtin" (see ``render_audio``).

    Returns:
        ``midi``, ``png`` and one entry per format (bytes), ``seconds`` (clip
        length without the release tail), ``notes``, ``engine`` and
        ``sample_rate``.
    """
    roll = np.asarray(roll)
    tracks = roll_to_tracks(roll, steps_per_beat, programs, velocity=velocity, onsets=onsets)
    midi = notes_to_midi_bytes(tracks, tempo, time_signature=(beats_per_bar, 4))
    if soundfont is None:
        soundfont = find_soundfont([data_dir] if data_dir else _default_dirs())
    text = title if title is not None else clip_title(genre, model, tempo)
    all_notes = tracks[0][1] if len(tracks) == 1 else _merge([n for _, n in tracks])
    png_job = _pool().submit(
        render_piano_roll_png,
        all_notes,
        beats_per_bar=beats_per_bar,
        title=text,
        primer_beats=primer_steps / steps_per_beat,
        total_beats=roll.shape[0] / steps_per_beat,
    )
    audio, used = render_audio(tracks, tempo, sample_rate=sample_rate, soundfont=soundfont, engine=engine)
    encoded = {fmt: _pool().submit(encode_audio, audio, sample_rate, fmt, max_bytes=size_limit) for fmt in formats}
    out: dict[str, Any] = {"midi": midi}
    out.update({fmt: job.result() for fmt, job in encoded.items()})
    out["png"] = png_job.result()
    out["seconds"] = seconds_for_steps(roll.shape[0], tempo, steps_per_beat)
    out["notes"] = int(sum(len(n) for _, n in tracks))
    out["engine"] = used
    out["sample_rate"] = sample_rate
    return out


def clip_attachments(clip: dict[str, Any], stem: str) -> list[Attachment]:
    """The files of a :func:`render_clip` output as attachments named ``stem.<suffix>``."""
    return [Attachment(f"{stem}.{suffix}", mime, clip[key])
            for key, (suffix, mime) in FILE_TYPES.items() if clip.get(key)]


def _merge(parts: list[NoteArrays]) -> NoteArrays:
    return NoteArrays(*(np.concatenate([getattr(p, f) for p in parts]) for f in NoteArrays._fields))


def _default_dirs() -> list[Path]:
    from models.music.datasets import default_data_dir

    return [default_data_dir()]
