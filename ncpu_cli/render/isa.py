"""Rich view of the opcode table (`ncpu isa`) and its JSON form (`ncpu isa --json`)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ncpu_cli.isa import Isa
from ncpu_cli.isadoc import OPERAND_TEXT, imm_range, op_syntax


def isa_table(isa: Isa) -> Group:
    """The opcode table and the pseudo-instruction table, ready to print."""
    ops = Table(title=f"{isa.name} instructions", title_justify="left", header_style="bold")
    ops.add_column("op", justify="right")
    ops.add_column("instruction", style="cyan", no_wrap=True)
    ops.add_column("fmt")
    ops.add_column("immediate")
    ops.add_column("semantics")
    for op in sorted(isa.ops, key=lambda o: o.opcode):
        cells = (str(op.opcode), op_syntax(op), op.format, imm_range(op.imm), op.doc)
        ops.add_row(*map(Text, cells))  # Text: `mem[ra + imm]` is not Rich markup
    pseudos = Table(title="pseudo-instructions", title_justify="left", header_style="bold")
    pseudos.add_column("pseudo", style="cyan", no_wrap=True)
    pseudos.add_column("expansion")
    for p in isa.pseudos:
        syntax = " ".join([p.name, ", ".join(OPERAND_TEXT[k] for k in p.syntax)]).strip()
        pseudos.add_row(Text(syntax), Text(p.expands))
    return Group(ops, pseudos)


def isa_json(isa: Isa) -> dict[str, Any]:
    """Everything the table shows, as plain data."""
    return {
        "isa": isa.name,
        "version": isa.version,
        "word_bits": isa.word_bits,
        "registers": isa.registers,
        "aliases": dict(isa.aliases),
        "fields": {f.name: {"hi": f.hi, "lo": f.lo} for f in isa.fields.values()},
        "formats": {k: list(v) for k, v in isa.formats.items()},
        "ops": [
            {
                "name": op.name,
                "opcode": op.opcode,
                "format": op.format,
                "syntax": list(op.syntax),
                "uses": list(op.uses),
                "imm": None
                if op.imm is None
                else {
                    "kind": op.imm.name,
                    "field": op.imm.field.name,
                    "lo": op.imm.lo,
                    "hi": op.imm.hi,
                },
                "class": op.cls,
                "fn": op.fn,
                "doc": op.doc,
            }
            for op in sorted(isa.ops, key=lambda o: o.opcode)
        ],
        "pseudos": [
            {"name": p.name, "syntax": list(p.syntax), "expands": p.expands} for p in isa.pseudos
        ],
    }
