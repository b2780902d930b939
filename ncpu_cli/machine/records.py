"""`ncpu run --inputs FILE`: one program per record of a YAML or JSON Lines file;
`build_batch`: the run's input options (and such a file) -> a Batch.

A record has the optional fields `set` (register -> value), `input` (list of
values) and `mem` (address -> value); anything else is an error naming the
file, the record (1-based) and the field. Text is parsed by textdata.py, so a
number of thousands of digits or nesting a thousand deep is a message too.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Sequence

from ncpu_cli.machine.inputs import (
    Batch,
    InputError,
    ProgramInput,
    check_address,
    cut,
    merge,
    parse_address,
    parse_input,
    parse_mem,
    parse_register,
    parse_set,
    parse_sweep,
    parse_word,
)
from ncpu_cli.textdata import DataError, load_json, load_yaml

RECORD_FIELDS = ("set", "input", "mem", "program")
MAX_INPUTS_BYTES = 256 << 20  # a million records of a few words each fit with room to spare


def _record(raw: Any, mem_words: int | None) -> tuple[ProgramInput, bool, str | None]:
    """One record {set: {reg: v}, input: [..], mem: {addr: v}, program: path} ->
    (ProgramInput, whether it has an `input` field, the program path or None).
    Errors are raised through `_FieldError`."""
    if raw is None:
        return ProgramInput(), False, None
    if not isinstance(raw, dict):
        fields = ", ".join(RECORD_FIELDS)
        raise _FieldError(None, f"a record must be a mapping with fields {fields}")
    for key in raw:
        if key not in RECORD_FIELDS:
            fields = ", ".join(RECORD_FIELDS)
            raise _FieldError(cut(str(key)), f"unknown field (expected one of {fields})")
    regs: dict[int, int] = {}
    mem: dict[int, int] = {}
    stream: tuple[int, ...] = ()
    try:
        name = "set"
        value = raw.get("set") or {}
        if not isinstance(value, dict):
            raise InputError("expected a mapping of register -> value")
        for k, v in value.items():
            regs[parse_register(k if isinstance(k, str) else f"r{k}")] = parse_word(v)
        name = "input"
        value = raw.get("input")
        if value is None:
            stream = ()
        elif isinstance(value, str):
            stream = parse_input(value)
        elif isinstance(value, list):
            stream = tuple(parse_word(v) for v in value)
        elif isinstance(value, int) and not isinstance(value, bool):
            stream = (parse_word(value),)
        else:
            raise InputError("expected a list of values")
        name = "mem"
        value = raw.get("mem") or {}
        if not isinstance(value, dict):
            raise InputError("expected a mapping of address -> value")
        for k, v in value.items():
            addr = parse_address(k)
            check_address(addr, mem_words)
            mem[addr] = parse_word(v)
    except InputError as err:
        raise _FieldError(name, str(err)) from None
    program = raw.get("program")
    if program is not None and (not isinstance(program, str) or not program.strip()):
        raise _FieldError("program", "expected the path of a program (a source or an image)")
    return ProgramInput(regs, stream, mem), raw.get("input") is not None, program


class _FieldError(Exception):
    def __init__(self, field_name: str | None, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


def _records_from_yaml(data: Any) -> list[Any] | None:
    if isinstance(data, dict) and set(data) == {"programs"}:
        data = data["programs"]
    return data if isinstance(data, list) else None


def _parse_jsonl(text: str, name: str) -> list[Any]:
    records = []
    for n, line in enumerate((ln for ln in text.splitlines() if ln.strip()), start=1):
        try:
            records.append(load_json(line))
        except DataError as err:
            raise InputError(f"{name}: record {n}: {err.message}") from None
    return records


def _looks_like_jsonl(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return False
    try:
        return all(isinstance(load_json(ln), dict) for ln in lines)
    except DataError:
        return False


def _read_stdin() -> str:
    try:
        return sys.stdin.read()
    except UnicodeDecodeError:
        raise InputError("<stdin>: not text (--inputs - needs YAML or JSON Lines)") from None


def _read_file(p: Path, name: str) -> str:
    """The text of an inputs file: a regular file or a pipe (`<(...)`), at most
    MAX_INPUTS_BYTES of UTF-8; anything else is an InputError saying what is wrong."""
    need = "--inputs needs a YAML or JSON Lines file"
    if not p.exists():
        raise InputError(f"{name}: no such file ({need})")
    if p.is_dir():
        raise InputError(f"{name}: is a directory ({need})")
    if not (p.is_file() or p.is_fifo()):
        raise InputError(f"{name}: not a regular file (a device or socket; {need})")
    try:
        with open(p, "rb") as fh:
            data = fh.read(MAX_INPUTS_BYTES + 1)
    except OSError as err:
        raise InputError(f"{name}: cannot read it ({err.strerror or err})") from None
    if len(data) > MAX_INPUTS_BYTES:
        raise InputError(f"{name}: larger than {MAX_INPUTS_BYTES >> 20} MiB ({need})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{name}: not a text file (not UTF-8 at byte {err.start}; {need})"
                         ) from None


def load_inputs_file(path: str | Path, mem_words: int | None = None) -> list[ProgramInput]:
    """Programs described by a YAML or JSON Lines file (see `read_records`)."""
    return [prog for prog, _ in read_records(path, mem_words)]


def read_records(path: str | Path, mem_words: int | None = None) -> list[tuple[ProgramInput, bool]]:
    """(inputs, has an `input` field) of every record (see `read_program_records`)."""
    return [(prog, has) for prog, has, _ in read_program_records(path, mem_words)]


def read_program_records(path: str | Path, mem_words: int | None = None
                         ) -> list[tuple[ProgramInput, bool, str | None]]:
    """Programs described by a YAML file (a list of records, or {programs: [...]}) or a
    JSON Lines file (one record per line); `-` reads them from stdin. A record has the
    optional fields `set` (register -> value), `input` (list of values), `mem`
    (address -> value) and `program` (a path relative to the file, returned as written).
    Errors name the file, the record (1-based) and the field."""
    name = str(path)
    p = Path(path)
    if name == "-":  # records on stdin
        name, text, suffix = "<stdin>", _read_stdin(), ""
    else:
        text, suffix = _read_file(p, name), p.suffix.lower()
    shape = ("expected a YAML list of records, a mapping {programs: [...]}, "
             "or one JSON object per line")
    jsonl = suffix in (".jsonl", ".ndjson")
    if jsonl or (suffix not in (".yaml", ".yml") and _looks_like_jsonl(text)):
        raw = _parse_jsonl(text, name)
    else:
        try:
            data = load_yaml(text)
        except DataError as err:
            raise InputError(f"{name}: not valid YAML or JSON Lines ({err.message})") from None
        raw = [] if data is None else _records_from_yaml(data)
        if raw is None:
            raise InputError(f"{name}: not an inputs file ({shape})")
    if not raw:
        raise InputError(f"{name}: no records ({shape})")
    programs: list[tuple[ProgramInput, bool, str | None]] = []
    for n, rec in enumerate(raw, start=1):
        try:
            programs.append(_record(rec, mem_words))
        except _FieldError as err:
            where = f"field `{err.field}`: " if err.field else ""
            raise InputError(f"{name}: record {n}: {where}{err.message}") from None
    return programs


def build_batch(
    sets: Sequence[str] = (),
    input: str | None = None,
    mems: Sequence[str] = (),
    *,
    batch: int | None = None,
    sweep: str | None = None,
    inputs_file: str | Path | None = None,
    mem_words: int | None = None,
) -> Batch:
    """Combine the command-line input options into a Batch.

    --set/--input/--mem apply to every program; at most one of --batch N,
    --sweep, --inputs FILE says how many programs there are."""
    chosen = [n for n, v in (("--batch", batch), ("--sweep", sweep), ("--inputs", inputs_file))
              if v is not None]
    if len(chosen) > 1:
        raise InputError(f"{' and '.join(chosen)} cannot be combined; choose one")
    regs: dict[int, int] = {}
    for s in sets:
        try:
            reg, value = parse_set(s)
        except InputError as err:
            raise InputError(f"--set {cut(s)}: {err}") from None
        regs[reg] = value
    mem: dict[int, int] = {}
    for m in mems:
        try:
            addr, value = parse_mem(m)
            check_address(addr, mem_words)
        except InputError as err:
            raise InputError(f"--mem {cut(m)}: {err}") from None
        mem[addr] = value
    try:
        stream = parse_input(input) if input is not None else ()
    except InputError as err:
        raise InputError(f"--input {cut(input)}: {err}") from None
    base = ProgramInput(regs, stream, mem)
    if batch is not None:
        if batch < 1:
            raise InputError(f"--batch {batch}: must be at least 1")
        return Batch(base, copies=batch)
    if sweep is not None:
        try:
            sw = parse_sweep(sweep)
        except InputError as err:
            raise InputError(f"--sweep {cut(sweep)}: {err}") from None
        return Batch(base, sweep=sw)
    if inputs_file is not None:
        recs = read_records(inputs_file, mem_words)
        return Batch(base, records=tuple(merge(base, r, has_input=h) for r, h in recs))
    return Batch(base)
