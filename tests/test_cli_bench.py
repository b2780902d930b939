"""`ncpu bench`: JSON shape, machine description, bad options."""

import json

from typer.testing import CliRunner

from ncpu_cli.cli import app

runner = CliRunner()


def test_bench_asm_json_reports_lines_per_second_and_machine():
    res = runner.invoke(app, ["bench", "asm", "--lines", "300", "--json"])
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    (row,) = data["results"]
    assert row["subject"] == "asm" and row["lines"] >= 300
    assert row["lines_per_s"] > 0 and row["seconds"] > 0
    assert data["machine"]["cpu"] and data["machine"]["torch"]


def test_bench_exact_small_batches_measure_both_engines():
    res = runner.invoke(app, ["bench", "exact", "--batches", "1,4", "--cycles", "64", "--json"])
    assert res.exit_code == 0, res.stderr
    rows = json.loads(res.stdout)["results"]
    engines = {r["engine"] for r in rows}
    assert engines == {"reference", "torch"}
    assert [r["batch"] for r in rows if r["engine"] == "torch"] == [1, 4]
    assert all(r["ips"] > 0 for r in rows)


def test_bench_table_names_the_machine_on_stderr():
    res = runner.invoke(app, ["bench", "asm", "--lines", "200"])
    assert res.exit_code == 0
    assert "lines/s" in res.stdout
    assert "machine:" in res.stderr


def test_bench_rejects_bad_batches():
    res = runner.invoke(app, ["bench", "exact", "--batches", "1,x"])
    assert res.exit_code == 1
    assert "--batches" in res.stderr and res.stdout == ""


def test_bench_cuda_without_gpu_is_a_clear_error():
    import pytest
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is present; this checks the no-GPU message")
    res = runner.invoke(app, ["bench", "exact", "--device", "cuda", "--batches", "2"])
    assert res.exit_code == 1
    assert "cuda" in res.stderr.lower() and "Traceback" not in res.stderr
