"""``build_control(image, params)``: the soft machine's control table and initial
memory as differentiable functions of the hole distributions.

A word with holes decodes, for every candidate of one hole (the others at their
first candidate), into a control row; the row of a hole distribution is the
reference row plus the distribution-weighted difference rows:

    row(word) = ref + Σ_h  w_h @ D_h          register and mnemonic holes, D_h (K_h, F)
              + Σ_h  (v_h - lo_h) · U_h       immediate holes, U_h (F,) the row change
                                              of imm + 1 (control rows are affine in imm)

This is exact for one-hot weights (every hole of a word sits in its own field, and
the mnemonic choices of a hole share one format, so the columns they touch add up)
and a mixture otherwise: a soft pc over the mixture executes the weighted
instructions.  Data holes are initial memory: ``mem0[:, a] = v_h``.  Code words in
memory keep the image's value (0 in hole fields); a program that loads its own
holes' words sees that, not the filling.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor

from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.fit.spec import Example
from ncpu_cli.isa import to_signed
from ncpu_cli.machine.soft.addressing import normaliser
from ncpu_cli.machine.soft.decode import ControlTable, build_control


@dataclass
class HoleValues:
    """One restart batch's hole settings: weights of categorical holes, values of the rest."""

    weights: dict[int, Tensor]  # register/mnemonic hole -> (R, K) weights (rows sum to 1)
    values: dict[int, Tensor]  # imm/data hole -> (R,) its (real) value


class ControlBuilder:
    """Everything about the sketch that does not change while fitting."""

    def __init__(self, sketch: Sketch, addressing: str, temperature: float, *,
                 device: torch.device, dtype: torch.dtype):
        self.sketch, self.device, self.dtype = sketch, device, dtype
        holes = sketch.holes
        size = len(sketch.image.words)
        ref = torch.zeros(len(holes), dtype=torch.long).numpy()  # every hole at candidate 0
        variants = [ref]
        self._rows: dict[int, slice] = {}  # code hole -> its variants
        for h in holes:
            if h.kind == "data":
                continue
            ks = range(h.size) if h.kind in ("register", "mnemonic") else range(min(2, h.size))
            start = len(variants)
            for k in ks:
                v = ref.copy()
                v[h.index] = k
                variants.append(v)
            self._rows[h.index] = slice(start, len(variants))
        words = sketch.fill(np.stack(variants))[:, :size]  # (V, S)
        images = [replace(sketch.image, words=[int(w) for w in row], holes=[]) for row in words]
        norm = normaliser(addressing, temperature)
        self.ctl = build_control(images, sketch.mem_words, norm, device=device, dtype=dtype)
        table = self.ctl.table  # (V, S+1, F)
        self.ref = table[0]  # (S+1, F)
        self.deltas: dict[int, Tensor] = {}  # (K, F) or, for imm holes, (F,) per unit
        for h in holes:
            if h.kind == "data":
                continue
            rows = table[self._rows[h.index], h.address] - self.ref[h.address]  # (K or 2, F)
            if h.kind == "imm":
                self.deltas[h.index] = rows[1] if h.size > 1 else torch.zeros_like(rows[0])
            else:
                self.deltas[h.index] = rows
        self.uses = self.ctl.uses[0]  # (S+1, 5) shared: the choices of a hole share one format

    def control(self, hv: HoleValues, repeat: int) -> ControlTable:
        """Control table (R, S+1, F) for R·repeat programs: restart r's serves programs
        r·repeat .. r·repeat + repeat - 1."""
        r_count = _restarts(hv)
        table = self.ref.unsqueeze(0).expand(r_count, -1, -1)  # (R, S+1, F)
        addrs, parts = [], []
        for h in self.sketch.holes:
            if h.kind == "data":
                continue
            if h.kind in ("register", "mnemonic"):
                d = hv.weights[h.index] @ self.deltas[h.index]  # (R, F)
            else:  # imm: a value (a categorical's expected value, or a real parameter)
                d = (hv.values[h.index] - h.lo).unsqueeze(-1) * self.deltas[h.index]  # (R, F)
            addrs.append(h.address)
            parts.append(d)
        if parts:
            idx = torch.as_tensor(addrs, device=self.device)
            table = table.index_add(1, idx, torch.stack(parts, dim=1))  # (R, S+1, F)
        # one table per restart serves its `repeat` consecutive programs (mix_rows)
        uses = self.uses.unsqueeze(0).expand(r_count * repeat, -1, -1)  # (R·repeat, S+1, 5)
        return replace(self.ctl, table=table, uses=uses, table_t=None)

    def memory(self, hv: HoleValues, examples: list[Example]) -> Tensor:
        """Initial memory (R·E, N): the image, the data holes, then each example's cells."""
        sk, n = self.sketch, self.sketch.mem_words
        kw = {"device": self.device, "dtype": self.dtype}
        base = torch.tensor([to_signed(int(w)) for w in sk.words], **kw)  # (N,)
        mems = base.repeat(len(examples), 1)  # (E, N)
        patched = torch.zeros(len(examples), n, **kw)  # (E, N) 1 where the example sets a cell
        for e, ex in enumerate(examples):
            for addr, value in ex.inp.mem.items():
                mems[e, addr] = to_signed(value)
                patched[e, addr] = 1
        r_count = _restarts(hv)
        mem = mems.unsqueeze(0).expand(r_count, -1, -1)  # (R, E, N)
        data = [h for h in sk.holes if h.kind == "data"]
        if data:
            cols = torch.zeros(len(data), n, **kw)  # (D, N) one-hot columns of the data holes
            cols[torch.arange(len(data)), torch.as_tensor([h.address for h in data])] = 1
            vals = torch.stack([hv.values[h.index] for h in data], dim=-1)  # (R, D)
            free = 1 - patched  # (E, N) an example's own cells win over the holes
            hole_mem = (vals @ cols).unsqueeze(1) * free  # (R, E, N)
            keep = 1 - cols.sum(dim=0) * free  # (E, N)
            mem = mem * keep + hole_mem
        return mem.reshape(r_count * len(examples), n)


def _restarts(hv: HoleValues) -> int:
    for t in (*hv.weights.values(), *hv.values.values()):
        return int(t.shape[0])
    raise ValueError("no holes")
