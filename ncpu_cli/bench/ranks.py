"""`ncpu bench` under torchrun: every rank measures on its own device at the same time
(weak scaling: each rank runs the whole benchmark), and rank 0 prints every rank's rows
plus, per measurement, a `rank: all` row with the summed throughput."""

from __future__ import annotations

RATES = ("ips", "lines_per_s")  # the throughput fields that add up across ranks
TIMES = ("seconds",)  # the wall time of a measurement done in parallel is the longest


def combine_ranks(per_rank: list[list[dict]]) -> list[dict]:
    """Rows of every rank (tagged `rank`), each measurement followed by its `all` row."""
    out: list[dict] = []
    for i, rows in enumerate(zip(*per_rank)):
        tagged = [{"rank": r, **row} for r, row in enumerate(rows)]
        out += tagged
        if len(tagged) > 1 and any(k in rows[0] for k in RATES):
            total = {**tagged[0], "rank": "all"}
            for key in RATES:
                if key in rows[0]:
                    total[key] = sum(float(row.get(key) or 0) for row in rows)
            for key in TIMES:
                if key in rows[0]:
                    total[key] = max(float(row.get(key) or 0) for row in rows)
            out.append(total)
    return out
