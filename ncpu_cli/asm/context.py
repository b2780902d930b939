"""State shared by the assembler passes: options, symbols, diagnostics, names."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ncpu_cli.asm.ast import Name, Stmt, span_of
from ncpu_cli.asm.expr import Unresolved
from ncpu_cli.errors import Diagnostic, Span
from ncpu_cli.isa import MAX_MEM_WORDS, Isa, Op, Pseudo, load_isa

MAX_WORDS = MAX_MEM_WORDS  # the largest memory (ISA.md)
DIRECTIVES = (".org", ".word", ".zero", ".string", ".equ", ".entry", ".include", ".holes",
              ".rept", ".endr")
HOLE_REGS = tuple(range(16))  # `.holes regs` default: r0..r15 (isa/holes.md)
HOLE_IMM = (-16, 16)  # `.holes imm` default


def registers(isa: Isa) -> dict[str, int]:
    """Every register spelling (lower case) -> number: r0..r15 and the aliases."""
    names = {f"r{i}": i for i in range(isa.registers)}
    names.update(isa.aliases)
    return names


def did_you_mean(word: str, candidates: list[str] | set[str] | dict, cutoff: float = 0.6,
                 aliases: dict[str, str] | None = None) -> str:
    """` (did you mean `x`?)` for the closest candidate, or "" (cheap on huge words). When
    the closest is one of `aliases` (another spelling), the suggestion is what it stands for:
    `slll` is closest to `sll`, which is `shl`."""
    if len(word) > 64:
        return ""
    close = difflib.get_close_matches(word, list(candidates), n=5, cutoff=cutoff)
    if not close:
        return ""
    best = max(
        close,
        key=lambda c: (
            round(difflib.SequenceMatcher(None, word, c).ratio(), 3),
            _common_prefix(word, c),
            c == min(close),
        ),
    )
    return f" (did you mean `{(aliases or {}).get(best, best)}`?)"


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


@dataclass
class Ctx:
    """Everything the passes share.

    `scope` is the global label of the item being worked on; "" is the top-level
    scope (before the first global label), so a local `.x` there is the symbol `.x`.
    """

    keep_holes: bool = False
    limit: int = MAX_WORDS  # highest address + 1 the image may use
    limit_from_option: bool = False
    isa: Isa = field(default_factory=load_isa)
    diags: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)  # full name -> address
    consts: dict[str, int] = field(default_factory=dict)  # .equ name -> value
    defined_at: dict[str, Span] = field(default_factory=dict)  # label/.equ -> where defined
    all_names: set[str] = field(default_factory=set)  # every label/.equ defined anywhere
    scope: str = ""
    fatal: bool = False  # a file was not read to its end: skip the later passes
    # sketch state while expanding (asm/holes.py, asm/rept.py)
    hole_regs: tuple[int, ...] = HOLE_REGS  # candidates of instruction-hole registers
    hole_imm: tuple[int, int] = HOLE_IMM  # candidates of instruction-hole immediates
    early: dict[str, int] = field(default_factory=dict)  # `.equ` values known while expanding
    rept_depth: int = 0  # `.rept` blocks open around the statement being expanded
    rept_lines: int = 0  # statements expanded inside `.rept` blocks so far
    rept_over: bool = False  # the expansion limit was hit: stop repeating
    rept_head: Stmt | None = None  # the outermost `.rept` being expanded

    def __post_init__(self) -> None:
        self.regs = registers(self.isa)
        self.ops: dict[str, Op] = dict(self.isa.by_name)
        self.pseudos: dict[str, Pseudo] = {p.name: p for p in self.isa.pseudos}
        self.mnemonics = sorted(set(self.ops) | set(self.pseudos) | set(DIRECTIVES))

    # diagnostics -----------------------------------------------------------------
    def error(self, span: Span, message: str, notes: tuple[Diagnostic, ...] = ()) -> None:
        self.diags.append(Diagnostic(span, message, "error", notes))

    def error_at(self, stmt: Stmt, node: object, message: str) -> None:
        self.error(span_of(stmt, node), message)

    # names ----------------------------------------------------------------------
    def full_name(self, name: str, scope: str) -> str:
        """`.next` under `loop` -> `loop.next`; at top level (scope "") `.next` stays `.next`."""
        return scope + name if name[0] == "." else name

    def lookup(self, node: Name) -> int:
        """Value of a name in the current scope (labels, then constants)."""
        name = node.name
        if name[0] == ".":
            name = self.scope + name
        value = self.labels.get(name)
        if value is None:
            value = self.consts.get(name)
            if value is None:
                raise Unresolved(node)
        return value

    def unresolved_message(self, node: Name, forward_what: str | None = None) -> str:
        """Why `node` has no value: register, forward reference or undefined (with a guess)."""
        name = node.name
        if name.lower() in self.regs:
            return f"register `{name}` can't be used as a value here"
        full = self.full_name(name, self.scope)
        if name[0] == "." and self.scope and (name in self.labels or name in self.consts):
            return (
                f"undefined label `{name}`: under `{self.scope}` it means `{full}`; the"
                f" top-level `{name}` can be used only before the first global label"
            )
        if forward_what and full in self.all_names:
            return f"`{forward_what}` can't refer forward to `{name}` (define it above)"
        # global names, and the locals of this scope as written here (`.x`); a
        # top-level `.x` is among them only at top level (scope "")
        names = [*self.labels, *self.consts]
        prefix = self.scope + "."
        known = {n for n in names if n[0] != "."}
        known |= {n[len(self.scope) :] for n in names if n.startswith(prefix)}
        return f"undefined label `{name}`{did_you_mean(name, known)}"
