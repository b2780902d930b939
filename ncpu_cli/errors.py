"""Typed errors raised by the library. Only the CLI prints them and picks exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A place in a source file: 1-based line and column, `length` characters wide."""

    file: str
    line: int
    col: int
    length: int = 1


@dataclass(frozen=True)
class Diagnostic:
    """One message about a source: `file:line:col: severity: message`."""

    span: Span
    message: str
    severity: str = "error"  # error | warning | note
    notes: tuple["Diagnostic", ...] = field(default=())


class NcpuError(Exception):
    """Base of every error the library raises on bad input."""


class AsmError(NcpuError):
    """Assembly failed; carries every diagnostic found, not just the first."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics = list(diagnostics)
        self.sources = dict(sources or {})  # file name -> text, for snippets
        first = self.diagnostics[0].message if self.diagnostics else "assembly failed"
        super().__init__(first)


class ImageError(NcpuError):
    """An image file is malformed, truncated, of the wrong version or for another ISA."""


class RunError(NcpuError):
    """A run cannot start: bad inputs, impossible configuration, missing device."""


class FitError(NcpuError):
    """A fit cannot start: a bad spec, a sketch without holes, an impossible search."""
