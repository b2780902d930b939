"""Data-driven assembler tests: every tests/asm/ok_*.s and err_*.s with inline expectations.

ok_*.s   a line that places words ends in `; => 0x........ [0x........ ...]`
         (`WORD*N` repeats a word); every line that places words must say
         which, in the main file and in any file it includes. Header lines:
           ;! keep-holes | ;! mem-words N | ;! entry N | ;! size N
           ;! symbol NAME VALUE | ;! hole ADDR KIND FIELD LO HI | ;! hole ADDR mnemonic op A,B
err_*.s  `; error@[FILE:]LINE:COL: text` for each expected error (exactly these, no
         others) and `; note@[FILE:]LINE:COL: text` for notes; text is a substring.
The expected words were worked out by hand from ISA.md's encoding table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ncpu_cli.asm import assemble_file
from ncpu_cli.asm.diagnostics import render
from ncpu_cli.errors import AsmError

ASM_DIR = Path(__file__).parent / "asm"
OK_FILES = sorted(ASM_DIR.glob("ok_*.s"))
ERR_FILES = sorted(ASM_DIR.glob("err_*.s"))

_EXPECT = re.compile(r";\s*=>\s*(.*?)\s*$")
_OPTION = re.compile(r"^\s*;!\s*(\S+)\s*(.*?)\s*$")
_DIAG = re.compile(r";\s*(error|note)@(?:([^:\s]+):)?(\d+):(\d+):\s*(.*?)\s*$")


def _words(text: str) -> list[int]:
    out: list[int] = []
    for tok in text.split():
        word, _, count = tok.partition("*")
        out += [int(word, 0)] * (int(count) if count else 1)
    return out


def _expectations(text: str) -> dict[int, list[int]]:
    return {
        n: _words(m.group(1))
        for n, line in enumerate(text.split("\n"), 1)
        if (m := _EXPECT.search(line))
    }


def _options(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for line in text.split("\n") if (m := _OPTION.match(line))]


def _assemble(path: Path, options: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(ASM_DIR)
    keep = any(k == "keep-holes" for k, _ in options)
    mem = next((int(v) for k, v in options if k == "mem-words"), None)
    return assemble_file(path.name, keep_holes=keep, mem_words=mem)


def test_enough_cases() -> None:
    assert len(OK_FILES) + len(ERR_FILES) >= 60
    assert len(OK_FILES) >= 25 and len(ERR_FILES) >= 25


@pytest.mark.parametrize("path", OK_FILES, ids=lambda p: p.name)
def test_ok_case(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    options = _options(text)
    try:
        image = _assemble(path, options, monkeypatch)
    except AsmError as err:
        pytest.fail(f"{path.name} should assemble:\n{render(err)}")
    placed: dict[tuple[str, int], list[int]] = {}
    for addr in sorted(image.source_map):
        placed.setdefault(image.source_map[addr], []).append(image.words[addr])
    expected: dict[tuple[str, int], list[int]] = {}
    for name in {f for f, _ in image.source_map.values()} | {path.name}:
        for line, words in _expectations((ASM_DIR / name).read_text(encoding="utf-8")).items():
            expected[(name, line)] = words
    assert expected, f"{path.name} has no `; =>` expectations"
    for where in sorted(set(placed) | set(expected)):
        got = [f"0x{w:08X}" for w in placed.get(where, [])]
        want = [f"0x{w & 0xFFFFFFFF:08X}" for w in expected.get(where, [])]
        assert got == want, f"{where[0]}:{where[1]}"
    _check_options(image, options)


def _check_options(image, options: list[tuple[str, str]]) -> None:
    holes = {(h["address"], h["kind"]): h for h in image.holes}
    want_holes = 0
    for key, value in options:
        args = value.split()
        if key == "entry":
            assert image.entry == int(args[0], 0)
        elif key == "size":
            assert image.size == int(args[0], 0)
        elif key == "symbol":
            assert image.symbols.get(args[0]) == int(args[1], 0), args[0]
        elif key == "hole":
            want_holes += 1
            hole = holes[(int(args[0], 0), args[1])]
            assert hole["field"] == args[2]
            if args[1] == "mnemonic":
                assert hole["choices"] == args[3].split(",")
            else:
                assert (hole["lo"], hole["hi"]) == (int(args[3], 0), int(args[4], 0))
            assert {"file", "line", "col"} <= set(hole)
    assert len(image.holes) == want_holes


def _diag_key(d) -> tuple[str, int, int]:
    return (d.span.file, d.span.line, d.span.col)


@pytest.mark.parametrize("path", ERR_FILES, ids=lambda p: p.name)
def test_err_case(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    wanted = [
        (m.group(1), m.group(2) or path.name, int(m.group(3)), int(m.group(4)), m.group(5))
        for line in text.split("\n")
        if (m := _DIAG.search(line))
    ]
    assert any(w[0] == "error" for w in wanted), f"{path.name} expects no error"
    with pytest.raises(AsmError) as info:
        _assemble(path, _options(text), monkeypatch)
    err = info.value
    errors = list(err.diagnostics)
    notes = [n for d in errors for n in d.notes]
    for kind, file, line, col, message in wanted:
        pool = errors if kind == "error" else notes
        match = next(
            (d for d in pool if _diag_key(d) == (file, line, col) and message in d.message), None
        )
        shown = "\n".join(f"  {_diag_key(d)} {d.message}" for d in pool)
        assert match is not None, (
            f"no {kind} at {file}:{line}:{col} containing {message!r}; got:\n{shown}"
        )
        pool.remove(match)
    assert not errors, "unexpected errors:\n" + "\n".join(
        f"  {_diag_key(d)} {d.message}" for d in errors
    )
    n = len(err.diagnostics)
    assert render(err).endswith(f"error: {n} error{'s' if n != 1 else ''}, assembly failed\n")
