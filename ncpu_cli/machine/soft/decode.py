"""Decode an image once into the soft machine's control table ``C``.

Row ``i`` of ``C`` describes the instruction in word ``i``; the soft machine
fetches with ``pc @ C`` (a matrix product shared by the batch), so a soft pc
executes the pc-weighted mixture of the rows.  Everything comes from the
opcode table (``isa/ncpu32.yaml``): an op's ``class`` and ``fn`` pick its
columns, its ``uses`` say which register selectors are live; no opcode number
appears here.

Columns (one row sums to 1 over the *weight* columns, i.e. every word is
exactly one of halt / illegal / plain / load / store / jump / branch / in / out):

- ``halt``, ``illegal``, ``store``, ``out``, ``in``, ``load``, ``jump``
  (``jal`` + ``jalr``), ``plain`` (alu, alui, li, lui): class weights;
- ``br:<fn>``: branch weight per condition (eq, ne, lt, ...);
- ``src:<name>``: which value a register write takes -- ``add``/``sub``/
  ``addi`` (the linear map), ``const`` (li/lui), one per threshold ALU
  function (``mul``, ``div``, ``and``, ...); their sum is ``plain``;
- ``imm_alu`` (alui immediate), ``const`` (li/lui result);
- the two addresses, each ``base·ra + imm``: ``mem_base``/``mem_imm`` (ld, st:
  ``ra + offset``) and ``jump_base``/``jump_imm`` (``jalr``: ``ra + offset``;
  ``jal`` and branches: the absolute target).  A row that does not address
  memory (or does not jump) points that address at -1, outside memory, so
  in a mixture of instructions a load that leaks in reads nothing instead of
  whatever word the other instructions happen to point at;
- ``link`` (``(i + 1)`` times the jump weight: the link value, already weighted);
- derived sums of the weight columns, so the fetch computes them for free:
  ``total`` (every weight: 1 on every row, so it fetches ``Σ pc``), ``memw``
  (load + store), ``gw`` (plain + load + in: the instructions that write rd
  unless they fall off the end or fault) and ``seqw`` (every instruction that
  goes on to ``pc + 1`` unless it faults or takes its branch);
- ``rd``/``ra``/``rb``: 16 columns each, the *normalised* selector of that
  field (``normalise(onehot)``); a field the instruction does not use selects
  r0, so mixtures of instructions do not read stray registers.

Words past the image are all-zero words, i.e. ``halt``; they share one row
(``tail``, the last row of ``table``) so the fetch only multiplies the image
part densely: ``pc @ C == [pc[:, :S], Σ pc[:, S:]] @ [C[:S]; tail]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch
from torch import Tensor

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa, to_signed
from ncpu_cli.machine.soft.addressing import Normaliser

NREG = 16
LINEAR = ("add", "sub", "addi")  # the NAC-style linear sources (weights in {-1, 0, 1})
# sources rows of the linear map act on x = [a, rb, imm_alu]:  (3 sources, 3 inputs)
LINEAR_MAP = ((1, 1, 0), (1, -1, 0), (1, 0, 1))
# ALU functions computed on rounded integers (threshold semantics, no gradient) --
# plus `mul`, which is an exact product with a gradient (see soft_alu.py).
THRESHOLD_FNS = ("mul", "div", "rem", "and", "or", "xor", "shl", "shr", "sar", "slt", "sltu")
BRANCH_FNS = ("eq", "ne", "lt", "ge", "ltu", "geu")
WEIGHTS = ("halt", "illegal", "plain", "load", "store", "jump", "in", "out")
# mem_imm/jump_imm and mem_base/jump_base adjacent: both addresses are one (2, B) op
VALUES = ("imm_alu", "const", "mem_imm", "jump_imm", "mem_base", "jump_base", "link")
DERIVED = ("total", "memw", "gw", "seqw")  # sums of weight columns (see above)
NOWHERE = -1  # the address of a row that does not address memory / does not jump
KNOWN_CLASSES = ("halt", "alu", "alui", "li", "lui", "load", "store", "jal", "jalr", "branch", "in",
                 "out")


@dataclass
class ControlTable:
    """The decoded image: ``table (S+1, F)`` (the tail row last) and the column map."""

    table: Tensor  # (S+1, F) rows of the image words then the tail row, or (B, S+1, F)
    cols: dict[str, int]  # column name -> index
    sel: int  # first of the 48 selector columns: rd (16), ra (16), rb (16)
    fns: tuple[str, ...]  # threshold ALU functions present in the image
    branches: tuple[str, ...]  # branch conditions present in the image
    classes: frozenset[str] = field(default_factory=frozenset)  # classes present (+ "illegal")
    uses: Tensor | None = None  # ([B,] S+1, 5) per row (tail last): uses rd, ra, rb; load; store
    table_t: Tensor | None = None  # (F, S+1) the shared table transposed (contiguous)

    @property
    def size(self) -> int:
        """S: the rows of the image (the tail row not counted)."""
        return int(self.table.shape[-2]) - 1

    @property
    def tail(self) -> Tensor:
        return self.table.reshape(-1, self.table.shape[-1])[self.size]  # (F,)

    @property
    def per_program(self) -> bool:
        return self.table.dim() == 3

    def has(self, cls: str) -> bool:
        return cls in self.classes


def mix_rows(pc: Tensor, table: Tensor, table_t: Tensor | None = None, *,
             out: Tensor | None = None, offset: Tensor | None = None
             ) -> tuple[Tensor, Tensor | None]:
    """``pc @ table`` transposed, with the rows past the image folded into the last one.

    pc (B, N); table (S+1, F) shared (``table_t`` its (F, S+1) transpose),
    (B, S+1, F) one per program, or (T, S+1, F) one per group of B/T consecutive
    programs (a fit's restarts × examples) -> ``(f (F, B), rest (B,))``: one row of f per column,
    each contiguous; rest = ``Σ pc[:, S:]``, the mass past the image (None when the
    image fills memory).  `out`: an (F, B) buffer for f (shared table only).
    `offset` (B,): the distribution is ``pc + offset`` (a uniform part kept aside)."""
    size, n = table.shape[-2] - 1, pc.shape[1]
    rest = None
    if size < n:  # [pc[:, :S], Σ pc[:, S:]] @ [C[:S]; tail]
        head = torch.cat([pc[:, :size], pc[:, size:].sum(dim=-1, keepdim=True)], dim=1)  # (B, S+1)
        if offset is not None:
            head.add_(offset.unsqueeze(-1))
            head[:, size].add_(offset, alpha=n - size - 1)  # the rest column: N - S words
        rest = head[:, size]  # (B,)
    else:  # the image fills memory: no word past it
        head = pc if offset is None else pc + offset.unsqueeze(-1)  # (B, S)
        table = table[..., :size, :]
        table_t = table_t[:, :size] if table_t is not None else None
    if table.dim() == 2:
        lhs = table_t if table_t is not None else table.t()  # (F, S[+1])
        f = torch.mm(lhs, head.t(), out=out) if out is not None else torch.mm(lhs, head.t())
        return f, rest  # (F, B)
    if table.shape[0] != head.shape[0]:  # G programs per table, consecutive: (T, S+1, F)
        t_count, cols = table.shape[0], table.shape[-1]
        grouped = head.reshape(t_count, -1, head.shape[-1])  # (T, G, S+1)
        return torch.bmm(grouped, table).reshape(-1, cols).t().contiguous(), rest  # (F, B)
    if table.requires_grad:  # (a fit's tables) torch's bmm backward loops over tiny
        # per-program products on the CPU; the broadcast product is one op each way
        return (head.unsqueeze(-1) * table).sum(dim=1).t().contiguous(), rest  # (F, B)
    return torch.bmm(head.unsqueeze(1), table).squeeze(1).t().contiguous(), rest  # (F, B)


def _columns(fns: tuple[str, ...], branches: tuple[str, ...]) -> tuple[dict[str, int], int]:
    names = list(WEIGHTS)
    names += [f"br:{b}" for b in branches]
    names += [f"src:{s}" for s in (*LINEAR, "const", *fns)]
    names += list(VALUES)
    names += list(DERIVED)
    cols = {n: i for i, n in enumerate(names)}
    return cols, len(names)


def build_control(
    images: Image | Sequence[Image],
    mem_words: int,
    norm: Normaliser,
    *,
    device: str | torch.device,
    dtype: torch.dtype,
) -> ControlTable:
    """Decode `images` (each padded to `mem_words` with halt words) into a control table.

    One image gives ``table (S, F)`` shared by the batch; a list (one image per
    program) gives ``table (B, S, F)`` (rows past an image's end are the tail row)."""
    isa = load_isa()
    many = not isinstance(images, Image)
    image_list = list(images) if many else [images]
    decoded_all = []
    for image in image_list:
        words = list(image.words) or [0]
        if len(words) > mem_words:
            raise RunError(f"image of {len(words)} words does not fit in {mem_words} words")
        decoded_all.append([isa.decode(w) for w in words])
    tail_d = isa.decode(0)
    lay = layout_of([d for dec in decoded_all for d in dec] + [tail_d])
    cols, nf, sel, fns, branches = lay.cols, lay.nf, lay.sel, lay.fns, lay.branches
    classes = lay.classes
    size = max(len(dec) for dec in decoded_all)

    eye = norm(torch.eye(NREG, dtype=dtype, device=device))  # (16, 16) normalised one-hots
    tail_row, tail_sel, tail_use = _row(tail_d, 0, cols, nf)
    tables, uses = [], []
    for dec in decoded_all:
        rows = torch.zeros(size + 1, nf, dtype=torch.float64)  # (S+1, F) built on the host
        sel_index = torch.zeros(size + 1, 3, dtype=torch.long)  # (S+1, 3) rd, ra, rb
        use = torch.zeros(size + 1, 5, dtype=torch.float64)  # (S+1, 5) rd ra rb load store
        rows[:], sel_index[:], use[:] = tail_row, tail_sel, tail_use
        for i, d in enumerate(dec):
            rows[i], sel_index[i], use[i] = _row(d, i, cols, nf)
        _derive(rows, cols)
        full = rows.to(device=device, dtype=dtype)  # (S+1, F)
        for j in range(3):
            full[:, sel + j * NREG: sel + (j + 1) * NREG] = eye[sel_index[:, j].to(device)]
        tables.append(full)
        uses.append(use.to(device=device, dtype=dtype))
    table = torch.stack(tables) if many else tables[0]  # (B, S+1, F) or (S+1, F)
    use_t = torch.stack(uses) if many else uses[0]
    return ControlTable(
        table=table.contiguous(),
        cols=cols,
        sel=sel,
        fns=fns,
        branches=branches,
        classes=frozenset(classes),
        uses=use_t,
        table_t=None if many else table.t().contiguous(),
    )


@dataclass(frozen=True)
class Layout:
    """The columns of a control table for a set of decoded words."""

    cols: dict[str, int]  # column name -> index
    nf: int  # F: every column, the 48 selector columns last
    sel: int  # first selector column
    fns: tuple[str, ...]  # threshold ALU functions present
    branches: tuple[str, ...]  # branch conditions present
    classes: frozenset[str]  # instruction classes present (+ "illegal")


def layout_of(decoded: Sequence) -> Layout:
    """The column layout of a table holding `decoded` words (``isa.decode`` results);
    RunError for an instruction the soft executor cannot run."""
    ops = [d.op for d in decoded if d.op is not None]
    classes = {op.cls for op in ops}
    if any(d.op is None for d in decoded):
        classes.add("illegal")
    for op in ops:
        if op.cls not in KNOWN_CLASSES:
            raise RunError(f"the soft executor does not know instruction class `{op.cls}` ({op.name})")
        if op.cls in ("alu", "alui") and op.fn not in THRESHOLD_FNS and op.fn not in ("add", "sub"):
            raise RunError(f"the soft executor has no ALU function `{op.fn}` ({op.name})")
        if op.cls == "alui" and op.fn == "sub":
            raise RunError("the soft executor's linear map has no immediate `sub`")
        if op.cls == "branch" and op.fn not in BRANCH_FNS:
            raise RunError(f"the soft executor has no branch condition `{op.fn}` ({op.name})")
    fns = tuple(f for f in THRESHOLD_FNS
                if any(op.cls in ("alu", "alui") and op.fn == f for op in ops))
    branches = tuple(b for b in BRANCH_FNS if any(op.cls == "branch" and op.fn == b for op in ops))
    cols, nf = _columns(fns, branches)
    return Layout(cols, nf + 3 * NREG, nf, fns, branches, frozenset(classes))


def word_rows(decoded: Sequence, addrs: Sequence[int], lay: Layout,
              eye: Tensor) -> tuple[Tensor, Tensor]:
    """(rows (P, F) float64 with selectors and derived columns, uses (P, 5)) of decoded words
    at addresses `addrs`; `eye` (16, 16) the normalised one-hots (on the host)."""
    parts = [_row(d, a, lay.cols, lay.nf) for d, a in zip(decoded, addrs)]
    rows = torch.stack([p[0] for p in parts])  # (P, F)
    sel_index = torch.stack([p[1] for p in parts])  # (P, 3)
    _derive(rows, lay.cols)
    for j in range(3):
        rows[:, lay.sel + j * NREG: lay.sel + (j + 1) * NREG] = eye[sel_index[:, j]]
    return rows, torch.stack([p[2] for p in parts])


def _derive(rows: Tensor, cols: dict[str, int]) -> None:
    """Fill the DERIVED columns of `rows` (S+1, F) from the weight columns."""
    w = {name: rows[:, cols[name]] for name in WEIGHTS}
    br = sum((rows[:, i] for name, i in cols.items() if name.startswith("br:")),
             torch.zeros_like(w["halt"]))
    rows[:, cols["total"]] = sum(w.values()) + br
    rows[:, cols["memw"]] = w["load"] + w["store"]
    rows[:, cols["gw"]] = w["plain"] + w["load"] + w["in"]
    rows[:, cols["seqw"]] = w["plain"] + w["in"] + w["load"] + w["store"] + w["out"] + br


def _row(d, i: int, cols: dict[str, int], nf: int) -> tuple[Tensor, Tensor, Tensor]:
    """(row (F,), selector fields (3,), uses (5,)) of decoded word `d` at address `i`."""
    row = torch.zeros(nf, dtype=torch.float64)
    row[cols["mem_imm"]] = row[cols["jump_imm"]] = NOWHERE
    op = d.op
    if op is None:
        row[cols["illegal"]] = 1
        return row, torch.zeros(3, dtype=torch.long), torch.zeros(5, dtype=torch.float64)
    c, uses = op.cls, op.uses
    fields = torch.tensor([d.rd if "rd" in uses else 0, d.ra if "ra" in uses else 0,
                           d.rb if "rb" in uses else 0])
    use = torch.tensor([float("rd" in uses), float("ra" in uses), float("rb" in uses),
                        float(c == "load"), float(c == "store")], dtype=torch.float64)
    if c == "halt":
        row[cols["halt"]] = 1
    elif c in ("alu", "alui"):
        row[cols["plain"]] = 1
        name = "addi" if (c == "alui" and op.fn == "add") else op.fn
        row[cols[f"src:{name}"]] = 1
        if c == "alui":
            row[cols["imm_alu"]] = d.imm
    elif c in ("li", "lui"):
        row[cols["plain"]] = 1
        row[cols["src:const"]] = 1
        row[cols["const"]] = d.imm if c == "li" else to_signed(d.imm << 10)
    elif c in ("load", "store"):
        row[cols[c]] = 1
        row[cols["mem_base"]] = 1
        row[cols["mem_imm"]] = d.imm
    elif c in ("jal", "jalr"):
        row[cols["jump"]] = 1
        row[cols["jump_imm"]] = d.imm
        row[cols["jump_base"]] = 1 if c == "jalr" else 0
        row[cols["link"]] = i + 1  # pc + 1, already times the jump weight
    elif c == "branch":
        row[cols[f"br:{op.fn}"]] = 1
        row[cols["jump_imm"]] = d.imm
    else:  # in, out
        row[cols[c]] = 1
    return row, fields, use
