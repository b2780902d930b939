"""Differential fuzzing of the native engine: random programs (tests/progen.py) on the
native engine and on the reference interpreter, every result field compared, final
memory included; the array API (run_arrays) on per-program memory images; the CLI.

The default suite checks 3,000 random programs (30 hypothesis examples of 100, each
one native batch with a different image per program). NCPU_FUZZ_EXAMPLES sets the
number (`make fuzz`: 20,000); the `slow` test scales with it too.
"""

from __future__ import annotations

import json
import os
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from progen_cases import gen_batch, random_batches, random_programs
from test_native import check_native
from typer.testing import CliRunner

from ncpu_cli.cli import app
from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.contract import words_i32
from ncpu_cli.machine.exact import native
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import run_reference

PROGRAMS = int(os.environ.get("NCPU_FUZZ_EXAMPLES", "3000"))
PER_BATCH = 100
FUZZ = settings(max_examples=max(1, PROGRAMS // PER_BATCH), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(batch=random_batches(PER_BATCH))
def test_random_batches_match_reference(batch):
    config, images, inputs = batch
    check_native(config, images, inputs)


@settings(max_examples=max(1, PROGRAMS // 60), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=random_programs(batch=(1, 6)))
def test_one_image_many_inputs_match_reference(case):
    image, config, inputs = case
    check_native(config, [image] * len(inputs), inputs,
                 machine=native.NativeMachine(image, config, inputs))


@pytest.mark.parametrize("seed", range(3))
def test_large_memories_match_reference(seed):
    b = gen_batch(random.Random(7000 + seed), 20, mem_words=(8192, 65536), max_cycles=3000,
                  max_out=(None, 100, 5000)[seed])
    check_native(b.config, b.images, b.inputs)


@pytest.mark.slow
def test_long_runs_match_reference():
    """Longer runs (up to 20,000 cycles) on larger memories; NCPU_FUZZ_EXAMPLES / 20
    programs (150 by default)."""
    rng = random.Random(31337)
    for _ in range(max(1, PROGRAMS // 20 // 50)):
        b = gen_batch(rng, 50, mem_words=(64, 4096), max_cycles=20000, max_out=(None, 300)[
            rng.random() < 0.5])
        check_native(b.config, b.images, b.inputs)


# ---------------------------------------------------------------- the array API


def _reference_rows(mem, pcs, config, inputs):
    return [run_reference(Image([int(v) & 0xFFFFFFFF for v in mem[k]], entry=int(pcs[k])),
                          config, inputs[k], index=k) for k in range(len(mem))]


def _same(batch: native.NativeBatch, want) -> None:
    for k, r in enumerate(want):
        got = batch.result(k, with_mem=True)
        assert (got.status, got.reason, got.pc, got.cycles) == (r.status, r.reason, r.pc,
                                                                 r.cycles), k
        assert (got.regs, got.out, got.eof, got.mem) == (r.regs, r.out, r.eof, r.mem), k


@pytest.mark.parametrize("shared", [True, False])
def test_run_arrays_on_per_program_memories(shared):
    """Random images as one (B, N) array, shared or per-program input streams."""
    b = gen_batch(random.Random(42 + shared), 60, mem_words=(128, 128), max_cycles=800,
                  max_out=50)
    n, B = 128, len(b.images)
    mem = np.zeros((B, n), dtype=np.int64)
    for k, im in enumerate(b.images):
        mem[k, : len(im.words)] = im.words
    pcs = np.array([im.entry for im in b.images])
    rng = np.random.default_rng(5)
    if shared:
        stream = rng.integers(-5, 5, 7)
        inputs = [ProgramInput(input=tuple(int(v) % 2**32 for v in stream))] * B
        inp, in_len = stream, None
    else:
        inp = rng.integers(-(2**31), 2**31, (B, 9))
        in_len = rng.integers(0, 10, B)
        inputs = [ProgramInput(input=tuple(int(v) % 2**32 for v in inp[k, : in_len[k]]))
                  for k in range(B)]
    before = mem.copy()
    got = native.run_arrays(mem, pc=pcs, inp=inp, in_len=in_len, max_cycles=800, max_out=50)
    assert np.array_equal(mem, before)  # copied, not run in place
    _same(got, _reference_rows(mem, pcs, MachineConfig(mem_words=n, max_cycles=800,
                                                       max_out=50), inputs))


def test_run_arrays_registers_and_in_place():
    e = native.load_isa().encode
    mem = np.zeros((3, 16), dtype=np.int32)
    mem[:, 0] = words_i32([e("add", rd=3, ra=1, rb=2)] * 2 + [e("out", ra=0)])
    mem[:, 1] = words_i32([e("st", ra=0, rb=3, imm=10)])[0]
    regs = np.zeros((3, 16), dtype=np.int32)
    regs[:, 0], regs[:, 1], regs[:, 2] = 99, [1, 2, 3], 40  # r0 is forced back to 0
    got = native.run_arrays(mem, regs, copy=False, max_cycles=10, max_out=4)
    assert got.mem is mem and mem[:2, 10].tolist() == [41, 42] and mem[2, 10] == 0
    assert got.regs[:, 0].tolist() == [0, 0, 0] and got.regs[:2, 3].tolist() == [41, 42]
    assert got.out_len.tolist() == [0, 0, 1] and got.out[2, 0] == 0
    assert native.STATUS_NAMES[got.status[0]] == "halted" and got.cycles.tolist() == [3, 3, 3]


@pytest.mark.parametrize("kwargs, message", [
    (dict(mem=np.zeros(16, dtype=np.int32)), "expected a .B, N. array"),
    (dict(mem=np.zeros((2, 8), dtype=np.int32)), "memory size"),
    (dict(mem=np.zeros((2, 16)), ), "expected integers"),
    (dict(regs=np.zeros((2, 15), dtype=np.int32)), "regs: expected shape"),
    (dict(pc=16), "pc: start outside"),
    (dict(inp=np.zeros((3, 4), dtype=np.int32)), "inp: expected"),
    (dict(inp=np.zeros(4, dtype=np.int32), in_len=5), "in_len"),
    (dict(max_cycles=-1), "max_cycles"),
])
def test_run_arrays_errors(kwargs, message):
    args = dict(mem=np.zeros((2, 16), dtype=np.int32)) | kwargs
    with pytest.raises(RunError, match=message):
        native.run_arrays(**args)


# ---------------------------------------------------------------- the CLI


def _run_json(*args, code):
    result = CliRunner().invoke(app, ["run", *map(str, args), "--json"])
    assert result.exit_code == code, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_cli_native_equals_reference(tmp_path):
    prog = tmp_path / "p.s"
    prog.write_text("loop: addi r2, r2, 1\n out r2\n div r3, r1, r2\n bne r2, r1, loop\n"
                    " ld r4, -1(r0)\n halt\n")
    for args in ([], ["--max-cycles", "50"]):  # some programs fault: exit 1 either way
        got = _run_json(prog, "--sweep", "r1=-2:30", "--engine", "native", *args, code=1)
        want = _run_json(prog, "--sweep", "r1=-2:30", "--engine", "reference", *args,
                         code=1)
        assert got["engine"] == "native" and got["device"] == "cpu"
        assert got["programs"] == want["programs"]
        assert bool(got["summary"]["timeout"]) == bool(args)
        assert got["summary"]["cycles_total"] == want["summary"]["cycles_total"]


def test_cli_verbose_says_why(tmp_path):
    prog = tmp_path / "p.s"
    prog.write_text("halt\n")
    result = CliRunner().invoke(app, ["run", str(prog), "-v", "-q"])
    assert result.exit_code == 0
    assert "engine native: auto on the CPU uses the compiled interpreter" in result.stderr
