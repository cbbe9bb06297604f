"""Audio: FluidSynth and the built-in synthesizer, OGG/MP3 encoding under a size limit."""

import io
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from models.music.datasets import default_data_dir
from models.music.midi_io import midi_bytes_to_notes
from models.music.pianoroll import NoteArrays
from workers.render.audio import (
    AudioRenderError,
    encode_audio,
    find_soundfont,
    fluidsynth_available,
    render_audio,
)
from workers.render.synth import synthesize, timbre_for_program

DATA = Path(__file__).resolve().parents[2] / "data"


def midi_bytes_to_tracks(data: bytes) -> list[tuple[int, NoteArrays]]:
    """Our own MIDI bytes -> ``[(program, notes), ...]`` with times in seconds
    (as beats at 60 bpm). Drums are skipped. Use the bounded reader of
    ``models.music.midi_io`` for untrusted uploads first."""
    pm = pretty_midi.PrettyMIDI(io.BytesIO(data))
    tracks = []
    for inst in pm.instruments:
        if inst.is_drum or not inst.notes:
            continue
        n = inst.notes
        tracks.append(
            (
                inst.program,
                NoteArrays(
                    np.array([x.start for x in n]),
                    np.array([x.end for x in n]),
                    np.array([x.pitch for x in n], np.int16),
                    np.array([max(1, x.velocity) for x in n], np.uint8),
                ),
            )
        )
    return tracks


def midi_bytes_to_audio(data: bytes, *, soundfont=None, engine: str = "auto") -> tuple[np.ndarray, str]:
    """MIDI bytes -> (mono float32 audio, engine used), as the pipeline renders a clip."""
    return render_audio(midi_bytes_to_tracks(data), 60.0, sample_rate=SR, soundfont=soundfont, engine=engine)


def decode_audio(data: bytes) -> tuple[np.ndarray, int]:
    """Encoded bytes -> (float32 samples, sample rate)."""
    audio, sr = sf.read(io.BytesIO(data), dtype="float32")
    return audio, sr
SR = 32_000


def one_note(pitch=69, beats=2.0, velocity=100):
    return NoteArrays(np.zeros(1), np.full(1, beats), np.full(1, pitch, np.int16), np.full(1, velocity, np.uint8))


def spectrum_peaks(audio, f0, sr=SR, harmonics=6):
    """Energy near each harmonic of f0, relative to the fundamental."""
    spec = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    freqs = np.fft.rfftfreq(audio.size, 1 / sr)
    e = [spec[(freqs > h * f0 * 0.97) & (freqs < h * f0 * 1.03)].max() for h in range(1, harmonics + 1)]
    return np.array(e) / e[0]


def test_builtin_piano_has_harmonics_and_decays():
    audio = synthesize([(0, one_note(69, beats=4.0))], 60.0, SR, reverb=False)  # A4 for 4 s
    assert audio.dtype == np.float32 and np.abs(audio).max() == pytest.approx(0.89, abs=1e-3)
    peaks = spectrum_peaks(audio[: SR // 2], 440.0)
    assert (peaks[1:4] > 0.05).all()  # not a bare sine: strong 2nd-4th harmonics
    rms = [np.sqrt(np.mean(audio[i * SR : (i + 1) * SR] ** 2)) for i in range(4)]
    assert rms[0] > 1.5 * rms[2] > 0  # percussive decay
    assert np.abs(audio[: int(0.002 * SR)]).max() < np.abs(audio).max()  # an attack, not a click


def test_builtin_organ_sustains_and_families_differ():
    organ = synthesize([(19, one_note(60, beats=3.0))], 60.0, SR, reverb=False)
    rms = [np.sqrt(np.mean(organ[i * SR : (i + 1) * SR] ** 2)) for i in range(3)]
    assert rms[2] > 0.8 * rms[0]
    assert timbre_for_program(0) != timbre_for_program(66) != timbre_for_program(40)
    assert timbre_for_program(71) != timbre_for_program(66)


def test_builtin_is_deterministic_and_silent_input_is_silent():
    notes = midi_bytes_to_notes((DATA / "maple_leaf_excerpt.mid").read_bytes())[0]
    a = synthesize([(0, notes)], 120.0, SR)
    b = synthesize([(0, notes)], 120.0, SR)
    assert np.array_equal(a, b) and a.shape[0] == pytest.approx(9 * SR, rel=0.01)
    empty = NoteArrays(np.zeros(0), np.zeros(0), np.zeros(0, np.int16), np.zeros(0, np.uint8))
    assert not synthesize([(0, empty)], 120.0, SR).any()


needs_fluidsynth = pytest.mark.skipif(
    not fluidsynth_available() or find_soundfont([default_data_dir()]) is None,
    reason="libfluidsynth3 or a GM SoundFont missing (.ci/run installs libfluidsynth3)",
)


@needs_fluidsynth
def test_fluidsynth_renders_the_excerpt():
    sf2 = find_soundfont([default_data_dir()])
    data = (DATA / "maple_leaf_excerpt.mid").read_bytes()
    audio, engine = midi_bytes_to_audio(data, soundfont=sf2, engine="fluidsynth")
    assert engine == "fluidsynth"
    assert audio.shape[0] == pytest.approx(9 * SR, rel=0.02)  # 8 s + 1 s tail
    loud = [np.sqrt(np.mean(audio[i * SR : (i + 1) * SR] ** 2)) for i in range(8)]
    assert min(loud) > 0.02  # music all the way through
    again, _ = midi_bytes_to_audio(data, soundfont=sf2, engine="fluidsynth")
    assert np.abs(audio - again).max() < 0.05  # same notes, same sound


def test_engine_choice():
    with pytest.raises(ValueError):
        render_audio([(0, one_note())], 120.0, engine="casio")
    with pytest.raises(AudioRenderError):
        render_audio([(0, one_note())], 120.0, engine="fluidsynth", soundfont="/nonexistent.sf2")
    audio, engine = render_audio([(0, one_note())], 120.0, engine="builtin")
    assert engine == "builtin" and audio.any()
    # auto falls back to the built-in synthesizer when no SoundFont can be found
    _, engine = render_audio([(0, one_note())], 120.0, engine="auto", soundfont="/nonexistent.sf2")
    assert engine == "builtin"


@pytest.mark.parametrize("fmt, container", [("ogg", "OGG"), ("mp3", "MP3")])
def test_encode_decodes_back(fmt, container):
    audio = synthesize([(0, one_note(60, beats=3.0))], 60.0, SR)
    data = encode_audio(audio, SR, fmt)
    info = sf.info(io.BytesIO(data))
    assert info.format == container and info.samplerate == SR and info.channels == 1
    back, sr = decode_audio(data)
    assert sr == SR and abs(back.shape[0] - audio.shape[0]) < 0.1 * SR


@pytest.mark.parametrize("fmt", ["ogg", "mp3"])
def test_size_limit_lowers_bitrate_then_cuts(fmt):
    sr = 8000  # keeps the encoders quick
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(sr * 20) * 0.3).astype(np.float32)  # 20 s, hard to compress
    full = encode_audio(noise, sr, fmt)
    limit = len(full) // 3
    small = encode_audio(noise, sr, fmt, max_bytes=limit)
    assert len(small) <= limit
    back, _ = decode_audio(small)
    assert sr < back.shape[0] < noise.shape[0]  # cut, but still real audio
    with pytest.raises(ValueError):
        encode_audio(noise, sr, "wav")


_CONCURRENT_IMPORT = """
import importlib, json, threading
from workers.render import audio

bad = 0
for _ in range(20):  # each round: a fresh module state, 8 first calls at once
    importlib.reload(audio)
    barrier = threading.Barrier(8)
    got = []

    def first_call():
        barrier.wait()
        got.append(audio._fluidsynth_module())

    threads = [threading.Thread(target=first_call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bad += sum(m is not None and not hasattr(m, "Synth") for m in got + [audio._fluidsynth_module()])
print(json.dumps({"half_initialised": bad}))
"""


def test_concurrent_first_fluidsynth_imports_never_see_a_half_initialised_module():
    """A warm-up thread and a job importing pyfluidsynth at once in a fresh worker child:
    without libfluidsynth the import fails, and an unlocked second importer used to get
    the first one's partly executed module (``no attribute 'Synth'``), cached for good."""
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    proc = subprocess.run([sys.executable, "-c", _CONCURRENT_IMPORT], cwd=root, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"half_initialised": 0}


def test_a_failed_fluidsynth_import_is_tried_again_later(monkeypatch):
    import importlib.util

    from workers.render import audio

    if importlib.util.find_spec("fluidsynth") is None or fluidsynth_available():
        pytest.skip("needs pyfluidsynth installed without libfluidsynth")
    monkeypatch.setattr(audio, "_fluidsynth_failed_at", None)
    assert audio._fluidsynth_module() is None
    failed_at = audio._fluidsynth_failed_at
    assert failed_at is not None
    assert audio._fluidsynth_module() is None
    assert audio._fluidsynth_failed_at == failed_at  # within the retry interval: not tried again
    monkeypatch.setattr(audio, "FLUIDSYNTH_RETRY_SECONDS", 0.0)
    assert audio._fluidsynth_module() is None
    assert audio._fluidsynth_failed_at > failed_at  # tried again, not cached for good
