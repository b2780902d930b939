"""`ncpu run`, continued: stdin inputs, more bad inputs, engine choice, progress bar
gating, start-up without torch, table/summary boundary and the human views."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from cli_run_common import (
    ADD,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    LOAD,
    SPIN,
    check_shape,
    invoke,
    run_json,
)

from ncpu_cli.machine import reference_batch
from ncpu_cli.run import choice
from ncpu_cli.run.batch import run_batch

# ---------------------------------------------------------------- --inputs - (stdin)


@pytest.mark.parametrize("text", [
    '{"set": {"r1": 1}}\n{"set": {"r1": 2, "r2": 5}}\n',
    "- set: {r1: 1}\n- set: {r1: 2, r2: 5}\n",
])
def test_inputs_from_stdin(src, text):
    doc = run_json(src(ADD), "--inputs", "-", input=text)
    assert [p["out"] for p in doc["programs"]] == [[1], [7]]


def test_inputs_from_stdin_errors_name_stdin(src):
    result = invoke(src(ADD), "--inputs", "-", input='{"set": {"r1": 1}}\n{"sett": 2}\n')
    assert result.exit_code == EXIT_ERROR and result.stdout == ""
    assert "<stdin>: record 2: field `sett`: unknown field" in result.stderr


def test_program_and_inputs_cannot_both_read_stdin():
    result = invoke("-", "--inputs", "-", input=ADD)
    assert result.exit_code == EXIT_USAGE and "both read stdin" in result.stderr


# ---------------------------------------------------------------- more bad inputs (exit 1)


@pytest.mark.parametrize("args, message", [
    (["--set", "pc=1"], "unknown register `pc`"),
    (["--set", "zero=1"], "r0, which always reads 0"),
    (["--set", "r1=-2147483649"], "value -2147483649 out of 32-bit range"),
    (["--input", "1,4294967296"], "--input 1,4294967296: value 4294967296 out of 32-bit range"),
    (["--mem", "3=-2147483649"], "--mem 3=-2147483649: value -2147483649 out of 32-bit"),
    (["--mem", "-1=3"], "memory address -1 is negative"),
    (["--mem", "=3"], "expected ADDR=VALUE"),
    (["--sweep", "r1=0:10:0"], "--sweep r1=0:10:0: step must not be 0"),
    (["--sweep", "r1=0:4294967297"], "value 4294967296 out of 32-bit range"),
    (["--sweep", "q1=0:4"], "unknown register `q1`"),
    (["--sweep", "r1=a:b"], "--sweep r1=a:b: `a` is not a number"),  # no Rich emoji
    (["--sweep", "r1=0:4:1:2"], "expected REG=START:STOP"),
    (["--mem-words", "16", "--mem", "16=1"], "address 16 (0x10) is outside memory"),
])
def test_more_bad_inputs_exit_1(src, args, message):
    result = invoke(src(ADD), *args)
    assert result.exit_code == EXIT_ERROR and result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name, content, message", [
    ("runs.yaml", "- sett: {r1: 1}\n", "runs.yaml: record 1: field `sett`: unknown field"),
    ("runs.yaml", "- set: [1, 2]\n", "record 1: field `set`: expected a mapping"),
    ("runs.yaml", "- input: {a: 1}\n", "record 1: field `input`: expected a list"),
    ("runs.yaml", "- {}\n- 7\n", "record 2: a record must be a mapping"),
    ("runs.yaml", "", "runs.yaml: no records"),
    ("runs.yaml", "set: {r1: 1}\n", "not an inputs file"),
    ("runs.jsonl", '{"set": {"r1": 1}}\n{"set": \n', "runs.jsonl: record 2: not valid JSON"),
    ("runs.bin", b"\xff\xfe\x00binary", "not a text file"),
])
def test_inputs_file_bad_records(src, tmp_path, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    result = invoke(src(ADD), "--inputs", path)
    assert result.exit_code == EXIT_ERROR and result.stdout == ""
    assert message in result.stderr


def test_inputs_is_a_directory(src, tmp_path):
    result = invoke(src(ADD), "--inputs", tmp_path)
    assert result.exit_code == EXIT_ERROR and "is a directory" in result.stderr


# ---------------------------------------------------------------- exit codes in batches


def test_exit_3_when_some_time_out_and_none_fault(src):
    prog = "beqz r1, spin\nhalt\nspin: j spin\n"
    doc = run_json(src(prog), "--sweep", "r1=0:3", "--max-cycles", "20", code=EXIT_TIMEOUT)
    assert [p["status"] for p in doc["programs"]] == ["timeout", "halted", "halted"]
    assert doc["summary"]["timeout"] == 1 and doc["summary"]["halted"] == 2


@pytest.mark.parametrize("engine_name", ["torch", "reference"])
def test_json_and_out_together(src, tmp_path, engine_name):
    dest = tmp_path / "r.jsonl"
    result = invoke(src(LOAD), "--sweep", "r2=1020:1030", "--engine", engine_name,
                    "--json", "--out", dest)
    assert result.exit_code == EXIT_ERROR and result.stderr == ""
    doc = json.loads(result.stdout)
    check_shape(doc)
    assert doc["engine"] == engine_name
    assert [json.loads(line) for line in dest.read_text().splitlines()] == doc["programs"]


# ---------------------------------------------------------------- human output


def test_sixteen_programs_get_a_table_seventeen_a_summary(src):
    table = invoke(src(ADD), "--sweep", "r1=0:16")
    assert table.exit_code == EXIT_OK and table.stdout.count("halted") == 16
    summary = invoke(src(ADD), "--sweep", "r1=0:17")
    assert summary.exit_code == EXIT_OK
    assert "17 halted" in summary.stdout and "median" in summary.stdout


def test_source_location_is_never_split(src):
    """The pc cell shows `file:line` whole (it used to fold as `prog.s:1` / `2`)."""
    body = "\n" * 120 + "ld r1, 0(r2)   ; a comment long enough to be cut short in the pc column\n"
    result = invoke(src(body, name="a_rather_long_program_name.s"), "--set", "r2=-1")
    assert result.exit_code == EXIT_ERROR
    assert "…long_program_name.s:121" in result.stdout
    width = max(len(line) for line in result.stdout.splitlines())
    assert width <= 80


def test_summary_of_a_faulting_batch_names_reason_and_line(src):
    result = invoke(src(LOAD), "--sweep", "r2=1000:1100", "--engine", "exact")
    assert result.exit_code == EXIT_ERROR
    assert "24 halted" in result.stdout and "76 fault" in result.stdout
    assert "first faulting programs (5 shown)" in result.stdout
    assert "address" in result.stdout and "prog.s:2" in result.stdout
    assert "ld r1, 0(r2)" in result.stdout


def test_decode_text_needs_a_visible_character():
    from ncpu_cli.render.run import decode_text

    assert decode_text([9]) is None and decode_text([10, 32]) is None
    assert decode_text([72, 10]) == "H\n"


def test_no_color_is_honoured(monkeypatch):
    from ncpu_cli.cli.common import stderr, stdout

    monkeypatch.setenv("NO_COLOR", "1")
    assert stderr().no_color and stdout().no_color


# ---------------------------------------------------------------- engine choice


def test_auto_uses_native_on_the_cpu_and_without_numba_the_old_choice(monkeypatch):
    for batch in (1, 64, 65, 10**6):
        assert choice.choose_engine("auto", "exact", "cpu", batch) == "native"
    assert choice.choose_engine("auto", "exact", "cuda", 1) == "torch"
    monkeypatch.setattr("ncpu_cli.run.choice.native_unavailable",
                        lambda: "numba is not usable (x)")
    assert "not available (numba is not usable (x)" in choice.why_engine("auto", "exact", "cpu", 1)
    limit = choice.AUTO_REFERENCE_MAX
    assert choice.choose_engine("auto", "exact", "cpu", 1) == "reference"
    assert choice.choose_engine("auto", "exact", "cpu", limit) == "reference"
    assert choice.choose_engine("auto", "exact", "cpu", limit + 1) == "torch"
    assert choice.choose_engine("auto", "exact", "cuda", 1) == "torch"
    assert choice.choose_engine("reference", "exact", "cpu", 10**6) == "reference"
    assert choice.choose_engine("exact", "exact", "cpu", 1) == "torch"  # the older name


def test_no_gpu_possible(monkeypatch):
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(choice.os.path, "exists", lambda p: False)
    assert choice.no_gpu_possible() and not choice.cuda_available()
    monkeypatch.setattr(choice.os.path, "exists", lambda p: p == "/dev/nvidiactl")
    assert not choice.no_gpu_possible()
    monkeypatch.setattr(sys, "platform", "win32")
    assert not choice.no_gpu_possible()  # unknown: torch decides


def test_single_program_on_the_cpu_does_not_import_torch(tmp_path):
    """Importing torch takes seconds: one program on the CPU runs on the interpreter
    without it (`--device cpu`; `auto` too where no GPU driver exists)."""
    prog = tmp_path / "p.s"
    prog.write_text(ADD)
    devices = ["cpu"]
    if not any(choice.os.path.exists(p) for p in choice.GPU_DRIVER_NODES):
        devices.append("auto")
    for device in devices:
        code = textwrap.dedent(f"""
            import sys
            from ncpu_cli.cli import app
            try:
                app(["run", {str(prog)!r}, "--device", {device!r}, "--sweep", "r1=0:3", "--json"])
            except SystemExit as exc:
                assert exc.code == 0, exc.code
            assert "torch" not in sys.modules, "torch was imported"
        """)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["engine"] == "native"


# ---------------------------------------------------------------- progress


def test_progress_bar_only_on_a_terminal_and_never_with_json_or_quiet(src, monkeypatch):
    from rich.console import Console

    from ncpu_cli.cli import run as run_mod

    made = []

    class Recorder(run_mod._ProgressBar):
        def __init__(self, programs, enabled):
            super().__init__(programs, enabled=False)
            made.append(enabled)

    monkeypatch.setattr(run_mod, "_ProgressBar", Recorder)
    path = src(SPIN)
    invoke(path, "--max-cycles", "10")
    assert made.pop() is False  # CliRunner's stderr is not a terminal
    monkeypatch.setattr(run_mod, "stderr", lambda: Console(force_terminal=True, stderr=True))
    invoke(path, "--max-cycles", "10")
    assert made.pop() is True
    for extra in (["--json"], ["-q"], ["--out", "-"]):
        invoke(path, "--max-cycles", "10", *extra)
        assert made.pop() is False, extra


def test_reference_engine_reports_progress_in_slices(monkeypatch):
    from ncpu_cli.image import Image
    from ncpu_cli.isa import load_isa
    from ncpu_cli.machine.config import MachineConfig
    from ncpu_cli.machine.inputs import Batch

    w = load_isa().encode
    spin = Image([w("addi", rd=1, ra=1, imm=1), w("jal", rd=0, imm=0)])
    monkeypatch.setattr(reference_batch, "SLICE", 1000)
    calls = []
    outcome = run_batch(spin, MachineConfig(max_cycles=3500), Batch(copies=2),
                               "reference", progress=lambda c, r: calls.append((c, r)))
    assert outcome.summary["timeout"] == 2 and outcome.summary["cycles_total"] == 7000
    assert calls[:4] == [(1000, 2), (2000, 2), (3000, 2), (3500, 2)]
    assert calls[-1] == (7000, 0)
