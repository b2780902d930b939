"""A key given twice in one mapping is refused by every loader of the project (issue 18
item 7): images, `--inputs` files, fit specs and suites, the opcode table. YAML requires
unique keys; PyYAML (and Python's json) would silently keep the last one, so an image
with `size: 3` then `size: 4` used to run as size 4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cli_run_common import EXIT_ERROR, invoke
from fit_common import json_of, ncpu_fit

from ncpu_cli import isa as isa_module
from ncpu_cli.errors import FitError, ImageError
from ncpu_cli.fit.spec import parse_spec
from ncpu_cli.formats import load_image
from ncpu_cli.textdata import DataError, load_json, load_yaml

REPO = Path(__file__).resolve().parent.parent

IMAGE = """\
format: ncpu-image
version: 1
isa: "ncpu32"
word_bits: 32
size: 3
size: 4
entry: 0
segments:
  - start: 0
    words: ["0xc4040000", "0x00000000", "0x00000000"]
end: true
"""
SPEC = """\
source: |
  li r1, ??
  out r1
  halt
examples:
  - expect: {out: [1]}
    expect: {out: [2]}
"""


def test_yaml_duplicate_key_names_the_key_and_both_lines() -> None:
    with pytest.raises(DataError) as err:
        load_yaml("a: 1\nb: 2\na: 3\n")
    assert err.value.line == 3
    assert "duplicate key `a`" in err.value.message and "line 1" in err.value.message


@pytest.mark.parametrize("text", ["{a: 1, a: 2}", "x:\n  - {k: 1}\n  - {k: 1, k: 2}\n",
                                  "1: a\n0x1: b\n"])
def test_yaml_duplicates_anywhere_are_refused(text: str) -> None:
    with pytest.raises(DataError, match="duplicate key"):
        load_yaml(text)


def test_yaml_merge_keys_may_still_be_overridden() -> None:
    # `<<: *base` then an explicit key is YAML's override, not a duplicate
    assert load_yaml("base: &b {a: 1, c: 3}\nd:\n  <<: *b\n  a: 2\n")["d"] == {"a": 2, "c": 3}


def test_json_duplicate_key_is_refused() -> None:
    with pytest.raises(DataError, match="duplicate key `a`"):
        load_json('{"b": {"a": 1, "a": 2}}')


def test_image_with_a_key_twice_does_not_run(tmp_path: Path) -> None:
    (tmp_path / "img.yaml").write_text(IMAGE)
    with pytest.raises(ImageError, match=r"line 6: duplicate key `size` \(first given at line 5\)"):
        load_image(tmp_path / "img.yaml")
    res = invoke(tmp_path / "img.yaml")
    assert res.exit_code == EXIT_ERROR
    assert "duplicate key `size`" in res.stderr


def test_json_image_with_a_key_twice_is_refused(tmp_path: Path) -> None:
    text = json.dumps({"format": "ncpu-image", "version": 1, "size": 1, "words": [0]})
    (tmp_path / "img.json").write_text(text.replace('"size": 1', '"size": 1, "size": 2'))
    with pytest.raises(ImageError, match="duplicate key `size`"):
        load_image(tmp_path / "img.json")


def test_inputs_file_with_a_key_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p.s").write_text("out r1\nhalt\n")
    (tmp_path / "in.yaml").write_text("- set: {r1: 1}\n  set: {r1: 2}\n")
    res = invoke(tmp_path / "p.s", "--inputs", tmp_path / "in.yaml")
    assert res.exit_code == EXIT_ERROR
    assert "duplicate key `set`" in res.stderr and "line 2" in res.stderr
    (tmp_path / "in.jsonl").write_text('{"set": {"r1": 1, "r1": 2}}\n')
    res = invoke(tmp_path / "p.s", "--inputs", tmp_path / "in.jsonl")
    assert res.exit_code == EXIT_ERROR
    assert "record 1" in res.stderr and "duplicate key `r1`" in res.stderr


def test_spec_with_a_key_twice_is_refused() -> None:
    with pytest.raises(FitError, match=r"t.yaml:7:5: duplicate key `expect` \(first given at line 6\)"):
        parse_spec(SPEC, name="t.yaml")


def test_suite_reports_a_spec_with_a_key_twice(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "twice.yaml").write_text(SPEC)
    res = ncpu_fit("--suite", suite, "--method", "enumerate", "--json")
    rows = {r["task"]: r for r in json_of(res)["rows"]}
    assert not rows["twice"]["solved"]
    assert "duplicate key `expect`" in rows["twice"]["note"]


def test_opcode_table_with_a_key_twice_is_refused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    table = (REPO / "isa" / "ncpu32.yaml").read_text(encoding="utf-8")
    (tmp_path / "ncpu32.yaml").write_text(table.replace("registers: 16", "registers: 16\nregisters: 8"))
    monkeypatch.setattr(isa_module, "data_path", lambda name: tmp_path / name)
    with pytest.raises(yaml.YAMLError, match="duplicate key `registers`"):
        isa_module.load_isa.__wrapped__()


@pytest.mark.parametrize("path", sorted(
    p.relative_to(REPO).as_posix() for pattern in ("isa/*.yaml", "programs/**/*.yaml")
    for p in REPO.glob(pattern)))
def test_every_yaml_file_of_the_repository_has_unique_keys(path: str) -> None:
    load_yaml((REPO / path).read_text(encoding="utf-8"))
