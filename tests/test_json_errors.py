"""Under `--json` every command reports a failure as one JSON object on stdout, with the
exit code it has without `--json` (issue 12, "Errors for tools")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ncpu_cli.cli import app
from ncpu_cli.cli.common import fail, reports_errors
from ncpu_cli.errors import ImageError

TWO_ERRORS = "main:   li r1, 1\n        addd r1, r1, r1\n        beq r1, r0, nowhere\n        halt\n"
FIELDS = {"kind", "message", "file", "line", "col"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"NO_COLOR": "1", "COLUMNS": "120"})


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.s").write_text(TWO_ERRORS)
    (tmp_path / "ok.s").write_text("halt\n")
    (tmp_path / "entry.hex").write_text("// entry: zz\n00000000\n")
    return tmp_path


def one_error(stdout: str) -> dict:
    """The single `{"error": {...}}` object stdout must hold, and nothing else."""
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, stdout
    doc = json.loads(lines[0])
    assert set(doc) == {"error"}
    assert FIELDS <= set(doc["error"])
    return doc["error"]


# (command line without --json, exit code, kind, file, line)
CASES = [
    (["asm", "bad.s", "-o", "out.yaml"], 1, "asm", "bad.s", 2),
    (["run", "bad.s"], 1, "asm", "bad.s", 2),
    (["trace", "bad.s"], 1, "asm", "bad.s", 2),
    (["disasm", "bad.s"], 1, "asm", "bad.s", 2),
    (["run", "ok.s", "--batch", "2", "--sweep", "r1=0:4"], 2, "usage", None, None),
    (["run", "ok.s", "--set", "r0=1"], 1, "run", None, None),
    (["run", "entry.hex"], 1, "image", "entry.hex", 1),
    (["disasm", "entry.hex"], 1, "image", "entry.hex", 1),
    (["disasm", "missing.yaml"], 1, "file", "missing.yaml", None),
    (["trace", "ok.s", "--set", "r0=1"], 1, "run", None, None),
    (["trace", "ok.s", "--mem-words", "8"], 2, "usage", None, None),
    (["bench", "exact", "--batches", "x"], 1, "error", None, None),
]


@pytest.mark.parametrize("argv, code, kind, file, line", CASES, ids=lambda v: str(v))
def test_failure_is_one_json_object_with_the_same_exit_code(
    runner: CliRunner, files: Path, argv: list[str], code: int, kind: str, file: str | None,
    line: int | None,
) -> None:
    text = runner.invoke(app, argv)
    assert text.exit_code == code, text.output
    assert text.stdout == "" and "error" in text.stderr  # the text form is unchanged
    result = runner.invoke(app, [*argv, "--json"])
    assert result.exit_code == code, result.output
    assert result.stderr == ""
    error = one_error(result.stdout)
    assert (error["kind"], error["file"], error["line"]) == (kind, file, line)
    assert error["message"]


def test_assembler_errors_are_all_listed_with_the_first_on_top(
    runner: CliRunner, files: Path
) -> None:
    result = runner.invoke(app, ["asm", "bad.s", "-o", "out.yaml", "--json"])
    error = one_error(result.stdout)
    # `addd` starts in column 9 of line 2; `nowhere` in column 21 of line 3 (see TWO_ERRORS)
    places = [(d["file"], d["line"], d["col"], d["severity"]) for d in error["diagnostics"]]
    assert places == [("bad.s", 2, 9, "error"), ("bad.s", 3, 21, "error")]
    assert "addd" in error["diagnostics"][0]["message"]
    assert "nowhere" in error["diagnostics"][1]["message"]
    first = error["diagnostics"][0]
    assert (error["file"], error["line"], error["col"], error["message"]) == (
        first["file"], first["line"], first["col"], first["message"])
    assert not (files / "out.yaml").exists()


def test_messages_are_plain_text_not_markup(runner: CliRunner, files: Path) -> None:
    (files / "br.yaml").write_text(
        "format: ncpu-image\nversion: 1\nisa: '[bold]x'\nword_bits: 32\nsize: 1\nentry: 0\n")
    result = runner.invoke(app, ["disasm", "br.yaml", "--json"])
    error = one_error(result.stdout)
    assert "'[bold]x'" in error["message"] and "\\[" not in error["message"]


def test_success_under_json_is_json_too(runner: CliRunner, files: Path) -> None:
    asm = runner.invoke(app, ["asm", "ok.s", "--json"])
    assert asm.exit_code == 0 and asm.stderr == ""
    assert json.loads(asm.stdout) == {"source": "ok.s", "words": 1, "entry": 0,
                                      "format": "yaml", "output": "ok.yaml"}
    dis = runner.invoke(app, ["disasm", "ok.yaml", "--json"])
    assert dis.exit_code == 0
    doc = json.loads(dis.stdout)
    assert (doc["size"], len(doc["lines"])) == (1, 1) and "halt" in doc["lines"][0]
    isa = runner.invoke(app, ["isa", "--json"])
    assert isa.exit_code == 0 and "error" not in json.loads(isa.stdout)


def test_asm_json_refuses_an_image_on_stdout(runner: CliRunner, files: Path) -> None:
    result = runner.invoke(app, ["asm", "ok.s", "-o", "-", "--json"])
    assert result.exit_code == 2
    assert one_error(result.stdout)["kind"] == "usage"


def test_a_new_command_reuses_the_decorator() -> None:
    """`ncpu fit --json` (or any new command) gets the same reporting from one decorator."""
    tool = typer.Typer()

    @tool.command()
    @reports_errors("json_")
    def go(what: str, json_: bool = typer.Option(False, "--json")) -> None:
        if what == "usage":
            fail("bad option", 2, kind="usage")
        raise ImageError("prog.yaml:7: not an image")

    runner = CliRunner()
    for argv, code, kind, line in (([], 1, "image", 7), (["usage"], 2, "usage", None)):
        result = runner.invoke(tool, [*(argv or ["x"]), "--json"])
        assert result.exit_code == code
        error = one_error(result.stdout)
        assert (error["kind"], error["line"]) == (kind, line)
        plain = runner.invoke(tool, argv or ["x"])
        assert plain.exit_code == code and plain.stdout == ""
