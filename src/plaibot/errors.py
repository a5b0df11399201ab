"""Every error plaibot raises on purpose, under one root: `PlaibotError`.

Catch `PlaibotError` to handle them all. Each class carries the exit code the `plaibot`
command uses for it (2: the input was wrong, 3: a backend cannot be reached, 1: anything
else), so the CLI needs one `except` clause, and the HTTP layer maps them to statuses.
They also derive from the built-in exception an older caller may catch (`ValueError`,
`RuntimeError`), so code written before this module keeps working.

This module imports nothing heavy: `import plaibot.errors` is instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plaibot.text import Language


class PlaibotError(Exception):
    """The root of plaibot's errors; `str(error)` is a message meant for a person."""

    exit_code: int = 1


class QuestionError(PlaibotError, ValueError):
    """The question cannot be asked as given (empty or too long); the message says why.

    `language` is the language the message is written in.
    """

    exit_code = 2

    def __init__(self, message: str, language: Language) -> None:
        super().__init__(message)
        self.language = language


class StoreUnavailable(PlaibotError, RuntimeError):
    """The Chroma store cannot be reached (a server down, a folder unreadable)."""

    exit_code = 3


class ServiceUnavailable(PlaibotError):
    """A server plaibot leans on cannot be used now. `str(error)` says where and why, for
    the log and operators; `public` says why without any address, user name or path, for
    reports anyone may read (`/api/health`)."""

    exit_code = 3

    def __init__(self, message: str, public: str = "unavailable") -> None:
        super().__init__(message)
        self.public = public


class RecordsUnavailable(ServiceUnavailable):
    """The records database (feedback, gaps, ...) cannot be reached or is too busy."""


class StateUnavailable(ServiceUnavailable):
    """The shared state's server (Redis) cannot be reached (or did not answer in time)."""


class UploadError(PlaibotError, ValueError):
    """A file uploaded on the staff console is refused; the message says why."""

    exit_code = 2


class LoadError(PlaibotError):
    """A file could not be turned into documents; `str(error)` says why."""


class UnsupportedFileType(LoadError):
    """The file's type is not one plaibot reads."""


class AnswererError(PlaibotError, ValueError):
    """The configured chat model cannot be set up; the message says what to do."""

    exit_code = 2


class EvalFileError(PlaibotError, ValueError):
    """The evaluation file is missing or not in a SQuAD layout."""

    exit_code = 2


class AccessDenied(PlaibotError):
    """A request is refused; `status` is the HTTP status, `code` a stable machine word."""

    def __init__(self, status: int, code: str, message: str,
                 retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.retry_after = status, code, retry_after
