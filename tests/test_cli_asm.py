"""`ncpu asm`, `ncpu disasm`, `ncpu isa` through the real Typer app (stdout and stderr apart)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ncpu_cli import __version__, formats
from ncpu_cli.asm import assemble
from ncpu_cli.cli import app
from ncpu_cli.formats import load_image
from ncpu_cli.isa import load_isa

SOURCE = """\
; sum r1 + (r1-1) + ... + 1 and print it
        .entry main
limit:  .word 5
main:   ld   r1, limit(r0)
        li   r2, 0
loop:   add  r2, r2, r1
        subi r1, r1, 1
        bnez r1, loop
        out  r2
        halt
"""
BROKEN = """\
main:   li   r1, 1
        addd r1, r1, r1
        beq  r1, r0, nowhere
        halt
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"NO_COLOR": "1", "COLUMNS": "120"})


@pytest.fixture
def prog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "prog.s"
    path.write_text(SOURCE)
    return path


def expected():
    return assemble(SOURCE, "prog.s")


def test_asm_writes_yaml_beside_the_source(runner: CliRunner, prog: Path) -> None:
    result = runner.invoke(app, ["asm", "prog.s"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    size = expected().size
    assert result.stderr.strip() == f"assembled prog.s: {size} words -> prog.yaml"
    assert load_image(prog.with_suffix(".yaml")) == expected()


@pytest.mark.parametrize("fmt", list(formats.EXTENSION))
def test_asm_every_format_default_name(runner: CliRunner, prog: Path, fmt: str) -> None:
    result = runner.invoke(app, ["asm", "prog.s", "-f", fmt, "-q"])
    assert result.exit_code == 0, result.output
    assert (result.stdout, result.stderr) == ("", "")
    out = prog.with_suffix(formats.EXTENSION[fmt])
    if fmt in formats.IMAGE_FORMATS:
        assert load_image(out).words == expected().words
    elif fmt == "listing":
        text = out.read_text()
        row = next(ln for ln in text.splitlines() if "prog.s:4" in ln)
        assert row.split()[:6] == ["0001", "80400000", "ld", "r1,", "0(r0)", "prog.s:4"]
        assert row.endswith("prog.s:4   main:   ld   r1, limit(r0)")  # columns kept
    else:
        assert out.read_text().split() == ["limit", "0x0000", "main", "0x0001", "loop", "0x0003"]


def test_asm_output_option_and_stdout(runner: CliRunner, prog: Path) -> None:
    result = runner.invoke(app, ["asm", "prog.s", "-o", "sub.hex", "-f", "readmemh"])
    assert result.exit_code == 0 and result.stderr.strip().endswith("-> sub.hex")
    assert load_image(prog.parent / "sub.hex").words == expected().words
    result = runner.invoke(app, ["asm", "prog.s", "-o", "-", "-f", "bin"])
    assert result.exit_code == 0
    assert result.stdout_bytes == formats.to_bin(expected())
    assert "-> <stdout>" in result.stderr


def test_asm_stdin_to_stdout(runner: CliRunner, prog: Path) -> None:
    result = runner.invoke(app, ["asm", "-"], input=SOURCE)
    assert result.exit_code == 0, result.output
    image = formats.from_yaml(result.stdout, "out")
    assert image.words == expected().words
    assert result.stderr.strip() == f"assembled <stdin>: {image.size} words -> <stdout>"
    assert sorted(p.name for p in prog.parent.iterdir()) == ["prog.s"]
    quiet = runner.invoke(app, ["asm", "-", "-q", "-f", "json"], input=SOURCE)
    assert quiet.stderr == "" and json.loads(quiet.stdout)["words"] == expected().words


def test_asm_missing_output_folder(runner: CliRunner, prog: Path) -> None:
    result = runner.invoke(app, ["asm", "prog.s", "-o", "no/such/dir/prog.yaml"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no/such/dir/prog.yaml" in result.stderr and "does not exist" in result.stderr
    assert not (prog.parent / "no").exists()


def test_asm_errors_go_to_stderr_and_leave_no_output(runner: CliRunner, prog: Path) -> None:
    prog.write_text(BROKEN)
    old = prog.with_suffix(".yaml")
    old.write_text("previous output\n")
    result = runner.invoke(app, ["asm", "prog.s"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "prog.s:2:9: error:" in result.stderr
    assert "prog.s:3:" in result.stderr and "nowhere" in result.stderr
    assert "^" in result.stderr
    assert old.read_text() == "previous output\n"
    assert sorted(p.name for p in prog.parent.iterdir()) == ["prog.s", "prog.yaml"]


def test_asm_stdin_errors_name_stdin(runner: CliRunner, prog: Path) -> None:
    result = runner.invoke(app, ["asm", "-"], input=BROKEN)
    assert result.exit_code == 1 and result.stdout == ""
    assert "<stdin>:2:9: error:" in result.stderr


def test_asm_missing_source_and_small_memory(runner: CliRunner, prog: Path) -> None:
    result = runner.invoke(app, ["asm", "nope.s"])
    assert result.exit_code == 1 and result.stdout == "" and "nope.s" in result.stderr
    prog.write_text(".zero 20\nhalt\n")
    result = runner.invoke(app, ["asm", "prog.s", "--mem-words", "16"])
    assert result.exit_code == 1 and result.stdout == "" and "error" in result.stderr
    assert not prog.with_suffix(".yaml").exists()


def test_asm_usage_errors_exit_2(runner: CliRunner, prog: Path) -> None:
    assert runner.invoke(app, ["asm", "prog.s", "-f", "elf"]).exit_code == 2
    assert runner.invoke(app, ["asm", "prog.s", "--mem-words", "8"]).exit_code == 2
    assert runner.invoke(app, ["asm"]).exit_code == 2


def test_disasm_image_and_source(runner: CliRunner, prog: Path) -> None:
    assert runner.invoke(app, ["asm", "prog.s", "-q"]).exit_code == 0
    from_image = runner.invoke(app, ["disasm", "prog.yaml"])
    assert from_image.exit_code == 0 and from_image.stderr == ""
    lines = from_image.stdout.splitlines()
    assert [ln.strip() for ln in lines if ln.strip().endswith(":")] == ["limit:", "main:", "loop:"]
    assert lines[1].split() == ["0000", "00000005", ".word", "0x00000005"]
    assert any(ln.endswith("bne r1, r0, loop") for ln in lines)
    from_source = runner.invoke(app, ["disasm", "prog.s"])
    assert from_source.exit_code == 0 and from_source.stdout == from_image.stdout


def test_disasm_bin_stdin_and_forced_format(runner: CliRunner, prog: Path) -> None:
    assert runner.invoke(app, ["asm", "prog.s", "-q", "-f", "bin", "-o", "prog.dat"]).exit_code == 0
    forced = runner.invoke(app, ["disasm", "prog.dat", "-f", "bin"])
    assert forced.exit_code == 0
    assert len(forced.stdout.splitlines()) == expected().size  # no symbols in a raw binary
    piped = runner.invoke(
        app, ["disasm", "-", "-f", "bin"], input=(prog.parent / "prog.dat").read_bytes()
    )
    assert piped.exit_code == 0 and piped.stdout == forced.stdout
    plain = runner.invoke(app, ["disasm", "prog.s", "--plain"])
    assert assemble(plain.stdout, "plain.s").words == expected().words


def test_disasm_bad_image(runner: CliRunner, prog: Path) -> None:
    (prog.parent / "bad.bin").write_bytes(b"\x00\x01\x02")
    result = runner.invoke(app, ["disasm", "bad.bin"])
    assert result.exit_code == 1 and result.stdout == ""
    assert "bad.bin: truncated" in result.stderr
    result = runner.invoke(app, ["disasm", "missing.yaml"])
    assert result.exit_code == 1 and "missing.yaml" in result.stderr


def test_isa_table_and_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["isa"])
    assert result.exit_code == 0 and result.stderr == ""
    for op in load_isa().ops:
        assert op.name in result.stdout
    data = json.loads(runner.invoke(app, ["isa", "--json"]).stdout)
    assert {o["name"]: o["opcode"] for o in data["ops"]} == {
        o.name: o.opcode for o in load_isa().ops
    }


def test_isa_table_shows_brackets_literally(runner: CliRunner) -> None:
    """Cells are plain text, not Rich markup: `mem[ra + imm]` must survive."""
    out = runner.invoke(app, ["isa"]).stdout
    assert "rd = mem[ra + imm]" in out and "mem[ra + imm] = rb" in out


def test_help_groups_the_asm_options(runner: CliRunner) -> None:
    text = runner.invoke(app, ["asm", "-h"]).stdout
    assert "─ Output ─" in text and "─ Assembly ─" in text
    assert text.index("─ Output ─") < text.index("--format") < text.index("─ Assembly ─")
    assert text.index("─ Assembly ─") < text.index("--mem-words")


def test_python_dash_m(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "ncpu_cli", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"ncpu {__version__}" and out.stderr == ""


def test_version_and_help(runner: CliRunner) -> None:
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.stdout.strip() == f"ncpu {__version__}"
    for cmd in ("asm", "disasm", "isa"):
        helptext = runner.invoke(app, [cmd, "-h"])
        assert helptext.exit_code == 0 and "Usage" in helptext.stdout, cmd
    assert "--mem-words" in runner.invoke(app, ["asm", "-h"]).stdout
    root = runner.invoke(app, ["-h"])
    assert root.exit_code == 0 and all(cmd in root.stdout for cmd in ("asm", "disasm", "isa"))
