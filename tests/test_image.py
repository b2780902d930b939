"""Image files: exact round trips in every format, and every kind of malformed file."""

from __future__ import annotations

import io
import re
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ncpu_cli import formats
from ncpu_cli.errors import ImageError
from ncpu_cli.formats import dump_image, load_image, save_image
from ncpu_cli.image import Image, from_yaml, to_yaml
from ncpu_cli.isa import load_isa

ISA = load_isa()


def sample() -> Image:
    """Gaps, a trailing zero word, YAML-hostile label and file names, the extreme words."""
    enc = ISA.encode
    words = [
        enc("add", 1, 2, 3),
        enc("beq", 0, 1, 2, 6),
        0,
        0,
        0,
        0,
        enc("li", 3, 0, 0, -5),
        0xFFFF_FFFF,
        0x8000_0000,
        0,
    ]
    return Image(
        words,
        entry=6,
        symbols={"main": 0, "yes": 6, "null": 7, ".local": 7, "main.x": 9, "end": 10},
        source_map={0: ("prog.s", 1), 1: ("prog.s", 2), 6: ('dir/a:"b".s', 9), 9: ("prog.s", 12)},
    )


def raw(image: Image, fmt: str) -> bytes:
    data = dump_image(image, fmt)
    return data if isinstance(data, bytes) else data.encode()


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


# --------------------------------------------------------------------------- malformed YAML


def yaml_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "prog.yaml"
    path.write_text(text)
    with pytest.raises(ImageError) as info:
        load_image(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    return message


def edit(old: str, new: str) -> str:
    text = to_yaml(sample())
    assert old in text
    return text.replace(old, new, 1)


def test_every_truncation_of_a_yaml_image_is_rejected(tmp_path: Path) -> None:
    text = to_yaml(sample())
    cuts = {text.rfind("\n", 0, len(text) - 1) + 1}  # the line `end: true`
    cuts |= {i + 1 for i, c in enumerate(text) if c == "\n"} - {len(text)}
    cuts |= {len(text) // 2, len(text) - 3, text.index('"0x') + 5}
    for cut in sorted(cuts):
        message = yaml_error(tmp_path, text[:cut])
        assert message, cut


def test_truncated_yaml_says_so(tmp_path: Path) -> None:
    text = to_yaml(sample())
    assert "truncated" in yaml_error(tmp_path, text[: text.index("end: true")])
    assert "truncated" in yaml_error(tmp_path, text[: text.index('"0x') + 6])


@pytest.mark.parametrize(
    "old,new,expected",
    [
        ("format: ncpu-image", "format: other", "not an ncpu image"),
        ("version: 1", "version: 2", "version 2 is not supported"),
        ("version: 1", "version: true", "version True is not supported"),
        ('isa: "ncpu32"', 'isa: "rv32i"', "image is for ISA 'rv32i'"),
        ("word_bits: 32", "word_bits: 16", "16-bit words"),
        ("size: 10", "size: many", "size: 'many' is not an integer"),
        ("size: 10", "size: 70000", "size: 70000 is outside 0..65536"),
        ("size: 10", "size: 8", "lie beyond size 8"),
        ("entry: 6", "entry: -1", "entry: -1 is outside"),
        ('  "main": 0', '  "no way": 0', "'no way' is not a label name"),
        ('  "main": 0', '  "main": -3', "symbol 'main': -3 is outside"),
        ('  0: "prog.s:1"', '  0: "prog.s"', "'prog.s' is not 'file:line'"),
        ('  0: "prog.s:1"', '  99: "prog.s:1"', "source_map address: 99 is outside"),
        ("  - start: 6", "  - start: 1", "segment 1 overlaps segment 0 at address 1"),
        ("end: true", "end: true\nextra: 1", "unknown field(s): extra"),
        ("segments:", "segs:", "unknown field(s): segs"),
    ],
)
def test_malformed_yaml_fields(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert expected in yaml_error(tmp_path, edit(old, new))


def test_non_hex_word_names_segment_and_index(tmp_path: Path) -> None:
    text = to_yaml(Image([1, 2, 3, 4, 5]))
    text = text.replace('"0x00000004"', '"zz12"')
    assert (
        yaml_error(tmp_path, text)
        == f"{tmp_path / 'prog.yaml'}: segment 0 word 3: 'zz12' is not a hex word"
    )


def test_word_out_of_32_bit_range(tmp_path: Path) -> None:
    text = to_yaml(Image([1, 2])).replace('"0x00000002"', '"0x1ffffffff"')
    assert "segment 0 word 1: '0x1ffffffff' does not fit in 32 bits" in yaml_error(tmp_path, text)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("", "empty file"),
        ("format: [unclosed\n", "not valid YAML at line 2"),
        ("- just\n- a list\n", "not an ncpu image"),
        ("format: ncpu-image\nversion: 1\n\tsize: 3\n", "not valid YAML"),
    ],
)
def test_bad_yaml(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in yaml_error(tmp_path, text)


def test_json_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "prog.json"
    path.write_text(raw(sample(), "json").decode()[:-20])
    with pytest.raises(ImageError, match=r"prog.json:\d+: not valid JSON"):
        load_image(path)
    path.write_text(raw(sample(), "json").decode().replace('"size": 10', '"size": 11'))
    with pytest.raises(ImageError, match=r"prog.json: words: 10 words but size is 11"):
        load_image(path)


# --------------------------------------------------------------------------- readmemh, bin


def test_readmemh_reads_gaps_and_comments() -> None:
    text = """// header
    /* a block
       comment */ @2 0000_0001 /* inline */ 2
    ff // trailing
    @0A dead_beef
    """
    image = formats.from_readmemh(text, "t.hex")
    assert image.words == [0, 0, 1, 2, 0xFF, 0, 0, 0, 0, 0, 0xDEADBEEF]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("00000001\n0000000g\n", "t.hex:2: '0000000g' is not a hex word"),
        ("@zz\n", "t.hex:1: 'zz' is not a hex address"),
        ("1\n123456789\n", "t.hex:2: '123456789' does not fit in 32 bits"),
        ("1 2 3\n@1\n5\n", "t.hex:3: address 0x1 is written twice"),
        ("1\n/* never closed\n2\n", "t.hex:2: unterminated /* comment"),
        ("@10000\n1\n", "t.hex:2: address 0x10000 is beyond the largest memory"),
    ],
)
def test_readmemh_errors_name_file_and_line(text: str, expected: str) -> None:
    with pytest.raises(ImageError) as info:
        formats.from_readmemh(text, "t.hex")
    assert str(info.value).startswith(expected)


def test_truncated_readmemh_is_caught_by_its_header() -> None:
    text = raw(sample(), "readmemh").decode()
    assert text.startswith("// ncpu-image ncpu32: 10 words of 32 bits")
    cut = text[: text.rindex("\n", 0, len(text) - 1) + 1]  # without the last word's line
    with pytest.raises(ImageError) as info:
        formats.from_readmemh(cut, "t.hex")
    assert (
        str(info.value) == "t.hex: the header says 10 words but the file holds 9 (truncated file?)"
    )
    one = raw(Image([5]), "readmemh").decode()
    assert one.startswith("// ncpu-image ncpu32: 1 word of 32 bits")
    assert formats.from_readmemh(one, "t.hex").words == [5]
    # without our header (a hand-written file) there is nothing to check against
    assert formats.from_readmemh("\n".join(cut.splitlines()[1:]), "t.hex").size == 9


@pytest.mark.parametrize("field", ["isa", "word_bits", "size", "entry"])
def test_missing_header_field_is_named(tmp_path: Path, field: str) -> None:
    text = "\n".join(ln for ln in to_yaml(sample()).splitlines() if not ln.startswith(field + ":"))
    assert yaml_error(tmp_path, text + "\n").endswith(f"missing field {field!r}")


def test_folder_device_and_huge_files_are_refused(tmp_path: Path, monkeypatch) -> None:
    from ncpu_cli import image as image_module

    with pytest.raises(IsADirectoryError, match="it is a folder"):
        load_image(tmp_path)
    if Path("/dev/zero").exists():
        with pytest.raises(OSError, match="not a regular file"):
            load_image("/dev/zero")
    monkeypatch.setattr(image_module, "MAX_IMAGE_BYTES", 16)
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(20))
    with pytest.raises(ImageError, match="big.bin: larger than"):
        load_image(path)


def test_bin_not_a_multiple_of_four_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "prog.bin"
    path.write_bytes(raw(sample(), "bin")[:-1])
    with pytest.raises(ImageError, match=r"prog.bin: truncated: 39 bytes"):
        load_image(path)


def test_forced_format_overrides_extension(tmp_path: Path) -> None:
    path = tmp_path / "prog.dat"
    path.write_bytes(raw(sample(), "readmemh"))
    assert load_image(path, "readmemh").words == sample().words
    with pytest.raises(ImageError):
        load_image(path, "yaml")


# --------------------------------------------------------------------------- listing, symbols


def test_symbols_sorted_by_address() -> None:
    lines = formats.to_symbols(sample()).splitlines()
    names = [ln.split()[0] for ln in lines]
    addrs = [int(ln.split()[1], 16) for ln in lines]
    assert addrs == sorted(addrs) and set(names) == set(sample().symbols)
    assert lines[0].split() == ["main", "0x0000"]


def test_listing_shows_address_word_and_source_text() -> None:
    listing = formats.to_listing(sample(), {"prog.s": "main: add r1, r2, r3\n  beq r1, r2, yes\n"})
    rows = listing.splitlines()[2:]
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
