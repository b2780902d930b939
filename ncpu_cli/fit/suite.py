"""`ncpu fit --suite DIR`: every spec of a folder by one or every method.

A task is a spec file ``DIR/NAME.yaml`` (``answers.yaml``, which holds known
answers for the tests, is not a task).  Each (task, method) runs with the same
options; a method that refuses a task (enumerate past --max-candidates) counts
as not solved, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable

from ncpu_cli.errors import FitError
from ncpu_cli.fit.api import fit
from ncpu_cli.fit.enumerate import SpaceTooLarge
from ncpu_cli.fit.options import FitOptions
from ncpu_cli.fit.spec import load_spec

NOT_TASKS = {"answers.yaml"}


@dataclass
class SuiteRow:
    task: str
    method: str
    solved: bool
    seconds: float
    steps: int
    space: int
    note: str | None = None  # why it was not run to the end (e.g. refused)
    seed: int = 0
    verified: int = 0  # fresh inputs the answer passed against the reference
    proved: bool | None = None  # --prove: equal to the reference for every input
    winner: str | None = None  # auto: the method that found the answer

    def to_json(self) -> dict:
        return {"task": self.task, "method": self.method, "seed": self.seed,
                "solved": self.solved,
                "seconds": round(self.seconds, 3), "steps": self.steps,
                "space": str(self.space) if self.space >= 2**53 else self.space,
                "note": self.note, "verified": self.verified, "proved": self.proved,
                "winner": self.winner}


def tasks(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise FitError(f"{folder}: no such suite folder")
    found = sorted(p for p in folder.glob("*.yaml") if p.name not in NOT_TASKS)
    if not found:
        raise FitError(f"{folder}: no task specs (*.yaml) in the suite folder")
    return found


def run_suite(folder: str | Path, methods: Iterable[str], options: FitOptions,
              on_row: Callable[[SuiteRow], None] | None = None, *, seeds: int = 1,
              only: Iterable[str] | None = None) -> list[SuiteRow]:
    """Every task (or those named in `only`) × method × seed (options.seed, +1, ...)."""
    rows = []
    paths = tasks(folder)
    if only is not None:
        wanted = set(only)
        missing = wanted - {p.stem for p in paths}
        if missing:
            raise FitError(f"{folder}: no task named {', '.join(sorted(missing))}")
        paths = [p for p in paths if p.stem in wanted]
    for path in paths:
        try:
            spec = load_spec(path)
        except FitError as exc:  # the suite goes on past a bad spec: its row says why
            for method in methods:
                row = SuiteRow(path.stem, method, False, 0.0, 0, 0, f"error: {exc}",
                               options.seed)
                rows.append(row)
                if on_row is not None:
                    on_row(row)
            continue
        for method in methods:
            for seed in range(options.seed, options.seed + seeds):
                row = _one(path.stem, spec, replace(options, method=method, seed=seed))
                rows.append(row)
                if on_row is not None:
                    on_row(row)
    return rows


def _one(task: str, spec, opts: FitOptions) -> SuiteRow:
    kw = {k: getattr(opts, k) for k in opts.__dataclass_fields__ if k != "method"}
    try:
        res = fit(spec, opts.method, **kw)
    except SpaceTooLarge as exc:
        return SuiteRow(task, opts.method, False, 0.0, 0, exc.space, "refused: space too large",
                        opts.seed)
    except FitError as exc:  # a bad spec or a method that declines: its row says why
        return SuiteRow(task, opts.method, False, 0.0, 0, 0, f"error: {exc}", opts.seed)
    return SuiteRow(task, opts.method, res.solved, res.seconds, res.steps, res.space,
                    seed=opts.seed, verified=res.verified if res.solved else 0,
                    proved=res.proved, winner=res.method if opts.method == "auto" else None)
