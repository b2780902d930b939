"""The fuzz generator (tests/progen.py, progen_cases.py) keeps producing what the
differential tests need.

A fixed sample of generated programs is traced instruction by instruction on the
reference interpreter and every feature the issue asks the fuzzer to cover is counted
as *executed*, not merely present in the image: every opcode, loops that go round,
calls and returns, loads and stores inside and outside memory, `in` with data and at
the end of the input, `out` and a full output, each fault reason from each kind of
instruction, self-modifying code, words with junk in their unused fields, every final
status. Each count must reach a floor (about a third of what the generator gives
today), so a change that silently stops producing one of them fails here.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from progen import ISA, LR
from progen_cases import gen_batch

from ncpu_cli.isa import MASK32
from ncpu_cli.machine.reference import ReferenceMachine
from ncpu_cli.machine.result import FAULT, RUNNING

SEEDS, PER_BATCH = range(50), 20  # 1,000 programs
NAMED = ("ld", "st", "jal", "jalr", "out", "illegal")  # faults counted per instruction


def trace(image, config, inp) -> tuple[set[str], tuple[str, str | None]]:
    """(features executed, (status, reason)) of one program."""
    m = ReferenceMachine(image, config, inp)
    seen: set[str] = set()
    stored: set[int] = set()
    back_edges = 0
    while m.status == RUNNING:
        pc = m.pc
        d = ISA.decode(m.mem[pc])
        name = d.op.name if d.op else "illegal"
        cls = d.op.cls if d.op else "illegal"
        seen.add(f"op {name}")
        if d.op and not d.clean:
            seen.add("junk in unused fields")
        if pc in stored:
            seen.add("self-modified word executed")
        addr = (m.regs[d.ra] + d.imm) & MASK32 if cls in ("load", "store") else None
        eof_before = m.eof
        m.step()
        if m.status == FAULT:
            seen.add(f"fault {m.reason} by {name if name in NAMED else cls}")
            if m.reason == "target" and cls not in ("branch", "jal", "jalr"):
                seen.add("ran off the end of memory")
            break
        if cls == "branch" and m.pc <= pc:
            back_edges += 1
        if cls in ("jal", "jalr") and d.rd == LR:
            seen.add("call")
        if cls == "jalr" and d.ra == LR:
            seen.add("return through lr")
        if cls == "load":
            seen.add("load inside memory")
        if cls == "store":
            seen.add("store inside memory")
            stored.add(addr)
        if cls == "in":
            seen.add("in at end of input" if m.eof and not eof_before else "in with data")
        if cls == "out":
            seen.add("out")
    if back_edges >= 2:
        seen.add("loop going round")
    if config.max_cycles == 0:
        seen.add("max_cycles 0")
    return seen, (m.status, m.reason)


@pytest.fixture(scope="module")
def counts() -> tuple[Counter, Counter, int]:
    features, endings, programs = Counter(), Counter(), 0
    for seed in SEEDS:
        b = gen_batch(random.Random(seed), PER_BATCH)
        for image, inp in zip(b.images, b.inputs):
            seen, end = trace(image, b.config, inp)
            features.update(seen)
            endings[end] += 1
            programs += 1
    return features, endings, programs


def test_every_opcode_is_executed(counts):
    features, _, _ = counts
    floors = {f"op {o.name}": 14 for o in ISA.ops}
    floors["op illegal"] = 35
    low = {k: features[k] for k, floor in floors.items() if features[k] < floor}
    assert not low, f"opcodes executed too rarely: {low}"


@pytest.mark.parametrize("status, reason, floor", [
    ("halted", None, 130), ("timeout", None, 55), ("fault", "opcode", 35),
    ("fault", "address", 55), ("fault", "target", 30), ("fault", "output-full", 18),
])
def test_every_status_and_reason(counts, status, reason, floor):
    _, endings, programs = counts
    assert endings[(status, reason)] >= floor, (status, reason, dict(endings), programs)


@pytest.mark.parametrize("feature, floor", [
    ("loop going round", 60), ("call", 60), ("return through lr", 55),
    ("load inside memory", 55), ("store inside memory", 65),
    ("fault address by ld", 35), ("fault address by st", 20),
    ("in with data", 50), ("in at end of input", 28), ("out", 55),
    ("fault output-full by out", 18), ("fault opcode by illegal", 35),
    ("fault target by jal", 19), ("fault target by jalr", 4), ("fault target by branch", 7),
    ("ran off the end of memory", 2), ("self-modified word executed", 11),
    ("junk in unused fields", 100), ("max_cycles 0", 6),
])
def test_feature_is_exercised(counts, feature, floor):
    features, _, programs = counts
    assert features[feature] >= floor, (feature, features[feature], programs)
