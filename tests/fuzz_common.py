"""Shared by the property-based fuzzers (tests/test_fuzz_*.py).

Each fuzzer has a short variant, run by `make test`, and a long one marked
`slow`, run by `make fuzz` (NCPU_FUZZ_EXAMPLES examples; without that variable
the long variant is skipped with a reason, so a plain `pytest` stays short).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

SHORT = 60  # examples per property in `make test`
LONG = int(os.environ.get("NCPU_FUZZ_EXAMPLES", "0"))

long_run = pytest.mark.skipif(LONG <= 0, reason="long fuzz run: `make fuzz` sets NCPU_FUZZ_EXAMPLES")


def fuzz_settings(examples: int, *, long: bool = False) -> settings:
    """No per-example deadline (the machine is shared and busy); inputs are small. Short
    runs are derandomized (the same examples every time: `make test` never flakes); long
    runs explore new ones each time."""
    return settings(max_examples=max(1, examples), deadline=None, derandomize=not long,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


def mutate(data: bytes, edits: list[tuple[int, str, bytes]]) -> bytes:
    """Apply edits (position, i/r/d, bytes) to `data`: insert, replace or delete there."""
    out = bytearray(data)
    for pos, op, chunk in edits:
        at = pos % (len(out) + 1)
        if op == "i":
            out[at:at] = chunk
        elif op == "r":
            out[at : at + len(chunk)] = chunk
        else:
            del out[at : at + max(1, len(chunk))]
    return bytes(out)


# Pieces that broke loaders before, or that sit on a boundary.
NASTY = [b"1" * 5000, b"[" * 1000, b"{" * 500, b"-1", b"0x", b"0xffffffff", b"0x100000000",
         b"65536", b"\x00", b"\xff\xfe", b"\r", b"\n" * 3, b"@", b"//", b"/*", b"*/",
         b"// entry: ", b"// symbol ", b"// ncpu-image ncpu32: ", b"&a [*a]", b"*a", b"!!binary",
         b"!!python/object/apply:os.system ['true']", b"true", b"null", b"1e999", b"NaN", b"1.5",
         b"\"", b"'", b"\\", b":", b",", b"- ", b"  ", b"\t", "é".encode(), b"\xe2\x80\xa8"]
