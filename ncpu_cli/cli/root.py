"""The root `ncpu` command (Typer app, `--version`); every command module adds its own to it."""

import typer

from ncpu_cli.version import __version__

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
