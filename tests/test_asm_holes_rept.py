"""`.rept N` ... `.endr`, and the new hole kinds through image files and the CLI.

Expected words from ISA.md's encoding (op << 26 | rd << 22 | ra << 18 | rb << 14 |
imm; `nop` is `add r0, r0, r0` = 0x04000000); limits from issue 16 (N >= 1,
nesting 8, 65,536 lines); columns from `str.find` on the source.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ncpu_cli.asm import assemble
from ncpu_cli.cli import app
from ncpu_cli.errors import AsmError, ImageError
from ncpu_cli.formats import from_json, to_json
from ncpu_cli.image import from_yaml, to_yaml

NOP = 0x04000000
ADDI_R1_R1_1 = (16 << 26) | (1 << 22) | (1 << 18) | 1


def keep(source: str):
    return assemble(source, "r.s", keep_holes=True)


def errors(source: str) -> list[tuple[int, int, str]]:
    with pytest.raises(AsmError) as info:
        assemble(source, "r.s", keep_holes=True)
    return [(d.span.line, d.span.col, d.message) for d in info.value.diagnostics]


def test_rept_repeats_its_lines() -> None:
    image = keep("    .rept 3\n    addi r1, r1, 1\n    .endr\n    halt\n")
    assert image.words == [ADDI_R1_R1_1] * 3 + [0]
    assert [image.source_map[a] for a in range(3)] == [("r.s", 2)] * 3


def test_nested_rept_and_equ_count() -> None:
    image = keep(".equ N, 2\nx: .rept N * 2\n.rept 3\nnop\n.endr\n.word 7\n.endr\n")
    assert image.words == ([NOP] * 3 + [7]) * 4
    assert image.symbols == {"x": 0}


def test_nesting_eight_deep_is_fine() -> None:
    source = ".rept 1\n" * 8 + "nop\n" + ".endr\n" * 8
    assert keep(source).words == [NOP]


def test_holes_in_a_rept_are_distinct() -> None:
    source = ".rept 3\n  ?{add,nop}\n.endr\n"
    holes = keep(source).holes
    assert [(h["index"], h["address"], h["kind"]) for h in holes] == [
        (0, 0, "instruction"), (1, 1, "instruction"), (2, 2, "instruction")]
    assert {(h["line"], h["col"], h["length"]) for h in holes} == {(2, 3, len("?{add,nop}"))}


def test_copies_stay_together_by_address() -> None:
    source = ".rept 2\n  .word ??, ??[0:1]\n.endr\n"
    c1, c2 = source.find("??,") - 7, source.find("??[") - 7  # columns on line 2
    got = [(h["address"], h["col"]) for h in keep(source).holes]
    assert got == [(0, c1), (1, c2), (2, c1), (3, c2)]


def test_holes_directive_inside_rept_applies_in_order() -> None:
    source = ".rept 2\n?{out}\n.holes regs r1-r2\n.endr\n"
    assert [h["slots"]["ra"]["values"] for h in keep(source).holes] == [list(range(16)), [1, 2]]


REPT_ERRORS = [
    (".rept 0\nnop\n.endr\n", 1, 7, "`.rept` count 0 must be at least 1"),
    (".rept -2\nnop\n.endr\n", 1, 7, "`.rept` count -2 must be at least 1"),
    ("halt\n  .rept 2\nnop\n", 2, 3, "`.rept` without `.endr`"),
    ("halt\n.endr\n", 2, 1, "`.endr` without `.rept`"),
    (".rept 1\n" * 9 + "nop\n" + ".endr\n" * 9, 9, 1, "`.rept` nested more than 8 deep"),
    (".rept 65537\nnop\n.endr\n", 1, 1, "`.rept` expands to more than 65536 lines"),
    ("halt\n.rept 257\n.rept 256\nnop\n.endr\n.endr\n", 2, 1, "more than 65536 lines"),
    (".rept 2\nnop\nx: nop\n.endr\n", 3, 1, "label `x` inside `.rept`"),
    (".rept N\nnop\n.endr\n.equ N, 2\n", 1, 7, "`.rept` count must be known here: `N`"),
    ("top: .rept top\nnop\n.endr\n", 1, 12, "labels can't be used"),
    (".rept ??\nnop\n.endr\n", 1, 7, "`.rept` can't take a hole"),
    (".rept\nnop\n.endr\n", 1, 1, "`.rept` takes 1 operand (count), got 0"),
]


@pytest.mark.parametrize("source, line, col, text", REPT_ERRORS)
def test_rept_errors(source: str, line: int, col: int, text: str) -> None:
    [(ln, c, message)] = errors(source)
    assert (ln, c) == (line, col) and text in message, message


def test_an_error_in_a_rept_is_reported_once() -> None:
    assert errors(".rept 5\nadd r1, r2\n.endr\n") == [
        (2, 1, "`add` takes 3 operands (rd, ra, rb), got 2")]


# --- image files ---------------------------------------------------------------------

SKETCH = (".holes regs r0-r3\n.holes imm -4:4\n?{add,addi,nop}\n?{add,addi} r3, r1, ??\n"
          "add ??{r1,r2}, r1, r2\n?{beq,jal}\n.rept 2\n.word ??\n.endr\nhalt\n")


@pytest.mark.parametrize("dump, load", [(to_yaml, from_yaml), (to_json, from_json)])
def test_new_holes_survive_image_files(dump, load) -> None:
    image = keep(SKETCH)
    kinds = [h["kind"] for h in image.holes]
    assert kinds == ["instruction", "instruction", "register", "instruction", "data", "data"]
    again = load(dump(image), "s.img")
    assert again.holes == image.holes and again.words == image.words


def _yaml_with(hole: dict) -> str:
    data = json.loads(to_json(keep("?{add,addi}\nhalt\n")))
    data["holes"] = [hole]
    return json.dumps(data)


GOOD = {"index": 0, "address": 0, "kind": "instruction", "field": "word",
        "choices": ["add", "nop"], "slots": {"rd": {"values": [1, 2]}}, "file": "s.s",
        "line": 1, "col": 1, "length": 9}


@pytest.mark.parametrize(
    "change, text",
    [
        ({"choices": ["add", "halt"]}, "'halt' is not an instruction"),
        ({"choices": []}, "expected 'choices'"),
        ({"slots": [1]}, "expected 'slots'"),
        ({"slots": {"rx": {"values": [1]}}}, "'rx': not a role"),
        ({"slots": {"rd": {"values": [2, 1]}}}, "sorted and unique"),
        ({"slots": {"rd": {"values": [16]}}}, "outside 0..15"),
        ({"slots": {"rd": {"lo": 0, "hi": 3}}}, "expected exactly values, or fixed"),
        ({"slots": {"imm": {"lo": 3, "hi": 1}}}, "hi: 1 is outside 3.."),
        ({"slots": {"imm": 5}}, "expected a mapping"),
        ({"kind": "register", "field": "rd", "lo": 0, "hi": 3}, "belongs to kind 'instruction'"),
        ({"kind": "register", "slots": None, "values": []}, "non-empty list of register"),
    ],
)
def test_malformed_instruction_holes_are_refused(change: dict, text: str) -> None:
    hole = {**GOOD, **change}
    if hole.get("slots") is None:
        del hole["slots"]
    assert from_json(_yaml_with(GOOD), "ok.json").holes == [GOOD]
    with pytest.raises(ImageError) as info:
        from_json(_yaml_with(hole), "bad.json")
    assert "bad.json: hole 0" in str(info.value) and text in str(info.value), str(info.value)


# --- the CLI -------------------------------------------------------------------------


def _asm(tmp_path: Path, monkeypatch, *args: str):
    monkeypatch.chdir(tmp_path)
    return CliRunner(env={"NO_COLOR": "1"}).invoke(app, ["asm", *args])


def test_cli_keep_holes_formats_and_json(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "s.s").write_text(SKETCH)
    for fmt in ("yaml", "json", "listing", "readmemh"):
        result = _asm(tmp_path, monkeypatch, "s.s", "--keep-holes", "-f", fmt, "-o", f"out.{fmt}")
        assert result.exit_code == 0, result.output
    want = assemble(SKETCH, "s.s", keep_holes=True).holes
    assert from_yaml((tmp_path / "out.yaml").read_text(), "out.yaml").holes == want
    listing = (tmp_path / "out.listing").read_text()
    assert "?{add,addi,nop}" in listing and "??{r1,r2}" in listing
    result = _asm(tmp_path, monkeypatch, "s.s", "--keep-holes", "--json", "-o", "j.yaml")
    summary = json.loads(result.stdout)
    assert [h["kind"] for h in summary["holes"]][:3] == ["instruction", "instruction", "register"]
    dis = CliRunner().invoke(app, ["disasm", "out.yaml"])
    assert dis.exit_code == 0 and "Traceback" not in dis.output


@pytest.mark.parametrize(
    "source, where",
    [
        ("?{add,halt}\n", "s.s:1:7: error: `halt` can't be a mnemonic-hole choice"),
        (".holes imm 5:1\nhalt\n", "s.s:1:12: error: empty immediate range 5:1"),
        (".rept 0\nnop\n.endr\n", "s.s:1:7: error: `.rept` count 0 must be at least 1"),
        ("add ??{r7-r0}, r1, r2\n", "s.s:1:8: error: bad register range `r7-r0`"),
    ],
)
def test_cli_errors_exit_1_without_traceback(tmp_path: Path, monkeypatch, source, where) -> None:
    (tmp_path / "s.s").write_text(source)
    result = _asm(tmp_path, monkeypatch, "s.s", "--keep-holes")
    assert result.exit_code == 1
    assert "Traceback" not in result.output and result.stdout == ""
    assert result.stderr.splitlines()[0].startswith(where), result.stderr
