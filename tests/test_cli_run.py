"""`ncpu run` end to end through Typer's CliRunner: options, JSON shape, exit codes, errors."""

from __future__ import annotations

import json
import time

import pytest
import torch
from typer.testing import CliRunner

from ncpu_cli.cli import app
from ncpu_cli.image import Image, to_yaml
from ncpu_cli.isa import load_isa

ISA = load_isa()
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_TIMEOUT = 0, 1, 2, 3

# Tiny programs, written into tmp_path by the tests.
ADD = """\
; r3 = r1 + r2, printed
add r3, r1, r2
out r3
halt
"""
ECHO = """\
; copy the input stream to the output until a 0 (or the end of the input)
loop:   in   r1
        beqz r1, done
        out  r1
        j    loop
done:   halt
"""
HELLO = """\
li r1, 'H'
out r1
li r1, 'i'
out r1
li r1, 10
out r1
halt
"""
LOAD = """\
; fault when r2 points outside memory
ld r1, 0(r2)
out r1
halt
"""
SPIN = """\
loop: addi r1, r1, 1
      j loop
"""
BIG = """\
.org 100
halt
"""
PROGRAM_KEYS = ["index", "status", "reason", "pc", "cycles", "regs", "out", "eof"]
TOP_KEYS = ["device", "engine", "mode", "mem_words", "programs", "summary"]
SUMMARY_KEYS = ["count", "halted", "fault", "timeout", "cycles_total", "seconds", "ips"]


def invoke(*args, input=None):
    result = CliRunner().invoke(app, ["run", *map(str, args)], input=input)
    # never a traceback: only a clean exit
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    return result


def flat(text):
    """stderr without Rich's box drawing and line wrapping."""
    for ch in "│╭╮╰╯─":
        text = text.replace(ch, " ")
    return " ".join(text.split())


def run_json(*args, input=None, code=EXIT_OK):
    result = invoke(*args, "--json", input=input)
    assert result.exit_code == code, result.stderr
    return json.loads(result.stdout)


def programs_of(doc, drop=("max_deviation",)):
    return [{k: v for k, v in p.items() if k not in drop} for p in doc["programs"]]


@pytest.fixture
def image_file(tmp_path):
    """An image written without the assembler: r3 = r1 + r2; out r3; halt."""

    def write(words=None, name="prog.yaml", **fields):
        if words is None:
            words = [ISA.encode("add", rd=3, ra=1, rb=2), ISA.encode("out", ra=3),
                     ISA.encode("halt")]
        img = Image(list(words), source_map={i: ("prog.s", i + 2) for i in range(len(words))},
                    **fields)
        path = tmp_path / name
        path.write_text(to_yaml(img))
        return path

    return write


# ---------------------------------------------------------------- JSON shape


def check_shape(doc):
    assert list(doc) == TOP_KEYS
    assert isinstance(doc["device"], str) and isinstance(doc["engine"], str)
    assert doc["mode"] in ("exact", "soft") and isinstance(doc["mem_words"], int)
    assert list(doc["summary"]) == SUMMARY_KEYS
    for key in SUMMARY_KEYS[:5]:
        assert type(doc["summary"][key]) is int
    assert type(doc["summary"]["seconds"]) is float and type(doc["summary"]["ips"]) is float
    assert doc["summary"]["count"] == len(doc["programs"])
    for i, p in enumerate(doc["programs"]):
        keys = list(p)
        if doc["mode"] == "soft" and "max_deviation" in keys:
            assert isinstance(p["max_deviation"], float)
            keys.remove("max_deviation")
        assert keys == PROGRAM_KEYS
        assert p["index"] == i
        assert p["status"] in ("halted", "fault", "timeout")
        assert p["reason"] is None if p["status"] != "fault" else isinstance(p["reason"], str)
        assert type(p["pc"]) is int and type(p["cycles"]) is int and type(p["eof"]) is bool
        assert len(p["regs"]) == 16 and all(type(r) is int for r in p["regs"])
        assert all(type(v) is int and -(2**31) <= v < 2**31 for v in p["regs"] + p["out"])


def test_json_shape_single_program(src):
    doc = run_json(src(ADD), "--set", "r1=5", "--set", "r2=-7")
    check_shape(doc)
    assert doc["device"] == "cpu" and doc["mode"] == "exact" and doc["mem_words"] == 1024
    (p,) = doc["programs"]
    assert p["status"] == "halted" and p["reason"] is None and p["pc"] == 2 and p["cycles"] == 3
    assert p["out"] == [-2] and p["regs"][3] == -2 and p["regs"][15] == 1024 and p["eof"] is False
    s = doc["summary"]
    assert (s["count"], s["halted"], s["fault"], s["timeout"], s["cycles_total"]) == (1, 1, 0, 0, 3)


def test_json_prints_nothing_else(src):
    result = invoke(src(ADD), "--json", "--set", "r1=1")
    assert result.exit_code == 0
    json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert result.stderr == ""


def test_json_shape_batch_with_faults(src):
    doc = run_json(src(LOAD), "--sweep", "r2=1022:1026", "--mem-words", "1024", code=EXIT_ERROR)
    check_shape(doc)
    assert [p["status"] for p in doc["programs"]] == ["halted", "halted", "fault", "fault"]
    assert [p["reason"] for p in doc["programs"]] == [None, None, "address", "address"]
    assert doc["programs"][2]["pc"] == 0 and doc["programs"][2]["cycles"] == 1
    assert doc["summary"]["fault"] == 2 and doc["summary"]["halted"] == 2


# ---------------------------------------------------------------- exit codes


def test_exit_0_all_halted(src):
    result = invoke(src(ADD), "--set", "r1=2", "--set", "r2=3")
    assert result.exit_code == EXIT_OK
    assert "halted" in result.stdout and "r3=5" in result.stdout


def test_exit_1_fault(src):
    result = invoke(src(LOAD), "--set", "r2=-1")
    assert result.exit_code == EXIT_ERROR
    assert "fault (address)" in result.stdout
    assert "prog.s:2" in result.stdout  # the faulting instruction's source line
    assert "ld r1," in result.stdout  # and its text (the cell may wrap)


def test_exit_3_timeout(src):
    doc = run_json(src(SPIN), "--max-cycles", "1001", code=EXIT_TIMEOUT)
    (p,) = doc["programs"]
    assert p["status"] == "timeout" and p["cycles"] == 1001 and p["regs"][1] == 501
    assert p["pc"] == 1


def test_fault_wins_over_timeout(src):
    # programs 0.. spin (timeout), the one with r2 out of memory faults first
    spin_or_fault = "ld r1, 0(r2)\nloop: j loop\n"
    result = invoke(src(spin_or_fault), "--sweep", "r2=1023:1025", "--max-cycles", "50")
    assert result.exit_code == EXIT_ERROR


@pytest.mark.parametrize(
    "args, message",
    [
        (["--engine", "warp"], "--engine"),
        (["--mode", "fuzzy"], "--mode"),
        (["--device", "tpu"], "--device"),
        (["--mem-words", "8"], "--mem-words"),
        (["--mem-words", "65537"], "--mem-words"),
        (["--max-cycles", "0"], "--max-cycles"),
        (["--max-cycles", "-5"], "--max-cycles"),
        (["--max-out", "-1"], "--max-out"),
        (["--batch", "0"], "--batch"),
        (["--batch", "2", "--sweep", "r1=0:2"], "--batch and --sweep cannot be combined"),
        (["--mode", "soft", "--temperature", "0"],
         "--temperature must be a positive finite number, got 0.0"),
        (["--mode", "soft", "--temperature", "-1"],
         "--temperature must be a positive finite number, got -1.0"),
        (["--mode", "soft", "--temperature", "nan"],
         "--temperature must be a positive finite number, got nan"),
        (["--mode", "soft", "--temperature", "inf"],
         "--temperature must be a positive finite number, got inf"),
        (["--addressing", "softmax"], "--addressing applies only to --mode soft"),
        (["--dtype", "float32", "--temperature", "1"], "--temperature, --dtype apply only to"),
        (["--engine", "reference", "--device", "cuda"], "--engine reference runs on the CPU"),
        (["--mode", "soft", "--engine", "exact"], "--mode soft always uses the soft executor"),
        (["--json", "--out", "-"], "--json and --out - both write to stdout"),
    ],
)
def test_exit_2_usage(src, args, message):
    result = invoke(src(ADD), *args)
    assert result.exit_code == EXIT_USAGE, result.stdout + result.stderr
    if "--json" in args:  # under --json the usage error is the JSON document (issue 12)
        error = json.loads(result.stdout)["error"]
        assert error["kind"] == "usage" and message in error["message"]
        assert result.stderr == ""
        return
    assert result.stdout == ""
    assert message in flat(result.stderr)


def test_missing_program_argument_is_usage():
    assert invoke().exit_code == EXIT_USAGE


# ---------------------------------------------------------------- programs: .s, image, stdin


def test_image_program(image_file):
    doc = run_json(image_file(), "--set", "r1=40", "--set", "r2=2")
    assert doc["programs"][0]["out"] == [42]


def test_image_program_human_output_shows_source_location(image_file):
    result = invoke(image_file(), "--set", "r1=1")
    assert result.exit_code == 0
    assert "prog.s:4" in result.stdout  # the halt's file:line from the image's source map


def test_source_from_stdin():
    doc = run_json("-", "--set", "r1=1", "--set", "r2=2", input=ADD)
    assert doc["programs"][0]["out"] == [3]


def test_program_shipped_in_repo():
    from pathlib import Path

    collatz = Path(__file__).resolve().parent.parent / "programs" / "collatz.s"
    doc = run_json(collatz, "--set", "r1=27")
    assert doc["programs"][0]["out"] == [111]  # Collatz(27) takes 111 steps


def test_missing_program_file(tmp_path):
    result = invoke(tmp_path / "nope.s")
    assert result.exit_code == EXIT_ERROR
    assert "nope.s: no such file" in result.stderr


def test_assembly_error_exit_1(src):
    result = invoke(src("add r1, r2\nfrob r3\n"))
    assert result.exit_code == EXIT_ERROR
    assert "prog.s:1" in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    "fields, message",
    [({"isa": "rv32"}, "rv32"), ({"word_bits": 16}, "16")],
)
def test_image_for_another_isa_or_word_size(image_file, fields, message):
    result = invoke(image_file(**fields))
    assert result.exit_code == EXIT_ERROR
    assert "prog.yaml" in result.stderr and message in result.stderr
    assert result.stdout == ""


def test_truncated_image(image_file):
    path = image_file()
    path.write_text(path.read_text().replace("end: true\n", ""))
    result = invoke(path)
    assert result.exit_code == EXIT_ERROR and "truncated" in result.stderr


# ---------------------------------------------------------------- machine options


def test_mem_words_sets_sp_and_bounds(src):
    doc = run_json(src(ADD), "--mem-words", "16")
    assert doc["mem_words"] == 16 and doc["programs"][0]["regs"][15] == 16


def test_mem_words_too_small_for_image(image_file):
    path = image_file([0] * 100)
    result = invoke(path, "--mem-words", "64")
    assert result.exit_code == EXIT_ERROR
    assert "100 words" in result.stderr and "64" in result.stderr
    assert "--mem-words 100" in result.stderr


def test_mem_words_too_small_for_source(src):
    result = invoke(src(BIG), "--mem-words", "64")
    assert result.exit_code == EXIT_ERROR and result.stdout == ""
    assert result.stderr.strip()
    assert invoke(src(BIG), "--mem-words", "128").exit_code == EXIT_OK


def test_max_out(src):
    doc = run_json(src(HELLO), "--max-out", "2", code=EXIT_ERROR)
    p = doc["programs"][0]
    assert p["status"] == "fault" and p["reason"] == "output-full" and p["out"] == [72, 105]


def test_output_decoded_as_text(src):
    result = invoke(src(HELLO))
    assert result.exit_code == 0
    assert "72 105 10" in result.stdout and '"Hi\\n"' in result.stdout


def test_footer_names_engine_device_mode(src):
    result = invoke(src(ADD))
    assert "engine native" in result.stdout  # on the CPU: the compiled interpreter
    assert "device cpu" in result.stdout and "mode exact" in result.stdout
    assert "instr/s" in result.stdout


def test_quiet(src):
    result = invoke(src(LOAD), "-q", "--set", "r2=-1")
    assert result.exit_code == EXIT_ERROR and result.stdout == "" and result.stderr == ""
    result = invoke(src(ADD), "--quiet")
    assert result.exit_code == EXIT_OK and result.stdout == ""


@pytest.mark.parametrize(
    "args, engine",
    [
        ([], "native"),
        (["--batch", "2"], "native"),
        (["--batch", "65"], "native"),
        (["--engine", "exact"], "torch"),
        (["--engine", "torch"], "torch"),
        (["--engine", "native", "--batch", "3"], "native"),
        (["--engine", "reference", "--batch", "3"], "reference"),
        (["--device", "cpu"], "native"),
        (["--mode", "soft"], "soft"),
    ],
)
def test_engine_choice(src, args, engine):
    doc = run_json(src(ADD), "--device", "cpu", *args)
    assert doc["engine"] == engine and doc["device"] == "cpu"


def test_device_auto(src):
    doc = run_json(src(ADD), "--device", "auto", "--engine", "exact")
    assert doc["device"] == ("cuda" if torch.cuda.is_available() else "cpu")


def test_device_cuda_without_gpu(src):
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is present, so --device cuda does not fail here")
    result = invoke(src(ADD), "--device", "cuda")
    assert result.exit_code == EXIT_ERROR and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cuda" in lines[0].lower() and lines[0].startswith("error:")


def test_reference_and_exact_agree(src):
    args = (src(ECHO), "--input", "5,-3,0x7fffffff", "--sweep", "r1=0:4")
    ref = run_json(*args, "--engine", "reference")
    exact = run_json(*args, "--engine", "exact")
    assert ref["engine"] == "reference" and exact["engine"] == "torch"  # exact: the older name
    assert ref["programs"] == exact["programs"]
    assert exact["programs"][0]["out"] == [5, -3, 2**31 - 1]


def test_reference_and_exact_agree_on_faults_and_timeouts(src):
    prog = "ld r1, 0(r2)\nbeqz r3, spin\nhalt\nspin: j spin\n"
    args = (src(prog), "--sweep", "r2=1020:1026", "--max-cycles", "77", "--set", "r3=0")
    ref = run_json(*args, "--engine", "reference", code=EXIT_ERROR)
    exact = run_json(*args, "--engine", "exact", code=EXIT_ERROR)
    assert ref["programs"] == exact["programs"]
    assert {p["status"] for p in ref["programs"]} == {"timeout", "fault"}


def test_soft_hard_equals_exact(src):
    prog = ECHO
    args = (src(prog), "--input", "1,2,3,-4", "--batch", "2", "--device", "cpu")
    exact = run_json(*args, "--engine", "exact")
    soft = run_json(*args, "--mode", "soft", "--addressing", "hard")
    check_shape(soft)
    assert soft["mode"] == "soft" and soft["engine"] == "soft"
    assert programs_of(soft) == programs_of(exact)


def test_soft_options(src):
    args = (src(ADD), "--set", "r1=2", "--set", "r2=3", "--mode", "soft", "--device", "cpu")
    doc = run_json(*args, "--addressing", "sparsemax", "--temperature", "0.01",
                   "--dtype", "float32")
    check_shape(doc)
    assert doc["programs"][0]["out"] == [5]
    assert doc["programs"][0]["max_deviation"] == 0.0  # sparsemax at a small τ is exact
    doc = run_json(*args, "--addressing", "softmax", "--temperature", "0.05", "--dtype", "float64")
    check_shape(doc)
    prog = doc["programs"][0]
    assert (prog["status"], prog["out"], prog["regs"][1:4]) == ("halted", [5], [2, 3, 5])
    # softmax always leaks some mass (so the run really was softmax, not hard), but at
    # τ = 0.05 a neighbour gets e^-20 ≈ 2e-9 of it: far too little to move a value by 1/2
    assert 0.0 < prog["max_deviation"] < 1e-2


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
