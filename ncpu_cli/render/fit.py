"""Rich views of `ncpu fit`: the live progress line, the summary line, the summary of
several seeds and the suite table."""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

import numpy as np
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
        verdict = "not solved (" + _WHY.get(r.stopped or "", "budget spent") + ")"
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
    evals = f", {r.evaluations:,} evaluations" if r.evaluations != r.candidates else ""
    return (f"{verdict} by {r.method} in {steps}, {r.seconds:.1f} s{workers}: examples "
            f"{r.examples_passed}/{r.examples_total}{held}{checks}; {r.candidates:,} distinct "
            f"fillings checked exactly{evals} (space {r.space:,})")


_WHY = {"steps": "--steps spent", "time": "--time-limit reached",
        "ended": "the method stopped; see the notes in --json"}


def _spread(s: dict | None, fmt: str) -> str:
    return "-" if s is None else (f"{format(s['median'], fmt)} "
                                  f"({format(s['min'], fmt)}–{format(s['max'], fmt)})")


def seeds_summary(summary: dict, method: str, first_seed: int) -> str:
    """`--seeds N` on one spec: the share solved, then the median and range (min–max) of
    seconds, evaluations and steps to the answer over the seeds that solved."""
    n, ok = summary["runs"], summary["solved"]
    head = (f"{method}: solved {ok}/{n} seeds ({first_seed}..{first_seed + n - 1}, "
            f"{summary['success_rate']:.0%})")
    lines = [head]
    to = summary["to_solution"]
    if ok:
        lines.append(f"  to the answer ({ok} run{'s' if ok != 1 else ''}), median (min–max): "
                     f"{_spread(to['seconds'], '.2f')} s, "
                     f"{_spread(to['evaluations'], ',.0f')} evaluations, "
                     f"{_spread(to['steps'], ',.0f')} steps")
    lines.append(f"  every run: {_spread(summary['seconds_all_runs'], '.2f')} s")
    return "\n".join(lines)


def suite_table(rows: Sequence[SuiteRow], columns: Sequence[str]) -> Table:
    """One row per task, a cell per configuration (`SuiteRow.config`: a method, or
    method/proposals), totals last."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("task")
    table.add_column("space", justify="right")
    for m in columns:
        table.add_column(m, justify="right")
    by_task: dict[str, dict[str, list[SuiteRow]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_task[row.task][row.config].append(row)
    for task, cells in by_task.items():
        space = next(iter(cells.values()))[0].space
        table.add_row(task, f"{space:.1e}" if space >= 10**6 else str(space),
                      *[_cell(cells.get(m, [])) for m in columns])
    totals = []
    for m in columns:
        mine = by_method(rows, m)
        solved = sum(1 for runs in mine.values() if all(r.solved for r in runs))
        secs = sum(r.seconds for runs in mine.values() for r in runs)
        totals.append(Text(f"{solved}/{len(mine)} tasks  {secs:.0f} s", style="bold"))
    table.add_section()
    table.add_row(Text("solved", style="bold"), "", *totals)
    return table


def by_method(rows: Sequence[SuiteRow], config: str) -> dict[str, list[SuiteRow]]:
    """Task -> the runs of one configuration (`SuiteRow.config`)."""
    out: dict[str, list[SuiteRow]] = defaultdict(list)
    for r in rows:
        if r.config == config:
            out[r.task].append(r)
    return out


def _count(x: float) -> str:
    """A count in a few characters: 964, 12k, 3.4M, 1.2G."""
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= 9.995 * size:
            return f"{x / size:.0f}{unit}"
        if x >= 0.9995 * size:
            return f"{x / size:.1f}{unit}"
    return f"{x:.0f}"


def _cell(runs: list[SuiteRow]) -> Text:
    """One run: ✓/✗, seconds and steps; several seeds: the share solved, then the median
    seconds and evaluations of the runs that solved."""
    if not runs:
        return Text("-", style="dim")
    if runs[0].note:
        return Text("refused" if runs[0].note.startswith("refused") else "error",
                    style="yellow")
    if len(runs) > 1:
        done = [r for r in runs if r.solved]
        ok = len(done)
        style = "green" if ok == len(runs) else ("yellow" if ok else "red")
        if not done:
            return Text(f"{ok}/{len(runs)}", style=style)
        secs = float(np.median([r.seconds for r in done]))
        evals = float(np.median([r.evaluations for r in done]))
        return Text(f"{ok}/{len(runs)}", style=style) + Text(f" {secs:.1f} s {_count(evals)} ev")
    row = runs[0]
    mark = Text("✓ ", style="green") if row.solved else Text("✗ ", style="red")
    extra = f" {row.winner}" if row.winner else ""
    if row.verified:
        extra += f" v{row.verified:,}"
    if row.proved:
        extra += " proved"
    return mark + Text(f"{row.seconds:.1f} s {row.steps}{extra}")
