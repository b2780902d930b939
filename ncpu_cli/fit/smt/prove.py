"""`--prove`: is a filled sketch equivalent to the reference on every input of the spec?

``prove_equivalent`` encodes both programs over symbolic inputs (every register,
input-stream word and memory cell named by the spec's ``inputs``, each over all the
words its form allows: ``any32`` is all 2^32) and asks one solver process whether
some input makes the checked results differ.  ``proved`` is True only when no input
does AND both runs provably stop within their bounds (a loop-free program: its image
length + 1 cycles; else the bound given, at most max_cycles).  A counterexample from
the solver is re-run on the reference interpreter before it is reported.

Duck-typed inputs (what this module reads):

- ``spec``: ``mem_words``, ``max_cycles``; defaults for the rest: ``reference``,
  ``inputs``, ``check``;
- ``sketch``: ``fill(fillings (P, H)) -> (P, N)``, ``image.words``, ``image.entry``;
- ``reference_image``: ``words``, ``entry`` and optionally ``max_cycles``;
- ``inputs``: ``regs`` {register: form}, ``stream`` (forms), ``mem`` {address: form} or
  None; a form is ``fit.draw``'s Any32 / Edges / Range(lo, hi) / Const(value) /
  Union(items) (by attribute: ``lo``/``hi``, ``value``, ``items``; ``edges()`` else);
- ``check``: ``regs`` (register numbers), ``out`` (bool), ``mem`` (addresses),
  ``status`` (bool: the candidate must halt).
"""

from __future__ import annotations

from dataclasses import dataclass

from ncpu_cli.fit.smt.problem import loop_free, plain_program
from ncpu_cli.fit.smt.solver import require_bitwuzla, run_query
from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32, to_signed
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import run_reference

DEFAULT_LOOP_CYCLES = 512  # the bound for a program with loops (at most its max_cycles)
BUDGET = 1_500_000  # terms the two unrolled runs may take


@dataclass(frozen=True)
class ProofResult:
    proved: bool | None  # None: undecided (see reason)
    counterexample: ProgramInput | None
    reason: str
    seconds: float = 0.0


def form_domain(form) -> tuple:
    """A draw.Form as a picklable domain over unsigned 32-bit words."""
    name = type(form).__name__
    if name == "Any32":
        return ("any",)
    if hasattr(form, "items"):
        return ("union", [form_domain(f) for f in form.items])
    if hasattr(form, "lo") and hasattr(form, "hi"):
        lo, hi = int(form.lo), int(form.hi)
        if hi - lo + 1 >= 1 << 32:
            return ("any",)
        return ("range", lo & MASK32, hi & MASK32)
    if hasattr(form, "value"):
        return ("set", (int(form.value) & MASK32,))
    return ("set", tuple(int(v) & MASK32 for v in form.edges()))


def _bound(prog, max_cycles: int, loop_cycles: int) -> tuple[int, str]:
    if loop_free(prog):
        return min(max_cycles, len(prog.words) + 1), "loop-free"
    return min(max_cycles, loop_cycles), "loops"


def prove_equivalent(spec, sketch, filling, reference_image=None, inputs=None, check=None,
                     time_limit: float = 60.0, loop_cycles: int = DEFAULT_LOOP_CYCLES
                     ) -> ProofResult:
    require_bitwuzla()
    ref = reference_image if reference_image is not None else getattr(spec, "reference", None)
    inputs = inputs if inputs is not None else getattr(spec, "inputs", None)
    check = check if check is not None else getattr(spec, "check", None)
    if ref is None:
        return ProofResult(None, None, "no reference program to prove against")
    n = int(spec.mem_words)
    length = len(sketch.image.words)
    words = [int(w) for w in sketch.fill([list(filling)])[0][:length]]
    cand = plain_program(words, sketch.image.entry, n, spec.max_cycles)
    ref_cycles_max = int(getattr(ref, "max_cycles", spec.max_cycles))
    refp = plain_program(ref.words, ref.entry, n, ref_cycles_max)
    kc, why_c = _bound(cand, spec.max_cycles, loop_cycles)
    kr, why_r = _bound(refp, ref_cycles_max, loop_cycles)
    regs = dict(getattr(inputs, "regs", {}) or {})
    stream = tuple(getattr(inputs, "stream", ()) or ())
    mem = dict(getattr(inputs, "mem", None) or {})
    chk = {"regs": tuple(getattr(check, "regs", ())), "out": bool(getattr(check, "out", True)),
           "mem": tuple(getattr(check, "mem", ())), "status": bool(getattr(check, "status", True))}
    query = {"kind": "prove", "cand": cand, "ref": refp, "cand_cycles": kc, "ref_cycles": kr,
             "regs": {int(r): form_domain(f) for r, f in regs.items()},
             "stream": [form_domain(f) for f in stream],
             "mem": {int(a): form_domain(f) for a, f in mem.items()}, "check": chk,
             "budget": BUDGET}
    ans = run_query(query, time_limit)
    secs = float(ans.get("wall_s", 0.0))
    status = ans["status"]
    bounds = f"candidate within {kc} cycles ({why_c}), reference within {kr} ({why_r})"
    if status == "proved":
        doms = ", ".join(f"r{r}" for r in sorted(regs)) or "no register inputs"
        return ProofResult(True, None, f"equal on every input ({doms}); {bounds}", secs)
    if status in ("differs", "undecided"):
        inp = _input(ans["model"], regs, stream, mem)
        if status == "undecided":
            return ProofResult(None, None, f"cannot prove: on {_show(inp)} a run leaves the "
                                           f"encoding or does not stop within its bound "
                                           f"({bounds})", secs)
        if _differs(spec, words, cand.entry, ref, inp, chk, ref_cycles_max):
            return ProofResult(False, inp, f"differs from the reference on {_show(inp)}", secs)
        return ProofResult(None, None, f"the solver's counterexample {_show(inp)} did not "
                                       "reproduce on the reference interpreter (a bug)", secs)
    reason = ans.get("reason") or "unknown"
    if reason.startswith("too large"):
        reason = (f"cannot encode within the size limit: {reason} (bounds: {bounds}; "
                  "a loop bound this large is beyond --prove)")
    return ProofResult(None, None, reason, secs)


def _input(model, regs, stream, mem) -> ProgramInput:
    vals = list(model)
    r = {int(k): vals.pop(0) for k in regs}
    s = tuple(vals.pop(0) for _ in stream)
    m = {int(a): vals.pop(0) for a in mem}
    return ProgramInput(set=r, input=s, mem=m)


def _show(inp: ProgramInput) -> str:
    parts = [f"r{r} = {to_signed(v)}" for r, v in sorted(inp.set.items())]
    if inp.input:
        parts.append(f"input [{', '.join(str(to_signed(v)) for v in inp.input)}]")
    parts += [f"mem[{a}] = {to_signed(v)}" for a, v in sorted(inp.mem.items())]
    return ", ".join(parts) or "the reset state"


def _differs(spec, words, entry, ref, inp, chk, ref_cycles) -> bool:
    """Whether the reference interpreter sees the checked results differ on `inp`."""
    n = int(spec.mem_words)
    a = run_reference(Image(words=list(words), entry=entry),
                      MachineConfig(mem_words=n, max_cycles=spec.max_cycles), inp)
    b = run_reference(Image(words=[int(w) & MASK32 for w in ref.words], entry=ref.entry),
                      MachineConfig(mem_words=n, max_cycles=ref_cycles), inp)
    if chk["status"] and a.status != "halted":
        return True
    return (any(a.regs[r] != b.regs[r] for r in chk["regs"])
            or any(a.mem[m] != b.mem[m] for m in chk["mem"])
            or (chk["out"] and a.out != b.out))
