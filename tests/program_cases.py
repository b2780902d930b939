"""The programs of programs/ and their cases in programs/expected.yaml, shared by the
executor tests (exact and soft)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from ncpu_cli.asm import assemble_file
from ncpu_cli.machine.inputs import ProgramInput, parse_register, parse_word

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"
NAMES = sorted(p.stem for p in PROGRAMS.glob("*.s"))
EXPECTED = yaml.safe_load((PROGRAMS / "expected.yaml").read_text(encoding="utf-8"))
LIMITS = ("mem_words", "max_cycles", "max_out")  # case keys that configure the machine


@lru_cache(maxsize=None)
def image(name: str):
    return assemble_file(PROGRAMS / f"{name}.s")


def case_input(case: dict) -> ProgramInput:
    raw = case.get("inputs") or {}
    return ProgramInput(
        set={parse_register(str(k)): parse_word(v) for k, v in (raw.get("set") or {}).items()},
        input=tuple(parse_word(v) for v in raw.get("input") or []),
        mem={int(a): parse_word(v) for a, v in (raw.get("mem") or {}).items()},
    )
