"""The Hacker's Delight suite's data (programs/fit/hd/): references, sketches, specs, answers.

Independent of `ncpu fit`. Every task's definition is written here again in Python (from
Hacker's Delight and Gulwani et al., PLDI 2011), on unsigned 32-bit words; the reference
program of each task and its known answer (answers.yaml, assembled as plain ncpu32) must equal
it on edge values and seeded random inputs, run on the reference interpreter. The sketches
must have exactly as many instruction holes as the answer has instructions, so the answers
show that each sketch is solvable at its length with its library, registers and immediates.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from ncpu_cli.asm import assemble
from ncpu_cli.fit.spec import load_spec
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import run_reference

HD = Path(__file__).resolve().parent.parent / "programs" / "fit" / "hd"
ANSWERS = yaml.safe_load((HD / "answers.yaml").read_text(encoding="utf-8"))
NAMES = [f"p{n:02d}" for n in range(1, 26)]
M = 0xFFFF_FFFF
LIBRARY = ["add", "sub", "and", "or", "xor", "shl", "shr", "sar", "slt", "sltu", "mul", "addi",
           "andi", "ori", "xori", "shli", "shri", "sari", "slti", "nop"]
IMM_LO, IMM_HI = -32, 31
MEM_WORDS, SKETCH_CYCLES = 32, 64


def library(name: str) -> list[str]:
    """P20 alone also gets `div` (HD's formula divides by a power of two)."""
    return LIBRARY[:11] + ["div"] + LIBRARY[11:] if name == "p20" else LIBRARY


# ------------------------------------------------------------ the definitions, in Python


def signed(v: int) -> int:
    return v - (1 << 32) if v >= 1 << 31 else v


def nlz(v: int) -> int:
    return 32 - v.bit_length()


def popcount(v: int) -> int:
    return bin(v).count("1")


def p20(x: int) -> int:  # HD 2-1 "snoob"; u/0 = all ones (SMT-LIB, and ncpu32's div)
    s = x & -x & M
    r = (x + s) & M
    return r | (((x ^ r) >> 2) // s if s else M)


def p19(x: int, m: int, k: int) -> int:
    k &= 31  # ncpu32 shifts by the amount mod 32
    t = (x ^ (x >> k)) & m
    return (x ^ t ^ (t << k)) & M


def p21(x: int, a: int, b: int, c: int) -> int:
    return c ^ ((a ^ c) if x == c else 0) ^ ((b ^ c) if x == a else 0)


DEFS = {  # name -> function of the input words (unsigned) -> r7 (unsigned)
    "p01": lambda x: x & (x - 1) & M,
    "p02": lambda x: x & (x + 1) & M,
    "p03": lambda x: x & -x & M,
    "p04": lambda x: (x ^ (x - 1)) & M,
    "p05": lambda x: (x | (x - 1)) & M,
    "p06": lambda x: (x | (x + 1)) & M,
    "p07": lambda x: ~x & (x + 1) & M,
    "p08": lambda x: ~x & (x - 1) & M,
    "p09": lambda x: abs(signed(x)) & M,
    "p10": lambda x, y: int(nlz(x) == nlz(y)),
    "p11": lambda x, y: int(nlz(x) < nlz(y)),
    "p12": lambda x, y: int(nlz(x) <= nlz(y)),
    "p13": lambda x: (1 if signed(x) > 0 else -1 if signed(x) < 0 else 0) & M,
    "p14": lambda x, y: (x + y) >> 1,
    "p15": lambda x, y: (x + y + 1) >> 1,
    "p16": lambda x, y: max(signed(x), signed(y)) & M,
    "p17": lambda x: (((x | (x - 1)) + 1) & x) & M,
    "p18": lambda x: int(popcount(x) == 1),
    "p19": p19,
    "p20": p20,
    "p21": p21,
    "p22": lambda x, _c: popcount(x) & 1,
    "p23": lambda x, _c1, _c2, _c3, _c4: popcount(x),
    "p24": lambda x: (1 << (x - 1).bit_length()) & M if x else 0,
    "p25": lambda x, y, _c: (x * y) >> 32,
}
CONSTS = {  # register -> the fixed constant the task's spec gives
    "p22": {2: 0x1111_1111},
    "p23": {2: 0x5555_5555, 3: 0x3333_3333, 4: 0x0F0F_0F0F, 5: 0x0101_0101},
    "p25": {3: 0xFFFF},
}


def arity(name: str) -> int:
    return DEFS[name].__code__.co_argcount


def variables(name: str) -> int:
    """Input registers r1..rV that vary (the rest are constants)."""
    return arity(name) - len(CONSTS.get(name, {}))


# ------------------------------------------------------------ inputs

EDGES = sorted({v & M for v in [0, 1, -1, 2, -2, 1 << 31, (1 << 31) - 1, (1 << 31) - 2,
                                -(1 << 31) + 1, 0x5555_5555, 0xAAAA_AAAA]
                + [1 << k for k in range(32)] + [-(1 << k) & M for k in range(32)]})
FEW = [0, 1, M, 2, M - 1, 1 << 31, (1 << 31) - 1, 0x5555_5555, 0xAAAA_AAAA, 3, 0x100, 0xF0]
CYCLE = [0, 1, 0x8000_0000, 0x8000_0001, 0x1234_5678]


def word(rng: random.Random, name: str, i: int) -> int:
    """One random input word for register r(i+1) of task `name`."""
    if name == "p19" and i == 2:
        return rng.randrange(32) if rng.random() < 0.7 else rng.getrandbits(32)
    if name == "p21" and rng.random() < 0.5:
        return rng.choice(CYCLE)
    pick = rng.random()
    if pick < 0.2:
        return rng.choice(EDGES)
    if pick < 0.4:  # varied magnitudes (nlz, carries)
        return rng.getrandbits(rng.randrange(1, 33))
    return rng.getrandbits(32)


@lru_cache(maxsize=None)
def cases(name: str) -> tuple[tuple[int, ...], ...]:
    """Edge values (all of them for one input, pairs of FEW for two, FEW in every place for
    more) and 400 seeded random inputs; constants appended. Each case: r1, r2, ... values."""
    v = variables(name)
    if v == 1:
        edge = [(e,) for e in EDGES]
    elif v == 2:
        edge = [(a, b) for a in FEW for b in FEW]
    else:
        edge = [tuple(e if j == i else 0 for j in range(v)) for i in range(v) for e in FEW]
        edge += [tuple([e] * v) for e in FEW]
    rng = random.Random(f"hd-{name}")
    drawn = [tuple(word(rng, name, i) for i in range(v)) for _ in range(400)]
    consts = tuple(CONSTS.get(name, {}).values())
    return tuple(c + consts for c in edge + drawn)


# ------------------------------------------------------------ running programs


@lru_cache(maxsize=None)
def image(source: str):
    return assemble(source, "hd.s", mem_words=MEM_WORDS, base_dir=HD)


def r7_of(source: str, values: tuple[int, ...], max_cycles: int) -> tuple[str, int]:
    inp = ProgramInput(set={r: v & M for r, v in enumerate(values, start=1)})
    res = run_reference(image(source), MachineConfig(mem_words=MEM_WORDS, max_cycles=max_cycles),
                        inp)
    return res.status, res.regs[7] & M


def check_against_definition(name: str, source: str, max_cycles: int) -> None:
    bad = []
    for values in cases(name):
        status, got = r7_of(source, values, max_cycles)
        want = DEFS[name](*values)
        if status != "halted" or got != want:
            bad.append(f"r1.. = {[hex(v) for v in values]}: {status}, r7 = {got:#x}, want {want:#x}")
    assert not bad, f"{name}: {len(bad)} of {len(cases(name))} wrong, e.g. " + "; ".join(bad[:3])


def spec(name: str) -> dict:
    return yaml.safe_load((HD / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", NAMES)
def test_reference_equals_definition(name):
    source = (HD / spec(name)["reference"]).read_text(encoding="utf-8")
    check_against_definition(name, source, spec(name)["reference_max_cycles"])


@pytest.mark.parametrize("name", NAMES)
def test_answer_equals_definition(name):
    check_against_definition(name, answer_source(name), SKETCH_CYCLES)


# ------------------------------------------------------------ the answers' shape

REG = re.compile(r"^r([0-9]+)$")


def answer_source(name: str) -> str:
    return "\n".join(ANSWERS[name]["program"]) + "\nhalt\n"


@pytest.mark.parametrize("name", NAMES)
def test_answer_uses_only_the_library(name):
    program = ANSWERS[name]["program"]
    assert ANSWERS[name]["k"] == len(program)
    for line in program:
        mnemonic, _, rest = line.partition(" ")
        assert mnemonic in library(name), line
        for operand in (o.strip() for o in rest.split(",")):
            reg = REG.match(operand)
            if reg:
                assert 0 <= int(reg.group(1)) <= 7, line
            else:
                assert mnemonic.endswith("i") and IMM_LO <= int(operand) <= IMM_HI, line
    assert len(image(answer_source(name)).words) == len(program) + 1  # no pseudo expanded


# ------------------------------------------------------------ sketches and specs

HOLE_LINE = re.compile(r"^\s*\?\{([^}]*)\}\s*$")


def code_lines(name: str) -> list[str]:
    text = (HD / f"{name}.s").read_text(encoding="utf-8")
    lines = [re.split(r"[;#]", line, maxsplit=1)[0].strip() for line in text.splitlines()]
    return [line for line in lines if line]


@pytest.mark.parametrize("name", NAMES)
def test_sketch_shape(name):
    lines = code_lines(name)
    k = ANSWERS[name]["k"]
    assert lines[:2] == [".holes regs r0-r7", f".holes imm {IMM_LO}:{IMM_HI}"]
    holes = [HOLE_LINE.match(line) for line in lines[2:-1]]
    assert all(holes), lines
    assert len(holes) == k
    for hole in holes:
        assert hole.group(1).split(",") == library(name)
    assert lines[-1].lower() == "halt"
    text = (HD / f"{name}.s").read_text(encoding="utf-8")
    assert text.startswith(f"; {name} (Hacker's Delight P{int(name[1:])}")
    assert "Definition" in text


@pytest.mark.parametrize("name", NAMES)
def test_sketch_assembles_to_k_instruction_holes(name):
    text = (HD / f"{name}.s").read_text(encoding="utf-8")
    holes = assemble(text, f"{name}.s", keep_holes=True, mem_words=MEM_WORDS, base_dir=HD).holes
    assert [h["kind"] for h in holes] == ["instruction"] * ANSWERS[name]["k"]
    for h in holes:
        assert h["choices"] == library(name)
        for role in ("rd", "ra", "rb"):
            assert h["slots"][role] == {"values": list(range(8))}
        assert (h["slots"]["imm"]["lo"], h["slots"]["imm"]["hi"]) == (IMM_LO, IMM_HI)


@pytest.mark.parametrize("name", NAMES)
def test_spec(name):
    s = spec(name)
    assert (HD / s["sketch"]).is_file() and s["sketch"] == f"{name}.s"
    assert (HD / s["reference"]).is_file() and s["reference"] == f"{name}_ref.s"
    assert s["mem_words"] == MEM_WORDS and s["max_cycles"] == SKETCH_CYCLES
    assert s["check"] == {"regs": ["r7"]}
    assert (s["examples"], s["holdout"], s["verify"]) == (32, 16, 10000)
    assert sorted(s["inputs"]) == [f"r{i}" for i in range(1, arity(name) + 1)]
    for reg, value in CONSTS.get(name, {}).items():
        assert s["inputs"][f"r{reg}"] == value
    for i in range(1, variables(name) + 1):
        assert "any32" in s["inputs"][f"r{i}"] or name == "p19" and i == 3
    assert len(image((HD / s["reference"]).read_text(encoding="utf-8")).words) <= MEM_WORDS


@pytest.mark.parametrize("name", NAMES)
def test_spec_loads(name):
    """The spec reader accepts the spec, and its reference halts on every drawn example."""
    loaded = load_spec(HD / f"{name}.yaml")
    assert len(loaded.examples) >= 32 and len(loaded.holdout) >= 15


def test_every_task_and_nothing_else():
    files = sorted(p.name for p in HD.iterdir())
    want = sorted([f"{n}{ext}" for n in NAMES for ext in (".s", "_ref.s", ".yaml")]
                  + ["answers.yaml"])
    assert files == want
    assert sorted(ANSWERS) == NAMES


# ------------------------------------------------------------ the definitions mean their names


def test_p20_is_the_next_word_with_as_many_ones():
    for x in list(range(1, 3000)) + [0x0FF0_0000, 0x4000_0001, 0x4000_0003]:
        y = x + 1
        while popcount(y) != popcount(x):
            y += 1
        assert p20(x) == y, x


def test_p20_published_listing_is_not_it():
    x = 0b0110  # the published o4 = x ^ (x & -x) gives 8; the next word with two 1s is 9
    s = x & -x
    published = ((x + s) | (((x ^ s) >> 2) // s)) & M
    assert (published, p20(x)) == (8, 9)


def test_p24_rounds_up_to_a_power_of_two():
    for x in list(range(1, 5000)) + [(1 << 31) - 1, 1 << 31, 12345678]:
        assert DEFS["p24"](x) == min(1 << k for k in range(32) if 1 << k >= x), x
    assert DEFS["p24"](0) == DEFS["p24"]((1 << 31) + 1) == 0


def test_p12_published_arguments_are_swapped():
    x, y = 1, 2  # nlz(1) = 31 > nlz(2) = 30
    assert DEFS["p12"](x, y) == 0
    assert int(((x & ~y) & M) <= y) == int(nlz(y) <= nlz(x)) == 1


def test_p19_swaps_fields_that_do_not_overlap():
    rng = random.Random(19)
    for _ in range(500):
        width, low = rng.randrange(1, 9), rng.randrange(0, 8)
        k = rng.randrange(width, 32 - low - width + 1)
        m, x = ((1 << width) - 1) << low, rng.getrandbits(32)
        b, a = (x >> low) & ((1 << width) - 1), (x >> (low + k)) & ((1 << width) - 1)
        rest = x & ~(m | (m << k)) & M
        assert p19(x, m, k) == rest | (a << low) | (b << (low + k))


def test_p21_cycles():
    a, b, c = 0x1234_5678, 7, 0x8000_0000
    assert [p21(v, a, b, c) for v in (a, b, c)] == [b, c, a]
