"""Property-based fuzzing of every image loader (YAML, readmemh, bin, JSON, listing) and of
`--inputs` files: any bytes give an Image that is valid, or a typed error naming the file;
never another exception, a traceback or a hang. Through the CLI: exit 0 or 1 and a message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fuzz_common import LONG, NASTY, SHORT, fuzz_settings, long_run, mutate
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from ncpu_cli import formats
from ncpu_cli.asm import assemble
from ncpu_cli.cli import app
from ncpu_cli.errors import ImageError
from ncpu_cli.image_fields import KEYS
from ncpu_cli.machine.inputs import InputError
from ncpu_cli.machine.records import read_records

SOURCE = """\
        .entry main
data:   .word 7, -1, 0x12345678
main:   ld   r1, data(r0)
.loop:  addi r1, r1, -1
        bnez r1, .loop
        .org 20
        .string "hi"
        halt
"""
IMAGE = assemble(SOURCE, "seed.s")
SEEDS = {fmt: (lambda d: d if isinstance(d, bytes) else d.encode())(
    formats.dump(IMAGE, fmt, {"seed.s": SOURCE})) for fmt in formats.IMAGE_FORMATS}
FORMATS = [None, *formats.IMAGE_FORMATS]

edits = st.lists(st.tuples(st.integers(0, 1 << 16), st.sampled_from("ird"),
                           st.binary(max_size=6) | st.sampled_from(NASTY)), max_size=6)
scalars = (st.none() | st.booleans() | st.integers(-(1 << 40), 1 << 40)
           | st.floats(allow_nan=True) | st.text(max_size=8) | st.sampled_from(["0x10", "a.s:1"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=6) | st.integers(0, 99), inner,
                                        max_size=4), max_leaves=12)
image_dicts = st.fixed_dictionaries(
    {"format": st.just("ncpu-image") | scalars, "version": st.just(1) | scalars,
     "isa": st.just("ncpu32") | scalars, "word_bits": st.just(32) | scalars,
     "size": st.integers(-2, 70000) | scalars, "entry": st.integers(-2, 70000) | scalars},
    optional={k: values for k in KEYS if k not in ("format", "version", "isa", "word_bits",
                                                    "size", "entry")})


def check_image_bytes(data: bytes, fmt: str | None) -> None:
    name = "fuzz" + ("" if fmt is None else formats.EXTENSION[fmt])
    try:
        image = formats.parse(data, name, fmt)
    except ImageError as err:
        assert str(err).startswith(name) and len(str(err)) < 2000
        return
    assert 0 <= image.size <= 65536 and 0 <= image.entry < 65536
    assert all(type(w) is int and 0 <= w <= 0xFFFFFFFF for w in image.words)
    assert all(type(a) is int and 0 <= a <= 65536 for a in image.symbols.values())
    again = formats.parse(formats.dump(image, "yaml").encode(), "again.yaml", "yaml")
    assert (again.words, again.entry, again.symbols) == (image.words, image.entry, image.symbols)


def _structured(data: dict, as_yaml: bool) -> bytes:
    if as_yaml:
        return yaml.safe_dump(data, allow_unicode=True).encode()
    return json.dumps(data, allow_nan=True).encode()


def _loader_property(examples: int, long: bool = False):
    @fuzz_settings(examples, long=long)
    @given(fmt=st.sampled_from(FORMATS), seed=st.sampled_from(sorted(SEEDS)), edits=edits)
    def mutated(fmt, seed, edits):
        check_image_bytes(mutate(SEEDS[seed], edits), fmt)

    @fuzz_settings(examples, long=long)
    @given(data=image_dicts, as_yaml=st.booleans(), end=st.booleans())
    def structured(data, as_yaml, end):
        if end and as_yaml:
            data = {**data, "end": True}
        check_image_bytes(_structured(data, as_yaml), "yaml" if as_yaml else "json")

    @fuzz_settings(examples, long=long)
    @given(data=st.binary(max_size=64), fmt=st.sampled_from(FORMATS))
    def raw(data, fmt):
        check_image_bytes(data, fmt)

    return mutated, structured, raw


SHORT_PROPERTIES = _loader_property(SHORT)


@pytest.mark.parametrize("which", range(3), ids=["mutated", "structured", "raw"])
def test_loaders_short(which: int) -> None:
    SHORT_PROPERTIES[which]()


@pytest.mark.slow
@long_run
@pytest.mark.parametrize("which", range(3), ids=["mutated", "structured", "raw"])
def test_loaders_long(which: int) -> None:
    _loader_property(LONG, long=True)[which]()


def test_the_seeds_are_valid_images() -> None:
    """The fuzzers start from real images, so mutations explore near-valid input."""
    for fmt, data in SEEDS.items():
        assert formats.parse(data, "seed", fmt).words == IMAGE.words, fmt


# ---------------------------------------------------------------- --inputs FILE

records = st.lists(st.dictionaries(st.sampled_from(["set", "input", "mem", "x"]), values,
                                   max_size=3) | values, max_size=4)


def check_records(tmp: Path, data: bytes, suffix: str) -> None:
    path = tmp / f"in{suffix}"
    path.write_bytes(data)
    try:
        progs = read_records(path, 1024)
    except InputError as err:
        assert str(err).startswith(str(path)) and len(str(err)) < 2000
        return
    for prog, _ in progs:
        assert all(1 <= r <= 15 and 0 <= v < 1 << 32 for r, v in prog.set.items())
        assert all(0 <= a < 1024 and 0 <= v < 1 << 32 for a, v in prog.mem.items())
        assert all(0 <= v < 1 << 32 for v in prog.input)


def _records_property(examples: int, tmp: Path, long: bool = False):
    @fuzz_settings(examples, long=long)
    @given(recs=records, as_yaml=st.booleans(), edits=edits)
    def prop(recs, as_yaml, edits):
        if as_yaml:
            text, suffix = yaml.safe_dump(recs).encode(), ".yaml"
        else:
            text = b"\n".join(json.dumps(r, allow_nan=True).encode() for r in recs)
            suffix = ".jsonl"
        check_records(tmp, mutate(text, edits), suffix)

    return prop


def test_inputs_files_short(tmp_path: Path) -> None:
    _records_property(SHORT, tmp_path)()


@pytest.mark.slow
@long_run
def test_inputs_files_long(tmp_path: Path) -> None:
    _records_property(LONG, tmp_path, long=True)()


# ---------------------------------------------------------------- through the CLI


def check_disasm(tmp: Path, data: bytes, suffix: str) -> None:
    path = tmp / f"fuzz{suffix}"
    path.write_bytes(data)
    result = CliRunner(env={"NO_COLOR": "1"}).invoke(app, ["disasm", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    if result.exit_code:
        assert result.stderr.startswith("error:") or ": error:" in result.stderr


def _cli_property(examples: int, tmp: Path, long: bool = False):
    @fuzz_settings(examples, long=long)
    @given(seed=st.sampled_from(sorted(SEEDS)), edits=edits)
    def prop(seed, edits):
        check_disasm(tmp, mutate(SEEDS[seed], edits), formats.EXTENSION[seed])

    return prop


def test_disasm_cli_short(tmp_path: Path) -> None:
    _cli_property(max(10, SHORT // 3), tmp_path)()


@pytest.mark.slow
@long_run
def test_disasm_cli_long(tmp_path: Path) -> None:
    _cli_property(max(1, LONG // 10), tmp_path, long=True)()


def test_nan_and_infinity_are_not_numbers() -> None:
    # json.loads accepts NaN and Infinity unless told not to
    doc = b'{"format": "ncpu-image", "version": NaN}'
    with pytest.raises(ImageError, match="NaN is not a number JSON allows"):
        formats.parse(doc, "n.json", "json")
