"""Fixtures shared by several test modules."""

from pathlib import Path

import pytest
from typer.testing import CliRunner


@pytest.fixture
def src(tmp_path):
    """Write a source file into tmp_path and return its path: src(text, name="prog.s")."""

    def write(text, name="prog.s"):
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.fixture
def runner() -> CliRunner:
    """A CliRunner without colour at a fixed width (the `ncpu asm`/`disasm` error tests)."""
    return CliRunner(env={"NO_COLOR": "1", "COLUMNS": "120"})


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path, made the current directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
