"""`--method smt`: bounded model checking of ncpu32 over bit-vectors with bitwuzla.

- ``problem``: the sketch and its examples as plain, picklable data (no numpy, no solver).
- ``terms``: bit-vector values that fold constants in Python before any solver term.
- ``machine``: the symbolic ncpu32 machine (ISA.md semantics), one example unrolled.
- ``encode``: hole variables, the words they make, and one query's formula.
- ``worker`` / ``solver``: one solver process per query, killed at its time limit.
- ``method``: ``fit_smt(tracker)``, example-incremental CEGIS; UNSAT proves no filling.
- ``prove``: equivalence of a filled sketch and a reference over all inputs.

Nothing here imports bitwuzla at module level except the worker's own code path, so
the package imports without the solver installed.
"""
