"""`ncpu asm`, `ncpu disasm` and `ncpu isa`: assemble, read images back, show the opcode table."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from ncpu_cli.cli.common import fail, reporting, stderr, stdout, usage
from ncpu_cli.cli.root import app
from ncpu_cli.errors import AsmError, Diagnostic, Span
from ncpu_cli.image import Image

SOURCE_SUFFIXES = {".s", ".asm"}
HOLELESS_FORMATS = ("bin",)  # raw words: nowhere to say where the holes are
MEM_HELP = "Memory size the image must fit (16..65536 words; default: no limit beyond 65536)."


class OutFormat(str, Enum):
    yaml = "yaml"
    readmemh = "readmemh"
    bin = "bin"
    listing = "listing"
    symbols = "symbols"
    json = "json"


class InFormat(str, Enum):
    auto = "auto"
    yaml = "yaml"
    readmemh = "readmemh"
    bin = "bin"
    json = "json"


def assemble_source(
    src: str, *, keep_holes: bool = False, mem_words: int | None = None
) -> tuple[Image, dict[str, str]]:
    """Assemble a file (or `-`: stdin); returns the image and the source texts it came from."""
    from ncpu_cli.asm import assemble_file
    from ncpu_cli.asm.source import read_limited

    if src != "-":
        image = assemble_file(src, keep_holes=keep_holes, mem_words=mem_words)
        return image, _sources(image, {}, Path(src).parent)
    data = read_limited(sys.stdin.buffer, "<stdin>")
    image, text = _assemble_bytes(data, "<stdin>", keep_holes=keep_holes, mem_words=mem_words)
    return image, _sources(image, {"<stdin>": text}, Path.cwd())


def _assemble_bytes(data: bytes, name: str, **options: object) -> tuple[Image, str]:
    """Assemble source bytes read from stdin (includes start from the current folder);
    returns the image and the decoded text."""
    from ncpu_cli.asm import assemble
    from ncpu_cli.asm.source import decode_source

    text, problem = decode_source(data, name)
    if problem is not None:
        raise AsmError([Diagnostic(Span(name, 1, 1, 1), problem)], {})
    return assemble(text, name, base_dir=Path.cwd(), **options), text  # type: ignore[arg-type]


def _sources(image: Image, known: dict[str, str], base: Path) -> dict[str, str]:
    """Texts of the files in the source map (included files read where found, else skipped)."""
    sources = dict(known)
    for file, _ in set(image.source_map.values()):
        if file in sources:
            continue
        for candidate in (Path(file), base / file):
            try:
                sources[file] = candidate.read_text(encoding="utf-8")
                break
            except (OSError, UnicodeDecodeError):
                continue
    return sources


def _write_stdout(data: str | bytes) -> None:
    if isinstance(data, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(data)
        sys.stdout.flush()


def _output_path(
    src: str, output: str | None, fmt: OutFormat, sources: dict[str, str]
) -> Path | None:
    """Where to write; None means stdout. Never over a source file the image came from."""
    from ncpu_cli.formats import EXTENSION

    if output == "-" or (output is None and src == "-"):
        return None
    out = Path(output) if output is not None else Path(src).with_suffix(EXTENSION[fmt.value])
    inputs = [Path(src)] if src != "-" else []
    inputs += [Path(name) for name in sources if not name.startswith("<")]
    if any(_same_file(out, path) for path in inputs):
        hint = "name another file with -o" if output is None else "choose another -o"
        fail(escape(f"refusing to overwrite the source file {out}; {hint}"))
    if out.is_dir():
        fail(escape(f"cannot write {out}: it is a folder"))
    if output is None and out.is_file() and not _is_image(out):
        fail(escape(f"refusing to overwrite {out}: it exists and is not an ncpu image (a fit "
                    "spec beside its sketch?); name the output with -o"))
    if not out.parent.is_dir():
        fail(escape(f"cannot write {out}: folder {out.parent} does not exist"))
    return out


def _is_image(path: Path) -> bool:
    """Whether `path` loads as an ncpu image (so writing the default output over it is safe)."""
    from ncpu_cli.errors import ImageError
    from ncpu_cli.formats import load_image

    try:
        load_image(path)
    except (ImageError, OSError, ValueError):
        return False
    return True


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and a.samefile(b)
    except OSError:
        return False


@app.command("asm")
def asm_command(
    src: str = typer.Argument(..., metavar="SRC", help="Assembly source file, or - to read stdin."),
    output: Optional[str] = typer.Option(
        None,
        "-o",
        "--output",
        metavar="OUT",
        help="Output file, or - for stdout. Default: SRC with the format's extension beside it "
        "(.yaml .hex .bin .lst .sym .json); stdout when SRC is -.",
        rich_help_panel="Output",
    ),
    fmt: OutFormat = typer.Option(
        OutFormat.yaml,
        "-f",
        "--format",
        case_sensitive=False,
        help="yaml (lossless image), readmemh (Verilog hex), bin (raw little-endian words), "
        "listing (address, word, source), symbols (labels), json.",
        rich_help_panel="Output",
    ),
    quiet: bool = typer.Option(
        False, "-q", "--quiet", help="No summary line on stderr.", rich_help_panel="Output"
    ),
    mem_words: Optional[int] = typer.Option(
        None,
        "--mem-words",
        min=16,
        max=65536,
        metavar="N",
        help=MEM_HELP,
        rich_help_panel="Assembly",
    ),
    keep_holes: bool = typer.Option(
        False,
        "--keep-holes",
        help="Accept ?? holes (for `ncpu fit`) instead of rejecting them.",
        rich_help_panel="Assembly",
    ),
    as_json: bool = typer.Option(
        False, "--json", rich_help_panel="Output",
        help="Report on stdout as JSON: a summary, or {\"error\": ...} with every diagnostic.",
    ),
) -> None:
    """Assemble an ncpu32 source file into a memory image."""
    from ncpu_cli.formats import dump_image, words_text
    from ncpu_cli.fsutil import write_atomic

    with reporting(json=as_json):
        if as_json and (output == "-" or (output is None and src == "-")):
            usage("--json and an image on stdout cannot be combined; write the image with -o FILE")
        image, sources = assemble_source(src, keep_holes=keep_holes, mem_words=mem_words)
        if image.holes and fmt.value in HOLELESS_FORMATS:
            usage(f"-f {fmt.value} cannot carry the hole table (the holes would read as plain "
                  "words and the image would run); write the sketch with -f yaml, json, "
                  "readmemh or listing")
        data = dump_image(image, fmt.value, sources)
        out = _output_path(src, output, fmt, sources)
        if out is None:
            if isinstance(data, bytes) and sys.stdout.isatty():
                fail(
                    "refusing to write a binary image to a terminal; use -o FILE or redirect stdout"
                )
            _write_stdout(data)
        else:
            write_atomic(out, data)
    if as_json:
        summary = {"source": "<stdin>" if src == "-" else src, "words": image.size,
                   "entry": image.entry, "format": fmt.value, "output": str(out)}
        if image.holes:  # --keep-holes: the hole table (isa/holes.md)
            summary["holes"] = image.holes
        _write_stdout(json.dumps(summary) + "\n")
    elif not quiet:
        name = "<stdin>" if src == "-" else src
        stderr().print(
            f"assembled {name}: {words_text(image.size)} -> {out or '<stdout>'}",
            markup=False,
            soft_wrap=True,
        )


@app.command("disasm")
def disasm_command(
    image_path: str = typer.Argument(
        ...,
        metavar="IMAGE",
        help="Image file (.yaml .hex .bin .json), an assembly source (.s, assembled first),"
        " or - for stdin.",
    ),
    fmt: InFormat = typer.Option(
        InFormat.auto,
        "-f",
        "--format",
        case_sensitive=False,
        help="Image format; auto guesses from the extension, else from the content.",
    ),
    plain: bool = typer.Option(
        False,
        "--plain",
        help="Print plain assembly (labels and instructions, no addresses) that assembles back.",
    ),
    as_json: bool = typer.Option(
        False, "--json",
        help="Print {\"size\", \"entry\", \"lines\"} as JSON (or {\"error\": ...}).",
    ),
) -> None:
    """Disassemble an image into addresses, words, labels and instructions.

    A word that is no instruction (an illegal opcode or stray bits) shows as `.word`."""
    from ncpu_cli.disasm import disassemble_image

    with reporting(json=as_json):
        image = _read_image(image_path, fmt)
        lines = disassemble_image(image, addresses=not plain)
    if as_json:
        doc = {"image": "<stdin>" if image_path == "-" else image_path, "size": image.size,
               "entry": image.entry, "lines": lines}
        _write_stdout(json.dumps(doc) + "\n")
        return
    _write_stdout("".join(line + "\n" for line in lines))


def _read_image(path: str, fmt: InFormat) -> Image:
    from ncpu_cli.formats import guess_format, parse
    from ncpu_cli.image import read_image_bytes

    name = "<stdin>" if path == "-" else path
    data = read_image_bytes(sys.stdin.buffer if path == "-" else Path(path), name)
    chosen = None if fmt is InFormat.auto else fmt.value
    is_source = Path(path).suffix.lower() in SOURCE_SUFFIXES or guess_format(name, data) is None
    if chosen is None and is_source:
        from ncpu_cli.asm import assemble_file

        return _assemble_bytes(data, name)[0] if path == "-" else assemble_file(path)
    return parse(data, name, chosen)


@app.command("isa")
def isa_command(
    as_json: bool = typer.Option(
        False, "--json", help="Print the opcode table as JSON instead of a table."
    ),
) -> None:
    """Show the ncpu32 opcode table (read from isa/ncpu32.yaml)."""
    from ncpu_cli.isa import load_isa
    from ncpu_cli.render.isa import isa_json, isa_table

    with reporting(json=as_json):
        isa = load_isa()
    if as_json:
        _write_stdout(json.dumps(isa_json(isa), indent=2) + "\n")
    else:
        stdout().print(isa_table(isa))
