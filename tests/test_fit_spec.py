"""The fit spec (`load_spec` / `parse_spec`): every field of the issue's spec, its defaults,
and 32-bit wrapping of negative values. Expected words are two's-complement facts
(-1 is 2^32 - 1), written out by hand."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ncpu_cli.errors import FitError
from ncpu_cli.fit import Sketch, load_spec, parse_spec

SKETCH = "        addi r2, r1, ??[0:9]\n        halt\n"
FULL = """\
sketch: lut.s
mem_words: 64
max_cycles: 200
examples:
  - set: {r1: 3, sp: 7}
    input: [1, 2]
    mem: {40: 7}
    expect:
      out: [10]
      regs: {r2: 10}
      mem: {41: 5}
      status: halted
  - set: {r1: -1}
    input: [-2]
    mem: {63: -3}
    expect: {out: [-1, 0], regs: {lr: -2147483648}, status: fault}
holdout:
  - {set: {r1: 4}, expect: {regs: {r2: 11}, status: timeout}}
"""


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "lut.s").write_text(SKETCH)
    (folder / "full.yaml").write_text(FULL)
    return folder


def test_every_field(spec_dir: Path) -> None:
    spec = load_spec(spec_dir / "full.yaml")
    assert spec.source == SKETCH
    assert spec.sketch_path == spec_dir / "lut.s"
    assert spec.mem_words == 64 and spec.max_cycles == 200
    assert len(spec.examples) == 2 and len(spec.holdout) == 1
    first, second = spec.examples
    assert first.inp.set == {1: 3, 15: 7}
    assert first.inp.input == (1, 2)
    assert first.inp.mem == {40: 7}
    assert first.expect.out == (10,)
    assert first.expect.regs == {2: 10}
    assert first.expect.mem == {41: 5}
    assert first.expect.status == "halted"
    # negative values are 32-bit words: -1 -> 0xFFFFFFFF, -2^31 -> 0x80000000
    assert second.inp.set == {1: 0xFFFF_FFFF}
    assert second.inp.input == (0xFFFF_FFFE,)
    assert second.inp.mem == {63: 0xFFFF_FFFD}
    assert second.expect.out == (0xFFFF_FFFF, 0)
    assert second.expect.regs == {14: 0x8000_0000}
    assert second.expect.mem == {}
    assert second.expect.status == "fault"
    held = spec.holdout[0]
    assert held.inp.set == {1: 4} and held.expect.regs == {2: 11}
    assert held.expect.status == "timeout" and held.expect.out is None


def test_sketch_is_relative_to_the_spec_file(spec_dir: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "lut.s").write_text("        halt\n")  # a decoy in the working folder
    monkeypatch.chdir(elsewhere)
    spec = load_spec(Path(os.path.relpath(spec_dir / "full.yaml", elsewhere)))
    assert spec.source == SKETCH


def test_defaults_and_inline_source() -> None:
    spec = parse_spec("source: |\n  addi r2, r1, ??[0:9]\n  halt\n"
                      "examples:\n  - {expect: {regs: {r2: 1}}}\n")
    assert spec.source == "addi r2, r1, ??[0:9]\nhalt\n"
    assert spec.sketch_path is None
    assert spec.mem_words == 1024 and spec.max_cycles == 10000  # the defaults
    assert spec.holdout == ()
    ex = spec.examples[0]
    assert ex.inp.set == {} and ex.inp.input == () and ex.inp.mem == {}
    assert ex.expect.status == "halted" and ex.expect.out is None


def test_inline_source_assembles_with_its_holes() -> None:
    spec = parse_spec("mem_words: 16\nsource: |\n  addi r2, r1, ??[0:9]\n  halt\n"
                      "examples:\n  - {expect: {regs: {r2: 1}}}\n")
    sketch = Sketch(spec)
    assert [(h.kind, h.line, h.lo, h.size) for h in sketch.holes] == [("imm", 1, 0, 10)]


def test_inline_source_includes_from_the_spec_folder(spec_dir: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (spec_dir / "lib.s").write_text("helper: halt\n")
    (spec_dir / "inc.yaml").write_text(
        "source: |\n  addi r2, r1, ??[0:9]\n  halt\n  .include \"lib.s\"\n"
        "examples:\n  - {expect: {regs: {r2: 1}}}\n")
    monkeypatch.chdir(tmp_path)
    sketch = Sketch(load_spec(spec_dir / "inc.yaml"))
    assert len(sketch.image.words) == 3


@pytest.mark.parametrize("text, message", [
    ("sketch: lut.s\nexamples: []\n", "the spec has no examples"),
    ("sketch: lut.s\n", "the spec has no examples"),
    ("examples:\n  - {expect: {regs: {r2: 1}}}\n", "give exactly one of `sketch"),
    ("sketch: lut.s\nsource: halt\nexamples:\n  - {expect: {regs: {r2: 1}}}\n",
     "give exactly one of `sketch"),
    ("sketch: lut.s\nmem_words: 8\nexamples:\n  - {expect: {regs: {r2: 1}}}\n", "mem_words"),
    ("sketch: lut.s\nmax_cycles: 0\nexamples:\n  - {expect: {regs: {r2: 1}}}\n", "max_cycles"),
    ("sketch: lut.s\nexamples:\n  - {set: {r1: 1}}\n", "expects nothing"),
    ("sketch: lut.s\nexamples:\n  - {expect: {regs: {r2: 1}, status: crashed}}\n",
     "`crashed` is not one of"),
    ("sketch: lut.s\nexamples:\n  - {set: {r1: 1.5}, expect: {regs: {r2: 1}}}\n",
     "expected a whole number"),
    ("sketch: lut.s\nexamples:\n  - {set: {r1: true}, expect: {regs: {r2: 1}}}\n",
     "expected a whole number"),
    ("sketch: lut.s\nexamples:\n  - {set: {r1: 4294967296}, expect: {regs: {r2: 1}}}\n",
     "out of 32-bit range"),
    ("sketch: lut.s\nexamples:\n  - {set: {r1: -2147483649}, expect: {regs: {r2: 1}}}\n",
     "out of 32-bit range"),
    ("sketch: lut.s\nexamples:\n  - {input: 5, expect: {regs: {r2: 1}}}\n",
     "expected a list of words"),
    ("sketch: lut.s\nexamples: {a: 1}\n", "expected a list of examples"),
    ("sketch: lut.s\nholdout: [{expect: {regs: {r2: 1}}}, {set: {r1: 1}}]\n"
     "examples:\n  - {expect: {regs: {r2: 1}}}\n", "holdout[1].expect: expects nothing"),
], ids=["empty-examples", "no-examples", "no-sketch", "two-sketches", "mem-words",
        "max-cycles", "expects-nothing", "status", "float", "bool", "too-big", "too-small",
        "input-not-list", "examples-not-list", "holdout"])
def test_bad_specs_raise_fit_error(spec_dir: Path, text: str, message: str) -> None:
    with pytest.raises(FitError, match=None) as info:
        parse_spec(text, name="t.yaml", base=spec_dir)
    assert message in str(info.value)
    assert str(info.value).startswith("t.yaml")


def test_missing_spec_file(tmp_path: Path) -> None:
    with pytest.raises(FitError, match="no such spec file"):
        load_spec(tmp_path / "nope.yaml")
