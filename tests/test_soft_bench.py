"""`bench_soft`: the rows it reports and that the timed loop really runs the program."""

from __future__ import annotations

from soft_common import one_torch_thread  # noqa: F401  (fixture: one torch thread per test)

from ncpu_cli.bench.soft import bench_program, bench_soft
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import ReferenceMachine


def test_rows():
    rows = bench_soft(batches=(1, 4), dtypes=("float32", "float64"), cycles=16)
    assert len(rows) == 4
    for r in rows:
        assert {"engine", "device", "batch", "dtype", "cycles", "seconds", "ips",
                "running"} <= set(r)
        assert r["running"] > 0.99  # the benchmark times programs that really run
        assert r["engine"] == "soft" and r["device"] == "cpu" and r["cycles"] == 16
        assert r["seconds"] > 0 and r["ips"] > 0
    assert [(r["dtype"], r["batch"]) for r in rows] == [("float32", 1), ("float32", 4),
                                                        ("float64", 1), ("float64", 4)]


def test_bench_program_loops_through_memory():
    m = ReferenceMachine(bench_program(), MachineConfig(mem_words=256, max_cycles=600),
                         ProgramInput())
    m.run()
    assert m.status == "timeout" and m.regs[1] > 90 and any(m.mem[128:192])
