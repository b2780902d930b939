"""The fit spec: a sketch, its machine size and input/output examples (YAML).

```yaml
sketch: lut.s            # relative to the spec file (or `source: |` with the text inline)
mem_words: 64            # default 1024
max_cycles: 200          # per example, default 10000
examples:                # at least one
  - set: {r1: 3}         # registers at reset
    input: [1, 2]        # input stream
    mem: {40: 7}         # memory cells at reset
    expect: {out: [10], regs: {r2: 10}, mem: {41: 5}, status: halted}
holdout: [...]           # same form; never in the loss, must pass before "solved"
```
Values are ints (negative allowed) wrapped to 32 bits like `.word`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ncpu_cli.errors import FitError, RunError
from ncpu_cli.machine.config import DEFAULT_MEM_WORDS, check_mem_words
from ncpu_cli.machine.inputs import ProgramInput, check_word, parse_register
from ncpu_cli.machine.result import FAULT, HALTED, TIMEOUT

DEFAULT_FIT_CYCLES = 10_000
MAX_FIT_CYCLES = 1_000_000
STATUSES = (HALTED, FAULT, TIMEOUT)
SPEC_KEYS = {"sketch", "source", "mem_words", "max_cycles", "examples", "holdout"}
EXAMPLE_KEYS = {"set", "input", "mem", "expect"}
EXPECT_KEYS = {"out", "regs", "mem", "status"}


@dataclass(frozen=True)
class Expect:
    """What one example must end with; words are 32-bit (0..2^32-1)."""

    out: tuple[int, ...] | None = None  # the whole output stream
    regs: dict[int, int] = field(default_factory=dict)
    mem: dict[int, int] = field(default_factory=dict)
    status: str = HALTED


@dataclass(frozen=True)
class Example:
    inp: ProgramInput
    expect: Expect


@dataclass(frozen=True)
class FitSpec:
    source: str  # the sketch's text
    sketch_name: str  # its file name (for messages), or "<spec>" when inline
    sketch_path: Path | None  # the sketch file (None: inline `source:`)
    mem_words: int
    max_cycles: int
    examples: tuple[Example, ...]
    holdout: tuple[Example, ...] = ()
    name: str = "spec"
    base_dir: Path = Path(".")  # the spec's folder: an inline source's `.include`s start here

    @property
    def include_dir(self) -> Path:
        """Where the sketch's `.include` paths start: the sketch file's folder, or the spec's."""
        return self.sketch_path.parent if self.sketch_path is not None else self.base_dir


def load_spec(path: str | Path) -> FitSpec:
    """Read and check a spec file; FitError with the file name on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FitError(f"{path}: no such spec file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FitError(f"{path}: cannot read the spec ({exc})") from None
    return parse_spec(text, name=str(path), base=path.parent)


def parse_spec(text: str, *, name: str = "<spec>", base: str | Path = ".") -> FitSpec:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise FitError(f"{name}{where}: the spec is not valid YAML ({problem})") from None
    return _Checker(name, Path(base)).spec(data)


class _Checker:
    def __init__(self, name: str, base: Path):
        self.name, self.base = name, base

    def fail(self, where: str, message: str) -> FitError:
        return FitError(f"{self.name}: {where}: {message}" if where else f"{self.name}: {message}")

    def spec(self, data: Any) -> FitSpec:
        if not isinstance(data, dict):
            raise self.fail("", "a spec is a mapping with `sketch` (or `source`) and `examples`")
        unknown = sorted(set(map(str, data)) - SPEC_KEYS)
        if unknown:
            raise self.fail("", f"unknown field `{unknown[0]}` (known: {', '.join(sorted(SPEC_KEYS))})")
        source, sketch_name, sketch_path = self.sketch(data)
        mem_words = self.number(data.get("mem_words", DEFAULT_MEM_WORDS), "mem_words")
        try:
            check_mem_words(mem_words)
        except RunError as exc:
            raise self.fail("mem_words", str(exc)) from None
        max_cycles = self.number(data.get("max_cycles", DEFAULT_FIT_CYCLES), "max_cycles")
        if not 1 <= max_cycles <= MAX_FIT_CYCLES:
            raise self.fail("max_cycles", f"{max_cycles} outside 1..{MAX_FIT_CYCLES}")
        if "examples" not in data or data["examples"] in (None, []):
            raise self.fail("examples", "the spec has no examples (at least one is needed)")
        examples = self.examples(data["examples"], "examples", mem_words)
        holdout = self.examples(data.get("holdout") or [], "holdout", mem_words)
        stem = Path(self.name).stem if self.name != "<spec>" else "spec"
        return FitSpec(source, sketch_name, sketch_path, mem_words, max_cycles,
                       tuple(examples), tuple(holdout), stem, self.base)

    def sketch(self, data: dict) -> tuple[str, str, Path | None]:
        if ("sketch" in data) == ("source" in data):
            raise self.fail("", "give exactly one of `sketch: FILE.s` and `source: |` (inline text)")
        if "source" in data:
            if not isinstance(data["source"], str) or not data["source"].strip():
                raise self.fail("source", "expected the sketch's text")
            return data["source"], f"{self.name}:source", None
        rel = data["sketch"]
        if not isinstance(rel, str) or not rel:
            raise self.fail("sketch", "expected a file name")
        path = self.base / rel
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise self.fail("sketch", f"no such sketch file `{path}`") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise self.fail("sketch", f"cannot read `{path}` ({exc})") from None
        return text, str(path), path

    def number(self, raw: Any, where: str) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise self.fail(where, f"expected a whole number, got `{raw!r}`")
        return raw

    def word(self, raw: Any, where: str) -> int:
        try:
            return check_word(self.number(raw, where))
        except RunError as exc:
            raise self.fail(where, str(exc)) from None

    def mapping(self, raw: Any, where: str) -> dict:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.fail(where, f"expected a mapping, got `{raw!r}`")
        return raw

    def regs(self, raw: Any, where: str) -> dict[int, int]:
        out = {}
        for key, value in self.mapping(raw, where).items():
            try:
                reg = parse_register(str(key))
            except RunError as exc:
                raise self.fail(where, str(exc)) from None
            out[reg] = self.word(value, f"{where}.{key}")
        return out

    def cells(self, raw: Any, where: str, mem_words: int) -> dict[int, int]:
        out = {}
        for key, value in self.mapping(raw, where).items():
            addr = self.number(key, f"{where} address")
            if not 0 <= addr < mem_words:
                raise self.fail(where, f"memory cell {addr} outside 0..{mem_words - 1} "
                                       f"(mem_words is {mem_words})")
            out[addr] = self.word(value, f"{where}.{addr}")
        return out

    def examples(self, raw: Any, where: str, mem_words: int) -> list[Example]:
        if not isinstance(raw, list):
            raise self.fail(where, "expected a list of examples")
        return [self.example(item, f"{where}[{i}]", mem_words) for i, item in enumerate(raw)]

    def example(self, raw: Any, where: str, mem_words: int) -> Example:
        raw = self.mapping(raw, where)
        unknown = sorted(set(map(str, raw)) - EXAMPLE_KEYS)
        if unknown:
            raise self.fail(where, f"unknown field `{unknown[0]}` "
                                   f"(known: {', '.join(sorted(EXAMPLE_KEYS))})")
        stream = raw.get("input") or []
        if not isinstance(stream, list):
            raise self.fail(f"{where}.input", "expected a list of words")
        inp = ProgramInput(
            set=self.regs(raw.get("set"), f"{where}.set"),
            input=tuple(self.word(v, f"{where}.input") for v in stream),
            mem=self.cells(raw.get("mem"), f"{where}.mem", mem_words),
        )
        exp = self.mapping(raw.get("expect"), f"{where}.expect")
        unknown = sorted(set(map(str, exp)) - EXPECT_KEYS)
        if unknown:
            raise self.fail(f"{where}.expect", f"unknown field `{unknown[0]}` "
                                               f"(known: {', '.join(sorted(EXPECT_KEYS))})")
        if not {"out", "regs", "mem"} & set(exp):
            raise self.fail(f"{where}.expect", "expects nothing: give at least one of out, regs, mem")
        out = exp.get("out")
        if out is not None and not isinstance(out, list):
            raise self.fail(f"{where}.expect.out", "expected a list of words")
        status = exp.get("status", HALTED)
        if status not in STATUSES:
            raise self.fail(f"{where}.expect.status", f"`{status}` is not one of {', '.join(STATUSES)}")
        expect = Expect(
            out=None if out is None else tuple(self.word(v, f"{where}.expect.out") for v in out),
            regs=self.regs(exp.get("regs"), f"{where}.expect.regs"),
            mem=self.cells(exp.get("mem"), f"{where}.expect.mem", mem_words),
            status=status,
        )
        return Example(inp, expect)
