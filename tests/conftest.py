"""Fixtures shared by several test modules."""

import pytest


@pytest.fixture
def src(tmp_path):
    """Write a source file into tmp_path and return its path: src(text, name="prog.s")."""

    def write(text, name="prog.s"):
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
