"""Generate the small JPEG test fixtures in ``fixtures/``.

Every fixture is made from a synthetic image drawn with numpy from a fixed
seed (smooth gradients, a low-frequency wave, hard-edged shapes, a striped
patch and mild noise, so the DCT has real AC content without being pure
noise). The images are written as PPM/PGM to a temporary directory and
encoded with libjpeg-turbo's ``cjpeg``/``jpegtran`` (or Pillow, for the
fixtures that are explicitly about Pillow's encoder or CMYK). A few fixtures
are then edited at the byte level (JFIF density, COM segment, truncation,
trailing garbage).

The script also writes ``fixtures/README.md`` (a table of every file and what
it exercises) and verifies each file: Pillow must open and load it, and
``jpeglib.read_dct`` must read its coefficients (failures are reported;
truncated files are allowed to fail there).

Rerun from the repository root (or anywhere) with::

    python tools/make_fixtures.py

Output is deterministic for a given libjpeg-turbo / Pillow version.
Requires: numpy, Pillow, jpeglib, and ``cjpeg`` + ``jpegtran`` on PATH
(Debian/Ubuntu package ``libjpeg-turbo-progs``).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile

try:
    import jpeglib
except ImportError:  # reported by main()
    jpeglib = None

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = REPO_ROOT / "fixtures"
SEED = 20240611

# Default odd size: not a multiple of 8 or 16, so every subsampling mode has
# partial MCUs at the right and bottom edges.
W, H = 203, 157

SOF_NAMES = {
    0xC0: "SOF0 baseline",
    0xC1: "SOF1 extended",
    0xC2: "SOF2 progressive",
    0xC3: "SOF3 lossless",
    0xC9: "SOF9 arithmetic",
    0xCA: "SOF10 arith-progressive",
}


# --------------------------------------------------------------------------
# Synthetic source images
# --------------------------------------------------------------------------


def synth_image(width: int, height: int, channels: int, seed: int) -> np.ndarray:
    """Return a deterministic ``(height, width, channels)`` uint8 test image."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    u = xx / max(width - 1, 1)
    v = yy / max(height - 1, 1)

    # Shape masks are shared by all channels so colour edges line up, as in
    # a real photo; each channel gets its own intensity for each shape.
    masks: list[np.ndarray] = []
    for _ in range(3):  # discs
        cx, cy = rng.uniform(0.15, 0.85, 2)
        r = rng.uniform(0.08, 0.25)
        masks.append(((u - cx) ** 2 + ((v - cy) * height / max(width, 1)) ** 2) < r * r)
    for _ in range(2):  # rectangles
        x0, y0 = rng.uniform(0.0, 0.7, 2)
        w0, h0 = rng.uniform(0.1, 0.35, 2)
        masks.append((u >= x0) & (u < x0 + w0) & (v >= y0) & (v < y0 + h0))
    # A triangle (diagonal edge, not block aligned).
    masks.append((u + v > 1.2) & (u < 0.9) & (v < 0.95))
    # A striped patch: mid/high-frequency texture.
    sx0, sy0 = rng.uniform(0.05, 0.55, 2)
    stripe_region = (u >= sx0) & (u < sx0 + 0.35) & (v >= sy0) & (v < sy0 + 0.35)
    stripes = np.sin((xx + 0.6 * yy) * 2 * np.pi / 5.5)

    planes = []
    for _ in range(channels):
        a, b = rng.uniform(-90, 90, 2)
        plane = 128 + a * (u - 0.5) + b * (v - 0.5)
        fx, fy, ph = (
            rng.uniform(0.5, 2.5),
            rng.uniform(0.5, 2.5),
            rng.uniform(0, 2 * np.pi),
        )
        plane += 20 * np.sin(2 * np.pi * (fx * u + fy * v) + ph)
        for m in masks:
            # Flat fill plus a gentle shading ramp, so shapes are not perfectly flat.
            level, sx, sy = (
                rng.uniform(20, 235),
                rng.uniform(-40, 40),
                rng.uniform(-40, 40),
            )
            plane = np.where(m, level + sx * (u - 0.5) + sy * (v - 0.5), plane)
        plane = np.where(stripe_region, plane + 35 * stripes, plane)
        planes.append(plane)
    img = np.stack(planes, axis=-1)
    img += rng.normal(0.0, 2.5, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write_pnm(path: Path, img: np.ndarray) -> Path:
    """Write ``img`` as binary PGM (1 channel) or PPM (3 channels)."""
    height, width, channels = img.shape
    magic = {1: b"P5", 3: b"P6"}[channels]
    path.write_bytes(magic + b"\n%d %d\n255\n" % (width, height) + img.tobytes())
    return path


# --------------------------------------------------------------------------
# Encoders and byte-level edits
# --------------------------------------------------------------------------


def run(cmd: list[str]) -> None:
    """Run an external command, failing loudly with its stderr."""
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")


def cjpeg(src: Path, args: list[str]) -> bytes:
    """Encode ``src`` (PPM/PGM) with cjpeg and return the JPEG bytes."""
    out = src.with_name(src.stem + "_out.jpg")
    run(["cjpeg", *args, "-outfile", str(out), str(src)])
    return out.read_bytes()


def jpegtran(data: bytes, args: list[str], tmp: Path) -> bytes:
    """Losslessly transcode ``data`` with jpegtran and return the result."""
    src = tmp / "jpegtran_in.jpg"
    out = tmp / "jpegtran_out.jpg"
    src.write_bytes(data)
    run(["jpegtran", *args, "-outfile", str(out), str(src)])
    return out.read_bytes()


def pillow_encode(img: np.ndarray, mode: str, **kwargs: object) -> bytes:
    """Encode ``img`` with Pillow's JPEG encoder."""
    height, width = img.shape[:2]
    pil = Image.frombytes(mode, (width, height), img.tobytes())
    buf = io.BytesIO()
    pil.save(buf, format="JPEG", **kwargs)
    return buf.getvalue()


@dataclass
class Segment:
    """One marker segment (or entropy-coded span) of a JPEG file."""

    marker: int  # 0xD8, 0xC0, ...; -1 for entropy-coded data
    start: int  # offset of the 0xFF (or of the first entropy byte)
    end: int  # offset one past the segment


def parse_segments(data: bytes) -> list[Segment]:
    """Split a JPEG into marker segments and entropy-coded spans.

    Tolerant of truncation and of bytes after EOI (parsing stops at EOI).
    RST markers inside entropy data are kept inside the entropy span.
    """
    segs: list[Segment] = []
    if data[:2] != b"\xff\xd8":
        raise ValueError("no SOI")
    segs.append(Segment(0xD8, 0, 2))
    pos = 2
    n = len(data)
    while pos < n:
        if data[pos] != 0xFF:
            raise ValueError(f"expected marker at {pos}")
        while pos + 1 < n and data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        if pos + 1 >= n:
            break
        marker = data[pos + 1]
        if marker == 0xD9:
            segs.append(Segment(marker, pos, pos + 2))
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            segs.append(Segment(marker, pos, pos + 2))
            pos += 2
            continue
        if pos + 4 > n:
            segs.append(Segment(marker, pos, n))
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = min(pos + 2 + length, n)
        segs.append(Segment(marker, pos, end))
        pos = end
        if marker == 0xDA:  # entropy-coded data follows until a non-RST marker
            scan = pos
            while scan < n:
                if data[scan] == 0xFF and scan + 1 < n:
                    nxt = data[scan + 1]
                    if nxt != 0x00 and not 0xD0 <= nxt <= 0xD7 and nxt != 0xFF:
                        break
                scan += 1
            segs.append(Segment(-1, pos, scan))
            pos = scan
    return segs


def entropy_spans(data: bytes) -> list[Segment]:
    """Entropy-coded spans, one per scan, in file order."""
    return [s for s in parse_segments(data) if s.marker == -1]


def safe_cut(data: bytes, cut: int) -> bytes:
    """Cut ``data`` at ``cut``, backing off so it does not end on a lone 0xFF."""
    while cut > 0 and data[cut - 1] == 0xFF:
        cut -= 1
    return data[:cut]


def set_jfif_density(data: bytes, units: int, xdens: int, ydens: int) -> bytes:
    """Rewrite the density fields of the JFIF APP0 segment in place."""
    for seg in parse_segments(data):
        if seg.marker == 0xE0 and data[seg.start + 4 : seg.start + 9] == b"JFIF\x00":
            off = seg.start + 11  # FF E0 len(2) 'JFIF\0'(5) version(2)
            patched = bytearray(data)
            patched[off : off + 5] = struct.pack(">BHH", units, xdens, ydens)
            return bytes(patched)
    raise ValueError("no JFIF APP0 segment")


def insert_comment(data: bytes, text: str) -> bytes:
    """Insert a COM segment right after the JFIF APP0 (or after SOI)."""
    payload = text.encode("ascii")
    com = b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload
    segs = parse_segments(data)
    at = segs[1].end if segs[1].marker == 0xE0 else 2
    return data[:at] + com + data[at:]


# --------------------------------------------------------------------------
# Fixture definitions
# --------------------------------------------------------------------------


@dataclass
class Fixture:
    """One fixture file: how to make it and what it is for."""

    name: str
    purpose: str
    make: Callable[[Path], bytes]
    truncated: bool = False
    arithmetic: bool = False  # jpeglib's libjpeg cannot read arithmetic coding
    notes: list[str] = field(default_factory=list)


def color_src(tmp: Path, width: int = W, height: int = H, seed: int = 0) -> Path:
    """Write the colour source image for (width, height, seed); return its path."""
    path = tmp / f"src_{width}x{height}_{seed}.ppm"
    if not path.exists():
        write_pnm(path, synth_image(width, height, 3, SEED + seed))
    return path


def gray_src(tmp: Path, width: int = W, height: int = H, seed: int = 0) -> Path:
    """Write the grayscale source image for (width, height, seed); return its path."""
    path = tmp / f"src_{width}x{height}_{seed}.pgm"
    if not path.exists():
        write_pnm(path, synth_image(width, height, 1, SEED + seed))
    return path


def scan_script(tmp: Path, name: str, text: str) -> str:
    """Write a cjpeg/jpegtran scan script and return its path."""
    path = tmp / name
    path.write_text(text)
    return str(path)


def make_photo(tmp: Path) -> bytes:
    """640x480 4:2:0 baseline q85, JFIF density 72x72 dpi, one COM segment."""
    data = cjpeg(color_src(tmp, 640, 480, seed=1), ["-quality", "85", "-sample", "2x2"])
    data = set_jfif_density(data, units=1, xdens=72, ydens=72)
    return insert_comment(data, "jpegsurgeon fixture: photo.jpg (synthetic)")


def make_truncated_baseline(tmp: Path) -> bytes:
    """4:2:0 baseline cut at 60% of its entropy data (no EOI)."""
    data = cjpeg(color_src(tmp, seed=2), ["-quality", "75", "-sample", "2x2"])
    (span,) = entropy_spans(data)
    return safe_cut(data, span.start + (span.end - span.start) * 6 // 10)


def make_truncated_progressive(tmp: Path) -> bytes:
    """4:2:0 progressive cut midway through a later scan (no EOI).

    The cut scan is the largest one in the second half, excluding the last,
    so that whole scans after it are missing too (scan 6 of 10 with
    libjpeg-turbo 2.1: the luma AC refinement, Ah=2 Al=1).
    """
    data = cjpeg(color_src(tmp, seed=3), ["-quality", "75", "-sample", "2x2", "-progressive"])
    spans = entropy_spans(data)
    later = spans[len(spans) // 2 : -1]
    span = max(later, key=lambda sp: sp.end - sp.start)
    return safe_cut(data, span.start + (span.end - span.start) // 2)


def make_trailing_garbage(tmp: Path) -> bytes:
    """4:2:0 baseline with three junk bytes after EOI."""
    data = cjpeg(color_src(tmp, seed=4), ["-quality", "75", "-sample", "2x2"])
    assert data.endswith(b"\xff\xd9")
    return data + b"\x00\xa5\x5a"


def make_noninterleaved(tmp: Path) -> bytes:
    """4:2:0 sequential with one scan per component."""
    script = scan_script(tmp, "noninterleaved.txt", "0;\n1;\n2;\n")
    return cjpeg(color_src(tmp), ["-quality", "75", "-sample", "2x2", "-scans", script])


def make_mixed_scans(tmp: Path) -> bytes:
    """4:2:0 sequential: luma alone, then Cb+Cr interleaved in one scan."""
    script = scan_script(tmp, "mixed.txt", "0;\n1 2;\n")
    return cjpeg(color_src(tmp), ["-quality", "75", "-sample", "2x2", "-scans", script])


def make_noninterleaved_jpegtran(tmp: Path) -> bytes:
    """4:2:2 baseline re-scanned losslessly by jpegtran into 3 scans (Y, Cr, Cb)."""
    base = cjpeg(color_src(tmp, seed=5), ["-quality", "80", "-sample", "2x1"])
    script = scan_script(tmp, "noninterleaved_rev.txt", "0;\n2;\n1;\n")
    return jpegtran(base, ["-copy", "none", "-scans", script], tmp)


def make_arithmetic(source: Callable[[Path], bytes], *args: str) -> Callable[[Path], bytes]:
    """Fixture maker: a source fixture recoded losslessly by jpegtran -arithmetic,
    so its coefficients equal the Huffman-coded source's."""

    def make(tmp: Path) -> bytes:
        return jpegtran(source(tmp), ["-copy", "none", "-arithmetic", *args], tmp)

    return make


def cj(
    *args: str, gray: bool = False, seed: int = 0, size: tuple[int, int] = (W, H)
) -> Callable[[Path], bytes]:
    """Fixture maker: cjpeg with ``args`` on the standard colour/gray source."""

    def make(tmp: Path) -> bytes:
        src = gray_src(tmp, *size, seed=seed) if gray else color_src(tmp, *size, seed=seed)
        return cjpeg(src, list(args))

    return make


def pil(
    mode: str, seed: int, size: tuple[int, int] = (W, H), **kwargs: object
) -> Callable[[Path], bytes]:
    """Fixture maker: Pillow encoder on a synthetic image of ``mode``."""

    def make(tmp: Path) -> bytes:
        channels = len(mode)
        img = synth_image(size[0], size[1], channels, SEED + seed)
        return pillow_encode(img, mode, **kwargs)

    return make


FIXTURES: list[Fixture] = [
    # -- sequential baseline, sampling factors ------------------------------
    Fixture(
        "baseline_420_203x157.jpg",
        "Baseline 4:2:0 (Y 2x2), partial MCUs right and bottom",
        cj("-quality", "75", "-sample", "2x2"),
    ),
    Fixture(
        "baseline_422_203x157.jpg",
        "Baseline 4:2:2 (Y 2x1)",
        cj("-quality", "75", "-sample", "2x1"),
    ),
    Fixture(
        "baseline_440_203x157.jpg",
        "Baseline 4:4:0 (Y 1x2)",
        cj("-quality", "75", "-sample", "1x2"),
    ),
    Fixture(
        "baseline_444_203x157.jpg",
        "Baseline 4:4:4 (all 1x1)",
        cj("-quality", "75", "-sample", "1x1"),
    ),
    Fixture(
        "gray_baseline_203x157.jpg",
        "Baseline grayscale, single component",
        cj("-quality", "75", "-grayscale", gray=True),
    ),
    Fixture(
        "baseline_411_h4v1_203x157.jpg",
        "Baseline 4:1:1, luma sampling 4x1 (MCU 32x8)",
        cj("-quality", "75", "-sample", "4x1"),
    ),
    Fixture(
        "baseline_h1v4_203x157.jpg",
        "Baseline, luma sampling 1x4 (MCU 8x32)",
        cj("-quality", "75", "-sample", "1x4"),
    ),
    Fixture(
        "baseline_h4v2_203x157.jpg",
        "Baseline, luma sampling 4x2: 10 blocks per MCU (the maximum)",
        cj("-quality", "75", "-sample", "4x2"),
    ),
    # -- restart intervals --------------------------------------------------
    Fixture(
        "restart_1row_420_203x157.jpg",
        "Baseline 4:2:0, DRI every MCU row (-restart 1 = 13 MCUs)",
        cj("-quality", "75", "-sample", "2x2", "-restart", "1"),
    ),
    Fixture(
        "restart_5mcu_420_203x157.jpg",
        "Baseline 4:2:0, DRI of 5 MCUs, does not divide the 13-MCU row",
        cj("-quality", "75", "-sample", "2x2", "-restart", "5B"),
    ),
    Fixture(
        "restart_3mcu_gray_203x157.jpg",
        "Baseline grayscale, DRI of 3 MCUs (26-block rows)",
        cj("-quality", "75", "-grayscale", "-restart", "3B", gray=True),
    ),
    # -- progressive ----------------------------------------------------------
    Fixture(
        "progressive_420_203x157.jpg",
        "Progressive 4:2:0, libjpeg default scan script (DC/AC, refinement)",
        cj("-quality", "75", "-sample", "2x2", "-progressive"),
    ),
    Fixture(
        "progressive_gray_203x157.jpg",
        "Progressive grayscale",
        cj("-quality", "75", "-grayscale", "-progressive", gray=True),
    ),
    Fixture(
        "progressive_restart_420_203x157.jpg",
        "Progressive 4:2:0 with DRI of 7 MCUs (blocks in non-interleaved AC scans)",
        cj("-quality", "75", "-sample", "2x2", "-progressive", "-restart", "7B"),
    ),
    # -- multi-scan sequential -----------------------------------------------
    Fixture(
        "noninterleaved_420_203x157.jpg",
        "Baseline 4:2:0, three non-interleaved scans (Y; Cb; Cr)",
        make_noninterleaved,
    ),
    Fixture(
        "mixed_scans_420_203x157.jpg",
        "Baseline 4:2:0, two scans: Y alone, then Cb+Cr interleaved",
        make_mixed_scans,
    ),
    Fixture(
        "noninterleaved_jpegtran_422_203x157.jpg",
        "Baseline 4:2:2 rescanned by jpegtran into scans Y; Cr; Cb (not frame order)",
        make_noninterleaved_jpegtran,
    ),
    # -- extended sequential --------------------------------------------------
    Fixture(
        "extended_sof1_q20_203x157.jpg",
        "Extended sequential SOF1 (Huffman), 16-bit quant tables (cjpeg -quality 20)",
        cj("-quality", "20", "-sample", "2x2"),
    ),
    # -- Pillow encoder ---------------------------------------------------------
    Fixture(
        "cmyk_pillow_203x157.jpg",
        "4-component CMYK (Pillow, Adobe APP14), all 1x1",
        pil("CMYK", seed=10, quality=70),
    ),
    Fixture(
        "pillow_q90_203x157.jpg",
        "Pillow default encoder settings, RGB, quality 90",
        pil("RGB", seed=11, quality=90),
    ),
    Fixture(
        "pillow_q90_optimize_203x157.jpg",
        "Pillow RGB quality 90, optimize=True (optimised Huffman tables)",
        pil("RGB", seed=11, quality=90, optimize=True),
    ),
    # -- tiny images ------------------------------------------------------------
    Fixture(
        "tiny_1x1.jpg",
        "1x1 colour 4:2:0: one 16x16 MCU, all but one pixel padding",
        cj("-quality", "75", "-sample", "2x2", seed=20, size=(1, 1)),
    ),
    Fixture(
        "tiny_8x8.jpg",
        "8x8 colour 4:2:0: one 16x16 MCU, a quarter of it covered",
        cj("-quality", "75", "-sample", "2x2", seed=21, size=(8, 8)),
    ),
    # -- main fixture -------------------------------------------------------------
    Fixture(
        "photo.jpg",
        "Main fixture: 640x480 4:2:0 baseline q85, JFIF density 72x72 dpi, one COM",
        make_photo,
    ),
    # -- arithmetic coding (lossless recodings of Huffman fixtures above) ------------
    Fixture(
        "arithmetic_420_203x157.jpg",
        "SOF9 sequential arithmetic coding, 4:2:0 (jpegtran -arithmetic of baseline_420)",
        make_arithmetic(cj("-quality", "75", "-sample", "2x2")),
        arithmetic=True,
    ),
    Fixture(
        "arithmetic_progressive_restart_444_203x157.jpg",
        "SOF10 progressive arithmetic coding, 4:4:4, restart every 3 MCUs (of baseline_444)",
        make_arithmetic(cj("-quality", "75", "-sample", "1x1"), "-progressive", "-restart", "3B"),
        arithmetic=True,
    ),
    # -- damaged files -------------------------------------------------------------
    Fixture(
        "truncated_baseline_420_203x157.jpg",
        "Baseline 4:2:0 cut at 60% of its entropy data, no EOI",
        make_truncated_baseline,
        truncated=True,
    ),
    Fixture(
        "truncated_progressive_420_203x157.jpg",
        "Progressive 4:2:0 cut midway through a later AC scan; rest and EOI missing",
        make_truncated_progressive,
        truncated=True,
    ),
    Fixture(
        "trailing_garbage_420_203x157.jpg",
        "Baseline 4:2:0 with 3 bytes (00 a5 5a) after EOI",
        make_trailing_garbage,
    ),
]


# --------------------------------------------------------------------------
# Description and verification
# --------------------------------------------------------------------------


MARKER_LABELS = {
    0xD8: "SOI",
    0xD9: "EOI",
    0xDA: "SOS",
    0xDB: "DQT",
    0xC4: "DHT",
    0xDD: "DRI",
    0xFE: "COM",
}


def marker_label(marker: int, body: bytes, progressive: bool) -> str:
    """Return a short label for one marker.

    SOS shows its component ids (plus spectral selection and successive
    approximation for progressive scans); DQT shows its table precisions.
    """
    if marker == 0xDA and body:
        ncomp = body[0]
        ids = ",".join(str(body[1 + 2 * i]) for i in range(ncomp) if 1 + 2 * i < len(body))
        if progressive and len(body) >= 1 + 2 * ncomp + 3:
            ss, se, ahal = body[1 + 2 * ncomp : 4 + 2 * ncomp]
            return f"SOS{{{ids};{ss}-{se};{ahal >> 4}/{ahal & 15}}}"
        return f"SOS{{{ids}}}"
    if marker == 0xDB:
        precisions = []
        pos = 0
        while pos < len(body):
            pq = body[pos] >> 4
            precisions.append("16" if pq else "8")
            pos += 1 + 64 * (2 if pq else 1)
        return f"DQT({','.join(precisions)}-bit)"
    if marker in MARKER_LABELS:
        return MARKER_LABELS[marker]
    if marker in SOF_NAMES:
        return SOF_NAMES[marker].split(" ")[0]
    if 0xE0 <= marker <= 0xEF:
        return f"APP{marker - 0xE0}"
    return f"FF{marker:02X}"


def describe(data: bytes) -> dict[str, str]:
    """Summarise the frame type, size, sampling, scans and markers of a JPEG."""
    info = {
        "sof": "?",
        "size": "?",
        "sampling": "?",
        "scans": "0",
        "dri": "-",
        "rst": "0",
        "markers": "",
        "eoi": "no",
    }
    labels: list[str] = []
    counts: list[int] = []
    scans = 0
    rst = 0
    progressive = False
    for seg in parse_segments(data):
        if seg.marker == -1:
            span = data[seg.start : seg.end]
            rst += sum(span.count(bytes([0xFF, 0xD0 + k])) for k in range(8))
            continue
        m = seg.marker
        body = data[seg.start + 4 : seg.end]
        if m in SOF_NAMES and len(body) >= 6:
            info["sof"] = SOF_NAMES[m]
            progressive = m in (0xC2, 0xCA)
            _prec, hgt, wid, ncomp = struct.unpack(">BHHB", body[:6])
            info["size"] = f"{wid}x{hgt}"
            comps = [body[6 + 3 * i : 9 + 3 * i] for i in range(ncomp)]
            info["sampling"] = ",".join(f"{c[1] >> 4}x{c[1] & 15}" for c in comps if len(c) == 3)
        elif m == 0xDD and len(body) >= 2:
            info["dri"] = str(struct.unpack(">H", body[:2])[0])
        elif m == 0xDA:
            scans += 1
        elif m == 0xD9:
            info["eoi"] = "yes"
        label = marker_label(m, body, progressive)
        if labels and labels[-1] == label:
            counts[-1] += 1
        else:
            labels.append(label)
            counts.append(1)
    info["scans"] = str(scans)
    info["rst"] = str(rst)
    info["markers"] = " ".join(
        lab if n == 1 else f"{lab}x{n}" for lab, n in zip(labels, counts, strict=True)
    )
    return info


@contextlib.contextmanager
def capture_stderr_fd() -> Iterator[list[str]]:
    """Capture what C libraries (libjpeg) print on file descriptor 2."""
    lines: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", errors="replace")
            lines.extend(line for line in text.splitlines() if line.strip())


def verify(path: Path, fx: Fixture) -> list[str]:
    """Check the file with Pillow and jpeglib; return a list of problems."""
    with capture_stderr_fd() as printed:
        problems = _verify(path, fx)
    fx.notes.extend(f"libjpeg printed: {line}" for line in printed)
    return problems


def _verify(path: Path, fx: Fixture) -> list[str]:
    assert jpeglib is not None
    problems: list[str] = []
    ImageFile.LOAD_TRUNCATED_IMAGES = fx.truncated
    try:
        with Image.open(path) as im:
            im.load()
    except Exception as exc:  # noqa: BLE001 - report anything
        problems.append(f"Pillow: {type(exc).__name__}: {exc}")
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            jpg = jpeglib.read_dct(str(path))
            y = jpg.Y
            if y is None or y.size == 0:
                problems.append("jpeglib: no Y coefficients")
            elif (
                not np.any(y[..., 1:, :] != 0)
                and not np.any(y[..., :, 1:] != 0)
                and y.shape[0] * y.shape[1] > 1
            ):
                problems.append("jpeglib: luma has no AC coefficients")
        for w in caught:
            fx.notes.append(f"jpeglib warning: {w.message}")
    except Exception as exc:  # noqa: BLE001 - report anything
        msg = f"jpeglib: {type(exc).__name__}: {exc}"
        if fx.truncated:
            fx.notes.append(msg + " (expected for a truncated file)")
        elif fx.arithmetic:
            fx.notes.append(msg + " (expected: its libjpeg lacks arithmetic decoding)")
        else:
            problems.append(msg)
    return problems


def write_readme(rows: list[tuple[Fixture, int, dict[str, str]]]) -> None:
    """Write fixtures/README.md with one table row per fixture."""
    lines = [
        "# JPEG test fixtures",
        "",
        "Generated by `tools/make_fixtures.py`; do not edit by hand. Regenerate with:",
        "",
        "```",
        "python tools/make_fixtures.py",
        "```",
        "",
        "Sources are synthetic (numpy, fixed seed): gradients, a low-frequency",
        "wave, hard-edged shapes, a striped patch and mild noise. Encoded with",
        "libjpeg-turbo `cjpeg`/`jpegtran` unless the name says `pillow`. Most are",
        "203x157 so partial MCUs occur at the right and bottom edges for every",
        "sampling mode. Sampling lists H x V per component; DRI is the restart",
        "interval in MCUs and RSTs the number of RST markers in the entropy data.",
        "",
        "| file | bytes | frame | size | sampling | scans | DRI | RSTs | exercises |",
        "| --- | ---: | --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    for fx, nbytes, info in rows:
        cells = [
            f"`{fx.name}`",
            str(nbytes),
            info["sof"],
            info["size"],
            info["sampling"],
            info["scans"],
            info["dri"],
            info["rst"],
            fx.purpose,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Marker sequence of each file (runs collapsed, e.g. `DHTx4`):", ""]
    for fx, _nbytes, info in rows:
        tail = "" if info["eoi"] == "yes" else " (no EOI)"
        lines.append(f"- `{fx.name}`: {info['markers']}{tail}")
    lines.append("")
    (FIXTURES_DIR / "README.md").write_text("\n".join(lines))


def main() -> int:
    """Generate, verify and describe every fixture."""
    missing = [tool for tool in ("cjpeg", "jpegtran") if shutil.which(tool) is None]
    if missing:
        sys.exit(
            f"error: {', '.join(missing)} not found on PATH.\n"
            "Install libjpeg-turbo-progs (apt-get install libjpeg-turbo-progs),\n"
            "then rerun: python tools/make_fixtures.py"
        )
    if jpeglib is None:
        sys.exit("error: the jpeglib package is needed to verify (pip install jpeglib)")

    FIXTURES_DIR.mkdir(exist_ok=True)
    rows: list[tuple[Fixture, int, dict[str, str]]] = []
    failures = 0
    with tempfile.TemporaryDirectory(prefix="jpegsurgeon-fixtures-") as tmpname:
        tmp = Path(tmpname)
        for fx in FIXTURES:
            data = fx.make(tmp)
            path = FIXTURES_DIR / fx.name
            path.write_bytes(data)
            info = describe(data)
            problems = verify(path, fx)
            rows.append((fx, len(data), info))
            status = "ok" if not problems else "FAIL"
            print(
                f"{status:4} {fx.name:40} {len(data):6d} B  {info['sof']:16} "
                f"{info['size']:>7} {info['sampling']:15} scans={info['scans']:2} "
                f"dri={info['dri']:3} rst={info['rst']:3}  {fx.purpose}"
            )
            for note in fx.notes:
                print(f"       note: {note}")
            for problem in problems:
                print(f"       problem: {problem}")
            failures += bool(problems)

    write_readme(rows)
    total = sum(n for _fx, n, _info in rows)
    print(f"\n{len(rows)} fixtures, {total} bytes total, written to {FIXTURES_DIR}")
    if failures:
        print(f"{failures} fixture(s) failed verification", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
