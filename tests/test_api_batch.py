"""`run_batch` from Python: a list of ProgramInputs, a tuple, or one ProgramInput runs
exactly as the equivalent `Batch` does, on every engine; anything else is one clear
error. (Issue 18 item 8: a list used to fail with `'list' object has no attribute
'check'`.)"""

from __future__ import annotations

import pytest

from ncpu_cli.asm import assemble
from ncpu_cli.errors import RunError
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import Batch, ProgramInput, Sweep
from ncpu_cli.run.batch import Outcome, as_batch, run_batch

# out = x + table[x] (x from the input stream), then r4 = r1 + r5 (r5 a preset)
SOURCE = """
        in   r1
        ld   r2, table(r1)
        add  r3, r1, r2
        out  r3
        add  r4, r1, r5
        halt
table:  .word 10, 20, 30, 40
"""
IMAGE = assemble(SOURCE)
CONFIG = MachineConfig(mem_words=32, max_cycles=100)
RUNS = [
    ProgramInput(input=(0,)),
    ProgramInput(set={5: 7}, input=(2,)),
    ProgramInput(input=(3,), mem={9: 100}),  # table[3] patched: 40 -> 100 (table is at 6)
]
# what each run prints, worked out by hand: x + table[x]
EXPECTED_OUT = [[0 + 10], [2 + 30], [3 + 100]]
EXPECTED_R4 = [0, 2 + 7, 3]
ENGINES = ["reference", "native", "torch", "soft"]


def _rows(outcome: Outcome) -> list[tuple]:
    return [(r.index, r.status, r.pc, r.cycles, r.regs, r.out, r.eof)
            for r in outcome.results()]


def test_the_table_sits_where_the_expectations_assume():
    assert IMAGE.symbols["table"] == 6


@pytest.mark.parametrize("engine", ENGINES)
def test_a_list_runs_like_the_batch_of_records(engine):
    listed = run_batch(IMAGE, CONFIG, list(RUNS), engine)
    batched = run_batch(IMAGE, CONFIG, Batch(records=tuple(RUNS)), engine)
    assert _rows(listed) == _rows(batched)
    assert listed.summary == batched.summary
    assert [r.out for r in listed.results()] == EXPECTED_OUT
    assert [r.regs[4] for r in listed.results()] == EXPECTED_R4
    assert listed.summary["count"] == 3 and listed.summary["halted"] == 3


@pytest.mark.parametrize("engine", ["reference", "native"])
def test_a_tuple_runs_like_the_list(engine):
    assert _rows(run_batch(IMAGE, CONFIG, tuple(RUNS), engine)) == _rows(
        run_batch(IMAGE, CONFIG, list(RUNS), engine))


@pytest.mark.parametrize("engine", ENGINES)
def test_one_program_input_runs_like_a_batch_of_one(engine):
    one = run_batch(IMAGE, CONFIG, RUNS[1], engine)
    batched = run_batch(IMAGE, CONFIG, Batch(RUNS[1]), engine)
    assert _rows(one) == _rows(batched)
    assert one.count == 1
    (result,) = one.results()
    assert result.out == EXPECTED_OUT[1] and result.regs[4] == EXPECTED_R4[1]


def test_a_batch_and_a_sweep_are_still_taken_as_they_are():
    batch = Batch(ProgramInput(input=(1,)), sweep=Sweep(5, [1, 2, 3]))
    assert as_batch(batch) is batch
    outcome = run_batch(IMAGE, CONFIG, batch, "reference")
    assert [r.regs[4] for r in outcome.results()] == [1 + 1, 1 + 2, 1 + 3]


def test_results_stream_by_index_and_summary_is_a_dict():
    outcome = run_batch(IMAGE, CONFIG, list(RUNS), "reference")
    assert [r.index for r in outcome.results([2, 0])] == [2, 0]
    assert next(outcome.results([1])).out == EXPECTED_OUT[1]
    assert set(outcome.summary) >= {"count", "halted", "fault", "timeout", "cycles_total"}
    assert outcome.exit_status() == "halted"


def test_a_memory_patch_outside_memory_names_the_program():
    with pytest.raises(RunError, match="program 2: .*40"):
        run_batch(IMAGE, CONFIG, [RUNS[0], ProgramInput(mem={40: 1})], "reference")


@pytest.mark.parametrize("bad, message", [
    ([ProgramInput(), 3], r"batch\[1\] is a int, not a ProgramInput"),
    ("r1=3", "batch is a str"),
    ({1: 2}, "batch is a dict"),
    (None, "batch is a NoneType"),
])
def test_anything_else_is_a_type_error(bad, message):
    with pytest.raises(TypeError, match=message):
        run_batch(IMAGE, CONFIG, bad, "reference")


def test_an_empty_list_and_an_unknown_engine_are_run_errors():
    with pytest.raises(RunError, match="empty batch"):
        run_batch(IMAGE, CONFIG, [], "reference")
    with pytest.raises(RunError, match="no engine `fast`.*native"):
        run_batch(IMAGE, CONFIG, RUNS, "fast")
