"""Throughput measurements behind `ncpu bench` (one module per subject)."""
