"""The assembler benchmark: its generated program is valid and the numbers add up."""

from __future__ import annotations

from ncpu_cli.asm import assemble
from ncpu_cli.bench.asm import bench_asm, generate_program
from ncpu_cli.isa import load_isa


def test_generated_program_is_valid_and_varied() -> None:
    source = generate_program(3000, seed=3)
    image = assemble(source, "gen.s")
    isa = load_isa()
    used = {d.op.name for d in map(isa.decode, image.words) if d.op is not None}
    assert {"add", "addi", "ld", "st", "li", "lui", "ori", "jal", "jalr", "beq"} <= used
    assert any("." in name for name in image.symbols)  # local labels
    assert image.entry == image.symbols["main"]


def test_bench_reports_consistent_numbers() -> None:
    result = bench_asm(5000)
    assert result["lines"] >= 5000
    assert result["timed"] == "assemble + write YAML"
    assert abs(result["lines_per_s"] / (result["lines"] / result["seconds"]) - 1) < 0.01
    assert result["lines_per_s"] > 1000  # a loose floor: catches a quadratic pass, not a slow CPU
