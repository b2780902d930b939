"""The root `ncpu` command (Typer app, `--version`); every command module adds its own to it.

Help texts are plain text. Typer renders them with Rich markup, which would eat any
`[word...]` as a style tag (`??[lo:hi]` showed as `??`, `pip install 'ncpu[plot]'` as
`'ncpu'`), so the root group escapes every command's and option's help once, when the
Click commands are built (`literal`); a `\\[` already written stays one bracket. In
`ncpu --help` a command's summary is the first line of its docstring, which must be a
complete short sentence (tests/test_cli_help.py checks both).
"""

from __future__ import annotations

import re

import typer
from typer.core import TyperGroup

from ncpu_cli.version import __version__

# What Rich takes for a tag: `[` then a lower-case letter, #, / or @ ... `]`, after any
# backslashes (an odd number of them escapes it). The same pattern as rich.markup.escape.
_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def literal(text: str | None) -> str | None:
    """`text` with every would-be Rich tag escaped, so it shows as written; a tag already
    escaped (`\\[default: ...]`) is left as it is."""
    if not text:
        return text
    return _TAG.sub(lambda m: m.group(0) if len(m.group(1)) % 2 else f"{m.group(1)}\\{m.group(2)}",
                    text)


def summary(help_text: str | None) -> str | None:
    """A command's summary for `ncpu --help`: the first line of its help text."""
    return help_text.strip().splitlines()[0].strip() if help_text and help_text.strip() else None


def plain_help(command) -> None:  # noqa: ANN001 (a Click command or group)
    """Escape the help of `command`, its parameters and (for a group) its subcommands, and
    give each command without one a summary (its first help line)."""
    command.help = literal(command.help)
    command.epilog = literal(getattr(command, "epilog", None))
    if getattr(command, "short_help", None) is None:
        command.short_help = summary(command.help)
    else:
        command.short_help = literal(command.short_help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = literal(param.help)
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)


class RootGroup(TyperGroup):
    """The `ncpu` group: help texts are plain text (see the module docstring)."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 (Click's signature)
        super().__init__(*args, **kwargs)
        plain_help(self)


app = typer.Typer(
    name="ncpu",
    cls=RootGroup,
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
