"""Bad reference / inputs / check / drawn-examples fields (issue 16 §5): a FitError that
names the spec file and the key (and, for a reference that faults or does not halt, the
input it did so on); through `ncpu fit` exit 1, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from fit_common import json_of, ncpu_fit, no_traceback

from ncpu_cli.errors import AsmError, FitError
from ncpu_cli.fit import parse_spec

HEAD = "sketch: k.s\nmem_words: 32\n"
REF = "reference: ref.s\n"
ONE = "examples:\n  - {set: {r1: 1}}\n"
CHECK = "check: {regs: [r2]}\n"
# ld r2, 0(r1): faults when r1 is outside memory (0..31)
LOAD = "        ld r2, 0(r1)\n        halt\n"
# loops r1 times: does not halt in 50 cycles for large r1
SPIN = "loop:   beq r1, r0, done\n        addi r1, r1, -1\n        j loop\ndone:   halt\n"

CASES = [
    ("both-references", REF + "reference_source: halt\n" + ONE,
     "t.yaml: give at most one of `reference: FILE.s` and `reference_source: |`"),
    ("missing-reference", "reference: nope.s\n" + ONE, "t.yaml: reference: no such reference file"),
    ("reference-not-a-name", "reference: 5\n" + ONE, "t.yaml: reference: expected a file name"),
    ("empty-reference-source", "reference_source: ''\n" + ONE,
     "t.yaml: reference_source: expected the reference program's text"),
    ("cycles-without-reference", "reference_max_cycles: 5\n" + ONE,
     "t.yaml: reference_max_cycles: the spec has no reference"),
    ("cycles-zero", REF + "reference_max_cycles: 0\n" + ONE,
     "t.yaml: reference_max_cycles: 0 outside 1.."),
    ("cycles-not-a-number", REF + "reference_max_cycles: many\n" + ONE,
     "t.yaml: reference_max_cycles: expected a whole number"),
    ("inputs-not-mapping", REF + "inputs: [r1]\n" + ONE, "t.yaml: inputs: expected a mapping"),
    ("inputs-unknown-key", REF + "inputs: {bogus: any32}\n" + ONE,
     "t.yaml: inputs: unknown register `bogus`"),
    ("inputs-r0", REF + "inputs: {r0: any32}\n" + ONE, "t.yaml: inputs: register `r0` is r0"),
    ("unknown-form", REF + "inputs: {r1: anything}\n" + ONE,
     "t.yaml: inputs.r1: unknown input form `anything`"),
    ("empty-range", REF + "inputs: {r1: '5:2'}\n" + ONE,
     "t.yaml: inputs.r1: empty range `5:2` (lo 5 > hi 2)"),
    ("range-not-numbers", REF + "inputs: {r1: 'a:b'}\n" + ONE,
     "t.yaml: inputs.r1: range `a:b`: `a` is not a number"),
    ("range-too-big", REF + "inputs: {r1: '0:4294967296'}\n" + ONE,
     "t.yaml: inputs.r1: value 4294967296 out of 32-bit range"),
    ("value-too-big", REF + "inputs: {r1: [1, 4294967296]}\n" + ONE,
     "t.yaml: inputs.r1[1]: value 4294967296 out of 32-bit range"),
    ("value-too-small", REF + "inputs: {r1: -2147483649}\n" + ONE,
     "t.yaml: inputs.r1: value -2147483649 out of 32-bit range"),
    ("empty-list", REF + "inputs: {r1: []}\n" + ONE, "t.yaml: inputs.r1: an empty list draws nothing"),
    ("float", REF + "inputs: {r1: 1.5}\n" + ONE, "t.yaml: inputs.r1: cannot draw from `1.5`"),
    ("bool", REF + "inputs: {r1: true}\n" + ONE, "t.yaml: inputs.r1: cannot draw from `True`"),
    ("null", REF + "inputs: {r1: null}\n" + ONE, "t.yaml: inputs.r1: cannot draw from `None`"),
    ("nested-unknown", REF + "inputs: {r1: [edges, [1, wat]]}\n" + ONE,
     "t.yaml: inputs.r1[1][1]: unknown input form `wat`"),
    ("stream-not-list", REF + "inputs: {input: any32}\n" + ONE,
     "t.yaml: inputs.input: expected a list of forms, one per input word"),
    ("stream-form", REF + "inputs: {input: [any32, '9:1']}\n" + ONE,
     "t.yaml: inputs.input[1]: empty range `9:1`"),
    ("mem-not-mapping", REF + "inputs: {mem: [1]}\n" + ONE,
     "t.yaml: inputs.mem: expected a mapping of memory cells to forms"),
    ("mem-outside", REF + "inputs: {mem: {32: any32}}\n" + ONE,
     "t.yaml: inputs.mem: memory cell 32 outside 0..31"),
    ("mem-form", REF + "inputs: {mem: {3: '-1:-2'}}\n" + ONE, "t.yaml: inputs.mem.3: empty range"),
    ("check-without-reference", CHECK + "examples:\n  - {expect: {regs: {r2: 1}}}\n",
     "t.yaml: check: compares a candidate with the reference"),
    ("check-unknown", REF + "check: {reg: [r2]}\n" + ONE, "t.yaml: check: unknown field `reg`"),
    ("check-nothing", REF + "check: {status: true}\n" + ONE,
     "t.yaml: check: compares nothing: name at least one of regs, out, mem"),
    ("check-register", REF + "check: {regs: [r77]}\n" + ONE,
     "t.yaml: check.regs: unknown register `r77`"),
    ("check-out-not-bool", REF + "check: {out: 1}\n" + ONE,
     "t.yaml: check.out: expected true or false, got `1`"),
    ("check-mem-outside", REF + "check: {mem: [40]}\n" + ONE,
     "t.yaml: check.mem: memory cell 40 outside 0..31"),
    ("count-without-reference", "examples: 8\n",
     "t.yaml: examples: a number of examples (8) is drawn from `inputs`"),
    ("count-without-inputs", REF + "examples: 8\n",
     "t.yaml: examples: a number of examples (8) is drawn from `inputs`"),
    ("holdout-count-without-reference", "holdout: 3\nexamples:\n  - {expect: {regs: {r2: 1}}}\n",
     "t.yaml: holdout: a number of examples (3) is drawn"),
    ("count-negative", REF + "inputs: {r1: any32}\nexamples: -1\n",
     "t.yaml: examples: -1 examples: expected 0..100,000"),
    ("examples-not-list", REF + "examples: {a: 1}\n",
     "t.yaml: examples: expected a list of examples (or a number of examples to draw)"),
    ("verify-negative", REF + "verify: -5\n" + ONE, "t.yaml: verify: -5 outside 0.."),
    ("verify-not-a-number", REF + "verify: lots\n" + ONE, "t.yaml: verify: expected a whole number"),
    ("no-examples-no-inputs", REF, "t.yaml: examples: the spec has no examples"),
    ("expect-needed-without-reference", "examples:\n  - {set: {r1: 1}}\n",
     "t.yaml: examples[0].expect: expects nothing"),
    ("reference-faults-on-example", "reference: load.s\n" + CHECK +
     "examples:\n  - {set: {r1: 5}}\n  - {set: {r1: 100}}\n",
     "t.yaml: examples[1]: the reference `{dir}/load.s` faults on r1 = 100"),
    ("reference-faults-on-holdout", "reference: load.s\n" + CHECK + ONE +
     "holdout:\n  - {set: {r1: -3}}\n",
     "t.yaml: holdout[0]: the reference `{dir}/load.s` faults on r1 = -3"),
    ("reference-faults-on-drawn", "reference: load.s\n" + CHECK +
     "inputs: {r1: '40:50'}\nexamples: 4\n", "the reference `{dir}/load.s` faults on r1 = "),
    ("reference-times-out", "reference: spin.s\nreference_max_cycles: 50\n" + CHECK +
     "examples:\n  - {set: {r1: 3}}\n  - {set: {r1: 1000}}\n",
     "t.yaml: examples[1]: the reference `{dir}/spin.s` does not halt within 50 cycles "
     "(reference_max_cycles) on r1 = 1000"),
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "k.s").write_text("        addi r2, r1, ??[0:9]\n        halt\n")
    (tmp_path / "ref.s").write_text("        addi r2, r1, 3\n        halt\n")
    (tmp_path / "load.s").write_text(LOAD)
    (tmp_path / "spin.s").write_text(SPIN)
    return tmp_path


@pytest.mark.parametrize("name, text, message", CASES, ids=[c[0] for c in CASES])
def test_bad_spec_fields(folder: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(FitError) as info:
        parse_spec(HEAD + text, name="t.yaml", base=folder)
    got = str(info.value)
    assert message.format(dir=folder) in got, got
    assert got.startswith("t.yaml") or got.startswith(str(folder))


def test_drawn_fault_names_a_drawn_example(folder: Path) -> None:
    with pytest.raises(FitError) as info:
        parse_spec(HEAD + "reference: load.s\ncheck: {regs: [r2]}\ninputs: {r1: '0:63'}\n"
                          "examples: 30\n", name="t.yaml", base=folder)
    got = str(info.value)
    assert got.startswith("t.yaml: examples[") and "faults on r1 = " in got
    value = int(got.split("faults on r1 = ")[1].split(";")[0])
    assert 32 <= value <= 63  # an address outside memory: the fault is real
    assert "narrow `inputs`" in got


def test_reference_with_a_hole_is_an_assembler_error(folder: Path) -> None:
    (folder / "holey.s").write_text("        addi r2, r1, ??\n        halt\n")
    with pytest.raises(AsmError) as info:
        parse_spec(HEAD + "reference: holey.s\n" + ONE, name="t.yaml", base=folder)
    first = info.value.diagnostics[0]
    assert (first.span.file, first.span.line) == (str(folder / "holey.s"), 1)


@pytest.mark.parametrize("text, message", [
    (REF + "inputs: {r1: '5:2'}\n" + ONE, "spec.yaml: inputs.r1: empty range `5:2`"),
    ("reference: load.s\n" + CHECK + "examples:\n  - {set: {r1: 77}}\n",
     "spec.yaml: examples[0]: the reference `load.s` faults on r1 = 77"),
], ids=["empty-range", "reference-faults"])
def test_through_the_command_line(folder: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                  message: str) -> None:
    monkeypatch.chdir(folder)
    Path("spec.yaml").write_text(HEAD + text)
    args = ["spec.yaml", "--method", "evolve", "--restarts", "4", "--steps", "1",
            "--time-limit", "5"]
    plain, as_json = ncpu_fit(*args), ncpu_fit(*args, "--json")
    for res in (plain, as_json):
        no_traceback(res)
        assert res.exit_code == 1, res.output
    assert plain.stdout == "" and message in plain.stderr, plain.stderr
    err = json_of(as_json)["error"]
    assert err["kind"] == "fit" and message in err["message"]
