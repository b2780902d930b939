"""The batch: per-program register presets, input streams and memory patches.

Parsers for the `ncpu run` input options (`--set r1=5`, `--input 1,2,3`,
`--mem 0x200=7`, `--sweep r1=0:1024`) and `Batch`, the programs of one run without
a million `ProgramInput` objects for `--batch 1000000` or a large sweep. The
`--inputs FILE` records and `build_batch` (the options -> a Batch) are in records.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from ncpu_cli.errors import RunError
from ncpu_cli.isa import load_isa, to_unsigned
from ncpu_cli.textdata import show_int

WORD_MIN = -(1 << 31)
WORD_MAX = (1 << 32) - 1
REGISTER_HINT = "r0..r15, zero, lr, sp"
MAX_SWEEP = 1 << 30  # programs of one --sweep: already 64 GiB of the smallest memory (16 words)
MAX_NUMBER_CHARS = 100  # a 32-bit word in binary with separators fits; int() of more is slow


@dataclass(frozen=True)
class ProgramInput:
    """What one program of a batch starts with, on top of the image.

    Values are stored as Python ints already reduced to 32-bit words
    (0..2^32-1); register keys are 0..15, memory keys are word addresses.
    """

    set: dict[int, int] = field(default_factory=dict)
    input: tuple[int, ...] = ()
    mem: dict[int, int] = field(default_factory=dict)


class InputError(RunError, ValueError):
    """A run input (`--set`, `--input`, `--mem`, `--sweep`, `--inputs`) is malformed."""


# ---------------------------------------------------------------- numbers


def parse_int(text: Any, what: str = "value") -> int:
    """An integer written in decimal, 0x hex, 0b binary or 0o octal, optionally negative."""
    if isinstance(text, bool):
        raise InputError(f"{what} must be a number, got `{text}`")
    if isinstance(text, int):
        return text
    if not isinstance(text, str):
        raise InputError(f"{what} must be a number, got `{cut(repr(text))}`")
    t = text.strip()
    if len(t) > MAX_NUMBER_CHARS:
        raise InputError(f"{what} `{t[:20]}...` is too long ({len(t):,} characters) for a number")
    try:
        if t.isascii():  # int() also reads other scripts' digits (`٣`, `１２`): ASCII only
            return int(t, 0)
    except ValueError:
        pass
    # int(..., 0) rejects leading zeros ("007"); accept plain decimal digits too.
    body = t[1:] if t[:1] in "+-" else t
    if t.isascii() and body.isdigit():  # isdigit() alone takes `²`, which int() refuses
        return int(t, 10)
    raise InputError(
        f"`{t}` is not a number (decimal, 0x hex, 0b binary or 0o octal, optionally negative)"
    )


def check_word(value: int) -> int:
    """`value` as a 32-bit word; it must lie in -2^31..2^32-1."""
    if not WORD_MIN <= value <= WORD_MAX:
        raise InputError(f"value {show_int(value)} out of 32-bit range ({WORD_MIN}..{WORD_MAX})")
    return to_unsigned(value)


def parse_word(text: Any) -> int:
    return check_word(parse_int(text))


def parse_register(text: Any) -> int:
    """Register number of `r1` / `sp` / `lr`; `r0` (`zero`) cannot be preset."""
    reg = load_isa().register(text) if isinstance(text, str) else None
    if reg is None:
        raise InputError(f"unknown register `{cut(str(text))}` (use {REGISTER_HINT})")
    if reg == 0:
        raise InputError(f"register `{text}` is r0, which always reads 0 and cannot be set")
    return reg


def parse_address(text: Any) -> int:
    addr = parse_int(text, "address")
    if addr < 0:
        raise InputError(f"memory address {addr} is negative")
    return addr


def cut(text: str, limit: int = 60) -> str:
    """An option's text echoed in a message, cut to `limit` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _split_assignment(text: str, form: str) -> tuple[str, str]:
    left, eq, right = text.partition("=")
    if not eq or not left.strip() or not right.strip():
        raise InputError(f"expected {form}, got `{cut(text)}`")
    return left.strip(), right.strip()


def check_address(addr: int, mem_words: int | None) -> None:
    if mem_words is not None and not 0 <= addr < mem_words:
        raise InputError(
            f"memory patch at address {addr} ({addr:#x}) is outside memory "
            f"(0..{mem_words - 1}; --mem-words {mem_words})"
        )


# ---------------------------------------------------------------- option parsers


def parse_set(text: str) -> tuple[int, int]:
    """`r1=5`, `sp=0x100`, `r3=-1` -> (register, 32-bit word)."""
    reg, value = _split_assignment(text, "REG=VALUE (e.g. r1=5)")
    return parse_register(reg), parse_word(value)


def parse_input(text: str) -> tuple[int, ...]:
    """`1,2,3` (commas and/or spaces; hex and negatives allowed; empty = no input). An
    empty item (`1,,2`, `1,2,`) is an error naming its place, not a word dropped."""
    if not text.strip():
        return ()
    words: list[int] = []
    col = 1
    for n, item in enumerate(text.split(","), start=1):
        if not item.strip():
            raise InputError(f"item {n} (column {col}) is empty: every comma must stand "
                             "between two words")
        words += [parse_word(p) for p in item.split()]
        col += len(item) + 1
    return tuple(words)


def parse_mem(text: str) -> tuple[int, int]:
    """`0x200=7` -> (address, 32-bit word). The address is checked against memory later."""
    addr, value = _split_assignment(text, "ADDR=VALUE (e.g. 0x200=7)")
    return parse_address(addr), parse_word(value)


@dataclass(frozen=True)
class Sweep:
    """One program per value of `reg` in `values` (signed ints, each a 32-bit word)."""

    reg: int
    values: range

    def __len__(self) -> int:
        return len(self.values)

    def word(self, i: int) -> int:
        return to_unsigned(self.values[i])


def parse_sweep(text: str) -> Sweep:
    """`r1=0:1024` or `r1=0:1024:2`: start:stop (exclusive)[:step], step non-zero."""
    form = "REG=START:STOP[:STEP] (e.g. r1=0:1024)"
    reg_text, spec = _split_assignment(text, form)
    reg = parse_register(reg_text)
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
        raise InputError(f"expected {form}, got `{cut(text)}`")
    start, stop = parse_int(parts[0]), parse_int(parts[1])
    step = parse_int(parts[2]) if len(parts) == 3 else 1
    if step == 0:
        raise InputError("step must not be 0")
    values = range(start, stop, step)
    if len(values) == 0:
        raise InputError(
            f"the range {spec.strip()} is empty (stop is exclusive; use a negative step to "
            "count down)"
        )
    check_word(values[0])
    check_word(values[-1])
    if len(values) > MAX_SWEEP:
        raise InputError(f"the range {spec.strip()} has {len(values):,} values, more than the"
                         f" largest sweep ({MAX_SWEEP:,} programs); split it")
    return Sweep(reg, values)


# ---------------------------------------------------------------- the batch


def merge(base: ProgramInput, over: ProgramInput, *, has_input: bool | None = None) -> ProgramInput:
    """`base` then `over`: registers and memory patched key by key; `over`'s input
    stream replaces `base`'s when `has_input` (default: when it is non-empty)."""
    if has_input is None:
        has_input = bool(over.input)
    return ProgramInput(
        {**base.set, **over.set},
        over.input if has_input else base.input,
        {**base.mem, **over.mem},
    )


@dataclass(frozen=True)
class Batch:
    """The programs of one run, described lazily.

    base      presets applied to every program (--set/--input/--mem)
    copies    number of identical programs (--batch N); 1 otherwise
    sweep     one program per value of a register (--sweep), or None
    records   one program per record (--inputs FILE, already merged over base), or None
    """

    base: ProgramInput = field(default_factory=ProgramInput)
    copies: int = 1
    sweep: Sweep | None = None
    records: tuple[ProgramInput, ...] | None = None

    @property
    def kind(self) -> str:
        if self.sweep is not None:
            return "sweep"
        if self.records is not None:
            return "records"
        return "copies"

    def __len__(self) -> int:
        if self.sweep is not None:
            return len(self.sweep)
        if self.records is not None:
            return len(self.records)
        return self.copies

    @property
    def size(self) -> int:
        return len(self)

    def program(self, i: int) -> ProgramInput:
        """The inputs of program `i` (0-based)."""
        if not 0 <= i < len(self):
            raise IndexError(i)
        if self.sweep is not None:
            return ProgramInput({**self.base.set, self.sweep.reg: self.sweep.word(i)},
                                self.base.input, dict(self.base.mem))
        if self.records is not None:
            return self.records[i]
        return self.base

    def __getitem__(self, i: int) -> ProgramInput:
        """A Batch is a sequence of ProgramInputs: the input of program `i`."""
        return self.program(i)

    def __iter__(self) -> Iterator[ProgramInput]:
        for i in range(len(self)):
            yield self.program(i)

    def materialise(self) -> list[ProgramInput]:
        return list(self)

    @property
    def max_input(self) -> int:
        """Longest input stream of any program."""
        if self.records is not None:
            return max((len(r.input) for r in self.records), default=0)
        return len(self.base.input)

    def check(self, mem_words: int) -> None:
        """Every memory patch must lie inside 0..mem_words-1."""
        progs: Sequence[ProgramInput] = self.records if self.records is not None else (self.base,)
        for n, prog in enumerate(progs, start=1):
            for addr in prog.mem:
                try:
                    check_address(addr, mem_words)
                except InputError as err:
                    where = f"program {n}: " if self.records is not None else ""
                    raise InputError(f"{where}{err}") from None

    def machine_args(self) -> dict[str, Any]:
        """The keyword arguments every engine's machine takes for these programs
        (machine/README.md): `inputs`, and `sweep` for a sweep, so that copies and sweeps
        need no ProgramInput object per program."""
        if self.sweep is not None:
            return {"inputs": [self.base] * len(self), "sweep": (self.sweep.reg, self.sweep.values)}
        if self.records is not None:
            return {"inputs": list(self.records)}
        return {"inputs": [self.base] * len(self)}


__all__ = ["ProgramInput", "InputError", "Batch", "Sweep", "merge", "parse_int", "parse_word",
           "parse_register", "parse_address", "parse_set", "parse_input", "parse_mem",
           "parse_sweep", "check_word", "check_address", "MAX_SWEEP"]
