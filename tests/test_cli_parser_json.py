"""Under --json, errors the command-line parser itself reports (an unknown option, a value
outside its range) are the JSON error object too, with exit code 2 -- through the console
script `ncpu` (`ncpu_cli.cli:main`), which is what tools run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

NCPU = str(Path(sys.executable).with_name("ncpu"))


@pytest.mark.parametrize("args, words", [
    (["fit", "spec.yaml", "--restarts", "0", "--json"], "--restarts"),
    (["run", "prog.s", "--bogus", "--json"], "--bogus"),
    (["asm", "prog.s", "--json", "-f", "nonsense"], "nonsense"),
])
def test_parser_errors_are_json_under_json(args, words):
    p = subprocess.run([NCPU, *args], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stderr
    err = json.loads(p.stdout)["error"]
    assert err["kind"] == "usage" and words in err["message"]
    assert p.stderr == ""


def test_without_json_the_parser_error_stays_text():
    p = subprocess.run([NCPU, "run", "prog.s", "--bogus"], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 2 and p.stdout == "" and "--bogus" in p.stderr


def test_exit_codes_pass_through_the_console_script(tmp_path):
    prog = tmp_path / "spin.s"
    prog.write_text("loop: j loop\n")
    p = subprocess.run([NCPU, "run", str(prog), "--max-cycles", "10", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 3 and json.loads(p.stdout)["programs"][0]["status"] == "timeout"
