"""`ncpu run PROGRAM`: run one program or a batch on the exact, reference or soft executor."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import time
from enum import Enum
from typing import List, Optional

import typer

from ncpu_cli.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_TIMEOUT,
    Addressing,
    Dtype,
    check_temperature,
    reported_errors,
    reports_errors,
    stderr,
    usage,
)
from ncpu_cli.cli.root import app
from ncpu_cli.cli.run_output import Compared, render_human, write_json, write_jsonl
from ncpu_cli.isa import MAX_MEM_WORDS
from ncpu_cli.machine.config import (
    DEFAULT_MAX_CYCLES,
    DEFAULT_MAX_OUT,
    DEFAULT_MEM_WORDS,
    MIN_MEM_WORDS,
    MachineConfig,
)
from ncpu_cli.run.choice import AUTO_REFERENCE_MAX, AUTO_TRITON_MIN, ENGINES

MACHINE, INPUTS, OUTPUT = "Machine", "Inputs", "Output"
PROGRESS_AFTER_S = 1.0


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


# --engine's choices: auto and every registered exact engine (run/engines.py)
EngineChoice = Enum("EngineChoice", {name: name for name in ENGINES}, type=str)


class Mode(str, Enum):
    exact = "exact"
    soft = "soft"


class _ProgressBar:
    """A Rich progress bar on stderr, shown only once a run has taken over ~1 s."""

    def __init__(self, programs: int, enabled: bool):
        self.programs = programs
        self.enabled = enabled
        self.start = time.perf_counter()
        self.bar = None
        self.task = None

    def __call__(self, cycles: int, running: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.perf_counter() - self.start < PROGRESS_AFTER_S:
                return
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("[bold]running"),
                BarColumn(),
                TextColumn("{task.fields[cycles]:,} cycles"),
                TextColumn("· {task.fields[running]:,} of {task.total:,} programs running"),
                TimeElapsedColumn(),
                console=stderr(),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("run", total=self.programs, cycles=0, running=running)
        self.bar.update(self.task, completed=self.programs - running, cycles=cycles,
                        running=running)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


@app.command("run")
@reports_errors("json_")
def run_command(
    program: Optional[List[str]] = typer.Argument(
        None, metavar="PROGRAM...", show_default=False,
        help="A .s/.asm source (assembled on the fly), an image (.yaml, readmemh .hex, "
        ".bin, .json, listing .lst), or - for source on stdin. Several run as one batch, "
        "in the order given; optional when every --inputs record names its `program`.",
    ),
    # Machine
    device: Device = typer.Option(
        Device.auto, "--device", case_sensitive=False, rich_help_panel=MACHINE,
        help="Where to run: cpu, cuda, or auto (cuda when a GPU is available).",
    ),
    engine: EngineChoice = typer.Option(
        EngineChoice.auto, "--engine", case_sensitive=False, rich_help_panel=MACHINE,
        help="Executor for --mode exact: native (compiled interpreter, CPU), triton (fused "
        "kernel, CUDA; on the CPU only with TRITON_INTERPRET=1, slow), torch (the batched "
        "tensor step, CPU or CUDA; exact is its older name), reference (the plain "
        "interpreter), or auto (native on the CPU; without numba reference for up to "
        f"{AUTO_REFERENCE_MAX} programs, else torch; on CUDA triton from "
        f"{AUTO_TRITON_MIN} programs, else torch; -v says which and why).",
    ),
    mode: Mode = typer.Option(
        Mode.exact, "--mode", case_sensitive=False, rich_help_panel=MACHINE,
        help="exact (integer semantics) or soft (attention-addressed, differentiable).",
    ),
    addressing: Optional[Addressing] = typer.Option(
        None, "--addressing", case_sensitive=False, rich_help_panel=MACHINE,
        help="Soft mode: pointer normaliser (softmax, sparsemax, hard). \\[default: hard]",
        show_default=False,
    ),
    temperature: Optional[float] = typer.Option(
        None, "--temperature", metavar="TAU", rich_help_panel=MACHINE,
        help="Soft mode: temperature τ > 0 of softmax/sparsemax. \\[default: 0.1]",
        show_default=False,
    ),
    dtype: Optional[Dtype] = typer.Option(
        None, "--dtype", case_sensitive=False, rich_help_panel=MACHINE,
        help="Soft mode: float width of the soft machine. \\[default: float64]",
        show_default=False,
    ),
    compare_exact: bool = typer.Option(
        False, "--compare-exact", rich_help_panel=MACHINE,
        help="Soft mode: also run every program on the exact machine (same cycle limit) "
        "and show, per program, whether the status matches and the largest |soft - exact| "
        "over registers and output (--json: `exact` per program, `compare` in the summary).",
    ),
    mem_words: int = typer.Option(
        DEFAULT_MEM_WORDS, "--mem-words", metavar="N", min=MIN_MEM_WORDS, max=MAX_MEM_WORDS,
        rich_help_panel=MACHINE,
        help=f"Memory size in words ({MIN_MEM_WORDS}..{MAX_MEM_WORDS}); must hold the image.",
    ),
    max_cycles: int = typer.Option(
        DEFAULT_MAX_CYCLES, "--max-cycles", metavar="N", min=1, rich_help_panel=MACHINE,
        help="Stop each program after N instructions (status timeout, exit 3).",
    ),
    max_out: int = typer.Option(
        DEFAULT_MAX_OUT, "--max-out", metavar="N", min=0, rich_help_panel=MACHINE,
        help="Longest output stream; one more `out` faults (output-full).",
    ),
    # Inputs
    set_: Optional[List[str]] = typer.Option(
        None, "--set", metavar="REG=VALUE", rich_help_panel=INPUTS,
        help="Preset a register in every program, e.g. r1=5, sp=0x200, r2=-1 (repeatable).",
    ),
    input_: Optional[str] = typer.Option(
        None, "--input", metavar="WORDS", rich_help_panel=INPUTS,
        help="Input stream of every program, e.g. 1,2,3 (hex and negatives allowed).",
    ),
    mem: Optional[List[str]] = typer.Option(
        None, "--mem", metavar="ADDR=VALUE", rich_help_panel=INPUTS,
        help="Patch a memory word in every program, e.g. 0x200=7 (repeatable).",
    ),
    batch: Optional[int] = typer.Option(
        None, "--batch", metavar="N", min=1, rich_help_panel=INPUTS,
        help="Run N identical copies of each PROGRAM.",
    ),
    sweep: Optional[str] = typer.Option(
        None, "--sweep", metavar="REG=START:STOP[:STEP]", rich_help_panel=INPUTS,
        help="One run per register value, STOP exclusive, e.g. r1=0:1024; with several "
        "PROGRAMs each runs every value (PROGRAM by PROGRAM, the cross product).",
    ),
    inputs: Optional[str] = typer.Option(
        None, "--inputs", metavar="FILE", rich_help_panel=INPUTS,
        help="One run per record of a YAML or JSON Lines file (- for stdin) with "
        "fields set (register -> value), input (list), mem (address -> value) and program "
        "(a path relative to FILE, any format); a record without program runs every "
        "PROGRAM; --set/--input/--mem apply first.",
    ),
    # Output
    json_: bool = typer.Option(
        False, "--json", rich_help_panel=OUTPUT,
        help="Print the results as one JSON document on stdout, and nothing else.",
    ),
    out: Optional[str] = typer.Option(
        None, "--out", metavar="FILE", rich_help_panel=OUTPUT,
        help="Write one JSON line per program to FILE (- for stdout), streamed.",
    ),
    quiet: bool = typer.Option(
        False, "-q", "--quiet", rich_help_panel=OUTPUT,
        help="No result table, summary or progress bar; only errors and the exit code.",
    ),
    verbose: bool = typer.Option(
        False, "-v", "--verbose", rich_help_panel=OUTPUT,
        help="Say on stderr which engine runs and why.",
    ),
) -> None:
    """Run a program (or a batch of them): registers, output and status.

    Exit status: 0 every program halted, 1 a fault or an error, 2 bad usage,
    3 some program reached --max-cycles (and none faulted).
    """
    from ncpu_cli.run import distributed
    from ncpu_cli.run.choice import EngineUsageError, validate_engine

    programs = list(program or [])
    soft_only = [name for name, v in (("--addressing", addressing), ("--temperature", temperature),
                                      ("--dtype", dtype), ("--compare-exact", compare_exact or None))
                 if v is not None]
    if mode is Mode.exact and soft_only:
        verb = "applies" if len(soft_only) == 1 else "apply"
        usage(f"{', '.join(soft_only)} {verb} only to --mode soft")
    if temperature is not None:
        temperature = check_temperature(temperature)
    many = [name for name, v in (("--batch", batch), ("--sweep", sweep), ("--inputs", inputs))
            if v is not None]
    if len(many) > 1:
        usage(f"{' and '.join(many)} cannot be combined; choose one")
    if not programs and inputs is None:
        usage("missing PROGRAM (a source or an image; or --inputs FILE whose records name "
              "their `program`)")
    if programs.count("-") > 1:
        usage("PROGRAM - (source on stdin) can be given only once")
    if "-" in programs and inputs == "-":
        usage("PROGRAM - and --inputs - both read stdin; choose one")
    if json_ and out == "-":
        usage("--json and --out - both write to stdout; choose one")
    try:
        validate_engine(engine.value, mode.value, device.value)
    except EngineUsageError as err:
        usage(str(err))

    session = None
    try:
        with reported_errors():
            defaults = MachineConfig()
            config = MachineConfig(
                mem_words=mem_words,
                max_cycles=max_cycles,
                max_out=max_out,
                dtype=(dtype or Dtype(defaults.dtype)).value,
                addressing=(addressing or Addressing(defaults.addressing)).value,
                temperature=defaults.temperature if temperature is None else temperature,
            )
            if distributed.launched():  # started by torchrun: this process is one rank
                if compare_exact:
                    usage("--compare-exact runs in one process; leave out torchrun")
                session = distributed.start(device.value)
            code = _run(programs, config, session, device=device.value, engine=engine.value,
                        mode=mode.value, sets=set_ or (), input_=input_, mems=mem or (),
                        batch=batch, sweep=sweep, inputs=inputs, json_=json_, out=out,
                        quiet=quiet, verbose=verbose, compare_exact=compare_exact)
    except typer.Exit as done:
        code = done.exit_code
    if session is not None:
        code = session.finish(code)
    raise typer.Exit(code)


def _run(programs: List[str], config: MachineConfig, session, *, device: str, engine: str,
         mode: str, sets, input_, mems, batch, sweep, inputs, json_: bool, out, quiet: bool,
         verbose: bool, compare_exact: bool = False) -> int:
    """Plan, run (this rank's share, under torchrun) and report; the exit code."""
    from ncpu_cli.machine.records import build_batch
    from ncpu_cli.run import distributed
    from ncpu_cli.run.batch import run_batch
    from ncpu_cli.run.choice import choose_engine, resolve_device
    from ncpu_cli.run.engines import engine as registered
    from ncpu_cli.run.load import load_program
    from ncpu_cli.run.programs import plan_programs, slice_batch

    mem_words = config.mem_words
    with distributed.phase(session):  # every rank plans the whole batch
        multi = inputs is not None or len(programs) != 1
        plan = build_batch(sets, input_, mems, batch=batch, sweep=sweep,
                           inputs_file=None if multi else inputs, mem_words=mem_words)
        image, sources, names, program_of = None, {}, None, None
        if multi:
            plan = plan_programs(programs, plan, lambda p: load_program(p, mem_words=mem_words),
                                 inputs_file=inputs, mem_words=mem_words)
            if len(plan.programs) > 1 or plan.named:
                program_of = plan.program_of  # of the whole batch (plan becomes a share)
                names = lambda i, whole=plan: whole.program_of(i).name  # noqa: E731
            image, sources = plan.programs[0].image, plan.programs[0].sources
            if len(plan.segments) == 1 and program_of is None:
                plan = plan.segments[0].batch  # one program after all: the plain batch
        else:
            image, sources = load_program(programs[0], mem_words=mem_words)
        dev = resolve_device(device, engine)
        chosen = choose_engine(engine, mode, dev, len(plan))
        config = dataclasses.replace(config, device=dev)
        mine = range(len(plan))
        if session is not None:
            mine = distributed.share(len(plan), session.info.rank, session.info.world)
            plan = (plan.slice(mine.start, mine.stop) if hasattr(plan, "segments")
                    else slice_batch(plan, mine.start, mine.stop))
    if verbose:
        from ncpu_cli.run.choice import why_engine

        stderr().print(why_engine(engine, mode, dev, len(mine)), highlight=False)
    show = not (json_ or quiet or out == "-")
    with distributed.phase(session):  # every rank runs its share
        outcome = None
        if len(plan):
            bar = _ProgressBar(len(plan), enabled=show and stderr().is_terminal)
            try:
                outcome = run_batch(image, config, plan, chosen, mode=mode, progress=bar)
            finally:
                bar.close()
        packed = distributed.pack_results(outcome, mine.start) if session is not None else None
    if session is not None:
        outcome = distributed.gather_outcome(
            packed, engine=chosen, device="cpu" if registered(chosen).devices == ("cpu",) else dev,
            mode="soft" if chosen == "soft" else mode, config=config)
        if outcome is None:
            return EXIT_OK  # not rank 0: rank 0 reports, its exit code is everyone's
    compared = _compare_exact(outcome, image, plan, config, verbose) if compare_exact else None
    status = outcome.exit_status()
    code = EXIT_ERROR if status == "fault" else EXIT_TIMEOUT if status == "timeout" else EXIT_OK
    try:
        if out is not None:
            write_jsonl(outcome, out, names, compared)
        if json_:
            write_json(outcome, sys.stdout, names, compared)
        elif show:
            render_human(outcome, image, sources, program_of, compared)
    except BrokenPipeError:
        _silence_stdout()  # the reader (e.g. `| head`) has gone: stop quietly
    return code


def _compare_exact(outcome, image, plan, config: MachineConfig, verbose: bool) -> Compared:
    """--compare-exact: the same programs on the exact engine `auto` picks, under the cycle
    limit the soft run had, paired with the soft results (run.compare)."""
    from ncpu_cli.machine.soft.run import SOFT_DEFAULT_MAX_CYCLES
    from ncpu_cli.run.batch import run_batch
    from ncpu_cli.run.choice import choose_engine, why_engine
    from ncpu_cli.run.compare import compare, compare_summary

    if config.max_cycles == DEFAULT_MAX_CYCLES:  # soft runs stop there (machine/soft/run.py)
        config = dataclasses.replace(config, max_cycles=SOFT_DEFAULT_MAX_CYCLES)
    chosen = choose_engine("auto", "exact", config.device, len(plan))
    if verbose:
        stderr().print(f"--compare-exact: {why_engine('auto', 'exact', config.device, len(plan))}",
                       highlight=False)
    exact = run_batch(image, config, plan, chosen, mode="exact")
    by_index = {c.index: c for c in compare(outcome.results(), exact.results())}
    return Compared(chosen, by_index, compare_summary(by_index.values()))


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
