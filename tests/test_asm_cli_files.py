"""Odd invocations and bad images through the real `ncpu` command line (Typer's CliRunner).

A source that is a folder, missing, a device, unreadable or too big; outputs into a
missing folder, onto a folder or onto a source file; usage errors (exit 2); every kind
of broken image for `ncpu disasm` (exit 1, one clean message, nothing on stdout); and
outputs through a symlink or a FIFO, which are written into, never replaced.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ncpu_cli.cli import app

# --------------------------------------------------------------------------- odd invocations


def test_source_that_is_a_folder_missing_or_a_device(runner, work) -> None:
    result = runner.invoke(app, ["asm", str(work)])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == f"error: {work}: it is a folder, not a file"
    result = runner.invoke(app, ["asm", "nope.s"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == "error: nope.s: No such file or directory"
    if Path("/dev/zero").exists():
        result = runner.invoke(app, ["asm", "/dev/zero"])
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr.strip() == "error: /dev/zero: not a regular file"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_source(runner, work) -> None:
    path = work / "prog.s"
    path.write_text("halt\n")
    path.chmod(0)
    result = runner.invoke(app, ["asm", "prog.s"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == "error: prog.s: Permission denied"


def test_huge_stdin_is_refused(runner, work, monkeypatch) -> None:
    from ncpu_cli.asm import source

    monkeypatch.setattr(source, "MAX_SOURCE_BYTES", 1000)
    result = runner.invoke(app, ["asm", "-"], input="halt\n" * 1000)
    assert result.exit_code == 1 and result.stdout == ""
    assert "<stdin>: larger than" in result.stderr and "too big for a source" in result.stderr


def test_output_folder_missing_or_a_folder(runner, work) -> None:
    (work / "prog.s").write_text("halt\n")
    result = runner.invoke(app, ["asm", "prog.s", "-o", "no/such/dir/prog.yaml"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == (
        "error: cannot write no/such/dir/prog.yaml: folder no/such/dir does not exist"
    )
    (work / "sub").mkdir()
    result = runner.invoke(app, ["asm", "prog.s", "-o", "sub"])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == "error: cannot write sub: it is a folder"
    assert sorted(p.name for p in work.iterdir()) == ["prog.s", "sub"]


def test_output_never_overwrites_a_source(runner, work) -> None:
    (work / "lib.s").write_text("halt\n")
    (work / "prog.s").write_text('.include "lib.s"\n')
    for out in ("prog.s", "./lib.s", str(work / "prog.s")):
        result = runner.invoke(app, ["asm", "prog.s", "-o", out])
        assert result.exit_code == 1 and result.stdout == ""
        assert "refusing to overwrite the source file" in result.stderr, out
    (work / "prog.yaml.s").write_text("halt\n")
    assert (work / "prog.s").read_text() == '.include "lib.s"\n'
    assert (work / "lib.s").read_text() == "halt\n"


def test_default_output_never_overwrites_a_fit_spec(runner, work) -> None:
    """`ncpu asm s.s` writes s.yaml by default; a spec already there is not an image."""
    (work / "s.s").write_text("halt\n")
    spec = "sketch: s.s\nexamples: []\n"
    (work / "s.yaml").write_text(spec)
    result = runner.invoke(app, ["asm", "s.s"])
    assert result.exit_code == 1 and "is not an ncpu image" in result.stderr
    assert (work / "s.yaml").read_text() == spec
    (work / "s.yaml").unlink()
    assert runner.invoke(app, ["asm", "s.s"]).exit_code == 0  # then an image: rewritten
    assert runner.invoke(app, ["asm", "s.s"]).exit_code == 0


def test_usage_errors_exit_2(runner, work) -> None:
    (work / "prog.s").write_text("halt\n")
    for args in (["-f", "elf"], ["--mem-words", "8"], ["--mem-words", "x"], ["--bogus"]):
        result = runner.invoke(app, ["asm", "prog.s", *args])
        assert result.exit_code == 2 and result.stdout == "", args
        assert "Usage: ncpu asm" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- bad images


def _image(runner, work, fmt: str) -> Path:
    (work / "prog.s").write_text("main: li r1, 5\n    out r1\n    halt\n")
    ext = {"yaml": ".yaml", "readmemh": ".hex", "bin": ".bin", "json": ".json"}[fmt]
    assert runner.invoke(app, ["asm", "prog.s", "-q", "-f", fmt]).exit_code == 0
    return work / f"prog{ext}"


@pytest.mark.parametrize(
    "fmt, edit, message",
    [
        ("yaml", lambda t: t[: t.index("end: true")],
         "prog.yaml: truncated file (the closing 'end: true' line is missing)"),
        ("yaml", lambda t: t[: t.index('"0x') + 5],
         "prog.yaml: not valid YAML at line 16: found unexpected end of stream (truncated file?)"),
        ("yaml", lambda t: t.replace("version: 1", "version: 2"),
         "prog.yaml: image format version 2 is not supported (this ncpu reads version 1)"),
        ("yaml", lambda t: t.replace('"0x00000000"', '"0xhalt"'),
         "prog.yaml: segment 0 word 2: '0xhalt' is not a hex word"),
        ("readmemh", lambda t: t.replace("00000000", "0000zz00"),
         "prog.hex:7: '0000zz00' is not a hex word"),
        ("readmemh", lambda t: t[: t.rindex("\n", 0, len(t) - 1) + 1],
         "prog.hex: the header says 3 words but the file holds 2 (truncated file?)"),
        ("bin", lambda t: t[:-1], "prog.bin: truncated: 11 bytes is not a whole number of 32-bit words"),
        ("bin", lambda t: t[:0], "prog.bin: empty file, not an ncpu image"),
        ("json", lambda t: t[:-5], "prog.json:16: not valid JSON: Expecting value"),
        ("json", lambda t: t.replace('"version": 1', '"version": 7'),
         "prog.json: image format version 7 is not supported (this ncpu reads version 1)"),
    ],
    ids=["yaml-no-end", "yaml-cut", "yaml-version", "yaml-not-hex", "hex-not-hex", "hex-cut",
         "bin-cut", "bin-empty", "json-cut", "json-version"],
)  # fmt: skip
def test_bad_image(runner, work, fmt, edit, message) -> None:
    path = _image(runner, work, fmt)
    if fmt == "bin":
        path.write_bytes(edit(path.read_bytes()))
    else:
        path.write_text(edit(path.read_text()))
    result = runner.invoke(app, ["disasm", path.name])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == f"error: {message}"


def test_bad_image_paths(runner, work) -> None:
    result = runner.invoke(app, ["disasm", "missing.yaml"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.strip() == "error: missing.yaml: No such file or directory"
    result = runner.invoke(app, ["disasm", str(work)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.strip() == f"error: {work}: it is a folder, not an image file"
    (work / "notes.txt").write_text("just some words\n")
    result = runner.invoke(app, ["disasm", "notes.txt", "-f", "yaml"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.strip().startswith("error: notes.txt: not an ncpu image")


def test_output_to_a_fifo_or_symlink_writes_through(runner, work) -> None:
    """`-o /dev/null` style outputs are written into, never replaced by a file."""
    (work / "prog.s").write_text("halt\n")
    real = work / "real.yaml"
    real.write_text("old\n")
    (work / "link.yaml").symlink_to(real)
    assert runner.invoke(app, ["asm", "prog.s", "-q", "-o", "link.yaml"]).exit_code == 0
    assert (work / "link.yaml").is_symlink() and real.read_text().startswith("# ncpu memory image")
    if not hasattr(os, "mkfifo"):
        return
    import threading

    fifo = work / "pipe.yaml"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = runner.invoke(app, ["asm", "prog.s", "-q", "-o", "pipe.yaml"])
    reader.join(timeout=10)
    assert result.exit_code == 0 and got and got[0].startswith(b"# ncpu memory image")
    assert fifo.is_fifo()
