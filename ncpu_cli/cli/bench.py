"""`ncpu bench` (being written)."""
