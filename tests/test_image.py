"""Image files: exact round trips in every format, saving and loading by extension or by
sniffing the content (an empty or unrecognised file is no image), listings and symbol tables.

Malformed YAML, JSON, readmemh and bin files: tests/test_image_errors.py."""

from __future__ import annotations

import io
import re
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from image_common import ISA, raw, sample

from ncpu_cli import formats
from ncpu_cli.errors import ImageError
from ncpu_cli.formats import load_image, save_image
from ncpu_cli.image import Image, from_yaml, to_yaml

# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_lossless_round_trip(fmt: str) -> None:
    image = sample()
    assert formats.parse(raw(image, fmt), "x", fmt) == image


def test_readmemh_round_trip_keeps_words_entry_and_symbols() -> None:
    image = sample()
    back = formats.parse(raw(image, "readmemh"), "x.hex", None)
    assert (back.words, back.entry, back.symbols) == (image.words, image.entry, image.symbols)
    assert back.source_map == {}


def test_bin_round_trip_keeps_words() -> None:
    image = sample()
    data = raw(image, "bin")
    assert len(data) == 4 * image.size
    assert struct.unpack("<I", data[:4])[0] == image.words[0]
    assert formats.parse(data, "x.bin", None).words == image.words


def test_trailing_unplaced_zeros_keep_the_size() -> None:
    image = Image([ISA.encode("add", 1, 1, 1), 0, 0, 0])
    for fmt in ("yaml", "readmemh", "bin", "json"):
        assert formats.parse(raw(image, fmt), "x", fmt).words == image.words, fmt


def test_empty_image_round_trips() -> None:
    for fmt in ("yaml", "readmemh", "json"):
        assert formats.parse(raw(Image([]), fmt), "x", fmt).words == [], fmt
    assert raw(Image([]), "bin") == b""  # an empty file, which no format reads as an image


@pytest.mark.parametrize("fmt", [None, "yaml", "readmemh", "bin", "json"])
def test_empty_file_is_not_an_image(tmp_path: Path, fmt: str | None) -> None:
    path = tmp_path / "prog.bin"
    path.write_bytes(b"")
    with pytest.raises(
        ImageError, match=rf"^{re.escape(str(path))}: empty file, not an ncpu image$"
    ):
        load_image(path, fmt)


labels = st.from_regex(r"[A-Za-z_.][A-Za-z0-9_.]{0,8}", fullmatch=True)
word_lists = st.lists(st.one_of(st.just(0), st.integers(0, 2**32 - 1)), max_size=60)


@settings(max_examples=150, deadline=None)
@given(words=word_lists, data=st.data())
def test_yaml_and_json_round_trip_random_images(words: list[int], data: st.DataObject) -> None:
    n = len(words)
    addr = st.integers(0, max(n - 1, 0))
    smap = data.draw(
        st.dictionaries(addr, st.tuples(st.text(min_size=1, max_size=6), st.integers(1, 999)))
    )
    image = Image(
        words,
        entry=data.draw(addr),
        symbols=data.draw(st.dictionaries(labels, st.integers(0, n), max_size=5)),
        source_map=smap if n else {},
    )
    for fmt in ("yaml", "json"):
        assert formats.parse(raw(image, fmt), "x", fmt) == image
    for fmt in ("readmemh", "bin") if words else ("readmemh",):  # an empty .bin is no image
        assert formats.parse(raw(image, fmt), "x", fmt).words == words


def test_holes_survive_yaml() -> None:
    odd_name = 'dir/a\U00010000\x85\u2028"b\n.s'
    holes = [{"address": 0, "field": "rd", "lo": 0, "hi": 15, "file": odd_name},
             {"address": 1, "kind": "mnemonic", "choices": ["add", "sub"]}]  # fmt: skip
    image = Image([0, 1], holes=holes)
    assert from_yaml(to_yaml(image)) == image
    assert formats.from_json(formats.to_json(image), "x") == image


# --------------------------------------------------------------------------- files, format guessing


@pytest.mark.parametrize(
    "fmt,ext",
    [
        ("yaml", ".yaml"),
        ("yaml", ".yml"),
        ("readmemh", ".hex"),
        ("readmemh", ".mem"),
        ("bin", ".bin"),
        ("json", ".json"),
    ],
)
def test_save_and_load_by_extension(tmp_path: Path, fmt: str, ext: str) -> None:
    path = tmp_path / f"prog{ext}"
    save_image(sample(), path, fmt)
    assert load_image(path).words == sample().words
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


@pytest.mark.parametrize("fmt", ["yaml", "readmemh", "bin", "json"])
def test_format_is_sniffed_without_extension(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "image"
    path.write_bytes(raw(sample(), fmt))
    assert formats.guess_format(str(path), path.read_bytes()) == fmt
    assert load_image(path).words == sample().words


def test_save_to_streams() -> None:
    text, binary = io.StringIO(), io.BytesIO()
    save_image(sample(), text, "yaml")
    save_image(sample(), binary, "bin")
    assert from_yaml(text.getvalue()) == sample()
    assert binary.getvalue() == raw(sample(), "bin")


def test_save_into_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        save_image(sample(), tmp_path / "nope" / "prog.yaml", "yaml")
    assert not (tmp_path / "nope").exists()


def test_unknown_content_is_an_image_error(tmp_path: Path) -> None:
    path = tmp_path / "prog.txt"
    path.write_text("add r1, r2, r3\n")
    with pytest.raises(ImageError, match=r"prog.txt: not a recognised image"):
        load_image(path)


# --------------------------------------------------------------------------- listing, symbols


def test_symbols_sorted_by_address() -> None:
    lines = formats.to_symbols(sample()).splitlines()
    names = [ln.split()[0] for ln in lines]
    addrs = [int(ln.split()[1], 16) for ln in lines]
    assert addrs == sorted(addrs) and set(names) == set(sample().symbols)
    assert lines[0].split() == ["main", "0x0000"]


def test_listing_shows_address_word_and_source_text() -> None:
    listing = formats.to_listing(sample(), {"prog.s": "main: add r1, r2, r3\n  beq r1, r2, yes\n"})
    rows = [ln for ln in listing.splitlines()[2:] if not ln.startswith(";")]  # then symbols
    assert len(rows) == sample().size
    assert rows[0].split()[:2] == ["0000", f"{sample().words[0]:08x}"]
    assert rows[0].endswith("  main: add r1, r2, r3") and "prog.s:1 " in rows[0]
    assert "beq r1, r2, yes" in rows[1]
    assert ".word 0xffffffff" in rows[7]


# --------------------------------------------------------------------------- listing / symbols


def test_listing_loads_back_its_words_and_entry() -> None:
    image = sample()
    back = formats.parse(raw(image, "listing"), "prog.lst")
    assert back.words == image.words and back.entry == image.entry and back.isa == image.isa


def test_listing_is_sniffed_without_its_extension() -> None:
    assert formats.guess_format("prog.txt", raw(sample(), "listing")) == "listing"


def test_listing_with_a_bad_row_names_the_line() -> None:
    text = raw(sample(), "listing").decode().splitlines()
    text[3] = "  0001  zzzzzzzz  add r1, r2, r3"
    with pytest.raises(ImageError, match=r"prog.lst:4: expected `address word"):
        formats.parse("\n".join(text).encode(), "prog.lst")


def test_symbol_table_is_refused_as_an_image() -> None:
    with pytest.raises(ImageError, match=r"prog.sym: a symbol table holds no words"):
        formats.parse(raw(sample(), "symbols"), "prog.sym")
