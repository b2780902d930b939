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
- ``rd``/``ra``/``rb``: 16 columns each, the *normalised* selector of that
  field (``normalise(onehot)``); a field the instruction does not use selects
  r0, so mixtures of instructions do not read stray registers.

Words past the image are all-zero words, i.e. ``halt``; they share one row
(``tail``) so the fetch only multiplies the image part densely:
``pc @ C == pc[:, :S] @ C[:S] + (Σ pc[:, S:]) · tail``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch
from torch import Tensor

from ncpu_cli.errors import RunError
from ncpu_cli.image import Image
from ncpu_cli.isa import load_isa, to_signed
from ncpu_cli.machine.addressing import Normaliser

NREG = 16
LINEAR = ("add", "sub", "addi")  # the NAC-style linear sources (weights in {-1, 0, 1})
# sources rows of the linear map act on x = [a, rb, imm_alu]:  (3 sources, 3 inputs)
LINEAR_MAP = ((1, 1, 0), (1, -1, 0), (1, 0, 1))
# ALU functions computed on rounded integers (threshold semantics, no gradient) --
# plus `mul`, which is an exact product with a gradient (see soft_alu.py).
THRESHOLD_FNS = ("mul", "div", "rem", "and", "or", "xor", "shl", "shr", "sar", "slt", "sltu")
BRANCH_FNS = ("eq", "ne", "lt", "ge", "ltu", "geu")
WEIGHTS = ("halt", "illegal", "plain", "load", "store", "jump", "in", "out")
VALUES = ("imm_alu", "const", "mem_imm", "mem_base", "jump_imm", "jump_base", "link")
NOWHERE = -1  # the address of a row that does not address memory / does not jump
KNOWN_CLASSES = ("halt", "alu", "alui", "li", "lui", "load", "store", "jal", "jalr", "branch", "in",
                 "out")


@dataclass
class ControlTable:
    """The decoded image: ``table (S, F)``, the shared ``tail (F,)`` row and the column map."""

    table: Tensor  # (S, F) rows of the image words, or (B, S, F): one image per program
    tail: Tensor  # (F,)  row of every word past the image (halt)
    cols: dict[str, int]  # column name -> index
    sel: int  # first of the 48 selector columns: rd (16), ra (16), rb (16)
    fns: tuple[str, ...]  # threshold ALU functions present in the image
    branches: tuple[str, ...]  # branch conditions present in the image
    classes: frozenset[str] = field(default_factory=frozenset)  # classes present (+ "illegal")
    uses: Tensor | None = None  # ([B,] S+1, 5) per row (tail last): uses rd, ra, rb; load; store
    extended: Tensor | None = None  # (S+1, F) shared table with the tail row appended

    @property
    def size(self) -> int:
        return int(self.table.shape[-2])

    @property
    def per_program(self) -> bool:
        return self.table.dim() == 3

    def has(self, cls: str) -> bool:
        return cls in self.classes


def _columns(fns: tuple[str, ...], branches: tuple[str, ...]) -> tuple[dict[str, int], int]:
    names = list(WEIGHTS)
    names += [f"br:{b}" for b in branches]
    names += [f"src:{s}" for s in (*LINEAR, "const", *fns)]
    names += list(VALUES)
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
    ops = [d.op for dec in decoded_all for d in dec if d.op is not None] + [tail_d.op]
    classes = {op.cls for op in ops}
    if any(d.op is None for dec in decoded_all for d in dec):
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
    sel = nf
    nf += 3 * NREG
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
        full = rows.to(device=device, dtype=dtype)  # (S+1, F)
        for j in range(3):
            full[:, sel + j * NREG: sel + (j + 1) * NREG] = eye[sel_index[:, j].to(device)]
        tables.append(full)
        uses.append(use.to(device=device, dtype=dtype))
    table = torch.stack(tables) if many else tables[0]  # (B, S+1, F) or (S+1, F)
    use_t = torch.stack(uses) if many else uses[0]
    return ControlTable(
        table=table[..., :-1, :].contiguous(),
        tail=table[..., -1, :].reshape(-1, nf)[0].contiguous(),
        cols=cols,
        sel=sel,
        fns=fns,
        branches=branches,
        classes=frozenset(classes),
        uses=use_t,
        extended=None if many else table,
    )


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
