"""Plain-Python interpreter for one program: the oracle every executor is tested against.

Obvious on purpose, and independent of torch. Semantics follow ISA.md; the
choices ISA.md leaves open are written down in ``isa/INTERPRETATIONS.md``.

State is kept as unsigned 32-bit words (0..2^32-1); results are reported as
signed ints. Each word is decoded with ``Isa.decode`` the first time pc
reaches it; the decoded tuple is cached per address and dropped when a store
writes that address (self-modifying code sees its own stores).
"""

from __future__ import annotations

import operator
from functools import lru_cache

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, load_isa, to_signed
from ncpu_cli.machine.config import MachineConfig, check_mem_words
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.result import (
    ADDRESS,
    FAULT,
    HALTED,
    OPCODE,
    OUTPUT_FULL,
    RUNNING,
    TARGET,
    TIMEOUT,
    ProgramResult,
)

SIGN = 0x8000_0000  # x ^ SIGN maps signed order onto unsigned order
NREGS = load_isa().registers  # 16
SP = load_isa().aliases["sp"]  # r15: starts at N, the memory size


def _div(a: int, b: int) -> int:
    sa, sb = to_signed(a), to_signed(b)
    if sb == 0:
        return MASK32  # -1
    q = abs(sa) // abs(sb)  # toward zero; INT_MIN / -1 wraps back to INT_MIN
    return (q if (sa < 0) == (sb < 0) else -q) & MASK32


def _rem(a: int, b: int) -> int:
    sa, sb = to_signed(a), to_signed(b)
    if sb == 0:
        return a
    r = abs(sa) % abs(sb)  # sign of the dividend; INT_MIN rem -1 = 0
    return (-r if sa < 0 else r) & MASK32


# ALU functions on unsigned words, returning unsigned words.
ALU = {
    "add": lambda a, b: (a + b) & MASK32,
    "sub": lambda a, b: (a - b) & MASK32,
    "mul": lambda a, b: (a * b) & MASK32,
    "div": _div,
    "rem": _rem,
    "and": operator.and_,
    "or": operator.or_,
    "xor": operator.xor,
    "shl": lambda a, b: (a << (b & 31)) & MASK32,
    "shr": lambda a, b: a >> (b & 31),
    "sar": lambda a, b: (to_signed(a) >> (b & 31)) & MASK32,
    "slt": lambda a, b: int(a ^ SIGN < b ^ SIGN),
    "sltu": lambda a, b: int(a < b),
}

# Branch conditions: (compare, bias). Signed compares flip the sign bit first.
BRANCH = {
    "eq": (operator.eq, 0),
    "ne": (operator.ne, 0),
    "lt": (operator.lt, SIGN),
    "ge": (operator.ge, SIGN),
    "ltu": (operator.lt, 0),
    "geu": (operator.ge, 0),
}

# Kinds of decoded instruction (the loop in `_exec` tests them in this order).
(K_ALUI, K_ALU, K_BRANCH, K_LOAD, K_STORE, K_JAL, K_JALR, K_CONST, K_IN, K_OUT, K_HALT,
 K_ILLEGAL) = range(12)


@lru_cache(maxsize=65536)
def decode(word: int) -> tuple:
    """A word as the tuple `(kind, rd, ra, rb, imm, fn)` the interpreter runs.

    Only the opcode decides legality; unused fields are ignored.
    For `li`/`lui` imm is the final register value; for `alui` it is the
    immediate as an unsigned word; for branches fn is (compare, bias).
    """
    d = load_isa().decode(word)
    op = d.op
    if op is None:
        return (K_ILLEGAL, 0, 0, 0, 0, None)
    cls = op.cls
    if cls == "alu":
        return (K_ALU, d.rd, d.ra, d.rb, 0, ALU[op.fn])
    if cls == "alui":
        return (K_ALUI, d.rd, d.ra, 0, d.imm & MASK32, ALU[op.fn])
    if cls == "branch":
        return (K_BRANCH, 0, d.ra, d.rb, d.imm, BRANCH[op.fn])
    if cls == "li":
        return (K_CONST, d.rd, 0, 0, d.imm & MASK32, None)
    if cls == "lui":
        return (K_CONST, d.rd, 0, 0, (d.imm << 10) & MASK32, None)
    simple = {"load": K_LOAD, "store": K_STORE, "jal": K_JAL, "jalr": K_JALR,
              "in": K_IN, "out": K_OUT, "halt": K_HALT}
    return (simple[cls], d.rd, d.ra, d.rb, d.imm, None)


class ReferenceMachine:
    """One ncpu32 program: reset from an image, apply the inputs, then step or run."""

    def __init__(self, image: Image, config: MachineConfig, inp: ProgramInput = ProgramInput()):
        n = config.mem_words
        check_mem_words(n)
        if len(image.words) > n:
            raise RunError(f"image of {len(image.words)} words does not fit in {n} words")
        if not 0 <= image.entry < n:
            raise RunError(f"entry point {image.entry} outside memory 0..{n - 1}")
        self.config = config
        self.n = n
        # reset
        self.pc = image.entry
        self.regs = [0] * NREGS
        self.regs[SP] = n
        self.mem = [w & MASK32 for w in image.words] + [0] * (n - len(image.words))
        # run inputs
        for reg, value in inp.set.items():
            if not 0 <= reg < NREGS:
                raise RunError(f"no register r{reg}")
            if reg:  # r0 stays 0
                self.regs[reg] = value & MASK32
        for addr, value in inp.mem.items():
            if not 0 <= addr < n:
                raise RunError(f"memory patch at {addr} outside memory 0..{n - 1}")
            self.mem[addr] = value & MASK32
        self.input = tuple(v & MASK32 for v in inp.input)
        self.in_pos = 0
        self.eof = False
        self.out: list[int] = []  # unsigned words
        self.status = RUNNING if config.max_cycles > 0 else TIMEOUT
        self.reason: str | None = None
        self.cycles = 0
        self._cache: list[tuple | None] = [None] * n  # decoded instruction per address

    # -- driving -------------------------------------------------------------
    def step(self) -> None:
        """Execute one instruction (if still running) and update the status."""
        if self.status == RUNNING:
            self._exec(1)

    def run(self) -> ProgramResult:
        """Run until the program stops or reaches `max_cycles`; return its result."""
        if self.status == RUNNING:
            self._exec(self.config.max_cycles - self.cycles)
        return self.result()

    def result(self, index: int = 0, with_mem: bool = True) -> ProgramResult:
        return ProgramResult(
            index=index,
            status=self.status,
            reason=self.reason,
            pc=self.pc,
            cycles=self.cycles,
            regs=[to_signed(r) for r in self.regs],
            out=[to_signed(v) for v in self.out],
            eof=self.eof,
            mem=[to_signed(w) for w in self.mem] if with_mem else None,
        )

    # -- the interpreter loop ------------------------------------------------
    def _exec(self, budget: int) -> None:
        """Run at most `budget` instructions. A fault leaves pc at the faulting
        instruction and changes nothing else; a target fault is checked after the
        instruction's own faults (address, output-full) and before its writes."""
        regs, mem, cache, n = self.regs, self.mem, self._cache, self.n
        pc, done, fault = self.pc, 0, None
        while done < budget:
            ins = cache[pc]
            if ins is None:
                ins = cache[pc] = decode(mem[pc])
            kind, rd, ra, rb, imm, fn = ins
            done += 1
            nxt = pc + 1
            if kind == K_ALUI or kind == K_ALU:
                v = fn(regs[ra], imm if kind == K_ALUI else regs[rb])
                if nxt == n:
                    fault = TARGET
                    break
                if rd:
                    regs[rd] = v
            elif kind == K_BRANCH:
                cmp, bias = fn
                if cmp(regs[ra] ^ bias, regs[rb] ^ bias):
                    nxt = imm
                if nxt >= n:
                    fault = TARGET
                    break
            elif kind == K_LOAD:
                addr = (regs[ra] + imm) & MASK32
                if addr >= n:
                    fault = ADDRESS
                    break
                if nxt == n:
                    fault = TARGET
                    break
                if rd:
                    regs[rd] = mem[addr]
            elif kind == K_STORE:
                addr = (regs[ra] + imm) & MASK32
                if addr >= n:
                    fault = ADDRESS
                    break
                if nxt == n:
                    fault = TARGET
                    break
                mem[addr] = regs[rb]
                cache[addr] = None
            elif kind == K_JAL or kind == K_JALR:
                target = imm if kind == K_JAL else (regs[ra] + imm) & MASK32
                if target >= n:
                    fault = TARGET
                    break
                if rd:
                    regs[rd] = nxt
                nxt = target
            elif kind == K_CONST:
                if nxt == n:
                    fault = TARGET
                    break
                if rd:
                    regs[rd] = imm
            elif kind == K_IN:
                if nxt == n:
                    fault = TARGET
                    break
                if self.in_pos < len(self.input):
                    v = self.input[self.in_pos]
                    self.in_pos += 1
                else:
                    v = 0
                    self.eof = True
                if rd:
                    regs[rd] = v
            elif kind == K_OUT:
                if len(self.out) >= self.config.max_out:
                    fault = OUTPUT_FULL
                    break
                if nxt == n:
                    fault = TARGET
                    break
                self.out.append(regs[ra])
            elif kind == K_HALT:
                self.status = HALTED
                break
            else:
                fault = OPCODE
                break
            pc = nxt
        self.pc = pc
        self.cycles += done
        if fault is not None:
            self.status, self.reason = FAULT, fault
        elif self.status == RUNNING and self.cycles >= self.config.max_cycles:
            self.status = TIMEOUT


def run_reference(
    image: Image, config: MachineConfig, inp: ProgramInput = ProgramInput(), index: int = 0
) -> ProgramResult:
    """Run one program on the reference interpreter; the result includes memory."""
    machine = ReferenceMachine(image, config, inp)
    machine.run()
    return machine.result(index=index)
