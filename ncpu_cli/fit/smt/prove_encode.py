"""The worker's side of ``prove``: a filled sketch against a reference on symbolic inputs.

Inputs are 32-bit variables, one per register / input-stream word / memory cell named
by the spec's ``inputs``, each limited to its form's values (a domain: ``("any",)``,
``("set", values)``, ``("range", a, b)`` over unsigned words that may wrap past
2^32 - 1, ``("union", [domains])``).  Both programs run from the same inputs, each
unrolled to its own bound.  Two questions, in one solver (push/pop):

1. an input where both runs stay inside the encoding, the reference halts, and the
   checked results differ (or the candidate does not halt, when the status is checked):
   a counterexample;
2. otherwise, an input where some run leaves the encoding or may still be running at
   its bound (or writes more output than is kept): then the bound proves nothing.

Neither: the two agree on every input of the domain (``proved``).
"""

from __future__ import annotations

import time

from ncpu_cli.fit.smt.encode import DEFAULT_BUDGET, Encoder
from ncpu_cli.fit.smt.problem import Case, isa_facts
from ncpu_cli.fit.smt.terms import Ctx, Flag

MAX_OUT_KEPT = 64  # output words compared; a run writing more leaves the proof undecided


def domain(c: Ctx, x, d) -> Flag:
    kind = d[0]
    if kind == "any":
        return True
    if kind == "set":
        return c.any(*(c.eq(x, v & 0xFFFF_FFFF) for v in d[1]))
    if kind == "range":
        a, b = d[1], d[2]
        if a <= b:
            return c.all(c.not_(c.ult(x, a)), c.not_(c.ult(b, x)))
        return c.any(c.not_(c.ult(x, a)), c.not_(c.ult(b, x)))
    if kind == "union":
        return c.any(*(domain(c, x, e) for e in d[1]))
    raise ValueError(f"unknown input domain {d!r}")


def solve_prove(q: dict) -> dict:
    t0 = time.perf_counter()
    c = Ctx()
    facts = isa_facts()
    regs = {r: c.var(f"in_r{r}", 32) for r in q["regs"]}
    stream = tuple(c.var(f"in_word{j}", 32) for j in range(len(q["stream"])))
    mem = {a: c.var(f"in_mem{a}", 32) for a in q["mem"]}
    dom = [domain(c, regs[r], d) for r, d in q["regs"].items()]
    dom += [domain(c, stream[j], d) for j, d in enumerate(q["stream"])]
    dom += [domain(c, mem[a], d) for a, d in q["mem"].items()]
    cap = min(MAX_OUT_KEPT, max(q["cand_cycles"], q["ref_cycles"]))
    runs = []
    for prog, cycles in ((q["cand"], q["cand_cycles"]), (q["ref"], q["ref_cycles"])):
        enc = Encoder(c, prog, facts)
        enc.budget = q.get("budget", DEFAULT_BUDGET)
        st = enc.run_case(Case(), cycles, regs=regs, inp=stream, mem=mem, out_cap=cap)
        incomplete = st.run if cycles < prog.max_cycles else False
        overflow = c.not_(c.ult(st.out_len, cap + 1))
        runs.append((enc.machine, st, c.any(st.unsup, incomplete, overflow)))
    (mc, sc, stuck_c), (mr, sr, stuck_r) = runs
    chk = q["check"]
    diffs = [c.not_(c.eq(sc.regs[r], sr.regs[r])) for r in chk["regs"]]
    diffs += [c.not_(c.eq(mc.load(sc, a), mr.load(sr, a))) for a in chk["mem"]]
    if chk["out"]:
        diffs.append(c.not_(c.eq(sc.out_len, sr.out_len)))
        diffs += [c.all(c.ult(j, sr.out_len), c.not_(c.eq(mc.out_value(sc, j), mr.out_value(sr, j))))
                  for j in range(cap)]
    if chk["status"]:
        diffs.append(c.not_(sc.halted))
    stuck = c.any(stuck_c, stuck_r, c.all(c.not_(stuck_r), c.not_(sr.halted)))
    build = time.perf_counter() - t0
    solver = c.solver(q.get("solver_time"), q.get("seed", 0))
    inputs = list(regs.values()) + list(stream) + list(mem.values())
    for d in dom:
        if d is not True:
            solver.assert_formula(c.flag(d))
    out = {"build_s": build, "terms": c.nodes, "model": None, "reason": ""}

    def ask(f: Flag) -> str:
        if f is False:
            return "unsat"
        solver.push(1)
        if f is not True:
            solver.assert_formula(c.flag(f))
        status = c.verdict(solver.check_sat())
        if status == "sat":
            out["model"] = [c.value_of(solver, x) for x in inputs]
            out["flags"] = {name: (v if isinstance(v, bool) else solver.get_value(v).is_true())
                            for name, v in (("cand_stuck", stuck_c), ("ref_stuck", stuck_r),
                                            ("ref_halted", sr.halted))}
        solver.pop(1)
        return status

    t1 = time.perf_counter()
    first = ask(c.all(c.not_(stuck), c.any(*diffs)))
    if first == "sat":
        return {**out, "status": "differs", "solve_s": time.perf_counter() - t1}
    if first == "unknown":
        return {**out, "status": "unknown", "solve_s": time.perf_counter() - t1,
                "reason": "the solver gave up (its time limit)"}
    second = ask(stuck)
    status = {"unsat": "proved", "sat": "undecided", "unknown": "unknown"}[second]
    return {**out, "status": status, "solve_s": time.perf_counter() - t1}
