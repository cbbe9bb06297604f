"""Notes or MIDI bytes -> audio -> OGG Vorbis / MP3 bytes under a size limit.

FluidSynth (pyfluidsynth over Debian's ``libfluidsynth3``) with a General MIDI
SoundFont when both are present; otherwise the built-in synthesizer of
:mod:`workers.render.synth`. Audio is mono float32; 32 kHz by default, because
encoding is most of the cost (measured: 44.1 kHz stereo MP3 of 30 s takes
0.7 s on the dev machine, 32 kHz mono 0.3 s) and General MIDI banks hold
little above 16 kHz.
"""

from __future__ import annotations

import ctypes
import functools
import io
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

from models.music.pianoroll import NoteArrays
from workers.render.synth import normalize, synthesize

log = logging.getLogger(__name__)

DEFAULT_SAMPLE_RATE = 32_000
DEFAULT_SIZE_LIMIT = 10 * 1024 * 1024  # Discord's default attachment limit
SOUNDFONT_NAMES = ("TimGM6mb.sf2", "FluidR3Mono_GM.sf3", "FluidR3_GM.sf2", "default-GM.sf2")
SYSTEM_SOUNDFONT_DIRS = (
    Path("/usr/share/sounds/sf2"),
    Path("/usr/share/sounds/sf3"),
    Path("/usr/share/soundfonts"),
)
DRUM_CHANNEL = 9
_TAIL_SECONDS = 1.0  # let reverb and releases ring out

# Encoder settings per format: (soundfile format, subtype, (normal, smallest) compression
# level). compression_level 0..1 runs from high to low Vorbis quality / MP3 bitrate
# (libsndfile 1.2 rejects 1.0 for MP3). A 120-second clip at the normal level is
# ~1 MB, far below Discord's 10 MiB, so the fallbacks only matter for small limits.
_FORMATS = {
    "ogg": ("OGG", "VORBIS", (0.5, 1.0)),
    "mp3": ("MP3", "MPEG_LAYER_III", (0.6, 0.95)),
}


class AudioRenderError(RuntimeError):
    """Audio could not be produced (never for bad user input: that fails earlier)."""


def find_soundfont(search_dirs: Iterable[str | Path] = ()) -> Path | None:
    """The first General MIDI SoundFont found in ``search_dirs`` (and their
    ``soundfonts/`` subfolders), then in the Debian install locations."""
    dirs: list[Path] = []
    for d in search_dirs:
        dirs += [Path(d), Path(d) / "soundfonts"]
    dirs += list(SYSTEM_SOUNDFONT_DIRS)
    for d in dirs:
        for name in SOUNDFONT_NAMES:
            if (d / name).is_file():
                return d / name
    for d in dirs:
        if d.is_dir():
            found = sorted([*d.glob("*.sf2"), *d.glob("*.sf3")])
            if found:
                return found[0]
    return None


# A failed import of pyfluidsynth is tried again after this long (each try runs
# ctypes' find_library, ~15 ms), so a library installed later, or a failure that
# was only transient, is picked up without a restart.
FLUIDSYNTH_RETRY_SECONDS = 60.0

_fluidsynth_lock = threading.Lock()
_fluidsynth = None  # the complete module once imported
_fluidsynth_failed_at: float | None = None


def _fluidsynth_module():
    """pyfluidsynth, or None when it or libfluidsynth is missing.

    Imports run one at a time, under a lock: when one thread's import of a module
    fails while another thread imports it too, CPython hands the second thread the
    first one's partly executed module object instead of an error (the import of a
    module found initialising in ``sys.modules`` only waits for it, see
    ``import_ensure_initialized`` in Python/import.c). A module without ``Synth``
    is such a half-initialised one: it counts as a failure, never kept. Only a complete
    module is kept for the process; a failure is tried again after
    :data:`FLUIDSYNTH_RETRY_SECONDS`.
    """
    global _fluidsynth, _fluidsynth_failed_at
    if _fluidsynth is not None:
        return _fluidsynth
    with _fluidsynth_lock:
        if _fluidsynth is not None:
            return _fluidsynth
        now = time.monotonic()
        if _fluidsynth_failed_at is not None and now - _fluidsynth_failed_at < FLUIDSYNTH_RETRY_SECONDS:
            return None
        first_try = _fluidsynth_failed_at is None
        try:
            import fluidsynth  # noqa: PLC0415 - optional native dependency

            if not hasattr(fluidsynth, "Synth"):
                raise ImportError("pyfluidsynth was only partly initialised")
        except (ImportError, OSError) as exc:
            _fluidsynth_failed_at = now
            log.log(logging.INFO if first_try else logging.DEBUG,
                    "FluidSynth unavailable (%s); using the built-in synthesizer", exc)
            return None
        _fluidsynth = fluidsynth
        return fluidsynth


def fluidsynth_available() -> bool:
    return _fluidsynth_module() is not None


class _FluidRenderer:
    """One FluidSynth instance with its SoundFont loaded (loading costs 50 ms - 1.6 s),
    reused for every clip of the process; a lock serialises renders."""

    def __init__(self, soundfont: Path, sample_rate: int):
        fluidsynth = _fluidsynth_module()
        if fluidsynth is None:
            raise AudioRenderError("FluidSynth is not installed")
        self.sample_rate = sample_rate
        self.synth = fluidsynth.Synth(
            gain=0.6,
            samplerate=float(sample_rate),
            **{"synth.chorus.active": 0, "synth.polyphony": 256, "synth.verbose": 0},
        )
        self.sfid = self.synth.sfload(str(soundfont))
        if self.sfid < 0:
            raise AudioRenderError(f"FluidSynth could not load {soundfont.name}")
        self.lock = threading.Lock()
        self._write_float = fluidsynth.cfunc(
            "fluid_synth_write_float",
            ctypes.c_int,
            ("synth", ctypes.c_void_p, 1),
            ("len", ctypes.c_int, 1),
            ("lout", ctypes.c_void_p, 1),
            ("loff", ctypes.c_int, 1),
            ("lincr", ctypes.c_int, 1),
            ("rout", ctypes.c_void_p, 1),
            ("roff", ctypes.c_int, 1),
            ("rincr", ctypes.c_int, 1),
        )

    def render(self, tracks: Sequence[tuple[int, NoteArrays]], tempo: float) -> np.ndarray:
        sr = self.sample_rate
        sec_per_beat = 60.0 / tempo
        # events: (sample, order, kind, channel, pitch, velocity); note-offs first at one instant
        times, orders, chans, pitches, vels = [], [], [], [], []
        end = 0.0
        for i, (_program, notes) in enumerate(tracks[:15]):
            ch = i if i < DRUM_CHANNEL else i + 1  # never the GM drum channel
            n = len(notes)
            if n == 0:
                continue
            on = np.round(notes.start * sec_per_beat * sr).astype(np.int64)
            off = np.round(notes.end * sec_per_beat * sr).astype(np.int64)
            end = max(end, float(notes.end.max()) * sec_per_beat)
            times += [on, off]
            orders += [np.ones(n, np.int64), np.zeros(n, np.int64)]
            chans += [np.full(2 * n, ch, np.int64)]
            pitches += [notes.pitch.astype(np.int64)] * 2
            vels += [notes.velocity.astype(np.int64), np.zeros(n, np.int64)]
        total = int((end + _TAIL_SECONDS) * sr)
        if not times:
            return np.zeros(total, np.float32)
        t = np.concatenate(times)
        o = np.concatenate(orders)
        c = np.concatenate(chans)
        p = np.concatenate(pitches)
        v = np.concatenate(vels)
        order = np.lexsort((o, t))
        t, o, c, p, v = (a[order] for a in (t, o, c, p, v))
        stereo = np.zeros((total, 2), dtype=np.float32)
        with self.lock:
            fs = self.synth
            fs.system_reset()
            # Flush the reverb of the previous clip so its tail cannot leak into
            # this one (2 s of silence: ~10 ms). Renders of the same notes are
            # then identical to ~1e-5, except the very first after the SoundFont
            # loads (FluidSynth measures samples on first use): up to ~0.02 in the
            # first seconds, inaudible.
            self._write(np.zeros((2 * sr, 2), dtype=np.float32), 0, 2 * sr)
            for i, (program, _) in enumerate(tracks[:15]):
                ch = i if i < DRUM_CHANNEL else i + 1
                fs.program_select(ch, self.sfid, 0, int(program))
            now = 0
            for ti, oi, ci, pi, vi in zip(t.tolist(), o.tolist(), c.tolist(), p.tolist(), v.tolist(), strict=True):
                ti = min(ti, total)
                if ti > now:
                    self._write(stereo, now, ti)
                    now = ti
                if oi:
                    fs.noteon(ci, pi, vi)
                else:
                    fs.noteoff(ci, pi)
            if total > now:
                self._write(stereo, now, total)
        return stereo.mean(axis=1)

    def _write(self, buf: np.ndarray, start: int, stop: int) -> None:
        """Synthesize frames [start, stop) into the (N, 2) float32 ``buf`` in place:
        fluid_synth_write_float straight into numpy, no int16 round trip or dither."""
        base = buf.ctypes.data + start * 8
        if self._write_float(self.synth.synth, stop - start, base, 0, 2, base, 1, 2) != 0:
            raise AudioRenderError("FluidSynth failed to synthesize audio")


@functools.lru_cache(maxsize=4)
def _renderer(soundfont: Path, sample_rate: int) -> _FluidRenderer:
    return _FluidRenderer(soundfont, sample_rate)


def render_audio(
    tracks: Sequence[tuple[int, NoteArrays]],
    tempo: float,
    *,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    soundfont: str | Path | None = None,
    engine: str = "auto",
) -> tuple[np.ndarray, str]:
    """Render ``[(program, notes in beats), ...]`` to mono float32 audio.

    Args:
        engine: "fluidsynth", "builtin", or "auto" (FluidSynth when it and a
            SoundFont are available, else the built-in synthesizer).

    Returns:
        ``(audio, engine_used)``.
    """
    if engine not in ("auto", "fluidsynth", "builtin"):
        raise ValueError(f"unknown engine {engine!r}")
    if engine != "builtin":
        sf_path = Path(soundfont) if soundfont else find_soundfont()
        usable = fluidsynth_available() and sf_path is not None and sf_path.is_file()
        if usable:
            try:
                audio = _renderer(sf_path, sample_rate).render(tracks, tempo)
                return normalize(audio), "fluidsynth"
            except AudioRenderError:
                if engine == "fluidsynth":
                    raise
                log.exception("FluidSynth failed; falling back to the built-in synthesizer")
        elif engine == "fluidsynth":
            raise AudioRenderError("FluidSynth or a SoundFont is missing")
    return synthesize(tracks, tempo, sample_rate, tail=_TAIL_SECONDS), "builtin"


_ENCODE_BLOCK = 16384  # frames per write


def _encode_once(audio: np.ndarray, sample_rate: int, fmt: str, level: float) -> bytes:
    container, subtype, _ = _FORMATS[fmt]
    buf = io.BytesIO()
    # Write in blocks: one sf.write of a long clip (> ~60 s) crashes libsndfile 1.2's
    # Vorbis encoder (the whole process dies), while block writes encode the same stream.
    with sf.SoundFile(
        buf, "w", samplerate=sample_rate, channels=1 if audio.ndim == 1 else audio.shape[1],
        format=container, subtype=subtype, compression_level=level,
    ) as fh:
        for start in range(0, audio.shape[0], _ENCODE_BLOCK):
            fh.write(audio[start : start + _ENCODE_BLOCK])
    return buf.getvalue()


def encode_audio(
    audio: np.ndarray, sample_rate: int, fmt: str, *, max_bytes: int = DEFAULT_SIZE_LIMIT
) -> bytes:
    """Encode mono float32 audio as ``fmt`` ("ogg" or "mp3"), at most ``max_bytes``.

    Lowers the bitrate first; if even the lowest is too big, keeps the longest
    beginning that fits (with a 1-second fade-out).
    """
    if fmt not in _FORMATS:
        raise ValueError(f"unknown audio format {fmt!r}; choose ogg or mp3")
    if max_bytes < 4096:
        raise ValueError("max_bytes must be at least 4096")
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    levels = _FORMATS[fmt][2]
    data = b""
    for level in levels:
        data = _encode_once(audio, sample_rate, fmt, level)
        if len(data) <= max_bytes:
            return data
    # Still too big at the lowest bitrate: cut, estimating bytes per sample.
    for _ in range(4):
        keep = int(audio.shape[0] * max_bytes / len(data) * 0.95)
        if keep <= 0:
            break
        audio = _fade_out(audio[:keep], sample_rate)
        data = _encode_once(audio, sample_rate, fmt, levels[-1])
        if len(data) <= max_bytes:
            return data
    raise AudioRenderError(f"cannot fit the {fmt} audio into {max_bytes} bytes")


def _fade_out(audio: np.ndarray, sample_rate: int, seconds: float = 1.0) -> np.ndarray:
    n = min(audio.shape[0], int(seconds * sample_rate))
    out = audio.copy()
    if n:
        out[-n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
    return out
