"""Rich views of `ncpu run` results: result table, register grid, batch summary.

Pure functions: results (and a pc -> "file:line  text" locator) in, renderables out.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ncpu_cli.machine.result import FAULT, HALTED, TIMEOUT, ProgramResult
from ncpu_cli.run.compare import Comparison

Locator = Callable[[int], "str | None"]

ALIASES = {0: "zero", 14: "lr", 15: "sp"}
STATUS_STYLE = {HALTED: "green", FAULT: "bold red", TIMEOUT: "yellow"}
MAX_OUT_SHOWN = 32  # words of an output stream shown in a table cell
MAX_TEXT_SHOWN = 200  # characters of decoded output shown
# what the soft executor's "max deviation" is (and is not)
DEVIATION_MEANS = "how far soft values are from the nearest integer, not their error"


def reg_name(n: int) -> str:
    """`r1` .. `r13`, `lr`, `sp` (aliases where they exist, r0 as `r0`)."""
    return ALIASES[n] if n in (14, 15) else f"r{n}"


def nonzero_registers(regs: Sequence[int]) -> list[tuple[str, int]]:
    return [(reg_name(i), v) for i, v in enumerate(regs) if v]


def registers_cell(regs: Sequence[int]) -> Text:
    parts = nonzero_registers(regs)
    if not parts:
        return Text("all zero", style="dim")
    return Text("  ".join(f"{name}={value}" for name, value in parts))


def decode_text(out: Sequence[int]) -> str | None:
    """The output as text when every word is printable ASCII, newline or tab, and at
    least one is a visible character (a lone 9 or 10 is a number, not "\\t")."""
    if not out or not all(32 <= w < 127 or w in (9, 10) for w in out):
        return None
    if not any(32 < w < 127 for w in out):
        return None
    return "".join(map(chr, out))


def output_cell(out: Sequence[int]) -> Text:
    if not out:
        return Text("—", style="dim")
    shown = " ".join(str(w) for w in out[:MAX_OUT_SHOWN])
    if len(out) > MAX_OUT_SHOWN:
        shown += f" … ({len(out)} words)"
    cell = Text(shown)
    text = decode_text(out)
    if text is not None:
        quoted = text if len(text) <= MAX_TEXT_SHOWN else text[:MAX_TEXT_SHOWN] + "…"
        quoted = quoted.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
        cell.append("\n")
        cell.append(f'"{quoted}"', style="cyan")
    return cell


def status_cell(result: ProgramResult) -> Text:
    label = result.status + (f" ({result.reason})" if result.reason else "")
    cell = Text(label, style=STATUS_STYLE.get(result.status, ""))
    if result.eof:
        cell.append("\neof", style="dim")
    return cell


def pc_cell(pc: int, locate: Locator | None = None) -> Text:
    """pc, then what the locator says (`file:line`, and the source text on its own line).
    The pc columns never wrap: a long line is cut short with an ellipsis, so a
    location is never split into something that reads like another line number."""
    cell = Text(str(pc))
    where = locate(pc) if locate else None
    if where:
        cell.append("\n")
        cell.append(where, style="dim")
    return cell


def compare_table(results: Iterable[ProgramResult], compared: Mapping[int, Comparison],
                  engine: str) -> Table:
    """Soft against exact, one row per program: both statuses, the largest |soft - exact|
    over the registers and over the output words both wrote (and both output lengths
    when they differ), and `same` or `differs`."""
    table = Table(title=f"vs exact ({engine})", title_justify="left", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("soft", overflow="fold")
    table.add_column("exact", overflow="fold")
    table.add_column("max |Δ| registers", justify="right", overflow="fold")
    table.add_column("max |Δ| output", justify="right", overflow="fold")
    table.add_column("", overflow="fold")
    for r in results:
        c = compared[r.index]
        exact = Text(c.exact_status + (f" ({c.exact_reason})" if c.exact_reason else ""),
                     style=STATUS_STYLE.get(c.exact_status, ""))
        out = f"{c.out_error:,}" if min(len(r.out), c.out_len) else "—"
        if not c.out_len_match:
            out += f" (lengths: soft {len(r.out)}, exact {c.out_len})"
        table.add_row(str(r.index), status_cell(r), exact, _delta(f"{c.reg_error:,}", c.reg_error == 0),
                      _delta(out, c.out_error == 0 and c.out_len_match),
                      Text("same", style="green") if c.same else Text("differs", style="bold red"))
    return table


def _delta(text: str, ok: bool) -> Text:
    return Text(text, style="green" if ok else "bold red")


def result_table(results: Iterable[ProgramResult], locate: Locator | None = None) -> Table:
    """One row per program: index, status (+reason), cycles, pc (+source line),
    non-zero registers, output (and the output as text when it is text)."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("status", overflow="fold")
    table.add_column("cycles", justify="right", no_wrap=True)
    table.add_column("pc", no_wrap=True, overflow="ellipsis", max_width=26)
    table.add_column("registers (non-zero)", overflow="fold", min_width=12)
    table.add_column("output", overflow="fold", min_width=8)
    for r in results:
        table.add_row(
            str(r.index),
            status_cell(r),
            f"{r.cycles:,}",
            pc_cell(r.pc, locate),
            registers_cell(r.regs),
            output_cell(r.out),
        )
    return table


def register_grid(regs: Sequence[int], columns: int = 4) -> Table:
    """All 16 registers as a grid of (name, signed value); zero registers dimmed."""
    table = Table(box=box.SIMPLE, show_header=False, pad_edge=False)
    for _ in range(columns):
        table.add_column(justify="right", style="bold")
        table.add_column(justify="right", min_width=11)
    rows = (len(regs) + columns - 1) // columns
    for row in range(rows):
        cells: list[RenderableType] = []
        for col in range(columns):
            i = col * rows + row
            if i < len(regs):
                style = "" if regs[i] else "dim"
                cells.append(Text(reg_name(i), style=style))
                cells.append(Text(str(regs[i]), style=style))
            else:
                cells += [Text(""), Text("")]
        table.add_row(*cells)
    return table


def format_rate(ips: float) -> str:
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if ips >= scale:
            return f"{ips / scale:.2f} {unit}instr/s"
    return f"{ips:.0f} instr/s"


def format_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def max_deviation(results: Iterable[ProgramResult]) -> float | None:
    """The soft executor's largest deviation from integer values over `results`."""
    devs = [r.extra["max_deviation"] for r in results if "max_deviation" in r.extra]
    return max(devs) if devs else None


def result_notes(results: Iterable[ProgramResult]) -> list[str]:
    """The distinct `extra["note"]`s of `results` (e.g. the soft cycle cap), in order."""
    notes: dict[str, None] = {}
    for r in results:
        note = r.extra.get("note")
        if note:
            notes.setdefault(str(note), None)
    return list(notes)


def notes_text(notes: Sequence[str]) -> Text | None:
    """A dim `note: ...` line per note, or None when there is none."""
    if not notes:
        return None
    return Text("\n".join(f"note: {n}" for n in notes), style="dim")


def soft_text(addressing: str, temperature: float, dtype: str) -> str:
    """A soft run's settings: `addressing softmax τ=0.1 · float64` (no τ for hard)."""
    tau = "" if addressing == "hard" else f" τ={temperature:g}"
    return f"addressing {addressing}{tau} · {dtype}"


def machine_text(engine: str, device: str, mode: str, soft: str | None = None) -> str:
    """`engine E · device D · mode M`, and the soft machine's settings (`soft`, e.g.
    `addressing softmax τ=0.1 · float64`) after a soft run's."""
    return f"engine {engine} · device {device} · mode {mode}" + (f" · {soft}" if soft else "")


def deviation_text(deviation: float, compared: bool, label: str = "max deviation") -> str:
    """`max deviation 0.498 (what that is)`."""
    hint = "" if compared else "; --compare-exact measures the error"
    return f"{label} {deviation:.3g} ({DEVIATION_MEANS}{hint})"


def compared_text(summary: dict, engine: str, label: str = "vs exact") -> Text:
    """One line: how the soft results compare with the exact engine's."""
    n, differ = summary["count"], summary["differ"]
    head = f"{label} ({engine}): " if label else f"{engine}: "
    if not differ:
        word = "the program is" if n == 1 else f"all {n:,} programs are"
        return Text(f"{head}{word} the same (status, registers, output)", style="green")
    text = Text(head, style="bold red")
    text.append("the program differs" if n == 1 else f"{differ:,} of {n:,} programs differ")
    if summary["status_differs"] and n > 1:
        text.append(f" ({summary['status_differs']:,} in status)")
    elif summary["status_differs"]:
        text.append(" in status")
    if summary["max_error"]:
        text.append(f", largest |soft - exact| {summary['max_error']:,}")
    return text


def footer(engine: str, device: str, mode: str, seconds: float, ips: float,
           deviation: float | None = None, *, soft: str | None = None,
           compared: dict | None = None, exact_engine: str = "exact") -> Text:
    """The line under a result table: machine (a soft run's addressing, τ and float
    width), time, rate, the soft deviation and what it means; with `compared` (the
    summary of run.compare) a second line, soft against exact."""
    text = Text(style="dim")
    text.append(f"{machine_text(engine, device, mode, soft)} · ")
    text.append(f"{format_seconds(seconds)} · {format_rate(ips)}")
    if deviation is not None:
        text.append(f" · {deviation_text(deviation, compared is not None)}")
    if compared is not None:
        text.append("\n")
        text.append_text(compared_text(compared, exact_engine))
    return text


def summary_view(
    summary: dict,
    *,
    engine: str,
    device: str,
    mode: str,
    seconds: float,
    ips: float,
    faults: Sequence[ProgramResult] = (),
    locate: Locator | None = None,
    deviation: float | None = None,
    soft: str | None = None,
    compared: dict | None = None,
    exact_engine: str = "exact",
) -> Group:
    """A batch at a glance: status counts, cycle statistics, time and throughput, the
    machine (with a soft run's settings `soft`), the soft deviation and, given
    `compared`, how the soft results compare with the exact ones; then the first
    faulting programs (reason, pc and source line)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    count = summary["count"]
    status = Text()
    for i, name in enumerate((HALTED, FAULT, TIMEOUT)):
        style = STATUS_STYLE[name]
        if i:
            status.append("  ")
        n = summary.get(name, 0)
        status.append(f"{n:,} {name}", style=style if n else "dim")
    grid.add_row("programs", Text(f"{count:,}"))
    grid.add_row("status", status)
    grid.add_row(
        "cycles",
        Text(
            f"min {summary.get('cycles_min', 0):,} · median {summary.get('cycles_median', 0):,}"
            f" · max {summary.get('cycles_max', 0):,} · total {summary.get('cycles_total', 0):,}"
        ),
    )
    grid.add_row("time", Text(f"{format_seconds(seconds)} · {format_rate(ips)}"))
    grid.add_row("machine", Text(machine_text(engine, device, mode, soft)))
    if deviation is not None:
        grid.add_row("deviation", Text(deviation_text(deviation, compared is not None, "max")))
    if compared is not None:
        grid.add_row("vs exact", compared_text(compared, exact_engine, label=""))
    parts: list[RenderableType] = [grid]
    if faults:
        table = Table(title=f"first faulting programs ({len(faults)} shown)", box=box.SIMPLE_HEAD,
                      title_justify="left", show_edge=False, pad_edge=False)
        table.add_column("#", justify="right", style="dim")
        table.add_column("reason", style="bold red")
        table.add_column("pc", no_wrap=True, overflow="ellipsis", max_width=50)
        table.add_column("cycles", justify="right")
        for r in faults:
            table.add_row(str(r.index), r.reason or "", pc_cell(r.pc, locate), f"{r.cycles:,}")
        parts.append(Text(""))
        parts.append(table)
    return Group(*parts)
