"""A fit spec may expect only a final status (issue 18 item 5): `expect: {status: fault}`
alone is an expectation (a fault of any reason matches), and a bad status is named
(`expect: {status: exploded}` used to say "expects nothing")."""

from __future__ import annotations

from pathlib import Path

import pytest
from fit_common import json_of, ncpu_fit, no_traceback

from ncpu_cli.errors import FitError
from ncpu_cli.fit import parse_spec

# r2 is picked from 0..100; in a 64-word memory the load faults (reason `address`) for
# r2 >= 64 and halts below: only a fault satisfies the example
SKETCH = "li r2, ??[0:100]\nld r1, 0(r2)\nhalt\n"


def spec(expect: str) -> str:
    body = "".join(f"  {line}\n" for line in SKETCH.splitlines())
    return f"source: |\n{body}mem_words: 64\nmax_cycles: 20\nexamples:\n  - expect: {expect}\n"


@pytest.mark.parametrize("status", ["fault", "halted", "timeout"])
def test_a_status_alone_is_an_expectation(status: str) -> None:
    want = parse_spec(spec(f"{{status: {status}}}"), name="t.yaml").examples[0].expect
    assert (want.status, want.out, want.regs, want.mem) == (status, None, {}, {})


def test_a_bad_status_is_named_even_alone() -> None:
    with pytest.raises(FitError) as err:
        parse_spec(spec("{status: exploded}"), name="t.yaml")
    assert str(err.value) == ("t.yaml: examples[0].expect.status: `exploded` is not one of "
                              "halted, fault, timeout")


def test_an_empty_expect_still_expects_nothing() -> None:
    with pytest.raises(FitError, match=r"examples\[0\].expect: expects nothing: give at least "
                                       r"one of mem, out, regs, status"):
        parse_spec(spec("{}"), name="t.yaml")


def test_fit_finds_a_filling_that_faults(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(spec("{status: fault}"))
    res = ncpu_fit(tmp_path / "f.yaml", "--method", "enumerate", "--json", "--time-limit", "60")
    no_traceback(res)
    out = json_of(res)
    assert out["solved"], out
    assert out["holes"][0]["value"] >= 64  # the load is outside the 64-word memory
