"""Scale-out with torch.distributed: a batch split across the processes torchrun starts.

    torchrun --standalone --nproc-per-node 2 --no-python ncpu run prog.s --sweep r1=0:1000000

torchrun (or any launcher) sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and
MASTER_PORT; `launched()` reads them without importing torch, so a run without
them is exactly the one-process run. `start()` joins the process group (gloo on
the CPU, nccl with CUDA, each rank on `cuda:LOCAL_RANK`; rendezvous and transport
are torch's). Each rank runs its share (`split(n)`: contiguous, in rank order), the
results are gathered on rank 0 with `gather_object`, and only rank 0 prints (the
other ranks' stdout and stderr go to /dev/null).

Errors: every phase ends in a collective every rank reaches (`phase`, `check`):
the ranks exchange (error or None) with `all_gather_object`, and when any rank
failed, every rank raises the lowest failing rank's error, so rank 0 reports it with
its exit code and nobody waits for a rank that has given up. `Session.finish`
hands rank 0's exit code to every rank, after rank 0 has written its output.
The process group's timeout (NCPU_DIST_TIMEOUT seconds, default 1800) bounds every
wait, including one for a rank that died without a word (torchrun also stops the
other ranks then).

For other commands (`ncpu fit`): `rank_info()`, `split(n)`, `gather(obj)`,
`all_gather(obj)` and `any_rank(flag)` work on the default process group once
`start()` has run, and as a single process (world 1) otherwise.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import pickle
import sys
from dataclasses import dataclass
from typing import Any, Iterator

from ncpu_cli.errors import RunError

ENV_TIMEOUT = "NCPU_DIST_TIMEOUT"
DEFAULT_TIMEOUT_S = 1800.0
TORCHRUN_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class RankInfo:
    """This process's place: global rank, number of ranks, rank on this host."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    local_world: int = 1

    @property
    def root(self) -> bool:
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        return int(text)
    except ValueError:
        raise RunError(f"environment variable {name}={text!r} is not a number") from None


def rank_info() -> RankInfo:
    """This rank from the torchrun environment (rank 0 of 1 without it)."""
    world = _env_int("WORLD_SIZE", 1)
    info = RankInfo(_env_int("RANK", 0), world, _env_int("LOCAL_RANK", 0),
                    _env_int("LOCAL_WORLD_SIZE", world))
    if world < 1 or not 0 <= info.rank < world:
        raise RunError(f"RANK={info.rank} outside 0..{world - 1} (WORLD_SIZE={world})")
    return info


def launched() -> bool:
    """True when a launcher started this process as one of several ranks (WORLD_SIZE > 1)."""
    return _env_int("WORLD_SIZE", 1) > 1


def share(n: int, rank: int, world: int) -> range:
    """The runs of `rank` among `n`: contiguous, in rank order, sizes differing by at most 1."""
    return range(n * rank // world, n * (rank + 1) // world)


def split(n: int) -> range:
    """This rank's share of `n` items (all of them in a single process)."""
    info = rank_info() if _active() else RankInfo()
    return share(n, info.rank, info.world)


def _active() -> bool:
    if "torch.distributed" not in sys.modules:
        return False
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized()


def all_gather(obj: Any) -> list[Any]:
    """`obj` of every rank, in rank order, on every rank ([obj] in a single process)."""
    if not _active():
        return [obj]
    import torch.distributed as dist

    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def gather(obj: Any) -> list[Any] | None:
    """`obj` of every rank, in rank order, on rank 0; None on the other ranks."""
    if not _active():
        return [obj]
    import torch.distributed as dist

    root = dist.get_rank() == 0
    out: list[Any] | None = [None] * dist.get_world_size() if root else None
    dist.gather_object(obj, out, dst=0)
    return out


def any_rank(flag: bool) -> bool:
    """True on every rank when `flag` is true on some rank (e.g. "a solution was found")."""
    return any(all_gather(bool(flag)))


# ---------------------------------------------------------------- errors across ranks


def _pack(err: BaseException) -> tuple:
    """An exception as (class, args, attributes), which survives pickling even for errors
    whose constructor takes other arguments than their args (AsmError)."""
    args = err.args
    if isinstance(err, OSError) and err.filename is not None:
        args = (err.errno, err.strerror, err.filename)
    packed = (type(err), args, dict(getattr(err, "__dict__", {})))
    try:
        pickle.dumps(packed)
    except Exception:  # noqa: BLE001 - anything unpicklable travels as its message
        return (RunError, (str(err),), {})
    return packed


def _unpack(packed: tuple) -> BaseException:
    cls, args, attrs = packed
    try:
        err = cls(*args)
    except Exception:  # noqa: BLE001 - a constructor with another signature
        err = cls.__new__(cls)
        BaseException.__init__(err, *args)
    err.__dict__.update(attrs)
    return err


def check(err: BaseException | None) -> None:
    """Every rank says whether it failed; if any did, raise the lowest failing rank's error
    on every rank. A collective: every rank must call it."""
    packs = all_gather(None if err is None else _pack(err))
    me = rank_info().rank if _active() else 0
    for rank, packed in enumerate(packs):
        if packed is not None:
            if rank == me and err is not None:
                raise err
            raise _unpack(packed)


@contextlib.contextmanager
def phase(session: "Session | None") -> Iterator[None]:
    """A step every rank runs: an error in it (on any rank) is raised on every rank at its
    end (see `check`). Without a session, errors pass straight through."""
    if session is None:
        yield
        return
    err: BaseException | None = None
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - handed to every rank, raised there
        err = exc
    check(err)


# ---------------------------------------------------------------- the session


class Session:
    """The process group of one command: join with `start`, leave with `finish`."""

    def __init__(self, info: RankInfo, backend: str):
        self.info = info
        self.backend = backend

    def finish(self, code: int) -> int:
        """Rank 0's exit code, on every rank; rank 0 has flushed its output by then."""
        import torch.distributed as dist

        if self.info.root:
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.flush()
                sys.stderr.flush()
        box = [int(code)]
        try:
            dist.broadcast_object_list(box, src=0)
            # every rank holds the code before any rank tears its connections down: a rank
            # still reading when its peer has gone aborts inside gloo (seen under load)
            dist.barrier()
        finally:
            with contextlib.suppress(Exception):
                dist.destroy_process_group()
        return int(box[0])


def pack_results(outcome, offset: int) -> tuple[float, list[tuple]]:
    """(seconds, one row per result with its global index) of this rank's Outcome (None
    for an empty share) whose first run is run `offset` of the whole batch."""
    if outcome is None:
        return 0.0, []
    return outcome.seconds, [(r.index + offset, r.status, r.reason, r.pc, r.cycles, r.regs,
                              r.out, r.eof, r.extra) for r in outcome.results()]


def gather_outcome(packed: tuple[float, list[tuple]], *, engine: str, device: str, mode: str,
                   config):
    """The Outcome of the whole batch on rank 0 (None elsewhere) from every rank's
    `pack_results`; the time is the slowest rank's. A collective."""
    from ncpu_cli.machine.result import ProgramResult, summarize
    from ncpu_cli.run.batch import Outcome

    parts = gather(packed)
    if parts is None:
        return None
    results = [ProgramResult(*row[:8], extra=row[8]) for _, part in parts for row in part]
    return Outcome(engine, device, mode, config, summarize(results),
                   max(s for s, _ in parts), _results=results)


def _timeout() -> datetime.timedelta:
    text = os.environ.get(ENV_TIMEOUT, "")
    try:
        seconds = float(text) if text.strip() else DEFAULT_TIMEOUT_S
    except ValueError:
        raise RunError(f"{ENV_TIMEOUT}={text!r} is not a number of seconds") from None
    if not seconds > 0:
        raise RunError(f"{ENV_TIMEOUT}={text!r} must be a positive number of seconds")
    return datetime.timedelta(seconds=seconds)


def _silence() -> None:
    """Send this process's stdout and stderr to /dev/null (ranks other than 0)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
            os.dup2(devnull, stream.fileno())
        os.close(devnull)


def start(device: str = "auto") -> Session:
    """Join the process group torchrun describes: nccl when this run uses CUDA (`device`
    cuda, or auto with a GPU; rank on cuda:LOCAL_RANK), gloo otherwise. Ranks other
    than 0 are silenced; CPU threads are shared out among the ranks of a host."""
    info = rank_info()
    missing = [name for name in ("MASTER_ADDR", "MASTER_PORT") if not os.environ.get(name)]
    if missing:
        raise RunError(f"WORLD_SIZE={info.world} but {', '.join(missing)} not set: start the "
                       "ranks with torchrun (see README, several processes)")
    if not info.root:
        _silence()
    threads = max(1, (os.cpu_count() or 1) // max(1, info.local_world))
    os.environ.setdefault("NUMBA_NUM_THREADS", str(threads))  # read when numba loads
    timeout = _timeout()
    import torch
    import torch.distributed as dist

    from ncpu_cli.run.choice import cuda_available

    cuda = device == "cuda" or (device == "auto" and cuda_available())
    backend = "nccl" if cuda and dist.is_nccl_available() else "gloo"
    if cuda and torch.cuda.is_available():
        if info.local_rank >= torch.cuda.device_count():
            raise RunError(f"LOCAL_RANK {info.local_rank} but only "
                           f"{torch.cuda.device_count()} CUDA device(s) on this host")
        torch.cuda.set_device(info.local_rank)
    try:
        if backend == "nccl":
            dist.init_process_group(backend, timeout=timeout,
                                    device_id=torch.device("cuda", info.local_rank))
        else:
            dist.init_process_group(backend, timeout=timeout)
    except (RuntimeError, ValueError) as exc:
        raise RunError(f"rank {info.rank}: cannot join the process group ({backend}): "
                       f"{exc}") from None
    return Session(info, backend)
