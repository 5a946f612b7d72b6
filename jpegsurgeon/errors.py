"""The one error type the package raises for bad input."""

from __future__ import annotations


class JpegError(Exception):
    """Input that cannot be read, parsed or written, located as precisely as known.

    `str()` gives the one line the command line prints: file, byte offset, problem.
    """

    def __init__(self, message: str, offset: int | None = None, source: str | None = None):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.source = source

    def located(self, source: str) -> JpegError:
        """The same error, naming the file it came from."""
        self.source = source
        return self

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.offset is not None:
            where.append(f"offset {self.offset}")
        return ": ".join([", ".join(where), self.message]) if where else self.message


class CheckFailed(JpegError):
    """A check did not pass (Lepton, the audit): exit code 1, not 2."""


class UnsupportedJpeg(JpegError):
    """A valid JPEG using a coding process this tool does not implement."""
