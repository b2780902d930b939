"""Shared by the `ncpu fit` tests: tiny tasks written into tmp_path, the CLI runner, and an
independent check of a fitted program on the reference interpreter.

A task is a plain dict in the spec's own form (YAML fields) plus its sketch text. The
expected values of every task come from its one-line definition (Python arithmetic),
never from running our code; `passes_everything` checks a fitted program by assembling
it WITHOUT holes and running every example and holdout on the reference interpreter.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from ncpu_cli.asm import assemble
from ncpu_cli.cli import app
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.inputs import ProgramInput, parse_register
from ncpu_cli.machine.reference import run_reference

WORD = 1 << 32
# options that keep every fit small; runs are bounded by steps (deterministic for a seed),
# the time limit is only a safety net (a busy machine, the first fit's compile time)
QUICK = ["--restarts", "16", "--seed", "0", "--time-limit", "120"]
SAFETY = 120.0


def task(sketch: str, examples: list[dict], holdout: list[dict] | None = None, *,
         mem_words: int = 16, max_cycles: int = 16) -> dict:
    spec = {"mem_words": mem_words, "max_cycles": max_cycles, "examples": examples}
    if holdout:
        spec["holdout"] = holdout
    return {"sketch_text": sketch, "spec": spec}


# r2 = r1 + 11 (a constant)
CONST = task(
    "; r2 = r1 + C\n        addi r2, r1, ??[0:15]   ; C\n        halt\n",
    [{"set": {"r1": r1}, "expect": {"regs": {"r2": r1 + 11}}} for r1 in (0, 5, -20)],
    [{"set": {"r1": 1000}, "expect": {"regs": {"r2": 1011}}}],
)
# r2 = r4 + r1 (which register holds the addend)
REG = task(
    "        add r2, ??, r1   ; pick the register\n        halt\n",
    [{"set": {"r1": 1, "r3": 10, "r4": 20, "r5": 30}, "expect": {"regs": {"r2": 21}}},
     {"set": {"r1": 2, "r3": 11, "r4": 40, "r5": 7}, "expect": {"regs": {"r2": 42}}}],
    [{"set": {"r1": 3, "r3": 1, "r4": 2, "r5": 3}, "expect": {"regs": {"r2": 5}}}],
)
# r3 = r1 - r2 (which mnemonic)
MNEMONIC = task(
    "        ?{add,sub,mul,xor} r3, r1, r2\n        halt\n",
    [{"set": {"r1": 9, "r2": 4}, "expect": {"regs": {"r3": 5}}},
     {"set": {"r1": 3, "r2": 7}, "expect": {"regs": {"r3": 3 - 7}}}],
    [{"set": {"r1": 100, "r2": 1}, "expect": {"regs": {"r3": 99}}}],
)
EASY = {"const": CONST, "reg": REG, "mnemonic": MNEMONIC}


def write_task(folder: Path, name: str, t: dict) -> Path:
    """Write NAME.s and NAME.yaml (its spec, `sketch: NAME.s`) into `folder`; the spec's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.s").write_text(t["sketch_text"])
    spec = {"sketch": f"{name}.s", **t["spec"]}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def runner() -> CliRunner:
    return CliRunner(env={"NO_COLOR": "1", "COLUMNS": "160"})


def ncpu_fit(*args):
    """`ncpu fit ARGS` in-process; the click Result (stdout and stderr apart)."""
    return runner().invoke(app, ["fit", *map(str, args)])


def json_of(result) -> dict:
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout  # one JSON object, nothing else on stdout
    return json.loads(lines[0])


def no_traceback(result) -> None:
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def _input(example: dict) -> ProgramInput:
    return ProgramInput(
        set={parse_register(str(k)): v % WORD for k, v in (example.get("set") or {}).items()},
        input=tuple(v % WORD for v in example.get("input") or []),
        mem={int(k): v % WORD for k, v in (example.get("mem") or {}).items()},
    )


def example_passes(image, config: MachineConfig, example: dict) -> bool:
    res = run_reference(image, config, _input(example))
    want = example["expect"]
    if res.status != want.get("status", "halted"):
        return False
    for reg, value in (want.get("regs") or {}).items():
        if res.regs[parse_register(str(reg))] % WORD != value % WORD:
            return False
    for addr, value in (want.get("mem") or {}).items():
        if res.mem[int(addr)] % WORD != value % WORD:
            return False
    if "out" in want and [v % WORD for v in res.out] != [v % WORD for v in want["out"]]:
        return False
    return True


def passes_everything(program: str, t: dict) -> bool:
    """The fitted `program` (no holes left) passes every example and holdout of task `t`."""
    spec = t["spec"]
    assert "??" not in program and "?{" not in program, program
    image = assemble(program, "fitted.s", mem_words=spec["mem_words"])  # holes would fail here
    config = MachineConfig(mem_words=spec["mem_words"], max_cycles=spec["max_cycles"])
    cases = list(spec["examples"]) + list(spec.get("holdout") or [])
    return all(example_passes(image, config, ex) for ex in cases)
