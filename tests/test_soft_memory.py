"""Running out of memory (issue 18, item 1): soft runs and `ncpu fit` report it as one
line (one JSON error under --json) with exit 1, as the exact engines do, never a
traceback; the soft memory estimate is not below what a soft run really takes, and a
batch it does not fit is refused before it starts."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from cli_run_common import ADD, EXIT_ERROR, invoke
from typer.testing import CliRunner

from ncpu_cli.cli import app
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.soft.run import SoftBatch

ROOT = Path(__file__).resolve().parent.parent
FIT_SPEC = ROOT / "programs" / "fit" / "table8.yaml"


def torch_out_of_memory(*args, **kwargs):
    """Raise what torch raises when the CPU allocator fails (a RuntimeError naming
    DefaultCPUAllocator), by asking it for a petabyte: refused at once, nothing touched."""
    torch.empty(1 << 50, dtype=torch.uint8)
    raise AssertionError("a petabyte was allocated")  # pragma: no cover


def python_out_of_memory(*args, **kwargs):
    raise MemoryError()


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "add.s"
    path.write_text(ADD)
    return path


@pytest.mark.parametrize("oom", [torch_out_of_memory, python_out_of_memory])
def test_soft_run_out_of_memory_is_one_json_error(monkeypatch, src, oom):
    monkeypatch.setattr(SoftBatch, "run", oom)
    r = invoke(src, "--mode", "soft", "--json")
    assert r.exit_code == EXIT_ERROR
    assert r.stderr == ""
    error = json.loads(r.stdout)["error"]
    assert error["kind"] == "memory" and error["message"].startswith("out of memory")
    assert "--mem-words" in error["message"]  # says what to make smaller


def test_soft_run_out_of_memory_is_one_line_of_text(monkeypatch, src):
    monkeypatch.setattr(SoftBatch, "run", torch_out_of_memory)
    r = invoke(src, "--mode", "soft")
    assert r.exit_code == EXIT_ERROR and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: out of memory"), r.stderr
    assert "1.0 PiB" in lines[0]  # the size torch could not allocate


def test_other_runtime_errors_are_not_called_out_of_memory(monkeypatch, src):
    def broken(*args, **kwargs):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(SoftBatch, "run", broken)
    r = CliRunner().invoke(app, ["run", str(src), "--mode", "soft", "--json"])
    assert isinstance(r.exception, RuntimeError) and "out of memory" not in r.stdout


def test_fit_out_of_memory_is_one_json_error(monkeypatch):
    import ncpu_cli.fit.gradient as gradient

    monkeypatch.setattr(gradient, "fit_gradient", torch_out_of_memory)
    r = CliRunner().invoke(app, ["fit", str(FIT_SPEC), "--method", "gradient", "--json"])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == EXIT_ERROR and "Traceback" not in r.stdout + r.stderr
    error = json.loads(r.stdout)["error"]
    assert error["kind"] == "memory" and "--restarts" in error["message"]


def test_a_soft_batch_that_does_not_fit_is_refused_before_it_runs(monkeypatch, src):
    import ncpu_cli.run.batch as batch

    # 8 programs x 65,536 words: the state alone is 4 float64 (B, N) tensors = 16 MiB, and a
    # run measured about 60 MiB at its peak; let 48 MiB be free
    monkeypatch.setattr(batch, "available_bytes", lambda device: 48 << 20)
    monkeypatch.setattr(SoftBatch, "run", python_out_of_memory)  # it must not get here
    r = invoke(src, "--mode", "soft", "--batch", "8", "--mem-words", "65536", "--json")
    assert r.exit_code == EXIT_ERROR
    error = json.loads(r.stdout)["error"]
    assert error["kind"] == "run" and "needs about" in error["message"], error


def _python(args: list[str], limit: int | None = None, timeout: float = 120):
    """`python args` in a fresh process (address space limited to `limit` bytes)."""
    def limit_memory():
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {**os.environ, "NCPU_SOFT_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=timeout, preexec_fn=limit_memory)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ulimit -v and /proc are Linux's")
def test_ulimit_v_is_free_memory_too(src):
    # the case in small: under `ulimit -v 3 GB` 512 soft programs of 65,536 words
    # (estimated at several GiB) are refused at once, not started and killed by the limit
    r = _python(["-m", "ncpu_cli", "run", str(src), "--mode", "soft", "--batch", "512",
                 "--mem-words", "65536", "--json"], limit=3 << 30)
    assert r.returncode == EXIT_ERROR, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    error = json.loads(r.stdout)["error"]
    assert "needs about" in error["message"] and "free" in error["message"], error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB is Linux's")
@pytest.mark.parametrize("program,dtype", [("collatz", "float64"), ("bubble_sort", "float32")])
def test_the_estimate_covers_a_measured_soft_run(program, dtype):
    # programs stopping at different cycles (the machine then sets them aside: its peak)
    batch, words = 16, 16384
    r = _python(["-m", "ncpu_cli.bench.soft_memory", f"programs/{program}.s", "--batch",
                 str(batch), "--mem-words", str(words), "--dtype", dtype])
    assert r.returncode == 0, r.stderr
    row = json.loads(r.stdout)
    item = 8 if dtype == "float64" else 4
    # the measurement sees at least the state's four (B, N) tensors ...
    assert row["peak_bytes"] >= 4 * batch * words * item, row
    # ... and the estimate is not below it
    assert row["estimate_bytes"] >= row["peak_bytes"], row
    config = MachineConfig(mem_words=words, dtype=dtype, max_cycles=2000)
    assert row["estimate_bytes"] == SoftBatch.bytes_needed(batch, config, 0)
