"""Run the soft and the exact machine in lockstep and record how sharp the soft one stays.

Per cycle (:class:`CycleRecord`): the exact pc and its disassembly; for each
head of the soft machine (pc, ra, rb, rd, memory read, memory write) the max
weight, the entropy in bits, the mass on the exact machine's index ("target";
1 - target is the leak) and the effective support ``1/Σp²`` -- or None when
the exact instruction has no such head; the largest register, memory and
output error against the exact machine.  The summary: the first cycle where
argmax(pc) leaves the exact pc, the largest and the final register error, the
smallest pc target mass, the exact status and the soft halt mass.

The exact side is :class:`~ncpu_cli.machine.exact.machine.ExactMachine` with B = 1,
stepped one cycle at a time.  When it faults, the trace stops at the faulting
cycle and says why (:attr:`Trace.stopped`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Sequence

import torch

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.result import FAULT, HALTED, RUNNING, TIMEOUT
from ncpu_cli.machine.soft import addressing as addr

HEADS = ("pc", "ra", "rb", "rd", "read", "write")
DEFAULT_CAP = 10_000  # cycles traced when --cycles is not given and exact does not stop sooner
WINDOW = 8  # pc heat strip: addresses on each side of the exact pc


@dataclass
class CycleRecord:
    cycle: int  # 0-based cycle number
    pc: int  # exact pc (the instruction executed this cycle)
    instr: str  # its disassembly
    heads: dict[str, dict[str, float] | None]  # head -> {max, entropy, target, support}
    reg_error: float
    mem_error: float
    out_error: float
    soft_pc: int = 0  # argmax of the soft pc at fetch
    strip: list[float | None] = field(default_factory=list)  # soft pc weights around `pc`

    def to_json(self) -> dict:
        return {
            "cycle": self.cycle,
            "pc": self.pc,
            "instr": self.instr,
            "heads": {h: self.heads.get(h) for h in HEADS},
            "reg_error": self.reg_error,
            "mem_error": self.mem_error,
            "out_error": self.out_error,
        }


@dataclass
class TraceSummary:
    cycles: int
    first_divergence: int | None
    max_reg_error: float
    final_reg_error: float
    min_pc_target: float
    exact_status: str
    soft_halt_mass: float
    # pc target mass on the cycle after the first jump or taken branch (None: no jump);
    # one softmax jump keeps closed_form_pmax(N, τ) there.  Not in the JSON shape.
    first_jump_target: float | None = None

    def to_json(self) -> dict:
        return {
            "cycles": self.cycles,
            "first_divergence": self.first_divergence,
            "max_reg_error": self.max_reg_error,
            "final_reg_error": self.final_reg_error,
            "min_pc_target": self.min_pc_target,
            "exact_status": self.exact_status,
            "soft_halt_mass": self.soft_halt_mass,
        }


@dataclass
class Trace:
    addressing: str
    temperature: float
    mem_words: int
    records: list[CycleRecord]
    summary: TraceSummary
    exact_reason: str | None = None  # fault reason when exact faulted
    stopped: str | None = None  # why the trace ended early (exact fault), else None
    window: int = WINDOW

    def to_json(self) -> dict:
        return {
            "addressing": self.addressing,
            "temperature": self.temperature,
            "mem_words": self.mem_words,
            "cycles": [r.to_json() for r in self.records],
            "summary": self.summary.to_json(),
        }


def _finite(x: float) -> float:
    x = float(x)
    return x if math.isfinite(x) else float("inf")


def head_metrics(p: torch.Tensor, target: int) -> dict[str, float]:
    """{max, entropy, target, support} of one distribution p (K,)."""
    p = p.detach().to(torch.float64)
    return {
        "max": _finite(addr.max_weight(p)),
        "entropy": max(0.0, _finite(addr.entropy_bits(p))),
        "target": _finite(addr.target_mass(p, target)) if 0 <= target < p.shape[-1] else 0.0,
        "support": _finite(addr.support(p)),
    }


class _Exact:
    """The exact side, B = 1, stepped a cycle at a time."""

    def __init__(self, image: Image, config: MachineConfig, inp: ProgramInput):
        from ncpu_cli.run.engines import engine

        self.m = engine("torch").machine_class()(image, config, [inp])
        self.n = config.mem_words

    @property
    def status(self) -> str:
        from ncpu_cli.isa import STATUS_NAMES

        return STATUS_NAMES[int(self.m.status[0])]

    @property
    def reason(self) -> str | None:
        from ncpu_cli.isa import REASON_NAMES

        return REASON_NAMES[int(self.m.reason[0])]

    @property
    def pc(self) -> int:
        return int(self.m.pc[0])

    def regs(self) -> list[int]:
        return [int(v) for v in self.m.regs[0].tolist()]

    def mem(self) -> torch.Tensor:
        return self.m.mem[0]  # (N,) int

    def word(self, address: int) -> int:
        return int(self.m.mem[0, address]) & MASK32

    def out(self) -> list[int]:
        n = int(self.m.out_len[0])
        return [int(v) for v in self.m.out[0, :n].tolist()]

    def step(self) -> None:
        self.m.step(1)


def _instr_text(word: int, symbols: dict[int, str]) -> str:
    try:
        from ncpu_cli.disasm import disassemble_word

        return disassemble_word(word, symbols)
    except ImportError:  # pragma: no cover - the disassembler ships with ncpu
        d = load_isa().decode(word)
        return d.op.name if d.op is not None else f".word 0x{word & MASK32:08x}"


def _targets(word: int, regs: Sequence[int], n: int) -> dict[str, int | None]:
    """The index each head should hit for this instruction (None: the instruction has no such head)."""
    d = load_isa().decode(word)
    op = d.op
    t: dict[str, int | None] = {h: None for h in HEADS}
    if op is None:
        return t
    for f in ("rd", "ra", "rb"):
        if f in op.uses:
            t[f] = getattr(d, f)
    if op.cls in ("load", "store"):
        a = (regs[d.ra] + d.imm) & MASK32
        t["read" if op.cls == "load" else "write"] = a if a < n else n  # n: "outside memory"
    return t


def _strip(p: torch.Tensor, centre: int, window: int) -> list[float | None]:
    n = p.shape[-1]
    out: list[float | None] = []
    vals = p.detach().to(torch.float64).cpu()
    for a in range(centre - window, centre + window + 1):
        out.append(float(vals[a]) if 0 <= a < n else None)
    return out


def trace_program(
    image: Image,
    config: MachineConfig,
    inp: ProgramInput = ProgramInput(),
    *,
    cycles: int | None = None,
    cap: int = DEFAULT_CAP,
    window: int = WINDOW,
    record: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Trace:
    """Trace one program: soft (config.addressing, config.temperature) against exact.

    cycles  how many cycles to trace (default: until the exact machine stops,
            at most `cap`); never more than config.max_cycles.
    record  keep the per-cycle records (a sweep only needs the summary)."""
    from ncpu_cli.machine.soft.machine import SoftMachine

    if cycles is not None and cycles < 0:
        raise RunError(f"--cycles must be >= 0, got {cycles}")
    limit = min(config.max_cycles, cycles if cycles is not None else cap)
    soft = SoftMachine(image, config, [inp])
    exact = _Exact(image, config, inp)
    n = config.mem_words
    symbols: dict[int, str] = {}
    for name, a in sorted(image.symbols.items(), key=lambda kv: (kv[1], kv[0])):
        symbols.setdefault(a, name)
    records: list[CycleRecord] = []
    first_div: int | None = None
    max_reg = final_reg = 0.0
    min_pc_target = 1.0
    first_jump_target: float | None = None
    prev_pc: int | None = None
    stopped = None
    done = 0
    with torch.no_grad():
        while done < limit and exact.status == RUNNING:
            pc = exact.pc
            word = exact.word(pc)
            regs_before = exact.regs()
            targets = _targets(word, regs_before, n)
            heads = soft.step()
            exact.step()
            soft_pc = int(heads["pc"][0].argmax())
            if first_div is None and soft_pc != pc:
                first_div = done
            metrics: dict[str, dict[str, float] | None] = {}
            for h in HEADS:
                p = heads.get(h)
                target = pc if h == "pc" else targets[h]
                if p is None or target is None:
                    metrics[h] = None
                else:
                    metrics[h] = head_metrics(p[0], target)
            min_pc_target = min(min_pc_target, metrics["pc"]["target"])
            if first_jump_target is None and prev_pc is not None and pc != prev_pc + 1:
                first_jump_target = metrics["pc"]["target"]  # the previous instruction jumped
            prev_pc = pc
            reg_err = _reg_error(soft, exact)
            max_reg = max(max_reg, reg_err)
            final_reg = reg_err
            if record:
                records.append(CycleRecord(
                    cycle=done, pc=pc, instr=_instr_text(word, symbols), heads=metrics,
                    reg_error=reg_err, mem_error=_mem_error(soft, exact),
                    out_error=_out_error(soft, exact), soft_pc=soft_pc,
                    strip=_strip(heads["pc"][0], pc, window),
                ))
            done += 1
            if progress is not None:
                progress(done)
        status = exact.status
        if status == RUNNING:  # stopped by --cycles / the cap, not by the program
            status = TIMEOUT if done >= config.max_cycles else RUNNING
        reason = exact.reason
        if status == FAULT:
            stopped = (f"the exact machine faulted ({reason}) at pc {exact.pc} in cycle "
                       f"{done - 1}; the trace stops there")
        summary = TraceSummary(
            cycles=done,
            first_divergence=first_div,
            max_reg_error=max_reg,
            final_reg_error=final_reg,
            min_pc_target=min_pc_target if done else 1.0,
            exact_status=status,
            soft_halt_mass=float(soft.halt_mass[0]),
            first_jump_target=first_jump_target,
        )
    return Trace(config.addressing, float(config.temperature), n, records, summary,
                 exact_reason=reason if status == FAULT else None, stopped=stopped, window=window)


def _reg_error(soft, exact: _Exact) -> float:
    ref = torch.tensor(exact.regs(), dtype=torch.float64)
    return float((soft.regs[0].detach().to(torch.float64).cpu() - ref).abs().max())


def _mem_error(soft, exact: _Exact) -> float:
    ref = exact.mem().to(torch.float64).cpu()
    return float((soft.mem[0].detach().to(torch.float64).cpu() - ref).abs().max())


def _out_error(soft, exact: _Exact) -> float:
    ref = exact.out()
    soft_len = float(soft.out_len[0])
    err = abs(soft_len - len(ref))
    if ref:
        vals = soft._output_slots(len(ref))[0].to(torch.float64).cpu()
        err = max(err, float((vals - torch.tensor(ref, dtype=torch.float64)).abs().max()))
    return err


# ------------------------------------------------------------------- sweeps


@dataclass
class SweepRow:
    mem_words: int
    temperature: float
    addressing: str
    min_target: float
    first_divergence: int | None
    final_error: float
    cycles: int
    exact_status: str
    first_jump_target: float | None = None  # pc target mass right after the first jump
    closed_form: float = 1.0  # what one jump keeps under this addressing (N + 1 slots)

    def to_json(self) -> dict:
        return {
            "mem_words": self.mem_words,
            "temperature": self.temperature,
            "addressing": self.addressing,
            "first_jump_target": self.first_jump_target,
            "closed_form": self.closed_form,
            "min_target": self.min_target,
            "first_divergence": self.first_divergence,
            "final_error": self.final_error,
            "cycles": self.cycles,
            "exact_status": self.exact_status,
        }


def _one_jump(mode: str, n: int, tau: float) -> float:
    """Mass a jump keeps on its exact target: the jump pointer normalises over N + 1
    slots (memory and "outside"); the "outside" share faults (target) and leaves the
    running pc, so what runs on is the distribution over the N words -- for softmax
    exactly the closed form ``1 / (1 + (N − 1)·e^(−1/τ))``."""
    if mode == "softmax":
        return addr.closed_form_pmax(n, tau)
    if mode == "sparsemax" and tau > 1:  # the only leaking sparsemax: τ > 1
        p = addr.sparsemax(addr.onehot_scores(torch.tensor(0), n + 1, torch.float64), tau)
        return float(p[0] / p[:n].sum())
    return 1.0


def sweep(
    image: Image,
    config: MachineConfig,
    inp: ProgramInput,
    *,
    mem_words: Iterable[int],
    temperatures: Iterable[float],
    modes: Iterable[str] = ("softmax", "sparsemax", "hard"),
    cycles: int | None = None,
    cap: int = DEFAULT_CAP,
) -> list[SweepRow]:
    """One trace per (N, τ, addressing); rows (N, τ, mode, pc target mass after the
    first jump and its closed form, min target mass, first divergence, final register
    error).  The closed form is p_max of one jump, ``1 / (1 + (N − 1)·e^(−1/τ))`` for
    softmax (:func:`_one_jump`), 1 for sparsemax (τ ≤ 1) and hard."""
    rows = []
    for n in mem_words:
        for tau in temperatures:
            for mode in modes:
                cfg = replace(config, mem_words=n, temperature=tau, addressing=mode)
                t = trace_program(image, cfg, inp, cycles=cycles, cap=cap, record=False)
                s = t.summary
                rows.append(SweepRow(n, float(tau), mode, s.min_pc_target, s.first_divergence,
                                     s.final_reg_error, s.cycles, s.exact_status,
                                     s.first_jump_target, _one_jump(mode, n, float(tau))))
    return rows


__all__ = ["trace_program", "sweep", "Trace", "TraceSummary", "CycleRecord", "SweepRow",
           "head_metrics", "HEADS", "HALTED"]
