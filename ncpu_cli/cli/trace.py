"""`ncpu trace` (being written)."""
