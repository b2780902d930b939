"""The built wheel installs into a fresh venv and works there (isa/ data shipped).

Builds from a copy of the project (so the work tree gets no build/ litter),
installs the wheel together with the torch pin from $NCPU_TORCH, then runs the
installed `ncpu` on a small program.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TORCH = os.environ.get("NCPU_TORCH", "torch==2.13.0")
PROGRAM = """\
; counts down from 3, printing each value
main:   li   r1, 3
loop:   out  r1
        subi r1, r1, 1
        bnez r1, loop
        halt
"""

pytestmark = pytest.mark.wheel


def _run(cmd: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (
        f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    )
    return proc


def _copy_project(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    for folder in ("ncpu_cli", "isa"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=ignore)
    return dest


def test_wheel_installs_and_runs(tmp_path: Path) -> None:
    src = _copy_project(tmp_path / "src")
    assert (src / "README.md").exists(), (
        "README.md is missing: pyproject.toml names it as the readme"
    )
    wheels = tmp_path / "wheels"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(src),
        ],
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("ncpu-*.whl")

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    _run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel), TORCH],
        cwd=tmp_path,
        timeout=600,
    )

    work = tmp_path / "work"
    work.mkdir()
    (work / "count.s").write_text(PROGRAM, encoding="utf-8")
    ncpu = str(bin_dir / "ncpu")
    proc = _run([ncpu, "asm", "count.s"], cwd=work)
    assert "count.yaml" in proc.stderr
    image = yaml.safe_load((work / "count.yaml").read_text(encoding="utf-8"))
    assert image["format"] == "ncpu-image" and image["size"] == 5
    assert image["symbols"] == {"main": 0, "loop": 1}

    listing = _run([ncpu, "disasm", "count.yaml"], cwd=work).stdout
    assert "bnez" not in listing and "bne r1, r0, loop" in listing

    table = _run([ncpu, "isa", "--json"], cwd=work).stdout
    names = {op["name"] for op in json.loads(table)["ops"]}
    assert {"halt", "add", "jal", "out"} <= names
    assert "ncpu32" in _run([ncpu, "isa"], cwd=work).stdout
    readme = _run([str(bin_dir / "python"), "-m", "ncpu_cli.isadoc"], cwd=work).stdout
    assert readme == (ROOT / "isa" / "README.md").read_text(encoding="utf-8")
