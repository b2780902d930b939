"""What `ncpu run` writes: the `--json` document, `--out` JSON lines, the human views."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator

from ncpu_cli.cli.common import stdout
from ncpu_cli.run.compare import Comparison

TABLE_MAX = 16  # up to this many programs: a result table; more: a summary
FAULTS_SHOWN = 5

Names = Callable[[int], str] | None  # run index -> program name, in a run of several programs


@dataclass
class Compared:
    """`--compare-exact`: every program's soft result against the exact engine's."""

    engine: str  # the exact engine that ran beside the soft one
    by_index: dict[int, Comparison]  # run.compare.Comparison of each program
    summary: dict  # run.compare.compare_summary

    def to_json(self) -> dict:
        return {"engine": self.engine, **self.summary}


def result_records(outcome, names: Names = None, compared: Compared | None = None
                   ) -> Iterator[dict]:
    """One JSON object per program, in index order; `program` (its name) after `index`
    in a run of several programs; `exact` (soft against exact) under --compare-exact."""
    for result in outcome.results():
        record = result.to_json()
        if names is not None:
            record = {"index": record.pop("index"), "program": names(result.index), **record}
        if compared is not None:
            record["exact"] = compared.by_index[result.index].to_json()
        yield record


def soft_settings(config) -> dict:
    """A soft run's addressing, temperature and float width (the `soft` of --json)."""
    return {"addressing": config.addressing, "temperature": config.temperature,
            "dtype": config.dtype}


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


def _json_summary(outcome, compared: Compared | None = None) -> dict:
    s = outcome.summary
    summary = {
        "count": int(s["count"]),
        "halted": int(s["halted"]),
        "fault": int(s["fault"]),
        "timeout": int(s["timeout"]),
        "cycles_total": int(s["cycles_total"]),
        "seconds": float(outcome.seconds),
        "ips": float(outcome.ips),
    }
    if compared is not None:
        summary["compare"] = compared.to_json()
    return summary


def write_jsonl(outcome, path: str, names: Names = None,
                compared: Compared | None = None) -> None:
    """`--out FILE`: one JSON line per program."""
    with _jsonl_sink(path) as fh:
        for record in result_records(outcome, names, compared):
            fh.write(json.dumps(record) + "\n")


def write_json(outcome, out: IO[str], names: Names = None,
               compared: Compared | None = None) -> None:
    """The `--json` document, streamed program by program; a soft run's settings
    under `soft`, and under --compare-exact each program's `exact` and the summary's
    `compare`."""
    head = {
        "device": outcome.device,
        "engine": outcome.engine,
        "mode": outcome.mode,
        "mem_words": outcome.config.mem_words,
    }
    if outcome.mode == "soft":
        head["soft"] = soft_settings(outcome.config)
    out.write(json.dumps(head)[:-1] + ', "programs": [')
    for i, record in enumerate(result_records(outcome, names, compared)):
        out.write(("\n  " if i == 0 else ",\n  ") + json.dumps(record))
    out.write('\n], "summary": ' + json.dumps(_json_summary(outcome, compared)) + "}\n")
    out.flush()


def _tables(results, program_of, con) -> None:
    """A result table per program (its name above it), for consecutive runs of one program."""
    from rich.text import Text

    from ncpu_cli.render.run import result_table
    from ncpu_cli.run.load import SourceLocator

    groups: list[tuple[object, list]] = []
    for r in results:
        prog = program_of(r.index)
        if not groups or groups[-1][0] is not prog:
            groups.append((prog, []))
        groups[-1][1].append(r)
    for prog, group in groups:
        con.print(Text(prog.name, style="bold"))
        con.print(result_table(group, SourceLocator(prog.image, prog.sources)))


def render_human(outcome, image, sources, program_of=None,
                 compared: Compared | None = None) -> None:
    """The result table (a table per program in a run of several, `program_of(index)`
    giving a run's programs.Program), or the summary of a large batch; a soft run's
    footer names its addressing, τ and float width, says what its deviation is and,
    under --compare-exact, how it compares with the exact machine."""
    from ncpu_cli.render.run import (
        compare_table,
        footer,
        max_deviation,
        notes_text,
        register_grid,
        result_notes,
        result_table,
        soft_text,
        summary_view,
    )
    from ncpu_cli.run.load import SourceLocator

    locate = SourceLocator(image, sources)
    con = stdout()
    c = outcome.config
    soft = soft_text(c.addressing, c.temperature, c.dtype) if outcome.mode == "soft" else None
    extra = {"soft": soft, "compared": None if compared is None else compared.summary,
             "exact_engine": "exact" if compared is None else compared.engine}
    if outcome.count <= TABLE_MAX:
        results = list(outcome.results())
        if program_of is None:
            con.print(result_table(results, locate))
        else:
            _tables(results, program_of, con)
        if len(results) == 1:
            con.print(register_grid(results[0].regs))
        if compared is not None:
            con.print(compare_table(results, compared.by_index, compared.engine))
        con.print(footer(outcome.engine, outcome.device, outcome.mode, outcome.seconds,
                         outcome.ips, max_deviation(results), **extra))
        notes = result_notes(results)
    else:
        faults = list(outcome.results(outcome.first_faults(FAULTS_SHOWN)))
        deviation = max_deviation(outcome.results()) if outcome.mode == "soft" else None
        con.print(summary_view(outcome.summary, engine=outcome.engine, device=outcome.device,
                               mode=outcome.mode, seconds=outcome.seconds, ips=outcome.ips,
                               faults=faults, locate=None if program_of else locate,
                               deviation=deviation, **extra))
        notes = result_notes(outcome.results()) if outcome.mode == "soft" else []
    note = notes_text(notes)
    if note is not None:
        con.print(note)
