"""Run inputs: --set / --input / --mem / --sweep parsers, --inputs files, the Batch builder."""

from __future__ import annotations

import json

import pytest

from ncpu_cli.errors import RunError
from ncpu_cli.machine.inputs import (
    Batch,
    InputError,
    ProgramInput,
    merge,
    parse_input,
    parse_mem,
    parse_set,
    parse_sweep,
)
from ncpu_cli.machine.records import build_batch, load_inputs_file

# ---------------------------------------------------------------- --set


@pytest.mark.parametrize(
    "text, expected",
    [
        ("r1=5", (1, 5)),
        ("R13=0x10", (13, 16)),
        ("sp=0x200", (15, 512)),
        ("lr=7", (14, 7)),
        ("r2=-1", (2, 0xFFFFFFFF)),
        ("r3=-2147483648", (3, 0x80000000)),
        ("r4=4294967295", (4, 0xFFFFFFFF)),
        ("r5 = 0b101", (5, 5)),
        ("r6=0o17", (6, 15)),
        ("r7=1_000", (7, 1000)),
        ("r8=007", (8, 7)),
    ],
)
def test_parse_set(text, expected):
    assert parse_set(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("r16=5", "unknown register `r16`"),
        ("x1=5", "unknown register `x1`"),
        ("r01=5", "unknown register `r01`"),
        ("r1=4294967296", "value 4294967296 out of 32-bit range"),
        ("r1=-2147483649", "value -2147483649 out of 32-bit range"),
        ("r1=abc", "`abc` is not a number"),
        ("r1", "expected REG=VALUE"),
        ("=5", "expected REG=VALUE"),
        ("r1=", "expected REG=VALUE"),
        ("r0=1", "r0"),
        ("zero=1", "cannot be set"),
    ],
)
def test_parse_set_errors(text, message):
    with pytest.raises(InputError) as info:
        parse_set(text)
    assert message in str(info.value)


def test_input_error_is_a_run_error_and_a_value_error():
    with pytest.raises(RunError):
        parse_set("r99=1")
    with pytest.raises(ValueError):
        parse_set("r99=1")


# ---------------------------------------------------------------- --input


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,2,3", (1, 2, 3)),
        ("", ()),
        ("   ", ()),
        ("0x10, -1", (16, 0xFFFFFFFF)),
        ("7", (7,)),
        ("1 2  3", (1, 2, 3)),
        ("4294967295", (0xFFFFFFFF,)),
    ],
)
def test_parse_input(text, expected):
    assert parse_input(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [("1,x,3", "`x` is not a number"), ("1,4294967296", "value 4294967296 out of 32-bit range")],
)
def test_parse_input_errors(text, message):
    with pytest.raises(InputError, match=message):
        parse_input(text)


# ---------------------------------------------------------------- --mem


def test_parse_mem():
    assert parse_mem("0x200=7") == (0x200, 7)
    assert parse_mem("10=-1") == (10, 0xFFFFFFFF)


@pytest.mark.parametrize(
    "text, message",
    [
        ("0x200", "expected ADDR=VALUE"),
        ("=7", "expected ADDR=VALUE"),
        ("0x200=", "expected ADDR=VALUE"),
        ("zz=7", "`zz` is not a number"),
        ("-1=7", "memory address -1 is negative"),
        ("5=99999999999", "value 99999999999 out of 32-bit range"),
    ],
)
def test_parse_mem_errors(text, message):
    with pytest.raises(InputError, match=message):
        parse_mem(text)


def test_mem_patch_outside_memory_names_the_address():
    with pytest.raises(InputError) as info:
        build_batch(mems=["0x400=7"], mem_words=1024)
    msg = str(info.value)
    assert "--mem 0x400=7" in msg and "1024" in msg and "0x400" in msg and "outside memory" in msg
    # and the Batch check done just before a run says the same
    batch = build_batch(mems=["2000=1"])
    with pytest.raises(InputError, match="address 2000"):
        batch.check(1024)
    batch.check(4096)


# ---------------------------------------------------------------- --sweep


def test_parse_sweep():
    sw = parse_sweep("r1=0:1024")
    assert sw.reg == 1 and sw.values == range(0, 1024) and len(sw) == 1024
    sw = parse_sweep("sp=0x10:0x20:4")
    assert sw.reg == 15 and list(sw.values) == [16, 20, 24, 28]
    sw = parse_sweep("r2=3:-3:-2")
    assert list(sw.values) == [3, 1, -1]
    assert sw.word(2) == 0xFFFFFFFF
    assert list(parse_sweep("r1=-2:1").values) == [-2, -1, 0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("r1", "expected REG=START:STOP"),
        ("r1=5", "expected REG=START:STOP"),
        ("r1=1:2:3:4", "expected REG=START:STOP"),
        ("r1=:5", "expected REG=START:STOP"),
        ("r1=a:5", "`a` is not a number"),
        ("r1=0:10:0", "step must not be 0"),
        ("r1=5:5", "is empty"),
        ("r1=10:0", "is empty"),
        ("r17=0:4", "unknown register `r17`"),
        ("r1=4294967290:4294967299", "out of 32-bit range"),
        ("r1=-2147483650:0", "out of 32-bit range"),
    ],
)
def test_parse_sweep_errors(text, message):
    with pytest.raises(InputError, match=message):
        parse_sweep(text)


# ---------------------------------------------------------------- --inputs FILE


def test_inputs_yaml_list(tmp_path):
    f = tmp_path / "runs.yaml"
    f.write_text(
        "- set: {r1: 5, sp: 0x100}\n"
        "  input: [1, 2, -1]\n"
        "  mem: {0x200: 7}\n"
        "- {}\n"
        "- input: '4, 5'\n"
    )
    progs = load_inputs_file(f)
    assert progs == [
        ProgramInput({1: 5, 15: 256}, (1, 2, 0xFFFFFFFF), {512: 7}),
        ProgramInput(),
        ProgramInput({}, (4, 5), {}),
    ]


def test_inputs_yaml_programs_mapping(tmp_path):
    f = tmp_path / "runs.yml"
    f.write_text("programs:\n  - set: {r2: '0x10'}\n  - set: {lr: -1}\n")
    assert load_inputs_file(f) == [ProgramInput({2: 16}), ProgramInput({14: 0xFFFFFFFF})]


def test_inputs_jsonl(tmp_path):
    f = tmp_path / "runs.jsonl"
    f.write_text(
        json.dumps({"set": {"r1": 1}, "input": [9]})
        + "\n\n"
        + json.dumps({"mem": {"16": 3, "0x11": "0x4"}})
        + "\n"
    )
    assert load_inputs_file(f) == [
        ProgramInput({1: 1}, (9,), {}),
        ProgramInput({}, (), {16: 3, 17: 4}),
    ]


def test_inputs_sniffed_without_extension(tmp_path):
    jl = tmp_path / "runs.txt"
    jl.write_text('{"set": {"r1": 1}}\n{"set": {"r1": 2}}\n')
    assert [p.set for p in load_inputs_file(jl)] == [{1: 1}, {1: 2}]
    ym = tmp_path / "runs.data"
    ym.write_text("- set: {r1: 3}\n")
    assert [p.set for p in load_inputs_file(ym)] == [{1: 3}]


def _error(tmp_path, name, text, mem_words=None):
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(InputError) as info:
        load_inputs_file(f, mem_words)
    return str(info.value)


def test_inputs_wrong_field_names_file_record_field(tmp_path):
    lines = [{"set": {"r1": 1}}, {"set": {"r2": 2}}, {"set": {"r16": 3}}]
    msg = _error(tmp_path, "runs.jsonl", "\n".join(json.dumps(x) for x in lines))
    assert msg.endswith("runs.jsonl: record 3: field `set`: unknown register `r16` "
                        "(use r0..r15, zero, lr, sp)")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("- set: {r1: 4294967296}\n",
         "record 1: field `set`: value 4294967296 out of 32-bit range"),
        ("- {}\n- input: [1, x]\n", "record 2: field `input`: `x` is not a number"),
        ("- input: {a: 1}\n", "record 1: field `input`: expected a list"),
        ("- set: [1, 2]\n", "record 1: field `set`: expected a mapping"),
        ("- mem: {-3: 1}\n", "record 1: field `mem`: memory address -3 is negative"),
        ("- mem: [1]\n", "record 1: field `mem`: expected a mapping"),
        ("- regs: {r1: 1}\n", "record 1: field `regs`: unknown field"),
        ("- 5\n", "record 1: a record must be a mapping"),
    ],
)
def test_inputs_yaml_bad_records(tmp_path, text, expected):
    msg = _error(tmp_path, "runs.yaml", text)
    assert msg.startswith(str(tmp_path / "runs.yaml") + ": ")
    assert expected in msg


def test_inputs_mem_patch_outside_memory(tmp_path):
    msg = _error(tmp_path, "runs.yaml", "- mem: {5: 1}\n- mem: {0x400: 1}\n", mem_words=1024)
    assert "runs.yaml: record 2: field `mem`: memory patch at address 1024 (0x400)" in msg
    assert "outside memory (0..1023; --mem-words 1024)" in msg


def test_inputs_missing_file(tmp_path):
    with pytest.raises(InputError, match="nope.yaml: no such file"):
        load_inputs_file(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="is a directory"):
        load_inputs_file(tmp_path)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("runs.yaml", "just some words\n", "not an inputs file"),
        ("runs.yaml", "a: [1\n", "not valid YAML"),
        ("runs.yaml", "{programs: 3}\n", "not an inputs file"),
        ("runs.yaml", "", "no records"),
        ("runs.yaml", "[]\n", "no records"),
        ("runs.jsonl", '{"set": {"r1": 1}}\n{oops\n', "record 2: not valid JSON"),
        ("runs.txt", "hello: [world\n", "not valid YAML or JSON Lines"),
    ],
)
def test_inputs_not_yaml_or_jsonl(tmp_path, name, content, message):
    assert message in _error(tmp_path, name, content)


def test_inputs_binary_file(tmp_path):
    f = tmp_path / "runs.bin"
    f.write_bytes(b"\xff\xfe\x00\x81" * 8)
    with pytest.raises(InputError, match="not a text file"):
        load_inputs_file(f)


# ---------------------------------------------------------------- Batch


def test_single_program_batch():
    b = build_batch(["r1=5", "sp=100"], "1,2", ["0x20=9"])
    assert len(b) == 1 and b.kind == "copies"
    assert b.program(0) == ProgramInput({1: 5, 15: 100}, (1, 2), {32: 9})
    assert b.materialise() == [b.program(0)]
    assert b.max_input == 2


def test_copies_are_lazy():
    b = build_batch(["r1=5"], batch=10**12)
    assert len(b) == 10**12  # nothing materialised
    assert b.program(10**12 - 1) == ProgramInput({1: 5})
    with pytest.raises(IndexError):
        b.program(10**12)


def test_sweep_batch_applies_presets_then_the_swept_register():
    b = build_batch(["r1=99", "r2=7"], "5", ["3=4"], sweep="r1=0:1000000")
    assert len(b) == 1_000_000 and b.kind == "sweep"
    assert b.program(0) == ProgramInput({1: 0, 2: 7}, (5,), {3: 4})
    assert b.program(999_999).set == {1: 999_999, 2: 7}


def test_records_batch_applies_presets_first(tmp_path):
    f = tmp_path / "runs.yaml"
    f.write_text("- set: {r1: 1}\n- set: {r2: 2}\n  input: []\n- input: [8]\n  mem: {0: 5}\n")
    b = build_batch(["r1=10", "r3=30"], "7", ["0=1", "1=2"], inputs_file=f)
    assert b.kind == "records" and len(b) == 3
    assert list(b) == [
        ProgramInput({1: 1, 3: 30}, (7,), {0: 1, 1: 2}),
        ProgramInput({1: 10, 2: 2, 3: 30}, (), {0: 1, 1: 2}),  # explicit empty input wins
        ProgramInput({1: 10, 3: 30}, (8,), {0: 5, 1: 2}),
    ]
    assert b.max_input == 1


def test_batch_options_are_exclusive(tmp_path):
    with pytest.raises(InputError, match="--batch and --sweep cannot be combined"):
        build_batch(batch=2, sweep="r1=0:2")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sets": ["r16=1"]}, "--set r16=1: unknown register `r16`"),
        ({"sets": ["r1=4294967296"]}, "--set r1=4294967296: value 4294967296 out of 32-bit range"),
        ({"input": "1, x"}, "--input 1, x: `x` is not a number"),
        ({"mems": ["0x10"]}, "--mem 0x10: expected ADDR=VALUE"),
        ({"sweep": "r1=0-10"}, "--sweep r1=0-10: expected REG=START:STOP"),
        ({"batch": 0}, "--batch 0: must be at least 1"),
    ],
)
def test_build_batch_errors_name_the_option(kwargs, message):
    with pytest.raises(InputError) as info:
        build_batch(**kwargs)
    assert message in str(info.value)


def test_merge():
    a = ProgramInput({1: 1, 2: 2}, (1,), {0: 0})
    b = ProgramInput({2: 5}, (), {1: 1})
    assert merge(a, b) == ProgramInput({1: 1, 2: 5}, (1,), {0: 0, 1: 1})
    assert merge(a, b, has_input=True).input == ()


def test_batch_default_is_one_empty_program():
    b = Batch()
    assert len(b) == 1 and b.program(0) == ProgramInput()
