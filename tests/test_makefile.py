"""The Makefile's set-up: `make run` installs the runtime packages only, quietly; lint and tests
the dev tools too; one venv whose stamps redo only what is missing or stale.

Read with `make -n` (print, don't run) in a copy of the Makefile beside a pyproject.toml, so the
stamps' times can be set without touching the real .venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _plan(folder: Path, target: str) -> list[str]:
    """The commands `make TARGET` would run in `folder`."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", target],
        cwd=folder,
        env=env,  # under `make test`, the outer make's flags would leak in
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.splitlines()


def _project(tmp_path: Path, *stamps: str) -> Path:
    """A copy of the Makefile and pyproject.toml with the given stamps newer than pyproject."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    os.utime(tmp_path / "pyproject.toml", (1_000_000, 1_000_000))
    (tmp_path / ".venv").mkdir()
    for stamp in stamps:
        (tmp_path / ".venv" / stamp).touch()
    return tmp_path


def _installs(plan: list[str]) -> list[str]:
    return [line for line in plan if "pip install" in line and "--upgrade pip" not in line]


def test_run_installs_the_runtime_packages_only_and_quietly(tmp_path: Path) -> None:
    installs = _installs(_plan(_project(tmp_path), "run"))
    assert len(installs) == 1
    assert "[dev]" not in installs[0]
    assert installs[0].endswith("-e .")
    assert " -qq " in installs[0]  # errors only: no editable-install banner


def test_lint_and_test_install_the_dev_tools(tmp_path: Path) -> None:
    project = _project(tmp_path)
    for target in ("lint", "test"):
        installs = _installs(_plan(project, target))
        assert len(installs) == 1
        assert "'.[dev]'" in installs[0] and " -qq " in installs[0]


def test_after_the_dev_install_run_installs_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path, ".installed-runtime", ".installed-dev")
    plan = _plan(project, "run")
    assert _installs(plan) == []
    assert plan == [".venv/bin/mendbot run"]


def test_a_runtime_only_venv_gets_the_dev_tools_for_lint(tmp_path: Path) -> None:
    project = _project(tmp_path, ".installed-runtime")
    assert _installs(_plan(project, "run")) == []
    assert len(_installs(_plan(project, "lint"))) == 1


def test_a_changed_pyproject_installs_again(tmp_path: Path) -> None:
    project = _project(tmp_path, ".installed-runtime", ".installed-dev")
    later = (project / ".venv" / ".installed-dev").stat().st_mtime + 60
    os.utime(project / "pyproject.toml", (later, later))  # now newer than both stamps
    assert len(_installs(_plan(project, "run"))) == 1
    assert len(_installs(_plan(project, "lint"))) == 1
