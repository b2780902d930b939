"""Bad input to `ncpu fit SPEC` (the issue's list), through the real command line: the exit
code, a clear message, no traceback -- and with `--json`, one `{"error": {...}}` object on
stdout with the same exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from fit_common import json_of, ncpu_fit, no_traceback

GOOD_SKETCH = "        addi r2, r1, ??[0:9]\n        halt\n"
EXAMPLE = "examples:\n  - {set: {r1: 0}, expect: {regs: {r2: 3}}}\n"
SPEC = "sketch: k.s\nmem_words: 32\n"


def inline(source: str) -> str:
    body = "".join(f"  {line}\n" for line in source.splitlines())
    return f"mem_words: 32\nsource: |\n{body}{EXAMPLE}"


# name, spec text, exit code, message fragments (all must appear, in order, in one message)
CASES = [
    ("no-examples", SPEC + "examples: []\n", 1,
     ["spec.yaml: examples: the spec has no examples"]),
    ("not-yaml", SPEC + "examples: [\n  - {\n", 1, ["spec.yaml:", "is not valid YAML"]),
    ("not-a-mapping", "- 1\n- 2\n", 1, ["spec.yaml: a spec is a mapping"]),
    ("missing-sketch", "sketch: nope.s\n" + EXAMPLE, 1,
     ["spec.yaml: sketch: no such sketch file", "nope.s"]),
    ("unknown-register-set", SPEC + "examples:\n  - {set: {r99: 1}, expect: {regs: {r2: 3}}}\n",
     1, ["spec.yaml: examples[0].set: unknown register `r99`"]),
    ("unknown-register-expect", SPEC + "examples:\n  - {expect: {regs: {rx: 1}}}\n", 1,
     ["spec.yaml: examples[0].expect.regs: unknown register `rx`"]),
    ("cell-outside-mem-words", SPEC + "examples:\n  - {mem: {32: 1}, expect: {regs: {r2: 3}}}\n",
     1, ["examples[0].mem: memory cell 32 outside 0..31"]),
    ("expected-cell-outside", SPEC + "examples:\n  - {expect: {mem: {-1: 3}}}\n", 1,
     ["examples[0].expect.mem: memory cell -1 outside 0..31"]),
    ("no-holes", inline("addi r2, r1, 3\nhalt"), 1,
     ["spec.yaml:source: the sketch has no holes"]),
    ("unknown-field", SPEC + "bogus: 1\n" + EXAMPLE, 1, ["spec.yaml: unknown field `bogus`"]),
    ("unknown-example-field",
     SPEC + "examples:\n  - {sett: {r1: 0}, expect: {regs: {r2: 3}}}\n", 1,
     ["spec.yaml: examples[0]: unknown field `sett`"]),
    ("unknown-expect-field", SPEC + "examples:\n  - {expect: {reg: {r2: 3}}}\n", 1,
     ["spec.yaml: examples[0].expect: unknown field `reg`"]),
]
# holes the assembler refuses: file:line:col of the hole, the message
ASM_CASES = [
    ("org-hole", "halt\n.org ??", "spec.yaml:source:2:6", "`.org` can't take a hole"),
    ("empty-range", "addi r2, r1, ??[5:2]\nhalt", "spec.yaml:source:1:14",
     "empty hole range 5..2"),
    ("range-outside-field", "addi r1, r1, ??[0:99999]\nhalt", "spec.yaml:source:1:14",
     "hole range 0..99999 must lie within the range of `addi`'s imm14 field (-8192..8191)"),
]


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "k.s").write_text(GOOD_SKETCH)
    return tmp_path


def fit_both(spec_text: str, *extra):
    Path("spec.yaml").write_text(spec_text)
    args = ["spec.yaml", "--restarts", "4", "--steps", "1", "--time-limit", "5", *extra]
    return ncpu_fit(*args), ncpu_fit(*args, "--json")


def in_order(text: str, parts: list[str]) -> bool:
    at = 0
    for part in parts:
        at = text.find(part, at)
        if at < 0:
            return False
        at += len(part)
    return True


@pytest.mark.parametrize("name, text, code, parts", CASES, ids=[c[0] for c in CASES])
def test_bad_spec(work: Path, name: str, text: str, code: int, parts: list[str]) -> None:
    plain, as_json = fit_both(text)
    for res in (plain, as_json):
        no_traceback(res)
        assert res.exit_code == code, res.output
    assert plain.stdout == ""
    assert plain.stderr.startswith("error: ") and in_order(plain.stderr, parts), plain.stderr
    err = json_of(as_json)["error"]
    assert err["kind"] == "fit" and in_order(err["message"], parts), err
    assert as_json.stderr == ""


@pytest.mark.parametrize("name, source, where, message", ASM_CASES,
                         ids=[c[0] for c in ASM_CASES])
def test_hole_the_assembler_refuses(work: Path, name: str, source: str, where: str,
                                    message: str) -> None:
    plain, as_json = fit_both(inline(source))
    for res in (plain, as_json):
        no_traceback(res)
        assert res.exit_code == 1, res.output
    first = plain.stderr.splitlines()[0]
    assert first.startswith(f"{where}: error: ") and message in first, plain.stderr
    assert plain.stderr.splitlines()[-1] == "error: 1 error, assembly failed"
    err = json_of(as_json)["error"]
    file, line, col = where.rsplit(":", 2)
    assert err["kind"] == "asm" and message in err["message"]
    assert (err["file"], err["line"], err["col"]) == (file, int(line), int(col))


def test_restarts_zero_is_a_usage_error(work: Path) -> None:
    Path("spec.yaml").write_text(SPEC + EXAMPLE)
    res = ncpu_fit("spec.yaml", "--restarts", "0")
    no_traceback(res)
    assert res.exit_code == 2
    assert "--restarts" in res.stderr and res.stdout == ""


def test_usage_errors(work: Path) -> None:
    Path("spec.yaml").write_text(SPEC + EXAMPLE)
    for args, fragment in [((), "give a SPEC file, or --suite DIR"),
                           (("spec.yaml", "--suite", "."), "give a SPEC file, or --suite DIR"),
                           (("spec.yaml", "--method", "all"), "--method all needs --suite"),
                           (("spec.yaml", "--temperature", "0"), "--temperature must be a "
                                                                 "positive finite number")]:
        res = ncpu_fit(*args)
        no_traceback(res)
        assert res.exit_code == 2 and fragment in res.stderr, res.stderr
        as_json = ncpu_fit(*args, "--json")
        assert as_json.exit_code == 2
        err = json_of(as_json)["error"]
        assert err["kind"] == "usage" and fragment in err["message"]


def test_missing_spec_file(work: Path) -> None:
    plain, as_json = ncpu_fit("nope.yaml"), ncpu_fit("nope.yaml", "--json")
    assert plain.exit_code == as_json.exit_code == 1
    assert "nope.yaml: no such spec file" in plain.stderr
    assert "nope.yaml: no such spec file" in json_of(as_json)["error"]["message"]
