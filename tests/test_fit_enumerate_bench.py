"""`ncpu bench fit`'s fillings per second: a row per method (smt with the reason it has no
rate), enumerate's compiled walk measured plain and pruned (the pruned one covering more
fillings than it evaluates), the gradient proposal table's cost; small counts here."""

from __future__ import annotations

from ncpu_cli.bench.fit import bench_enumerate, bench_fit, bench_search


def test_enumerate_bench_counts_fillings_and_what_pruning_covers() -> None:
    plain = bench_enumerate(fillings=200_000)
    assert plain["fillings"] >= 200_000 and plain["fillings_per_s"] > 0
    assert plain["covered_per_s"] == plain["per_cpu_second"]  # nothing skipped
    pruned = bench_enumerate(fillings=200_000, prune=True)
    assert "prefix states" in pruned["prunings"] and "renaming" in pruned["prunings"]
    assert pruned["covered_per_s"] > 10 * pruned["per_cpu_second"]


def test_bench_search_has_a_rate_per_method() -> None:
    gradient = bench_fit(restarts=(4,), steps=1)
    rows = bench_search(proposals=20_000, steps=2, fillings=100_000, gradient_rows=gradient,
                        tables=1)
    methods = [r["method"] for r in rows]
    assert methods[:5] == ["mcmc", "evolve", "enumerate", "enumerate", "gradient"]
    assert "smt" in methods and any(m.startswith("mcmc gradient table") for m in methods)
    for r in rows:
        if r["method"] == "smt":
            assert "fillings_per_s" not in r and "not meaningful" in r["note"]
        else:
            assert r["fillings_per_s"] > 0 and r["fillings"] > 0, r
