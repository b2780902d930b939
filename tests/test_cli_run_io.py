"""`ncpu run` end to end through Typer's CliRunner: run inputs (--set, --input, --mem,
--batch, --sweep, --inputs and their errors), outputs (--out JSON Lines, the batch summary
and table, the progress bar, other image formats) and the human views themselves."""

from __future__ import annotations

import json
import time

import pytest
from cli_run_common import (
    ADD,
    ECHO,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_TIMEOUT,
    ISA,
    LOAD,
    PROGRAM_KEYS,
    invoke,
    run_json,
)

from ncpu_cli.image import Image

# ---------------------------------------------------------------- inputs


def test_set_input_mem(src):
    prog = "in r2\nld r3, 0x200(r0)\nadd r4, r1, r2\nadd r4, r4, r3\nout r4\nhalt\n"
    doc = run_json(src(prog), "--set", "r1=0x10", "--input", "100", "--mem", "0x200=1000")
    assert doc["programs"][0]["out"] == [1116]


def test_eof_flag(src):
    doc = run_json(src(ECHO), "--input", "")
    p = doc["programs"][0]
    assert p["eof"] is True and p["out"] == []


def test_batch_identical_copies(src):
    doc = run_json(src(ADD), "--batch", "5", "--set", "r1=1", "--set", "r2=1",
                   "--engine", "exact")
    assert len(doc["programs"]) == 5 and doc["engine"] == "torch"
    assert all(p["out"] == [2] for p in doc["programs"])
    assert [p["index"] for p in doc["programs"]] == list(range(5))


def test_sweep(src):
    doc = run_json(src(ADD), "--sweep", "r1=-2:7:3", "--set", "r2=10")
    assert [p["out"] for p in doc["programs"]] == [[8], [11], [14]]


@pytest.mark.parametrize("fmt", ["yaml", "jsonl"])
def test_inputs_file(src, tmp_path, fmt):
    records = [{"set": {"r1": 1}}, {"set": {"r1": 2, "r2": 5}}, {"set": {"sp": 3}}]
    path = tmp_path / f"runs.{fmt}"
    if fmt == "yaml":
        import yaml

        path.write_text(yaml.safe_dump(records))
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    doc = run_json(src(ADD), "--inputs", path, "--set", "r2=100")
    assert [p["out"] for p in doc["programs"]] == [[101], [7], [100]]
    assert doc["programs"][2]["regs"][15] == 3


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "r16=1"], "unknown register `r16`"),
        (["--set", "r1=4294967296"], "value 4294967296 out of 32-bit range"),
        (["--sweep", "r1=0..4"], "--sweep r1=0..4: expected REG=START:STOP"),
        (["--sweep", "r1=4:4"], "is empty"),
        (["--mem", "0x10:3"], "--mem 0x10:3: expected ADDR=VALUE"),
        (["--mem", "0x400=1"], "address 1024 (0x400) is outside memory"),
        (["--input", "1,two"], "`two` is not a number"),
    ],
)
def test_bad_inputs_exit_1(src, args, message):
    result = invoke(src(ADD), *args)
    assert result.exit_code == EXIT_ERROR and result.stdout == ""
    assert message in result.stderr


def test_inputs_file_errors(src, tmp_path):
    missing = invoke(src(ADD), "--inputs", tmp_path / "runs.yaml")
    assert missing.exit_code == EXIT_ERROR and "runs.yaml: no such file" in missing.stderr
    bad = tmp_path / "runs.jsonl"
    bad.write_text('{"set": {"r1": 1}}\n{"set": {"r1": 2}}\n{"set": {"r16": 3}}\n')
    result = invoke(src(ADD), "--inputs", bad)
    assert result.exit_code == EXIT_ERROR
    assert "runs.jsonl: record 3: field `set`: unknown register `r16`" in result.stderr
    junk = tmp_path / "junk.txt"
    junk.write_text("this is not: [yaml\n")
    result = invoke(src(ADD), "--inputs", junk)
    assert result.exit_code == EXIT_ERROR and "not valid YAML or JSON Lines" in result.stderr
    outside = tmp_path / "mem.yaml"
    outside.write_text("- mem: {4096: 1}\n")
    result = invoke(src(ADD), "--inputs", outside, "--mem-words", "4096")
    assert result.exit_code == EXIT_ERROR
    assert "record 1: field `mem`: memory patch at address 4096" in result.stderr


# ---------------------------------------------------------------- outputs


def test_out_jsonl(src, tmp_path):
    dest = tmp_path / "results.jsonl"
    result = invoke(src(ADD), "--sweep", "r1=0:40", "--set", "r2=1", "--out", dest)
    assert result.exit_code == 0
    lines = dest.read_text().splitlines()
    assert len(lines) == 40
    recs = [json.loads(line) for line in lines]
    assert [r["index"] for r in recs] == list(range(40))
    assert [r["out"] for r in recs] == [[i + 1] for i in range(40)]
    assert all(list(r) == PROGRAM_KEYS for r in recs)
    # the same records as --json's programs
    doc = run_json(src(ADD), "--sweep", "r1=0:40", "--set", "r2=1")
    assert recs == doc["programs"]
    # and the human summary was printed for a batch of 40
    assert "40 halted" in result.stdout


def test_out_jsonl_to_stdout(src):
    result = invoke(src(ADD), "--batch", "3", "--out", "-")
    assert result.exit_code == 0
    recs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["index"] for r in recs] == [0, 1, 2]


def test_out_into_missing_folder(src, tmp_path):
    result = invoke(src(ADD), "--out", tmp_path / "no" / "such" / "r.jsonl")
    assert result.exit_code == EXIT_ERROR and "No such file" in result.stderr


def test_big_batch_summary_and_first_faults(src):
    result = invoke(src(LOAD), "--sweep", "r2=1000:1030", "--engine", "exact")
    assert result.exit_code == EXIT_ERROR
    out = result.stdout
    assert "30" in out and "24 halted" in out and "6 fault" in out
    assert "first faulting programs" in out and "address" in out and "prog.s:2" in out
    assert "min 1" in out or "min 3" in out
    assert "engine torch" in out and "instr/s" in out


def test_small_batch_table(src):
    result = invoke(src(ADD), "--sweep", "r1=0:16")
    assert result.exit_code == 0
    assert result.stdout.count("halted") == 16


def test_impossible_batch_size(src):
    result = invoke(src(ADD), "--batch", str(10**12))
    assert result.exit_code == EXIT_ERROR and result.stdout == ""
    err = result.stderr
    assert err.startswith("error:") and any(u in err for u in ("GiB", "TiB", "PiB", "bytes"))


def test_progress_bar_only_after_a_second(monkeypatch):
    from ncpu_cli.cli import run as run_mod

    off = run_mod._ProgressBar(10, enabled=False)
    off(100, 10)
    assert off.bar is None
    on = run_mod._ProgressBar(10, enabled=True)
    on(100, 10)
    assert on.bar is None  # too early
    monkeypatch.setattr(run_mod, "PROGRESS_AFTER_S", 0.0)
    on.start = time.perf_counter() - 5
    on(1000, 4)
    assert on.bar is not None
    task = on.bar.tasks[0]
    assert task.completed == 6 and task.fields["cycles"] == 1000 and task.fields["running"] == 4
    on.close()
    assert on.bar is None


@pytest.mark.parametrize("fmt, suffix", [("readmemh", ".hex"), ("bin", ".bin"), ("json", ".json")])
def test_image_in_other_formats(tmp_path, fmt, suffix):
    from ncpu_cli.formats import save_image

    words = [ISA.encode("add", rd=3, ra=1, rb=2), ISA.encode("out", ra=3), ISA.encode("halt")]
    path = tmp_path / f"prog{suffix}"
    save_image(Image(words), path, fmt)
    doc = run_json(path, "--set", "r1=20", "--set", "r2=22")
    assert doc["programs"][0]["out"] == [42]


def test_soft_footer_reports_deviation(src):
    result = invoke(src(ADD), "--mode", "soft", "--addressing", "softmax", "--temperature", "0.3")
    assert result.exit_code in (EXIT_OK, EXIT_ERROR, EXIT_TIMEOUT)
    assert "engine soft" in result.stdout and "max deviation" in result.stdout


# ---------------------------------------------------------------- the views themselves


def test_render_helpers():
    from rich.console import Console

    from ncpu_cli.machine.result import ProgramResult
    from ncpu_cli.render.run import (
        decode_text,
        format_rate,
        register_grid,
        registers_cell,
        result_table,
        summary_view,
    )

    assert decode_text([72, 105, 10, 9]) == "Hi\n\t"
    assert decode_text([72, 0]) is None and decode_text([]) is None and decode_text([300]) is None
    regs = [0] * 16
    regs[1], regs[14], regs[15] = -3, 7, 1024
    assert registers_cell(regs).plain == "r1=-3  lr=7  sp=1024"
    assert registers_cell([0] * 16).plain == "all zero"
    assert format_rate(2.5e6) == "2.50 Minstr/s" and format_rate(12) == "12 instr/s"

    def text(renderable):
        con = Console(width=120, record=True, file=open("/dev/null", "w"))
        con.print(renderable)
        return con.export_text()

    r = ProgramResult(3, "fault", "target", 9, 17, regs, [72, 105], False)
    table = text(result_table([r], locate=lambda pc: f"x.s:{pc + 1}  jr r1"))
    assert "fault (target)" in table and "x.s:10  jr r1" in table and '"Hi"' in table
    grid = text(register_grid(regs))
    assert "lr" in grid and "1024" in grid and "-3" in grid and "r13" in grid
    summary = {"count": 20, "halted": 19, "fault": 1, "timeout": 0, "cycles_total": 100,
               "cycles_min": 1, "cycles_median": 5, "cycles_max": 17}
    view = text(summary_view(summary, engine="exact", device="cpu", mode="exact", seconds=0.5,
                             ips=200.0, faults=[r]))
    assert "19 halted" in view and "1 fault" in view and "max 17" in view
    assert "first faulting programs" in view and "target" in view
