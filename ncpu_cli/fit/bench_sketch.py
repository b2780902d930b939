"""The sketch the exact searches are timed on (`ncpu bench fit`): whole-instruction holes
for r3 = max(r1, r2)."""

from __future__ import annotations

import numpy as np

BENCH_OPS = "add,sub,and,or,xor,shl,shr,sar,mul,slt,sltu"


def bench_spec(lines: int = 5, examples: int = 32, seed: int = 0):
    """A FitSpec: `lines` whole-instruction holes for r3 = max(r1, r2) (signed), on
    `examples` random pairs (expected values from Python's max)."""
    import yaml

    from ncpu_cli.fit.spec import parse_spec

    rng = np.random.default_rng(seed)
    pairs = rng.integers(-(2**31), 2**31, (examples, 2))
    source = "".join(f"        ?{{{BENCH_OPS}}} ??, ??, ??\n" for _ in range(lines))
    spec = {"mem_words": 64, "max_cycles": 64, "source": source + "        halt\n",
            "examples": [{"set": {"r1": a, "r2": b}, "expect": {"regs": {"r3": max(a, b)}}}
                         for a, b in pairs.tolist()]}
    text = yaml.safe_dump(spec, sort_keys=False)
    return parse_spec(text, name="<bench>")
