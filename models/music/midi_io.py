"""MIDI bytes <-> piano rolls, safe on hostile uploads.

Reading uses a small, bounded Standard MIDI File reader instead of
``pretty_midi.PrettyMIDI(file)``. Two reasons, both measured: mido (under
pretty_midi) builds one Python object per event and needs ~1.1 s for a 720 kB
file (the upload budget is 0.5 s for 1 MB), and pretty_midi allocates a
float64 array as long as the largest tick, so one absurd delta time in an
upload is hundreds of MB. The reader here checks every length against the
bytes it has, caps events/notes/duration before allocating anything, and turns
every failure into :class:`MIDIConversionError`. Its output matches
pretty_midi's notes on real files (tests/models/music/test_midi_io.py).

Writing goes through pretty_midi. Everything works on bytes; the ``*_file``
functions are thin wrappers.

Quirks handled, as found in real files:
* note-on with velocity 0 is a note-off;
* a note-on while the same key is already sounding on that channel ends the
  sounding note (re-strike) rather than stacking;
* at one tick, note-offs are applied before note-ons, so "on(new), off(old)"
  written in the wrong order does not swallow the new note;
* notes never switched off end at the end of their track;
* tempo events of 0 microseconds per beat are ignored (with a warning);
* channel 10 (index 9) is General MIDI drums and is skipped;
* all other instruments are merged into one roll; ``info["instruments"]``
  lists them and ``info["program"]`` is the program that plays most notes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.music.pianoroll import (
    DEFAULT_VELOCITY,
    HIGHEST_PITCH,
    LOWEST_PITCH,
    NoteArrays,
    quantize,
    roll_to_note_arrays,
)

MIDI_UPLOAD_MAX_BYTES = 1_000_000  # mirrors workers.contracts (models may not import workers)
DRUM_CHANNEL = 9


class MIDIConversionError(ValueError):
    """A MIDI file that cannot be used; ``str(error)`` is safe to show to a user.
    ``template`` and ``fields`` are that message before formatting, for a translation."""

    def __init__(self, template: str, **fields: object) -> None:
        super().__init__(template.format(**fields) if fields else template)
        self.template, self.fields = template, fields


class _BadTrackData(MIDIConversionError):
    """Garbage inside one track: the reader keeps the events before it.

    ``what`` names the fault; :meth:`in_track` says where it is, for a user.
    """

    def __init__(self, what: str) -> None:
        super().__init__("The MIDI file is corrupt ({what}).", what=what)
        self.what = what

    def in_track(self, index: int) -> MIDIConversionError:
        return MIDIConversionError("The MIDI file is corrupt ({what} in track {track}).", what=self.what,
                                   track=index + 1)


@dataclass(frozen=True)
class MidiLimits:
    """Caps applied while reading, before anything large is allocated."""

    max_bytes: int = MIDI_UPLOAD_MAX_BYTES
    max_events: int = 1_500_000  # all events, all tracks
    max_notes: int = 200_000
    max_tracks: int = 256
    max_beats: float = 20_000.0  # ~1.4 h at 240 bpm; bounds the roll's length
    max_seconds: float = 3_600.0


UPLOAD_LIMITS = MidiLimits()


@dataclass
class _Track:
    ticks: list[int]
    kinds: list[int]  # 1 note-on, 0 note-off
    channels: list[int]
    pitches: list[int]
    velocities: list[int]
    end_tick: int
    name: str


def _read_vlq(data: bytes, i: int, end: int) -> tuple[int, int]:
    """Variable-length quantity (at most 4 bytes, as the SMF spec says)."""
    value = 0
    for _ in range(4):
        if i >= end:
            raise _BadTrackData("a number runs past the end of its track")
        b = data[i]
        i += 1
        value = (value << 7) | (b & 0x7F)
        if b < 0x80:
            return value, i
    raise _BadTrackData("bad variable-length number")


class _Reader:
    """Parses the chunks of one SMF into note/tempo/program events."""

    def __init__(self, data: bytes, limits: MidiLimits):
        self.data = data
        self.limits = limits
        self.events = 0
        self.warnings: list[str] = []
        self.tempos: list[tuple[int, int]] = []  # (tick, microseconds per beat)
        self.time_signatures: list[tuple[int, int, int]] = []  # (tick, numerator, denominator)
        self.programs: dict[tuple[int, int], int] = {}  # (track, channel) -> first program
        self.tracks: list[_Track] = []
        self.track_errors: list[MIDIConversionError] = []  # what cut a track short, user-facing

    def parse(self) -> int:
        data = self.data
        if len(data) < 14 or data[:4] != b"MThd":
            if data[:4] == b"RIFF" and data[8:12] == b"RMID":
                raise MIDIConversionError("RIFF MIDI (.rmi) files are not supported; upload a .mid.")
            raise MIDIConversionError("This is not a Standard MIDI File (.mid).")
        hlen = int.from_bytes(data[4:8], "big")
        fmt = int.from_bytes(data[8:10], "big")
        division = int.from_bytes(data[12:14], "big")
        if hlen < 6 or 8 + hlen > len(data):
            raise MIDIConversionError("The MIDI file header is corrupt.")
        if fmt > 2:
            raise MIDIConversionError("Unknown MIDI file format {format}.", format=fmt)
        if division & 0x8000:
            raise MIDIConversionError("MIDI files timed in SMPTE frames are not supported.")
        if division == 0:
            raise MIDIConversionError("The MIDI file has 0 ticks per beat.")
        pos = 8 + hlen
        while pos + 8 <= len(data):
            tag = data[pos : pos + 4]
            length = int.from_bytes(data[pos + 4 : pos + 8], "big")
            start = pos + 8
            end = min(start + length, len(data))
            if start + length > len(data):
                self.warnings.append("truncated track")
            if tag == b"MTrk":
                if len(self.tracks) >= self.limits.max_tracks:
                    raise MIDIConversionError("The MIDI file has more than {limit} tracks.",
                                              limit=self.limits.max_tracks)
                self._parse_track(start, end, division)
            pos = start + length
        if not self.tracks:
            raise MIDIConversionError("The MIDI file has no tracks.")
        return division

    def _parse_track(self, i: int, end: int, division: int) -> None:
        data = self.data
        index = len(self.tracks)
        ticks: list[int] = []
        kinds: list[int] = []
        channels: list[int] = []
        pitches: list[int] = []
        velocities: list[int] = []
        name = ""
        tick = 0
        running = 0
        max_tick = int(self.limits.max_beats * division)
        budget = self.limits.max_events - self.events
        count = 0
        try:
            while i < end:
                count += 1
                if count > budget:
                    raise MIDIConversionError("The MIDI file has more than {limit:,} events.",
                                              limit=self.limits.max_events)
                # delta time; one byte in the common case
                b = data[i]
                if b < 0x80:
                    tick += b
                    i += 1
                else:
                    delta, i = _read_vlq(data, i, end)
                    tick += delta
                if tick > max_tick:
                    raise MIDIConversionError(
                        "The MIDI file is longer than {limit:,.0f} beats (or its timing is corrupt).",
                        limit=float(self.limits.max_beats),
                    )
                if i >= end:
                    break
                status = data[i]
                if status >= 0x80:
                    i += 1
                    if status < 0xF0:
                        running = status
                else:
                    status = running
                    if status == 0:
                        raise _BadTrackData("data without status")
                kind = status & 0xF0
                if kind == 0x90 or kind == 0x80:
                    if i + 2 > end:
                        break
                    p, v = data[i], data[i + 1]
                    i += 2
                    if p > 127 or v > 127:
                        raise _BadTrackData("bad note data")
                    ticks.append(tick)
                    kinds.append(1 if (kind == 0x90 and v > 0) else 0)
                    channels.append(status & 0x0F)
                    pitches.append(p)
                    velocities.append(v)
                elif kind in (0xA0, 0xB0, 0xE0):
                    i += 2
                elif kind == 0xC0:
                    if i < end:
                        self.programs.setdefault((index, status & 0x0F), data[i] & 0x7F)
                    i += 1
                elif kind == 0xD0:
                    i += 1
                elif status == 0xFF:
                    if i >= end:
                        break
                    mtype = data[i]
                    length, i = _read_vlq(data, i + 1, end)
                    if i + length > end:
                        raise _BadTrackData("a meta event runs past the end of its track")
                    payload = data[i : i + length]
                    i += length
                    if mtype == 0x2F:  # end of track
                        break
                    self._meta(index, tick, mtype, payload)
                    if mtype == 0x03 and not name:
                        name = payload.decode("latin-1", "replace")[:100]
                elif status in (0xF0, 0xF7):
                    length, i = _read_vlq(data, i, end)
                    if i + length > end:
                        raise _BadTrackData("a system-exclusive message runs past the end of its track")
                    i += length
                else:
                    raise _BadTrackData(f"unexpected status byte 0x{status:02X}")
        except _BadTrackData as exc:
            # Garbage after real music: keep what was read, as players do.
            self.warnings.append(f"track {index}: {exc}")
            self.track_errors.append(exc.in_track(index))
        self.events += count
        self.tracks.append(_Track(ticks, kinds, channels, pitches, velocities, tick, name))

    def _meta(self, track: int, tick: int, mtype: int, payload: bytes) -> None:
        if mtype == 0x51 and len(payload) == 3:
            usec = int.from_bytes(payload, "big")
            if usec == 0:
                self.warnings.append("ignored a tempo of 0 microseconds per beat")
            else:
                self.tempos.append((tick, usec))
        elif mtype == 0x58 and len(payload) >= 2:
            num, den = payload[0], 2 ** min(payload[1], 6)
            if num > 0:
                self.time_signatures.append((tick, num, den))


def _pair_notes(track: _Track, index: int) -> dict[str, np.ndarray]:
    """Note-on/off events of one track -> notes (vectorised pairing, see module doc)."""
    if not track.ticks:
        return {}
    tick = np.asarray(track.ticks, dtype=np.int64)
    kind = np.asarray(track.kinds, dtype=np.int8)
    chan = np.asarray(track.channels, dtype=np.int64)
    pitch = np.asarray(track.pitches, dtype=np.int64)
    vel = np.asarray(track.velocities, dtype=np.uint8)
    key = chan * 128 + pitch
    # group by (channel, pitch), time ascending, offs (kind 0) before ons at one tick
    order = np.lexsort((kind, tick, key))
    tick, kind, key, vel, chan, pitch = (a[order] for a in (tick, kind, key, vel, chan, pitch))
    is_on = kind == 1
    same_key_next = np.zeros(tick.shape, dtype=bool)
    same_key_next[:-1] = key[1:] == key[:-1]
    next_tick = np.empty_like(tick)
    next_tick[:-1] = tick[1:]
    end = np.where(same_key_next, next_tick, max(track.end_tick, int(tick.max())))
    keep = is_on & (end > tick)
    return {
        "start": tick[keep],
        "end": end[keep],
        "pitch": pitch[keep],
        "velocity": vel[keep],
        "channel": chan[keep],
        "track": np.full(int(keep.sum()), index, dtype=np.int64),
    }


def _ticks_to_seconds(ticks: np.ndarray, tempos: list[tuple[int, int]], division: int) -> np.ndarray:
    """Absolute ticks -> seconds through the tempo map (120 bpm until the first tempo)."""
    changes = sorted(tempos)
    bounds = np.array([0] + [t for t, _ in changes], dtype=np.float64)
    usec = np.array([500_000] + [u for _, u in changes], dtype=np.float64)
    sec_per_tick = usec / 1e6 / division
    seg_seconds = np.diff(bounds) * sec_per_tick[:-1]
    seg_start = np.concatenate([[0.0], np.cumsum(seg_seconds)])
    seg = np.searchsorted(bounds, ticks, side="right") - 1
    return seg_start[seg] + (ticks - bounds[seg]) * sec_per_tick[seg]


def midi_bytes_to_notes(
    data: bytes, *, limits: MidiLimits = UPLOAD_LIMITS
) -> tuple[NoteArrays, dict[str, Any]]:
    """Read MIDI bytes into note events in beats (drums skipped, instruments merged).

    Returns:
        ``(notes, info)``. ``info`` has ``tempo`` (first tempo, bpm), ``seconds``,
        ``beats``, ``time_signature`` ([numerator, denominator]), ``program``,
        ``instruments`` (list of {track, channel, program, notes, name}),
        ``notes``, ``dropped_notes`` (outside the 88 keys), ``drum_notes``,
        ``resolution`` and ``warnings``.

    Raises:
        MIDIConversionError: for anything that is not a usable MIDI file.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise MIDIConversionError("Expected MIDI data as bytes.")
    data = bytes(data)
    if len(data) > limits.max_bytes:
        raise MIDIConversionError("The MIDI file is {size:.1f} MB; the limit is {limit:.1f} MB.",
                                  size=len(data) / 1e6, limit=limits.max_bytes / 1e6)
    if not data:
        raise MIDIConversionError("The MIDI file is empty.")
    reader = _Reader(data, limits)
    try:
        division = reader.parse()
    except MIDIConversionError:
        raise
    except (IndexError, ValueError, OverflowError) as exc:  # defence in depth
        raise MIDIConversionError("The MIDI file is corrupt ({what}).", what=type(exc).__name__) from exc

    parts = [p for i, t in enumerate(reader.tracks) if (p := _pair_notes(t, i))]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else {}
    if not parts or not len(cols["start"]):
        # Nothing sounds: say why (a corrupt track, only note-offs, or no note events).
        if reader.track_errors:
            raise reader.track_errors[0]
        events = sum(len(t.ticks) for t in reader.tracks)
        if events:
            raise MIDIConversionError(
                "The MIDI file contains no notes: its {count:,} note event(s) only switch notes "
                "off (note-offs, or note-ons with velocity 0).", count=events)
        raise MIDIConversionError("The MIDI file contains no notes.")
    drum = cols["channel"] == DRUM_CHANNEL
    drum_notes = int(drum.sum())
    if drum_notes == len(drum):
        raise MIDIConversionError("The MIDI file has only drums; there are no pitched notes to use.")
    cols = {k: v[~drum] for k, v in cols.items()}
    on_keys = (cols["pitch"] >= LOWEST_PITCH) & (cols["pitch"] <= HIGHEST_PITCH)
    dropped = int((~on_keys).sum())
    if dropped == len(on_keys):
        raise MIDIConversionError("All notes of the MIDI file lie outside the 88 piano keys.")
    cols = {k: v[on_keys] for k, v in cols.items()}
    n = len(cols["start"])
    if n > limits.max_notes:
        raise MIDIConversionError("The MIDI file has {count:,} notes; the limit is {limit:,}.", count=n,
                                  limit=limits.max_notes)

    last_tick = int(cols["end"].max())
    seconds = float(_ticks_to_seconds(np.array([last_tick]), reader.tempos, division)[0])
    if seconds > limits.max_seconds:
        raise MIDIConversionError("The MIDI file lasts {minutes:.0f} minutes; the limit is {limit:.0f} minutes.",
                                  minutes=seconds / 60, limit=limits.max_seconds / 60)
    order = np.lexsort((cols["pitch"], cols["start"]))
    cols = {k: v[order] for k, v in cols.items()}
    notes = NoteArrays(
        cols["start"] / division,
        cols["end"] / division,
        cols["pitch"].astype(np.int16),
        np.maximum(cols["velocity"], 1).astype(np.uint8),
    )

    instruments = []
    inst_keys, inst_counts = np.unique(cols["track"] * 16 + cols["channel"], return_counts=True)
    for k, c in zip(inst_keys.tolist(), inst_counts.tolist(), strict=True):
        track, channel = divmod(k, 16)
        instruments.append(
            {
                "track": track,
                "channel": channel,
                "program": reader.programs.get((track, channel), 0),
                "notes": c,
                "name": reader.tracks[track].name,
            }
        )
    first_tempo = sorted(reader.tempos)[0][1] if reader.tempos else 500_000
    ts = sorted(reader.time_signatures)[0][1:] if reader.time_signatures else (4, 4)
    info: dict[str, Any] = {
        "tempo": round(60e6 / first_tempo, 3),
        "seconds": round(seconds, 3),
        "beats": last_tick / division,
        "time_signature": [int(ts[0]), int(ts[1])],
        "program": max(instruments, key=lambda d: d["notes"])["program"],
        "instruments": instruments,
        "notes": n,
        "dropped_notes": dropped,
        "drum_notes": drum_notes,
        "resolution": division,
        "warnings": reader.warnings[:10],
    }
    return notes, info


def midi_bytes_to_roll(
    data: bytes,
    steps_per_beat: int,
    *,
    limits: MidiLimits = UPLOAD_LIMITS,
    with_onsets: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """MIDI bytes -> ``(roll, info)``: a ``(T, 88)`` uint8 roll quantized by beats.

    ``info`` is :func:`midi_bytes_to_notes`'s, plus ``steps_per_beat`` and
    ``steps``; with ``with_onsets=True`` also ``info["onsets"]`` (a ``(T, 88)``
    uint8 onset roll) and ``info["velocity"]`` (``(T, 88)`` velocities).

    Raises:
        MIDIConversionError: for anything that is not a usable MIDI file.
    """
    notes, info = midi_bytes_to_notes(data, limits=limits)
    q = quantize(notes, steps_per_beat)
    if q.roll.shape[0] == 0 or not q.roll.any():
        raise MIDIConversionError("The MIDI file contains no notes.")
    info["steps_per_beat"] = steps_per_beat
    info["steps"] = int(q.roll.shape[0])
    if with_onsets:
        info["onsets"] = q.onsets
        info["velocity"] = q.velocity
    return q.roll, info


def midi_file_to_roll(
    path: str | Path, steps_per_beat: int, *, limits: MidiLimits | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """File wrapper of :func:`midi_bytes_to_roll` (no upload size cap by default)."""
    path = Path(path)
    size = path.stat().st_size
    limits = limits or MidiLimits(max_bytes=max(size, MIDI_UPLOAD_MAX_BYTES))
    return midi_bytes_to_roll(path.read_bytes(), steps_per_beat, limits=limits)


def notes_to_midi_bytes(
    tracks: Sequence[tuple[int, NoteArrays]],
    tempo: float,
    *,
    time_signature: tuple[int, int] = (4, 4),
) -> bytes:
    """Write ``[(program, notes), ...]`` (notes in beats) as a type-1 MIDI file."""
    import pretty_midi  # noqa: PLC0415 - 0.2-0.4 s import, only needed for writing

    if not 1.0 <= tempo <= 1000.0:
        raise ValueError(f"tempo {tempo} bpm out of range")
    pm = pretty_midi.PrettyMIDI(initial_tempo=float(tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(*time_signature, 0.0))
    sec_per_beat = 60.0 / tempo
    for program, notes in tracks:
        inst = pretty_midi.Instrument(program=int(program), name=pretty_midi.program_to_instrument_name(int(program)))
        inst.notes = [
            pretty_midi.Note(int(v), int(p), float(s) * sec_per_beat, float(e) * sec_per_beat)
            for s, e, p, v in zip(notes.start, notes.end, notes.pitch, notes.velocity, strict=True)
        ]
        pm.instruments.append(inst)
    buf = io.BytesIO()
    pm.write(buf)
    return buf.getvalue()


def split_top_voice(notes: NoteArrays) -> tuple[NoteArrays, NoteArrays]:
    """Split notes into (melody, accompaniment): a note is melody when it is the
    highest pitch among the notes sounding at its onset."""
    n = len(notes)
    if n == 0:
        return notes, notes
    starts, ends, pitch = notes.start, notes.end, notes.pitch.astype(np.int64)
    # For each onset, the highest pitch sounding then; O(n log n) via sorting by start
    # is awkward for overlaps, so use the grid of distinct onsets (n is small for clips).
    onset_times = np.unique(starts)
    top = np.full(onset_times.shape, -1, dtype=np.int64)
    idx_lo = np.searchsorted(onset_times, starts, side="left")
    idx_hi = np.searchsorted(onset_times, ends, side="left")
    for i in range(n):  # clips have a few thousand notes at most
        seg = slice(idx_lo[i], idx_hi[i])
        top[seg] = np.maximum(top[seg], pitch[i])
    is_top = pitch >= top[idx_lo]
    pick = lambda m: NoteArrays(*(a[m] for a in notes))  # noqa: E731
    return pick(is_top), pick(~is_top)


def roll_to_midi_bytes(
    roll: np.ndarray,
    steps_per_beat: int,
    tempo: float,
    program: int | Sequence[int] = 0,
    velocity: int | np.ndarray = DEFAULT_VELOCITY,
    onsets: np.ndarray | None = None,
    *,
    time_signature: tuple[int, int] = (4, 4),
) -> bytes:
    """Roll -> MIDI bytes at ``tempo`` bpm.

    Args:
        roll: ``(T, 88)`` binary roll.
        steps_per_beat: the roll's grid.
        tempo: beats (quarter notes) per minute.
        program: one General MIDI program (0-127) for every note, or two:
            ``(melody, accompaniment)`` — the top voice (see
            :func:`split_top_voice`) plays on the first, the rest on the second.
        velocity: one velocity, or a ``(T, 88)`` array read at each onset.
        onsets: optional ``(T, 88)`` onset roll marking re-strikes.
    """
    notes = roll_to_note_arrays(roll, steps_per_beat, onsets=onsets, velocity=velocity)
    programs = [program] if isinstance(program, (int, np.integer)) else list(program)
    if not programs or not all(0 <= int(p) <= 127 for p in programs):
        raise ValueError(f"programs must be 1 or 2 GM programs 0..127, got {program!r}")
    if len(programs) == 1:
        tracks = [(int(programs[0]), notes)]
    else:
        melody, rest = split_top_voice(notes)
        tracks = [(int(programs[0]), melody), (int(programs[1]), rest)]
    return notes_to_midi_bytes(tracks, tempo, time_signature=time_signature)


def roll_to_midi_file(path: str | Path, roll: np.ndarray, steps_per_beat: int, tempo: float, **kw: Any) -> None:
    """File wrapper of :func:`roll_to_midi_bytes`."""
    Path(path).write_bytes(roll_to_midi_bytes(roll, steps_per_beat, tempo, **kw))
