"""What every command shares: exit codes, the stderr console, error reporting.

`with reporting(json=as_json):` around a command's body turns every failure
(library errors, `fail()`, `usage()`) into `error: ...` on stderr, or under
`--json` into one `{"error": {...}}` object on stdout, with the same exit code.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import math
import os
import re
import sys
from enum import Enum
from typing import Any, Callable, Iterator, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.errors import MarkupError
from rich.markup import escape
from rich.text import Text

from ncpu_cli.errors import AsmError, Diagnostic, FitError, ImageError, NcpuError, RunError

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes (documented in README and `ncpu --help`).
EXIT_OK = 0  # every program halted / command succeeded
EXIT_ERROR = 1  # assembly error, fault, bad input
EXIT_USAGE = 2  # bad command line (Typer/Click's own code)
EXIT_TIMEOUT = 3  # some program hit the cycle limit and none faulted


def stderr() -> Console:
    """Console for messages; honours NO_COLOR and only colours a terminal."""
    return Console(stderr=True, no_color="NO_COLOR" in os.environ, highlight=False)


def stdout() -> Console:
    return Console(no_color="NO_COLOR" in os.environ, highlight=False, soft_wrap=True)


# Set by `reporting(json=True)`: failures are then one JSON object on stdout.
_JSON_ERRORS: contextvars.ContextVar[bool] = contextvars.ContextVar("ncpu_json_errors",
                                                                   default=False)
# The command running under `reports_errors` (`run` for `run_command`): picks the hint
# of an out-of-memory report.
_COMMAND: contextvars.ContextVar[str] = contextvars.ContextVar("ncpu_command", default="")


def fail(message: str, code: int = EXIT_ERROR, *, kind: str | None = None,
         file: str | None = None, line: int | None = None, col: int | None = None) -> NoReturn:
    """Report `message` (Rich markup) and exit with `code`: `error: message` on stderr, or
    under `reporting(json=True)` one `{"error": {...}}` object on stdout."""
    if _JSON_ERRORS.get():
        kind = kind or ("usage" if code == EXIT_USAGE else "error")
        emit_json_error(error_object(kind, _plain(message), file=file, line=line, col=col))
        raise typer.Exit(code)
    stderr().print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True,
                   emoji=False)
    raise typer.Exit(code)


def usage(message: str) -> NoReturn:
    fail(message, EXIT_USAGE, kind="usage")


def json_errors() -> bool:
    """True inside `reporting(json=True)`."""
    return _JSON_ERRORS.get()


def error_object(kind: str, message: str, *, file: str | None = None, line: int | None = None,
                 col: int | None = None, **extra: Any) -> dict:
    """The `error` member of a `--json` failure (fields always present, null when unknown)."""
    return {"kind": kind, "message": message, "file": file, "line": line, "col": col, **extra}


def emit_json_error(error: dict) -> None:
    """Write `{"error": error}` as one line on stdout."""
    with contextlib.suppress(BrokenPipeError):
        sys.stdout.write(json.dumps({"error": error}) + "\n")
        sys.stdout.flush()


def asm_error_object(err: AsmError) -> dict:
    """An AsmError as a JSON error: every diagnostic in a list, the first one's place on top."""
    diags = [_diagnostic_json(d) for d in err.diagnostics]
    first = diags[0] if diags else {"file": None, "line": None, "col": None,
                                    "message": "assembly failed"}
    return error_object("asm", first["message"], file=first["file"], line=first["line"],
                        col=first["col"], diagnostics=diags)


def _diagnostic_json(diag: Diagnostic) -> dict:
    out = {"file": diag.span.file, "line": diag.span.line, "col": diag.span.col,
           "message": diag.message, "severity": diag.severity}
    if diag.notes:
        out["notes"] = [_diagnostic_json(n) for n in diag.notes]
    return out


def _plain(message: str) -> str:
    """Rich markup (`\\[` escapes, `[bold]`) -> the plain text a reader sees."""
    try:
        return Text.from_markup(message).plain
    except MarkupError:
        return message


class Addressing(str, Enum):
    """Soft mode's pointer normaliser (`--addressing` of `ncpu run` and `ncpu trace`)."""

    softmax = "softmax"
    sparsemax = "sparsemax"
    hard = "hard"


class Dtype(str, Enum):
    """Soft mode's float width (`--dtype`)."""

    float64 = "float64"
    float32 = "float32"


def check_temperature(value: float, option: str = "--temperature") -> float:
    """`value` as a float if it is a positive finite number, else a usage error (exit 2)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) \
            or math.isinf(value) or value <= 0:
        usage(f"{option} must be a positive finite number, got {value}")
    return float(value)


@contextlib.contextmanager
def reporting(json: bool | None = None) -> Iterator[None]:
    """Turn library errors into a report and an exit code (1), never a traceback; so is
    running out of memory (kind `memory`, exit 1, as the exact engines' own memory check).

    `json=True`: every failure inside, `fail()` and `usage()` included, is one JSON
    object `{"error": {"kind", "message", "file", "line", "col"}}` on stdout (an
    assembly error adds `diagnostics`, all of them); `json=False`: text on stderr;
    None: as the enclosing `reporting` (text outside any). Exit codes are the same.
    """
    token = _JSON_ERRORS.set(_JSON_ERRORS.get() if json is None else bool(json))
    try:
        yield
    except AsmError as err:
        if _JSON_ERRORS.get():
            emit_json_error(asm_error_object(err))
            raise typer.Exit(EXIT_ERROR) from None
        from ncpu_cli.asm.diagnostics import render

        sys.stderr.write(render(err, color=stderr().is_terminal and "NO_COLOR" not in os.environ))
        raise typer.Exit(EXIT_ERROR) from None
    except NcpuError as err:
        kind = ("image" if isinstance(err, ImageError) else "run" if isinstance(err, RunError)
                else "fit" if isinstance(err, FitError) else "error")
        file, line = _place(err)
        fail(escape(str(err)), kind=kind, file=file, line=line, col=getattr(err, "col", None))
    except OSError as err:
        name = getattr(err, "filename", None)
        where = f"{name}: " if name else ""
        fail(escape(f"{where}{err.strerror or err}"), kind="file",
             file=None if name is None else str(name))
    except (MemoryError, RuntimeError) as err:
        if not is_out_of_memory(err):
            raise
        fail(escape(out_of_memory_message(err)), kind="memory")
    finally:
        _JSON_ERRORS.reset(token)


# What torch and Python say when an allocation fails: MemoryError, torch.OutOfMemoryError
# (CUDA; a RuntimeError), and RuntimeError("... DefaultCPUAllocator: can't allocate memory:
# you tried to allocate N bytes. Error code 12 (Cannot allocate memory)") on the CPU.
_OOM_RE = re.compile(r"DefaultCPUAllocator|out of memory|can't allocate memory|"
                     r"Cannot allocate memory", re.IGNORECASE)
_OOM_SIZE_RE = re.compile(r"tried to allocate ([0-9]+) bytes", re.IGNORECASE)
# What to make smaller, by command (the hint of an out-of-memory report)
MEMORY_HINTS = {
    "run": "use fewer programs (--batch, --sweep, --inputs) or a smaller --mem-words",
    "fit": "use fewer --restarts, or a spec with a smaller mem_words",
    "trace": "use a smaller --mem-words",
}
MEMORY_HINT = "use a smaller batch or --mem-words"


def is_out_of_memory(err: BaseException) -> bool:
    """True when `err` is a failed allocation (Python's or torch's, CPU or CUDA)."""
    if isinstance(err, MemoryError):
        return True
    oom_type = getattr(sys.modules.get("torch"), "OutOfMemoryError", None)
    if oom_type is not None and isinstance(err, oom_type):
        return True
    return isinstance(err, RuntimeError) and _OOM_RE.search(str(err)) is not None


def out_of_memory_message(err: BaseException) -> str:
    """One line for a failed allocation: its size when torch says it, and what to make
    smaller in the command that ran (`MEMORY_HINTS`)."""
    from ncpu_cli.machine.memory import format_bytes

    m = _OOM_SIZE_RE.search(str(err))
    size = f": an allocation of {format_bytes(int(m.group(1)))} failed" if m else ""
    return f"out of memory{size} ({MEMORY_HINTS.get(_COMMAND.get(), MEMORY_HINT)})"


def reports_errors(json_param: str = "json_") -> Callable[[F], F]:
    """Decorator form for a Typer command: its body runs inside `reporting(json=...)`,
    the mode read from the command's `json_param` option (`--json`)."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _COMMAND.set(command.__name__.removesuffix("_command"))
            try:
                with reporting(json=bool(kwargs.get(json_param, False))):
                    return command(*args, **kwargs)
            finally:
                _COMMAND.reset(token)

        return wrapper  # type: ignore[return-value]

    return decorate


_PLACE_RE = re.compile(r"([^\s:][^:\n]*):([0-9]{1,9}): ")


def _place(err: Exception) -> tuple[str | None, int | None]:
    """The file and line of a library error: its attributes, else its `file:line: ` prefix."""
    file, line = getattr(err, "file", None), getattr(err, "line", None)
    m = _PLACE_RE.match(str(err))
    if m is not None and file in (None, m.group(1)):
        return m.group(1), line if line is not None else int(m.group(2))
    return file, line


def reported_errors() -> contextlib.AbstractContextManager[None]:
    """`reporting()` in the mode of the enclosing one (text when there is none)."""
    return reporting(None)
