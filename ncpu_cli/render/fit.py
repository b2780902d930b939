"""Rich views of `ncpu fit`: the live progress line and the suite table."""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

from rich import box
from rich.table import Table
from rich.text import Text

from ncpu_cli.fit.search import FitResult, Progress
from ncpu_cli.fit.suite import SuiteRow


def progress_text(p: Progress, method: str) -> str:
    loss = "" if p.loss is None else f"  loss {p.loss:.4g}"
    return (f"{method}: step {p.step}{loss}  best {p.best_passed}/{p.examples} examples"
            f"  exact matches {p.exact_matches}  checked {p.candidates:,}")


def summary_line(r: FitResult) -> str:
    if r.solved:
        verdict = "solved"
    elif r.proved_unsolvable:
        verdict = "proved unsolvable (no filling of the sketch meets the spec)"
    else:
        verdict = "not solved (budget spent)"
    held = f", holdout {r.holdout_passed}/{r.holdout_total}" if r.holdout_total else ""
    steps = f"{r.steps} step" + ("" if r.steps == 1 else "s")
    checks = ""
    if r.verified:
        checks += f"; right on {r.verified:,} fresh inputs against the reference"
    if r.counterexamples:
        checks += f" ({r.counterexamples} counterexample(s) joined the examples)"
    if r.proved is not None:
        checks += "; proved equal to the reference for every input" if r.proved else \
            "; not proved equal to the reference"
    workers = ""
    if r.method_times and len(r.method_times) > 1:
        workers = " (" + ", ".join(f"{m} {s:.1f} s" for m, s in r.method_times.items()) + ")"
    return (f"{verdict} by {r.method} in {steps}, {r.seconds:.1f} s{workers}: examples "
            f"{r.examples_passed}/{r.examples_total}{held}{checks}; {r.candidates:,} fillings "
            f"checked exactly (space {r.space:,})")


def suite_table(rows: Sequence[SuiteRow], methods: Sequence[str]) -> Table:
    """One row per task, a solved / seconds / steps group per method, totals last."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("task")
    table.add_column("space", justify="right")
    for m in methods:
        table.add_column(m, justify="right")
    by_task: dict[str, dict[str, list[SuiteRow]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_task[row.task][row.method].append(row)
    for task, cells in by_task.items():
        space = next(iter(cells.values()))[0].space
        table.add_row(task, f"{space:.1e}" if space >= 10**6 else str(space),
                      *[_cell(cells.get(m, [])) for m in methods])
    totals = []
    for m in methods:
        mine = by_method(rows, m)
        solved = sum(1 for runs in mine.values() if all(r.solved for r in runs))
        secs = sum(r.seconds for runs in mine.values() for r in runs)
        totals.append(Text(f"{solved}/{len(mine)} tasks  {secs:.0f} s", style="bold"))
    table.add_section()
    table.add_row(Text("solved", style="bold"), "", *totals)
    return table


def by_method(rows: Sequence[SuiteRow], method: str) -> dict[str, list[SuiteRow]]:
    out: dict[str, list[SuiteRow]] = defaultdict(list)
    for r in rows:
        if r.method == method:
            out[r.task].append(r)
    return out


def _cell(runs: list[SuiteRow]) -> Text:
    """One run: ✓/✗, seconds and steps; several seeds: the share solved, median seconds."""
    if not runs:
        return Text("-", style="dim")
    if runs[0].note:
        return Text("refused" if runs[0].note.startswith("refused") else "error",
                    style="yellow")
    if len(runs) > 1:
        ok = sum(r.solved for r in runs)
        secs = sorted(r.seconds for r in runs)[len(runs) // 2]
        style = "green" if ok == len(runs) else ("yellow" if ok else "red")
        return Text(f"{ok}/{len(runs)}", style=style) + Text(f" {secs:.1f} s")
    row = runs[0]
    mark = Text("✓ ", style="green") if row.solved else Text("✗ ", style="red")
    extra = f" {row.winner}" if row.winner else ""
    if row.verified:
        extra += f" v{row.verified:,}"
    if row.proved:
        extra += " proved"
    return mark + Text(f"{row.seconds:.1f} s {row.steps}{extra}")
