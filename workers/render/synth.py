"""Built-in synthesizer for machines without FluidSynth (numpy only).

Not pretty_midi's bare sine waves: every General MIDI family gets a timbre
(a harmonic spectrum that starts bright and settles mellow, an attack, a
percussive or sustained envelope, a release, vibrato for bowed and blown
instruments), and the mix goes through a short synthetic room reverb.

Each note is two wavetable look-ups (bright and mellow spectra, band-limited
to the Nyquist frequency for its pitch) times an envelope, written into the
output buffer; per-note work is vectorised over samples, so a dense 30-second
piano clip renders in about a tenth of a second.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.music.pianoroll import NoteArrays

TABLE_SIZE = 4096
_SILENCE = 1e-3  # envelope level where a decaying note is cut


@dataclass(frozen=True)
class Timbre:
    bright: tuple[float, ...]  # partial amplitudes 1..H during the attack
    mellow: tuple[float, ...]  # partial amplitudes 1..H once settled
    attack: float  # seconds to full level
    decay: float  # percussive decay time constant at middle C, seconds (0 = sustained)
    brightness: float  # time constant of the bright -> mellow crossfade, seconds
    release: float  # seconds of fade after the note ends
    vibrato: float = 0.0  # depth in semitones, after a short delay
    gain: float = 1.0


def _series(n: int, slope: float, odd_only: bool = False) -> tuple[float, ...]:
    amps = []
    for h in range(1, n + 1):
        a = 1.0 / h**slope
        if odd_only and h % 2 == 0:
            a *= 0.08
        amps.append(round(a, 4))
    return tuple(amps)


PIANO = Timbre(_series(14, 1.1), _series(6, 2.0), 0.004, 1.6, 0.25, 0.12, gain=1.0)
MALLET = Timbre((1, 0, 0.3, 0, 0, 0.1, 0, 0, 0, 0.05), (1, 0, 0.05), 0.002, 0.9, 0.1, 0.15, gain=0.9)
ORGAN = Timbre((1, 0.8, 0.6, 0.5, 0, 0.35, 0, 0.3), (1, 0.7, 0.5, 0.45, 0, 0.3, 0, 0.25), 0.015, 0.0, 1.0, 0.06, gain=0.55)
GUITAR = Timbre(_series(16, 0.9), _series(5, 2.2), 0.003, 0.9, 0.12, 0.08, gain=1.0)
BASS = Timbre(_series(8, 1.2), _series(3, 2.0), 0.005, 1.2, 0.15, 0.06, gain=1.2)
STRINGS = Timbre(_series(12, 1.0), _series(10, 1.2), 0.09, 0.0, 0.4, 0.25, vibrato=0.12, gain=0.5)
BRASS = Timbre(_series(12, 0.8), _series(8, 1.2), 0.035, 0.0, 0.3, 0.1, vibrato=0.06, gain=0.5)
REED = Timbre(_series(12, 0.9, odd_only=False), _series(9, 1.3), 0.03, 0.0, 0.3, 0.08, vibrato=0.1, gain=0.5)
CLARINET = Timbre(_series(11, 1.0, odd_only=True), _series(9, 1.4, odd_only=True), 0.03, 0.0, 0.3, 0.08, vibrato=0.05, gain=0.55)
FLUTE = Timbre((1, 0.35, 0.12, 0.05), (1, 0.2, 0.05), 0.05, 0.0, 0.3, 0.1, vibrato=0.1, gain=0.7)
PAD = Timbre(_series(8, 1.3), _series(6, 1.5), 0.2, 0.0, 1.0, 0.4, vibrato=0.05, gain=0.5)


def timbre_for_program(program: int) -> Timbre:
    """The General MIDI family of ``program`` (0-127) -> a timbre."""
    family = int(program) // 8
    if program == 71:  # clarinet: odd harmonics
        return CLARINET
    return {
        0: PIANO,
        1: MALLET,
        2: ORGAN,
        3: GUITAR,
        4: BASS,
        5: STRINGS,
        6: STRINGS,  # ensemble / choir
        7: BRASS,
        8: REED,
        9: FLUTE,
        10: BRASS,  # synth lead
        11: PAD,
    }.get(family, PIANO)


@functools.lru_cache(maxsize=128)
def _wavetable(amps: tuple[float, ...], partials: int) -> np.ndarray:
    """One period, band-limited to ``partials`` harmonics, peak-normalised."""
    phase = np.arange(TABLE_SIZE) * (2 * np.pi / TABLE_SIZE)
    table = np.zeros(TABLE_SIZE)
    for h, a in enumerate(amps[:partials], start=1):
        if a:
            table += a * np.sin(h * phase)
    peak = np.abs(table).max()
    return (table / peak if peak > 0 else table).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _room_impulse(sample_rate: int, seconds: float = 0.9, seed: int = 7) -> np.ndarray:
    """Exponentially decaying noise: a small room, deterministic."""
    n = int(sample_rate * seconds)
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sample_rate
    ir = rng.standard_normal(n) * np.exp(-t / (seconds / 6.9))  # -60 dB at `seconds`
    ir[: int(0.012 * sample_rate)] = 0.0  # pre-delay
    ir /= np.sqrt((ir**2).sum())
    return ir.astype(np.float32)


def _reverb(dry: np.ndarray, sample_rate: int, wet: float = 0.18) -> np.ndarray:
    ir = _room_impulse(sample_rate)
    n = dry.shape[0] + ir.shape[0] - 1
    size = 1 << (n - 1).bit_length()
    tail = np.fft.irfft(np.fft.rfft(dry, size) * np.fft.rfft(ir, size), size)[:n]
    out = tail.astype(np.float32) * wet
    out[: dry.shape[0]] += dry * (1.0 - wet)
    return out


def _render_note(
    out: np.ndarray, timbre: Timbre, pitch: int, velocity: int, start: int, length: int, sr: int
) -> None:
    freq = 440.0 * 2.0 ** ((pitch - 69) / 12.0)
    release = int(timbre.release * sr)
    # percussive notes decay faster up high, longer in the bass
    tau = timbre.decay * (261.6 / freq) ** 0.45 if timbre.decay else 0.0
    total = length + release
    if tau:
        total = min(total, int(-np.log(_SILENCE) * tau * sr) + 1)
    total = min(total, out.shape[0] - start)
    if total <= 0:
        return
    t = np.arange(total, dtype=np.float32) / sr
    cycles = freq * t
    if timbre.vibrato:
        # 5.5 Hz vibrato fading in after 0.25 s: frequency deviation integrated into phase
        depth = freq * (2 ** (timbre.vibrato / 12.0) - 1.0)
        fade = np.clip((t - 0.25) / 0.3, 0.0, 1.0)
        cycles += fade * depth * np.sin(2 * np.pi * 5.5 * t) / (2 * np.pi * 5.5)
    idx = ((cycles * TABLE_SIZE).astype(np.int64)) & (TABLE_SIZE - 1)
    partials = max(1, int(sr / 2 / freq))
    bright = _wavetable(timbre.bright, partials)[idx]
    mellow = _wavetable(timbre.mellow, partials)[idx]
    mix = np.exp(-t / timbre.brightness)
    wave = mellow + (bright - mellow) * mix
    env = np.minimum(t / timbre.attack, 1.0) if timbre.attack else np.ones_like(t)
    if tau:
        env *= np.exp(-t / tau)
    if total > length:  # release after note-off, from wherever the envelope is
        rel = np.arange(total - length, dtype=np.float32) / max(release, 1)
        env[length:] *= np.clip(1.0 - rel, 0.0, 1.0) ** 2
    amp = timbre.gain * (velocity / 127.0) ** 1.6 * 0.3
    out[start : start + total] += amp * wave * env


def synthesize(
    tracks: Sequence[tuple[int, NoteArrays]],
    tempo: float,
    sample_rate: int = 32_000,
    *,
    tail: float = 1.0,
    reverb: bool = True,
) -> np.ndarray:
    """Render ``[(program, notes in beats), ...]`` at ``tempo`` bpm to mono float32 in [-1, 1].

    Drum tracks are not expected (the roll has no drums).
    """
    sec_per_beat = 60.0 / tempo
    end = max((float(n.end.max()) for _, n in tracks if len(n)), default=0.0) * sec_per_beat
    out = np.zeros(int((end + tail) * sample_rate) + 1, dtype=np.float32)
    for program, notes in tracks:
        timbre = timbre_for_program(program)
        starts = np.round(notes.start * sec_per_beat * sample_rate).astype(np.int64)
        lengths = np.maximum(
            np.round((notes.end - notes.start) * sec_per_beat * sample_rate).astype(np.int64), 1
        )
        for s, n, p, v in zip(starts, lengths, notes.pitch, notes.velocity, strict=True):
            _render_note(out, timbre, int(p), int(v), int(s), int(n), sample_rate)
    if reverb and out.size:
        out = _reverb(out, sample_rate)[: out.shape[0]]
    return normalize(out)


def normalize(audio: np.ndarray, peak: float = 0.89) -> np.ndarray:
    """Scale to ``peak`` (about -1 dBFS); silence stays silence."""
    m = float(np.abs(audio).max()) if audio.size else 0.0
    if m > 0:
        audio = audio * (peak / m)
    return audio.astype(np.float32)
