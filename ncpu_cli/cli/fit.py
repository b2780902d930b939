"""`ncpu fit SPEC`: fill a sketch's holes from examples; `--suite DIR` runs a folder."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from ncpu_cli.cli.common import (
    EXIT_OK,
    EXIT_TIMEOUT,
    Addressing,
    check_temperature,
    reported_errors,
    reports_errors,
    stderr,
    usage,
)
from ncpu_cli.cli.root import app
from ncpu_cli.fit.options import (
    DEFAULT_MAX_CANDIDATES,
    DEFAULT_RESTARTS,
    DEFAULT_TIME_LIMIT,
    METHODS,
    PROPOSALS,
    FitOptions,
)
from ncpu_cli.fsutil import write_atomic

SEARCH, OUTPUT = "Search", "Output"
PROPOSAL_METHODS = ("mcmc", "evolve")  # as fit.api's (that module imports torch)
EXIT_UNSOLVABLE = 4  # a proof that no filling of the sketch meets the spec


class Estimator(str, Enum):
    hybrid = "hybrid"
    straight = "straight"
    relaxed = "relaxed"


class Device(str, Enum):
    cpu = "cpu"
    cuda = "cuda"


@app.command("fit")
@reports_errors("json_")
def fit_command(
    spec: Optional[str] = typer.Argument(
        None, metavar="SPEC",
        help="A fit spec (YAML: sketch, examples or a reference), or with --like the sketch "
             "(.s)."),
    method: str = typer.Option(
        "auto", "--method", rich_help_panel=SEARCH, metavar="METHOD",
        help="auto: a portfolio (enumerate for small spaces, else smt ‖ mcmc ‖ evolve in "
             "processes; the first verified answer wins, or with --steps the first in that "
             "order that solved); smt: bit-vector solving (bitwuzla), can prove a sketch "
             "unsolvable; mcmc: STOKE-style sampling; evolve / enumerate: searches on the "
             "exact machine; gradient: descent through the soft machine. With --suite: a "
             "comma list (mcmc,evolve,gradient) or all (every method)."),
    proposals: Optional[str] = typer.Option(
        None, "--proposals", rich_help_panel=SEARCH, metavar="KIND",
        help="mcmc and evolve: how moves are drawn, uniform (the default) or gradient "
             "(weighted by a soft pass's first-order estimate of each move's effect). With "
             "--suite a comma list (uniform,gradient) compares them; other methods run "
             "once."),
    restarts: int = typer.Option(
        DEFAULT_RESTARTS, "--restarts", min=1, rich_help_panel=SEARCH,
        help="Gradient restarts run as one batch (evolve: the population)."),
    steps: Optional[int] = typer.Option(
        None, "--steps", min=1, rich_help_panel=SEARCH,
        help="Step limit (gradient steps, generations, enumeration batches, mcmc kernel "
             "calls, smt rounds); default: until solved or out of time. With --seed it makes "
             "a fit reproducible (unless --time-limit ends it first)."),
    time_limit: float = typer.Option(
        DEFAULT_TIME_LIMIT, "--time-limit", rich_help_panel=SEARCH, metavar="SECONDS",
        help="Wall-clock budget per fit (per task, configuration and seed with --suite). "
             "Without --steps where a fit ends depends on the machine's speed, so results "
             "can differ between runs."),
    seed: int = typer.Option(0, "--seed", rich_help_panel=SEARCH,
                             help="Random seed (with --steps: the same answer every run)."),
    verify: Optional[int] = typer.Option(
        None, "--verify", min=0, rich_help_panel=SEARCH, metavar="N",
        help="Before 'solved', run the answer against the reference on N fresh inputs (a "
             "counterexample joins the examples and the search goes on). Default 10000 when "
             "the spec has a reference or inputs."),
    prove: bool = typer.Option(
        False, "--prove", rich_help_panel=SEARCH,
        help="Also prove the answer equal to the reference for every input value (SMT)."),
    like: Optional[str] = typer.Option(
        None, "--like", rich_help_panel=SEARCH, metavar="PROG.s",
        help="Superoptimise: find a program of SPEC's (a sketch .s) shape equal to PROG.s "
             "on the --args registers, compared on the --results registers."),
    args: str = typer.Option(
        "r1", "--args", rich_help_panel=SEARCH, metavar="R1,R2",
        help="With --like: the input registers (drawn from edge values and any 32-bit word)."),
    results: str = typer.Option(
        "r1", "--results", rich_help_panel=SEARCH, metavar="R1,R2",
        help="With --like: the registers that must equal PROG.s's at halt."),
    workers: int = typer.Option(
        0, "--workers", min=0, rich_help_panel=SEARCH,
        help="auto: worker processes (0: one per core)."),
    estimator: Estimator = typer.Option(
        Estimator.hybrid, "--estimator", case_sensitive=False, rich_help_panel=SEARCH,
        help="Gradient estimator: hybrid (straight-through + score function), straight, "
             "relaxed (softmax mixture, annealed τ)."),
    addressing: Addressing = typer.Option(
        Addressing.hard, "--addressing", case_sensitive=False, rich_help_panel=SEARCH,
        help="Gradient: the soft machine's pointer normaliser (docs/fit.md: hard fits, "
             "softmax's leak onto code words shifts loads)."),
    temperature: float = typer.Option(
        0.1, "--temperature", rich_help_panel=SEARCH,
        help="Gradient: the normaliser's temperature (softmax, sparsemax)."),
    categorical_max: int = typer.Option(
        16, "--categorical-max", min=1, rich_help_panel=SEARCH,
        help="Gradient: a numeric hole with at most this many candidates is a categorical, "
             "a wider one a real value rounded when run."),
    max_candidates: int = typer.Option(
        DEFAULT_MAX_CANDIDATES, "--max-candidates", min=1, rich_help_panel=SEARCH,
        help="enumerate refuses a sketch with more fillings than this."),
    device: Device = typer.Option(
        Device.cpu, "--device", case_sensitive=False, rich_help_panel=SEARCH,
        help="Where the machines run."),
    output: Optional[str] = typer.Option(
        None, "-o", "--output", rich_help_panel=OUTPUT, metavar="FILE.s",
        help="Write the filled program here instead of stdout."),
    json_: bool = typer.Option(False, "--json", rich_help_panel=OUTPUT,
                               help="Print one JSON object (the result or the error)."),
    suite: Optional[str] = typer.Option(
        None, "--suite", rich_help_panel=SEARCH, metavar="DIR",
        help="Run every spec of DIR and print a table per task and configuration."),
    seeds: int = typer.Option(
        1, "--seeds", min=1, rich_help_panel=SEARCH,
        help="Run each fit with this many seeds (--seed, +1, ...): the share solved, and "
             "the median and spread of seconds and evaluations to the answer (with "
             "--suite per task and configuration)."),
    tasks: Optional[str] = typer.Option(
        None, "--tasks", rich_help_panel=SEARCH, metavar="A,B",
        help="With --suite: only these tasks (comma-separated names)."),
) -> None:
    """Fill the holes of a sketch so that it passes every example.

    Holes: `??`, `??[lo:hi]`, `?{add,sub}`, `.word ??`; the answer is verified on the
    exact machine.

    Exit codes: 0 solved (every task with --suite), 1 bad spec or sketch, 2 usage,
    3 budget spent (the best candidate and its counts are still printed), 4 proved
    unsolvable (no filling of the sketch meets the spec)."""
    if (spec is None) == (suite is None):
        usage("give a SPEC file, or --suite DIR (not both)")
    if not time_limit > 0 or time_limit == float("inf"):  # nan fails `> 0` too
        usage(f"--time-limit must be a positive number of seconds, got {time_limit}")
    methods = _methods(method, suite is not None)
    kinds = _proposals(proposals, methods, suite is not None)
    opts = FitOptions(method=methods[0],
                      proposals=kinds[0] if kinds and suite is None else "uniform",
                      verify=verify, prove=prove, workers=workers,
                      restarts=restarts, steps=steps, time_limit=time_limit, seed=seed,
                      device=device.value, estimator=estimator.value,
                      max_candidates=max_candidates, categorical_max=categorical_max,
                      addressing=addressing.value,
                      temperature=check_temperature(temperature))
    from ncpu_cli.fit import check_options  # torch and the engines: only now

    check_options(opts)
    if suite is None and tasks is not None:
        usage("--tasks goes with --suite DIR")
    if like is not None and suite is not None:
        usage("--like goes with one sketch, not --suite")
    like_spec = (like, spec, args, results) if like is not None else None
    if suite is not None:
        from ncpu_cli.cli.fit_runs import run_suite_command

        only = [t for t in tasks.split(",") if t.strip()] if tasks is not None else None
        run_suite_command(suite, methods, kinds or None, opts, json_, seeds, only)
        return
    from ncpu_cli.run import distributed

    if seeds > 1 and output is not None:
        usage("-o goes with one fit, not --seeds (which prints a summary)")
    if seeds > 1 and distributed.launched():
        usage("--seeds runs one process's fits one after another: not under torchrun")
    session = None
    try:
        with reported_errors():
            if seeds > 1:
                from ncpu_cli.cli.fit_runs import fit_seeds_command

                parsed = load_parsed(spec, like_spec)
                code = fit_seeds_command(parsed, spec, opts, json_, seeds)
            else:
                if distributed.launched():  # started by torchrun: this process is one rank
                    session = distributed.start(device.value)
                code = _fit_one(spec, opts, output, json_, session, like_spec)
    except typer.Exit as done:
        code = done.exit_code
    if session is not None:
        code = session.finish(code)
    raise typer.Exit(code)


def _fit_one(spec: str, opts: FitOptions, output: Optional[str], json_: bool, session,
             like_spec=None) -> int:
    """One spec; under torchrun each rank fits its share of the restarts (seed + rank), the
    first verified solution stops every rank, and rank 0 prints the result."""
    from ncpu_cli.fit import fit
    from ncpu_cli.fit.search import combine
    from ncpu_cli.run import distributed

    with distributed.phase(session):
        parsed = load_parsed(spec, like_spec)
        if output is not None and output != "-" and parsed.sketch_path is not None \
                and Path(output).resolve() == parsed.sketch_path.resolve():
            usage(f"-o {output} is the sketch itself: write the filled program elsewhere")
    stop_any = None
    if session is not None:
        share = distributed.share(opts.restarts, session.info.rank, session.info.world)
        opts = replace(opts, restarts=max(1, len(share)), seed=opts.seed + session.info.rank)
        stop_any = distributed.any_rank
    show = not json_ and stderr().is_terminal
    status = stderr().status("fitting…") if show else None
    report = None
    if status is not None:
        from ncpu_cli.render.fit import progress_text

        status.start()
        report = lambda p: status.update(progress_text(p, opts.method))  # noqa: E731
    try:
        kw = {k: getattr(opts, k) for k in opts.__dataclass_fields__ if k != "method"}
        with distributed.phase(session):
            result = fit(parsed, opts.method, report=report, stop_any=stop_any, **kw)
    finally:
        if status is not None:
            status.stop()
    if session is not None:
        everyone = distributed.gather(result)
        if everyone is None:  # not rank 0: rank 0 prints
            return EXIT_OK if result.solved else EXIT_TIMEOUT
        result = combine(everyone)
    if json_:
        sys.stdout.write(json.dumps(result.to_json()) + "\n")
    else:
        from ncpu_cli.render.fit import summary_line

        if output is None or output == "-":
            sys.stdout.write(result.program)
        else:
            write_atomic(output, result.program)
        stderr().print(summary_line(result), highlight=False)
    return _exit_code(result)


def _exit_code(result) -> int:
    if result.solved:
        return EXIT_OK
    return EXIT_UNSOLVABLE if getattr(result, "proved_unsolvable", False) else EXIT_TIMEOUT


def _methods(text: str, suite: bool) -> list[str]:
    """--method: one method, or with --suite a comma list or `all`."""
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    known = (*METHODS, "all")
    for name in names:
        if name not in known:
            usage(f"--method: unknown method `{name}` (choose {', '.join(known)})")
    if not names:
        usage(f"--method needs a method (choose {', '.join(known)})")
    if not suite and (len(names) > 1 or names == ["all"]):
        usage(f"--method {text} needs --suite DIR (one spec takes one method)")
    if "all" in names:
        names = [m for n in names for m in (METHODS if n == "all" else [n])]
    return list(dict.fromkeys(names))  # each once, in the order given


def _proposals(text: Optional[str], methods: list[str], suite: bool) -> list[str]:
    """--proposals: one kind, or with --suite a comma list; only for mcmc and evolve."""
    if text is None:
        return []
    kinds = list(dict.fromkeys(t.strip().lower() for t in text.split(",") if t.strip()))
    for kind in kinds:
        if kind not in PROPOSALS:
            usage(f"--proposals: unknown kind `{kind}` (choose {', '.join(PROPOSALS)})")
    if not kinds:
        usage(f"--proposals needs a kind (choose {', '.join(PROPOSALS)})")
    if not suite and len(kinds) > 1:
        usage(f"--proposals {text}: one kind for one fit (a list goes with --suite DIR)")
    if not any(m in PROPOSAL_METHODS for m in methods):
        usage(f"--proposals goes with --method {' or '.join(PROPOSAL_METHODS)} "
              f"(not {','.join(methods)})")
    return kinds


def load_parsed(spec: str, like_spec=None):
    """The FitSpec of SPEC, or of `--like PROG.s SKETCH.s`."""
    from ncpu_cli.fit import load_spec

    return load_spec(spec) if like_spec is None else _like(*like_spec)


def _like(reference: str, sketch: str, args: str, results: str):
    """The spec of `--like PROG.s SKETCH.s`: SKETCH's shape, PROG's function."""
    from ncpu_cli.fit.spec import load_like

    def regs(text: str, option: str) -> tuple[str, ...]:
        names = tuple(t.strip() for t in text.split(",") if t.strip())
        if not names:
            usage(f"{option} needs at least one register (e.g. r1,r2)")
        return names

    return load_like(reference, sketch, args=regs(args, "--args"),
                     results=regs(results, "--results"))
