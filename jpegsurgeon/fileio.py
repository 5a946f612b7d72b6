"""Reading inputs within limits, and writing outputs whole or not at all."""

from __future__ import annotations

import os
import stat
import sys

from .errors import JpegError
from .limits import DEFAULT_LIMITS, Limits

SOI = b"\xff\xd8"


def same_file(a: str, b: str) -> bool:
    """True when both paths name one existing file."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _mode_for(path: str) -> int:
    """The replaced file's permissions, or what the umask gives a new file."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: str, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it.

    On any failure, Ctrl-C, SIGTERM and SIGHUP included (the command line
    turns them into exceptions), the target is untouched and the temporary
    file removed.  A symbolic link is written through: the file it names is
    replaced and the link kept.  A hard link is not: the rename gives `path`
    a new file, and the other names keep the old one.
    """
    path = os.path.realpath(path) if os.path.islink(path) else path
    directory = os.path.dirname(os.path.abspath(path))
    # O_EXCL with a random name, as tempfile.mkstemp does, without its import
    # cost; short, so that it fits NAME_MAX whatever the length of `path`
    temporary = os.path.join(directory, f".jpegsurgeon.{os.urandom(6).hex()}.tmp")
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise JpegError(f"cannot write: {error.strerror or error}", source=path) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(error, OSError):
            raise JpegError(f"cannot write: {error.strerror or error}", source=path) from None
        raise


def read_input(path: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """A JPEG file's bytes, or stdin's for "-": refused at once when it does
    not start with SOI, and read through limits.max_input_bytes so that no
    input (/dev/zero, an endless pipe) can exhaust memory."""
    source = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            stream = sys.stdin.buffer
        else:
            mode = os.stat(path).st_mode
            if stat.S_ISDIR(mode):
                raise JpegError("is a directory, not a JPEG file", source=source)
            if not stat.S_ISREG(mode):
                raise JpegError("not a regular file (use - to read a pipe)", source=source)
            stream = open(path, "rb")  # noqa: SIM115 - closed below
        try:
            # A regular file is read in one call sized by the file (a read of
            # n bytes allocates n first, and the limit is hundreds of
            # megabytes); a stream first gives two bytes, so that a
            # non-JPEG (/dev/zero) is refused before anything else is read.
            status = os.fstat(stream.fileno())
            sized = stat.S_ISREG(status.st_mode)
            data = stream.read(min(limits.max_input_bytes, status.st_size + 1) if sized else 2)
            if len(data) < 2 or data[:2] != SOI:
                what = "empty" if not data else f"starts with {data[:2].hex(' ')}, not FF D8 (SOI)"
                raise JpegError(f"not a JPEG: {what}", offset=0, source=source)
            if not sized or len(data) > status.st_size:  # a stream, or a file grown since
                data += stream.read(limits.max_input_bytes - len(data))
            if stream.read(1):
                raise JpegError(
                    f"more than {limits.max_input_bytes} bytes (--max-input-bytes)", source=source
                )
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
    except OSError as error:
        raise JpegError(f"cannot read: {error.strerror or error}", source=source) from None
    return data
