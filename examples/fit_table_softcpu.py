"""Fit a lookup table in memory by gradient descent through the soft CPU.

The program reads x from its input stream and prints x + table[x]. We want it to
print x*x for x = 0..7, so `table` must learn x*x - x. The table's eight words are
the only parameters of `ncpu_cli.SoftCPU`; torch.optim.Adam moves them until the
exact engine, running the image with the rounded table written in, prints every
square. Run it from the repository root:

    python examples/fit_table_softcpu.py
"""

from __future__ import annotations

import torch

import ncpu_cli
from ncpu_cli import MachineConfig, ProgramInput, SoftCPU, run_batch

SOURCE = """
        in   r1              ; x
        ld   r2, table(r1)   ; table[x]
        add  r3, r1, r2
        out  r3              ; x + table[x]
        halt
table:  .word 0, 0, 0, 0, 0, 0, 0, 0
"""
XS = list(range(8))


def target(x: int) -> int:
    return x * x


def exact_outputs(image, config) -> list[list[int]]:
    """What the exact (native) engine prints for every x."""
    outcome = run_batch(image, config, [ProgramInput(input=(x,)) for x in XS], "native")
    return [r.out for r in outcome.results()]


def main(max_steps: int = 500, verbose: bool = True):
    """Train; returns (the image with the learned table, Adam steps taken)."""
    image = ncpu_cli.assemble(SOURCE)
    table = image.symbols["table"]
    # hard addressing: every pointer one-hot (the exact machine's semantics), while the
    # values read from memory still carry gradients
    config = MachineConfig(mem_words=32, max_cycles=100, addressing="hard")
    cpu = SoftCPU(image, config, learn=("memory",), words=range(table, table + len(XS)))
    opt = torch.optim.Adam(cpu.parameters(), lr=1.0)
    x = torch.tensor(XS, dtype=torch.float64).unsqueeze(1)  # (B, 1): one input word each
    y = torch.tensor([target(v) for v in XS], dtype=torch.float64)  # (B,)
    want = [[target(v)] for v in XS]
    for step in range(1, max_steps + 1):
        state = cpu(input0=x, cycles=8)
        loss = ((state.out[:, 0] - y) ** 2).mean()  # state.out (B, W)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 10 == 0:
            learned = cpu.memory_image()
            agree = exact_outputs(learned, config) == want
            if verbose:
                print(f"step {step:4d}  loss {loss.item():10.4f}  exact engine agrees: {agree}")
            if agree:
                return learned, step
    raise SystemExit(f"no agreement after {max_steps} steps")


if __name__ == "__main__":
    learned, steps = main()
    table = learned.symbols["table"]
    print(f"table after {steps} steps:", learned.words[table: table + len(XS)])
