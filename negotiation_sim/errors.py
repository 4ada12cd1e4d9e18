"""The one error type users see for bad input, and how it prints."""

from __future__ import annotations

import errno


class ScenarioError(ValueError):
    """Bad input: names the file, the key path and what is allowed.

    ``problems`` holds every problem found (``validate`` reports them all); ``str()``
    gives the first one as the single line the command line prints.
    """

    def __init__(self, problems: list[tuple[str, str]], source: str = "<scenario>") -> None:
        self.problems = problems
        self.source = source
        super().__init__(self.line(0))

    def line(self, i: int) -> str:
        key, message = self.problems[i]
        return f"{self.source}: {key}: {message}"

    def lines(self) -> list[str]:
        return [self.line(i) for i in range(len(self.problems))]


class UsageError(ValueError):
    """Bad command-line use that is not about a scenario file (e.g. an unwritable folder)."""


class WriteError(UsageError):
    """A file could not be written (full disk, no permission): names the path, one line.

    ``path`` is the file or folder; ``errno`` the operating system's error number.
    """

    def __init__(self, path: object, exc: OSError) -> None:
        self.path = path
        self.errno = exc.errno
        reason = exc.strerror or str(exc)
        hint = ("free space on that disk, or --out on another" if exc.errno in _FULL
                else "a writable folder")
        super().__init__(f"{path}: cannot write ({reason}); allowed: {hint}")


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
