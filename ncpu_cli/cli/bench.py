"""`ncpu bench`: honest throughput numbers, with the machine they ran on."""

from __future__ import annotations

import json
from enum import Enum

import typer
from rich.table import Table

from ncpu_cli.cli.common import fail, reported_errors, reports_errors, stderr, stdout
from ncpu_cli.cli.root import app


class Subject(str, Enum):
    asm = "asm"
    engines = "engines"
    exact = "exact"
    soft = "soft"
    fit = "fit"
    all = "all"


def _ints(text: str, option: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v.replace("_", "")) for v in text.split(",") if v.strip())
    except ValueError:
        fail(f"{option}: expected comma-separated integers, got `{text}`")
    if not values or min(values) < 1:
        fail(f"{option}: expected positive integers, got `{text}`")
    return values


def _sizes(batches: str, cycles: int) -> dict:
    kw: dict = {"batches": _ints(batches, "--batches")} if batches else {}
    if cycles:
        kw["cycles"] = cycles
    return kw


@app.command(rich_help_panel="Measure")
@reports_errors("as_json")
def bench(
    subject: Subject = typer.Argument(Subject.all, help="What to measure."),
    device: str = typer.Option("cpu", "--device", help="cpu | cuda | cuda:N"),
    batches: str = typer.Option(
        "", "--batches", help="Comma-separated batch sizes (default per subject; fit: restart counts)."
    ),
    lines: int = typer.Option(20000, "--lines", min=100, help="Lines for the assembler benchmark."),
    cycles: int = typer.Option(
        0, "--cycles", min=0, help="Cycles per executor measurement (0: the subject's default)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON only."),
) -> None:
    """Measure assembler lines/s and executor instructions/s on this machine."""
    from ncpu_cli.bench.machine import describe, machine_info
    from ncpu_cli.run import distributed

    session = None
    try:
        with reported_errors():
            if distributed.launched():  # torchrun: every rank measures on its own device
                session = distributed.start(device)
                if device.startswith("cuda"):
                    device = f"cuda:{session.info.local_rank}"
            with distributed.phase(session):
                rows = _measure(subject, device, batches, lines, cycles)
            if session is not None:
                from ncpu_cli.bench.ranks import combine_ranks

                gathered = distributed.gather(rows)
                if gathered is None:  # not rank 0: rank 0 prints
                    raise typer.Exit(0)
                rows = combine_ranks(gathered)
            info = machine_info(device)
            if session is not None:
                info["ranks"] = session.info.world
            if as_json:
                typer.echo(json.dumps({"machine": info, "results": rows}, indent=2))
            else:
                _render(rows, describe(info))
            code = 0
    except typer.Exit as done:
        code = done.exit_code
    if session is not None:
        code = session.finish(code)
    raise typer.Exit(code)


def _measure(subject: Subject, device: str, batches: str, lines: int, cycles: int) -> list[dict]:
    """The rows of the chosen subjects, measured on `device`."""
    rows: list[dict] = []
    everything = {Subject.asm, Subject.engines, Subject.exact, Subject.soft}
    chosen = everything if subject == Subject.all else {subject}
    if Subject.asm in chosen:
        from ncpu_cli.bench.asm import bench_asm

        rows.append({"subject": "asm", **bench_asm(lines)})
    if Subject.engines in chosen:
        from ncpu_cli.bench.engines import bench_engines

        kw = _sizes(batches, cycles)
        rows += [{"subject": "engines", **r} for r in bench_engines(device=device, **kw)]
    if Subject.exact in chosen:
        from ncpu_cli.bench.exact import bench_exact

        kw = _sizes(batches, cycles)
        rows += [{"subject": "exact", **r} for r in bench_exact(device=device, **kw)]
    if Subject.fit in chosen:
        from ncpu_cli.bench.fit import bench_fit

        kw = {"restarts": _ints(batches, "--batches")} if batches else {}
        gradient = bench_fit(device=device, **kw)
        rows += [{"subject": "fit", **r} for r in gradient]
        from ncpu_cli.bench.fit import bench_search

        rows += [{"subject": "fit fillings/s", **r}
                 for r in bench_search(gradient_rows=gradient)]
    if Subject.soft in chosen:
        from ncpu_cli.bench.soft import bench_soft

        kw = _sizes(batches, cycles)
        rows += [{"subject": "soft", **r} for r in bench_soft(device=device, **kw)]
    return rows


def _fmt(value: object) -> str:
    """Short human numbers for the table (`--json` keeps every digit)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if abs(value) >= 1e6:
        return f"{value:.3g}".replace("e+0", "e").replace("e+", "e")
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{value:,}"


_HEADERS = {"instructions": "instr", "lines_per_s": "lines/s", "startup_s": "startup s",
            "compile_s": "compile s", "device_name": "device name"}


def _render(rows: list[dict], machine: str) -> None:
    out = stdout()
    if not out.is_terminal:
        out.width = 160  # piped into a file or README: never truncate a number
    for subject in dict.fromkeys(r["subject"] for r in rows):
        group = [r for r in rows if r["subject"] == subject]
        cols = list(dict.fromkeys(k for r in group for k in r if k != "subject"))
        table = Table(title=f"ncpu bench {subject}", title_justify="left")
        for c in cols:
            left = c in ("engine", "mode", "device", "device_name", "dtype", "step")
            table.add_column(_HEADERS.get(c, c), justify="left" if left else "right")
        for r in group:
            table.add_row(*(_fmt(r.get(c, "")) for c in cols))
        out.print(table)
    stderr().print(f"machine: {machine}")
