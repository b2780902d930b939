"""Shared by the exact-executor tests: run the reference next to the exact machine and
compare every field of every result (status, reason, pc, cycles, regs, out, eof, memory)."""

from __future__ import annotations

from collections.abc import Sequence

from ncpu_cli.image import Image
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.exact.machine import ExactMachine
from ncpu_cli.machine.inputs import ProgramInput
from ncpu_cli.machine.reference import run_reference
from ncpu_cli.machine.result import ProgramResult

FIELDS = ("status", "reason", "pc", "cycles", "regs", "out", "eof", "mem")


def describe(image: Image, inp: ProgramInput, config: MachineConfig) -> str:
    return (f"words={[hex(w) for w in image.words]} entry={image.entry} set={inp.set} "
            f"input={inp.input} mem={inp.mem} config={config}")


def assert_same(got: ProgramResult, want: ProgramResult, context: str = "") -> None:
    """Every field equal; the message names the first differing fields."""
    diffs = [f for f in FIELDS if getattr(got, f) != getattr(want, f)]
    if diffs or got.index != want.index:
        lines = [f"program {want.index} differs in {diffs} {context}"]
        for f in diffs:
            g, w = getattr(got, f), getattr(want, f)
            if f == "mem":
                bad = [(k, x, y) for k, (x, y) in enumerate(zip(g, w)) if x != y][:8]
                lines.append(f"  mem (addr, exact, reference): {bad}")
            else:
                lines.append(f"  {f}: exact={g!r} reference={w!r}")
        raise AssertionError("\n".join(lines))


def check_batch(config: MachineConfig, images: Sequence[Image], inputs: Sequence[ProgramInput],
                machine: ExactMachine | None = None) -> list[ProgramResult]:
    """Run images[i] with inputs[i] on exact (one batch) and on the reference; compare."""
    if machine is None:
        machine = ExactMachine(images[0], config, inputs, images=images)
    machine.run()
    got = list(machine.results(with_mem=True))
    cpu = MachineConfig(**{**config.__dict__, "device": "cpu"})
    for i, (image, inp) in enumerate(zip(images, inputs)):
        want = run_reference(image, cpu, inp, index=i)
        assert_same(got[i], want, describe(image, inp, config))
    return got
