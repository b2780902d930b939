"""Random ncpu32 programs for differential tests (reference <-> exact <-> soft).

Programs are built from encoded words with ``load_isa().encode`` (no assembler),
so they exercise every opcode -- including illegal opcodes and words with junk
in their unused fields.  The run inputs, configs, cases, batches and hypothesis
strategies that go with them are in tests/progen_cases.py.

    gen_program(rng, mem_words, *, soft_ok=False, p_unclean=0.1, max_code=None,
                faults=True) -> Image

Parameters
    mem_words   memory size; code never exceeds it (any size up to 65536 works;
                absolute addresses stay below 8192)
    soft_ok     restrict to what a soft executor supports: no stores into code words
                (every store is `st rb, imm(r0)` into the data region above the code,
                or outside memory -> `address` fault), no self-modification. Default False.
    p_unclean   probability that a legal word gets random bits in its unused fields
                (executors must ignore them), default 0.1
    max_code    at most this many code words (default: mem_words)
    faults      False: avoid deliberately faulting constructs (illegal words, bad jump
                targets, out-of-range addresses, falling off the end). Default True.

What a program contains: straight-line ALU/immediate code with edge-case
constants, counted loops (a counter register decremented, backwards branch),
forward conditional branches, calls and returns through `jal`/`jalr` to
subroutines placed after the final `halt`, `in`/`out`, loads and stores inside
and outside memory (negative addresses too), push/pop through `sp`, jumps to bad
targets, illegal opcodes, raw random words, self-modifying stores (copy a code
word, or build an instruction word with lui/ori and store it ahead of pc), and
sometimes a program that fills memory and falls off its end.
"""

from __future__ import annotations

import random

from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, load_isa

ISA = load_isa()
_F = ISA.fields
_OPS_BY_CLS: dict[str, list] = {}
for _o in ISA.ops:
    _OPS_BY_CLS.setdefault(_o.cls, []).append(_o)
_ILLEGAL = [c for c in range(_F["op"].mask + 1) if c not in ISA.by_code]
LOOP_REG, LR, SP = 13, 14, 15  # loop counter, link register, stack pointer
IMM_MAX = 2**13 - 1  # largest imm14: absolute addresses above it need a base register


def _unused_mask(op) -> int:
    used = _F["op"].put(_F["op"].mask)
    for name in op.uses:
        used |= _F[name].put(_F[name].mask)
    return ~used & MASK32


_UNUSED = {o.name: _unused_mask(o) for o in ISA.ops}


# -- immediates -------------------------------------------------------------
def _imm14(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.25:
        return rng.choice([0, 1, -1, 31, 32, 33, -8192, 8191, -32, 2])
    if r < 0.75:
        return rng.randint(-40, 40)
    return rng.randint(-8192, 8191)


def _imm22s(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.3:
        return rng.choice([0, 1, -1, -(2**21), 2**21 - 1, 100])
    if r < 0.7:
        return rng.randint(-50, 50)
    return rng.randint(-(2**21), 2**21 - 1)


# -- program builder ----------------------------------------------------------
class _Prog:
    """Words, some of them waiting for a label's address (resolved at the end)."""

    def __init__(self, rng: random.Random, p_unclean: float):
        self.rng = rng
        self.p_unclean = p_unclean
        self.items: list = []  # int word | (name, rd, ra, rb, label)
        self.labels: dict[str, int] = {}
        self._n = 0

    def label(self) -> str:
        self._n += 1
        return f"L{self._n}"

    def place(self, name: str) -> None:
        self.labels[name] = len(self.items)

    def word(self, w: int) -> None:
        self.items.append(w & MASK32)

    def op(self, name: str, rd: int = 0, ra: int = 0, rb: int = 0, imm: int = 0) -> None:
        w = ISA.encode(name, rd=rd, ra=ra, rb=rb, imm=imm)
        if self.rng.random() < self.p_unclean:
            w |= self.rng.getrandbits(32) & _UNUSED[name]
        self.items.append(w)

    def op_to(self, name: str, label: str, rd: int = 0, ra: int = 0, rb: int = 0) -> None:
        self.items.append((name, rd, ra, rb, label))

    def __len__(self) -> int:
        return len(self.items)

    def words(self) -> list[int]:
        out = []
        for it in self.items:
            if isinstance(it, int):
                out.append(it)
            else:
                name, rd, ra, rb, label = it
                target = self.labels[label]
                kind = ISA.op(name).imm
                target = min(target, kind.hi)
                out.append(ISA.encode(name, rd=rd, ra=ra, rb=rb, imm=target))
        return out


def _reg(rng: random.Random, avoid=(LOOP_REG, LR)) -> int:
    """A destination register: mostly r1..r12, sometimes r0/r13/r14/r15."""
    r = rng.random()
    if r < 0.06:
        return 0
    if r < 0.10:
        c = rng.choice([LOOP_REG, LR, SP])
        return c if c not in avoid else 1
    return rng.randint(1, 12)


def _src(rng: random.Random) -> int:
    return rng.randint(0, 15) if rng.random() < 0.3 else rng.randint(0, 6)


def _simple(p: _Prog, avoid=(LOOP_REG, LR)) -> None:
    """One ALU / immediate / constant instruction."""
    rng = p.rng
    r = rng.random()
    if r < 0.45:
        o = rng.choice(_OPS_BY_CLS["alu"])
        p.op(o.name, _reg(rng, avoid), _src(rng), _src(rng))
    elif r < 0.8:
        o = rng.choice(_OPS_BY_CLS["alui"])
        p.op(o.name, _reg(rng, avoid), _src(rng), imm=_imm14(rng))
    elif r < 0.92:
        p.op("li", _reg(rng, avoid), imm=_imm22s(rng))
    else:
        p.op("lui", _reg(rng, avoid), imm=rng.randint(0, 2**22 - 1))


def _mem_addr(rng: random.Random, lo: int, n: int, faults: bool) -> int:
    """An absolute address: mostly in lo..n-1, sometimes outside memory."""
    if faults and rng.random() < 0.2:
        below = rng.randint(-8192, -1)
        if n >= IMM_MAX:  # no absolute address above memory fits the immediate
            return rng.choice([-1, -2, below])
        return rng.choice([-1, -2, n, n + 1, below, rng.randint(n, IMM_MAX)])
    hi = min(n - 1, IMM_MAX)  # an absolute address is a 14-bit immediate (offset from r0)
    return rng.randint(lo, hi) if lo < hi else hi


def _block(p: _Prog, kind: str, n: int, data_lo: int, soft_ok: bool, faults: bool,
           subs: list, avoid=(LOOP_REG, LR)) -> None:
    rng = p.rng
    if kind == "straight":
        for _ in range(rng.randint(1, 5)):
            _simple(p, avoid)
    elif kind == "loop":
        trips = rng.randint(1, 8)
        p.op("li", LOOP_REG, imm=trips)
        top = p.label()
        p.place(top)
        for _ in range(rng.randint(1, 4)):
            r = rng.random()
            if r < 0.7:
                _simple(p, avoid)
            elif r < 0.85:
                _block(p, "mem", n, data_lo, soft_ok, faults, subs, avoid)
            else:
                _block(p, "io", n, data_lo, soft_ok, faults, subs, avoid)
        p.op("addi", LOOP_REG, LOOP_REG, imm=-1)
        r = rng.random()
        if r < 0.85:
            p.op_to("bne", top, ra=LOOP_REG, rb=0)
        elif r < 0.95:  # one more trip: loops while r13 >= 0
            p.op_to("bge", top, ra=LOOP_REG, rb=0)
        else:  # unsigned r13 >= 0 always holds: runs into the cycle limit (a timeout)
            p.op_to("bgeu", top, ra=LOOP_REG, rb=0)
    elif kind == "fwd":
        skip = p.label()
        o = rng.choice(_OPS_BY_CLS["branch"])
        p.op_to(o.name, skip, ra=_src(rng), rb=_src(rng))
        for _ in range(rng.randint(1, 3)):
            _simple(p, avoid)
        p.place(skip)
    elif kind == "call":
        sub = p.label()
        subs.append(sub)
        if rng.random() < 0.85:
            p.op_to("jal", sub, rd=LR)
        else:  # call through a register: li r12, sub ; jalr lr, r12, 0
            p.op_to("li", sub, rd=12)
            p.op("jalr", LR, 12, imm=0)
    elif kind == "io":
        if rng.random() < 0.5:
            p.op("in", _reg(rng, avoid))
        else:
            p.op("out", ra=_src(rng))
    elif kind == "mem":
        rng_r = rng.random()
        if soft_ok:
            if rng_r < 0.5:
                p.op("ld", _reg(rng, avoid), 0, imm=_mem_addr(rng, 0, n, faults))
            elif rng_r < 0.6:
                p.op("ld", _reg(rng, avoid), _src(rng), imm=_imm14(rng))
            else:
                p.op("st", ra=0, rb=_src(rng), imm=_mem_addr(rng, data_lo, n, faults))
        else:
            if rng_r < 0.3:
                p.op("ld", _reg(rng, avoid), 0, imm=_mem_addr(rng, 0, n, faults))
            elif rng_r < 0.45:
                p.op("ld", _reg(rng, avoid), _src(rng), imm=_imm14(rng))
            elif rng_r < 0.7:
                p.op("st", ra=0, rb=_src(rng), imm=_mem_addr(rng, data_lo, n, faults))
            elif rng_r < 0.8:
                p.op("st", ra=_src(rng), rb=_src(rng), imm=_imm14(rng))
            elif rng_r < 0.9:  # push
                p.op("addi", SP, SP, imm=-1)
                p.op("st", ra=SP, rb=_src(rng), imm=0)
            else:  # pop
                p.op("ld", _reg(rng, avoid), SP, imm=0)
                p.op("addi", SP, SP, imm=1)
    elif kind == "badjump":
        r = rng.random()
        if r < 0.3:
            p.op("jal", _reg(rng, avoid), imm=rng.choice([n, n + 1, rng.randint(n, 2**22 - 1)]))
        elif r < 0.6:
            o = rng.choice(_OPS_BY_CLS["branch"])
            target = rng.randint(n, 2**14 - 1) if n < 2**14 else rng.randint(0, 2**14 - 1)
            p.op(o.name, ra=_src(rng), rb=_src(rng), imm=target)
        elif r < 0.8:
            p.op("jalr", _reg(rng, avoid), _src(rng), imm=_imm14(rng))
        else:  # a jump somewhere inside memory (may loop until the cycle limit)
            p.op("jal", _reg(rng, avoid), imm=rng.randint(0, n - 1))
    elif kind == "illegal":
        if rng.random() < 0.6:
            p.word(_F["op"].put(rng.choice(_ILLEGAL)) | rng.getrandbits(26))
        else:
            p.word(rng.getrandbits(32))
    elif kind == "selfmod":
        t = rng.randint(0, 11)
        if rng.random() < 0.5:  # copy one word over another
            p.op("ld", t, 0, imm=rng.randint(0, min(n - 1, IMM_MAX)))
            p.op("st", ra=0, rb=t, imm=rng.randint(0, min(n - 1, IMM_MAX)))
        else:  # build an instruction word and store it ahead of pc
            o = rng.choice(ISA.ops)
            w = ISA.encode(o.name, rd=rng.randint(0, 12), ra=rng.randint(0, 12),
                           rb=rng.randint(0, 12), imm=0)
            p.op("lui", t, imm=(w >> 10) & 0x3FFFFF)
            p.op("ori", t, t, imm=w & 0x3FF)
            p.op("st", ra=0, rb=t, imm=min(n - 1, len(p) + rng.randint(1, 4)))


_KINDS = ["straight", "loop", "fwd", "call", "io", "mem", "badjump", "illegal", "selfmod"]
_W_FULL = [5, 3, 2, 2, 3, 3, 1, 1, 1]
_W_SAFE = [5, 3, 2, 2, 3, 3, 0, 0, 0]


def gen_program(rng: random.Random, mem_words: int, *, soft_ok: bool = False,
                p_unclean: float = 0.1, max_code: int | None = None,
                faults: bool = True) -> Image:
    """A random program that fits `mem_words` words (see the module docstring)."""
    n = mem_words
    cap = min(n, max_code or n)
    p = _Prog(rng, p_unclean)
    subs: list[str] = []
    weights = list(_W_FULL if faults else _W_SAFE)
    if soft_ok:
        weights[_KINDS.index("selfmod")] = 0
    # stores into the data region must land above the code: reserve it now
    data_lo = min(n - 1, IMM_MAX, max(4, cap // 2 + rng.randint(0, max(0, cap // 2))))
    code_cap = data_lo if soft_ok else cap
    for _ in range(rng.randint(1, 7)):
        kind = rng.choices(_KINDS, weights)[0]
        _block(p, kind, n, data_lo, soft_ok, faults, subs)
    r = rng.random()
    if r < 0.85 or not faults:
        p.op("halt")
    elif r < 0.93:  # run on into whatever follows (subroutines, zero memory)
        pass
    else:  # loop forever: a timeout
        top = p.label()
        p.place(top)
        p.op("addi", 1, 1, imm=1)
        p.op_to("jal", top)
    for sub in subs:
        p.place(sub)
        for _ in range(rng.randint(0, 3)):
            _simple(p, avoid=(LOOP_REG, LR))
        if rng.random() < 0.9:
            p.op("jalr", 0, LR, imm=0)
        else:
            p.op("jalr", _reg(rng), LR, imm=rng.randint(-2, 2))
    words = p.words()
    if faults and rng.random() < 0.08 and not soft_ok:
        # fill memory with non-halting words: pc runs past the last word
        words = words + [ISA.encode("addi", rd=rng.randint(1, 12), ra=1, imm=1)] * (n - len(words))
    words = words[:code_cap]
    entry = 0 if rng.random() < 0.9 or not words else rng.randint(0, len(words) - 1)
    return Image(words=words, entry=entry)
