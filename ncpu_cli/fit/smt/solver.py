"""One solver process per query, never past its time limit.

``run_query(query, time_limit)`` starts ``python -m ncpu_cli.fit.smt.worker``, hands
it the pickled query on stdin and reads the pickled answer from stdout.  The solver
is told the same limit (bitwuzla's per-check time limit), and the process is killed
when the wall clock passes it, so a query never outlives ``--time-limit``.  A worker
that dies (the kernel's OOM killer, ``std::bad_alloc``, a memory rlimit) answers
``unknown`` with the reason "out of memory" rather than raising.

Fresh solver vs incremental (measured, 2-core machine shared with other jobs; CEGIS
rounds with 2, 4, 6, 8 examples): the two-22-bit-immediate + four-`.word ??` sketch
took 0.72 s with a fresh process per round (~0.08 s start-up each), 0.21 s with one
solver asserting only each round's new examples, 0.11 s with push/pop; a 3-instruction
`abs` sketch (12 mnemonics) took 6.5-11.9 s fresh, 0.8-1.5 s incremental (assertions
only added: the solver keeps what it learnt) and 4.5-7.6 s with push/pop (re-asserting
every round in a scope).  So ``Session`` keeps one process and one solver across a
fit's rounds and asserts only what is new; a time limit kills the process, and the
next query starts a fresh one.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ncpu_cli.errors import FitError

GRACE_S = 0.5  # the solver's own limit stops it this much before the kill
INSTALL_HINT = ("the smt method needs the bitwuzla solver: `pip install bitwuzla` "
                "(an MIT-licensed wheel, ~3 MB)")


def require_bitwuzla() -> None:
    """FitError saying how to install the solver when it is not importable."""
    try:
        import bitwuzla  # noqa: F401
    except ImportError:
        raise FitError(INSTALL_HINT) from None


def _env() -> dict:
    root = str(Path(__file__).resolve().parents[3])  # the folder holding ncpu_cli/
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _died(rc: int, err: str) -> str:
    if rc < 0 and -rc == signal.SIGKILL or "MemoryError" in err or "bad_alloc" in err \
            or "out of memory" in err.lower():
        return "out of memory"
    if "No module named 'bitwuzla'" in err:
        return INSTALL_HINT
    tail = err.strip().splitlines()[-1] if err.strip() else f"exit status {rc}"
    if rc < 0 and -rc == signal.SIGABRT:
        return f"the solver aborted (out of memory?): {tail}"
    return f"the solver process failed: {tail}"


class Session:
    """One solver process answering queries in turn (incremental when they allow it: a
    ``fit`` query with ``incremental: True`` whose cases and exclusions only grow keeps
    its solver and asserts only what is new). ``ask`` never waits past its time limit: the
    process is killed then, and the next ``ask`` starts a fresh one."""

    def __init__(self, memory_mb: int | None = None):
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen | None = None
        self.err = None

    def _start(self) -> None:
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "ncpu_cli.fit.smt.worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, env=_env(), start_new_session=True)

    def ask(self, query: dict, time_limit: float) -> dict:
        """The worker's answer (see worker.py), or ``status: unknown`` with a reason when
        the time limit passes, memory runs out or the process dies. Adds ``wall_s``."""
        t0 = time.perf_counter()
        if time_limit <= 0:
            return {"status": "unknown", "reason": "no time left", "model": None, "wall_s": 0.0}
        if self.proc is None:
            self._start()
        q = dict(query, solver_time=max(0.05, time_limit - GRACE_S), memory_mb=self.memory_mb)
        deadline = t0 + time_limit
        try:
            write_frame(self.proc.stdin, q)
            body = _read_frame(self.proc.stdout, deadline)
        except TimeoutError:
            self.close()
            return {"status": "unknown", "reason": f"time limit ({time_limit:.1f} s)",
                    "model": None, "wall_s": time.perf_counter() - t0}
        except (BrokenPipeError, EOFError, OSError):
            body = None
        except BaseException:
            self.close()
            raise
        wall = time.perf_counter() - t0
        if body is None:
            reason = self._death()
            return {"status": "unknown", "reason": reason, "model": None, "wall_s": wall}
        answer = pickle.loads(body)
        answer["wall_s"] = wall
        return answer

    def _death(self) -> str:
        proc = self.proc
        try:
            rc = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            rc = -signal.SIGKILL
        self.err.seek(0)
        err = self.err.read().decode("utf-8", "replace")
        self.close()
        return _died(rc, err)

    def close(self) -> None:
        """Kill the worker (its own process group: nothing it started survives)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            proc.kill()
        proc.wait()
        for f in (proc.stdin, proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        if self.err is not None:
            self.err.close()
            self.err = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_query(query: dict, time_limit: float, memory_mb: int | None = None) -> dict:
    """One query in a fresh process, killed at `time_limit` (see Session.ask)."""
    with Session(memory_mb) as s:
        return s.ask(query, time_limit)


def write_frame(stream, obj) -> None:
    body = pickle.dumps(obj)
    stream.write(len(body).to_bytes(8, "little") + body)
    stream.flush()


def _read_exact(stream, n: int, deadline: float) -> bytes:
    fd, out = stream.fileno(), b""
    while len(out) < n:
        left = deadline - time.perf_counter()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError
        chunk = os.read(fd, n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return out


def _read_frame(stream, deadline: float) -> bytes | None:
    try:
        n = int.from_bytes(_read_exact(stream, 8, deadline), "little")
        return _read_exact(stream, n, deadline)
    except EOFError:
        return None
