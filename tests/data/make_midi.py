"""Regenerate the small MIDI files of this folder (run from the repo root:
``python tests/data/make_midi.py``). Kept so every file's origin is known.

* ``maple_leaf_excerpt.mid`` - the first 8 bars of Scott Joplin's Maple Leaf
  Rag (public domain; the Mutopia rendering in ../shared/data/midi/ragtime),
  rewritten with pretty_midi: 2 piano tracks, 2/4, 384 ppq, 120 bpm.
* ``band.mid`` - hand-made: piano chords, a bass line (GM 32) and a drum
  track on channel 10, to test drum skipping and instrument merging.
* The rest are hand-assembled bytes for edge cases, each named after its quirk:
  ``running_status.mid`` (running status, note-on velocity 0 as note-off,
  a re-struck key), ``tempo_zero.mid`` (a set_tempo of 0), ``drums_only.mid``,
  ``no_notes.mid``, ``smpte.mid`` (SMPTE division), ``truncated.mid`` (the
  excerpt cut in the middle of a track), ``huge_delta.mid`` (a delta time of
  0x0FFFFFFF ticks).
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pretty_midi

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared" / "data" / "midi" / "ragtime" / "joplin_maple_leaf_rag.mid"


def vlq(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def smf(tracks: list[bytes], division: int = 96, fmt: int = 1) -> bytes:
    data = b"MThd" + struct.pack(">IHHH", 6, fmt, len(tracks), division)
    for t in tracks:
        data += b"MTrk" + struct.pack(">I", len(t)) + t
    return data


END = b"\x00\xff\x2f\x00"
TEMPO_120 = b"\x00\xff\x51\x03\x07\xa1\x20"


def maple_excerpt() -> bytes:
    pm = pretty_midi.PrettyMIDI(str(SHARED))
    cut = pm.time_to_tick(0) + 16 * pm.resolution  # 16 beats = 8 bars of 2/4
    end_s = pm.tick_to_time(cut)
    out = pretty_midi.PrettyMIDI(resolution=pm.resolution, initial_tempo=120.0)
    out.time_signature_changes = [pretty_midi.TimeSignature(2, 4, 0.0)]
    for inst in pm.instruments:
        new = pretty_midi.Instrument(inst.program, name=inst.name)
        new.notes = [pretty_midi.Note(n.velocity, n.pitch, n.start, min(n.end, end_s))
                     for n in inst.notes if n.start < end_s]
        out.instruments.append(new)
    buf = io.BytesIO()
    out.write(buf)
    return buf.getvalue()


def band() -> bytes:
    pm = pretty_midi.PrettyMIDI(initial_tempo=100.0)
    piano = pretty_midi.Instrument(0, name="piano")
    bass = pretty_midi.Instrument(32, name="bass")
    drums = pretty_midi.Instrument(0, is_drum=True, name="drums")
    beat = 0.6
    for bar in range(2):
        for i, chord in enumerate(([60, 64, 67], [57, 60, 64], [53, 57, 60], [55, 59, 62])):
            t = (bar * 4 + i) * beat
            piano.notes += [pretty_midi.Note(70, p, t, t + beat) for p in chord]
            bass.notes.append(pretty_midi.Note(90, chord[0] - 24, t, t + beat / 2))
            drums.notes.append(pretty_midi.Note(100, 36 if i % 2 == 0 else 38, t, t + 0.1))
    pm.instruments += [piano, bass, drums]
    buf = io.BytesIO()
    pm.write(buf)
    return buf.getvalue()


def running_status() -> bytes:
    # 96 ppq; C4 quarter, then E4+G4 with running status, C4 struck twice
    # while held (re-strike), note-offs as note-on velocity 0.
    t = TEMPO_120
    t += b"\x00\x90\x3c\x50"  # C4 on (status 0x90)
    t += b"\x60\x3c\x00"  # +96: C4 off (running status, vel 0)
    t += b"\x00\x40\x50" + b"\x00\x43\x50"  # E4, G4 on
    t += b"\x60\x40\x00" + b"\x00\x43\x00"  # +96: both off
    t += b"\x00\x3c\x64"  # C4 on
    t += b"\x30\x3c\x64"  # +48: C4 struck again while held
    t += b"\x30\x3c\x00" + b"\x00\x3c\x00"  # +48: two offs
    return smf([t + END], division=96, fmt=0)


def tempo_zero() -> bytes:
    t = b"\x00\xff\x51\x03\x00\x00\x00"  # tempo 0 us/beat: invalid, must not divide by zero
    t += b"\x00\x90\x3c\x50\x60\x80\x3c\x40"
    return smf([t + END], fmt=0)


def drums_only() -> bytes:
    t = TEMPO_120 + b"\x00\x99\x24\x64\x30\x89\x24\x40\x00\x99\x26\x64\x30\x89\x26\x40"
    return smf([t + END], fmt=0)


def no_notes() -> bytes:
    return smf([TEMPO_120 + b"\x00\xff\x03\x05empty" + END], fmt=0)


def smpte() -> bytes:
    t = b"\x00\x90\x3c\x50\x60\x80\x3c\x40"
    data = bytearray(smf([t + END], fmt=0))
    data[12:14] = struct.pack(">h", -(25 << 8) + 40)  # 25 fps, 40 ticks per frame
    return bytes(data)


def huge_delta() -> bytes:
    t = b"\x00\x90\x3c\x50" + vlq(0x0FFFFFFF) + b"\x80\x3c\x40"
    return smf([t + END], fmt=0)


def main() -> None:
    excerpt = maple_excerpt()
    files = {
        "maple_leaf_excerpt.mid": excerpt,
        "band.mid": band(),
        "running_status.mid": running_status(),
        "tempo_zero.mid": tempo_zero(),
        "drums_only.mid": drums_only(),
        "no_notes.mid": no_notes(),
        "smpte.mid": smpte(),
        "truncated.mid": excerpt[: len(excerpt) * 2 // 3],
        "huge_delta.mid": huge_delta(),
    }
    for name, data in files.items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
