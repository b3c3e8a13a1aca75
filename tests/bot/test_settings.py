"""Settings: defaults, normalisation, and one clear line for an invalid value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).parents[2]


def test_defaults_mean_sandbox_on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    settings = load_settings(_env_file=None)
    assert settings.sandbox
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.bot_runtime == "ptb"
    assert settings.emergency_number == "911"


def test_urls_are_normalised() -> None:
    settings = load_settings(
        database_url="postgresql://u:p@db/mendbot",
        telegram_api_base_url="http://127.0.0.1:9/",
        telegram_bot_token="1:abc",
        _env_file=None,
    )
    assert settings.database_url == "postgresql+asyncpg://u:p@db/mendbot"
    assert settings.telegram_api_base_url == "http://127.0.0.1:9"
    assert not settings.sandbox
    assert "abc" not in repr(settings)


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"default_timezone": "Mars/Base"}, "DEFAULT_TIMEZONE"),
        ({"bot_runtime": "telethon"}, "BOT_RUNTIME"),
        ({"database_url": "mysql://x"}, "DATABASE_URL"),
        ({"sandbox_port": 70000}, "SANDBOX_PORT"),
        ({"log_level": "chatty"}, "LOG_LEVEL"),
        ({"webhook_url": "telegram.example/hook"}, "WEBHOOK_URL"),
        ({"webhook_url": "https://bot.example/hook"}, "WEBHOOK_SECRET"),
        (
            {"webhook_url": "https://bot.example/hook", "webhook_secret": "has space"},
            "WEBHOOK_SECRET",
        ),
        ({"webhook_secret": "x" * 257}, "WEBHOOK_SECRET"),
        ({"webhook_listen_port": 0}, "WEBHOOK_LISTEN_PORT"),
        ({"outbox_interval_seconds": 0}, "OUTBOX_INTERVAL_SECONDS"),
        ({"plan_interval_seconds": -1}, "PLAN_INTERVAL_SECONDS"),
    ],
)
def test_invalid_setting_names_it(override: dict[str, object], named: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None, **override)
    message = str(raised.value)
    assert message.startswith(f"Invalid setting {named}:")
    assert "\n" not in message


def test_tick_intervals_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = load_settings(_env_file=None)
    assert (defaults.outbox_interval_seconds, defaults.plan_interval_seconds) == (1.0, 15.0)
    assert defaults.escalate_interval_seconds == defaults.booking_interval_seconds == 30.0
    assert defaults.digest_interval_seconds == 60.0
    assert defaults.forget_interval_seconds == 3600.0
    monkeypatch.setenv("OUTBOX_INTERVAL_SECONDS", "0.05")
    assert load_settings(_env_file=None).outbox_interval_seconds == 0.05


def test_env_example_documents_every_setting() -> None:
    documented = {
        line.lstrip("# ").split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    }
    missing = {name.upper() for name in Settings.model_fields} - documented
    assert not missing


def test_webhook_settings_keep_the_secret_out_of_messages() -> None:
    settings = load_settings(
        _env_file=None, webhook_url="https://bot.example/hook", webhook_secret="Abc_123-x"
    )
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == "Abc_123-x"
    assert "Abc_123-x" not in repr(settings)
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None, webhook_url="https://bot.example/h", webhook_secret="b@d!")
    assert "b@d!" not in str(raised.value)


def test_cli_stops_with_one_line_on_a_bad_setting(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DEFAULT_TIMEZONE": "Nowhere/Land", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "mendbot: Invalid setting DEFAULT_TIMEZONE: must be an IANA time zone such as Europe/London"
    ]
    assert done.stdout == ""
