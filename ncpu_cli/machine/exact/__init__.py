"""The exact executors: the torch step and its machine, the native CPU engine (numba)
and the fused Triton kernel. Each engine is its own module; see machine/README.md."""
