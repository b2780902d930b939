"""`ncpu fit` under torchrun: the restarts are split across 2 CPU ranks, every rank stops
when one has a verified solution, and only rank 0 prints the (combined) result."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.test_distributed import ranks

SKETCH = "li r3, ??[0:15]\nmul r2, r1, r3\naddi r2, r2, ??[-100:100]\nhalt\n"
SPEC = """sketch: affine.s
mem_words: 32
max_cycles: 20
examples:
  - {set: {r1: 1}, expect: {regs: {r2: 12}}}
  - {set: {r1: 2}, expect: {regs: {r2: 19}}}
  - {set: {r1: -3}, expect: {regs: {r2: -16}}}
holdout:
  - {set: {r1: 10}, expect: {regs: {r2: 75}}}
"""  # r2 = 7·r1 + 5


def fit_ranks(args: list[str], world: int = 2) -> list[subprocess.CompletedProcess]:
    return ranks([args] * world, command="fit")


@pytest.mark.parametrize("method", ["gradient", "evolve"])
def test_two_ranks_share_the_restarts_and_stop_together(tmp_path, method):
    (tmp_path / "affine.s").write_text(SKETCH)
    (tmp_path / "affine.yaml").write_text(SPEC)
    got = fit_ranks([str(tmp_path / "affine.yaml"), "--method", method, "--restarts", "24",
                     "--json", "--time-limit", "100"])
    assert [p.returncode for p in got] == [0, 0], [p.stderr for p in got]
    assert got[1].stdout == ""  # only rank 0 prints
    res = json.loads(got[0].stdout)
    assert res["solved"] and res["restarts"] == 24  # 12 + 12
    assert [h["value"] for h in res["holes"]] == [7, 5]  # r2 = 7·r1 + 5


def test_a_bad_spec_on_two_ranks_is_one_error(tmp_path):
    (tmp_path / "bad.yaml").write_text("sketch: nowhere.s\nexamples: []\n")
    got = fit_ranks([str(tmp_path / "bad.yaml"), "--json"])
    assert [p.returncode for p in got] == [1, 1]
    err = json.loads(got[0].stdout)["error"]
    assert err["kind"] == "fit" and got[1].stdout == ""
