"""bench_exact: the rows it reports, on a tiny run."""

from __future__ import annotations

from ncpu_cli.bench.exact import bench_exact, bench_info, bench_program
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.exact.machine import run
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import run_reference


def test_bench_rows():
    rows = bench_exact(batches=(1, 3), cycles=100, reference_cycles=2000, repeats=2)
    assert [r["engine"] for r in rows] == ["reference", "torch", "torch"]
    for r in rows:
        assert {"engine", "device", "batch", "cycles", "instructions", "seconds", "ips",
                "repeats"} <= set(r)
        assert r["ips"] > 0 and r["instructions"] == r["batch"] * r["cycles"]
        assert r["repeats"] == 2
    assert rows[1]["cycles"] == 100 and rows[2]["batch"] == 3
    info = bench_info("cpu")
    assert info["torch"] and info["device_name"]


def test_bench_program_loops_until_its_counter_runs_out():
    config = MachineConfig(max_cycles=5000)
    want = run_reference(bench_program(), config)
    got = run(bench_program(), config, [ProgramInput()], with_mem=True)[0]
    assert want.status == "timeout" and got == want
