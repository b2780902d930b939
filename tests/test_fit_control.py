"""`ControlBuilder` (build_control with hole parameters): for one-hot weights and integer
values its control table equals the plain decoder's table of the filled image, row for row;
a mixture is the weighted mixture of those rows; table and initial memory are differentiable
(gradcheck in float64), and so is a soft run through them at hard addressing."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from ncpu_cli.fit import Sketch, parse_spec
from ncpu_cli.fit.control import ControlBuilder, HoleValues
from ncpu_cli.isa import to_signed
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.soft.addressing import normaliser
from ncpu_cli.machine.soft.decode import build_control, mix_rows
from ncpu_cli.machine.soft.machine import SoftMachine
from ncpu_cli.machine.soft.run import run_pure

MEM = 32
CPU, F64 = torch.device("cpu"), torch.float64
SKETCHES = {
    "every-kind": "?{add,sub,xor,mul,shl} r3, r1, ??\naddi r4, r3, ??[-5:9]\n"
                  "ld r5, 5(r0)\nhalt\nhalt\n.word ??[0:255]",
    "shift-past-31": "shli r2, r1, ??[28:36]\nhalt",
    "li-signed": "li r2, ??[-3:3]\nhalt",
    "lui": "lui r2, ??[0:5]\nhalt",
    "branch-target": "beq r1, r2, ??[0:4]\nhalt\nhalt\nhalt",
    "jal": "jal ??, ??[0:3]\nhalt\nhalt",
    "alui-mnemonics": "?{addi,slti,andi,ori,xori,shli} r2, r1, ??[-3:3]\nhalt",
    "branch-mnemonics": "?{beq,bne,blt,bge} r1, ??, 2\nhalt\nhalt",
    "store": "st ??, ??[0:3](r0)\nhalt",
    "jalr": "li r1, 4\njalr ??, r1, ??[-2:2]\nhalt\nhalt",
    "streams": "in ??\nout ??\nhalt",
}


def make_sketch(source: str, mem: int = MEM) -> Sketch:
    body = "".join(f"  {line}\n" for line in source.splitlines())
    return Sketch(parse_spec(f"mem_words: {mem}\nsource: |\n{body}"
                             "examples:\n  - {expect: {regs: {r2: 1}}}\n"))


def hole_values(sketch: Sketch, filling) -> HoleValues:
    """One-hot weights / integer values of one filling (a batch of one restart)."""
    weights, values = {}, {}
    for h, k in zip(sketch.holes, filling):
        if h.kind in ("register", "mnemonic"):
            w = torch.zeros(1, h.size, dtype=F64)
            w[0, int(k)] = 1
            weights[h.index] = w
        else:
            values[h.index] = torch.tensor([float(h.lo + int(k))], dtype=F64)
    return HoleValues(weights, values)


def decoded(sketch: Sketch, filling):
    """The plain decoder's control table of the filled image (an independent path)."""
    words = sketch.fill(np.asarray(filling)[None, :])[0, : len(sketch.image.words)]
    image = replace(sketch.image, words=[int(w) for w in words], holes=[])
    return build_control(image, MEM, normaliser("hard", 0.1), device=CPU, dtype=F64)


def assert_same_table(got, want) -> None:
    """`got` (1, S+1, F') equals `want` (S+1, F) column by name (`got` may have more
    columns: the functions of the other candidates, all zero here)."""
    table = got.table[0]
    for name, j in want.cols.items():
        assert torch.equal(table[:, got.cols[name]], want.table[:, j]), name
    for name, j in got.cols.items():
        if name not in want.cols:
            assert not table[:, j].any(), name
    sel = slice(got.sel, got.sel + 48)
    assert torch.equal(table[:, sel], want.table[:, want.sel: want.sel + 48])
    assert torch.equal(got.uses[0], want.uses)


def some_fillings(sketch: Sketch, count: int = 24) -> np.ndarray:
    rng = np.random.default_rng(3)
    rows = [np.zeros(len(sketch.holes), dtype=np.int64), sketch.sizes - 1]
    rows += [np.asarray([rng.integers(0, h.size) for h in sketch.holes]) for _ in range(count)]
    return np.stack(rows)


@pytest.mark.parametrize("name", list(SKETCHES))
def test_one_hot_is_exact(name: str) -> None:
    sketch = make_sketch(SKETCHES[name])
    builder = ControlBuilder(sketch, "hard", 0.1, device=CPU, dtype=F64)
    for filling in some_fillings(sketch):
        assert_same_table(builder.control(hole_values(sketch, filling), 1),
                          decoded(sketch, filling))


def test_a_mixture_is_the_weighted_mixture_of_rows() -> None:
    sketch = make_sketch("?{add,sub,xor} r3, r1, r2\nhalt")
    builder = ControlBuilder(sketch, "hard", 0.1, device=CPU, dtype=F64)
    w = torch.tensor([[0.5, 0.3, 0.2]], dtype=F64)
    got = builder.control(HoleValues({0: w}, {}), 1)
    rows = [decoded(sketch, [k]) for k in range(3)]
    for name, j in got.cols.items():
        want = sum(float(w[0, k]) * (r.table[:, r.cols[name]] if name in r.cols
                                     else torch.zeros(3, dtype=F64)) for k, r in enumerate(rows))
        assert torch.allclose(got.table[0, :, j], want, atol=1e-12), name


def test_restarts_and_repeat() -> None:
    """Restart r's table serves programs r·repeat .. r·repeat + repeat - 1."""
    sketch = make_sketch(SKETCHES["every-kind"])
    builder = ControlBuilder(sketch, "hard", 0.1, device=CPU, dtype=F64)
    a, b = some_fillings(sketch, 0)
    hv = [hole_values(sketch, f) for f in (a, b)]
    both = HoleValues({i: torch.cat([hv[0].weights[i], hv[1].weights[i]]) for i in hv[0].weights},
                      {i: torch.cat([hv[0].values[i], hv[1].values[i]]) for i in hv[0].values})
    ctl = builder.control(both, 3)
    assert ctl.table.shape[0] == 2 and ctl.uses.shape[0] == 6  # one table per restart
    for r in range(2):
        assert torch.equal(ctl.table[r], builder.control(hv[r], 1).table[0])
    # and the soft fetch gives program p the rows of restart p // 3
    pc = torch.zeros(6, sketch.mem_words, dtype=F64)
    pc[:, 0] = 1  # every program at word 0
    f, _ = mix_rows(pc, ctl.table)  # (F, 6)
    for p in range(6):
        assert torch.equal(f[:, p], ctl.table[p // 3, 0])


GRAD_SKETCH = "?{add,sub,xor} r3, r1, ??\naddi r4, r3, ??[-5:9]\nld r5, 4(r0)\nhalt\n.word ??[0:255]"


def test_gradcheck_of_table_and_memory() -> None:
    sketch = make_sketch(GRAD_SKETCH)
    mn, reg, imm, data = sketch.holes  # a mnemonic, a register, an imm and a data hole
    assert [h.kind for h in sketch.holes] == ["mnemonic", "register", "imm", "data"]
    builder = ControlBuilder(sketch, "hard", 0.1, device=CPU, dtype=F64)
    gen = torch.Generator().manual_seed(0)
    w_mn = torch.softmax(torch.randn(2, 3, generator=gen, dtype=F64), -1).requires_grad_()
    w_reg = torch.softmax(torch.randn(2, 16, generator=gen, dtype=F64), -1).requires_grad_()
    v_imm = torch.tensor([-1.3, 4.6], dtype=F64, requires_grad=True)
    v_data = torch.tensor([17.25, 200.5], dtype=F64, requires_grad=True)

    def table(wm, wr, vi, vd):
        return builder.control(HoleValues({mn.index: wm, reg.index: wr},
                                          {imm.index: vi, data.index: vd}), 2).table

    # fast mode: random projections of the (R, S+1, F) table instead of every element
    assert torch.autograd.gradcheck(table, (w_mn, w_reg, v_imm, v_data), fast_mode=True)
    examples = list(parse_spec(
        "source: halt\nexamples:\n  - {mem: {3: 9}, expect: {regs: {r2: 1}}}\n"
        f"  - {{mem: {{{data.address}: -4}}, expect: {{regs: {{r2: 1}}}}}}\n").examples)

    def memory(vd):
        return builder.memory(HoleValues({mn.index: w_mn.detach(), reg.index: w_reg.detach()},
                                         {imm.index: v_imm.detach(), data.index: vd}), examples)

    assert torch.autograd.gradcheck(memory, (v_data,), fast_mode=True)
    mem = memory(v_data).detach()  # (R·E, N): restart r, example e at row r·E + e
    image = [to_signed(int(w)) for w in sketch.words]
    for r in range(2):
        first, second = mem[2 * r].tolist(), mem[2 * r + 1].tolist()
        assert first[data.address] == float(v_data[r].detach())  # the hole's value
        assert first[3] == 9 and first[:3] == image[:3]  # the example's own cell
        assert second[data.address] == -4  # an example's cell wins over the hole
        assert second[:4] == image[:4]


def test_a_soft_run_is_differentiable_in_a_register_hole() -> None:
    """r2 = (r1 + 3) + r?: the final r2 is Σ_k w_k · r_k + 5, and gradcheck passes."""
    spec = parse_spec("mem_words: 16\nmax_cycles: 8\nsource: |\n  addi r1, r1, 3\n"
                      "  add r2, ??, r1\n  halt\n"
                      "examples:\n  - {set: {r1: 2, r3: 5, r4: -7, r9: 100}, "
                      "expect: {regs: {r2: 1}}}\n")
    sketch = Sketch(spec)
    builder = ControlBuilder(sketch, "hard", 0.1, device=CPU, dtype=F64)
    config = MachineConfig(mem_words=16, max_cycles=8, addressing="hard")
    examples = list(spec.examples)

    def final_r2(w):
        hv = HoleValues({0: w}, {})
        machine = SoftMachine(sketch.image, config, [ex.inp for ex in examples],
                              control=builder.control(hv, 1), mem0=builder.memory(hv, examples))
        return run_pure(machine, 8).regs[:, 2]

    gen = torch.Generator().manual_seed(1)
    w = torch.rand(1, 16, generator=gen, dtype=F64)
    w = (w / w.sum()).requires_grad_()
    regs_at_add = [0.0] * 16
    regs_at_add[1], regs_at_add[3], regs_at_add[4], regs_at_add[9] = 5, 5, -7, 100
    regs_at_add[15] = 16  # sp = mem_words at reset
    want = sum(float(w[0, k].detach()) * regs_at_add[k] for k in range(16)) + 5
    assert float(final_r2(w).detach()) == pytest.approx(want, abs=1e-9)
    assert torch.autograd.gradcheck(final_r2, (w,))
