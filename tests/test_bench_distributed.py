"""`ncpu bench` under torchrun: every rank measures at once, rank 0 prints every rank's
row and an `all` row whose throughput is their sum (weak scaling)."""

from __future__ import annotations

import json

from ncpu_cli.bench.ranks import combine_ranks
from tests.test_distributed import ranks


def test_two_ranks_report_each_rank_and_the_sum():
    args = ["asm", "--lines", "2000", "--json"]
    got = ranks([args, args], command="bench")
    assert [p.returncode for p in got] == [0, 0], [p.stderr for p in got]
    assert got[1].stdout == ""
    doc = json.loads(got[0].stdout)
    assert doc["machine"]["ranks"] == 2
    rows = doc["results"]
    assert [r["rank"] for r in rows] == [0, 1, "all"]
    assert rows[2]["lines_per_s"] == rows[0]["lines_per_s"] + rows[1]["lines_per_s"]


def test_combine_adds_rates_and_keeps_the_longest_time():
    a = [{"engine": "native", "batch": 4, "ips": 10.0, "seconds": 2.0}]
    b = [{"engine": "native", "batch": 4, "ips": 30.0, "seconds": 3.0}]
    rows = combine_ranks([a, b])
    assert rows[-1] == {"rank": "all", "engine": "native", "batch": 4, "ips": 40.0,
                        "seconds": 3.0}
