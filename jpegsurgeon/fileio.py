"""Writing output files so that a failure never leaves a partial one."""

from __future__ import annotations

import os

from .errors import JpegError


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

    On any failure, Ctrl-C included, the target is untouched and the
    temporary file removed.
    """
    directory = os.path.dirname(os.path.abspath(path))
    # O_EXCL with a random name, as tempfile.mkstemp does, without its import cost
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{os.urandom(6).hex()}.tmp")
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
