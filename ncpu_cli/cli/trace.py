"""`ncpu trace PROGRAM`: the soft machine against the exact one, cycle by cycle."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from ncpu_cli.cli.common import (
    EXIT_ERROR,
    Addressing,
    Dtype,
    check_temperature,
    fail,
    json_errors,
    reported_errors,
    reports_errors,
    stderr,
    stdout,
    usage,
)
from ncpu_cli.cli.root import app
from ncpu_cli.isa import MAX_MEM_WORDS
from ncpu_cli.machine.config import DEFAULT_MEM_WORDS, MIN_MEM_WORDS, MachineConfig

MACHINE, INPUTS, OUTPUT, SWEEP = "Machine", "Inputs", "Output", "Sweep"
PLOT_SUFFIXES = (".png", ".svg")
INSTALL_PLOT = "pip install 'ncpu[plot]'"


def _list(text: str, option: str, kind: type) -> list:
    values = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        try:
            values.append(kind(part.replace("_", "")))
        except ValueError:
            usage(f"{option}: `{part}` is not a {'number' if kind is float else 'whole number'}")
    if not values:
        usage(f"{option}: expected a comma-separated list, got `{text}`")
    return values


@app.command("trace")
@reports_errors("json_")
def trace_command(
    program: str = typer.Argument(
        ..., metavar="PROGRAM",
        help="A .s/.asm source (assembled on the fly), an image (.yaml, .hex, .bin), or - for stdin.",
    ),
    addressing: Addressing = typer.Option(
        Addressing.softmax, "--addressing", case_sensitive=False, rich_help_panel=MACHINE,
        help="Pointer normaliser of the soft machine.",
    ),
    temperature: float = typer.Option(
        0.1, "--temperature", metavar="TAU", rich_help_panel=MACHINE,
        help="Temperature τ > 0 of softmax/sparsemax.",
    ),
    mem_words: int = typer.Option(
        DEFAULT_MEM_WORDS, "--mem-words", metavar="N", rich_help_panel=MACHINE,
        help=f"Memory size in words ({MIN_MEM_WORDS}..{MAX_MEM_WORDS}).",
    ),
    cycles: Optional[int] = typer.Option(
        None, "--cycles", metavar="N", rich_help_panel=MACHINE,
        help="Cycles to trace. \\[default: until the exact machine stops, at most 10,000]",
        show_default=False,
    ),
    dtype: Dtype = typer.Option(
        Dtype.float64, "--dtype", case_sensitive=False, rich_help_panel=MACHINE,
        help="Float width of the soft machine.",
    ),
    device: str = typer.Option("cpu", "--device", rich_help_panel=MACHINE, help="cpu or cuda."),
    set_: Optional[List[str]] = typer.Option(
        None, "--set", metavar="REG=VALUE", rich_help_panel=INPUTS,
        help="Preset a register, e.g. r1=5 (repeatable).",
    ),
    input_: Optional[str] = typer.Option(
        None, "--input", metavar="WORDS", rich_help_panel=INPUTS, help="Input stream, e.g. 1,2,3.",
    ),
    mem: Optional[List[str]] = typer.Option(
        None, "--mem", metavar="ADDR=VALUE", rich_help_panel=INPUTS,
        help="Patch a memory word, e.g. 0x200=7 (repeatable).",
    ),
    json_: bool = typer.Option(False, "--json", rich_help_panel=OUTPUT,
                               help="Print every number as one JSON document, and nothing else."),
    csv_path: Optional[str] = typer.Option(None, "--csv", metavar="FILE", rich_help_panel=OUTPUT,
                                           help="Write one CSV row per cycle (or sweep row)."),
    plot: Optional[str] = typer.Option(
        None, "--plot", metavar="FILE", rich_help_panel=OUTPUT,
        help=f"Plot pc target mass and register error to FILE.png or FILE.svg ({INSTALL_PLOT}).",
    ),
    rows: int = typer.Option(200, "--rows", metavar="N", min=0, rich_help_panel=OUTPUT,
                             help="Cycles shown in the table and heat strip (0: all)."),
    sweep_mem: Optional[str] = typer.Option(
        None, "--sweep-mem", metavar="N,N,..", rich_help_panel=SWEEP,
        help="Trace at each memory size (e.g. 64,256,1024,4096) x temperatures x modes.",
    ),
    sweep_temperature: Optional[str] = typer.Option(
        None, "--sweep-temperature", metavar="T,T,..", rich_help_panel=SWEEP,
        help="Trace at each temperature (e.g. 0.05,0.1,0.2) x memory sizes x modes.",
    ),
) -> None:
    """Trace how sharp the soft machine stays beside the exact one.

    Both run in lockstep; per cycle, for each pointer: the max weight, the entropy,
    the mass on the exact target and the effective support, and the
    register/memory/output error.

    Exit status: 0 done, 1 an error (or the exact machine faulted: the trace
    stops there), 2 bad usage.
    """
    tau = check_temperature(temperature)
    if not MIN_MEM_WORDS <= mem_words <= MAX_MEM_WORDS:
        usage(f"--mem-words must be in {MIN_MEM_WORDS}..{MAX_MEM_WORDS}, got {mem_words}")
    if cycles is not None and cycles < 0:
        usage(f"--cycles must be 0 or more, got {cycles}")
    if plot is not None and Path(plot).suffix.lower() not in PLOT_SUFFIXES:
        usage(f"--plot {plot}: unsupported file type (use {' or '.join(PLOT_SUFFIXES)})")
    sweeping = sweep_mem is not None or sweep_temperature is not None
    mems = _list(sweep_mem, "--sweep-mem", int) if sweep_mem is not None else [mem_words]
    temps = ([check_temperature(t, "--sweep-temperature") for t in
              _list(sweep_temperature, "--sweep-temperature", float)]
             if sweep_temperature is not None else [tau])
    for n in mems:
        if not MIN_MEM_WORDS <= n <= MAX_MEM_WORDS:
            usage(f"--sweep-mem: {n} is outside {MIN_MEM_WORDS}..{MAX_MEM_WORDS}")
    if sweeping and plot is not None:
        usage("--plot draws one trace; it cannot be combined with --sweep-mem/--sweep-temperature")

    from ncpu_cli.machine.records import build_batch
    from ncpu_cli.run.load import load_program
    from ncpu_cli.trace import sweep, trace_program

    with reported_errors():
        if plot is not None:
            _need_matplotlib()
        plan = build_batch(set_ or (), input_, mem or (), mem_words=max(mems))
        image, _sources = load_program(program, mem_words=min(mems))
        config = MachineConfig(mem_words=mem_words, device=device, dtype=dtype.value,
                               addressing=addressing.value, temperature=tau)
        if sweeping:
            result = sweep(image, config, plan.base, mem_words=mems, temperatures=temps,
                           cycles=cycles)
            _emit_sweep(result, json_, csv_path)
            return
        trace = trace_program(image, config, plan.base, cycles=cycles)
        if csv_path is not None:
            _write_csv(trace, csv_path)
        if plot is not None:
            _plot(trace, plot)
        if json_:
            typer.echo(json.dumps(trace.to_json()))
        else:
            from ncpu_cli.render.trace import legend, pc_strip, summary_panel, trace_table

            con = stdout()
            con.print(trace_table(trace, rows))
            con.print(legend())
            con.print(pc_strip(trace, rows))
            con.print(summary_panel(trace))
    if trace.stopped:
        if json_errors() and json_:  # the document above already says why (`stopped`)
            raise typer.Exit(EXIT_ERROR)
        fail(escape(trace.stopped), EXIT_ERROR, kind="fault")


def _emit_sweep(rows, as_json: bool, csv_path: str | None) -> None:
    if csv_path is not None:
        with _open_out(csv_path) as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0].to_json()))
            w.writeheader()
            for r in rows:
                w.writerow(r.to_json())
    if as_json:
        typer.echo(json.dumps({"sweep": [r.to_json() for r in rows]}))
    else:
        from ncpu_cli.render.trace import sweep_table

        stdout().print(sweep_table(rows))


class _open_out:
    """`-` is stdout; anything else a file (created or replaced)."""

    def __init__(self, path: str):
        self.path = path
        self.fh = None

    def __enter__(self):
        if self.path == "-":
            return sys.stdout
        self.fh = open(self.path, "w", encoding="utf-8", newline="")
        return self.fh

    def __exit__(self, *exc):
        if self.fh is not None:
            self.fh.close()
        return False


def _write_csv(trace, path: str) -> None:
    from ncpu_cli.trace import HEADS

    metrics = ("max", "entropy", "target", "support")
    fields = ["cycle", "pc", "instr"] + [f"{h}_{m}" for h in HEADS for m in metrics] + [
        "reg_error", "mem_error", "out_error"]
    with _open_out(path) as fh:
        w = csv.writer(fh)
        w.writerow(fields)
        for r in trace.records:
            row = [r.cycle, r.pc, r.instr]
            for h in HEADS:
                m = r.heads.get(h)
                row += [m[k] for k in metrics] if m else [""] * len(metrics)
            row += [r.reg_error, r.mem_error, r.out_error]
            w.writerow(row)


def _need_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        fail(escape(f"--plot needs matplotlib, which is not installed; install it with: {INSTALL_PLOT}"))


def _plot(trace, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plot_figure(trace)
    fig.savefig(path)
    plt.close(fig)
    stderr().print(f"plot written to {path}")


def plot_figure(trace):
    """The pc leak and the register error per cycle, on symmetric-log axes: linear
    below the smallest non-zero value and logarithmic above, so an exact zero (no leak,
    no error) is drawn at 0, not as a line at some tiny number; a series of nothing but
    zeros (every cycle of a hard run) is a line at 0 on a plain axis and says so."""
    import matplotlib.pyplot as plt

    from ncpu_cli.render.trace import machine_label

    cyc = [r.cycle for r in trace.records]
    leak = [max(0.0, 1 - r.heads["pc"]["target"]) for r in trace.records]
    err = [r.reg_error for r in trace.records]
    fig, (ax1, ax2) = plt.subplots(2, 1, sharex=True, figsize=(8, 5))
    for ax, values, label, color, ylabel in (
            (ax1, leak, "pc leak (1 - target mass)", "tab:blue", "pc leak"),
            (ax2, err, "max |register error|", "tab:red", "register error")):
        floor = _linear_below(values)
        if floor is None:  # nothing but zeros: a plain axis with the line at 0
            label += ": 0 at every cycle"
            ax.set_ylim(0, 1)
        else:
            ax.set_yscale("symlog", linthresh=floor)
            ax.set_ylim(bottom=0)
        ax.plot(cyc, values, color=color, label=label)
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper left")
    ax2.set_xlabel("cycle")
    fig.suptitle(f"ncpu trace: {machine_label(trace.addressing, trace.temperature)}, "
                 f"N={trace.mem_words}")
    fig.tight_layout()
    return fig


def _linear_below(values) -> float | None:
    """A symlog axis's linear range: the power of ten at or below the smallest positive
    value (None when no value is positive)."""
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    return 10.0 ** math.floor(math.log10(min(positive))) if positive else None
