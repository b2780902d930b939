"""Verification against the reference on fresh inputs, and CEGIS in the tracker.

The traps of issue 16: sign(x) as `(x >>s 30) | 1` passes every example that avoids
x = 0, and an "is power of two" test that looks only at the low bits passes a hand-picked
example list; both must be rejected with a real counterexample. Expected values come from
the mathematical definitions (Python), never from running our code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ncpu_cli.errors import FitError
from ncpu_cli.fit import fit, parse_spec
from ncpu_cli.fit.check import Checker
from ncpu_cli.fit.options import FitOptions
from ncpu_cli.fit.search import FitResult, Tracker, result_fields
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.verify import DEFAULT_VERIFY, Verifier, verify_count

WORD = 1 << 32
EDGE_WORDS = ({0, 1, WORD - 1, 2, WORD - 2, 2**31, 2**31 - 1, 2**31 - 2, 2**31 + 1,
               0x5555_5555, 0xAAAA_AAAA}
              | {2**k for k in range(32)} | {(WORD - 2**k) % WORD for k in range(32)})


def signed(w: int) -> int:
    return w - WORD if w >= 2**31 else w


def sign(x: int) -> int:  # the mathematical sign of a signed 32-bit x, as a word
    s = signed(x)
    return (1 if s > 0 else -1 if s < 0 else 0) % WORD


def is_pow2(x: int) -> int:  # x as an unsigned word: exactly one bit set
    return 1 if bin(x).count("1") == 1 else 0


# sign(r1) -> r2, branchy
SIGN_REF = """\
        blt r1, r0, neg
        beq r1, r0, isz
        li r2, 1
        halt
neg:    li r2, -1
        halt
isz:    li r2, 0
        halt
"""
# (x >>s k) | c, and a right one: (x >>s k) | ((0 - x) >>u j)
SIGN_WRONG = "        sari r2, r1, ??[0:31]\n        ori r2, r2, ??[0:3]\n        halt\n"
SIGN_RIGHT = ("        sari r2, r1, ??[0:31]\n        sub r3, r0, r1\n"
              "        shri r3, r3, ??[0:31]\n        or r2, r2, r3\n        halt\n")
# popcount(r1) by a loop, then r2 = (popcount == 1)
POW2_REF = """\
        li r5, 0
        mov r3, r1
loop:   beq r3, r0, end
        andi r4, r3, 1
        add r5, r5, r4
        shri r3, r3, 1
        j loop
end:    li r2, 0
        addi r5, r5, -1
        bne r5, r0, done
        li r2, 1
done:   halt
"""
# r2 = ((x & (x - 1)) & MASK) < 1: right only where the low bits decide
POW2_WRONG = ("        addi r3, r1, -1\n        and r3, r3, r1\n        andi r3, r3, ??[0:255]\n"
              "        slti r2, r3, 1\n        halt\n")


def pow2_wrong(x: int, mask: int) -> int:
    return 1 if (x & ((x - 1) % WORD)) & mask == 0 else 0


def make_spec(folder: Path, sketch: str, ref: str, xs, truth, extra: str = ""):
    (folder / "k.s").write_text(sketch)
    (folder / "ref.s").write_text(ref)
    lines = "".join(f"  - {{set: {{r1: {x}}}, expect: {{regs: {{r2: {truth(x % WORD)}}}}}}}\n"
                    for x in xs)
    text = (f"sketch: k.s\nreference: ref.s\nmem_words: 64\nmax_cycles: 64\n"
            f"check: {{regs: [r2]}}\n{extra}examples:\n{lines}")
    return parse_spec(text, name="t.yaml", base=folder)


NONZERO = [5, -3, 1000, -2**31, 2**31 - 1, 1, -1, 2**30, -2**30 - 1]  # every x but 0


@pytest.fixture
def sign_wrong(tmp_path: Path):
    spec = make_spec(tmp_path, SIGN_WRONG, SIGN_REF, NONZERO, sign)
    return spec, Sketch(spec)


def test_the_sign_trap_passes_its_examples(sign_wrong) -> None:
    spec, sketch = sign_wrong
    filling = sketch.indices([30, 1])
    sc = Checker(sketch, spec).score(filling[None, :], spec.examples)
    assert sc.count[0] == len(NONZERO)  # every example passes: examples alone let it through


@pytest.mark.parametrize("shift", [30, 31])
def test_verifier_finds_zero(sign_wrong, shift: int) -> None:
    spec, sketch = sign_wrong
    verifier = Verifier(spec, sketch, seed=5)
    passed, cex = verifier.check(sketch.indices([shift, 1]), 1000)
    assert cex is not None and passed < 1000
    assert cex.inp.set == {1: 0}  # sign(x) differs from (x >> k) | 1 only at 0
    assert cex.expect.regs == {2: sign(0)} == {2: 0}
    assert cex.expect.status == "halted"


def test_verifier_passes_a_right_sign(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, SIGN_RIGHT, SIGN_REF, NONZERO, sign)
    sketch = Sketch(spec)
    assert Verifier(spec, sketch, seed=1).check(sketch.indices([31, 31]), 5000) == (5000, None)
    # one bit short: wrong for x < -2^30, where (x >> 30) is -2
    passed, cex = Verifier(spec, sketch, seed=1).check(sketch.indices([30, 31]), 5000)
    x = cex.inp.set[1]
    assert signed(x) < -2**30 and cex.expect.regs == {2: sign(x)}


def test_power_of_two_right_on_examples_wrong_on_fresh_inputs(tmp_path: Path) -> None:
    xs = [1, 2, 4, 8, 16, 1 << 20, 2**31, 3, 5, 6, 7, 12, 100, 255, 1023]
    spec = make_spec(tmp_path, POW2_WRONG, POW2_REF, xs, is_pow2)
    sketch = Sketch(spec)
    filling = sketch.indices([255])
    assert all(pow2_wrong(x % WORD, 255) == is_pow2(x % WORD) for x in xs)  # the trap
    assert Checker(sketch, spec).score(filling[None, :], spec.examples).count[0] == len(xs)
    passed, cex = Verifier(spec, sketch, seed=2).check(filling, 2000)
    assert cex is not None and passed < 2000
    x = cex.inp.set[1]
    assert pow2_wrong(x, 255) != is_pow2(x)  # a real counterexample
    assert cex.expect.regs == {2: is_pow2(x)}


def test_fresh_inputs_sweep_the_edges_and_change_every_call(sign_wrong) -> None:
    spec, sketch = sign_wrong
    v = Verifier(spec, sketch, seed=9)
    a, b = v.fresh_inputs(1000), v.fresh_inputs(1000)
    assert len(a) == len(b) == 1000
    assert EDGE_WORDS <= set(a.regs[:, 1].tolist())
    assert a.regs[:, 1].tolist() != b.regs[:, 1].tolist()  # a fresh seed each call
    again = Verifier(spec, sketch, seed=9).fresh_inputs(1000)  # same seed, same draws
    assert again.regs[:, 1].tolist() == a.regs[:, 1].tolist()
    assert len(v.fresh_inputs(10)) == 10


def test_reference_that_faults_on_a_drawn_input(tmp_path: Path) -> None:
    (tmp_path / "k.s").write_text("        addi r2, r1, ??[0:3]\n        halt\n")
    (tmp_path / "ref.s").write_text("        ld r2, 0(r1)\n        halt\n")
    base = ("sketch: k.s\nreference: ref.s\nmem_words: 32\ncheck: {regs: [r2]}\n"
            "examples:\n  - {set: {r1: 1}, expect: {regs: {r2: 9}}}\n")
    spec = parse_spec(base + "inputs: {r1: '0:1000'}\n", name="t.yaml", base=tmp_path)
    sketch = Sketch(spec)
    with pytest.raises(FitError) as info:
        Verifier(spec, sketch).check(sketch.indices([0]), 500)
    got = str(info.value)
    assert "ref.s: the reference faults on a drawn input (r1 = " in got and "narrow `inputs`" in got
    assert int(got.split("(r1 = ")[1].split(")")[0]) >= 32
    # no `inputs`: the space is made up from the examples; such inputs are dropped
    spec = parse_spec(base, name="t.yaml", base=tmp_path)
    v = Verifier(spec, sketch)
    passed, cex = v.check(sketch.indices([0]), 500)
    assert v.dropped > 0 and passed + v.dropped <= 500


def test_inputs_without_reference_check_that_the_candidate_halts(tmp_path: Path) -> None:
    (tmp_path / "k.s").write_text("        ld r2, ??[0:3](r1)\n        halt\n")
    spec = parse_spec("sketch: k.s\nmem_words: 32\ninputs: {r1: '0:40'}\n"
                      "examples:\n  - {set: {r1: 1}, expect: {regs: {r2: 0}}}\n",
                      name="t.yaml", base=tmp_path)
    sketch = Sketch(spec)
    passed, cex = Verifier(spec, sketch).check(sketch.indices([2]), 300)
    assert cex is not None and cex.inp.set[1] + 2 >= 32  # a load outside memory faults
    assert cex.expect.status == "halted" and cex.expect.regs == {}


def test_verify_count(sign_wrong, tmp_path: Path) -> None:
    spec, _ = sign_wrong
    assert verify_count(spec) == DEFAULT_VERIFY == 10_000
    assert verify_count(spec, FitOptions(verify=7)) == 7
    plain = parse_spec("source: |\n  addi r2, r1, ??[0:3]\n  halt\n"
                       "examples:\n  - {expect: {regs: {r2: 1}}}\n")
    assert verify_count(plain) == 0
    with_key = make_spec(tmp_path, SIGN_WRONG, SIGN_REF, NONZERO, sign, "verify: 42\n")
    assert verify_count(with_key) == 42 and verify_count(with_key, FitOptions(verify=0)) == 0


def test_tracker_rejects_and_learns_the_counterexample(tmp_path: Path) -> None:
    xs = [5, -3, 1000, 2**31 - 1, 1, -1, 2**30, -2**31, 0]  # none in -2^31+1..-2^30-1
    spec = make_spec(tmp_path, SIGN_RIGHT, SIGN_REF, xs, sign)
    sketch = Sketch(spec)
    tracker = Tracker(spec, sketch, Checker(sketch, spec), FitOptions(verify=3000, seed=4))
    wrong = sketch.indices([30, 31])
    found, scores = tracker.offer(wrong[None, :])
    assert found is None and scores.passed.all()  # it passed the examples it was given
    assert tracker.counterexamples == 1 and len(tracker.examples) == len(xs) + 1
    x = tracker.examples[-1].inp.set[1]
    assert tracker.examples[-1].expect.regs == {2: sign(x)} and signed(x) < -2**30
    right = sketch.indices([31, 31])
    found, _ = tracker.offer(np.stack([wrong, right]))
    assert found is not None and (found == right).all()
    fields = result_fields(tracker)
    assert fields["verified"] == 3000 and fields["counterexamples"] == 1
    assert fields["examples_total"] == fields["examples_passed"] == len(xs) + 1
    assert fields["notes"] == [f"verify: counterexample 1: r1 = {signed(x)}"]


def test_cegis_through_fit(tmp_path: Path) -> None:
    """Examples that cannot tell `sari` from `shri`: verification can, and the search goes on."""
    spec = parse_spec("source: |\n  ?{sari,shri} r2, r1, ??[0:3]\n  halt\n"
                      "reference_source: |\n  shri r2, r1, 1\n  halt\n"
                      "mem_words: 32\nmax_cycles: 16\ncheck: {regs: [r2]}\n"
                      "examples:\n  - {set: {r1: 10}}\n  - {set: {r1: 7}}\n")
    res = fit(spec, method="evolve", restarts=16, seed=0, time_limit=60, verify=2500)
    assert res.solved and res.program.splitlines()[0] == "shri r2, r1, 1"
    assert res.verified == 2500
    assert res.counterexamples >= 1 and res.examples_total == 2 + res.counterexamples


def test_result_json_has_the_new_fields() -> None:
    res = FitResult(solved=True, method="evolve", program="", holes=[], examples_passed=1,
                    examples_total=1, holdout_passed=0, holdout_total=0, steps=1, restarts=1,
                    seconds=0.0, seed=0, verified=10, counterexamples=2, proved=None,
                    notes=["n"])
    out = res.to_json()
    assert (out["verified"], out["counterexamples"], out["proved"], out["proved_unsolvable"],
            out["method_times"], out["notes"]) == (10, 2, None, False, None, ["n"])
