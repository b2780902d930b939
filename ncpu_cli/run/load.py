"""Loading a program: a path (or `-` for source on stdin) -> an Image checked for this
machine, and `SourceLocator` (pc -> `file:line` and the source text) for messages."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from ncpu_cli.errors import ImageError, RunError
from ncpu_cli.image import Image

ASM_SUFFIXES = (".s", ".asm")

def load_program(
    path: str | os.PathLike[str],
    *,
    mem_words: int | None = None,
    stdin: IO[str] | None = None,
) -> tuple[Image, dict[str, str]]:
    """Image of a program plus the source texts it came from (file -> text).

    `.s`/`.asm` files and `-` (source on stdin) are assembled on the fly; any
    other path is read as an image (YAML, readmemh or binary, by extension or
    sniffing). With `mem_words`, the image must fit in that many words."""
    name = str(path)
    sources: dict[str, str] = {}
    if name == "-":
        from ncpu_cli.asm import assemble

        text = (stdin or sys.stdin).read()
        image = assemble(text, "<stdin>", mem_words=mem_words, base_dir=Path.cwd())
        sources["<stdin>"] = text
    else:
        p = Path(name)
        if not p.exists():
            raise RunError(f"{name}: no such file")
        if p.is_dir():
            raise RunError(f"{name}: is a directory, not a program")
        if p.suffix.lower() in ASM_SUFFIXES:
            from ncpu_cli.asm import assemble_file

            image = assemble_file(name, mem_words=mem_words)
            try:
                sources[name] = p.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                pass
        else:
            from ncpu_cli.formats import load_image

            image = load_image(name)
    check_image(image, name, mem_words)
    return image, sources


def check_image(image: Image, name: str, mem_words: int | None) -> None:
    """The image must be for ncpu32 with 32-bit words, have no holes left and fit in memory."""
    from ncpu_cli.isa import load_isa

    isa = load_isa()
    if image.isa != isa.name or image.word_bits != isa.word_bits:
        raise ImageError(
            f"{name}: image is for {image.isa} with {image.word_bits}-bit words; "
            f"this machine runs {isa.name} with {isa.word_bits}-bit words"
        )
    if image.holes:
        raise holes_left(image, name)
    if mem_words is not None:
        if image.size > mem_words:
            raise RunError(
                f"{name}: image of {image.size} words does not fit in memory of "
                f"{mem_words} words (use --mem-words {max(image.size, 16)} or more)"
            )
        if not 0 <= image.entry < mem_words:
            raise RunError(f"{name}: entry point {image.entry} outside memory 0..{mem_words - 1}")


def holes_left(image: Image, name: str) -> ImageError:
    """Why an image with holes (`ncpu asm --keep-holes`) cannot run: a hole's word is only a
    placeholder (0, `halt`, for an instruction), so the run would mean nothing. The error's
    file, line and col are the first hole's in the source (for `--json`), when known."""
    first = min(image.holes, key=lambda h: (h.get("address", 0), h.get("index", 0)))
    file, line, col = (first.get(k) for k in ("file", "line", "col"))
    where = f"address {first.get('address')}"
    if isinstance(file, str) and isinstance(line, int):
        where = f"{file}:{line}{f':{col}' if isinstance(col, int) else ''} ({where})"
    count = len(image.holes)
    err = ImageError(
        f"{name}: the image still has {count} hole{'s' if count != 1 else ''} to fill, the "
        f"first at {where}; a hole's word is only a placeholder: fill the holes with "
        "`ncpu fit`, or assemble without --keep-holes")
    err.file, err.line, err.col = file, line, col  # type: ignore[attr-defined]
    return err


class SourceLocator:
    """pc -> `file:line  source text` using the image's source map (None when unknown)."""

    def __init__(self, image: Image, sources: dict[str, str] | None = None):
        self.image = image
        self._lines: dict[str, list[str] | None] = {
            name: text.splitlines() for name, text in (sources or {}).items()
        }

    def _file_lines(self, file: str) -> list[str] | None:
        if file not in self._lines:
            lines = None
            # only files the program's source named (e.g. .include), read on demand
            if self._lines:
                try:
                    lines = Path(file).read_text(encoding="utf-8").splitlines()
                except (OSError, UnicodeDecodeError, ValueError):
                    lines = None
            self._lines[file] = lines
        return self._lines[file]

    SHORT = 20  # longest file name shown: `file:line` then fits the result table's pc column

    @classmethod
    def short(cls, file: str) -> str:
        """A file name for display: relative to the current folder when inside it (or as
        given when relative); when that is long, just its name, cut at the front if need be."""
        p = Path(file)
        if p.is_absolute():
            try:
                file = str(p.relative_to(Path.cwd()))
            except ValueError:
                file = p.name
        if len(file) <= cls.SHORT:
            return file
        name = p.name
        return name if len(name) <= cls.SHORT else "…" + name[-(cls.SHORT - 1):]

    def where(self, pc: int) -> str | None:
        loc = self.image.source_map.get(pc)
        return f"{self.short(loc[0])}:{loc[1]}" if loc else None

    def text(self, pc: int) -> str | None:
        loc = self.image.source_map.get(pc)
        if not loc:
            return None
        lines = self._file_lines(loc[0])
        if lines is None or not 1 <= loc[1] <= len(lines):
            return None
        return lines[loc[1] - 1].strip() or None

    def __call__(self, pc: int) -> str | None:
        """`file:line`, then the source text on a line of its own."""
        where = self.where(pc)
        if where is None:
            return None
        text = self.text(pc)
        return f"{where}\n{text}" if text else where
