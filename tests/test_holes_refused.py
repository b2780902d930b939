"""An image that still has holes does not run (issue 18 item 3): a hole's word is only a
placeholder (0 = `halt` for an instruction hole), so `ncpu asm --keep-holes s.s -o s.yaml;
ncpu run s.yaml` used to halt at the first hole with exit 0. Every command that executes
an image refuses it with exit 1, naming the first hole's place in the source; `ncpu asm`
refuses to write holes into raw binary words, which cannot say where they are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ncpu_cli.cli import app
from ncpu_cli.errors import ImageError
from ncpu_cli.run.load import load_program

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
# the first hole is an instruction hole on line 2, column 1 (its word is 0: `halt`)
SKETCH = "li r1, 5\n?{add,sub} r2, r1, r1\nout r2\nli r3, ??\nhalt\n"
PLAIN = "li r1, 5\nout r1\nhalt\n"


def ncpu(*args: object):
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.stdout + res.stderr
    return res


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("s.s").write_text(SKETCH)
    Path("p.s").write_text(PLAIN)
    assert ncpu("asm", "--keep-holes", "s.s", "-o", "s.yaml").exit_code == EXIT_OK
    return tmp_path


def test_run_refuses_an_image_with_holes(work: Path) -> None:
    res = ncpu("run", "s.yaml")
    assert res.exit_code == EXIT_ERROR
    assert "s.yaml" in res.stderr and "2 holes" in res.stderr and "s.s:2:1" in res.stderr
    assert "ncpu fit" in res.stderr


def test_run_json_error_points_at_the_first_hole(work: Path) -> None:
    res = ncpu("run", "s.yaml", "--json")
    assert res.exit_code == EXIT_ERROR
    err = json.loads(res.stdout)["error"]
    assert (err["kind"], err["file"], err["line"], err["col"]) == ("image", "s.s", 2, 1)


def test_trace_refuses_an_image_with_holes(work: Path) -> None:
    res = ncpu("trace", "s.yaml")
    assert res.exit_code == EXIT_ERROR
    assert "s.s:2:1" in res.stderr


def test_a_batch_with_one_sketch_image_is_refused(work: Path) -> None:
    res = ncpu("run", "p.s", "s.yaml")
    assert res.exit_code == EXIT_ERROR
    assert "s.s:2:1" in res.stderr


def test_a_json_sketch_image_is_refused_too(work: Path) -> None:
    assert ncpu("asm", "--keep-holes", "s.s", "-f", "json", "-o", "s.json").exit_code == EXIT_OK
    with pytest.raises(ImageError, match=r"s.json: the image still has 2 holes .* s.s:2:1"):
        load_program("s.json")


def test_the_same_program_without_holes_runs(work: Path) -> None:
    assert ncpu("asm", "p.s", "-o", "p.yaml").exit_code == EXIT_OK
    res = ncpu("run", "p.yaml", "--json")
    assert res.exit_code == EXIT_OK
    assert json.loads(res.stdout)["programs"][0]["out"] == [5]


@pytest.mark.parametrize("fmt, suffix", [("readmemh", "hex"), ("listing", "lst")])
def test_text_formats_keep_the_holes_and_are_refused_too(work: Path, fmt: str, suffix: str) -> None:
    assert ncpu("asm", "--keep-holes", "s.s", "-f", fmt, "-o", f"s.{suffix}").exit_code == EXIT_OK
    res = ncpu("run", f"s.{suffix}")
    assert res.exit_code == EXIT_ERROR
    assert f"s.{suffix}" in res.stderr and "2 holes" in res.stderr and "s.s:2:1" in res.stderr


def test_asm_will_not_write_holes_into_raw_words(work: Path) -> None:
    res = ncpu("asm", "--keep-holes", "s.s", "-f", "bin", "-o", "s.bin")
    assert res.exit_code == EXIT_USAGE
    assert "hole table" in res.stderr and not Path("s.bin").exists()
    # a program without holes is written, --keep-holes or not
    assert ncpu("asm", "--keep-holes", "p.s", "-f", "bin", "-o", "p.bin").exit_code == EXIT_OK
