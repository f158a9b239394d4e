"""Errors meant for the person who caused them.

A ``UserFacingError`` carries a message that is safe and useful to show as-is: the command line prints
it as one line on stderr, the bot shows it privately to the member who ran the command.
"""

from __future__ import annotations

QUOTE_LIMIT = 60


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``value`` in quotes for an error message, cut short: a refusal must fit a Discord message whatever
    was typed (a 1 MB value quoted in full once made /import fail to answer at all)."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


class UserFacingError(Exception):
    """A mistake the user can fix; ``str(error)`` is the whole explanation."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ProgrammeFormatError(UserFacingError):
    """A programme file that cannot be read; names the line and what was expected."""

    def __init__(self, reason: str, *, line: int | None = None, source: str | None = None) -> None:
        where = ""
        if source and line is not None:
            where = f"{source}, line {line}: "
        elif source:
            where = f"{source}: "
        elif line is not None:
            where = f"line {line}: "
        super().__init__(f"{where}{reason}")
        self.reason = reason
        self.line = line
        self.source = source


class InvalidTimeError(UserFacingError):
    """A wall-clock time that does not exist, or exists twice, at a clock change."""


class ImportConflictError(UserFacingError):
    """A re-import that would drop prompts that already have answers."""


class NotFoundError(UserFacingError):
    """Something asked for by the user does not exist (an unknown week, prompt, ...)."""


class AnswerRejectedError(UserFacingError):
    """An answer that breaks the answer rules (blank, too long, ...)."""


class SettingsError(UserFacingError):
    """A setting with a value the bot cannot use."""


class PermissionDeniedError(UserFacingError):
    """The member lacks the role or permission a command needs."""
