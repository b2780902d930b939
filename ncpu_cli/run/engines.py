"""The engine registry: every `--engine` name and the machine class behind it.

Each engine is one module under `ncpu_cli/machine/` with a batch machine class that
keeps the contract of `ncpu_cli/machine/README.md`; one `Engine(...)` line below makes
it reachable. Modules are imported only when their engine runs (torch, numba and
triton each take a while to import). `choice.py` picks among these for `--engine auto`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable


def _numba_missing() -> str | None:
    try:
        import ncpu_cli.machine.exact.native  # noqa: F401 - imports numba, compiles nothing
    except Exception as exc:  # ImportError, or numba refusing this numpy/Python
        return f"numba is not usable ({type(exc).__name__}: {exc}); install it with `pip install numba`"
    return None


def _triton_missing() -> str | None:
    why = _numba_missing()  # the Triton engine builds its state with the native engine's code
    if why is not None:
        return f"{why} (the Triton engine needs it too)"
    from ncpu_cli.machine.exact.triton_engine import INSTALL, triton_unavailable

    why = triton_unavailable()
    return None if why is None else f"{why}; install it with `{INSTALL}`"


def _nothing_missing() -> str | None:
    return None


@dataclass(frozen=True)
class Engine:
    """One executor: its `--engine` name, where its machine class lives, the devices it
    runs on, and why it cannot run here (None when it can)."""

    name: str
    module: str
    cls: str
    devices: tuple[str, ...]  # "cpu", "cuda"
    about: str
    missing: Callable[[], str | None] = _nothing_missing

    def machine_class(self) -> type:
        return getattr(importlib.import_module(self.module), self.cls)

    def unavailable(self) -> str | None:
        """Why this engine cannot run here (a missing package, with the fix), else None."""
        if self.name not in _WHY:
            _WHY[self.name] = self.missing()
        return _WHY[self.name]


_WHY: dict[str, str | None] = {}

ENGINES: dict[str, Engine] = {e.name: e for e in (
    Engine("reference", "ncpu_cli.machine.reference_batch", "ReferenceBatch", ("cpu",),
           "the plain-Python oracle, one program after another"),
    Engine("native", "ncpu_cli.machine.exact.native", "NativeMachine", ("cpu",),
           "a compiled interpreter (numba), programs in parallel", _numba_missing),
    Engine("torch", "ncpu_cli.machine.exact.machine", "ExactMachine", ("cpu", "cuda"),
           "the batched tensor step (CUDA graphs on a GPU)"),
    Engine("triton", "ncpu_cli.machine.exact.triton_engine", "TritonMachine", ("cuda", "cpu"),
           "one fused CUDA kernel (on the CPU only under TRITON_INTERPRET=1)",
           _triton_missing),
    Engine("soft", "ncpu_cli.machine.soft.run", "SoftBatch", ("cpu", "cuda"),
           "the differentiable machine (--mode soft)"),
)}

ALIASES = {"exact": "torch"}  # the torch engine's name before there were several exact engines


def engine(name: str) -> Engine:
    """The registered engine called `name` (an alias gives its engine); KeyError if none."""
    return ENGINES[ALIASES.get(name, name)]
