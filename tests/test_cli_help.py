"""Help text shows what its source says (issue 18 item 2): Rich markup used to eat every
`[word...]` (`ncpu fit -h` showed `??` for `??[lo:hi]`, `ncpu trace -h` said
`pip install 'ncpu'` for `'ncpu[plot]'`), and `ncpu --help` cut command summaries
mid-sentence at the docstring's line breaks. Every command's `--help` is rendered here
and compared with the help strings read from the commands' own source objects."""

from __future__ import annotations

import inspect
import re

import pytest
import typer
from rich.text import Text
from typer.testing import CliRunner

from ncpu_cli.cli import app
from ncpu_cli.cli.root import literal

WIDTH = "200"  # wide enough that Rich wraps nothing but the longest paragraphs
BOX = "│╭╮╰╯─"
SUMMARY_MAX = 72  # a summary fits one row of `ncpu --help` on an 80-column terminal


def flat(text: str) -> str:
    """Rendered help without box drawing, line breaks and runs of spaces."""
    for ch in BOX:
        text = text.replace(ch, " ")
    return " ".join(text.split())


def help_of(*args: str) -> str:
    res = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": WIDTH, "NO_COLOR": "1"})
    assert res.exit_code == 0, res.output
    return res.stdout


def commands() -> dict[str, tuple[str, list[str]]]:
    """name -> (docstring, the help of every option and argument), from the source objects."""
    out = {}
    for info in app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")
        params = inspect.signature(info.callback).parameters.values()
        helps = [p.default.help for p in params
                 if isinstance(p.default, (typer.models.OptionInfo, typer.models.ArgumentInfo))
                 and p.default.help]
        out[name] = (inspect.cleandoc(info.help or info.callback.__doc__ or ""), helps)
    return out


COMMANDS = commands()


def bracketed(text: str) -> list[str]:
    """Every `[...]` span of a help string, as the reader should see it (`\\[` is a
    bracket written pre-escaped)."""
    return [m.group(0).replace("\\[", "[") for m in re.finditer(r"\S*?\\?\[[^\[\]]*\]\S*", text)]


def test_the_issue_examples_are_in_the_source() -> None:
    assert "`??[lo:hi]`," in bracketed(COMMANDS["fit"][0])
    assert any("'ncpu[plot]')." in bracketed(h) for h in COMMANDS["trace"][1])


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_bracketed_string_survives_in_help(name: str) -> None:
    doc, helps = COMMANDS[name]
    shown = flat(help_of(name))
    spans = [s for text in [doc.split("\f")[0], *helps] for s in bracketed(text)]
    for span in spans:
        assert flat(span) in shown, f"`{span}` is missing from `ncpu {name} --help`"


def test_fit_and_trace_help_show_the_issue_examples() -> None:
    assert "??[lo:hi]" in help_of("fit")
    assert "pip install 'ncpu[plot]'" in flat(help_of("trace"))


def test_summaries_are_the_first_docstring_line_on_one_row() -> None:
    rows = help_of().splitlines()
    for name, (doc, _) in COMMANDS.items():
        first = doc.splitlines()[0].strip()
        assert first.endswith("."), f"{name}: the first docstring line is no sentence: {first!r}"
        assert len(first) <= SUMMARY_MAX, f"{name}: summary longer than {SUMMARY_MAX}: {first!r}"
        row = next(r for r in rows if r.strip(BOX + " ").startswith(name + " "))
        assert flat(row) == f"{name} {literal_plain(first)}", row


def literal_plain(text: str) -> str:
    return Text.from_markup(literal(text) or "").plain


@pytest.mark.parametrize("text, shown", [
    ("??[lo:hi]", "??[lo:hi]"),
    ("pip install 'ncpu[plot]'", "pip install 'ncpu[plot]'"),
    ("\\[default: hard]", "[default: hard]"),  # already escaped: one bracket, no backslash
    ("[/] [#fff] [@click] [bold]x[/bold]", "[/] [#fff] [@click] [bold]x[/bold]"),
    ("r1=0:4096 [A-Z] [0:9]", "r1=0:4096 [A-Z] [0:9]"),  # not tags: untouched
])
def test_literal_shows_the_text_as_written(text: str, shown: str) -> None:
    assert Text.from_markup(literal(text)).plain == shown
