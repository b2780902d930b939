"""`ncpu bench engines`: every engine in one run, ratios to the reference, compile time,
and the recursive fib workload (checked against a closed fact: fib's values)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ncpu_cli.bench import engines
from ncpu_cli.bench.engines import bench_engines, fib_program
from ncpu_cli.cli import app
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.exact import native
from ncpu_cli.machine.inputs import ProgramInput

KEYS = {"engine", "mode", "device", "device_name", "batch", "mem_words", "instructions",
        "seconds", "ips", "ratio", "compile_s"}


def test_fib_program_computes_fib():
    got = native.run(fib_program(), MachineConfig(), [ProgramInput(set={1: n}) for n in
                                                      range(15)])
    fib = [0, 1]
    while len(fib) < 15:
        fib.append(fib[-1] + fib[-2])
    assert [r.regs[2] for r in got] == fib and {r.status for r in got} == {"halted"}


def test_bench_engines_rows():
    rows = bench_engines(batches=(1, 4), cycles=300, reference_cycles=2000, repeats=1,
                         fib_values=range(0, 10))
    assert all(set(r) == KEYS for r in rows)
    kinds = [(r["engine"], r["mode"], r["batch"]) for r in rows]
    assert kinds == [("reference", "loop", 1), ("native", "loop", 1), ("native", "loop", 4),
                     ("torch", "loop", 1), ("torch", "loop", 4),
                     ("reference", "fib-sweep", 10), ("native", "fib-sweep", 10)]
    loop = {(r["engine"], r["batch"]): r for r in rows if r["mode"] == "loop"}
    assert loop[("native", 4)]["instructions"] == 4 * 300
    assert loop[("reference", 1)]["ratio"] == 1.0
    for r in rows:
        assert r["ips"] > 0 and abs(r["ratio"] - r["ips"] / loop[("reference", 1)]["ips"]) < 1e-6 \
            or r["mode"] != "loop"
    assert loop[("native", 1)]["compile_s"] > 0


def test_cli_bench_engines_json(monkeypatch):
    monkeypatch.setattr(engines, "FIB_SWEEP", range(0, 8))
    res = CliRunner().invoke(app, ["bench", "engines", "--batches", "2", "--cycles", "100",
                                   "--json"])
    assert res.exit_code == 0, res.stderr
    rows = json.loads(res.stdout)["results"]
    assert {r["engine"] for r in rows} == {"reference", "native", "torch"}
    assert {r["mode"] for r in rows} == {"loop", "fib-sweep"}
