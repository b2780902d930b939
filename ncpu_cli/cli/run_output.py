"""What `ncpu run` writes: the `--json` document, `--out` JSON lines, the human views."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Callable, Iterator

from ncpu_cli.cli.common import stdout

TABLE_MAX = 16  # up to this many programs: a result table; more: a summary
FAULTS_SHOWN = 5

Names = Callable[[int], str] | None  # run index -> program name, in a run of several programs


def result_records(outcome, names: Names = None) -> Iterator[dict]:
    """One JSON object per program, in index order; `program` (its name) after `index`
    in a run of several programs."""
    for result in outcome.results():
        record = result.to_json()
        if names is not None:
            record = {"index": record.pop("index"), "program": names(result.index), **record}
        yield record


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


def write_jsonl(outcome, path: str, names: Names = None) -> None:
    """`--out FILE`: one JSON line per program."""
    with _jsonl_sink(path) as fh:
        for record in result_records(outcome, names):
            fh.write(json.dumps(record) + "\n")


def write_json(outcome, out: IO[str], names: Names = None) -> None:
    """The `--json` document, streamed program by program."""
    head = {
        "device": outcome.device,
        "engine": outcome.engine,
        "mode": outcome.mode,
        "mem_words": outcome.config.mem_words,
    }
    out.write(json.dumps(head)[:-1] + ', "programs": [')
    for i, record in enumerate(result_records(outcome, names)):
        out.write(("\n  " if i == 0 else ",\n  ") + json.dumps(record))
    out.write('\n], "summary": ' + json.dumps(_json_summary(outcome)) + "}\n")
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


def render_human(outcome, image, sources, program_of=None) -> None:
    """The result table (a table per program in a run of several, `program_of(index)`
    giving a run's programs.Program), or the summary of a large batch."""
    from ncpu_cli.render.run import (
        footer,
        max_deviation,
        notes_text,
        register_grid,
        result_notes,
        result_table,
        summary_view,
    )
    from ncpu_cli.run.load import SourceLocator

    locate = SourceLocator(image, sources)
    con = stdout()
    if outcome.count <= TABLE_MAX:
        results = list(outcome.results())
        if program_of is None:
            con.print(result_table(results, locate))
        else:
            _tables(results, program_of, con)
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
                               faults=faults, locate=None if program_of else locate,
                               deviation=deviation))
        notes = result_notes(outcome.results()) if outcome.mode == "soft" else []
    note = notes_text(notes)
    if note is not None:
        con.print(note)


