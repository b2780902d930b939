"""What every command shares: exit codes, the stderr console, error reporting."""

from __future__ import annotations

import contextlib
import math
import os
import sys
from enum import Enum
from typing import Iterator, NoReturn

import typer
from rich.console import Console

from ncpu_cli.errors import AsmError, ImageError, NcpuError, RunError

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


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print `error: message` on stderr and exit with `code`."""
    stderr().print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True,
                   emoji=False)
    raise typer.Exit(code)


def usage(message: str) -> NoReturn:
    fail(message, EXIT_USAGE)


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
def reported_errors() -> Iterator[None]:
    """Turn library errors into messages on stderr and exit code 1 (never a traceback)."""
    try:
        yield
    except AsmError as err:
        from ncpu_cli.asm.diagnostics import render

        sys.stderr.write(render(err, color=stderr().is_terminal and "NO_COLOR" not in os.environ))
        raise typer.Exit(EXIT_ERROR) from None
    except (ImageError, RunError, NcpuError) as err:
        fail(str(err).replace("[", r"\["))
    except OSError as err:
        where = f"{err.filename}: " if getattr(err, "filename", None) else ""
        fail(f"{where}{err.strerror or err}".replace("[", r"\["))
    except MemoryError:
        fail("out of memory (try a smaller --batch or --mem-words)")
