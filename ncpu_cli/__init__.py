"""ncpu — an assembler and neural-CPU runner for the ncpu32 instruction set.

The library's front door (docs/api.md); each name is imported on first use, so
`import ncpu_cli` stays cheap (torch loads only with `SoftCPU`):

    assemble, assemble_file    source -> Image (ncpu_cli.asm)
    load_program               a path (source, YAML image, readmemh, binary) -> (Image, sources)
    MachineConfig, ProgramInput, Batch
    run_batch, Outcome         any engine by name ("reference", "native", "torch",
                               "triton", "soft") on a list of ProgramInputs or a Batch
    SoftCPU, SoftOutput        the soft machine as a torch.nn.Module (learn memory/control)
"""

from __future__ import annotations

from ncpu_cli.version import __version__

__all__ = ["__version__", "assemble", "assemble_file", "load_program", "MachineConfig",
           "ProgramInput", "Batch", "run_batch", "Outcome", "SoftCPU", "SoftOutput"]


def __getattr__(name: str):
    """The public names above, imported when first asked for (PEP 562)."""
    if name in ("assemble", "assemble_file"):
        from ncpu_cli import asm as module
    elif name == "load_program":
        from ncpu_cli.run import load as module
    elif name == "MachineConfig":
        from ncpu_cli.machine import config as module
    elif name in ("ProgramInput", "Batch"):
        from ncpu_cli.machine import inputs as module
    elif name in ("run_batch", "Outcome"):
        from ncpu_cli.run import batch as module
    elif name in ("SoftCPU", "SoftOutput"):
        from ncpu_cli.machine.soft import module
    else:
        raise AttributeError(f"module 'ncpu_cli' has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
