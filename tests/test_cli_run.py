"""`ncpu run` end to end through Typer's CliRunner: JSON shape, exit codes, programs
(.s, image, stdin) and machine options (memory, limits, engine, device, soft mode)."""

from __future__ import annotations

import json

import pytest
import torch
from cli_run_common import (
    ADD,
    BIG,
    ECHO,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    HELLO,
    ISA,
    LOAD,
    SPIN,
    check_shape,
    flat,
    invoke,
    programs_of,
    run_json,
)

from ncpu_cli.image import Image, to_yaml


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
