"""numba's cache of the compiled searches is dropped when any of their sources changes
(numba itself only notices a change in a function's own file)."""

from __future__ import annotations

from ncpu_cli.fit import kernel_cache


def _package(tmp_path):
    (tmp_path / "kernel.py").write_text("from numba import njit\n")
    (tmp_path / "moves.py").write_text("from numba import njit\nX = 1\n")
    (tmp_path / "plain.py").write_text("X = 1\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    return cache


def _cached(cache):
    for name in ("kernel.f-1.py311.nbi", "kernel.f-1.py311.1.nbc"):
        (cache / name).write_bytes(b"compiled")


def test_a_changed_source_drops_the_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    cache = _package(tmp_path)
    _cached(cache)
    assert kernel_cache.drop_stale(tmp_path)  # nothing recorded yet: dropped
    assert not list(cache.glob("*.nb*"))
    _cached(cache)
    assert not kernel_cache.drop_stale(tmp_path)  # unchanged: kept
    assert len(list(cache.glob("*.nb*"))) == 2
    (tmp_path / "plain.py").write_text("X = 2\n")  # no numba in it: not a source
    assert not kernel_cache.drop_stale(tmp_path)
    (tmp_path / "moves.py").write_text("from numba import njit\nX = 2\n")  # a callee changed
    assert kernel_cache.drop_stale(tmp_path)
    assert not list(cache.glob("*.nb*"))


def test_a_custom_cache_dir_is_left_alone(tmp_path, monkeypatch):
    cache = _package(tmp_path)
    _cached(cache)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert not kernel_cache.drop_stale(tmp_path)
    assert len(list(cache.glob("*.nb*"))) == 2
