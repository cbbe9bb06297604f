"""A piano-roll picture (PNG bytes) a person wants to look at.

Pitch on y with octave labels (C2, C3, ...) and shaded black-key rows; time on
x in bars with bar lines (stronger every four bars); each note a rounded bar
coloured by its velocity; an optional shaded primer region (``/continue``);
a title with genre, model and tempo. Matplotlib's Agg backend via the
object-oriented API, so nothing touches pyplot's global state and renders in
threads do not interfere.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from models.music.pianoroll import NoteArrays

BACKGROUND = "#16181d"
BLACK_KEY_ROW = "#1d2027"
GRID = "#3a3f4b"
TEXT = "#e6e6e6"
PRIMER = "#ffffff"
BLACK_KEYS = {1, 3, 6, 8, 10}  # pitch classes
CMAP = "plasma"


def _note_name(pitch: int) -> str:
    return f"C{pitch // 12 - 1}"


def render_piano_roll_png(
    notes: NoteArrays,
    *,
    beats_per_bar: int = 4,
    title: str = "",
    primer_beats: float = 0.0,
    total_beats: float | None = None,
    width_px: int = 1200,
    height_px: int = 480,
) -> bytes:
    """Notes (times in beats) -> PNG bytes.

    Args:
        notes: the clip.
        beats_per_bar: for bar lines and the x axis.
        title: shown on top (e.g. "Ragtime · lstm · 100 bpm").
        primer_beats: the first beats came from the user; shaded and labelled.
        total_beats: length of the x axis; default: the last note's end.
    """
    dpi = 100
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, facecolor=BACKGROUND)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.055, 0.12, 0.86, 0.76))
    ax.set_facecolor(BACKGROUND)

    n = len(notes)
    end = total_beats if total_beats is not None else (float(notes.end.max()) if n else 4.0)
    end = max(end, 1e-3)
    if n:
        lo, hi = int(notes.pitch.min()), int(notes.pitch.max())
    else:
        lo, hi = 60, 72
    # at least two octaves, a little margin
    mid = (lo + hi) / 2
    half = max((hi - lo) / 2 + 2, 12)
    y0, y1 = int(np.floor(mid - half)), int(np.ceil(mid + half))

    for p in range(y0, y1 + 1):
        if p % 12 in BLACK_KEYS:
            ax.axhspan(p - 0.5, p + 0.5, color=BLACK_KEY_ROW, lw=0, zorder=0)
        if p % 12 == 0:
            ax.axhline(p - 0.5, color=GRID, lw=0.6, zorder=1)

    bars = np.arange(0.0, end + 1e-9, beats_per_bar)
    for i, b in enumerate(bars):
        strong = i % 4 == 0
        ax.axvline(b, color=GRID, lw=1.0 if strong else 0.4, alpha=1.0 if strong else 0.7, zorder=1)

    if primer_beats > 0:
        ax.axvspan(0, primer_beats, color=PRIMER, alpha=0.06, lw=0, zorder=1)
        ax.axvline(primer_beats, color=PRIMER, lw=1.2, ls="--", alpha=0.7, zorder=3)
        ax.text(primer_beats / 2, y1 - 0.3, "your MIDI", color=TEXT, ha="center", va="top", fontsize=9, alpha=0.8)

    norm = Normalize(vmin=1, vmax=127)
    if n:
        s, e, p = notes.start, notes.end, notes.pitch.astype(np.float64)
        gap = min(0.04, 0.1 / max(1, beats_per_bar))  # a hair of space between repeated notes
        e = np.maximum(e - gap, s + gap)
        h = 0.38
        verts = np.stack(
            [np.stack([s, p - h], 1), np.stack([e, p - h], 1), np.stack([e, p + h], 1), np.stack([s, p + h], 1)],
            axis=1,
        )  # (N, 4, 2)
        coll = PolyCollection(verts, array=notes.velocity.astype(np.float64), cmap=CMAP, norm=norm,
                              edgecolors="none", zorder=2)
        ax.add_collection(coll)
        cax = fig.add_axes((0.93, 0.12, 0.012, 0.76))
        cb = fig.colorbar(coll, cax=cax)
        cb.set_label("velocity", color=TEXT, fontsize=9)
        cb.ax.tick_params(colors=TEXT, labelsize=8)
        cb.outline.set_visible(False)

    ax.set_xlim(0, end)
    ax.set_ylim(y0 - 0.5, y1 + 0.5)
    octaves = [p for p in range(y0, y1 + 1) if p % 12 == 0]
    ax.set_yticks(octaves, [_note_name(p) for p in octaves])
    n_bars = len(bars)
    step = max(1, int(np.ceil(n_bars / 16)))
    ticks = bars[::step]
    ax.set_xticks(ticks, [str(int(round(b / beats_per_bar)) + 1) for b in ticks])
    ax.set_xlabel("bar", color=TEXT, fontsize=9)
    ax.tick_params(colors=TEXT, labelsize=9, length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        fig.suptitle(title, color=TEXT, fontsize=13, x=0.055, y=0.965, ha="left", weight="bold")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor=BACKGROUND, dpi=dpi)
    return buf.getvalue()
