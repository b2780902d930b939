"""`ncpu trace`'s views (issue 18, items 9 and 10): the table never cuts a number short
on a narrow terminal (the instruction column gives way instead), the plot draws exact
zeros at 0, and the summary names the soft machine's addressing and temperature."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from soft_common import FACT, one_torch_thread  # noqa: F401  (fixture)
from typer.testing import CliRunner

from ncpu_cli.cli import app
from ncpu_cli.render.trace import summary_panel, trace_table
from ncpu_cli.trace import HEADS, CycleRecord, Trace, TraceSummary

# errors as the table prints them (at most six characters each), with long instructions
ERRORS = [(0.0443, 28.0, 4e-05), (1234.5, 0.25, 0.0), (2.1e5, 0.000123, 119.0)]
LONG = "bge r3, r1, fact.done_with_a_long_label"


def _trace() -> Trace:
    metrics = {"max": 0.9, "entropy": 0.5, "target": 0.999, "support": 1.1}
    records = [CycleRecord(cycle=i, pc=10 + i, instr=LONG, heads={h: metrics for h in HEADS},
                           reg_error=reg, mem_error=mem, out_error=out, soft_pc=10 + i)
               for i, (reg, mem, out) in enumerate(ERRORS)]
    summary = TraceSummary(cycles=len(records), first_divergence=None, max_reg_error=2.1e5,
                           final_reg_error=2.1e5, min_pc_target=0.999, exact_status="halted",
                           soft_halt_mass=1.0)
    return Trace("softmax", 0.05, 1024, records, summary)


def _render(renderable, width: int) -> str:
    con = Console(width=width, record=True, color_system=None, file=io.StringIO())
    con.print(renderable)
    return con.export_text()


@pytest.mark.parametrize("width", [80, 72])
def test_the_table_keeps_every_number_whole_on_a_narrow_terminal(width):
    text = _render(trace_table(_trace()), width)
    assert max(len(line) for line in text.splitlines()) <= width
    # 0.0443, 28, 4e-05, 1.23e+03, 0.25, 0, 2e+05, 0.000123 -> 1e-04, 119: written in full
    for shown in ("0.0443", "28", "4e-05", "1.23e+03", "0.25", "2e+05", "1e-04", "119"):
        assert re.search(rf"(?<![\w.+-]){re.escape(shown)}(?![\w.…])", text), (shown, text)
    assert not re.search(r"[0-9]…", text.replace(LONG, "")), text  # no number cut short
    assert "…" in text  # the long instruction is what gave way


def test_the_summary_names_the_soft_machine():
    text = " ".join(_render(summary_panel(_trace()), 100).split())
    assert "soft machine softmax τ=0.05 · N=1024" in text


def _captured_figure(monkeypatch, tmp_path, *args):
    """Run `ncpu trace FACT ... --plot` and return the figure it saved."""
    pytest.importorskip("matplotlib", reason="matplotlib (ncpu[plot]) is not installed")
    from matplotlib.figure import Figure

    saved = []
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: saved.append(self))
    r = CliRunner().invoke(app, ["trace", FACT, "--set", "r1=3", "--mem-words", "64",
                                 "--plot", str(tmp_path / "t.png"), "--json", *args])
    assert r.exit_code == 0, r.stdout + r.stderr
    assert len(saved) == 1
    return saved[0]


def test_a_plot_of_nothing_but_zeros_draws_them_at_zero(monkeypatch, tmp_path):
    fig = _captured_figure(monkeypatch, tmp_path, "--addressing", "hard")
    axes = fig.get_axes()
    assert len(axes) == 2
    for ax in axes:
        (line,) = ax.get_lines()
        ys = list(line.get_ydata())
        assert ys and all(y == 0 for y in ys), ys  # exact zeros, not 1e-17
        assert ax.get_ylim()[0] == 0
        assert "0 at every cycle" in ax.get_legend().get_texts()[0].get_text()


def test_a_softmax_plot_draws_its_zeros_at_zero_on_a_log_scale(monkeypatch, tmp_path):
    fig = _captured_figure(monkeypatch, tmp_path, "--addressing", "softmax")
    leak = fig.get_axes()[0]
    ys = list(leak.get_lines()[0].get_ydata())
    assert ys[0] == 0 and max(ys) > 0  # no leak before the first cycle, some after
    assert leak.get_yscale() == "symlog" and leak.get_ylim()[0] == 0
    # the zero sits at the bottom of the axis, below every non-zero value
    to_px = leak.transData.transform
    assert to_px((0, 0))[1] < min(to_px((0, y))[1] for y in ys if y > 0)
