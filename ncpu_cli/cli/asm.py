"""`ncpu asm` (being written)."""
