"""Lossless JPEG recompressors, and the verified round trip every check runs.

Three codecs, one contract (compress JPEG bytes, decompress back to the same
bytes):
- `lepton`: lepton-jpeg-python, Microsoft's Rust port of Lepton (the default);
- `lepton-cpp`: Dropbox's reference C++ Lepton, the challenge's binary, run as
  `lepton - -` (found through --lepton-cpp, $JPEGSURGEON_LEPTON_CPP, or
  `lepton` on PATH);
- `jxl`: JPEG XL's lossless JPEG transcoding and reconstruction, through
  imagecodecs' libjxl binding.

A round trip compresses, decompresses and compares; later cycles start from
the same bytes, so they test that compression is deterministic by comparing
compressed bytes.  Those compressions, and different codecs, run in threads:
the bindings release the GIL and the C++ Lepton is a separate process.
Ratios are compressed bytes / JPEG bytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .errors import JpegError

CODEC_NAMES = ("lepton", "lepton-cpp", "jxl")
LEPTON_CPP_ENV = "JPEGSURGEON_LEPTON_CPP"
LEPTON_CPP_TIMEOUT = 600  # seconds; a run that takes longer counts as a failure


class CodecUnavailable(JpegError):
    """A codec that is not installed here; the message says how to get it."""


@dataclass(frozen=True)
class Codec:
    name: str
    description: str
    compress: Callable[[bytes], bytes]
    decompress: Callable[[bytes], bytes]


@dataclass
class CodecResult:
    codec: str
    jpeg_bytes: int
    compressed_bytes: int | None = None
    cycles: int = 0  # cycles that gave identical bytes
    error: str | None = None  # the codec's reason when it rejected or mismatched

    @property
    def verified(self) -> bool:
        return self.error is None

    @property
    def ratio(self) -> float | None:
        """Compressed bytes / JPEG bytes: higher means the codec compresses worse."""
        if self.compressed_bytes is None or not self.jpeg_bytes:
            return None
        return self.compressed_bytes / self.jpeg_bytes

    # the name earlier reports used, when Lepton was the only codec
    @property
    def lepton_bytes(self) -> int | None:
        return self.compressed_bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "codec": self.codec,
            "verified": self.verified,
            "jpeg_bytes": self.jpeg_bytes,
            "compressed_bytes": self.compressed_bytes,
            "ratio": self.ratio,
            "cycles": self.cycles,
            "error": self.error,
        }

    def file_fields(self) -> dict[str, Any]:
        """The result as a file's entry in `verify --json` and `ratios --json`
        reports it: verified, compressed_bytes, ratio, cycles, error."""
        return {k: v for k, v in self.as_dict().items() if k not in ("codec", "jpeg_bytes")}

    def summary(self) -> str:
        return summary_line(self.as_dict())


def summary_line(result: dict[str, Any]) -> str:
    """One line for a round trip, from `CodecResult.as_dict()` (or a report holding it)."""
    if not result["verified"]:
        return f"{result['codec']}: {result['error']}"
    return (
        f"{result['codec']}: {result['compressed_bytes']} bytes from {result['jpeg_bytes']}, "
        f"ratio {result['ratio']:.4f}, {result['cycles']} identical cycles"
    )


# ------------------------------------------------------------------ lepton-rust


def _lepton_rust() -> Codec:
    global _LEPTON_RAN, _LEPTON_IMPORTED_HERE
    if "lepton_jpeg_python" in sys.modules and not _LEPTON_IMPORTED_HERE:
        _LEPTON_RAN = True  # someone else imported it, and may have run it: never fork
    try:
        import lepton_jpeg_python as lepton
    except ImportError:
        raise CodecUnavailable(
            "codec lepton: lepton-jpeg-python is not installed (pip install lepton-jpeg-python)"
        ) from None

    def compress(data: bytes) -> bytes:
        global _LEPTON_RAN
        _LEPTON_RAN = True
        return bytes(lepton.compress_bytes(data))

    def decompress(data: bytes) -> bytes:
        global _LEPTON_RAN
        _LEPTON_RAN = True
        return bytes(lepton.decompress_bytes(data))

    _LEPTON_IMPORTED_HERE = True
    return Codec("lepton", "lepton-jpeg-python (Microsoft's Rust port of Lepton)", compress,
                 decompress)  # fmt: skip


# lepton-jpeg-python's thread pool does not survive a fork: a child forked
# after the parent ran it hangs on its first compression.
_LEPTON_RAN = False
_LEPTON_IMPORTED_HERE = False


def worker_start_method() -> str:
    """How to start worker processes: fork (cheap: the modules are already
    imported) unless lepton-jpeg-python ran in this process, then forkserver."""
    if not sys.platform.startswith("linux"):
        return "spawn"
    return "forkserver" if _LEPTON_RAN else "fork"


# Lepton refusals a different layout avoids, and what to do about each.
_HINTS = (
    ("non optimal eobruns", "write it with --eob-runs maximal: the same coefficients, in EOB "
     "runs Lepton can store"),
    ("arithm", "Lepton cannot read arithmetic-coded JPEGs: add --no-verify to write it unchecked"),
)  # fmt: skip


def _reason(error: BaseException) -> str:
    """A codec's message on one line, without the source locations Rust
    appends, with a hint when the refusal is one a layout option avoids."""
    text = str(error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    reason = first.removeprefix("Compression failed: ").removeprefix("Decompression failed: ")
    for needle, hint in _HINTS:
        if needle in reason:
            return f"{reason} ({hint})"
    return reason


# ------------------------------------------------------------------- lepton-cpp

# The C++ Lepton says little on stderr; its exit code names the reason.
_LEPTON_CPP_EXITS = {
    1: "ASSERTION_FAILURE", 2: "CODING_ERROR", 3: "SHORT_READ", 4: "UNSUPPORTED_4_COLORS",
    6: "COEFFICIENT_OUT_OF_RANGE", 7: "STREAM_INCONSISTENT", 8: "PROGRESSIVE_UNSUPPORTED",
    10: "SAMPLING_BEYOND_TWO_UNSUPPORTED", 11: "SAMPLING_BEYOND_FOUR_UNSUPPORTED",
    12: "THREADING_PARTIAL_MCU", 14: "ONLY_GARBAGE_NO_JPEG", 34: "HEADER_TOO_LARGE",
    35: "DIMENSIONS_TOO_LARGE", 37: "OOM", 38: "TOO_MUCH_MEMORY_NEEDED",
    41: "ROUNDTRIP_FAILURE", 42: "UNSUPPORTED_JPEG", 43: "UNSUPPORTED_JPEG_WITH_ZERO_IDCT_0",
}  # fmt: skip


def built_lepton_cpp() -> str:
    """Where ../shared/tools/build-lepton-cpp.sh leaves the binary it builds."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "lepton-cpp", "lepton")


def lepton_cpp_path(explicit: str | None = None) -> str:
    """The C++ Lepton binary: `explicit`, else $JPEGSURGEON_LEPTON_CPP, else
    `lepton` on PATH, else the one build-lepton-cpp.sh built."""
    for candidate, origin in ((explicit, "--lepton-cpp"), (os.environ.get(LEPTON_CPP_ENV),
                              f"${LEPTON_CPP_ENV}")):  # fmt: skip
        if candidate:
            if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
                raise CodecUnavailable(f"codec lepton-cpp: {origin} {candidate} is no executable")
            return candidate
    found = shutil.which("lepton")
    if found:
        return found
    built = built_lepton_cpp()
    if os.path.isfile(built) and os.access(built, os.X_OK):
        return built
    raise CodecUnavailable(
        "codec lepton-cpp: the C++ Lepton was not found; build it (dropbox/lepton, or "
        "../shared/tools/build-lepton-cpp.sh here) and pass --lepton-cpp PATH or set "
        f"${LEPTON_CPP_ENV}"
    )


class _LeptonCppError(RuntimeError):
    pass


def _lepton_cpp(path: str) -> Codec:
    def run(data: bytes) -> bytes:
        try:
            done = subprocess.run([path, "-", "-"], input=data, capture_output=True,
                                  timeout=LEPTON_CPP_TIMEOUT)  # fmt: skip
        except subprocess.TimeoutExpired:
            raise _LeptonCppError(f"no answer within {LEPTON_CPP_TIMEOUT} s") from None
        except OSError as error:
            raise _LeptonCppError(f"cannot run {path}: {error.strerror}") from None
        if done.returncode != 0 or not done.stdout:
            code = done.returncode
            name = _LEPTON_CPP_EXITS.get(code, f"exit code {code}")
            raise _LeptonCppError(name if code in _LEPTON_CPP_EXITS else f"{name}: "
                                  + _last_line(done.stderr))  # fmt: skip
        return done.stdout

    return Codec("lepton-cpp", f"Dropbox's reference C++ Lepton ({path})", run, run)


def _last_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no message"


# -------------------------------------------------------------------------- jxl


def _jpeg_xl() -> Codec:
    try:
        import imagecodecs
    except ImportError:
        raise CodecUnavailable(
            "codec jxl: imagecodecs is not installed (pip install 'jpegsurgeon[jxl]')"
        ) from None
    if not getattr(imagecodecs, "JPEGXL", None) or not imagecodecs.JPEGXL.available:
        raise CodecUnavailable("codec jxl: this imagecodecs build has no JPEG XL support")
    return Codec(
        "jxl",
        f"JPEG XL lossless JPEG transcoding (libjxl via imagecodecs {imagecodecs.__version__})",
        lambda data: bytes(imagecodecs.jpegxl_encode_jpeg(data)),
        lambda data: bytes(imagecodecs.jpegxl_decode_jpeg(data)),
    )


# ----------------------------------------------------------------- choosing them


def get_codec(name: str, *, lepton_cpp: str | None = None) -> Codec:
    """A codec by name; CodecUnavailable (one line, how to get it) when absent."""
    if name == "lepton":
        return _lepton_rust()
    if name == "lepton-cpp":
        return _lepton_cpp(lepton_cpp_path(lepton_cpp))
    if name == "jxl":
        return _jpeg_xl()
    raise JpegError(f"unknown codec {name!r}: expected one of {', '.join(CODEC_NAMES)} or all")


def resolve_codecs(names: Sequence[str], *, lepton_cpp: str | None = None) -> list[Codec]:
    """The codecs named, in the order given; `all` means every codec installed
    here (at least one).  A codec named explicitly must be available."""
    chosen: list[Codec] = []
    for name in names or ("lepton",):
        if name == "all":
            for candidate in CODEC_NAMES:
                try:
                    codec = get_codec(candidate, lepton_cpp=lepton_cpp)
                except CodecUnavailable:
                    continue
                if all(c.name != codec.name for c in chosen):
                    chosen.append(codec)
            if not chosen:
                raise CodecUnavailable("no codec is installed")
        elif all(c.name != name for c in chosen):
            chosen.append(get_codec(name, lepton_cpp=lepton_cpp))
    return chosen


# --------------------------------------------------------------- the round trip


def round_trip(
    jpeg: bytes,
    codec: Codec | str = "lepton",
    cycles: int = 3,
    max_bytes: int | None = None,
    *,
    pool: ThreadPoolExecutor | None = None,
) -> CodecResult:
    """Compress and decompress once, comparing bytes; then compress again
    cycles - 1 times, each compression identical to the first.  Files over
    `max_bytes` are not handed to the codec and so are not verified."""
    codec = get_codec(codec) if isinstance(codec, str) else codec
    result = CodecResult(codec.name, len(jpeg))
    if max_bytes is not None and len(jpeg) > max_bytes:
        result.error = f"check skipped: {len(jpeg)} bytes exceed the limit of {max_bytes}"
        return result
    own_pool = pool is None and cycles > 1
    executor = ThreadPoolExecutor(max_workers=2) if own_pool else pool
    repeats: list = []
    try:
        # the repeat compressions need nothing from the first cycle: start them
        # now, in a child process when the codec holds the GIL and may fork
        if codec.name == "lepton" and cycles > 1 and not _LEPTON_RAN and hasattr(os, "fork"):
            repeats = _compress_in_child(codec, jpeg, cycles - 1)
        else:
            repeats = [executor.submit(codec.compress, jpeg) for _ in range(cycles - 1)]
        try:
            packed = codec.compress(jpeg)
        except Exception as error:  # each binding raises its own exception types
            result.error = f"rejected: {_reason(error)}"
            return result
        result.compressed_bytes = len(packed)
        try:
            restored = codec.decompress(packed)
        except Exception as error:
            result.error = f"cannot decompress its own output: {_reason(error)}"
            return result
        if restored != jpeg:
            result.error = "cycle 1: decompressed JPEG differs from the original"
            return result
        result.cycles = 1
        for cycle, future in enumerate(repeats, start=2):
            try:
                again = future.result()
            except Exception as error:
                result.error = f"cycle {cycle}: rejected: {_reason(error)}"
                return result
            if again != packed and again != hashlib.sha256(packed).digest():
                result.error = f"cycle {cycle}: compressed bytes differ from the first cycle's"
                return result
            result.cycles = cycle
        return result
    finally:
        if repeats and isinstance(repeats[0], _ChildCompression):
            repeats[0].reader.close()  # stop and reap the child, whatever happened here
        if own_pool:
            executor.shutdown(wait=True, cancel_futures=True)


class _ChildCompression:
    """One repeat compression done by a forked child: its result is the
    SHA-256 of the compressed bytes (all a determinism check needs), read
    from the pipe the child writes the digests of every repeat to."""

    def __init__(self, reader: _DigestReader, index: int) -> None:
        self.reader, self.index = reader, index

    def result(self) -> bytes:
        digests = self.reader.digests()
        if self.index >= len(digests):
            raise RuntimeError("the compression failed in the checking process")
        return digests[self.index]


class _DigestReader:
    def __init__(self, descriptor: int, pid: int) -> None:
        self.pipe, self.pid = os.fdopen(descriptor, "rb"), pid
        self.read: list[bytes] | None = None

    def digests(self) -> list[bytes]:
        if self.read is None:
            data = self.pipe.read()  # to the child's end of file
            self.read = [data[i : i + 32] for i in range(0, len(data) - 31, 32)]
            self.close()
        return self.read

    def close(self) -> None:
        """Reap the child; one whose digests are not wanted (the check ended
        early, or a signal interrupted the read) is killed first."""
        if self.pid is None:
            return
        if self.read is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.pipe.close()
        os.waitpid(self.pid, 0)
        self.pid = None


def _compress_in_child(codec: Codec, jpeg: bytes, times: int) -> list[_ChildCompression]:
    """Compress `times` times in a forked child, beside the parent's first
    cycle: lepton-jpeg-python holds the GIL, so threads would take turns.
    Forking is safe only before the binding has run in this process."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: digests of each compression, then exit at once
        try:
            os.close(reader)
            with os.fdopen(writer, "wb") as pipe:
                for _ in range(times):
                    pipe.write(hashlib.sha256(codec.compress(jpeg)).digest())
                    pipe.flush()
        finally:
            os._exit(0)
    os.close(writer)
    shared = _DigestReader(reader, pid)
    return [_ChildCompression(shared, index) for index in range(times)]


def round_trips(
    jpeg: bytes, codecs: Sequence[Codec], cycles: int = 3, max_bytes: int | None = None
) -> dict[str, CodecResult]:
    """Every codec's round trip of one file, the codecs side by side."""
    if len(codecs) == 1:
        return {codecs[0].name: round_trip(jpeg, codecs[0], cycles, max_bytes)}
    with ThreadPoolExecutor(max_workers=len(codecs)) as outer, ThreadPoolExecutor(2) as inner:
        futures = {
            c.name: outer.submit(round_trip, jpeg, c, cycles, max_bytes, pool=inner) for c in codecs
        }
        return {name: future.result() for name, future in futures.items()}
