"""How much memory a soft run really takes: the measurement behind the soft memory
estimate (machine/soft/settings.py, ``soft_bytes_needed``).

    python -m ncpu_cli.bench.soft_memory PROGRAM --batch B --mem-words N \\
        [--addressing hard|sparsemax|softmax] [--dtype float64|float32] [--max-cycles C]

runs B copies of PROGRAM (register r1 = 3, 4, 5, ... so that they stop at different
cycles and the machine sets finished programs aside, its most memory-hungry path) and
prints one JSON line: the peak resident size the run added (``peak_bytes``), that per
memory word per program (``bytes_per_word``) and the estimate (``estimate_bytes``).

The peak is the process's maximum resident size (``ru_maxrss``) after the run less the
same after a one-program warm-up, so run it in a fresh process: an earlier, larger peak
in the same process hides the run's.  Linux only (``ru_maxrss`` in KiB).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from typing import Sequence


def max_rss() -> int:
    """The peak resident size of this process so far, in bytes (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(program: str, batch: int, mem_words: int, addressing: str = "hard",
            dtype: str = "float64", max_cycles: int = 2000) -> dict:
    """Run the measurement in this process (see the module docstring)."""
    from ncpu_cli.machine.config import MachineConfig
    from ncpu_cli.machine.inputs import ProgramInput
    from ncpu_cli.machine.soft.run import SoftBatch
    from ncpu_cli.run.load import load_program

    image, _ = load_program(program, mem_words=mem_words)
    small = MachineConfig(mem_words=max(64, image.size), addressing=addressing, dtype=dtype,
                          max_cycles=50)
    warm, _ = load_program(program, mem_words=small.mem_words)
    SoftBatch(warm, small, [ProgramInput({1: 7})]).run()  # imports, first-call set-up
    base = max_rss()
    config = MachineConfig(mem_words=mem_words, addressing=addressing, dtype=dtype,
                           max_cycles=max_cycles)
    machine = SoftBatch(image, config, [ProgramInput({1: 3 + i}) for i in range(batch)])
    machine.run()
    results = list(machine.results())
    peak = max_rss() - base
    return {"program": program, "batch": batch, "mem_words": mem_words,
            "addressing": addressing, "dtype": dtype, "peak_bytes": peak,
            "bytes_per_word": peak / (batch * mem_words),
            "estimate_bytes": SoftBatch.bytes_needed(batch, config, 0),
            "statuses": sorted({r.status for r in results})}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ncpu_cli.bench.soft_memory",
                                 description="Peak memory of a soft run (see the docstring).")
    ap.add_argument("program")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--mem-words", type=int, default=65536)
    ap.add_argument("--addressing", default="hard", choices=("hard", "sparsemax", "softmax"))
    ap.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    ap.add_argument("--max-cycles", type=int, default=2000)
    args = ap.parse_args(argv)
    row = measure(args.program, args.batch, args.mem_words, args.addressing, args.dtype,
                  args.max_cycles)
    sys.stdout.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
