"""Errors that sct raises for a user's program.

Every error carries the user's source location (file, line, column), shows the
offending line with a caret, and says what to do instead.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Loc:
    """A position in the user's source: 1-based line, 0-based column."""

    filename: str
    line: int
    col: int
    text: str = ""  # the full source line, for error display and `# grad of:` comments

    def __str__(self):
        return f"{self.filename}:{self.line}:{self.col + 1}"


class SctError(Exception):
    """Base class of all sct errors. `loc` is the user's source location, if known."""

    def __init__(self, message, loc=None, hint=None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._render())

    def _render(self):
        parts = []
        if self.loc is not None:
            parts.append(f"{self.loc}: {self.message}")
            if self.loc.text:
                stripped = self.loc.text.rstrip("\n")
                parts.append("    " + stripped)
                parts.append("    " + " " * self.loc.col + "^")
        else:
            parts.append(self.message)
        if self.hint:
            parts.append(self.hint)
        return "\n".join(parts)

    def __str__(self):
        return self._render()


class UnsupportedSyntaxError(SctError, SyntaxError):
    """A construct sct cannot differentiate (yet); the hint says what to write instead."""

    def __init__(self, message, loc=None, hint=None):
        SctError.__init__(self, message, loc, hint)
        # SyntaxError's own fields, so that tools that format SyntaxErrors point at the user's line.
        self.msg = self._render()
        if loc is not None:
            self.filename, self.lineno, self.offset, self.text = loc.filename, loc.line, loc.col + 1, loc.text


class MissingRuleError(SctError):
    """A call to a function that has no adjoint rule registered."""


class NonScalarOutputError(SctError, ValueError):
    """`grad` was asked for the gradient of a function whose output is not a scalar."""


class SctUsageError(SctError, TypeError):
    """Wrong use of the sct API itself (bad `wrt`, wrong arguments, ...)."""
