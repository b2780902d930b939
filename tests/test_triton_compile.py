"""The Triton kernel compiled ahead of time for NVIDIA GPUs (sm_80, sm_90), no GPU needed:
the interpreter tests (tests/test_triton.py) cannot see what only the compiler checks
(constexpr globals, types across the loop, unsupported operations). Runs in a
subprocess with TRITON_INTERPRET unset, because tests/test_triton.py sets it for the
whole pytest process. Skipped, with the reason printed, when triton is not installed."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """
from ncpu_cli.machine.exact import triton_kernel as tk
assert not tk.INTERPRET
for cap, shared in ((90, False), (80, True)):
    c = tk.compile_ahead(cap, shared=shared)
    ptx = c.asm["ptx"]
    assert c.asm["cubin"] and "div.u32" in ptx and "st.global" in ptx, cap
    print(cap, len(c.asm["cubin"]))
"""


@pytest.mark.skipif(find_spec("triton") is None,
                    reason="triton is not installed (pip install 'ncpu[cuda]')")
def test_kernel_compiles_for_cuda_without_a_gpu():
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    res = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.split()[::2] == ["90", "80"]
