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

A spec may also state the intended function (``spec_inputs.py``):
```yaml
reference: naive.s       # or `reference_source: |`; an ncpu32 program, loops allowed
reference_max_cycles: 100000   # default 1,000,000
inputs: {r1: [edges, any32], input: ["0:9"], mem: {40: "0:255"}}   # how inputs are drawn
check: {regs: [r2], out: false, mem: [41], status: true}   # what must equal the reference
examples: 32             # drawn: 32 plus the edge sweep (seeded); or a list whose
                         #   `expect` may be left out (the reference computes it)
holdout: 16              # likewise
verify: 10000            # fresh inputs a solution must pass (default 10,000 with a reference)
```
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from ncpu_cli.errors import FitError, RunError
from ncpu_cli.fit.spec_inputs import (
    NEW_KEYS,
    example_sets,
    parse_check,
    parse_inputs,
    parse_reference,
    parse_verify,
)
from ncpu_cli.fit.spec_types import Check, Example, Expect, FitSpec, Reference  # noqa: F401
from ncpu_cli.machine.config import DEFAULT_MEM_WORDS, check_mem_words
from ncpu_cli.machine.inputs import ProgramInput, check_word, parse_register
from ncpu_cli.machine.result import FAULT, HALTED, TIMEOUT
from ncpu_cli.textdata import DuplicateKey, YamlLoader

DEFAULT_FIT_CYCLES = 10_000
MAX_FIT_CYCLES = 1_000_000
STATUSES = (HALTED, FAULT, TIMEOUT)
SPEC_KEYS = {"sketch", "source", "mem_words", "max_cycles", "examples", "holdout"} | NEW_KEYS
EXAMPLE_KEYS = {"set", "input", "mem", "expect"}
EXPECT_KEYS = {"out", "regs", "mem", "status"}


class _Loader(YamlLoader):
    """The project's YAML loader (a duplicate key is an error) without base-60 numbers:
    `r1: 1:30` is the string "1:30" (a range), not 90."""


def _no_base60(rx: re.Pattern) -> re.Pattern:
    """`rx` without its base-60 alternatives (the lines with `(?::`)."""
    text = "\n".join(alt for alt in rx.pattern.split("\n") if "(?::" not in alt)
    return re.compile(text if text.endswith(")$") else text + ")$", rx.flags)


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, _no_base60(rx) if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
          else rx) for tag, rx in rs]
    for ch, rs in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_spec(path: str | Path, *, seed: int = 0) -> FitSpec:
    """Read and check a spec file; FitError with the file name on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FitError(f"{path}: no such spec file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FitError(f"{path}: cannot read the spec ({exc})") from None
    return parse_spec(text, name=str(path), base=path.parent, seed=seed)


def parse_spec(text: str, *, name: str = "<spec>", base: str | Path = ".",
               seed: int = 0) -> FitSpec:
    """A spec from its YAML text; `seed` draws the examples a spec gives as a number."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        if isinstance(exc, DuplicateKey):
            raise FitError(f"{name}{where}: {problem}") from None
        raise FitError(f"{name}{where}: the spec is not valid YAML ({problem})") from None
    return _Checker(name, Path(base), seed).spec(data)


class _Checker:
    def __init__(self, name: str, base: Path, seed: int = 0):
        self.name, self.base, self.seed = name, base, seed

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
        ref = parse_reference(self, data, mem_words)
        if "check" in data and ref is None:
            raise self.fail("check", "compares a candidate with the reference: give "
                                     "`reference: FILE.s` or `reference_source: |`")
        check = parse_check(self, data.get("check"), mem_words)
        space = parse_inputs(self, data["inputs"], mem_words) if "inputs" in data else None
        verify = parse_verify(self, data.get("verify"))
        examples, holdout, space = example_sets(self, data, mem_words, ref, check, space,
                                                self.seed)
        stem = Path(self.name).stem if self.name != "<spec>" else "spec"
        return FitSpec(source, sketch_name, sketch_path, mem_words, max_cycles, examples,
                       holdout, stem, self.base, ref, space, check, verify, self.seed)

    def sketch(self, data: dict) -> tuple[str, str, Path | None]:
        if ("sketch" in data) == ("source" in data):
            raise self.fail("", "give exactly one of `sketch: FILE.s` and `source: |` (inline text)")
        if "source" in data:
            if not isinstance(data["source"], str) or not data["source"].strip():
                raise self.fail("source", "expected the sketch's text")
            return data["source"], f"{self.name}:source", None
        text, path = self.program_file(data, "sketch")
        return text, str(path), path

    def program_file(self, data: dict, key: str) -> tuple[str, Path]:
        """The text and path of the program file `data[key]` names (relative to the spec)."""
        rel = data[key]
        if not isinstance(rel, str) or not rel:
            raise self.fail(key, "expected a file name")
        path = self.base / rel
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise self.fail(key, f"no such {key} file `{path}`") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise self.fail(key, f"cannot read `{path}` ({exc})") from None
        return text, path

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

    def example(self, raw: Any, where: str, mem_words: int, computed: bool = False
                ) -> tuple[ProgramInput, Expect | None]:
        """An example's input and expect; with `computed` (a reference), a left-out
        `expect` is None: the reference computes it."""
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
        if computed and raw.get("expect") is None:
            return inp, None
        exp = self.mapping(raw.get("expect"), f"{where}.expect")
        unknown = sorted(set(map(str, exp)) - EXPECT_KEYS)
        if unknown:
            raise self.fail(f"{where}.expect", f"unknown field `{unknown[0]}` "
                                               f"(known: {', '.join(sorted(EXPECT_KEYS))})")
        status = exp.get("status", HALTED)  # a fault of any reason matches `fault`
        if status not in STATUSES:
            raise self.fail(f"{where}.expect.status",
                            f"`{str(status)[:40]}` is not one of {', '.join(STATUSES)}")
        if not EXPECT_KEYS & set(exp):
            raise self.fail(f"{where}.expect", "expects nothing: give at least one of "
                                               f"{', '.join(sorted(EXPECT_KEYS))}")
        out = exp.get("out")
        if out is not None and not isinstance(out, list):
            raise self.fail(f"{where}.expect.out", "expected a list of words")
        expect = Expect(
            out=None if out is None else tuple(self.word(v, f"{where}.expect.out") for v in out),
            regs=self.regs(exp.get("regs"), f"{where}.expect.regs"),
            mem=self.cells(exp.get("mem"), f"{where}.expect.mem", mem_words),
            status=status,
        )
        return inp, expect


def load_like(reference_path: str | Path, sketch_path: str | Path, args=("r1",),
              results=("r1",), *, mem_words: int = DEFAULT_MEM_WORDS,
              max_cycles: int = DEFAULT_FIT_CYCLES, reference_max_cycles: int | None = None,
              examples: int = 16, holdout: int = 0, verify: int | None = None,
              seed: int = 0) -> FitSpec:
    """The spec of `ncpu fit --like PROG.s SKETCH.s` (superoptimisation): SKETCH's shape,
    PROG's function. Inputs: the `args` registers, drawn from [edges, any32]; a candidate
    must halt with the `results` registers equal to PROG's. `examples` are drawn (plus the
    edge sweep) and computed by PROG."""
    regs = {}
    for option, names in (("--args", args), ("--results", results)):
        if isinstance(names, str) or not names:
            raise FitError(f"{option}: expected one or more registers (e.g. r1,r2)")
        for name in names:
            try:
                regs.setdefault(option, []).append(parse_register(str(name)))
            except RunError as exc:
                raise FitError(f"{option}: {exc}") from None
    data: dict[str, Any] = {
        "sketch": str(sketch_path), "reference": str(reference_path), "mem_words": mem_words,
        "max_cycles": max_cycles, "inputs": {f"r{r}": ["edges", "any32"] for r in regs["--args"]},
        "check": {"regs": [f"r{r}" for r in regs["--results"]], "status": True},
        "examples": examples, "holdout": holdout}
    if reference_max_cycles is not None:
        data["reference_max_cycles"] = reference_max_cycles
    if verify is not None:
        data["verify"] = verify
    spec = _Checker("--like", Path("."), seed).spec(data)
    return replace(spec, name=Path(sketch_path).stem)
