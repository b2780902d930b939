"""`ncpu fit` over many runs: one spec with `--seeds N`, and `--suite DIR` (a table per
task and configuration, several seeds and proposal kinds side by side)."""

from __future__ import annotations

import json
import sys

import typer

from ncpu_cli.cli.common import EXIT_OK, EXIT_TIMEOUT, stderr, stdout
from ncpu_cli.fit.options import FitOptions

EXIT_UNSOLVABLE = 4


def _wide_stdout():
    out = stdout()
    if not out.is_terminal:
        out.width = 160  # piped into a file or README: never cut a cell
    return out


def fit_seeds_command(parsed, spec: str, opts: FitOptions, json_: bool, seeds: int) -> int:
    """`ncpu fit SPEC --seeds N`: N fits (seeds --seed .. --seed + N - 1), a line per run on
    stderr, then the summary (or one JSON object with every run and the summary). Exit 0
    when every seed solved, 4 when none did and one proved the sketch unsolvable, else 3."""
    from ncpu_cli.fit.seeds import fit_seeds, summarise
    from ncpu_cli.render.fit import seeds_summary, summary_line

    err = stderr()
    on_result = None
    if not json_:
        on_result = lambda r: err.print(f"seed {r.seed}: {summary_line(r)}",  # noqa: E731
                                        highlight=False)
    kw = {k: getattr(opts, k) for k in opts.__dataclass_fields__ if k not in ("method", "seed")}
    runs = fit_seeds(parsed, opts.method, seeds, seed=opts.seed, on_result=on_result, **kw)
    summary = summarise(runs)
    if json_:
        doc = {"spec": spec, "method": opts.method, "seeds": [r.seed for r in runs],
               "runs": [r.to_json() for r in runs], "summary": summary}
        sys.stdout.write(json.dumps(doc) + "\n")
    else:
        _wide_stdout().print(seeds_summary(summary, opts.method, opts.seed), highlight=False)
    if summary["solved"] == len(runs):
        return EXIT_OK
    if not summary["solved"] and any(r.proved_unsolvable for r in runs):
        return EXIT_UNSOLVABLE
    return EXIT_TIMEOUT


def run_suite_command(folder: str, methods: list[str], proposals: list[str] | None,
                      opts: FitOptions, json_: bool, seeds: int, only: list[str] | None) -> None:
    """`ncpu fit --suite DIR`: every task × configuration × seed; a line per run on stderr,
    then the table (or one JSON object: every run's row and the per-task summary)."""
    from ncpu_cli.fit.suite import configurations, run_suite, summary
    from ncpu_cli.render.fit import suite_table

    err = stderr()
    on_row = None
    if not json_:
        on_row = lambda r: err.print(  # noqa: E731
            f"{r.task} {r.config} seed {r.seed}: "
            f"{'solved' if r.solved else (r.note or 'not solved')} "
            f"({r.seconds:.1f} s, {r.steps} steps, {r.evaluations:,} evaluations)",
            highlight=False)
    rows = run_suite(folder, methods, opts, on_row=on_row, seeds=seeds, only=only,
                     proposals=proposals)
    if json_:
        doc = {"suite": folder, "seeds": seeds, "rows": [r.to_json() for r in rows],
               "summary": summary(rows)}
        sys.stdout.write(json.dumps(doc) + "\n")
    else:
        columns = [m if k is None else f"{m}/{k}" for m, k in configurations(methods, proposals)]
        _wide_stdout().print(suite_table(rows, columns))
    raise typer.Exit(EXIT_OK if all(r.solved for r in rows) else EXIT_TIMEOUT)
