"""Differential fuzzing: random programs (tests/progen.py) on the exact executor and on
the reference interpreter, every result field compared, final memory included.

The default suite checks 2,000 distinct random programs (40 hypothesis examples of 50
programs, each example one exact batch with a different image per program), plus
one-image batches with several inputs. NCPU_FUZZ_EXAMPLES sets the number of random
programs (`make fuzz` runs 20,000).
"""

from __future__ import annotations

import os
import random

import pytest
import torch
from exact_common import assert_same, check_batch
from hypothesis import HealthCheck, given, settings
from progen_cases import gen_batch, random_batches, random_programs

from ncpu_cli.isa import S_RUNNING, S_TIMEOUT
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.exact import step as exact_step
from ncpu_cli.machine.exact import tables as exact_tables
from ncpu_cli.machine.exact.machine import ExactMachine
from ncpu_cli.machine.reference import run_reference

PROGRAMS = int(os.environ.get("NCPU_FUZZ_EXAMPLES", "2000"))
PER_BATCH = 50
FUZZ = settings(max_examples=max(1, PROGRAMS // PER_BATCH), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_random_batches_match_reference():
    """...and counts the distinct programs it checked: PROGRAMS (2,000 by default)."""
    checked: set = set()

    @FUZZ
    @given(batch=random_batches(PER_BATCH))
    def run(batch):
        config, images, inputs = batch
        check_batch(config, images, inputs)
        checked.update((tuple(im.words), im.entry, i) for i, im in enumerate(images))

    run()
    assert len(checked) >= 0.95 * min(PROGRAMS, max(1, PROGRAMS // PER_BATCH) * PER_BATCH)


@settings(max_examples=max(1, PROGRAMS // 40), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=random_programs(batch=(1, 6)))
def test_one_image_many_inputs_match_reference(case):
    image, config, inputs = case
    check_batch(config, [image] * len(inputs), inputs,
                machine=ExactMachine(image, config, inputs))


@settings(max_examples=max(1, PROGRAMS // 100), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=random_programs(batch=(1, 3), soft_ok=True))
def test_soft_ok_programs_never_store_into_code(case):
    """The soft_ok variant (for the soft executor): code words never change, and the exact
    machine still agrees with the reference."""
    image, config, inputs = case
    got = check_batch(config, [image] * len(inputs), inputs)
    code = [w - 2**32 if w >= 2**31 else w for w in image.words]
    for r in got:
        assert r.mem[: len(code)] == code


@pytest.mark.parametrize("seed", range(3))
def test_large_memories_match_reference(seed):
    """Memories up to 65,536 words (big flat offsets, stack at the top, code far from the
    data), with longer runs and outputs."""
    b = gen_batch(random.Random(5000 + seed), 20, mem_words=(8192, 65536), max_cycles=3000,
                  max_out=(None, 100, 5000)[seed])
    check_batch(b.config, b.images, b.inputs)


def test_generator_reaches_every_outcome():
    """The generator's programs end in every status and fault reason, use every opcode."""
    seen, ops = set(), set()
    from progen import ISA

    for seed in range(60):
        b = gen_batch(random.Random(seed), 20)
        for im, inp in zip(b.images, b.inputs):
            r = run_reference(im, b.config, inp)
            seen.add((r.status, r.reason))
            ops.update(ISA.fields["op"].get(w) for w in im.words)
    assert {("halted", None), ("timeout", None), ("fault", "opcode"), ("fault", "address"),
            ("fault", "target"), ("fault", "output-full")} <= seen
    assert {o.opcode for o in ISA.ops} <= ops


@pytest.mark.parametrize("seed", range(4))
def test_chunks_steps_and_the_pure_cycle_agree(seed):
    """The same batch run to the end, stepped in uneven pieces, and iterated with the
    pure `cycle` (no machine, no donation) ends in the same state."""
    b = gen_batch(random.Random(1000 + seed), 60)
    whole = ExactMachine(b.images[0], b.config, b.inputs, images=b.images)
    got = check_batch(b.config, b.images, b.inputs, machine=whole)
    pieces = ExactMachine(b.images[0], b.config, b.inputs, images=b.images)
    rng = random.Random(seed)
    while pieces.steps < b.config.max_cycles:
        pieces.step(rng.choice([1, 3, 17, 64, 100]))
    for x, y in zip(got, pieces.results(with_mem=True)):
        assert_same(y, x)
    fresh = ExactMachine(b.images[0], b.config, b.inputs, images=b.images)
    s, t = fresh.state, exact_tables.tables(fresh.device)
    s = s.replace(out=s.with_out_capacity(b.config.max_out).out)
    for _ in range(b.config.max_cycles):
        s = exact_step.cycle(s, t)
    for k, v in s.tensors().items():
        want = getattr(pieces.state, k)
        if k == "status":  # the machine marks what still runs at the limit as timed out
            v = torch.where(v == S_RUNNING, S_TIMEOUT, v)
        if k == "out":
            v, want = v[:, : want.shape[1]], want[:, : v.shape[1]]
        assert torch.equal(v, want), k


def test_fuzz_default_size():
    """The default suite is sized to check 2,000 programs (the count of programs really
    checked is asserted by test_random_batches_match_reference)."""
    if "NCPU_FUZZ_EXAMPLES" not in os.environ:
        assert PROGRAMS == 2000
    assert MachineConfig().device == "cpu"
