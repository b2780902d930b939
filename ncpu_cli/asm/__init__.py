"""The ncpu32 assembler: source text -> Image (see passes.py for the chain).

    assemble(source, filename)      text you already have
    assemble_file(path)             a file on disk ("-" is the CLI's business)

Both raise `ncpu_cli.errors.AsmError` carrying every diagnostic found;
`ncpu_cli.asm.diagnostics.render(err)` formats them.
"""

from __future__ import annotations

from pathlib import Path

from ncpu_cli.asm.passes import run
from ncpu_cli.asm.source import decode_source, read_source_bytes
from ncpu_cli.errors import AsmError, Diagnostic, Span
from ncpu_cli.image import Image

__all__ = ["assemble", "assemble_file"]


def assemble(
    source: str,
    filename: str = "<stdin>",
    *,
    keep_holes: bool = False,
    mem_words: int | None = None,
    base_dir: Path | None = None,
) -> Image:
    """Assemble `source`; `.include` paths start from `base_dir` (default: the current folder)."""
    return run(
        source,
        filename,
        keep_holes=keep_holes,
        mem_words=mem_words,
        base_dir=Path(base_dir) if base_dir is not None else Path.cwd(),
    )


def assemble_file(
    path: str | Path, *, keep_holes: bool = False, mem_words: int | None = None
) -> Image:
    """Read and assemble a file; includes are relative to its folder. OSError if unreadable."""
    path = Path(path)
    name = str(path)
    source, problem = decode_source(read_source_bytes(path), name)
    if problem is not None:
        raise AsmError([Diagnostic(Span(name, 1, 1, 1), problem)], {})
    return run(
        source,
        name,
        keep_holes=keep_holes,
        mem_words=mem_words,
        base_dir=path.parent,
        real_path=path,
    )
