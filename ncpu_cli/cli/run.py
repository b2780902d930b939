"""`ncpu run` (being written)."""
