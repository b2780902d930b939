"""Lark's syntax errors in words: "unexpected `,`, expected a register, a label or a number"."""

from __future__ import annotations

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from ncpu_cli.errors import Diagnostic, Span

_OPERATORS = {"PLUS", "MINUS", "BINOP"}
_PUNCT = {
    "COMMA": "`,`",
    "COLON": "`:`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "RBRACE": "`}`",
}


def expected_words(expected: set[str]) -> str:
    """Lark terminal names -> "a register, a label, a number or end of line"."""
    words: list[str] = []
    operand_start = "NUMBER" in expected
    if "NAME" in expected:
        if operand_start:
            words += ["a register", "a label"]
        elif "MHOLE" in expected:
            words.append("a mnemonic")
        else:
            words.append("a name")
    if operand_start:
        words.append("a number")
    if "STRING" in expected:
        words.append("a string")
    if not operand_start and expected & _OPERATORS:
        words.append("an operator")
    for term in ("LPAR", "LSQB", "COLON", "COMMA", "RPAR", "RSQB", "RBRACE"):
        if term in expected and not (term == "LPAR" and operand_start):
            words.append(_PUNCT[term])
    if expected & {"_NL", "$END"}:
        words.append("end of line")
    if not words:
        return "something else"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _describe(tok: Token) -> str:
    if tok.type in ("_NL", "$END"):
        return "end of line"
    text = str(tok)
    return f"`{text[:30]}…`" if len(text) > 30 else f"`{text}`"


def syntax_diagnostic(err: UnexpectedInput, file: str, line: int) -> Diagnostic:
    """The diagnostic for one Lark error; `line` is already the line in the whole file."""
    if isinstance(err, UnexpectedToken):
        tok = err.token
        col = tok.column if isinstance(tok.column, int) and tok.column > 0 else 1
        end = tok.end_column if tok.type not in ("_NL", "$END") and tok.end_column else col + 1
        expected = expected_words(set(err.accepts or err.expected))
        message = f"syntax error: unexpected {_describe(tok)}, expected {expected}"
        return Diagnostic(Span(file, line, col, max(1, end - col)), message)
    if isinstance(err, UnexpectedCharacters):
        ch = err.char
        shown = repr(ch)[1:-1] if not ch.isprintable() else ch
        expected = expected_words(set(err.allowed or ()))
        message = f"syntax error: unexpected character `{shown}`, expected {expected}"
        return Diagnostic(Span(file, line, err.column, 1), message)
    return Diagnostic(Span(file, line, max(1, err.column), 1), f"syntax error: {err}")
