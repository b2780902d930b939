"""How much memory a soft run really takes: the measurement behind the soft memory
estimate (machine/soft/settings.py, ``soft_bytes_needed``).

    python -m ncpu_cli.bench.soft_memory PROGRAM --batch B --mem-words N \\
        [--addressing hard|sparsemax|softmax] [--dtype float64|float32] [--max-cycles C]

runs B copies of PROGRAM (register r1 = 3, 4, 5, ... so that they stop at different
cycles and the machine sets finished programs aside, its most memory-hungry path) and
prints one JSON line: the peak resident size the run added (``peak_bytes``), that per
memory word per program (``bytes_per_word``) and the estimate (``estimate_bytes``).

The peak is the process's peak resident size (VmHWM) during the run less its resident
size (VmRSS) before it, after a one-program warm-up; the peak is reset first (Linux's
/proc/self/clear_refs), since an earlier, larger peak (imports, since freed) would hide the
run's. Where that reset is refused it falls back to ``ru_maxrss``, and then it must run in
a fresh process. Linux only.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
from typing import Sequence


def max_rss() -> int:
    """The peak resident size of this process so far, in bytes (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _status(key: str) -> int | None:
    """A size from /proc/self/status (VmRSS, VmHWM) in bytes, or None."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    """Reset this process's peak resident size to its current one (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        return False
    return _status("VmHWM") is not None


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
    gc.collect()
    fresh = reset_peak()
    base = _status("VmRSS") if fresh else max_rss()
    config = MachineConfig(mem_words=mem_words, addressing=addressing, dtype=dtype,
                           max_cycles=max_cycles)
    machine = SoftBatch(image, config, [ProgramInput({1: 3 + i}) for i in range(batch)])
    machine.run()
    results = list(machine.results())
    peak = (_status("VmHWM") if fresh else max_rss()) - base
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
