"""Cost of a gradient fit step: seconds per step at several restart counts.

A step is one soft forward pass of restarts × examples programs, one backward
pass, one Adam step and the exact check of the step's fillings.  The task is a
16-entry lookup table (16 data holes of 0..255, 4 examples of 4 loads each) that
no restart solves in the few steps timed, so every step does the full work.
The first step (imports, warm-up) is timed apart as ``first_s``.
"""

from __future__ import annotations

import time
from typing import Sequence

from ncpu_cli.fit.api import fit
from ncpu_cli.fit.spec import parse_spec

TABLE = [(7 * i * i + 3) % 256 for i in range(16)]
_QUERIES = [(0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)]
SPEC = "\n".join([
    "mem_words: 64",
    "max_cycles: 16",
    "source: |",
    *[f"  andi r5, r{k}, 15\n  ld r5, 32(r5)\n  out r5" for k in (1, 2, 3, 4)],
    "  halt",
    "  .org 32",
    *["  .word ??[0:255]"] * 16,
    "examples:",
    *[f"  - {{set: {{r1: {a}, r2: {b}, r3: {c}, r4: {d}}}, "
      f"expect: {{out: [{TABLE[a]}, {TABLE[b]}, {TABLE[c]}, {TABLE[d]}]}}}}"
      for a, b, c, d in _QUERIES],
])


def bench_fit(restarts: Sequence[int] = (16, 256), steps: int = 6,
              device: str = "cpu") -> list[dict]:
    spec = parse_spec(SPEC, name="<bench-fit>")
    rows = []
    for r in restarts:
        t0 = time.perf_counter()
        fit(spec, "gradient", restarts=r, steps=1, device=device, seed=1)
        first = time.perf_counter() - t0
        res = fit(spec, "gradient", restarts=r, steps=steps, device=device, seed=1)
        rows.append({"restarts": r, "examples": len(spec.examples), "steps": res.steps,
                     "seconds": round(res.seconds, 3),
                     "s_per_step": round(res.seconds / max(1, res.steps), 4),
                     "first_s": round(first, 3), "solved": res.solved})
    base = rows[0]["s_per_step"]
    for row in rows:
        row["vs_first"] = round(row["s_per_step"] / base, 2) if base else None
    return rows


def bench_search(proposals: int = 2_000_000, steps: int = 20) -> list[dict]:
    """Fillings (proposals) per second of the exact searches on one sketch: five lines of
    `?{add,sub,and,or,xor,shl,shr,sar,mul,slt,sltu} ??, ??, ??` for r3 = max(r1, r2) with
    32 examples (`ncpu_cli.fit.mcmc.bench_spec`), none of them solving it in the time
    measured. mcmc: one chain on one thread, compile time excluded; evolve: --steps
    generations of 256; enumerate: --steps batches (its space is far too large to finish:
    the count is what it checks per second, with --max-candidates lifted)."""
    from ncpu_cli.fit.mcmc import bench_mcmc, bench_spec

    m = bench_mcmc(proposals=proposals)
    rows = [{"method": "mcmc", "fillings": m["proposals"], "seconds": m["seconds"],
             "fillings_per_s": round(m["proposals_per_s"]),
             "per_cpu_s": round(m["per_cpu_second"])}]
    spec = bench_spec()
    for method in ("evolve", "enumerate"):
        res = fit(spec, method, steps=steps, seed=1, max_candidates=2**62, verify=0)
        rows.append({"method": method, "fillings": res.candidates,
                     "seconds": round(res.seconds, 3),
                     "fillings_per_s": round(res.candidates / max(res.seconds, 1e-9)),
                     "per_cpu_s": None})
    return rows
