"""`Sketch`: its holes (source order, kind, range), `fill` (checked against the assembler's
own encoding of the same program written with the values), `render` (only the hole tokens
change), data holes, and `space`."""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pytest
import yaml
from fit_common import runner

from ncpu_cli.asm import assemble
from ncpu_cli.cli import app
from ncpu_cli.fit import Sketch, parse_spec

MEM = 32
# <X> marks where a hole goes; the sketch puts the hole token there, a filled program a value
TEMPLATE = """\
; every kind of hole
start:  <M> r3, r1, <R>   ; mnemonic + register
        addi r4, r3, <I>  ; an immediate, ??[0:1] in this comment is no hole
        ld r5, table(r0)
\tbeq\tr4, r5, <T>\t; a branch target (tabs count as one column)
        halt
table:  .word <D1>, 7, <D2>, <D3>   ; data
"""
TOKENS = {"<M>": "?{add,sub,xor}", "<R>": "??", "<I>": "??[-5:9]", "<T>": "??[0:7]",
          "<D1>": "??[0:255]", "<D2>": "??[-8:7]", "<D3>": "??"}
# (placeholder, kind, lo, size) in source order
HOLES = [("<M>", "mnemonic", 0, 3), ("<R>", "register", 0, 16), ("<I>", "imm", -5, 15),
         ("<T>", "imm", 0, 8), ("<D1>", "data", 0, 256), ("<D2>", "data", -8, 16),
         ("<D3>", "data", -(2**31), 2**32)]
CHOICES = ("add", "sub", "xor")


def substitute(values: dict[str, str]) -> str:
    text = TEMPLATE
    for mark, value in values.items():
        text = text.replace(mark, value)
    return text


SKETCH_TEXT = substitute(TOKENS)


@pytest.fixture(scope="module")
def sketch() -> Sketch:
    body = "".join(f"  {line}\n" for line in SKETCH_TEXT.splitlines())
    spec = parse_spec(f"mem_words: {MEM}\nsource: |\n{body}examples:\n"
                      "  - {expect: {regs: {r2: 1}}}\n")
    return Sketch(spec)


def where(mark: str) -> tuple[int, int]:
    """1-based line and column of placeholder `mark`'s hole token in the sketch text."""
    for n, line in enumerate(TEMPLATE.splitlines(), start=1):
        if mark in line:
            return n, len(substitute_tokens(line[: line.index(mark)])) + 1
    raise KeyError(mark)


def substitute_tokens(text: str) -> str:
    for mark, token in TOKENS.items():
        text = text.replace(mark, token)
    return text


def test_holes_in_source_order(sketch: Sketch) -> None:
    got = [(h.index, h.kind, h.lo, h.size, h.line, h.col) for h in sketch.holes]
    want = [(i, kind, lo, size, *where(mark)) for i, (mark, kind, lo, size) in enumerate(HOLES)]
    assert got == want
    assert sketch.holes[0].choices == CHOICES
    assert list(sketch.sizes) == [size for *_, size in HOLES]


def test_space_is_the_product_of_the_ranges(sketch: Sketch) -> None:
    assert sketch.space == 3 * 16 * 15 * 8 * 256 * 16 * 2**32  # an exact int past 2^63


def value_text(mark: str, kind: str, lo: int, k: int) -> str:
    if kind == "mnemonic":
        return CHOICES[k]
    return f"r{k}" if kind == "register" else str(lo + k)


def fillings() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    sizes = [size for *_, size in HOLES]
    out = [np.zeros(len(HOLES), dtype=np.int64), np.asarray(sizes, dtype=np.int64) - 1]
    out += [np.asarray([rng.integers(0, s) for s in sizes], dtype=np.int64) for _ in range(12)]
    return out


@pytest.mark.parametrize("filling", fillings(), ids=lambda f: "-".join(map(str, f)))
def test_fill_matches_the_assembler(sketch: Sketch, filling: np.ndarray) -> None:
    filled = substitute({mark: value_text(mark, kind, lo, int(k))
                         for (mark, kind, lo, _), k in zip(HOLES, filling)})
    words = assemble(filled, "filled.s", mem_words=MEM).words  # no holes: the plain assembler
    got = sketch.fill(filling[None, :])
    assert got.shape == (1, MEM)
    assert [int(w) for w in got[0, : len(words)]] == [w & 0xFFFF_FFFF for w in words]
    assert not got[0, len(words):].any()
    # render: the sketch's text with each hole token replaced, nothing else
    rendered = sketch.render(filling)
    assert rendered == filled
    changed = [line for line in difflib.ndiff(SKETCH_TEXT.splitlines(), rendered.splitlines())
               if line[:1] in "+-"]
    assert len(changed) == 2 * len({where(m)[0] for m, *_ in HOLES})  # only the hole lines
    # values <-> indices
    values = [CHOICES[k] if kind == "mnemonic" else lo + int(k)
              for (_, kind, lo, _), k in zip(HOLES, filling)]
    assert sketch.values(filling) == values
    assert list(sketch.indices(values)) == list(filling)
    assert sketch.describe(filling) == [
        {"line": where(m)[0], "col": where(m)[1], "kind": kind, "value": v}
        for (m, kind, *_), v in zip(HOLES, values)]


def test_fill_many_at_once(sketch: Sketch) -> None:
    batch = np.stack(fillings())
    rows = sketch.fill(batch)
    assert rows.shape == (len(batch), MEM)
    for row, filling in zip(rows, batch):
        assert (row == sketch.fill(filling[None, :])[0]).all()


def test_full_word_data_hole(sketch: Sketch) -> None:
    """`.word ??` takes every 32-bit word: value -1 is the word 0xFFFFFFFF."""
    hole = sketch.holes[6]
    filling = np.zeros(len(HOLES), dtype=np.int64)
    filling[6] = hole.index_of(-1)
    assert filling[6] == 2**31 - 1
    assert sketch.fill(filling[None, :])[0, hole.address] == 0xFFFF_FFFF
    with pytest.raises(ValueError):
        sketch.holes[4].index_of(256)  # outside ??[0:255]


def test_the_assembler_keeps_data_holes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("s.s").write_text("        ld r1, 2(r0)\n        halt\n        .word ??[0:255], ??\n")
    res = runner().invoke(app, ["asm", "s.s", "--keep-holes", "-o", "s.yaml"])
    assert res.exit_code == 0, res.output
    holes = yaml.safe_load(Path("s.yaml").read_text())["holes"]
    assert [(h["kind"], h["address"], h["lo"], h["hi"], h["line"], h["col"]) for h in holes] == [
        ("data", 2, 0, 255, 3, 15), ("data", 3, -(2**31), 2**31 - 1, 3, 26)]
    plain = runner().invoke(app, ["asm", "s.s", "-o", "t.yaml"])
    assert plain.exit_code == 1  # without --keep-holes a hole is an error
