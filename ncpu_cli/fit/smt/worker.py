"""The solver process: ``python -m ncpu_cli.fit.smt.worker`` reads one pickled query on
stdin, builds its formula, runs bitwuzla, and writes one pickled answer on stdout.

A query is a dict with ``kind``: ``fit`` (a filling of the holes that meets every
case: ``program``, ``cases``, ``cycles``, ``mode``) or ``prove`` (see ``prove.py``:
a run's checked results on symbolic inputs against a reference).  An answer is a
dict: ``status`` (sat | unsat | unknown), ``model`` (fit: the candidate index of each
hole), ``reason``, flags the formula may leave out (``unsup``, ``incomplete``), and
``build_s`` / ``solve_s`` seconds.  Memory errors and a too-large encoding come back
as ``unknown`` with a reason; a process killed by the parent (time) or the kernel
(memory) answers nothing, and ``solver.py`` says so.
"""

from __future__ import annotations

import pickle
import sys
import time

from ncpu_cli.fit.smt.encode import DEFAULT_BUDGET, Encoder, case_formula
from ncpu_cli.fit.smt.machine import TooLarge
from ncpu_cli.fit.smt.problem import isa_facts
from ncpu_cli.fit.smt.terms import Ctx


class FitSession:
    """The solver of ``fit`` queries over one program, bound and mode: cases and exclusions
    only grow, so each query asserts what is new and keeps what the solver learnt."""

    def __init__(self, q: dict):
        self.key = (q["program"], q["cycles"], q.get("mode", "search"))
        self.ctx = Ctx()
        self.enc = Encoder(self.ctx, q["program"], isa_facts())
        self.enc.budget = q.get("budget", DEFAULT_BUDGET)
        self.solver = None
        self.cases = 0
        self.excluded = 0
        self.flags = {"unsup": False, "incomplete": False, "cycles": 0}
        self.pending = list(self.enc.domain)
        self.false = False

    def fits(self, q: dict) -> bool:
        return (q["program"], q["cycles"], q.get("mode", "search")) == self.key \
            and len(q["cases"]) >= self.cases and len(q.get("exclude", ())) >= self.excluded

    def add(self, q: dict) -> None:
        ctx, enc = self.ctx, self.enc
        for case in q["cases"][self.cases:]:
            f, info = case_formula(enc, case, q["cycles"], q.get("mode", "search"))
            self.flags["unsup"] |= info["unsup"]
            self.flags["incomplete"] |= info["incomplete"]
            self.flags["cycles"] = max(self.flags["cycles"], info["cycles"])
            self.pending.append(f)
        for filling in q.get("exclude", ())[self.excluded:]:  # fillings the exact check rejected
            self.pending.append(ctx.any(*(ctx.not_(ctx.eq(k, int(v), k.sort().bv_size()))
                                          for k, v in zip(enc.vars, filling))))
        self.cases, self.excluded = len(q["cases"]), len(q.get("exclude", ()))

    def solve(self, q: dict) -> dict:
        t0 = time.perf_counter()
        self.add(q)
        ctx = self.ctx
        if self.solver is None:
            self.solver = ctx.solver(q.get("solver_time"), q.get("seed", 0))
        for f in self.pending:
            if f is False:
                self.false = True
            elif f is not True:
                self.solver.assert_formula(f)
        self.pending = []
        out = {**self.flags, "build_s": time.perf_counter() - t0, "terms": ctx.nodes,
               "model": None, "reason": ""}
        if self.false:
            return {**out, "status": "unsat", "solve_s": 0.0, "reason": "false before solving"}
        t1 = time.perf_counter()
        status = ctx.verdict(self.solver.check_sat())
        out.update(status=status, solve_s=time.perf_counter() - t1)
        if status == "sat":
            out["model"] = [ctx.value_of(self.solver, k) for k in self.enc.vars]
        elif status == "unknown":
            out["reason"] = "the solver gave up (its time limit)"
        return out


_session: FitSession | None = None


def solve_fit(q: dict) -> dict:
    """A model of every case's formula over the hole variables (see encode.py); with
    ``incremental`` the previous query's solver is reused when it fits."""
    global _session
    if not (q.get("incremental") and _session is not None and _session.fits(q)):
        _session = FitSession(q)
    return _session.solve(q)


def handle(q: dict) -> dict:
    """Answer one query in this process (the worker's body; tests call it directly)."""
    try:
        if q["kind"] == "fit":
            return solve_fit(q)
        if q["kind"] == "prove":
            from ncpu_cli.fit.smt.prove_encode import solve_prove
            return solve_prove(q)
        if q["kind"] == "ping":
            import bitwuzla  # noqa: F401  (start-up cost: the import)
            return {"status": "pong"}
        raise ValueError(f"unknown query kind {q['kind']!r}")
    except TooLarge as exc:
        return {"status": "unknown", "reason": f"too large to encode ({exc})", "model": None}
    except MemoryError:
        return {"status": "unknown", "reason": "out of memory", "model": None}


def main() -> None:
    """Answer framed queries (8-byte length, then a pickle) until stdin closes."""
    from ncpu_cli.fit.smt.solver import write_frame
    limited = False
    while True:
        head = sys.stdin.buffer.read(8)
        if len(head) < 8:
            return
        q = pickle.loads(sys.stdin.buffer.read(int.from_bytes(head, "little")))
        if q.get("memory_mb") and not limited:
            limited = True
            try:
                import resource
                b = int(q["memory_mb"]) * 1024 * 1024
                resource.setrlimit(resource.RLIMIT_AS, (b, b))
            except (ImportError, ValueError, OSError):
                pass
        write_frame(sys.stdout.buffer, handle(q))


if __name__ == "__main__":
    main()
