"""Shared by the soft-executor tests: the programs of programs/ with their cases, and a
field-by-field comparison of soft results against the exact executor."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace

import pytest
import torch
from exact_common import FIELDS
from program_cases import EXPECTED, LIMITS, NAMES, PROGRAMS, case_input, image  # noqa: F401

from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.result import ProgramResult


@contextmanager
def torch_threads(n: int):
    """torch's intra-op threads set to `n` inside the block, restored afterwards."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The soft tests are many small tensor ops: one thread avoids oversubscribing the
    cores when pytest-xdist runs two workers (and is faster for these sizes).  Scoped
    to each test of a module that imports this fixture, and restored after it, so it
    never leaks into other tests."""
    with torch_threads(1):
        yield


FACT = str(PROGRAMS / "factorial.s")
# Executes a word it wrote: soft mode must refuse it (exact mode runs it).
SELFMOD = """\
        ld   r1, 5(r0)     ; the halt at word 5
        st   r1, 3(r0)     ; overwrite word 3 with it
        li   r3, 1
        li   r2, 9         ; runs after being overwritten
        halt
        halt
"""
# Programs of programs/ the soft executor cannot run (self-modifying code): none so far.
SOFT_EXCLUDED: dict[str, str] = {}


def program_groups() -> list[tuple[tuple, list[str], list[ProgramInput]]]:
    """Every case of every soft-compatible program, grouped by run limits:
    [(limits, names (one per case), inputs)]."""
    groups: dict[tuple, tuple[list, list]] = {}
    for name, cases in EXPECTED.items():
        if name in SOFT_EXCLUDED:
            continue
        for case in cases:
            limits = tuple((k, case[k]) for k in LIMITS if k in case)
            names, inputs = groups.setdefault(limits, ([], []))
            names.append(name)
            inputs.append(case_input(case))
    return [(lim, names, inputs) for lim, (names, inputs) in groups.items()]


def config_for(limits: tuple, **soft) -> MachineConfig:
    return replace(MachineConfig(**dict(limits)), **soft)


def assert_same(got: ProgramResult, want: ProgramResult, context: str = "") -> None:
    diffs = [f for f in FIELDS if getattr(got, f) != getattr(want, f)]
    if diffs:
        lines = [f"program {want.index} differs in {diffs} {context}"]
        for f in diffs:
            g, w = getattr(got, f), getattr(want, f)
            if f == "mem":
                bad = [(k, x, y) for k, (x, y) in enumerate(zip(g, w)) if x != y][:8]
                lines.append(f"  mem (addr, soft, exact): {bad}")
            else:
                lines.append(f"  {f}: soft={g!r} exact={w!r}")
        raise AssertionError("\n".join(lines))


def executes_written_word(program, config: MachineConfig, inp: ProgramInput) -> bool:
    """Whether the program (on the reference interpreter) ever fetches a word that a
    store wrote or a memory patch changed -- what the soft executor must reject."""
    from ncpu_cli.isa import MASK32, load_isa
    from ncpu_cli.machine.reference import ReferenceMachine
    from ncpu_cli.machine.result import FAULT, RUNNING

    isa = load_isa()
    m = ReferenceMachine(program, replace(config, addressing="hard"), inp)
    n = config.mem_words
    words = [w & MASK32 for w in program.words] + [0] * (n - len(program.words))
    written = {a for a, v in inp.mem.items() if (v & MASK32) != words[a]}
    while m.status == RUNNING:
        if m.pc in written:
            return True
        d = isa.decode(m.mem[m.pc])
        addr = (m.regs[d.ra] + d.imm) & MASK32 if d.op is not None and d.op.cls == "store" else None
        m.step()
        if addr is not None and addr < n and m.status != FAULT:
            written.add(addr)
    return False
