"""The `ncpu` command line (Typer). Commands live in sibling modules."""

import sys

import typer

from ncpu_cli import __version__

app = typer.Typer(
    name="ncpu",
    help="Assembler and neural-CPU runner for the ncpu32 instruction set.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ncpu {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Assembler and neural-CPU runner for the ncpu32 instruction set."""


def main() -> None:
    """The console script: the app, except that under `--json` an error the command-line
    parser itself reports (an unknown option, a value out of its range) is the JSON
    error object too, with the same exit code (2 for usage)."""
    if "--json" not in sys.argv[1:]:
        app()
        return
    try:
        code = app(standalone_mode=False)
    except Exception as exc:  # the parser's errors (Click's, vendored by newer Typer)
        names = {c.__name__ for c in type(exc).__mro__}
        if "ClickException" not in names:
            raise
        from ncpu_cli.cli.common import emit_json_error, error_object

        kind = "usage" if "UsageError" in names else "error"
        emit_json_error(error_object(kind, exc.format_message()))
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


# Register the commands (each module adds its own to `app`).
from ncpu_cli.cli import asm, bench, fit, run, trace  # noqa: E402,F401
