"""Malformed image files: every truncation and bad field of a YAML image, bad YAML and
JSON, readmemh (with its comments, gaps and header check) and bin errors, folders,
devices and huge files refused, and a forced format over the extension."""

from __future__ import annotations

from pathlib import Path

import pytest
from image_common import raw, sample

from ncpu_cli import formats
from ncpu_cli.errors import ImageError
from ncpu_cli.formats import load_image
from ncpu_cli.image import Image, to_yaml

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


def test_unknown_fields_are_named_briefly() -> None:
    # found by `make fuzz` (20,000 examples): a 5,000-character key was echoed whole
    import json

    data = {"format": "ncpu-image", "version": 1, "isa": "ncpu32", "word_bits": 32,
            "size": 1, "entry": 0, "words": [0], "1" * 5000: 1,
            **{f"extra{i}": i for i in range(8)}}
    with pytest.raises(ImageError) as err:
        formats.parse(json.dumps(data).encode(), "long.json", None)
    msg = str(err.value)
    assert msg.startswith("long.json: unknown field(s): '1111") and len(msg) < 300, msg
    assert "and 4 more" in msg  # 9 unknown fields: the first 5 named
