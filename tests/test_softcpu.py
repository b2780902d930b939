"""`ncpu_cli.SoftCPU`, the soft machine as a torch module: what it learns, that its
forward pass runs the program (checked against values worked out by hand and against
the exact engine), that gradients reach the learned memory and control table, that
it trains with a torch optimiser, and that the example under examples/ fits its
table (issue 18 item 8)."""

from __future__ import annotations

import importlib.util
import re
import runpy
from pathlib import Path

import pytest
import torch
from soft_common import one_torch_thread  # noqa: F401  (fixture: one torch thread per test)

import ncpu_cli
from ncpu_cli.asm import assemble
from ncpu_cli.errors import RunError
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.soft.module import SoftCPU, SoftOutput
from ncpu_cli.run.batch import run_batch

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "fit_table_softcpu.py"
# out = x + table[x], x from the input stream; r4 = x + 7 (an immediate to learn)
TABLE = assemble("""
        in   r1
        ld   r2, table(r1)
        add  r3, r1, r2
        out  r3
        addi r4, r1, 7
        halt
table:  .word 10, 20, 30, 40
""")
T0 = 6  # address of `table`
N = 32
HARD = MachineConfig(mem_words=N, max_cycles=50, addressing="hard")
SPARSE = MachineConfig(mem_words=N, max_cycles=50, addressing="sparsemax", temperature=0.5)
XS = torch.arange(4, dtype=torch.float64).unsqueeze(1)  # (4, 1) input streams x = 0..3


def test_the_table_sits_where_the_tests_assume():
    assert TABLE.symbols["table"] == T0
    assert TABLE.words[T0:T0 + 4] == [10, 20, 30, 40]


def test_the_package_exports_it():
    assert ncpu_cli.SoftCPU is SoftCPU and ncpu_cli.SoftOutput is SoftOutput
    assert isinstance(SoftCPU(TABLE, HARD), torch.nn.Module)


@pytest.mark.parametrize("learn, shapes", [
    ((), []),
    (("memory",), [("memory", (4,))]),
    ("memory", [("memory", (4,))]),
    (("control",), [("control", None)]),
    (("memory", "control"), [("memory", (4,)), ("control", None)]),
])
def test_learn_chooses_the_parameters(learn, shapes):
    cpu = SoftCPU(TABLE, HARD, learn=learn, words=range(T0, T0 + 4))
    params = dict(cpu.named_parameters())
    assert sorted(params) == sorted(name for name, _ in shapes)
    for name, shape in shapes:
        if shape is not None:
            assert tuple(params[name].shape) == shape
    assert tuple(cpu.control.shape) == (TABLE.size + 1, len(cpu.columns))


def test_columns_name_every_control_column_once():
    cpu = SoftCPU(TABLE, HARD)
    assert sorted(cpu.columns.values()) == list(range(cpu.control.shape[1]))
    assert {"halt", "imm_alu", "rd:0", "rb:15"} <= set(cpu.columns)
    assert cpu.control[4, cpu.columns["imm_alu"]].item() == 7  # addi r4, r1, 7
    assert cpu.control[4, cpu.columns["rd:4"]].item() == 1  # hard: one-hot selectors


def test_fields_choose_the_learned_control_columns():
    cpu = SoftCPU(TABLE, HARD, learn=("control",), fields=("imm_alu", "const"))
    assert tuple(cpu.control.shape) == (TABLE.size + 1, 2)
    assert cpu.control[4].tolist() == [7.0, 0.0]


def test_learned_memory_defaults_to_every_word():
    cpu = SoftCPU(TABLE, HARD, learn=("memory",))
    assert tuple(cpu.memory.shape) == (N,)


@pytest.mark.parametrize("config", [HARD, SPARSE], ids=["hard", "sparsemax"])
def test_forward_runs_the_program(config):
    state = SoftCPU(TABLE, config)(input0=XS, cycles=20)
    assert isinstance(state, SoftOutput)
    assert torch.equal(state.out[:, 0], torch.tensor([0 + 10, 1 + 20, 2 + 30, 3 + 40.0],
                                                     dtype=torch.float64))
    assert torch.equal(state.out_len, torch.ones(4, dtype=torch.float64))
    assert torch.equal(state.regs[:, 4], XS[:, 0] + 7)
    assert torch.equal(state.halted, torch.ones(4, dtype=torch.float64))
    assert float(state.fault.abs().sum()) == 0 and float(state.running.abs().sum()) == 0
    assert state.pc.argmax(dim=-1).tolist() == [5] * 4  # resting on the halt
    assert tuple(state.mem.shape) == (4, N)


def test_forward_agrees_with_the_exact_engine_on_presets_and_patches():
    runs = [ProgramInput(set={5: 3}, input=(1,)), ProgramInput(input=(2,), mem={T0 + 2: -9})]
    state = SoftCPU(TABLE, HARD)(inputs=runs, cycles=20)
    exact = list(run_batch(TABLE, HARD, runs, "reference").results())
    assert state.out[:, 0].tolist() == [r.out[0] for r in exact] == [1 + 20, 2 - 9]
    assert state.regs.round().long().tolist() == [r.regs for r in exact]


def test_tensors_replace_presets_and_reset_gives_the_stack_pointer():
    regs0 = torch.zeros(2, 16, dtype=torch.float64)
    regs0[:, 15] = 99
    state = SoftCPU(TABLE, HARD)(regs0=regs0, input0=XS[:2], cycles=20)
    assert state.regs[:, 15].tolist() == [99, 99]
    assert SoftCPU(TABLE, HARD)(input0=XS[:2], cycles=20).regs[:, 15].tolist() == [N, N]


@pytest.mark.parametrize("config", [HARD, SPARSE], ids=["hard", "sparsemax"])
def test_the_gradient_reaches_the_table_entry_each_program_reads(config):
    cpu = SoftCPU(TABLE, config, learn=("memory",), words=range(T0, T0 + 4))
    state = cpu(input0=XS, cycles=20)
    for x in range(4):
        (grad,) = torch.autograd.grad(state.out[x, 0], cpu.memory, retain_graph=True)
        assert grad.tolist() == [1.0 if k == x else 0.0 for k in range(4)]  # d(x + t[x])/dt


def test_the_gradient_reaches_the_control_table_immediate():
    cpu = SoftCPU(TABLE, HARD, learn=("control",))
    state = cpu(input0=XS, cycles=20)
    state.regs[:, 4].sum().backward()  # r4 = x + imm (the addi at word 4)
    grad = cpu.control.grad
    assert grad[4, cpu.columns["imm_alu"]].item() == 4.0  # one per program
    assert grad[:, cpu.columns["imm_alu"]].abs().sum().item() == 4.0


def test_a_learned_control_table_runs_like_the_image():
    fixed = SoftCPU(TABLE, SPARSE)(input0=XS, cycles=20)
    learned = SoftCPU(TABLE, SPARSE, learn=("control",))
    with torch.no_grad():  # derived columns are remade from the class weights
        learned.control[:, learned.columns["total"]] = 123.0
    state = learned(input0=XS, cycles=20)
    for a, b in zip(fixed, state):
        assert torch.equal(a, b.detach())


def test_sgd_fits_an_immediate_through_the_control_table():
    cpu = SoftCPU(TABLE, HARD, learn=("control",), fields=("imm_alu",))
    opt = torch.optim.SGD(cpu.parameters(), lr=0.1)
    for _ in range(60):
        loss = ((cpu(input0=XS, cycles=20).regs[:, 4] - (XS[:, 0] - 5)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert abs(cpu.control[4, 0].item() - (-5)) < 1e-3  # r4 = x - 5 wants imm = -5
    state = cpu(input0=XS, cycles=20)  # and the rest of the program is unchanged
    assert state.out[:, 0].tolist() == [10, 21, 32, 43]


def test_memory_patches_win_over_learned_memory():
    cpu = SoftCPU(TABLE, HARD, learn=("memory",), words=range(T0, T0 + 4))
    state = cpu(input0=XS[2:3], cycles=20, inputs=[ProgramInput(mem={T0 + 2: 5})])
    assert state.out[0, 0].item() == 2 + 5
    (grad,) = torch.autograd.grad(state.out[0, 0], cpu.memory)
    assert grad.abs().sum().item() == 0  # the patched word is not the parameter's


def test_memory_image_writes_the_rounded_words_and_grows():
    cpu = SoftCPU(TABLE, HARD, learn=("memory",), words=[T0, 20])
    with torch.no_grad():
        cpu.memory.copy_(torch.tensor([6.6, -2.2]))
    image = cpu.memory_image()
    assert image.words[T0] == 7 and image.words[20] == (-2) & 0xFFFFFFFF
    assert image.size == 21 and image.words[:T0] == TABLE.words[:T0]
    assert TABLE.words[T0] == 10  # the module's image is not changed


def test_learning_a_word_the_program_executes_is_refused():
    cpu = SoftCPU(TABLE, HARD, learn=("memory",))  # every word, code included
    with torch.no_grad():
        cpu.memory[2] += 1  # the `add` at word 2
    with pytest.raises(RunError, match="executes a word .* words="):
        cpu(input0=XS, cycles=20)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"learn": ("registers",)}, ValueError, "unknown"),
    ({"words": [40]}, RunError, "address 40 outside"),
    ({"words": [7, 7]}, RunError, "twice"),
    ({"fields": ("imm",)}, ValueError, "no control column 'imm'"),
])
def test_bad_construction(kwargs, error, message):
    with pytest.raises(error, match=message):
        SoftCPU(TABLE, HARD, **kwargs)


def test_bad_forward_arguments():
    with pytest.raises(RunError, match="give `cycles`"):
        SoftCPU(TABLE, MachineConfig(mem_words=N))(input0=XS)
    with pytest.raises(RunError, match="different batch sizes"):
        SoftCPU(TABLE, HARD)(input0=XS, inputs=[ProgramInput()], cycles=5)
    with pytest.raises(RunError, match="mem0 must be a tensor of shape"):
        SoftCPU(TABLE, HARD)(mem0=torch.zeros(1, 8), cycles=5)


def test_float32_follows_the_module():
    state = SoftCPU(TABLE, HARD).float()(input0=XS, cycles=20)
    assert state.out.dtype == torch.float32 and state.out[3, 0].item() == 43


def _example():
    spec = importlib.util.spec_from_file_location("fit_table_softcpu", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_fits_its_table():
    learned, steps = _example().main(verbose=False)
    table = learned.symbols["table"]
    # independent facts: x + table[x] = x*x wants table[x] = x*x - x
    assert learned.words[table:table + 8] == [x * x - x for x in range(8)]
    config = MachineConfig(mem_words=32, max_cycles=100)
    outcome = run_batch(learned, config, [ProgramInput(input=(x,)) for x in range(8)], "reference")
    assert [r.out for r in outcome.results()] == [[x * x] for x in range(8)]
    assert steps < 500


def test_the_example_runs_as_a_script(capsys):
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "exact engine agrees: True" in out
    assert "[0, 0, 2, 6, 12, 20, 30, 42]" in out


def test_the_api_page_examples_print_what_they_say(monkeypatch, capsys):
    """docs/api.md: every ```python block runs from the repository root, and each
    `print(...)  # text` line prints that text."""
    root = EXAMPLE.parent.parent
    monkeypatch.chdir(root)
    blocks = re.findall(r"```python\n(.*?)```", (root / "docs" / "api.md").read_text(), re.S)
    assert len(blocks) == 2
    for block in blocks:
        want = [line.split("#", 1)[1].strip() for line in block.splitlines()
                if line.startswith("print(")]
        exec(compile(block, "docs/api.md", "exec"), {})
        assert capsys.readouterr().out.splitlines() == want
