"""Rich views of `ncpu trace`: per-cycle table, pc heat strip, summary panel, sweep table.

Pure functions: a Trace (or sweep rows) in, renderables out.  Sharpness is
shown in "nines": a target mass of 0.999 has three nines, a leak of 1e-6 six;
bars and colours go by nines (green: 6 or more, yellow: 3 to 6, red: fewer).
"""

from __future__ import annotations

import math
from typing import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ncpu_cli.trace import HEADS, SweepRow, Trace

BARS = "▁▂▃▄▅▆▇█"  # sharpness bar, one level per two nines
SHORT = {"read": "ld", "write": "st"}  # column titles of the memory heads
SHADES = [(0.5, "█"), (1e-3, "▓"), (1e-6, "▒"), (1e-9, "░"), (1e-12, "·")]


def nines(target: float) -> float:
    """-log10(1 - target): how many leading nines the mass on the target has."""
    leak = 1.0 - target
    if leak <= 1e-16:
        return 16.0
    return max(0.0, -math.log10(leak))


def _style(n: float) -> str:
    return "green" if n >= 6 else "yellow" if n >= 3 else "red"


def sharp_cell(metrics: dict | None) -> Text:
    """A one-character bar of the target mass in nines (▁ none .. █ 14 or more), then the nines."""
    if metrics is None:
        return Text("  ·", style="dim")
    n = nines(metrics["target"])
    bar = BARS[min(len(BARS) - 1, int(n // 2))]
    return Text(f"{bar}{min(n, 99.0):2.0f}", style=_style(n))


def _err(x: float) -> Text:
    style = "green" if x < 1e-6 else "yellow" if x < 0.5 else "bold red"
    return Text(compact(x), style=style)


def compact(x: float) -> str:
    """A number in at most six characters: 0, 3e-07, 0.25, 134, 2.1e+05."""
    if x == 0:
        return "0"
    if 0.01 <= abs(x) < 1e4:
        return f"{x:.3g}"
    return f"{x:.0e}"


def _rows(trace: Trace, max_rows: int) -> list:
    recs = trace.records
    if max_rows <= 0 or len(recs) <= max_rows:
        return list(recs)
    half = max_rows // 2
    return recs[:half] + [None] + recs[-(max_rows - half):]


def machine_label(addressing: str, temperature: float) -> str:
    """The soft machine's addressing as the views name it: `softmax τ=0.1`, `hard`."""
    return addressing if addressing == "hard" else f"{addressing} τ={temperature:g}"


def trace_table(trace: Trace, max_rows: int = 200) -> Table:
    """One row per cycle: exact pc and instruction, sharpness of every head, errors."""
    t = Table(box=box.SIMPLE_HEAD, title=f"ncpu trace · "
              f"{machine_label(trace.addressing, trace.temperature)} · N={trace.mem_words}",
              title_justify="left", pad_edge=False, collapse_padding=True)
    t.add_column("cycle", justify="right", no_wrap=True, min_width=5)
    t.add_column("pc", justify="right", no_wrap=True)
    # the instruction column is the one that gives way on a narrow terminal (its cells
    # end in "…"); every number keeps all its characters (a cut "0.04…" reads as a value)
    t.add_column("instruction", max_width=18)
    for h in HEADS:
        t.add_column(SHORT.get(h, h), no_wrap=True, justify="right", min_width=3)
    for name in ("Δreg", "Δmem", "Δout"):
        t.add_column(name, justify="right", no_wrap=True, min_width=5)
    for r in _rows(trace, max_rows):
        if r is None:
            t.add_row("…", "", Text(f"({len(trace.records) - max_rows} cycles not shown)",
                                    style="dim"))
            continue
        pc = Text(str(r.pc)) if r.soft_pc == r.pc else Text(f"{r.pc}*", style="bold red")
        instr = Text(r.instr, no_wrap=True, overflow="ellipsis")
        t.add_row(str(r.cycle), pc, instr, *(sharp_cell(r.heads.get(h)) for h in HEADS),
                  _err(r.reg_error), _err(r.mem_error), _err(r.out_error))
    return t


def shade(w: float | None) -> str:
    if w is None:
        return " "
    for level, ch in SHADES:
        if w >= level:
            return ch
    return " "


def legend() -> Text:
    return Text("heads pc ra rb rd, ld (memory read), st (memory write): ▁..█ and the number = "
                "nines of mass on the exact target (6: leak 1e-6), · = no such head; "
                "pc* = argmax(soft pc) is elsewhere; Δ: largest |soft - exact|", style="dim")


def pc_strip(trace: Trace, max_rows: int = 200) -> RenderableType:
    """Rows = cycles, columns = addresses around the exact pc (centre), shaded by soft pc weight."""
    w = trace.window
    lines = [Text(f"{'':>6} " + "".join("│" if i == w else " " for i in range(2 * w + 1))
                  + "  pc attention around the exact pc (centre column)", style="dim")]
    for r in _rows(trace, max_rows):
        if r is None:
            lines.append(Text("     …", style="dim"))
            continue
        row = Text(f"{r.cycle:>6} ")
        for i, weight in enumerate(r.strip):
            ch = shade(weight)
            style = ("bold green" if i == w else "red") if weight is not None and weight >= 0.5 else (
                "cyan" if i == w else "blue")
            row.append(ch, style=style)
        row.append(f"  {r.pc}")
        lines.append(row)
    legend = Text("  █ ≥0.5  ▓ ≥1e-3  ▒ ≥1e-6  ░ ≥1e-9  · ≥1e-12", style="dim")
    return Group(*lines, legend)


def summary_panel(trace: Trace) -> Panel:
    s = trace.summary
    g = Table.grid(padding=(0, 2))
    g.add_column(style="bold")
    g.add_column()
    g.add_row("cycles traced", f"{s.cycles:,}")
    div = "never" if s.first_divergence is None else f"cycle {s.first_divergence}"
    g.add_row("argmax(pc) leaves exact pc", Text(div, style="green" if s.first_divergence is None
                                                 else "bold red"))
    g.add_row("max register error", _err(s.max_reg_error))
    g.add_row("final register error", _err(s.final_reg_error))
    n = nines(s.min_pc_target)
    g.add_row("min pc target mass", Text(f"{s.min_pc_target:.6g} ({n:.1f} nines)", style=_style(n)))
    status = s.exact_status + (f" ({trace.exact_reason})" if trace.exact_reason else "")
    g.add_row("exact status", status)
    g.add_row("soft halt mass", f"{s.soft_halt_mass:.6g}")
    if trace.stopped:
        g.add_row("stopped", Text(trace.stopped, style="bold red"))
    g.add_row("soft machine", Text(f"{machine_label(trace.addressing, trace.temperature)} · "
                                   f"N={trace.mem_words}", style="dim"))
    return Panel(g, title="summary", title_align="left", expand=False)


def sweep_table(rows: Sequence[SweepRow]) -> Group:
    """One row per (N, τ, mode): the pc mass the first jump leaks next to its closed
    form, the smallest pc target mass of the run (coloured by nines), the first
    divergence and the final register error."""
    cycles = "/".join(map(str, sorted({r.cycles for r in rows})))
    t = Table(box=box.SIMPLE_HEAD, title="ncpu trace sweep", title_justify="left",
              pad_edge=False)
    note = Text(f"{cycles} cycles traced.  leak: 1 − the pc mass on the exact target after the "
                "first jump; formula: its closed form 1 − p_max, p_max = 1/(1 + (N − 1)·e^(−1/τ)) for softmax "
                "(0 for sparsemax τ ≤ 1 and hard); min target: the smallest pc mass on the exact "
                "pc over the run; diverges: first cycle where argmax(pc) leaves the exact pc; "
                "error: final largest |register error|", style="dim")
    for c in ("N", "τ", "mode", "leak", "formula", "min target", "diverges", "error"):
        t.add_column(c, justify="left" if c == "mode" else "right", no_wrap=True)
    for r in rows:
        n = nines(r.min_target)
        leak = "—" if r.first_jump_target is None else _leak(1 - r.first_jump_target)
        t.add_row(str(r.mem_words), f"{r.temperature:g}", r.addressing, leak,
                  _leak(1 - r.closed_form), Text(f"{r.min_target:.3g}", style=_style(n)),
                  "never" if r.first_divergence is None else f"cycle {r.first_divergence}",
                  _err(r.final_error))
    return Group(t, note)


def _leak(x: float) -> str:
    """A leak (1 − mass) in at most 7 characters: 0, 2.8e-03, 0.63."""
    if x <= 0:
        return "0"
    return f"{x:.2g}" if x >= 0.01 else f"{x:.1e}"
