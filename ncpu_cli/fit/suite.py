"""`ncpu fit --suite DIR`: every spec of a folder by one or every method.

A task is a spec file ``DIR/NAME.yaml`` (``answers.yaml``, which holds known
answers for the tests, is not a task).  Each (task, configuration, seed) runs with
the same options; a configuration is a method, and for the methods that take
proposals (mcmc, evolve) one of the proposal kinds asked for (``configurations``).
A method that refuses a task (enumerate past --max-candidates) counts as not
solved, with the reason; so does a spec that does not load, and the suite goes on.
``summary`` gives each task and configuration's success rate and its seconds and
evaluations to the first verified answer over the seeds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ncpu_cli.errors import FitError
from ncpu_cli.fit.api import PROPOSAL_METHODS, fit
from ncpu_cli.fit.enumerate import SpaceTooLarge
from ncpu_cli.fit.options import FitOptions
from ncpu_cli.fit.search import space_text
from ncpu_cli.fit.seeds import summarise
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
    proposals: str | None = None  # mcmc / evolve in a comparison: the proposal kind
    evaluations: int = 0  # fillings evaluated exactly (FitResult.evaluations)
    candidates: int = 0  # distinct fillings checked
    stopped: str | None = None  # why the search ended (search.STOPS)

    @property
    def config(self) -> str:
        """The configuration's name: the method, with its proposal kind when compared."""
        return self.method if self.proposals is None else f"{self.method}/{self.proposals}"

    def to_json(self) -> dict:
        return {"task": self.task, "method": self.method, "proposals": self.proposals,
                "seed": self.seed, "solved": self.solved,
                "seconds": round(self.seconds, 3), "steps": self.steps,
                "evaluations": self.evaluations, "candidates": self.candidates,
                "space": space_text(self.space), "stopped": self.stopped,
                "note": self.note, "verified": self.verified, "proved": self.proved,
                "winner": self.winner}


def configurations(methods: Iterable[str], proposals: Sequence[str] | None = None
                   ) -> list[tuple[str, str | None]]:
    """(method, proposal kind) pairs: with `proposals`, mcmc and evolve once per kind and
    every other method once (None: the proposals do not apply)."""
    out = []
    for m in methods:
        kinds = proposals if proposals and m in PROPOSAL_METHODS else [None]
        out += [(m, k) for k in kinds]
    return out


def summary(rows: Sequence[SuiteRow]) -> list[dict]:
    """Per task and configuration (in the rows' order): the success rate over the seeds and
    the seconds and evaluations to the first verified answer (``seeds.summarise``)."""
    groups: dict[tuple[str, str], list[SuiteRow]] = {}
    for r in rows:
        groups.setdefault((r.task, r.config), []).append(r)
    out = []
    for (task, _), runs in groups.items():
        first = runs[0]
        notes = sorted({r.note for r in runs if r.note})
        out.append({"task": task, "method": first.method, "proposals": first.proposals,
                    **summarise(runs), "notes": notes})
    return out


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
              only: Iterable[str] | None = None,
              proposals: Sequence[str] | None = None) -> list[SuiteRow]:
    """Every task (or those named in `only`) × configuration (``configurations(methods,
    proposals)``) × seed (options.seed, +1, ...)."""
    configs = configurations(methods, proposals)
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
            for method, kind in configs:
                row = SuiteRow(path.stem, method, False, 0.0, 0, 0, f"error: {exc}",
                               options.seed, proposals=kind)
                rows.append(row)
                if on_row is not None:
                    on_row(row)
            continue
        for method, kind in configs:
            for seed in range(options.seed, options.seed + seeds):
                opts = replace(options, method=method, seed=seed,
                               proposals=kind or options.proposals)
                row = _one(path.stem, spec, opts)
                row.proposals = kind
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
                    proved=res.proved, winner=res.method if opts.method == "auto" else None,
                    evaluations=res.evaluations, candidates=res.candidates,
                    stopped=res.stopped)
