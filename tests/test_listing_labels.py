"""A listing keeps the program's labels (issue 18 item 10): `ncpu disasm prog.lst` used to
print bare addresses (`bne r1, r0, 1`) where the source and `ncpu disasm prog.yaml` say
`loop`. The listing ends with `; symbol NAME: 0xADDR` lines (as an assembler listing ends
with its symbol table), and a sketch's holes as `; hole N: 0xADDR at FILE:LINE:COL`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ncpu_cli import formats
from ncpu_cli.asm import assemble
from ncpu_cli.cli import app

SOURCE = """\
start:  li r1, 3
loop:   addi r1, r1, -1
.next:  bnez r1, loop
        j done
done:   halt
"""
SKETCH = "li r1, ??\n?{add,sub} r2, r1, r1\nout r2\nhalt\n"


def test_disasm_of_a_listing_shows_the_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("l.s").write_text(SOURCE)
    runner = CliRunner()
    assert runner.invoke(app, ["asm", "-q", "l.s", "-f", "listing", "-o", "l.lst"]).exit_code == 0
    assert runner.invoke(app, ["asm", "-q", "l.s", "-o", "l.yaml"]).exit_code == 0
    from_listing = runner.invoke(app, ["disasm", "l.lst"])
    assert from_listing.exit_code == 0
    lines = [ln.strip() for ln in from_listing.stdout.splitlines()]
    assert "loop:" in lines and "loop.next:" in lines and "done:" in lines
    assert any(ln.endswith("bne r1, r0, loop") for ln in lines), lines
    # the same text as from the lossless image
    assert from_listing.stdout == runner.invoke(app, ["disasm", "l.yaml"]).stdout


def test_listing_round_trips_the_symbols() -> None:
    image = assemble(SOURCE, "l.s")
    back = formats.parse(formats.to_listing(image).encode(), "l.lst")
    assert back.symbols == image.symbols == {"start": 0, "loop": 1, "loop.next": 2, "done": 4}
    assert (back.words, back.entry) == (image.words, image.entry)


def test_a_listing_without_symbol_lines_still_loads() -> None:
    image = assemble(SOURCE, "l.s")
    text = "".join(ln for ln in formats.to_listing(image).splitlines(keepends=True)
                   if "symbol" not in ln)
    back = formats.parse(text.encode(), "l.lst")
    assert back.words == image.words and back.symbols == {}


@pytest.mark.parametrize("fmt", ["listing", "readmemh"])
def test_text_formats_say_where_the_holes_are(fmt: str) -> None:
    image = assemble(SKETCH, "s.s", keep_holes=True)
    back = formats.parse(formats.dump(image, fmt).encode(), f"s.{fmt}", fmt)
    place = [(h["index"], h["address"], h["file"], h["line"], h["col"]) for h in image.holes]
    assert [(h["index"], h["address"], h["file"], h["line"], h["col"]) for h in back.holes] == place
    assert place[0] == (0, 0, "s.s", 1, 8)
