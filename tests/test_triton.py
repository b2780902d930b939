"""The Triton engine under Triton's interpreter (TRITON_INTERPRET=1, numpy on the CPU)
against the reference interpreter and facts of ISA.md: programs/expected.yaml, random
programs (tests/progen.py), every fault reason, div/rem and shift edges, streams, cycle
limits, self-modifying code, chunked launches, output growth, the CLI and its errors.

The interpreter runs about 25 cycles a second whatever the batch (its cost is per
operation, not per lane), so every test runs its programs as one batch and keeps the
longest of them short: expected.yaml cases that need more than CASE_CYCLES cycles run
to CASE_CYCLES and their timeout state is compared (the test prints which). The
variable is set at the top of this module, before the kernel is first imported, so it
holds in every pytest-xdist worker too. tests/test_triton_cuda.py runs the compiled
kernel on a GPU with the full programs.
"""

from __future__ import annotations

import os

os.environ["TRITON_INTERPRET"] = "1"  # noqa: E402 - before the kernel module is imported

import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
from importlib.util import find_spec  # noqa: E402

import pytest  # noqa: E402
from exact_common import assert_same, describe  # noqa: E402
from progen_cases import gen_batch  # noqa: E402
from program_cases import EXPECTED, LIMITS, case_input, image  # noqa: E402
from test_exact_programs import check_expectation  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from ncpu_cli.cli import app  # noqa: E402
from ncpu_cli.errors import RunError  # noqa: E402
from ncpu_cli.image import Image  # noqa: E402
from ncpu_cli.isa import load_isa  # noqa: E402
from ncpu_cli.machine.config import MachineConfig  # noqa: E402
from ncpu_cli.machine.inputs import ProgramInput  # noqa: E402
from ncpu_cli.machine.reference import run_reference  # noqa: E402
from ncpu_cli.run.choice import choose_engine  # noqa: E402

needs_triton = pytest.mark.skipif(
    find_spec("triton") is None,
    reason="triton is not installed (pip install 'ncpu[cuda]'): Triton engine not tested")
ISA = load_isa()
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
CASE_CYCLES = 200  # expected.yaml cases longer than this run to here (timeout state)
PROGRAMS = int(os.environ.get("NCPU_TRITON_PROGRAMS", "300"))  # random programs


def w(name, rd=0, ra=0, rb=0, imm=0):
    return ISA.encode(name, rd=rd, ra=ra, rb=rb, imm=imm)


def cfg(**kw):
    return MachineConfig(**{"mem_words": 64, "max_cycles": 200, "max_out": 64, **kw})


def check_triton(config, images, inputs, machine=None, **kw):
    """images[i] with inputs[i]: one Triton batch, every field against the reference."""
    from ncpu_cli.machine.exact.triton_engine import TritonMachine

    if machine is None:
        machine = TritonMachine(images[0], config, inputs, images=images, **kw)
    machine.run()
    got = list(machine.results(with_mem=True))
    assert len(got) == len(images)
    for i, (im, inp) in enumerate(zip(images, inputs)):
        assert_same(got[i], run_reference(im, config, inp, index=i), describe(im, inp, config))
    return got


def batch_of(programs, config=None):
    """[(words, ProgramInput, entry)] as one batch; results in that order."""
    images = [Image(list(words), entry=entry) for words, _, entry in programs]
    return check_triton(config or cfg(), images, [inp for _, inp, _ in programs])


def prog(words, inp=ProgramInput(), entry=0):
    return (words, inp, entry)


# ---------------------------------------------------------------- programs/


@needs_triton
def test_expected_yaml_cases():
    groups: dict[tuple, list] = {}
    for name, cases in EXPECTED.items():
        for k, case in enumerate(cases):
            limits = dict((key, case[key]) for key in LIMITS if key in case)
            full = run_reference(image(name), MachineConfig(**limits), case_input(case))
            cut = full.cycles > CASE_CYCLES
            if not limits:  # one batch for the cases with default limits, cut or not
                limits["max_cycles"] = CASE_CYCLES
            groups.setdefault(tuple(sorted(limits.items())), []).append(
                (f"{name}-{k}", name, case, cut))
    cut = [label for members in groups.values() for label, *_, c in members if c]
    print(f"run to {CASE_CYCLES} cycles only (timeout state compared): {', '.join(cut)}")
    assert sum(len(m) for m in groups.values()) > len(cut) >= 0
    for limits, members in groups.items():
        config = MachineConfig(**dict(limits))
        images = [image(name) for _, name, _, _ in members]
        results = check_triton(config, images, [case_input(c) for _, _, c, _ in members])
        for r, (label, _, case, was_cut) in zip(results, members):
            if was_cut:
                assert (r.status, r.cycles) == ("timeout", CASE_CYCLES), label
            else:
                check_expectation(r, case["expected"], label)


# ---------------------------------------------------------------- random programs


@needs_triton
@pytest.mark.parametrize("part", range(3))
def test_random_programs_match_reference(part):
    """PROGRAMS random programs in three batches (different limits), every field compared."""
    max_cycles, max_out = ((30, None), (60, 3), (100, 200))[part]
    b = gen_batch(random.Random(4400 + part), max(1, PROGRAMS // 3), max_cycles=max_cycles,
                  max_out=max_out)
    got = check_triton(b.config, b.images, b.inputs)
    assert {r.status for r in got} >= {"halted", "fault"}


@needs_triton
def test_one_image_shared_input_stream():
    """Copies of one program with one ProgramInput: the stream is shared by every lane."""
    from ncpu_cli.machine.exact.triton_engine import TritonMachine

    words = [w("in", 1), w("beq", ra=1, rb=0, imm=4), w("out", ra=1), w("jal", 0, imm=0),
             w("halt")]
    im, inp = Image(words), ProgramInput(input=(3, -4, INT_MIN))
    m = TritonMachine(im, cfg(), [inp] * 5)
    got = check_triton(cfg(), [im] * 5, [inp] * 5, machine=m)
    assert all(r.out == [3, -4, INT_MIN] and r.status == "halted" for r in got)
    assert m.state.inp_shared


# ---------------------------------------------------------------- ISA facts


def _load(reg, value):
    v = value % 2**32
    return [w("lui", reg, imm=v >> 10), w("ori", reg, reg, imm=v & 0x3FF)]


@needs_triton
def test_alu_edges_follow_isa_md():
    cases = [("div", INT_MIN, -1, INT_MIN), ("div", 7, 0, -1), ("rem", 7, 0, 7),
             ("rem", INT_MIN, -1, 0), ("div", -7, 2, -3), ("rem", -7, 2, -1),
             ("rem", 7, -2, 1), ("div", INT_MIN, 0, -1), ("rem", INT_MIN, 0, INT_MIN),
             ("mul", 0x10000, 0x10000, 0), ("mul", INT_MAX, 2, -2), ("add", INT_MAX, 1, INT_MIN),
             ("sub", INT_MIN, 1, INT_MAX), ("sar", -8, 1, -4), ("shr", -1, 28, 15),
             ("shl", 1, 33, 2), ("shl", 3, 31, INT_MIN), ("sar", INT_MIN, -1, -1),
             ("shr", INT_MIN, -1, 1), ("slt", -1, 1, 1), ("sltu", -1, 1, 0),
             ("sltu", 1, -1, 1), ("xor", -1, 5, -6), ("and", -2, 3, 2), ("or", 4, 1, 5)]
    programs = [prog(_load(1, a) + _load(2, b) + [w(op, 3, 1, 2), w("halt")])
                for op, a, b, _ in cases]
    programs.append(prog([w("li", 1, imm=-5), w("sari", 2, 1, imm=33), w("slti", 3, 1, imm=-4),
                          w("andi", 4, 1, imm=-8), w("lui", 5, imm=0x3FFFFF), w("halt")]))
    got = batch_of(programs)
    for (op, a, b, want), r in zip(cases, got):
        assert r.regs[3] == want, (op, a, b, r.regs[3])
    assert got[-1].regs[2:6] == [-3, 1, -8, -1024]


@needs_triton
def test_every_fault_reason_and_where_it_stops():
    illegal = next(c for c in range(64) if c not in ISA.by_code)
    code = ISA.fields["op"].put(illegal)
    got = batch_of([
        prog([w("li", 1, imm=3), code]),
        prog([w("li", 1, imm=-1), w("ld", 2, 1, imm=0)]),  # address 2^32 - 1
        prog([w("st", ra=0, rb=1, imm=64)]),
        prog([w("li", 1, imm=5)] + [w("add", 0, 0, 0)] * 62 + [w("addi", 2, 1, imm=1)]),
        prog([w("jal", 14, imm=64)]),
        prog([w("li", 1, imm=9), w("out", ra=1), w("out", ra=1), w("halt")]),
        prog([w("ld", 1, 0, imm=100)] + [w("halt")] * 62 + [w("ld", 1, 0, imm=100)], entry=63),
        prog([w("li", 1, imm=70), w("jalr", 14, 1, imm=-7), w("halt")]),  # 63: halt there
        prog([w("li", 1, imm=-1), w("jalr", 14, 1, imm=0)]),
        prog([w("halt")] * 63 + [w("beq", ra=0, rb=0, imm=5)], entry=63),  # taken: fine
        prog([w("halt")] * 63 + [w("bne", ra=0, rb=0, imm=5)], entry=63),  # falls off
        prog([w("beq", ra=0, rb=0, imm=64)]),
        prog([w("halt")] * 63 + [w("in", 1)], ProgramInput(input=(4,)), entry=63),
    ], cfg(max_out=1))
    facts = [("fault", "opcode", 1, 2), ("fault", "address", 1, 2), ("fault", "address", 0, 1),
             ("fault", "target", 63, 64), ("fault", "target", 0, 1),
             ("fault", "output-full", 2, 3), ("fault", "address", 63, 1),
             ("halted", None, 63, 3), ("fault", "target", 1, 2), ("halted", None, 5, 2),
             ("fault", "target", 63, 1), ("fault", "target", 0, 1), ("fault", "target", 63, 1)]
    for k, (r, want) in enumerate(zip(got, facts)):
        assert (r.status, r.reason, r.pc, r.cycles) == want, k
    assert got[3].regs[2] == 0 and got[4].regs[14] == 0 and got[8].regs[14] == 0
    assert got[7].regs[14] == 2 and got[5].out == [9]
    assert not got[12].eof and got[12].regs[1] == 0  # a faulting `in` reads nothing


@needs_triton
def test_streams_r0_wrapping_and_self_modifying_code():
    words = [w("in", 0), w("in", 1), w("in", 2), w("in", 3), w("out", ra=1), w("halt")]
    new = w("li", 3, imm=42)
    got = batch_of([
        prog(words, ProgramInput(input=(5, 6))),
        prog(words, ProgramInput(input=(5, 6, 7, 8))),
        prog([w("li", 1, imm=-1), w("ld", 2, 1, imm=1), w("li", 0, imm=4), w("halt")]),
        prog([w("halt")], ProgramInput(set={0: 7, 3: 2**32 - 1}, mem={9: 5})),
        prog(_load(4, new) + [w("st", ra=0, rb=4, imm=4), w("add", 0, 0, 0), w("halt"),
                              w("halt")]),
    ])
    assert got[0].regs[:4] == [0, 6, 0, 0] and got[0].eof and got[0].out == [6]
    assert got[1].regs[1:4] == [6, 7, 8] and not got[1].eof
    first = w("li", 1, imm=-1)
    assert got[2].regs[2] == first - 2**32 * (first >= 2**31) and got[2].regs[0] == 0
    assert got[3].regs[0] == 0 and got[3].regs[3] == -1 and got[3].regs[15] == 64
    assert got[3].mem[9] == 5
    assert got[4].regs[3] == 42 and got[4].pc == 5


@needs_triton
def test_cycle_limits():
    spin = [w("addi", 1, 1, imm=1), w("jal", 0, imm=0)]
    r = batch_of([prog(spin)], cfg(max_cycles=7))[0]
    assert (r.status, r.cycles, r.pc, r.regs[1]) == ("timeout", 7, 1, 4)
    r = batch_of([prog(spin)], cfg(max_cycles=0))[0]
    assert (r.status, r.cycles, r.pc, r.regs[1]) == ("timeout", 0, 0, 0)
    r = batch_of([prog([w("add", 0, 0, 0)] * 4 + [w("halt")])], cfg(max_cycles=5))[0]
    assert (r.status, r.cycles) == ("halted", 5)  # halt as the max_cycles-th instruction
    r = batch_of([prog([w("li", 1, imm=5), w("out", ra=1), w("halt")])], cfg(max_out=0))[0]
    assert (r.status, r.reason, r.pc, r.out) == ("fault", "output-full", 1, [])  # no buffer


# ---------------------------------------------------------------- launches and growth


@needs_triton
@pytest.mark.parametrize("k", [3, 16])
def test_small_launches_and_output_growth(k):
    """K cycles per launch resumes exactly; a 17th output grows the 16-word buffer."""
    from ncpu_cli.machine.exact.triton_engine import TritonMachine

    count = [w("addi", 2, 2, imm=1), w("out", ra=2), w("bne", ra=2, rb=1, imm=0), w("halt")]
    config = cfg(max_out=20, max_cycles=70)
    inputs = [ProgramInput(set={1: 18}), ProgramInput(set={1: 21}), ProgramInput(set={1: 3})]
    images = [Image(count)] * 3
    calls = []
    m = TritonMachine(images[0], config, inputs, images=images, cycles_per_launch=k)
    m.run(progress=lambda cycles, running: calls.append((cycles, running)))
    got = check_triton(config, images, inputs, machine=m)
    assert calls[-1][1] == 0 and [c for c, _ in calls] == sorted(c for c, _ in calls)
    assert got[0].out == list(range(1, 19)) and got[0].status == "halted"
    assert (got[1].status, got[1].reason, len(got[1].out)) == ("fault", "output-full", 20)


@needs_triton
def test_run_for_some_cycles_then_on():
    from ncpu_cli.machine.exact.triton_engine import TritonMachine

    im, config = image("factorial"), MachineConfig(max_cycles=100)
    inputs = [ProgramInput(set={1: v}) for v in (3, 4)]
    m = TritonMachine(im, config, inputs, cycles_per_launch=16)
    m.run(cycles=20)
    part = list(m.results())
    for r, inp in zip(part, inputs):
        want = run_reference(im, MachineConfig(max_cycles=20), inp)
        assert (r.pc, r.cycles, r.regs) == (want.pc, 20, want.regs)
    check_triton(config, [im] * 2, inputs, machine=m)


# ---------------------------------------------------------------- choice, CLI, errors


def test_auto_never_picks_triton_on_the_cpu(monkeypatch):
    assert choose_engine("auto", "exact", "cpu", 10**6) != "triton"
    assert choose_engine("auto", "exact", "cuda", 10) == "torch"
    if find_spec("triton") is not None:
        monkeypatch.setenv("TRITON_INTERPRET", "0")
        assert choose_engine("auto", "exact", "cuda", 10**5) == "triton"
        monkeypatch.setenv("TRITON_INTERPRET", "1")  # the interpreter is no GPU engine
        assert choose_engine("auto", "exact", "cuda", 10**5) == "torch"
    assert choose_engine("triton", "exact", "cpu", 1) == "triton"


@needs_triton
def test_cli_run_engine_triton_matches_reference():
    res = CliRunner().invoke(app, ["run", "programs/gcd.s", "--set", "r1=12", "--set", "r2=18",
                                   "--engine", "triton", "--device", "cpu", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["engine"] == "triton"
    want = run_reference(image("gcd"), MachineConfig(), ProgramInput(set={1: 12, 2: 18}))
    got = doc["programs"][0]
    assert (got["status"], got["pc"], got["cycles"], got["regs"], got["out"]) == (
        want.status, want.pc, want.cycles, want.regs, want.out)


def test_cpu_without_the_interpreter_says_how(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET")
    res = CliRunner().invoke(app, ["run", "programs/gcd.s", "--engine", "triton",
                                   "--device", "cpu"])
    assert res.exit_code == 1
    text = res.output + (res.stderr if res.stderr_bytes is not None else "")
    want = ("set TRITON_INTERPRET=1" if find_spec("triton") is not None
            else "pip install 'ncpu[cuda]'")
    assert want in text and "Traceback" not in text


def test_without_triton_says_how_to_get_it(monkeypatch):
    from ncpu_cli.machine.exact.triton_engine import TritonMachine
    from ncpu_cli.run import engines

    monkeypatch.setitem(sys.modules, "triton", None)  # import triton now fails
    monkeypatch.delitem(engines._WHY, "triton", raising=False)  # noqa: SLF001 - the cache
    with pytest.raises(RunError, match=r"pip install 'ncpu\[cuda\]'"):
        TritonMachine(Image([w("halt")]), cfg(), [ProgramInput()])
    res = CliRunner().invoke(app, ["run", "programs/gcd.s", "--engine", "triton"])
    assert res.exit_code == 1 and "pip install 'ncpu[cuda]'" in res.output, res.output
    assert "Traceback" not in res.output
    assert choose_engine("auto", "exact", "cuda", 10**5) == "torch"  # auto does without


@needs_triton
def test_cli_several_programs_and_a_sweep_match_the_reference_engine():
    args = ["run", "programs/gcd.s", "programs/factorial.s", "--sweep", "r1=1:4", "--set",
            "r2=18", "--json", "--engine"]
    got = CliRunner().invoke(app, args + ["triton", "--device", "cpu"])
    want = CliRunner().invoke(app, args + ["reference"])
    assert got.exit_code == want.exit_code == 0, got.output
    got, want = json.loads(got.output), json.loads(want.output)
    assert got["engine"] == "triton" and len(got["programs"]) == 6
    assert got["programs"] == want["programs"]


def test_step_n_is_exactly_n_cycles_even_when_the_output_buffer_grows():
    """The contract's step(n) (tests/test_engine_contract.py) on the Triton kernel: a
    program that pauses for output room part-way still ends at exactly n cycles, and
    the others do not run past n while it catches up."""
    from test_engine_contract import check_step_is_exact

    check_step_is_exact("triton", steps=(5, 40, 30),
                        config=MachineConfig(mem_words=64, max_cycles=10**6, max_out=4096,
                                             device="cpu"))


def test_out_of_device_memory_is_a_clear_error(monkeypatch):
    import torch

    from ncpu_cli.machine.exact.triton_engine import TritonMachine

    m = TritonMachine(Image([w("halt")]), cfg(), [ProgramInput()])

    def full(*a, **k):
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(m, "_run", full)
    with pytest.raises(RunError, match="out of memory on cpu for 1 programs"):
        m.run()
    monkeypatch.setattr(m, "_upload", full)
    m._t = None  # noqa: SLF001 - upload again
    with pytest.raises(RunError, match="use a smaller batch"):
        m.prepare()
