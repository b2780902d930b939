"""Keep numba's on-disk cache of the compiled searches in step with their sources.

numba (`cache=True`) reuses a compiled function while *its own* file is unchanged, even
when a function it calls from another file (and compiled into it) has changed, so after
an upgrade or an edit of, say, `mcmc_moves.py`, `mcmc_kernel`'s cached chains would still
run the old moves. `drop_stale()` hashes every source the compiled searches are built
from and, when the hash differs from the one recorded beside the cache, deletes this
package's cached functions (they recompile on first use). Only numba's default cache
location (`__pycache__` beside the sources) is handled; with NUMBA_CACHE_DIR set, clear
that folder after changing these files.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
NATIVE = HERE.parent / "machine" / "exact" / "native_kernel.py"
STAMP = "numba-sources.sha256"


def sources(folder: Path = HERE) -> list[Path]:
    """The files compiled into the searches: every module in `folder` that uses numba, and
    the native engine's kernel (its decoder and ALU)."""
    mine = [p for p in sorted(folder.glob("*.py")) if "numba" in p.read_text(encoding="utf-8")]
    return [*mine, NATIVE]


def drop_stale(folder: Path = HERE) -> bool:
    """Delete the cached compiled functions of `folder` if its sources changed since they
    were cached; True when it deleted (or there was nothing recorded yet)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return False
    digest = hashlib.sha256()
    for path in sources(folder):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    cache = folder / "__pycache__"
    stamp = cache / STAMP
    try:
        if stamp.read_text(encoding="ascii") == digest.hexdigest():
            return False
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for old in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:
            old.unlink(missing_ok=True)
        stamp.write_text(digest.hexdigest(), encoding="ascii")
    except OSError:  # a read-only install: numba then caches elsewhere or not at all
        return False
    return True


drop_stale()  # on import: the compiled searches import this before loading any cache
