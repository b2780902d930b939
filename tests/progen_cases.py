"""Run inputs, configs and whole test cases for the random programs of tests/progen.py.

Generation is driven by one ``random.Random`` seeded from hypothesis (drawing
every field through hypothesis would be slow and overflow its buffer for
batches of many programs), so it is fast and reproducible; hypothesis reports
the failing seed.

Plain functions
    gen_input(rng, image, mem_words, *, soft_ok=False) -> ProgramInput
    gen_config(rng, mem_words, *, max_cycles=None, max_out=None) -> MachineConfig
    gen_case(rng, **params) -> Case           one image, `batch` inputs
    gen_batch(rng, n_programs, **params) -> Batch   n images sharing one config

Hypothesis strategies (same keyword parameters)
    random_programs(**params) -> Case         unpacks as (image, config, inputs)
    random_batches(n_programs=50, **params) -> Batch  (config, images, inputs)

Parameters
    mem_words   (lo, hi) memory size range, default (16, 128); code never exceeds it
                (any size up to 65536 works; absolute addresses stay below 8192)
    batch       (lo, hi) number of ProgramInputs for one image (Case only), default (1, 4)
    soft_ok     restrict to what a soft executor supports: the programs as in
                progen.gen_program, no memory patches over code; `sp` is never
                preset. Default False.
    p_unclean   probability that a legal word gets random bits in its unused fields
                (executors must ignore them), default 0.1
    max_cycles  fixed cycle limit; default: random 1..600, skewed small so that
                some programs time out (0 sometimes, which times out at once)
    max_out     fixed output limit; default: random, often small (0..4) so that
                `output-full` happens
    faults      False: avoid deliberately faulting constructs (illegal words, bad jump
                targets, out-of-range addresses, falling off the end). Default True.

Register presets, input streams and memory patches are 32-bit values biased toward
edge cases and small numbers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hypothesis import strategies as st
from progen import SP, gen_program

from ncpu_cli.image import Image
from ncpu_cli.isa import MASK32
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


@dataclass
class Case:
    """One image run with several inputs (one config)."""

    image: Image
    config: MachineConfig
    inputs: list[ProgramInput]

    def __iter__(self):
        return iter((self.image, self.config, self.inputs))


@dataclass
class Batch:
    """Many images (one per program) sharing one config; inputs[i] goes with images[i]."""

    config: MachineConfig
    images: list[Image]
    inputs: list[ProgramInput]

    def __iter__(self):
        return iter((self.config, self.images, self.inputs))


# -- values -----------------------------------------------------------------
_EDGES = [0, 1, -1, 2, 3, 7, 31, 32, 33, 63, INT_MIN, INT_MAX, INT_MIN + 1, -2, 0xFFFF, 1 << 16]


def value32(rng: random.Random) -> int:
    """A 32-bit word (unsigned), biased toward edge cases and small numbers."""
    r = rng.random()
    if r < 0.35:
        v = rng.choice(_EDGES)
    elif r < 0.7:
        v = rng.randint(-20, 20)
    else:
        v = rng.getrandbits(32)
    return v & MASK32


def gen_input(rng: random.Random, image: Image, mem_words: int, *,
              soft_ok: bool = False) -> ProgramInput:
    """Register presets, an input stream and memory patches for one program."""
    n = mem_words
    regs: dict[int, int] = {}
    for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
        r = rng.randint(1, 14 if soft_ok else 15)
        regs[r] = value32(rng) if r != SP or rng.random() < 0.5 else rng.randint(0, n)
    stream = tuple(value32(rng) for _ in range(rng.choice([0, 0, 1, 2, 3, 6])))
    mem: dict[int, int] = {}
    if rng.random() < 0.2:
        lo = len(image.words) if soft_ok else 0
        if lo < n:
            for _ in range(rng.randint(1, 3)):
                mem[rng.randint(lo, n - 1)] = value32(rng)
    return ProgramInput(set=regs, input=stream, mem=mem)


def gen_config(rng: random.Random, mem_words: int, *, max_cycles: int | None = None,
               max_out: int | None = None) -> MachineConfig:
    if max_cycles is None:
        r = rng.random()
        if r < 0.02:
            max_cycles = 0
        elif r < 0.2:
            max_cycles = rng.randint(1, 20)
        elif r < 0.7:
            max_cycles = rng.randint(20, 200)
        else:
            max_cycles = rng.randint(200, 600)
    if max_out is None:
        max_out = rng.choice([0, 1, 2, 3, 4, 16, 64])
    return MachineConfig(mem_words=mem_words, max_cycles=max_cycles, max_out=max_out)


def gen_case(rng: random.Random, *, mem_words=(16, 128), batch=(1, 4), soft_ok=False,
             p_unclean=0.1, max_cycles=None, max_out=None, faults=True) -> Case:
    n = rng.randint(*mem_words)
    image = gen_program(rng, n, soft_ok=soft_ok, p_unclean=p_unclean, faults=faults)
    config = gen_config(rng, n, max_cycles=max_cycles, max_out=max_out)
    inputs = [gen_input(rng, image, n, soft_ok=soft_ok) for _ in range(rng.randint(*batch))]
    return Case(image, config, inputs)


def gen_batch(rng: random.Random, n_programs: int = 50, *, mem_words=(16, 128), soft_ok=False,
              p_unclean=0.1, max_cycles=None, max_out=None, faults=True) -> Batch:
    n = rng.randint(*mem_words)
    config = gen_config(rng, n, max_cycles=max_cycles, max_out=max_out)
    images = [gen_program(rng, n, soft_ok=soft_ok, p_unclean=p_unclean, faults=faults)
              for _ in range(n_programs)]
    inputs = [gen_input(rng, im, n, soft_ok=soft_ok) for im in images]
    return Batch(config, images, inputs)


_SEEDS = st.integers(0, 2**64 - 1)


def random_programs(**params) -> st.SearchStrategy[Case]:
    """Strategy: a Case (image, config, inputs); keyword parameters as gen_case."""
    return _SEEDS.map(lambda seed: gen_case(random.Random(seed), **params))


def random_batches(n_programs: int = 50, **params) -> st.SearchStrategy[Batch]:
    """Strategy: a Batch of `n_programs` distinct images sharing one config."""
    return _SEEDS.map(lambda seed: gen_batch(random.Random(seed), n_programs, **params))
