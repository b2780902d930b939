"""Strict validation of a parsed YAML/JSON image mapping (see image.py for the layout).

Every field is checked for its type and range; an unknown field, a field of the
wrong type (`version: 1.0`, `word_bits: "32"`, `entry: true`) or out of range
is an ImageError naming the file and the field. `image_fields(data, name)`
returns the keyword arguments of `Image`.
"""

from __future__ import annotations

import re
from typing import Any

from ncpu_cli.errors import ImageError
from ncpu_cli.isa import MASK32, MAX_MEM_WORDS, load_isa
from ncpu_cli.textdata import show_int

FORMAT_NAME = "ncpu-image"
FORMAT_VERSION = 1
LABEL_RE = re.compile(r"[A-Za-z_.][A-Za-z0-9_.]*\Z")
HEX_RE = re.compile(r"(?:0[xX])?([0-9a-fA-F]{1,16})\Z")
PLACE_RE = re.compile(r"(.+):([0-9]{1,9})\Z", re.S)
HOLE_KEY_RE = re.compile(r"[a-z_][a-z0-9_]{0,31}\Z")
KEYS = ("format", "version", "isa", "word_bits", "size", "entry", "symbols", "source_map",
        "segments", "holes", "end", "words")
ROLES = ("rd", "ra", "rb", "imm", "target")  # the roles of an instruction hole's slots
MAX_TEXT = 4096  # characters of a file name or hole text field


def shown(value: Any) -> str:
    """A short, always printable rendering of a bad value for a message."""
    if isinstance(value, int) and not isinstance(value, bool):
        return show_int(value)
    if isinstance(value, (list, dict)):
        return f"a {'list' if isinstance(value, list) else 'mapping'}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Checker:
    """Validates one image mapping; every complaint names the file."""

    def __init__(self, name: str):
        self.name = name

    def fail(self, what: str) -> ImageError:
        err = ImageError(f"{self.name}: {what}")
        err.file = self.name  # type: ignore[attr-defined]
        return err

    def integer(self, value: Any, what: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{what}: {shown(value)} is not an integer")
        if not lo <= value <= hi:
            raise self.fail(f"{what}: {shown(value)} is outside {lo}..{hi}")
        return value

    def text(self, value: Any, what: str) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{what}: {shown(value)} is not a string")
        if not value or len(value) > MAX_TEXT:
            raise self.fail(f"{what}: {shown(value)} is not a name of 1..{MAX_TEXT} characters")
        return value

    def word(self, value: Any, what: str) -> int:
        if isinstance(value, str):
            m = HEX_RE.match(value.strip().replace("_", ""))
            if not m:
                raise self.fail(f"{what}: {shown(value)} is not a hex word")
            number = int(m.group(1), 16)
        elif isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            raise self.fail(f"{what}: {shown(value)} is not a hex word")
        if not 0 <= number <= MASK32:
            raise self.fail(f"{what}: {shown(value)} does not fit in 32 bits")
        return number

    def mapping(self, value: Any, what: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"{what}: expected a mapping, got {type(value).__name__}")
        return value

    def sequence(self, value: Any, what: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{what}: expected a list, got {type(value).__name__}")
        return value

    def header(self, data: Any) -> tuple[int, int]:
        if not isinstance(data, dict):
            raise self.fail("not an ncpu image (expected a mapping of image fields)")
        if data.get("format") != FORMAT_NAME:
            raise self.fail(
                f"not an ncpu image (format {shown(data.get('format'))}, expected {FORMAT_NAME!r})"
            )
        version = data.get("version")
        if type(version) is not int or version != FORMAT_VERSION:
            raise self.fail(f"image format version {shown(version)} is not supported"
                            f" (this ncpu reads version {FORMAT_VERSION})")
        unknown = sorted(k if isinstance(k, str) and len(k) <= 40 and k.isprintable()
                         else shown(k) for k in data if k not in KEYS)
        if unknown:
            listed = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more"
                                               if len(unknown) > 5 else "")
            raise self.fail(f"unknown field(s): {listed} (known: {', '.join(KEYS)})")
        for key in ("isa", "word_bits", "size", "entry"):
            if key not in data:
                raise self.fail(f"missing field {key!r}")
        isa = load_isa()
        if type(data["isa"]) is not str or data["isa"] != isa.name:
            raise self.fail(f"image is for ISA {shown(data['isa'])}, this ncpu runs {isa.name!r}")
        if type(data["word_bits"]) is not int or data["word_bits"] != isa.word_bits:
            raise self.fail(f"image has {shown(data['word_bits'])}-bit words,"
                            f" {isa.name} has {isa.word_bits}")
        size = self.integer(data["size"], "size", 0, MAX_MEM_WORDS)
        entry = self.integer(data["entry"], "entry", 0, MAX_MEM_WORDS - 1)
        return size, entry

    def symbols(self, raw: Any) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, addr in self.mapping(raw, "symbols").items():
            if not isinstance(name, str) or not LABEL_RE.match(name):
                raise self.fail(f"symbols: {shown(name)} is not a label name")
            out[name] = self.integer(addr, f"symbol {shown(name)}", 0, MAX_MEM_WORDS)
        return out

    def source_map(self, raw: Any, size: int) -> dict[int, tuple[str, int]]:
        out: dict[int, tuple[str, int]] = {}
        for addr, where in self.mapping(raw, "source_map").items():
            self.integer(addr, "source_map address", 0, max(size - 1, 0))
            m = PLACE_RE.match(where) if isinstance(where, str) else None
            if m is None or int(m.group(2)) < 1:
                raise self.fail(f"source_map {addr}: {shown(where)} is not 'file:line'")
            out[addr] = (self.text(m.group(1), f"source_map {addr} file"), int(m.group(2)))
        return out

    def segments(self, raw: Any, size: int) -> list[int]:
        words = [0] * size
        owner: list[int | None] = [None] * size
        for i, seg in enumerate(self.sequence(raw, "segments")):
            if not isinstance(seg, dict) or set(seg) != {"start", "words"}:
                raise self.fail(f"segment {i}: expected exactly the fields 'start' and 'words'")
            start = self.integer(seg["start"], f"segment {i} start", 0, MAX_MEM_WORDS)
            values = self.sequence(seg["words"], f"segment {i} words")
            if not values:
                raise self.fail(f"segment {i}: no words")
            if start + len(values) > size:
                raise self.fail(
                    f"segment {i}: words {start}..{start + len(values) - 1} lie beyond size {size}"
                )
            for j, value in enumerate(values):
                addr = start + j
                if owner[addr] is not None:
                    raise self.fail(f"segment {i} overlaps segment {owner[addr]} at address {addr}")
                owner[addr] = i
                words[addr] = self.word(value, f"segment {i} word {j}")
        return words

    def dense(self, raw: Any, size: int) -> list[int]:
        values = self.sequence(raw, "words")
        if len(values) != size:
            raise self.fail(f"words: {len(values)} words but size is {size} (truncated?)")
        return [self.word(v, f"word {a}") for a, v in enumerate(values)]

    def holes(self, raw: Any, size: int) -> list[dict]:
        """The fit's hole table: each a mapping with `address` (inside the image);
        its other fields (owned by `ncpu fit`) must be names with integer, text or list values."""
        holes = self.sequence(raw, "holes")
        for i, hole in enumerate(holes):
            if not isinstance(hole, dict):
                raise self.fail(f"hole {i}: expected a mapping")
            for key, value in hole.items():
                if not isinstance(key, str) or not HOLE_KEY_RE.match(key):
                    raise self.fail(f"hole {i}: {shown(key)} is not a field name")
                if key != "slots":
                    self._hole_value(value, f"hole {i} {key}", nested=False)
            if "address" not in hole:
                raise self.fail(f"hole {i}: missing field 'address'")
            self.integer(hole["address"], f"hole {i} address", 0, max(size - 1, 0))
            if "values" in hole:
                self.registers(hole["values"], f"hole {i} values")
            if hole.get("kind") == "instruction" or "slots" in hole:
                self.instruction(hole, f"hole {i}")
        return holes

    def registers(self, value: Any, what: str) -> None:
        """A register set: a non-empty, strictly increasing list of register numbers."""
        last = load_isa().registers - 1
        if not isinstance(value, list) or not value:
            raise self.fail(f"{what}: expected a non-empty list of register numbers")
        for v in value:
            self.integer(v, what, 0, last)
        if any(a >= b for a, b in zip(value, value[1:])):
            raise self.fail(f"{what}: register numbers must be sorted and unique")

    def instruction(self, hole: dict, what: str) -> None:
        """An instruction hole: `choices` (instructions or nop) and `slots` per role."""
        if hole.get("kind") != "instruction":
            raise self.fail(f"{what}: 'slots' belongs to kind 'instruction' only")
        isa = load_isa()
        choices = hole.get("choices")
        if not isinstance(choices, list) or not choices:
            raise self.fail(f"{what}: expected 'choices', a non-empty list of mnemonics")
        for name in choices:
            op = isa.by_name.get(name) if isinstance(name, str) else None
            if name != "nop" and (op is None or op.cls == "halt"):
                raise self.fail(f"{what} choices: {shown(name)} is not an instruction"
                                " (any but halt) or nop")
        slots = hole.get("slots")
        if not isinstance(slots, dict):
            raise self.fail(f"{what}: expected 'slots', a mapping of roles (rd ra rb imm target)")
        for role, slot in slots.items():
            where = f"{what} slot {shown(role)}"
            if role not in ROLES:
                raise self.fail(f"{where}: not a role (rd ra rb imm target)")
            if not isinstance(slot, dict):
                raise self.fail(f"{where}: expected a mapping (values, lo and hi, or fixed)")
            forms = tuple(sorted(slot))
            if forms == ("fixed",):
                self.integer(slot["fixed"], where, -(1 << 31), (1 << 32) - 1)
            elif forms == ("values",) and role in ("rd", "ra", "rb"):
                self.registers(slot["values"], f"{where} values")
            elif forms == ("hi", "lo") and role in ("imm", "target"):
                lo = self.integer(slot["lo"], f"{where} lo", -(1 << 31), (1 << 32) - 1)
                self.integer(slot["hi"], f"{where} hi", lo, (1 << 32) - 1)
            else:
                want = "values" if role in ("rd", "ra", "rb") else "lo and hi"
                raise self.fail(f"{where}: expected exactly {want}, or fixed")

    def _hole_value(self, value: Any, what: str, nested: bool) -> None:
        if isinstance(value, list) and not nested:
            for item in value:
                self._hole_value(item, what, nested=True)
        elif isinstance(value, str):
            self.text(value, what)
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, int):
            self.integer(value, what, -(1 << 63), (1 << 64) - 1)
        else:
            raise self.fail(f"{what}: {shown(value)} is not an integer, text or list of them")


def image_fields(data: Any, name: str, *, need_end: bool = True) -> dict[str, Any]:
    """Validate a parsed YAML/JSON image mapping; the keyword arguments of `Image`."""
    chk = Checker(name)
    size, entry = chk.header(data)
    if "end" in data and data["end"] is not True:
        raise chk.fail(f"end: {shown(data['end'])} (expected true)")
    if need_end and data.get("end") is not True:
        raise chk.fail("truncated file (the closing 'end: true' line is missing)")
    if "words" in data and "segments" in data:
        raise chk.fail("has both 'words' and 'segments'")
    if "words" in data:
        words = chk.dense(data["words"], size)
    elif "segments" in data:
        words = chk.segments(data["segments"], size)
    else:
        raise chk.fail("missing field 'segments'")
    return {
        "words": words,
        "entry": entry,
        "symbols": chk.symbols(data.get("symbols")),
        "source_map": chk.source_map(data.get("source_map"), size),
        "isa": data["isa"],
        "word_bits": data["word_bits"],
        "holes": chk.holes(data.get("holes"), size),
    }
