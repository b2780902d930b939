"""Gradient-informed proposal tables (`--proposals gradient` for mcmc and evolve).

After Gibbs-with-Gradients (Grathwohl et al., "Oops I Took A Gradient", ICML 2021): for a
filling x, one soft forward + backward pass gives the derivative of the fit loss with
respect to the control row of every word (and the initial memory); the first-order change
of the loss for switching hole h from its candidate x_h to k is

    g[h, k] = <dL/drow_a, row_a(x with h = k) - row_a(x)> + (w_k - w_{x_h}) · dL/dmem_a

(a the hole's word, w its signed value). This is a linearisation around x itself: the
rows of every single-hole change are decoded exactly, so it covers mnemonics, register
operands and immediates of instruction holes alike (the gradient method, which must mix
candidates, declines instruction holes). The table holds logw[h, k] = -g[h, k] / 2: a
move to k is proposed with probability ∝ exp(logw[h, k] - logw[h, x_h]) (the Gibbs-with-
Gradients softmax(-Δ/2)); mcmc adds the reverse probability to its acceptance ratio.

Holes with more than TABULATE_MAX candidates (wide immediates, data words) get no table:
they change only by the uniform moves. A hole whose g is 0 for every candidate (the soft
machine passes it no gradient: `and`, compares, shift amounts, branch targets, addresses --
docs/fit.md lists them) is tabled flat, i.e. uniform, and reported in `uniform`.
One soft run covers every filling × example; the machine runs at hard addressing with the
fit's straight-through ALU (`surrogate=True`), as `--method gradient` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ncpu_cli.fit.bench_sketch import bench_spec
from ncpu_cli.fit.loss import SoftRun, default_loss
from ncpu_cli.fit.sketch import Sketch
from ncpu_cli.isa import load_isa, to_signed
from ncpu_cli.machine.config import MachineConfig
from ncpu_cli.machine.soft.addressing import normaliser
from ncpu_cli.machine.soft.decode import NREG, ControlTable, Layout, layout_of, word_rows
from ncpu_cli.machine.soft.machine import SoftMachine
from ncpu_cli.machine.soft.run import run_pure
from ncpu_cli.machine.soft.settings import cpu_threads

TABULATE_MAX = 256  # holes with more candidates get no table (uniform moves only)
CLIP = 1.0  # |logw| bound: a tempered table (the first-order estimate of a log loss on
# 32-bit words is often far off; unclipped (30) tables put the mass on wrong candidates:
# HD P1 solved 1 of 3 seeds in 15 s, against 3 of 3 with 1; 2 solved 2 of 3)
MAX_ROWS = 1 << 17  # decoded rows kept (about 80 MiB at 80 columns)
CHECK_EVERY = 8  # cycles between "anything still running?" checks of the soft run


@dataclass
class GradTables:
    """Proposal log-weights of T fillings: hole h's candidates at logw[t, off[h]:off[h+1]]
    (none when off[h+1] == off[h])."""

    off: np.ndarray  # (H+1,) int64
    logw: np.ndarray  # (T, off[-1]) float64
    uniform: dict[int, str] = field(default_factory=dict)  # hole -> why it is uniform
    seconds: float = 0.0  # time of the soft pass and the tables


def offsets(sketch: Sketch) -> tuple[np.ndarray, dict[int, str]]:
    """(off (H+1,), the untabled holes and why)."""
    sizes, why = [], {}
    for h in sketch.holes:
        if h.size < 2:
            sizes.append(0)
            why[h.index] = "one candidate"
        elif h.size > TABULATE_MAX:
            sizes.append(0)
            why[h.index] = f"{h.size:,} candidates: too many to tabulate (uniform moves)"
        else:
            sizes.append(h.size)
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64), why


class _Rows:
    """Control rows of (word, address) pairs, decoded once each (kept in one growing
    tensor while the column layout stays the same)."""

    def __init__(self):
        self.isa = load_isa()
        self.eye = normaliser("hard", 1.0)(torch.eye(NREG, dtype=torch.float64))  # (16, 16)
        self.decoded: dict[int, object] = {}
        self.lay: Layout | None = None
        self._reset()

    def _reset(self) -> None:
        self.index: dict[tuple[int, int], int] = {}
        self.rows = torch.zeros(0, self.lay.nf if self.lay else 0, dtype=torch.float64)
        self.uses = torch.zeros(0, 5, dtype=torch.float64)

    def layout(self, words: np.ndarray) -> Layout:
        """The layout for `words` (any shape): kept while it covers them (rows cached)."""
        for w in np.unique(words).tolist():
            if w not in self.decoded:
                self.decoded[w] = self.isa.decode(w)
        lay = layout_of(list(self.decoded.values()))
        if lay != self.lay:
            self.lay = lay
            self._reset()
        return lay

    def of(self, words: np.ndarray, addrs: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """(rows (P, F), uses (P, 5)) of words (P,) at addresses (P,)."""
        keys = list(zip(words.tolist(), addrs.tolist()))
        new = [k for k in dict.fromkeys(keys) if k not in self.index]
        if len(self.index) + len(new) > MAX_ROWS:  # bounded memory: start the cache afresh
            self._reset()
            new = list(dict.fromkeys(keys))
        if new:
            rows, uses = word_rows([self.decoded[w] for w, _ in new], [a for _, a in new],
                                   self.lay, self.eye)
            for k in new:
                self.index[k] = len(self.index)
            self.rows = torch.cat([self.rows, rows])
            self.uses = torch.cat([self.uses, uses])
        idx = torch.as_tensor([self.index[k] for k in keys], dtype=torch.long)
        return self.rows[idx], self.uses[idx]


class GradProposer:
    """Builds GradTables for fillings of one spec's sketch (rows cached across calls)."""

    def __init__(self, sketch: Sketch, mem_words: int, max_cycles: int, *,
                 dtype: torch.dtype = torch.float64):
        self.sketch, self.mem_words, self.max_cycles = sketch, mem_words, max_cycles
        self.dtype = dtype
        self.off, self.why = offsets(sketch)
        self.size = len(sketch.image.words)
        self.cache = _Rows()
        self.config = MachineConfig(mem_words=mem_words, max_cycles=max_cycles,
                                    addressing="hard", dtype="float64")
        tab = [h for h in sketch.holes if self.off[h.index + 1] > self.off[h.index]]
        self.tabled = tab
        # every single-hole change of a filling: (hole, candidate) per variant
        self.var_hole = np.concatenate([np.full(h.size, h.index) for h in tab]).astype(np.int64) \
            if tab else np.zeros(0, np.int64)  # (V,)
        self.var_k = np.concatenate([np.arange(h.size) for h in tab]).astype(np.int64) \
            if tab else np.zeros(0, np.int64)  # (V,)
        self.var_addr = np.asarray([sketch.holes[i].address for i in self.var_hole], np.int64)

    def tables(self, fillings: np.ndarray, examples) -> GradTables:
        """GradTables of fillings (T, H) on `examples` (one soft run of T × E programs)."""
        import time

        t0 = time.perf_counter()
        fillings = np.atleast_2d(np.asarray(fillings, dtype=np.int64))
        t_count, v_count = len(fillings), len(self.var_hole)
        logw = np.zeros((t_count, int(self.off[-1])), dtype=np.float64)  # (T, K)
        if v_count == 0:
            return GradTables(self.off, logw, dict(self.why), time.perf_counter() - t0)
        variants = np.repeat(fillings, v_count, axis=0)  # (T·V, H)
        rows_idx = np.arange(t_count * v_count)
        variants[rows_idx, np.tile(self.var_hole, t_count)] = np.tile(self.var_k, t_count)
        cur_mem = self.sketch.fill(fillings)  # (T, N) unsigned words
        var_words = self.sketch.fill(variants)[rows_idx, np.tile(self.var_addr, t_count)]  # (T·V,)
        lay = self.cache.layout(np.concatenate([cur_mem[:, : self.size].ravel(), var_words, [0]]))
        g_row, g_mem = self._backward(cur_mem, examples, lay)  # (T, S+1, F), (T, N)
        addr = np.tile(self.var_addr, t_count)  # (T·V,)
        t_of = np.repeat(np.arange(t_count), v_count)  # (T·V,)
        var_rows, _ = self.cache.of(var_words, addr)  # (T·V, F)
        cur_rows, _ = self.cache.of(cur_mem[t_of, addr], addr)  # (T·V, F)
        code = addr < self.size
        delta_row = torch.where(torch.as_tensor(code)[:, None], var_rows - cur_rows,
                                torch.zeros_like(var_rows))  # (T·V, F)
        g = (delta_row * g_row[t_of, np.minimum(addr, self.size)]).sum(dim=1)  # (T·V,)
        dw = torch.as_tensor(_signed(var_words) - _signed(cur_mem[t_of, addr]),
                             dtype=torch.float64)  # (T·V,)
        t_idx, a_idx = torch.as_tensor(t_of), torch.as_tensor(addr)
        g = (g + dw * g_mem[t_idx, a_idx]).numpy().reshape(t_count, v_count)  # (T, V)
        cols = np.concatenate([np.arange(self.off[h.index], self.off[h.index + 1])
                               for h in self.tabled])  # (V,) table column of each variant
        logw[:, cols] = np.clip(-g / 2, -CLIP, CLIP)  # g is 0 at each hole's current candidate
        why = dict(self.why)
        for h in self.tabled:
            span = slice(self.off[h.index], self.off[h.index + 1])
            if not np.any(logw[:, span]):
                why[h.index] = "the gradient does not reach it (uniform)"
        return GradTables(self.off, logw, why, time.perf_counter() - t0)

    def _backward(self, cur_mem: np.ndarray, examples, lay: Layout):
        """dL/drow (T, S+1, F) and dL/dmem (T, N) of the fillings' words `cur_mem` (T, N)."""
        t_count, n, size = len(cur_mem), self.mem_words, self.size
        words = cur_mem[:, :size]  # (T, S)
        addrs = np.tile(np.arange(size), t_count)
        rows, uses = self.cache.of(words.ravel(), addrs)
        tail, tail_use = self.cache.of(np.zeros(1, np.int64), np.zeros(1, np.int64))
        table = torch.cat([rows.reshape(t_count, size, -1),
                           tail.expand(t_count, 1, -1)], dim=1).to(self.dtype)  # (T, S+1, F)
        table.requires_grad_()
        e_count = len(examples)
        use = torch.cat([uses.reshape(t_count, size, 5), tail_use.expand(t_count, 1, 5)], dim=1)
        use = use.to(self.dtype).repeat_interleave(e_count, dim=0)  # (T·E, S+1, 5)
        ctl = ControlTable(table=table, cols=lay.cols, sel=lay.sel, fns=lay.fns,
                           branches=lay.branches, classes=lay.classes, uses=use)
        mem = torch.as_tensor(_signed(cur_mem), dtype=self.dtype)  # (T, N)
        mem = mem.clone().requires_grad_()
        per = mem.unsqueeze(1).repeat(1, e_count, 1)  # (T, E, N)
        presets = torch.zeros(e_count, n, dtype=self.dtype)  # (E, N) 1 where an example sets
        vals = torch.zeros(e_count, n, dtype=self.dtype)
        for e, ex in enumerate(examples):
            for a, v in ex.inp.mem.items():
                presets[e, a], vals[e, a] = 1, to_signed(v)
        per = per * (1 - presets) + vals  # (T, E, N)
        inputs = [ex.inp for _ in range(t_count) for ex in examples]
        machine = SoftMachine(self.sketch.image, self.config, inputs,
                              mem0=per.reshape(t_count * e_count, n), control=ctl,
                              surrogate=True)
        state = run_pure(machine, self.max_cycles, check_every=CHECK_EVERY)
        loss = default_loss(SoftRun.of(state, t_count), examples)  # (T,)
        with cpu_threads(torch.device("cpu")):  # one thread: see cpu_threads (measured here
            # too: 0.06 s a table with one, 0.09-2.3 s with two on the loaded 2-core Xeon)
            g_row, g_mem = torch.autograd.grad(loss.sum(), [table, mem], allow_unused=True)
        g_row = torch.zeros_like(table) if g_row is None else g_row
        g_mem = torch.zeros_like(mem) if g_mem is None else g_mem
        return g_row.detach().to(torch.float64), g_mem.detach().to(torch.float64)


def _signed(words: np.ndarray) -> np.ndarray:
    w = np.asarray(words, dtype=np.int64) & 0xFFFF_FFFF
    return np.where(w >= 1 << 31, w - (1 << 32), w)



def grad_tables(sketch: Sketch, examples, fillings: np.ndarray, *, mem_words: int,
                max_cycles: int) -> GradTables:
    """GradTables of `fillings` (T, H) (a one-off GradProposer; keep one to reuse rows)."""
    return GradProposer(sketch, mem_words, max_cycles).tables(fillings, examples)


def bench_tables(tables: int = 5, chains: int = 16, lines: int = 5, examples: int = 32,
                 seed: int = 0) -> dict:
    """Seconds per proposal table batch on `bench_sketch.bench_spec` (`chains` fillings, each
    on `examples` examples: one soft pass), the first (warm-up) call excluded: with fresh
    random fillings every time (every word decoded anew: the worst case) and again for the
    same fillings (rows cached: the soft pass alone). The exchange rate against uniform
    moves is these seconds times mcmc's proposals per second."""
    import time

    spec = bench_spec(lines, examples, seed)
    sketch = Sketch(spec)
    rng = np.random.default_rng(seed)
    proposer = GradProposer(sketch, spec.mem_words, spec.max_cycles)
    batches = [np.stack([rng.integers(0, h.size, chains) for h in sketch.holes], axis=1)
               for _ in range(tables + 1)]
    proposer.tables(batches[0], list(spec.examples))
    out = {"tables": tables, "chains": chains, "examples": examples, "lines": lines}
    for name, todo in (("fresh", batches[1:]), ("cached", batches[1:])):
        t0, c0 = time.perf_counter(), time.process_time()
        for fills in todo:
            proposer.tables(fills, list(spec.examples))
        out[f"s_per_table_{name}"] = (time.perf_counter() - t0) / tables
        out[f"cpu_s_per_table_{name}"] = (time.process_time() - c0) / tables
    return out
