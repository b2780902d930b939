"""isa/README.md is generated from the opcode table and must be up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ncpu_cli.isa import load_isa
from ncpu_cli.isadoc import op_syntax, render_readme

ROOT = Path(__file__).resolve().parents[1]


def test_committed_readme_matches_the_generator() -> None:
    committed = (ROOT / "isa" / "README.md").read_text(encoding="utf-8")
    assert committed == render_readme(), (
        "isa/README.md is out of date with isa/ncpu32.yaml or isa/README.template.md:"
        " run `make isa-docs`"
    )


def test_every_op_and_pseudo_has_a_row() -> None:
    text = render_readme()
    rows = [ln for ln in text.splitlines() if ln.startswith("| ")]
    for op in load_isa().ops:
        assert any(f"| {op.opcode} | " in r and f"`{op_syntax(op)}`" in r for r in rows), op.name
    for p in load_isa().pseudos:
        assert any(r.startswith(f"| `{p.name}") for r in rows), p.name
    assert "{{" not in text


def test_unknown_placeholder_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"\{\{nope\}\}"):
        render_readme("# x\n{{nope}}\n")


def test_module_prints_the_page() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ncpu_cli.isadoc"], capture_output=True, text=True, check=True
    )
    assert out.stdout == render_readme()
