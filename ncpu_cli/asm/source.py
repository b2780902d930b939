"""Reading source text: one clear problem for a file that is not assembly source at all."""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import BinaryIO

# Far more than any program that fits 65536 words needs, even with comments;
# stops `/dev/zero` or a wrong multi-gigabyte file from eating all memory.
MAX_SOURCE_BYTES = 64 << 20


def read_limited(stream: BinaryIO, name: str, limit: int | None = None) -> bytes:
    """At most `limit` (default MAX_SOURCE_BYTES) bytes of a binary stream; OSError if more."""
    limit = MAX_SOURCE_BYTES if limit is None else limit
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit >> 20} MiB, too big for a source", name)
    return data


def read_source_bytes(path: Path) -> bytes:
    """The bytes of a source file; OSError naming the file when it can't be read as one.

    A folder or a device (anything but a regular file or a pipe) is refused
    before reading, so `.include "/dev/zero"` can't hang.
    """
    name = str(path)
    if "\x00" in name:
        raise OSError(errno.EINVAL, "a file name can't contain a NUL character", name)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "it is a folder, not a file", name)
    if path.exists() and not (path.is_file() or path.is_fifo()):
        raise OSError(errno.EINVAL, "not a regular file", name)
    with open(path, "rb") as fh:
        return read_limited(fh, name)


def read_include_bytes(path: Path) -> bytes:
    """The bytes of an `.include`d file, which must be a regular file.

    A FIFO, device or socket is refused with a clear OSError: a FIFO with no
    writer would block the assembler forever. The file is opened without
    blocking and checked on the open descriptor, so nothing can swap it in between.
    """
    name = str(path)
    if "\x00" in name:
        raise OSError(errno.EINVAL, "a file name can't contain a NUL character", name)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "it is a folder, not a file", name)
        if not stat.S_ISREG(mode):
            why = " (a FIFO, whose reader can wait forever)" if stat.S_ISFIFO(mode) else ""
            raise OSError(errno.EINVAL, f"not a regular file{why}", name)
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            return read_limited(fh, name)
    finally:
        if fd >= 0:
            os.close(fd)


# A line holding only blanks and/or a comment (at least one character, so that
# empty lines, the common case, cost nothing).
_IDLE_LINE = re.compile(r"^(?:[ \t\f\r]+(?:[;#][^\n]*)?|[;#][^\n]*)$", re.M)


def compact_idle_lines(text: str) -> str:
    """`text` with comment-only and blank lines emptied (their newlines kept, so every
    line and column stays where it was). The parser then reads a run of them as one
    newline token: two million comment lines cost a regex pass, not two million
    parser steps."""
    return _IDLE_LINE.sub("", text)


_TEXT_RUN = re.compile(r"[^\n]+")


def has_long_line(text: str, limit: int) -> bool:
    """True when a line of `text` is longer than `limit` characters (empty lines cost
    nothing: the scan jumps from one non-empty line to the next)."""
    return any(m.end() - m.start() > limit for m in _TEXT_RUN.finditer(text))


def text_problem(text: str, name: str) -> str | None:
    """Why `text` can't be assembly source (NUL bytes), or None."""
    if "\x00" in text:
        return f"`{name}` looks like a binary file (it contains NUL bytes), not assembly source"
    return None


def decode_source(data: bytes, name: str) -> tuple[str, str | None]:
    """Bytes -> (text, problem); problem names the file when it is not UTF-8 text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        return "", f"`{name}` is not a text file (invalid UTF-8 at byte {err.start})"
    text = text.removeprefix("\ufeff")
    return text, text_problem(text, name)
