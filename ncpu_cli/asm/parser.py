"""Source text -> list of `Stmt` (ast.py), with every syntax error found.

The Lark LALR parser runs with an inline transformer (`_Builder`), so AST
nodes are built during the parse and no parse tree is kept. Each finished line
is appended to a list as a side effect; after a syntax error the parse restarts
just after the last finished line with the bad line blanked out, so all
syntax errors of a file are reported in one run at linear cost.
"""

from __future__ import annotations

import threading
from functools import cache

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput

from ncpu_cli.asm.ast import Binary, Hole, Label, Mem, Name, Num, Paren, Stmt, Str, Unary
from ncpu_cli.asm.expr import fold, parse_int
from ncpu_cli.asm.source import compact_idle_lines, has_long_line
from ncpu_cli.asm.syntax_errors import syntax_diagnostic
from ncpu_cli.errors import Diagnostic, Span
from ncpu_cli.isa import data_path

MAX_SYNTAX_ERRORS = 100
MAX_LINE = 100_000  # characters; a longer line is reported, not parsed (it can't fit memory anyway)
GAVE_UP = "too many syntax errors in"
_ESCAPES = {"n": 10, "t": 9, "\\": 92, '"': 34, "'": 39, "0": 0}


def grammar_text() -> str:
    return data_path("ncpu32.lark").read_text(encoding="utf-8")


@cache
def tree_parser() -> Lark:
    """A plain Lark parser producing trees with positions (tools, tests)."""
    return Lark(grammar_text(), parser="lalr", propagate_positions=True)


class _Builder(Transformer):
    """Inline LALR callbacks: tokens -> AST nodes. Not reentrant (see `_LOCK`)."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.reset("<none>", 0)

    def reset(self, file: str, line0: int) -> None:
        self.file = file
        self.line0 = line0  # added to Lark's line numbers (restarts parse mid-file)
        self.out: list[Stmt] = []
        self.diags: dict[tuple, Diagnostic] = {}

    def _error(self, tok: Token, col: int, end: int, message: str) -> None:
        line = tok.line + self.line0
        span = Span(self.file, line, col, max(1, end - col))
        self.diags[(line, col, message)] = Diagnostic(span, message)

    # statements -------------------------------------------------------------
    def line(self, c: list) -> None:
        if not c:
            return
        stmt = c[-1]
        if len(c) == 2:
            stmt.label = c[0].label
        self.out.append(stmt)

    def label(self, c: list) -> Stmt:
        t = c[0]
        return Stmt(self.file, t.line + self.line0, label=Label(str(t), t.column, t.end_column))

    def instr(self, c: list) -> Stmt:
        t = c[0]
        return Stmt(
            self.file,
            t.line + self.line0,
            None,
            str(t).lower(),
            str(t),
            t.column,
            t.end_column,
            c[1] if len(c) > 1 else [],
        )

    def hole_instr(self, c: list) -> Stmt:
        start = c[0]
        close = next(i for i, x in enumerate(c) if isinstance(x, Token) and x.type == "RBRACE")
        names = [Name(str(t).lower(), t.column, t.end_column) for t in c[1:close]]
        ops = c[close + 1] if len(c) > close + 1 else []
        return Stmt(
            self.file,
            start.line + self.line0,
            None,
            names[0].name,
            "?{...}",
            start.column,
            c[close].end_column,
            ops,
            names,
        )

    def holes_line(self, c: list) -> Stmt:
        """`.holes KIND ...`: one token; asm/holes.py reads the text after `.holes`."""
        t = c[0]
        text = str(t)
        return Stmt(self.file, t.line + self.line0, None, ".holes", text[:6], t.column,
                    t.column + 6, [], raw=text[6:], raw_col=t.column + 6)

    def operands(self, c: list) -> list:
        return c

    # operands ---------------------------------------------------------------
    def mem(self, c: list) -> Mem:
        offset, base, close = c
        return Mem(offset, base, offset.col, close.end_column)

    def hole(self, c: list) -> Hole:
        t = c[0]
        if len(c) == 1:
            return Hole(None, None, t.column, t.end_column)
        return Hole(c[1], c[2], t.column, c[3].end_column)

    def regset(self, c: list) -> Hole:
        """`??{r1,r4-r7}`: the items stay expressions; operands.register checks them."""
        t, close = c[0], c[-1]
        return Hole(None, None, t.column, close.end_column, regs=list(c[1:-1]))

    def string(self, c: list) -> Str:
        t = c[0]
        text = str(t)
        codes = self._unescape(t, text, '"', "string")
        return Str(codes, t.column, t.end_column)

    def _unescape(self, tok: Token, text: str, quote: str, what: str) -> list[int]:
        """Code points of a quoted literal; reports bad escapes / a missing close quote."""
        closed = len(text) >= 2 and text.endswith(quote) and not _escaped_end(text)
        if not closed:
            self._error(
                tok, tok.column, tok.end_column, f"unterminated {what} (missing closing {quote})"
            )
        body = text[1:-1] if closed else text[1:]
        codes: list[int] = []
        i = 0
        while i < len(body):
            ch = body[i]
            if ch == "\\" and i + 1 < len(body):
                code = _ESCAPES.get(body[i + 1])
                if code is None:
                    col = tok.column + 1 + i
                    self._error(
                        tok,
                        col,
                        col + 2,
                        f'unknown escape `\\{body[i + 1]}` (use \\n \\t \\\\ \\" \\0)',
                    )
                    code = ord(body[i + 1])
                codes.append(code)
                i += 2
            else:
                codes.append(ord(ch))
                i += 1
        return codes

    # expressions ------------------------------------------------------------
    def number(self, c: list) -> Num:
        t = c[0]
        try:
            value = parse_int(str(t))
        except ValueError as err:
            self._error(t, t.column, t.end_column, str(err))
            value = 0
        return Num(value, t.column, t.end_column)

    def char(self, c: list) -> Num:
        t = c[0]
        codes = self._unescape(t, str(t), "'", "character literal")
        if len(codes) != 1 and str(t).endswith("'") and len(str(t)) >= 2:
            what = (
                "empty character literal"
                if not codes
                else "character literal holds more than one character"
            )
            self._error(t, t.column, t.end_column, f"{what} (use a string for text)")
        return Num(codes[0] if codes else 0, t.column, t.end_column)

    def name(self, c: list) -> Name:
        t = c[0]
        return Name(str(t), t.column, t.end_column)

    def paren(self, c: list) -> object:
        open_, inner, close = c
        if type(inner) is Name or type(inner) is Hole:  # `(r2)`, `(??)`: mem shorthand
            return Paren(inner, open_.column, close.end_column)
        inner.col, inner.end = open_.column, close.end_column
        return inner

    def neg(self, c: list) -> object:
        return fold(Unary("-", c[1], c[0].column, c[1].end))

    def pos(self, c: list) -> object:
        return fold(Unary("+", c[1], c[0].column, c[1].end))

    def inv(self, c: list) -> object:
        return fold(Unary("~", c[1], c[0].column, c[1].end))

    def chain(self, c: list) -> object:
        """`u0 op1 u1 op2 u2 ...` -> Binary tree by C precedence (left-associative)."""
        if len(c) == 3:
            return fold(Binary(str(c[1]), c[0], c[2], c[0].col, c[2].end))
        operands, ops = [c[0]], []
        for i in range(1, len(c), 2):
            op = str(c[i])
            while ops and PRECEDENCE[ops[-1]] >= PRECEDENCE[op]:
                _reduce(operands, ops.pop())
            ops.append(op)
            operands.append(c[i + 1])
        while ops:
            _reduce(operands, ops.pop())
        return operands[0]


PRECEDENCE = {"*": 10, "/": 10, "%": 10, "+": 9, "-": 9, "<<": 8, ">>": 8, "&": 7, "^": 6, "|": 5}


def _reduce(operands: list, op: str) -> None:
    right = operands.pop()
    left = operands.pop()
    operands.append(fold(Binary(op, left, right, left.col, right.end)))


def _escaped_end(text: str) -> bool:
    """True when the final quote of `text` is escaped (`"abc\\"`)."""
    n = 0
    i = len(text) - 2
    while i >= 1 and text[i] == "\\":
        n += 1
        i -= 1
    return n % 2 == 1


_LOCK = threading.Lock()


@cache
def _parser() -> tuple[Lark, _Builder]:
    """The cached LALR parser and the transformer bound into it."""
    builder = _Builder()
    return Lark(grammar_text(), parser="lalr", transformer=builder), builder


def parse(text: str, file: str) -> tuple[list[Stmt], list[Diagnostic]]:
    """Parse a whole source; returns its statements and every syntax diagnostic."""
    if not text.endswith("\n"):
        text += "\n"
    text = compact_idle_lines(text)  # comment-only lines: one newline token per run
    text, too_long = _drop_long_lines(text, file)
    lark, b = _parser()
    with _LOCK:
        b.reset(file, 0)
        syntax: list[Diagnostic] = []
        lines: list[str] | None = None
        chunk, start = text, 1
        while True:
            try:
                lark.parse(chunk)
                break
            except UnexpectedInput as err:
                line = (err.line if err.line > 0 else chunk.count("\n")) + b.line0
                syntax.append(syntax_diagnostic(err, file, line))
                if len(syntax) >= MAX_SYNTAX_ERRORS:
                    span = Span(file, line, 1, 1)
                    syntax.append(Diagnostic(span, f"{GAVE_UP} {file}; stopped reading it here"))
                    break
                if lines is None:
                    lines = text.split("\n")
                restart = max(start, b.out[-1].line + 1 if b.out else 1)
                if restart > line:
                    break  # no progress possible (cannot happen for a well-formed error)
                lines[line - 1] = ""
                chunk, start = "\n".join(lines[restart - 1 :]), restart
                b.line0 = restart - 1
        out, literal = b.out, list(b.diags.values())
        b.reset("<none>", 0)
    return out, too_long + literal + syntax


def _drop_long_lines(text: str, file: str) -> tuple[str, list[Diagnostic]]:
    """Blank out lines longer than MAX_LINE (one diagnostic each); cheap when there are none."""
    if len(text) <= MAX_LINE or not has_long_line(text, MAX_LINE):
        return text, []
    lines = text.split("\n")
    diags = []
    for i, line in enumerate(lines):
        if len(line) > MAX_LINE:
            message = f"line too long: {len(line)} characters (the limit is {MAX_LINE})"
            diags.append(Diagnostic(Span(file, i + 1, 1, 1), message))
            lines[i] = ""
    return ("\n".join(lines), diags) if diags else (text, [])


def gave_up(diags: list[Diagnostic]) -> bool:
    """True when `parse` stopped reading a file early (too many syntax errors)."""
    return any(d.message.startswith(GAVE_UP) for d in diags)
