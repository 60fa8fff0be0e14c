"""Errors that stop a run.

A student's mistake is never one of these: it is data in a CheckResult.
"""

from __future__ import annotations


class GraderError(Exception):
    """Base of every error that stops grading."""


class SpecError(GraderError):
    """An assignment spec is broken: the message names the file, the key path and the fix."""

    def __init__(self, path: object, key_path: str, problem: str, fix: str = "") -> None:
        self.path = str(path)
        self.key_path = key_path
        self.problem = problem
        self.fix = fix
        where = f"{self.path}: {key_path}" if key_path else self.path
        message = f"{where}: {problem}"
        if fix:
            message += f"\n  fix: {fix}"
        super().__init__(message)


class SubmissionError(GraderError):
    """The submission cannot be graded at all (unreadable file, unknown format)."""


class UsageError(GraderError):
    """The command was called with arguments that cannot work (unknown assignment, bad --only)."""


class InternalError(GraderError):
    """A bug of ours. The message asks the user to report it."""
