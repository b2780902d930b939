"""File helpers: atomic writes, so a failed run never leaves half a file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and a rename.

    Raises OSError (FileNotFoundError when the folder does not exist); on any
    failure the destination is left as it was and the temporary file is removed.
    The file gets the mode of the file it replaces, else the usual umask mode.
    A symlink is followed (its target is replaced); a device or FIFO such as
    /dev/null or /dev/stdout is written into directly, never replaced.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if target.is_symlink():
        target = target.resolve()  # replace the file the link points to, not the link
    if target.exists() and not target.is_file():  # /dev/null, a FIFO: write into it
        with open(target, "wb") as fh:
            fh.write(payload)
        return
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        mode = _default_mode()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
