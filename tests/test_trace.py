"""`ncpu trace`: the lockstep trace library, its JSON/CSV/plot outputs and the command
line, including every bad input (clear message, exit 1 or 2, never a traceback)."""

from __future__ import annotations

import csv
import json

import pytest
from soft_common import FACT, PROGRAMS, SELFMOD, image, one_torch_thread  # noqa: F401  (fixture)
from typer.testing import CliRunner

from ncpu_cli.cli import app
from ncpu_cli.image import Image, to_yaml
from ncpu_cli.isa import load_isa
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.trace import HEADS, sweep, trace_program

e = load_isa().encode
FAULTS = """\
        li   r1, 3
        ld   r2, -1(r0)    ; outside memory
        halt
"""
SUMMARY_KEYS = {"cycles", "first_divergence", "max_reg_error", "final_reg_error",
                "min_pc_target", "exact_status", "soft_halt_mass"}
METRIC_KEYS = {"max", "entropy", "target", "support"}


def invoke(*args, input=None):
    result = CliRunner().invoke(app, ["trace", *map(str, args)], input=input)
    assert "Traceback" not in result.stdout + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


# ---------------------------------------------------------------- library


def test_hard_trace_has_no_drift():
    config = MachineConfig(mem_words=64, addressing="hard")
    t = trace_program(image("factorial"), config, ProgramInput(set={1: 4}))
    s = t.summary
    assert s.exact_status == "halted" and s.first_divergence is None
    assert s.max_reg_error == 0 and s.final_reg_error == 0 and s.min_pc_target == 1.0
    assert s.soft_halt_mass == 1.0 and s.cycles == len(t.records) > 20
    assert t.stopped is None
    for r in t.records:
        assert r.reg_error == r.mem_error == r.out_error == 0
        assert r.heads["pc"] == {"max": 1.0, "entropy": 0.0, "target": 1.0, "support": 1.0}
    first = t.records[0]
    assert first.instr.startswith("jal") and first.heads["ra"] is None
    stores = [r for r in t.records if r.instr.startswith("st ")]
    assert stores and all(r.heads["write"] is not None and r.heads["read"] is None for r in stores)


def test_softmax_trace_leaks_and_measures_it():
    config = MachineConfig(mem_words=64, addressing="softmax", temperature=0.1)
    t = trace_program(image("factorial"), config, ProgramInput(set={1: 3}))
    heads = t.records[1].heads  # li r3, 1 right after the first jump
    assert 0 < 1 - heads["pc"]["target"] < 1e-2  # 64·e^(-10) leaks from the first jump
    assert heads["rd"]["entropy"] > 0 and heads["rd"]["support"] > 1
    assert t.summary.min_pc_target < 1 and t.summary.max_reg_error > 0
    assert t.summary.exact_status == "halted"


def test_trace_json_shape():
    config = MachineConfig(mem_words=64, addressing="sparsemax", temperature=0.5)
    doc = trace_program(image("factorial"), config, ProgramInput(set={1: 2})).to_json()
    assert set(doc) == {"addressing", "temperature", "mem_words", "cycles", "summary"}
    assert doc["addressing"] == "sparsemax" and doc["temperature"] == 0.5
    assert set(doc["summary"]) == SUMMARY_KEYS
    for c in doc["cycles"]:
        assert set(c) == {"cycle", "pc", "instr", "heads", "reg_error", "mem_error", "out_error"}
        assert set(c["heads"]) == set(HEADS)
        for m in c["heads"].values():
            assert m is None or set(m) == METRIC_KEYS
    json.dumps(doc, allow_nan=False)


def test_trace_stops_at_an_exact_fault_and_says_why():
    image_ = Image(words=[e("li", rd=1, imm=3), e("ld", rd=2, ra=0, imm=-1), e("halt")])
    t = trace_program(image_, MachineConfig(mem_words=16, addressing="hard"), ProgramInput())
    assert t.summary.cycles == 2 and t.summary.exact_status == "fault"
    assert t.exact_reason == "address" and "faulted (address) at pc 1" in t.stopped


def test_trace_cycle_limit_and_timeout():
    config = MachineConfig(mem_words=64, addressing="hard")
    t = trace_program(image("factorial"), config, ProgramInput(set={1: 5}), cycles=7)
    assert t.summary.cycles == 7 and t.summary.exact_status == "running"
    t = trace_program(image("factorial"), MachineConfig(mem_words=64, max_cycles=5),
                      ProgramInput(set={1: 5}))
    assert t.summary.cycles == 5 and t.summary.exact_status == "timeout"


def test_sweep_rows():
    rows = sweep(image("factorial"), MachineConfig(), ProgramInput(set={1: 3}),
                 mem_words=[64, 256], temperatures=[0.05, 0.2])
    assert len(rows) == 2 * 2 * 3
    assert {(r.mem_words, r.temperature, r.addressing) for r in rows} == {
        (n, t, m) for n in (64, 256) for t in (0.05, 0.2) for m in ("softmax", "sparsemax", "hard")}
    for r in rows:
        if r.addressing != "softmax":
            assert r.first_divergence is None and r.final_error == 0 and r.min_target == 1.0
    soft = [r for r in rows if r.addressing == "softmax"]
    assert all(r.min_target < 1 for r in soft)


def test_sweep_first_jump_follows_the_closed_form():
    """The pc mass a softmax jump keeps on its target is p_max = 1 / (1 + N·e^(-1/τ))
    over the N + 1 slots of a jump (within 1%); sparsemax and hard keep all of it."""
    rows = sweep(image("factorial"), MachineConfig(), ProgramInput(set={1: 3}),
                 mem_words=[64, 1024, 4096], temperatures=[0.1, 0.2, 0.5])
    for r in rows:
        assert r.first_jump_target is not None
        assert r.first_jump_target == pytest.approx(r.closed_form, rel=0.01), r
        if r.addressing != "softmax":
            assert r.closed_form == 1.0 and r.first_jump_target == 1.0
    leaks = [1 - r.first_jump_target for r in rows
             if r.addressing == "softmax" and r.temperature == 0.1]
    assert leaks == sorted(leaks) and leaks[-1] > 10 * leaks[0]  # leakage grows with N


# ---------------------------------------------------------------- command line


def test_cli_table_strip_and_summary():
    r = invoke(FACT, "--set", "r1=3", "--mem-words", "64", "--addressing", "hard")
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "jal r14, fact" in out and "summary" in out and "never" in out
    assert "pc attention" in out and "exact status" in out


def test_cli_json_is_the_documented_shape():
    r = invoke(FACT, "--set", "r1=3", "--mem-words", "64", "--temperature", "0.05", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) == {"addressing", "temperature", "mem_words", "cycles", "summary"}
    assert doc["addressing"] == "softmax" and doc["temperature"] == 0.05 and doc["mem_words"] == 64
    assert set(doc["summary"]) == SUMMARY_KEYS
    assert isinstance(doc["summary"]["cycles"], int) and len(doc["cycles"]) == doc["summary"]["cycles"]


def test_cli_input_options_reach_the_trace(tmp_path):
    src = tmp_path / "echo.s"
    src.write_text("in r1\nld r2, 9(r0)\nadd r3, r1, r2\nout r3\nhalt\n")
    r = invoke(src, "--input", "5", "--mem", "9=7", "--set", "r4=2", "--mem-words", "16",
               "--addressing", "hard", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["summary"]["exact_status"] == "halted" and doc["summary"]["max_reg_error"] == 0


def test_cli_image_file(tmp_path):
    path = tmp_path / "prog.yaml"
    path.write_text(to_yaml(Image(words=[e("li", rd=1, imm=2), e("out", ra=1), e("halt")])))
    r = invoke(path, "--mem-words", "16", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["summary"]["cycles"] == 3


def test_cli_csv(tmp_path):
    path = tmp_path / "t.csv"
    r = invoke(FACT, "--set", "r1=2", "--mem-words", "64", "--csv", path, "--json")
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == json.loads(r.stdout)["summary"]["cycles"]
    assert {"cycle", "pc", "instr", "pc_target", "write_support", "reg_error"} <= set(rows[0])


def test_cli_plot(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib (ncpu[plot]) is not installed")
    for name in ("t.png", "t.svg"):
        path = tmp_path / name
        r = invoke(FACT, "--set", "r1=2", "--mem-words", "64", "--plot", path, "--json")
        assert r.exit_code == 0, r.stderr
        assert path.stat().st_size > 1000


def test_cli_plot_without_matplotlib_says_how_to_install(monkeypatch, tmp_path):
    import builtins

    real = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("no matplotlib")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    r = invoke(FACT, "--plot", tmp_path / "t.png")
    assert r.exit_code == 1
    assert "pip install 'ncpu[plot]'" in r.stderr


def test_cli_sweep():
    r = invoke(FACT, "--set", "r1=2", "--sweep-mem", "64,256", "--sweep-temperature",
               "0.05,0.2", "--json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)["sweep"]
    assert len(rows) == 12
    assert {"mem_words", "temperature", "addressing", "first_jump_target", "closed_form",
            "min_target", "first_divergence", "final_error"} <= set(rows[0])
    r = invoke(FACT, "--set", "r1=2", "--sweep-mem", "64", "--sweep-temperature", "0.1")
    assert r.exit_code == 0 and "sweep" in r.stdout and "sparsemax" in r.stdout
    assert "min target" in r.stdout and "diverges" in r.stdout and "formula" in r.stdout


def test_cli_exact_fault_stops_the_trace(tmp_path):
    src = tmp_path / "fault.s"
    src.write_text(FAULTS)
    r = invoke(src, "--mem-words", "16")
    assert r.exit_code == 1
    assert "faulted (address) at pc 1" in r.stderr and "stops there" in r.stderr
    assert "ld r2, -1(r0)" in r.stdout  # the trace up to the fault is shown


def test_cli_self_modifying_program_is_rejected(tmp_path):
    src = tmp_path / "selfmod.s"
    src.write_text(SELFMOD)
    r = invoke(src, "--mem-words", "16", "--addressing", "hard")
    assert r.exit_code == 1
    assert "self-modifying" in r.stderr and "--mode exact" in r.stderr


@pytest.mark.parametrize("args, code, message", [
    (["--temperature", "0"], 2, "--temperature must be a positive finite number, got 0.0"),
    (["--temperature", "-1"], 2, "--temperature must be a positive finite number, got -1.0"),
    (["--temperature", "-0.5"], 2, "--temperature must be a positive finite number, got -0.5"),
    (["--temperature", "nan"], 2, "--temperature must be a positive finite number, got nan"),
    (["--temperature", "inf"], 2, "--temperature must be a positive finite number, got inf"),
    (["--temperature", "warm"], 2, "--temperature"),
    (["--addressing", "gumbel"], 2, "--addressing"),
    (["--dtype", "float16"], 2, "--dtype"),
    (["--cycles", "-3"], 2, "--cycles must be 0 or more"),
    (["--plot", "t.pdf"], 2, "unsupported file type"),
    (["--sweep-temperature", "0.1,-1"], 2, "positive finite"),
    (["--sweep-mem", "64,x"], 2, "not a whole number"),
    (["--sweep-mem", "8"], 2, "outside 16..65536"),
    (["--mem-words", "8"], 2, "--mem-words"),
    (["--set", "r99=1"], 1, "unknown register"),
    (["--device", "cuda:9"], 1, "cuda"),
])
def test_cli_bad_input(args, code, message):
    r = invoke(FACT, *args)
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    text = " ".join((r.stderr + r.stdout).split())
    assert message in text, text


def test_cli_missing_program():
    r = invoke("/nonexistent/prog.s")
    assert r.exit_code == 1 and "no such file" in r.stderr


def test_cli_zero_cycles():
    r = invoke(FACT, "--cycles", "0", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["summary"]["cycles"] == 0
