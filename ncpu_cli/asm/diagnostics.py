"""Render an AsmError like rustc / customasm:

    prog.s:3:7: error: unknown mnemonic `ad` (did you mean `add`?)
       3 | loop: ad r1, r2, r3
         |       ^^

followed by its notes (each with its own snippet) and a closing count line.
Long lines are cut to a window around the caret; tabs are shown as spaces.
"""

from __future__ import annotations

from ncpu_cli.errors import AsmError, Diagnostic

WINDOW = 100  # characters of a long source line shown around the caret
TAB = "    "
_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "note": "\x1b[1;36m"}
_BLUE, _BOLD, _RESET = "\x1b[1;34m", "\x1b[1m", "\x1b[0m"


def render(err: AsmError, color: bool = False) -> str:
    """Every diagnostic of `err` with snippets, then `error: N errors, assembly failed`."""
    out: list[str] = []
    lines: dict[str, list[str]] = {}
    for diag in err.diagnostics:
        out.extend(_one(diag, err.sources, lines, color))
        for note in diag.notes:
            out.extend(_one(note, err.sources, lines, color))
    n = sum(1 for d in err.diagnostics if d.severity == "error")
    tail = f"{n} error{'s' if n != 1 else ''}, assembly failed"
    out.append(f"{_paint('error', 'error', color)}: {tail}" if color else f"error: {tail}")
    return "\n".join(out) + "\n"


def _paint(text: str, severity: str, color: bool) -> str:
    return f"{_COLORS.get(severity, _BOLD)}{text}{_RESET}" if color else text


def _one(
    diag: Diagnostic, sources: dict[str, str], cache: dict[str, list[str]], color: bool
) -> list[str]:
    s = diag.span
    head = f"{s.file}:{s.line}:{s.col}: {_paint(diag.severity, diag.severity, color)}: "
    head += f"{_BOLD}{diag.message}{_RESET}" if color else diag.message
    lines = [head]
    if s.file not in cache and s.file in sources:
        cache[s.file] = sources[s.file].split("\n")
    file_lines = cache.get(s.file)
    if file_lines is None or not 1 <= s.line <= len(file_lines):
        return lines
    text = file_lines[s.line - 1].rstrip("\r")
    if not text.strip():
        return lines  # nothing to point at (e.g. an empty file)
    shown, caret_at, caret_len = snippet(text, s.col, s.length)
    gutter = " " * len(str(s.line))
    bar = f"{_BLUE}|{_RESET}" if color else "|"
    num = f"{_BLUE}{s.line}{_RESET}" if color else str(s.line)
    carets = _paint("^" * caret_len, diag.severity, color)
    lines.append(f"  {num} {bar} {shown}")
    lines.append(f"  {gutter} {bar} {' ' * caret_at}{carets}")
    return lines


def snippet(text: str, col: int, length: int) -> tuple[str, int, int]:
    """(line as shown, caret offset, caret length): tabs expanded, long lines windowed."""
    col = max(1, min(col, len(text) + 1))
    length = max(1, length)
    start = 0
    if len(text) > WINDOW:
        start = max(0, min(col - 1 - WINDOW // 3, len(text) - WINDOW))
    end = min(len(text), start + WINDOW) if len(text) > WINDOW else len(text)
    part = text[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    before = part[: col - 1 - start].replace("\t", TAB)
    shown = (
        prefix
        + "".join(c if c.isprintable() or c == "\t" else "?" for c in part).replace("\t", TAB)
        + suffix
    )
    caret_len = max(1, len(part[col - 1 - start : col - 1 - start + length].replace("\t", TAB)))
    return shown, len(prefix) + len(before), caret_len
