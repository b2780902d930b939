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


def bench_search(proposals: int = 2_000_000, steps: int = 20, fillings: int = 20_000_000,
                 gradient_rows: list[dict] | None = None, tables: int = 5) -> list[dict]:
    """Fillings per second of every method (``ncpu bench fit``), on the sketch of
    `ncpu_cli.fit.bench_sketch.bench_spec` (five lines of
    `?{add,sub,and,or,xor,shl,shr,sar,mul,slt,sltu} ??, ??, ??` for r3 = max(r1, r2), 32
    examples, space 1.9e23) where a method takes it, none solving it in the time measured:

    - mcmc: proposals of one chain on one thread (`bench_mcmc`), compile time excluded;
    - evolve: `--steps` steps (64 generations of 256 each) through `fit`, its `evaluations`
      per second
      (every filling it scored, repeats included);
    - enumerate: the compiled walk on one thread (`bench_enumerate`), plain and pruned; the
      pruned walk's `covered_per_s` counts the fillings it skipped as equivalent too;
    - gradient: restarts × steps / seconds on the 16-entry table (`bench_fit`: it declines
      instruction holes), from `gradient_rows` when given;
    - smt: no row of fillings: it checks none (one solver query per CEGIS round);
    - the gradient proposal table (`proposals.bench_tables`): its seconds, and how many
      uniform mcmc proposals the same time buys (the exchange rate).

    `per_cpu_s` divides by the process's CPU time: the per-core rate even on a machine
    shared with other work."""
    from ncpu_cli.fit.bench_sketch import bench_spec
    from ncpu_cli.fit.mcmc import bench_mcmc

    m = bench_mcmc(proposals=proposals)
    rows = [{"method": "mcmc", "sketch": "bench", "fillings": m["proposals"],
             "seconds": m["seconds"], "fillings_per_s": round(m["proposals_per_s"]),
             "per_cpu_s": round(m["per_cpu_second"]), "note": "one chain, one thread"}]
    spec = bench_spec()
    t0, c0 = time.perf_counter(), time.process_time()
    res = fit(spec, "evolve", steps=steps, seed=1, verify=0)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    rows.append({"method": "evolve", "sketch": "bench", "fillings": res.evaluations,
                 "seconds": round(seconds, 3), "fillings_per_s": round(res.evaluations / seconds),
                 "per_cpu_s": round(res.evaluations / max(cpu, 1e-9)),
                 "note": f"--steps {steps} through fit (evaluations)"})
    for prune in (False, True):
        e = bench_enumerate(fillings=fillings, prune=prune)
        rows.append({"method": "enumerate", "sketch": "bench", "fillings": e["fillings"],
                     "seconds": e["seconds"], "fillings_per_s": round(e["fillings_per_s"]),
                     "per_cpu_s": round(e["per_cpu_second"]),
                     "covered_per_s": float(f"{e['covered_per_s']:.3g}"),
                     "note": ("pruned: " + e["prunings"]) if prune else "plain, one thread"})
    grad = gradient_rows or bench_fit(restarts=(256,), steps=4)
    g = grad[-1]
    rows.append({"method": "gradient", "sketch": "table16", "fillings": g["restarts"] * g["steps"],
                 "seconds": g["seconds"],
                 "fillings_per_s": round(g["restarts"] * g["steps"] / max(g["seconds"], 1e-9)),
                 "per_cpu_s": None, "note": f"{g['restarts']} restarts x {g['steps']} steps"})
    rows.append({"method": "smt", "sketch": "bench", "fillings": None, "seconds": None,
                 "fillings_per_s": None, "per_cpu_s": None,
                 "note": "not meaningful: smt checks no fillings (a solver query per round)"})
    from ncpu_cli.fit.proposals import bench_tables

    t = bench_tables(tables=tables)
    for kind in ("fresh", "cached"):  # every word decoded anew, or the rows cached
        sec, cpu = t[f"s_per_table_{kind}"], t[f"cpu_s_per_table_{kind}"]
        rate = sec * m["proposals_per_s"]  # the uniform proposals one table costs
        rows.append({"method": f"mcmc gradient table ({kind})", "sketch": "bench",
                     "fillings": t["tables"] * t["chains"], "seconds": round(sec * t["tables"], 3),
                     "fillings_per_s": round(t["chains"] / sec),
                     "per_cpu_s": round(t["chains"] / max(cpu, 1e-9)),
                     "note": (f"{sec:.3f} s a table of {t['chains']} fillings x "
                              f"{t['examples']} examples = {rate:,.0f} uniform mcmc proposals")})
    order = ("method", "sketch", "fillings", "seconds", "fillings_per_s", "per_cpu_s",
             "covered_per_s", "note")  # a value that does not apply is left out
    return [{k: r[k] for k in order if r.get(k) is not None} for r in rows]


def bench_enumerate(fillings: int = 20_000_000, prune: bool = False, lines: int = 5,
                    examples: int = 32, seed: int = 0, threads: int = 1) -> dict:
    """Fillings per second of enumerate's compiled walk on `bench_spec` (one thread by
    default: the per-core rate), the first step (compile or cache load) excluded."""
    import numba

    from ncpu_cli.fit.bench_sketch import bench_spec
    from ncpu_cli.fit.enumerate import STEP_WORK
    from ncpu_cli.fit.enumerate_walk import Walk
    from ncpu_cli.fit.sketch import Sketch

    spec = bench_spec(lines, examples, seed)
    walk = Walk(Sketch(spec), spec, spec.examples, prune=prune)
    old = numba.get_num_threads()
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    try:
        walk.step(1 << 12)
        leaves, covered = walk.leaves, walk.covered
        t0, c0 = time.perf_counter(), time.process_time()
        while walk.leaves - leaves < fillings and not walk.done:
            walk.step(STEP_WORK)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        numba.set_num_threads(old)
    done = walk.leaves - leaves
    p = walk.plan
    prunings = ", ".join(x for x in (p.depth and f"prefix states at depths 1-{p.depth}",
                                     p.rename and f"renaming of {len(p.rename)} registers") if x)
    return {"fillings": done, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
            "fillings_per_s": done / seconds, "per_cpu_second": done / max(cpu, 1e-9),
            "covered_per_s": (walk.covered - covered) / max(cpu, 1e-9),
            "prunings": prunings or "none", "threads": threads}
