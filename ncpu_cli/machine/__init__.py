"""The executors: the reference oracle, the exact engines (exact/: torch, native, triton)
and the soft engine (soft/), all keeping one contract (machine/README.md): the same
MachineConfig and ProgramInputs in, the same ProgramResults out."""
