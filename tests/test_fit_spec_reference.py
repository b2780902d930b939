"""Specs that state the intended function: `reference` / `reference_source`, `inputs`,
`check`, `examples` / `holdout` as numbers, `verify`, and `load_like`.

Expected values come from Python arithmetic on the drawn inputs (the reference programs
here compute one-line functions), and the edge set is written out from its definition."""

from __future__ import annotations

from pathlib import Path

import pytest

from ncpu_cli.fit import load_spec, parse_spec
from ncpu_cli.fit.spec import load_like

WORD = 1 << 32
# 0, ±1, ±2, every power of two and its negation, INT_MIN, INT_MAX, INT_MAX-1, INT_MIN+1,
# 0x55555555, 0xAAAAAAAA -- as 32-bit words
EDGE_WORDS = ({0, 1, WORD - 1, 2, WORD - 2, 2**31, 2**31 - 1, 2**31 - 2, 2**31 + 1,
               0x5555_5555, 0xAAAA_AAAA}
              | {2**k for k in range(32)} | {(WORD - 2**k) % WORD for k in range(32)})
# r2 = 3 * r1 + 7, by a loop (three additions)
TRIPLE = """\
        li r3, 3
        li r2, 7
loop:   add r2, r2, r1
        addi r3, r3, -1
        bne r3, r0, loop
        halt
"""
SKETCH = "        ?{add,sub} r2, r1, r1\n        addi r2, r2, ??[0:9]\n        halt\n"


def triple(x: int) -> int:
    return (3 * x + 7) % WORD


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "triple.s").write_text(TRIPLE)
    (tmp_path / "k.s").write_text(SKETCH)
    return tmp_path


def spec_of(folder: Path, text: str, seed: int = 0):
    return parse_spec("sketch: k.s\nmem_words: 64\n" + text, name="t.yaml", base=folder, seed=seed)


def r1_values(examples) -> list[int]:
    return [ex.inp.set[1] for ex in examples]


def test_drawn_examples_come_with_the_reference_results(folder: Path) -> None:
    spec = spec_of(folder, "reference: triple.s\ninputs: {r1: any32}\n"
                           "check: {regs: [r2]}\nexamples: 10\n")
    assert spec.reference is not None and spec.reference.name == str(folder / "triple.s")
    xs = r1_values(spec.examples)
    assert len(xs) == len(set(xs)) >= 10 + len(EDGE_WORDS) - 2  # ten random + the edges
    assert EDGE_WORDS <= set(xs)  # every edge value at least once
    for ex in spec.examples:
        assert ex.expect.regs == {2: triple(ex.inp.set[1])}
        assert ex.expect.out is None and ex.expect.status == "halted"


def test_drawing_is_seeded(folder: Path) -> None:
    text = "reference: triple.s\ninputs: {r1: any32, r4: '0:99'}\ncheck: {regs: [r2]}\n" \
           "examples: 20\nholdout: 5\n"
    a, b, c = spec_of(folder, text, 7), spec_of(folder, text, 7), spec_of(folder, text, 8)
    assert a.examples == b.examples and a.holdout == b.holdout
    assert r1_values(a.examples) != r1_values(c.examples)
    assert len(a.holdout) == 5
    assert all(0 <= ex.inp.set[4] <= 99 for ex in a.examples + a.holdout)


@pytest.mark.parametrize("form, allowed, edges", [
    ("'10:20'", set(range(10, 21)), {10, 11, 19, 20, 16}),
    ("'-3:3'", {v % WORD for v in range(-3, 4)}, {WORD - 3, WORD - 2, WORD - 1, 0, 1, 2, 3}),
    ("1:30", set(range(1, 31)), {1, 2, 29, 30, 4, 8, 16}),  # not base 60 (YAML 1.1's 90)
    ("[5, 6, -1]", {5, 6, WORD - 1}, {5, 6, WORD - 1}),
    ("edges", EDGE_WORDS, EDGE_WORDS),
    ("[edges, '0:3']", EDGE_WORDS | {0, 1, 2, 3}, EDGE_WORDS | {0, 1, 2, 3}),
    ("0x10", {16}, {16}),
], ids=["range", "negative-range", "unquoted-range", "list", "edges", "union", "constant"])
def test_forms(folder: Path, form: str, allowed: set, edges: set) -> None:
    spec = spec_of(folder, f"reference: triple.s\ninputs: {{r1: {form}}}\n"
                           "check: {regs: [r2]}\nexamples: 40\n")
    xs = set(r1_values(spec.examples))
    assert xs <= allowed
    assert edges <= xs


def test_stream_memory_and_output(folder: Path) -> None:
    (folder / "sum.s").write_text("        in r3\n        in r4\n        ld r5, 40(r0)\n"
                                  "        add r6, r3, r4\n        add r6, r6, r5\n"
                                  "        out r6\n        st r6, 41(r0)\n        halt\n")
    spec = spec_of(folder, "reference: sum.s\ninputs:\n  input: ['0:9', any32]\n"
                           "  mem: {40: [1, 2]}\ncheck: {out: true, mem: [41]}\nexamples: 8\n")
    assert len(spec.examples) >= 8
    for ex in spec.examples:
        a, b = ex.inp.input
        m = ex.inp.mem[40]
        assert 0 <= a <= 9 and m in (1, 2)
        total = (a + b + m) % WORD
        assert ex.expect.out == (total,) and ex.expect.mem == {41: total}
        assert ex.expect.regs == {}


def test_listed_examples_may_leave_out_expect(folder: Path) -> None:
    spec = spec_of(folder, "reference_source: |\n  li r2, 5\n  add r2, r2, r1\n  halt\n"
                           "check: {regs: [r2], status: false}\n"
                           "examples:\n  - {set: {r1: 1}}\n  - {set: {r1: -7}}\n"
                           "  - {set: {r1: 2}, expect: {regs: {r2: 99}}}\n"
                           "holdout:\n  - {set: {r1: 10}}\n")
    assert [ex.expect.regs for ex in spec.examples] == [{2: 6}, {2: WORD - 2}, {2: 99}]
    assert spec.examples[0].expect.status is None  # status: false -> any final status
    assert spec.examples[2].expect.status == "halted"  # written out: kept as written
    assert spec.holdout[0].expect.regs == {2: 15}
    assert spec.reference.name == "t.yaml:reference_source"
    # no `inputs`: the space is the examples' keys, drawn from [edges, any32]
    assert spec.inputs is not None and spec.inputs.inferred and set(spec.inputs.regs) == {1}


def test_defaults(folder: Path) -> None:
    spec = spec_of(folder, "reference: triple.s\ninputs: {r1: '0:5'}\n")
    assert spec.check.out and spec.check.status and not spec.check.regs  # out + status
    assert spec.reference.max_cycles == 1_000_000
    assert spec.verify is None
    assert set(r1_values(spec.examples)) == set(range(6))  # drawn (16 + edges), no repeats
    assert len(spec.examples) == 6
    spec = spec_of(folder, "reference: triple.s\nreference_max_cycles: 50\nverify: 123\n"
                           "inputs: {r1: '0:5'}\nexamples: 3\n")
    assert spec.reference.max_cycles == 50 and spec.verify == 123
    edges_only = spec_of(folder, "reference: triple.s\ninputs: {r1: edges}\nexamples: 0\n")
    assert sorted(r1_values(edges_only.examples)) == sorted(EDGE_WORDS)  # the sweep alone


def test_plain_spec_is_unchanged(folder: Path) -> None:
    spec = spec_of(folder, "examples:\n  - {set: {r1: 1}, expect: {regs: {r2: 3}}}\n")
    assert spec.reference is None and spec.inputs is None and spec.verify is None
    assert len(spec.examples) == 1 and spec.examples[0].expect.regs == {2: 3}


def test_load_spec_passes_the_seed(folder: Path) -> None:
    (folder / "s.yaml").write_text("sketch: k.s\nreference: triple.s\ninputs: {r1: any32}\n"
                                   "check: {regs: [r2]}\nexamples: 5\n")
    a, b = load_spec(folder / "s.yaml", seed=1), load_spec(folder / "s.yaml", seed=2)
    assert a.seed == 1 and r1_values(a.examples) != r1_values(b.examples)


def test_load_like(folder: Path) -> None:
    spec = load_like(folder / "triple.s", folder / "k.s", args=("r1",), results=("r2",),
                     mem_words=64, examples=12, seed=3)
    assert spec.name == "k" and spec.sketch_path == folder / "k.s"
    assert spec.check.regs == (2,) and spec.check.status and not spec.check.out
    assert set(spec.inputs.regs) == {1} and not spec.inputs.inferred
    assert EDGE_WORDS <= set(r1_values(spec.examples))
    assert all(ex.expect.regs == {2: triple(ex.inp.set[1])} for ex in spec.examples)


@pytest.mark.parametrize("args, results, message", [
    (("r99",), ("r2",), "--args: unknown register `r99`"),
    (("r1",), ("r0",), "--results: register `r0` is r0"),
    ((), ("r2",), "--args: expected one or more registers"),
])
def test_load_like_bad_registers(folder: Path, args, results, message: str) -> None:
    from ncpu_cli.errors import FitError

    with pytest.raises(FitError) as info:
        load_like(folder / "triple.s", folder / "k.s", args=args, results=results)
    assert message in str(info.value)


def test_fit_like_finds_the_equivalent_program(folder: Path) -> None:
    """Superoptimisation: the loop reference 3x + 7 as `add` + `addi` (evolve, verified)."""
    from ncpu_cli.fit import fit

    (folder / "k3.s").write_text("        ?{add,sub,mul} r2, r1, r1\n"
                                 "        ?{add,sub} r2, r2, r1\n"
                                 "        addi r2, r2, ??[0:9]\n        halt\n")
    spec = load_like(folder / "triple.s", folder / "k3.s", args=("r1",), results=("r2",),
                     mem_words=64, max_cycles=16, examples=8, verify=2000)
    res = fit(spec, method="enumerate", time_limit=120)
    assert res.solved, res
    assert "add r2, r1, r1" in res.program and "add r2, r2, r1" in res.program
    assert "addi r2, r2, 7" in res.program
    assert res.verified == 2000
