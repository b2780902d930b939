"""`ncpu run PROGRAM`: run one program or a batch on the exact, reference or soft executor."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from enum import Enum
from pathlib import Path
from typing import IO, Iterator, List, Optional

import typer

from ncpu_cli.cli import app
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
    stdout,
    usage,
)
from ncpu_cli.machine.config import (
    DEFAULT_MAX_CYCLES,
    DEFAULT_MAX_OUT,
    DEFAULT_MEM_WORDS,
    MAX_MEM_WORDS,
    MIN_MEM_WORDS,
    MachineConfig,
)
from ncpu_cli.machine.engine import AUTO_REFERENCE_MAX

MACHINE, INPUTS, OUTPUT = "Machine", "Inputs", "Output"
TABLE_MAX = 16  # up to this many programs: a result table; more: a summary
FAULTS_SHOWN = 5
PROGRESS_AFTER_S = 1.0


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class EngineChoice(str, Enum):
    auto = "auto"
    native = "native"
    exact = "exact"
    torch = "torch"
    reference = "reference"


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


@contextlib.contextmanager
def _jsonl_sink(path: str) -> Iterator[IO[str]]:
    """Stream lines to `path` (`-` = stdout) through a temporary file renamed at the end,
    so a failed run never leaves half a file behind."""
    if path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(21, "is a directory", path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _json_summary(outcome) -> dict:
    s = outcome.summary
    return {
        "count": int(s["count"]),
        "halted": int(s["halted"]),
        "fault": int(s["fault"]),
        "timeout": int(s["timeout"]),
        "cycles_total": int(s["cycles_total"]),
        "seconds": float(outcome.seconds),
        "ips": float(outcome.ips),
    }


def _write_json(outcome, out: IO[str]) -> None:
    """The `--json` document, streamed program by program."""
    head = {
        "device": outcome.device,
        "engine": outcome.engine,
        "mode": outcome.mode,
        "mem_words": outcome.config.mem_words,
    }
    out.write(json.dumps(head)[:-1] + ', "programs": [')
    for i, result in enumerate(outcome.results()):
        out.write(("\n  " if i == 0 else ",\n  ") + json.dumps(result.to_json()))
    out.write('\n], "summary": ' + json.dumps(_json_summary(outcome)) + "}\n")
    out.flush()


def _render_human(outcome, image, sources) -> None:
    from ncpu_cli.machine.engine import SourceLocator
    from ncpu_cli.render.run import (
        footer,
        max_deviation,
        notes_text,
        register_grid,
        result_notes,
        result_table,
        summary_view,
    )

    locate = SourceLocator(image, sources)
    con = stdout()
    if outcome.count <= TABLE_MAX:
        results = list(outcome.results())
        con.print(result_table(results, locate))
        if len(results) == 1:
            con.print(register_grid(results[0].regs))
        con.print(footer(outcome.engine, outcome.device, outcome.mode, outcome.seconds,
                         outcome.ips, max_deviation(results)))
        notes = result_notes(results)
    else:
        faults = list(outcome.results(outcome.first_faults(FAULTS_SHOWN)))
        deviation = max_deviation(outcome.results()) if outcome.mode == "soft" else None
        con.print(summary_view(outcome.summary, engine=outcome.engine, device=outcome.device,
                               mode=outcome.mode, seconds=outcome.seconds, ips=outcome.ips,
                               faults=faults, locate=locate, deviation=deviation))
        notes = result_notes(outcome.results()) if outcome.mode == "soft" else []
    note = notes_text(notes)
    if note is not None:
        con.print(note)


@app.command("run")
@reports_errors("json_")
def run_command(
    program: str = typer.Argument(
        ..., metavar="PROGRAM",
        help="A .s/.asm source (assembled on the fly), an image (.yaml, readmemh .hex, "
        ".bin, .json, listing .lst), or - for source on stdin.",
    ),
    # Machine
    device: Device = typer.Option(
        Device.auto, "--device", case_sensitive=False, rich_help_panel=MACHINE,
        help="Where to run: cpu, cuda, or auto (cuda when a GPU is available).",
    ),
    engine: EngineChoice = typer.Option(
        EngineChoice.auto, "--engine", case_sensitive=False, rich_help_panel=MACHINE,
        help="Executor for --mode exact: native (compiled interpreter, CPU), exact or torch "
        "(the batched tensor executor, CPU or CUDA), reference (the plain interpreter), or "
        "auto (native on the CPU; without numba reference for up to "
        f"{AUTO_REFERENCE_MAX} programs, else exact; exact on CUDA; -v says which and why).",
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
        help="Run N identical copies of the program.",
    ),
    sweep: Optional[str] = typer.Option(
        None, "--sweep", metavar="REG=START:STOP[:STEP]", rich_help_panel=INPUTS,
        help="One program per register value, STOP exclusive, e.g. r1=0:1024.",
    ),
    inputs: Optional[str] = typer.Option(
        None, "--inputs", metavar="FILE", rich_help_panel=INPUTS,
        help="One program per record of a YAML or JSON Lines file (- for stdin) with "
        "fields set (register -> value), input (list) and mem (address -> value); "
        "--set/--input/--mem apply first.",
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
    """Run a program (or a batch of them) and show registers, output and status.

    Exit status: 0 every program halted, 1 a fault or an error, 2 bad usage,
    3 some program reached --max-cycles (and none faulted).
    """
    from ncpu_cli.machine.engine import (
        EngineUsageError,
        choose_engine,
        load_program,
        resolve_device,
        run_batch,
        validate_engine,
    )
    from ncpu_cli.machine.inputs import build_batch

    soft_only = [name for name, v in (("--addressing", addressing), ("--temperature", temperature),
                                      ("--dtype", dtype)) if v is not None]
    if mode is Mode.exact and soft_only:
        verb = "applies" if len(soft_only) == 1 else "apply"
        usage(f"{', '.join(soft_only)} {verb} only to --mode soft")
    if temperature is not None:
        temperature = check_temperature(temperature)
    many = [name for name, v in (("--batch", batch), ("--sweep", sweep), ("--inputs", inputs))
            if v is not None]
    if len(many) > 1:
        usage(f"{' and '.join(many)} cannot be combined; choose one")
    if program == "-" and inputs == "-":
        usage("PROGRAM - and --inputs - both read stdin; choose one")
    if json_ and out == "-":
        usage("--json and --out - both write to stdout; choose one")
    try:
        validate_engine(engine.value, mode.value, device.value)
    except EngineUsageError as err:
        usage(str(err))

    code = EXIT_OK
    with reported_errors():
        plan = build_batch(set_ or (), input_, mem or (), batch=batch, sweep=sweep,
                           inputs_file=inputs, mem_words=mem_words)
        image, sources = load_program(program, mem_words=mem_words)
        dev = resolve_device(device.value, engine.value)
        chosen = choose_engine(engine.value, mode.value, dev, len(plan))
        if verbose:
            from ncpu_cli.machine.engine import why_engine

            stderr().print(why_engine(engine.value, mode.value, dev, len(plan)), highlight=False)
        defaults = MachineConfig()
        config = MachineConfig(
            mem_words=mem_words,
            max_cycles=max_cycles,
            max_out=max_out,
            device=dev,
            dtype=(dtype or Dtype(defaults.dtype)).value,
            addressing=(addressing or Addressing(defaults.addressing)).value,
            temperature=defaults.temperature if temperature is None else temperature,
        )
        show = not (json_ or quiet or out == "-")
        bar = _ProgressBar(len(plan), enabled=show and stderr().is_terminal)
        try:
            outcome = run_batch(image, config, plan, chosen, mode=mode.value, progress=bar)
        finally:
            bar.close()
        status = outcome.exit_status()
        code = EXIT_ERROR if status == "fault" else EXIT_TIMEOUT if status == "timeout" else EXIT_OK
        try:
            if out is not None:
                with _jsonl_sink(out) as fh:
                    for result in outcome.results():
                        fh.write(json.dumps(result.to_json()) + "\n")
            if json_:
                _write_json(outcome, sys.stdout)
            elif show:
                _render_human(outcome, image, sources)
        except BrokenPipeError:
            _silence_stdout()  # the reader (e.g. `| head`) has gone: stop quietly
    raise typer.Exit(code)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
