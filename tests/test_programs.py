"""Every program in programs/ on the reference interpreter.

Two independent checks per program: the literal cases of programs/expected.yaml
(from mathematics and published check values), and a Python oracle per program
on generated inputs. Plus: programs/ together use every opcode, every
pseudo-instruction and every directive.
"""

from __future__ import annotations

import math
import re
import zlib
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ncpu_cli.asm import assemble_file
from ncpu_cli.isa import load_isa, to_signed
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput, parse_register, parse_word
from ncpu_cli.machine.reference import run_reference

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"
SOURCES = sorted(PROGRAMS.glob("*.s"))
NAMES = [p.stem for p in SOURCES]
EXPECTED = yaml.safe_load((PROGRAMS / "expected.yaml").read_text(encoding="utf-8"))
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


@lru_cache(maxsize=None)
def image(name: str):
    return assemble_file(PROGRAMS / f"{name}.s")


def run(name, regs=None, inp=(), mem=None, **limits):
    pi = ProgramInput(
        set={r: v % 2**32 for r, v in (regs or {}).items()},
        input=tuple(v % 2**32 for v in inp),
        mem={a: v % 2**32 for a, v in (mem or {}).items()},
    )
    return run_reference(image(name), MachineConfig(**limits), pi)


# ---------------------------------------------------------------- expected.yaml


def yaml_cases():
    for name, cases in EXPECTED.items():
        for i, case in enumerate(cases):
            yield pytest.param(name, case, id=f"{name}-{i}")


@pytest.mark.parametrize("name, case", list(yaml_cases()))
def test_expected_yaml(name, case):
    raw = case.get("inputs") or {}
    regs = {parse_register(str(k)): parse_word(v) for k, v in (raw.get("set") or {}).items()}
    limits = {k: case[k] for k in ("mem_words", "max_cycles", "max_out") if k in case}
    r = run(name, regs, [parse_word(v) for v in raw.get("input") or []],
            {int(a): parse_word(v) for a, v in (raw.get("mem") or {}).items()}, **limits)
    want = case["expected"]
    assert r.status == want["status"], (r.status, r.reason, r.pc)
    assert r.reason == want.get("reason")
    if "out" in want:
        assert r.out == [to_signed(v) for v in want["out"]]
    for reg, value in (want.get("regs") or {}).items():
        assert r.regs[parse_register(str(reg))] == to_signed(value), reg
    if "eof" in want:
        assert r.eof is want["eof"]


def test_every_program_has_cases_and_an_oracle():
    assert len(NAMES) >= 12
    assert set(EXPECTED) == set(NAMES)
    assert set(ORACLES) == set(NAMES)
    for path in SOURCES:
        head = path.read_text(encoding="utf-8")[:600]
        assert "inputs:" in head and "output:" in head, f"{path.name}: document inputs/output"


# ---------------------------------------------------------------- Python oracles


def wrap(x):
    return to_signed(x % 2**32)


def tdiv(a, b):  # C-style division on Python ints
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def is_prime(p):
    return p >= 2 and all(p % d for d in range(2, math.isqrt(p) + 1))


def collatz_steps(n):
    steps = 0
    while n >= 2:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def calculator(cmds):
    """The jumptable program's stack calculator, in Python."""
    stack, out, it = [], [], iter(cmds)
    for c in it:
        if c == 0:
            break
        if c == 1:
            stack.append(next(it, 0))
        elif c in (2, 3, 4):
            b, a = stack.pop(), stack.pop()
            stack.append(wrap(a + b if c == 2 else a - b if c == 3 else a * b))
        elif c == 5:
            out.append(stack[-1])
        elif c == 6:
            stack.append(stack[-1])
        elif c != 7:
            out.append(-1)
            break
    return out


def divmod_model(inp):
    out, it = [INT_MIN, 0], iter(inp)
    for a in it:
        if a == 0:
            break
        b = next(it, 0)
        ua, ub = a % 2**32, b % 2**32
        out += [-1 if b == 0 else wrap(tdiv(a, b)), a if b == 0 else wrap(a - b * tdiv(a, b)),
                a >> (b % 32), int(ua < ub), wrap(max(ua, ub)), wrap(min(ua, ub))]
    return out


def bits_model(x, k):
    b = format(x % 2**32, "032b")
    k %= 32
    return [wrap(int(b[k:] + b[:k], 2)), wrap(int(b[32 - k:] + b[:32 - k], 2)),
            wrap(int(b[::-1], 2)), b.count("1") % 2]


def stream_bytes(r1, inp, default):
    return default if r1 == 0 else bytes(v & 0xFF for v in (list(inp) + [0] * r1)[:r1])


TABLE = [-100, -42, -7, 0, 1, 3, 8, 13, 21, 34, 55, 89, 144, 233, 377, INT_MAX]
SRC = [0xDEADBEEF, 1, -2, 3, ord("A"), 0b1010, 0o17, 1_000_000]
w32 = st.integers(INT_MIN, INT_MAX)
small = st.integers(-1000, 1000)
byte_lists = st.lists(st.integers(0, 255), min_size=1, max_size=40)


@st.composite
def calculator_programs(draw):
    cmds, depth = [], 0
    for _ in range(draw(st.integers(0, 25))):
        choices = [1] + ([5, 6] if depth else []) + ([2, 3, 4] if depth >= 2 else []) + [7]
        c = draw(st.sampled_from(choices))
        cmds += [c, draw(small)] if c == 1 else [c]
        depth += {1: 1, 6: 1, 2: -1, 3: -1, 4: -1}.get(c, 0)
    return cmds + draw(st.sampled_from([[0], [], [8], [-5]]))


# name -> (strategy of (regs, input), oracle(regs, input) -> out)
ORACLES = {
    "factorial": (st.tuples(st.fixed_dictionaries({1: st.integers(0, 40)}), st.just([])),
                  lambda r, i: [wrap(math.factorial(r[1]))]),
    "gcd": (st.tuples(st.fixed_dictionaries({1: st.integers(-(10**9), 10**9),
                                             2: st.integers(-(10**9), 10**9)}), st.just([])),
            lambda r, i: [math.gcd(r[1], r[2])]),
    "sieve": (st.tuples(st.fixed_dictionaries({1: st.integers(-5, 400)}), st.just([])),
              lambda r, i: [p for p in range(r[1]) if is_prime(p)]),
    "bubble_sort": (st.integers(0, 24).flatmap(lambda n: st.tuples(
        st.just({1: n}), st.lists(w32 | small, max_size=n + 2))),
        lambda r, i: sorted((list(i) + [0] * r[1])[:r[1]])),
    "string_reverse": (st.just(({}, [])), lambda r, i: [ord(c) for c in "Hello, ncpu!"[::-1]]),
    "binary_search": (st.tuples(st.fixed_dictionaries({1: st.sampled_from(TABLE) | w32 | small}),
                                st.just([])),
                      lambda r, i: [TABLE.index(r[1]) if r[1] in TABLE else -1]),
    "memcpy": (st.tuples(st.fixed_dictionaries({1: st.integers(0, 8)}), st.just([])),
               lambda r, i: [wrap(v) for v in SRC[:r[1]] + [0] * (8 - r[1]) + [0x12345678]]),
    "popcount": (st.tuples(st.fixed_dictionaries({1: w32}), st.just([])),
                 lambda r, i: [bin(r[1] % 2**32).count("1")] * 2),
    "mulshift": (st.tuples(st.fixed_dictionaries({1: w32 | small, 2: w32 | small}), st.just([])),
                 lambda r, i: [wrap(r[1] * r[2])] * 2),
    "crc32": (byte_lists.flatmap(lambda b: st.tuples(st.sampled_from([{1: len(b)}, {1: 0}]),
                                                     st.just(b))),
              lambda r, i: [wrap(zlib.crc32(stream_bytes(r[1], i, b"123456789")))]),
    "adler32": (byte_lists.flatmap(lambda b: st.tuples(st.sampled_from([{1: len(b)}, {1: 0}]),
                                                       st.just(b))),
                lambda r, i: [wrap(zlib.adler32(stream_bytes(r[1], i, b"Wikipedia")))]),
    "collatz": (st.tuples(st.fixed_dictionaries({1: st.integers(-3, 3000)}), st.just([])),
                lambda r, i: [collatz_steps(r[1])]),
    "jumptable": (st.tuples(st.just({}), calculator_programs()), lambda r, i: calculator(i)),
    "divmod": (st.tuples(st.just({}), st.lists(w32 | small | st.sampled_from([INT_MIN, -1, 0]),
                                               max_size=21)),
               lambda r, i: divmod_model(i)),
    "bits": (st.tuples(st.fixed_dictionaries({1: w32, 2: w32 | st.integers(0, 40)}), st.just([])),
             lambda r, i: bits_model(r[1], r[2])),
}


@pytest.mark.parametrize("name", NAMES)
def test_against_python_oracle(name):
    strategy, oracle = ORACLES[name]

    @settings(max_examples=40, deadline=None)
    @given(strategy)
    def check(case):
        regs, inp = case
        r = run(name, regs, inp)
        assert r.status == "halted", (r.status, r.reason, r.pc)
        assert r.out == oracle(regs, inp)

    check()


# ---------------------------------------------------------------- coverage of the ISA


def statements():
    """(mnemonic or directive, file) for every statement in programs/, lib files included."""
    for path in sorted(PROGRAMS.rglob("*.s")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = re.sub(r'"(\\.|[^"\\])*"', '""', line)  # strings
            line = re.sub(r"'(\\.|[^'\\])*'", "0", line)  # characters
            line = re.split(r"[;#]", line, maxsplit=1)[0]
            line = re.sub(r"^\s*[A-Za-z_.][A-Za-z0-9_.]*:", "", line).strip()
            if line:
                yield line.split()[0].lower(), path.name


def test_programs_use_every_opcode_pseudo_and_directive():
    isa = load_isa()
    used = {m for m, _ in statements()}
    assert {o.name for o in isa.ops} - used == set()
    assert {p.name for p in isa.pseudos} - used == set()
    directives = {".org", ".word", ".zero", ".string", ".equ", ".entry", ".include"}
    assert directives - used == set()
    text = "\n".join(p.read_text(encoding="utf-8") for p in PROGRAMS.rglob("*.s"))
    assert re.search(r"^\s*\.[A-Za-z_][A-Za-z0-9_]*:", text, re.M), "no local labels"
