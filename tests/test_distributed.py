"""`ncpu run` under torchrun: 2 CPU ranks (gloo) give the one-process output; a rank
that fails makes rank 0 report its error and exit code, and nobody hangs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ncpu_cli.errors import AsmError, Diagnostic, Span
from ncpu_cli.run import distributed

NCPU = str(Path(sys.executable).with_name("ncpu"))
TIMEOUT_S = 120
# faults (address) for r1 >= 64 with --mem-words 64: only in the last rank's share
LOAD = "    ld r2, 0(r1)\n    add r3, r1, r1\n    halt\n"
DOUBLE = "    add r2, r1, r1\n    out r2\n    halt\n"


def plain_env() -> dict:
    return {k: v for k, v in os.environ.items()
            if k not in distributed.TORCHRUN_ENV + ("LOCAL_WORLD_SIZE",)}


def single(*args) -> subprocess.CompletedProcess:
    return subprocess.run([NCPU, "run", *args], capture_output=True, text=True,
                          env=plain_env(), timeout=TIMEOUT_S)


def records(stdout: str) -> list[dict]:
    return json.loads(stdout)["programs"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ranks(argvs: list[list[str]], command: str = "run") -> list[subprocess.CompletedProcess]:
    """One `ncpu COMMAND` process per argv with the environment torchrun gives its workers."""
    port, world = free_port(), len(argvs)
    procs = []
    for rank, argv in enumerate(argvs):
        env = {**plain_env(), "RANK": str(rank), "LOCAL_RANK": str(rank),
               "WORLD_SIZE": str(world), "LOCAL_WORLD_SIZE": str(world),
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
               "NCPU_DIST_TIMEOUT": "60"}
        procs.append(subprocess.Popen([NCPU, command, *argv], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, env=env))
    done = []
    for p in procs:
        out, err = p.communicate(timeout=TIMEOUT_S)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return done


@pytest.fixture
def progs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "load.s").write_text(LOAD)
    (tmp_path / "double.s").write_text(DOUBLE)
    return tmp_path


def test_torchrun_two_ranks_give_the_single_process_output(progs):
    args = ["double.s", "load.s", "--sweep", "r1=0:101", "--mem-words", "64", "--json"]
    one = single(*args)
    assert one.returncode == 1, one.stderr  # load.s faults for r1 >= 64
    two = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
         "--no-python", NCPU, "run", *args],
        capture_output=True, text=True, env=plain_env(), timeout=TIMEOUT_S)
    # torchrun's own exit status is 1 whenever a worker exits non-zero
    assert two.returncode == 1, two.stderr
    a, b = json.loads(one.stdout), json.loads(two.stdout)  # rank 0 printed, and only it
    assert a["programs"] == b["programs"]
    assert [r["index"] for r in b["programs"]] == list(range(202))
    assert {k: a[k] for k in ("device", "engine", "mode", "mem_words")} == \
        {k: b[k] for k in ("device", "engine", "mode", "mem_words")}
    timing = ("seconds", "ips")
    assert {k: v for k, v in a["summary"].items() if k not in timing} == \
        {k: v for k, v in b["summary"].items() if k not in timing}
    assert b["summary"]["fault"] == 101 - 64


def test_every_rank_exits_with_rank_0s_code(progs):
    """Halted everywhere but a timeout in rank 1's share: every rank exits 3."""
    spin = progs / "spin.s"
    spin.write_text("    li r2, 1\n    beq r1, r2, 0\n    halt\n")  # r1 == 1 loops for ever
    args = ["spin.s", "--sweep", "r1=2:0:-1", "--max-cycles", "50", "--json"]
    got = ranks([args, args])
    assert [p.returncode for p in got] == [3, 3], [p.stderr for p in got]
    assert [r["status"] for r in records(got[0].stdout)] == ["halted", "timeout"]
    assert got[1].stdout == "" and got[1].stderr == ""  # only rank 0 prints


def test_a_failing_rank_is_reported_by_rank_0(progs):
    """Rank 1 alone is given a program that does not exist: rank 0 reports rank 1's error
    with exit 1, and neither rank hangs."""
    ok = ["double.s", "--sweep", "r1=0:8"]
    got = ranks([ok, ["missing.s", "--sweep", "r1=0:8"]])
    assert [p.returncode for p in got] == [1, 1]
    assert "missing.s: no such file" in got[0].stderr
    (progs / "bad.s").write_text("    frob r1\n")
    got = ranks([ok + ["--json"], ["bad.s", "--sweep", "r1=0:8", "--json"]])
    assert [p.returncode for p in got] == [1, 1]
    err = json.loads(got[0].stdout)["error"]
    assert err["kind"] == "asm" and err["file"] == "bad.s" and err["line"] == 1


def test_no_torchrun_environment_means_one_process(monkeypatch):
    for name in distributed.TORCHRUN_ENV:
        monkeypatch.delenv(name, raising=False)
    assert not distributed.launched()
    assert distributed.rank_info() == distributed.RankInfo(0, 1, 0, 1)
    assert distributed.split(10) == range(10)
    assert distributed.gather("x") == ["x"] and distributed.all_gather(3) == [3]
    assert distributed.any_rank(True) and not distributed.any_rank(False)
    distributed.check(None)  # no error anywhere: nothing raised
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "5")
    assert distributed.launched()
    with pytest.raises(distributed.RunError, match="RANK=5"):
        distributed.rank_info()


@pytest.mark.parametrize("n,world", [(10, 3), (1, 2), (0, 2), (7, 7), (1_000_001, 4)])
def test_shares_cover_the_batch_once_in_order(n, world):
    shares = [distributed.share(n, r, world) for r in range(world)]
    assert [i for s in shares for i in s] == list(range(n))
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


def test_errors_travel_between_ranks_intact():
    diag = Diagnostic(Span("x.s", 3, 5), "unknown mnemonic `frob`")
    for err in (AsmError([diag], {"x.s": "frob"}), FileNotFoundError(2, "No such file", "f.s"),
                distributed.RunError("rank trouble")):
        back = distributed._unpack(distributed._pack(err))  # noqa: SLF001
        assert type(back) is type(err) and str(back) == str(err)
    back = distributed._unpack(distributed._pack(AsmError([diag])))  # noqa: SLF001
    assert back.diagnostics == [diag]
