"""Instruction holes in a fit: the sketch's groups, their words, distinct space, rendering,
enumeration over distinct programs, the gradient's refusal, and `auto`'s portfolio.

Expected words come from ISA.md's encoding table (op << 26 | rd << 22 | ra << 18 |
rb << 14 | imm14), expected counts from counting by hand, expected answers from the
arithmetic the examples state.
"""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from ncpu_cli.asm import assemble
from ncpu_cli.cli import app
from ncpu_cli.errors import FitError
from ncpu_cli.fit import fit, parse_spec
from ncpu_cli.fit.enumerate import fillings_at
from ncpu_cli.fit.portfolio import ENUMERATE_MAX, plan
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import run_reference

MIXED = "        ?{add,addi,nop} r3, r1, ??\n        halt\n"


def spec_of(source: str, examples: str, **extra) -> object:
    body = "\n".join(f"  {line}" for line in source.rstrip("\n").split("\n"))
    more = "".join(f"{k}: {v}\n" for k, v in extra.items())
    return parse_spec(f"mem_words: 32\nmax_cycles: 32\n{more}source: |\n{body}\n"
                      f"examples:\n{examples}", name="t.yaml")


ONE = "  - {set: {r1: 5}, expect: {regs: {r3: 2}}}\n"


def word(op: int, rd: int = 0, ra: int = 0, rb: int = 0, imm: int = 0) -> int:
    return (op << 26) | (rd << 22) | (ra << 18) | (rb << 14) | (imm & 0x3FFF)


def test_mixed_format_hole_words_space_and_text() -> None:
    sk = Sketch(spec_of(MIXED, ONE))
    [g] = sk.groups
    assert g.choices == ("add", "addi", "nop") and g.fixed == {"rd": 3, "ra": 1}
    op, rb, imm = g.op_hole, g.role_holes["rb"], g.role_holes["imm"]
    filling = np.zeros((3, len(sk.holes)), dtype=np.int64)
    filling[0, [op, rb]] = [0, sk.holes[rb].index_of(2)]  # add r3, r1, r2
    filling[1, [op, imm]] = [1, sk.holes[imm].index_of(-5)]  # addi r3, r1, -5
    filling[2, op] = 2  # nop
    words = sk.fill(filling)[:, 0]
    assert list(words) == [word(1, 3, 1, 2), word(16, 3, 1, imm=-5), word(1)]
    assert [sk.instruction(g, f) for f in filling] == ["add r3, r1, r2", "addi r3, r1, -5",
                                                      "nop"]
    # (the YAML block drops the common indent: the hole starts the line)
    assert sk.render(filling[1]).splitlines()[0] == "addi r3, r1, -5"
    assert sk.describe(filling[2]) == [{"line": 1, "col": 1, "kind": "instruction",
                                        "value": "nop"}]
    # add: 16 registers; addi: 33 immediates (-16..16); nop: one program
    assert sk.space == 16 + 33 + 1


def test_canonical_zeroes_what_the_mnemonic_ignores() -> None:
    sk = Sketch(spec_of(MIXED, ONE))
    g = sk.groups[0]
    f = np.zeros((1, len(sk.holes)), dtype=np.int64)
    f[0, g.role_holes["rb"]], f[0, g.role_holes["imm"]] = 4, 7
    f[0, g.op_hole] = 2  # nop uses neither
    c = sk.canonical(f)[0]
    assert c[g.role_holes["rb"]] == 0 and c[g.role_holes["imm"]] == 0 and c[g.op_hole] == 2
    f[0, g.op_hole] = 1  # addi keeps imm, drops rb
    c = sk.canonical(f)[0]
    assert c[g.role_holes["imm"]] == 7 and c[g.role_holes["rb"]] == 0


def test_enumerate_visits_each_distinct_program_once() -> None:
    src = "        .holes regs r0-r2\n        .holes imm -1:1\n        ?{add,xori,out,nop}\n" \
          "        halt\n"
    sk = Sketch(spec_of(src, ONE))
    # add: 3^3 registers; xori: 3 * 3 * 3 immediates; out: 3; nop: 1
    assert sk.space == 27 + 27 + 3 + 1
    every = fillings_at(sk, 0, sk.space)
    assert len(np.unique(sk.canonical(every), axis=0)) == sk.space
    words = sk.fill(every)[:, sk.groups[0].address]
    # every filling a different word, except that `nop` is `add r0, r0, r0`
    assert len(set(words.tolist())) == sk.space - 1


def test_instruction_holes_solve_and_the_answer_runs_on_the_oracle() -> None:
    src = "        .holes regs r0-r3\n        .holes imm -4:4\n" + \
          "        ?{add,sub,and,addi,shli,nop}\n" * 2 + "        halt\n"
    # r3 = 2 * r1 + 1
    ex = "".join(f"  - {{set: {{r1: {x}}}, expect: {{regs: {{r3: {2 * x + 1}}}}}}}\n"
                 for x in (0, 1, 5, -3, 100))
    spec = spec_of(src, ex)
    for method in ("enumerate", "mcmc", "smt", "evolve"):
        res = fit(spec, method, time_limit=60, seed=1)
        assert res.solved, (method, res.program)
        image = assemble(res.program, "answer.s", mem_words=32)
        for x in (7, -9, 12345):
            final = run_reference(image, MachineConfig(mem_words=32, max_cycles=32),
                                  ProgramInput(set={1: x & 0xFFFFFFFF}))
            assert final.regs[3] & 0xFFFFFFFF == (2 * x + 1) & 0xFFFFFFFF, (method, res.program)


def test_gradient_declines_instruction_holes() -> None:
    with pytest.raises(FitError, match="cannot parametrise an instruction hole"):
        fit(spec_of(MIXED, ONE), "gradient", steps=1)


def test_rept_copies_with_different_answers_render_as_a_listing() -> None:
    src = "        .holes regs r0-r3\n        .rept 2\n        ?{add,addi,nop}\n" \
          "        .endr\n        halt\n"
    ex = "".join(f"  - {{set: {{r1: {x}}}, expect: {{regs: {{r2: {2 * x + 1}}}}}}}\n"
                 for x in (0, 5, 7))
    res = fit(spec_of(src, ex), "enumerate", time_limit=60)
    assert res.solved
    lines = [ln.strip() for ln in res.program.splitlines() if not ln.startswith(";")]
    assert len(lines) == 3 and lines[-1] == "halt"


def test_auto_plans_enumerate_for_small_spaces_and_a_race_otherwise() -> None:
    small = Sketch(spec_of(MIXED, ONE))
    assert small.space <= ENUMERATE_MAX
    from ncpu_cli.fit.options import FitOptions

    assert plan(small, FitOptions()) == ["enumerate"]
    big = Sketch(spec_of("        ?{add,sub,addi}\n" * 3 + "        halt\n", ONE))
    assert big.space > ENUMERATE_MAX
    assert plan(big, FitOptions(workers=2)) == ["smt", "mcmc"]
    assert plan(big, FitOptions(workers=1)) == ["smt"]


def test_auto_race_names_the_winner_and_every_worker() -> None:
    src = "        .holes regs r0-r3\n" + "        ?{add,sub,and,or,addi,shli,nop}\n" * 3 + \
          "        halt\n"
    # r2 = 4 * r1 - 1
    ex = "".join(f"  - {{set: {{r1: {x}}}, expect: {{regs: {{r2: {4 * x - 1}}}}}}}\n"
                 for x in (0, 1, 6, -2, 1000))
    res = fit(spec_of(src, ex), "auto", time_limit=90, workers=2)
    assert res.solved and res.method in ("smt", "mcmc")
    assert set(res.method_times) == {"smt", "mcmc"}


def test_cli_exit_4_when_smt_proves_no_filling(tmp_path) -> None:
    spec = tmp_path / "no.yaml"
    spec.write_text("mem_words: 32\nmax_cycles: 8\nsource: |\n  addi r2, r1, ??[0:3]\n"
                    "  halt\nexamples:\n  - {set: {r1: 1}, expect: {regs: {r2: 11}}}\n")
    res = CliRunner().invoke(app, ["fit", str(spec), "--method", "smt", "--json"])
    assert res.exit_code == 4, res.output
    assert '"proved_unsolvable": true' in res.stdout
