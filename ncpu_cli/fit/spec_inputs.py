"""The spec's fields that state the intended function: ``reference`` /
``reference_source``, ``reference_max_cycles``, ``inputs``, ``check``, ``verify``, and
``examples`` / ``holdout`` given as a number (drawn) or as a list whose ``expect`` the
reference computes.

Each function takes the spec reader (``spec._Checker``: ``fail``, ``number``, ``name``,
``base``) so every message names the spec file and the key.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ncpu_cli.errors import RunError
from ncpu_cli.fit.draw import Inputs, InputSpace, drawn, infer_space, parse_form
from ncpu_cli.fit.reference import load_reference, reference_expects
from ncpu_cli.fit.spec_types import DEFAULT_REFERENCE_CYCLES, Check, Example, Reference
from ncpu_cli.machine.inputs import ProgramInput, parse_int, parse_register

NEW_KEYS = {"reference", "reference_source", "reference_max_cycles", "inputs", "check", "verify"}
CHECK_KEYS = {"regs", "out", "mem", "status"}
DEFAULT_DRAWN = 16  # `examples:` left out with a reference and inputs: 16 drawn plus the edges
MAX_DRAWN = 100_000
MAX_REFERENCE_CYCLES = 1_000_000_000
MAX_VERIFY = 100_000_000


def parse_reference(ck, data: dict, mem_words: int) -> Reference | None:
    """The reference program (assembled), or None when the spec has none."""
    if "reference" in data and "reference_source" in data:
        raise ck.fail("", "give at most one of `reference: FILE.s` and `reference_source: |`")
    if "reference" not in data and "reference_source" not in data:
        if "reference_max_cycles" in data:
            raise ck.fail("reference_max_cycles", "the spec has no reference (give "
                                                  "`reference: FILE.s` or `reference_source: |`)")
        return None
    cycles = ck.number(data.get("reference_max_cycles", DEFAULT_REFERENCE_CYCLES),
                       "reference_max_cycles")
    if not 1 <= cycles <= MAX_REFERENCE_CYCLES:
        raise ck.fail("reference_max_cycles", f"{cycles} outside 1..{MAX_REFERENCE_CYCLES:,}")
    if "reference_source" in data:
        text = data["reference_source"]
        if not isinstance(text, str) or not text.strip():
            raise ck.fail("reference_source", "expected the reference program's text")
        name, base = f"{ck.name}:reference_source", ck.base
    else:
        text, path = ck.program_file(data, "reference")
        name, base = str(path), path.parent
    # AsmError (file:line:col in the reference) goes to the caller as it is
    return load_reference(text, name, mem_words=mem_words, base_dir=base, max_cycles=cycles)


def parse_inputs(ck, raw: Any, mem_words: int) -> InputSpace:
    """`inputs:` -> an InputSpace; FitError naming the key for anything that cannot be drawn."""
    if not isinstance(raw, dict):
        raise ck.fail("inputs", f"expected a mapping of registers (r1..r15), `input` and "
                                f"`mem` to forms, got `{raw!r}`")
    regs, stream, mem = {}, (), {}
    for key, value in raw.items():
        k = str(key)
        if k == "input":
            if not isinstance(value, list):
                raise ck.fail("inputs.input", "expected a list of forms, one per input word")
            stream = tuple(parse_form(v, f"inputs.input[{j}]", ck.fail)
                           for j, v in enumerate(value))
        elif k == "mem":
            if not isinstance(value, dict):
                raise ck.fail("inputs.mem", "expected a mapping of memory cells to forms")
            for addr, form in value.items():
                a = _address(ck, addr, "inputs.mem", mem_words)
                mem[a] = parse_form(form, f"inputs.mem.{addr}", ck.fail)
        else:
            try:
                reg = parse_register(k)
            except RunError as exc:
                raise ck.fail("inputs", f"{exc}; the keys are registers (r1..r15), `input` "
                                        "and `mem`") from None
            regs[reg] = parse_form(value, f"inputs.{k}", ck.fail)
    return InputSpace(regs, stream, mem)


def _address(ck, raw: Any, where: str, mem_words: int) -> int:
    try:
        addr = parse_int(raw, "address")
    except RunError as exc:
        raise ck.fail(where, str(exc)) from None
    if not 0 <= addr < mem_words:
        raise ck.fail(where, f"memory cell {addr} outside 0..{mem_words - 1} "
                             f"(mem_words is {mem_words})")
    return addr


def parse_check(ck, raw: Any, mem_words: int) -> Check:
    """`check:` -> Check (default: the output stream and a halted status)."""
    if raw is None:
        return Check()
    if not isinstance(raw, dict):
        raise ck.fail("check", f"expected a mapping with regs, out, mem, status, got `{raw!r}`")
    unknown = sorted(set(map(str, raw)) - CHECK_KEYS)
    if unknown:
        raise ck.fail("check", f"unknown field `{unknown[0]}` (known: {', '.join(sorted(CHECK_KEYS))})")
    names = raw.get("regs") or []
    names = [names] if isinstance(names, str) else names
    if not isinstance(names, list):
        raise ck.fail("check.regs", "expected a list of registers")
    regs = []
    for name in names:
        try:
            regs.append(parse_register(str(name)))
        except RunError as exc:
            raise ck.fail("check.regs", str(exc)) from None
    cells = raw.get("mem") or []
    if not isinstance(cells, list):
        raise ck.fail("check.mem", "expected a list of memory cells")
    mem = [_address(ck, a, "check.mem", mem_words) for a in cells]
    flags = {}
    for key, default in (("out", False), ("status", True)):
        value = raw.get(key, default)
        if not isinstance(value, bool):
            raise ck.fail(f"check.{key}", f"expected true or false, got `{value!r}`")
        flags[key] = value
    if not (regs or mem or flags["out"]):
        raise ck.fail("check", "compares nothing: name at least one of regs, out, mem")
    return Check(tuple(dict.fromkeys(regs)), flags["out"], tuple(dict.fromkeys(mem)),
                 flags["status"])


def parse_verify(ck, raw: Any) -> int | None:
    if raw is None:
        return None
    n = ck.number(raw, "verify")
    if not 0 <= n <= MAX_VERIFY:
        raise ck.fail("verify", f"{n} outside 0..{MAX_VERIFY:,}")
    return n


def example_sets(ck, data: dict, mem_words: int, ref: Reference | None, check: Check,
                 space: InputSpace | None, seed: int
                 ) -> tuple[tuple[Example, ...], tuple[Example, ...], InputSpace | None]:
    """(examples, holdout, the input space): lists as written, numbers drawn from `space`
    (seeded), and every missing `expect` computed by the reference in one batch."""
    rng = np.random.default_rng(seed)
    raw = data.get("examples")
    if raw in (None, []):
        if ref is None or space is None:
            raise ck.fail("examples", "the spec has no examples (at least one is needed)")
        raw = DEFAULT_DRAWN
    sets = [_one_set(ck, raw, "examples", mem_words, ref, space, rng, sweep=True),
            _one_set(ck, data.get("holdout") or [], "holdout", mem_words, ref, space, rng,
                     sweep=False)]
    todo = [(where, i, inp) for where, items in zip(("examples", "holdout"), sets)
            for i, (inp, want) in enumerate(items) if want is None]
    if todo:  # `expect` from the reference, one batch for all
        inputs = Inputs.of_inputs([inp for _, _, inp in todo], mem_words)
        wants = iter(reference_expects(ref, check, inputs, mem_words,
                                       [f"{w}[{i}]" for w, i, _ in todo], ck.name))
        sets = [[(inp, want if want is not None else next(wants)) for inp, want in items]
                for items in sets]
    examples, holdout = ([Example(inp, want) for inp, want in items] for items in sets)
    if not examples:
        raise ck.fail("examples", "the spec has no examples (at least one is needed)")
    if ref is not None and space is None:
        space = infer_space(examples + holdout, mem_words)
    return tuple(examples), tuple(holdout), space


def _one_set(ck, raw: Any, where: str, mem_words: int, ref: Reference | None,
             space: InputSpace | None, rng: np.random.Generator, *, sweep: bool
             ) -> list[tuple[ProgramInput, Any]]:
    """(input, Expect or None = the reference computes it) of each example of one set."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        if not 0 <= raw <= MAX_DRAWN:
            raise ck.fail(where, f"{raw} examples: expected 0..{MAX_DRAWN:,}")
        if ref is None or space is None:
            raise ck.fail(where, f"a number of examples ({raw}) is drawn from `inputs` and "
                                 "what they expect comes from a `reference`: give both, or "
                                 "list the examples")
        if raw == 0 and not sweep:
            return []  # (`examples: 0` is the edge sweep alone)
        inputs = drawn(space, raw, rng, mem_words, sweep=sweep)
        return [(inputs.program_input(i), None) for i in range(len(inputs))]
    if not isinstance(raw, list):
        raise ck.fail(where, "expected a list of examples (or a number of examples to draw)")
    return [ck.example(item, f"{where}[{i}]", mem_words, ref is not None)
            for i, item in enumerate(raw)]
