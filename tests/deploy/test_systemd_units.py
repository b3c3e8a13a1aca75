"""deploy/*.service: the unit files an operator installs must load cleanly in systemd and keep
their hardening.

`systemd-analyze verify` exits 0 even when it ignores a misspelt key or a bad value (it only
warns), so a unit passes only with nothing printed. It also wants ExecStart's program to exist,
so each check runs on an alternate root (`--root`): systemd's own units, ours in
/etc/systemd/system, and an executable stand-in where ExecStart points. `systemd-analyze
security` scores the hardening: over 2.0 ("OK" ends there) fails.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = ("mendbot.service", "mendbot@.service")
ANALYZE = shutil.which("systemd-analyze")
needs_systemd = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (package systemd): units not verified"
)


def settings(unit: str) -> dict[str, list[str]]:
    """Every `Key=value` of a unit file, a key's values in order (keys may repeat)."""
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / unit).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def one(unit: str, key: str) -> str:
    values = settings(unit)[key]
    assert len(values) == 1, f"{unit}: {key} set {len(values)} times"
    return values[0]


def system_units() -> Path:
    for folder in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")):
        if (folder / "sysinit.target").exists():
            return folder
    pytest.fail("systemd-analyze is installed but systemd's units were not found")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An alternate root holding systemd's units, ours, and a stand-in for `mendbot`."""
    units = tmp_path / "usr/lib/systemd/system"
    shutil.copytree(system_units(), units, symlinks=True)
    ours = tmp_path / "etc/systemd/system"
    ours.mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(DEPLOY / unit, ours / unit)
        program = tmp_path / one(unit, "ExecStart").split()[0].lstrip("/")
        program.parent.mkdir(parents=True, exist_ok=True)
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
    shutil.copy(DEPLOY / "mendbot@.service", ours / "mendbot@8441.service")  # an instance
    return tmp_path


def analyze(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    return subprocess.run(
        [ANALYZE, *args, f"--root={root}"], capture_output=True, text=True, timeout=60
    )


@needs_systemd
@pytest.mark.parametrize("unit", ["mendbot.service", "mendbot@8441.service"])
def test_unit_loads_without_a_warning(root: Path, unit: str) -> None:
    done = analyze(root, "verify", "--man=no", str(root / "etc/systemd/system" / unit))
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@needs_systemd
def test_verify_reports_what_it_ignores(root: Path) -> None:
    """The check above means something: a misspelt key is reported, yet exits 0."""
    bad = root / "etc/systemd/system/bad.service"
    text = (DEPLOY / "mendbot.service").read_text()
    bad.write_text(text.replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"))
    done = analyze(root, "verify", "--man=no", str(bad))
    assert done.returncode == 0
    assert "Unknown key 'NoNewPrivilege'" in done.stderr


@needs_systemd
@pytest.mark.parametrize("unit", ["mendbot.service", "mendbot@8441.service"])
def test_unit_is_hardened(root: Path, unit: str) -> None:
    path = str(root / "etc/systemd/system" / unit)
    done = analyze(root, "security", "--offline=true", "--threshold=20", "--no-pager", path)
    assert done.returncode == 0, done.stdout.splitlines()[-1:]


@pytest.mark.parametrize("unit", UNITS)
def test_runs_mendbot_from_a_venv_as_an_unprivileged_user(unit: str) -> None:
    program, *args = one(unit, "ExecStart").split()
    assert program.endswith("/venv/bin/mendbot") and program.startswith("/")
    assert args == ["run"]
    assert one(unit, "User") not in ("", "root", "0")
    assert one(unit, "EnvironmentFile").startswith("/etc/")  # settings and token, outside the unit
    assert one(unit, "Restart") == "on-failure"


@pytest.mark.parametrize("unit", UNITS)
def test_writes_only_its_data_folder(unit: str) -> None:
    assert one(unit, "NoNewPrivileges") == "yes"
    assert one(unit, "ProtectSystem") == "strict"
    assert one(unit, "PrivateTmp") == "yes"
    assert one(unit, "ProtectHome") == "yes"
    data = f"/var/lib/{one(unit, 'StateDirectory')}"
    assert one(unit, "ReadWritePaths") == data == one(unit, "WorkingDirectory")


def test_instances_listen_on_their_own_port_and_keep_the_webhook() -> None:
    """Behind a load balancer each process has its port, on loopback only (nginx is in front),
    and one stopping must not delete the webhook the others serve."""
    environment = " ".join(settings("mendbot@.service")["Environment"]).split()
    assert "WEBHOOK_LISTEN_PORT=%i" in environment
    assert "WEBHOOK_LISTEN_HOST=127.0.0.1" in environment
    assert "WEBHOOK_DELETE_ON_STOP=false" in environment
