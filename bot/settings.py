"""Settings from the environment and .env, validated once at start-up.

An invalid value stops start-up with one line naming the setting (see `load_settings`), so a typo in
.env never turns into a confusing failure later.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

from flows.checkin.triage import Thresholds
from flows.engine.schedule import parse_hhmm, parse_span

DEFAULT_DB_PATH = Path("data") / "mendbot.sqlite3"


class SettingsError(Exception):
    """A setting is invalid; the message is one line naming it."""


class Settings(BaseSettings):
    """Every setting mendbot reads; .env.example documents each one."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DB_PATH}"
    bot_runtime: Literal["ptb", "aiogram"] = "ptb"
    default_timezone: str = "Europe/London"
    emergency_number: str = Field(default="911", min_length=2, max_length=15)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = Field(default=8080, ge=0, le=65535)
    invite_ttl_days: int = Field(default=7, ge=1, le=90)
    # days a message the bot sent (a reminder, an alert, a relayed message) is kept after it
    # was due: a Reply button on an older relayed message has expired
    outbox_keep_days: int = Field(default=90, ge=1, le=3650)
    alert_escalate_emergency_minutes: int = Field(default=15, ge=1, le=24 * 60)
    alert_escalate_urgent_minutes: int = Field(default=240, ge=1, le=7 * 24 * 60)
    triage_thresholds: dict[str, float] = Field(default_factory=dict)
    quiet_hours: str = "21:00-08:00"
    nudge_time: str = "19:00"
    digest_time: str = "18:00"
    send_rate_per_second: float = Field(default=25.0, gt=0, le=1000)
    per_chat_interval_seconds: float = Field(default=1.0, ge=0, le=60)
    send_timeout_seconds: float = Field(default=10.0, ge=0.1, le=120)
    # chats whose updates are handled at the same moment (each chat's still one at a time)
    update_concurrency: int = Field(default=16, ge=1, le=256)
    # how often each periodic tick runs (tests shorten the outbox's, so nothing waits a second)
    outbox_interval_seconds: float = Field(default=1.0, ge=0.01, le=60)
    plan_interval_seconds: float = Field(default=15.0, ge=0.01, le=3600)
    digest_interval_seconds: float = Field(default=60.0, ge=0.01, le=3600)
    escalate_interval_seconds: float = Field(default=30.0, ge=0.01, le=3600)
    booking_interval_seconds: float = Field(default=30.0, ge=0.01, le=3600)
    forget_interval_seconds: float = Field(default=3600.0, ge=1, le=86400)
    progress_interval_seconds: float = Field(default=60.0, ge=0.01, le=3600)
    mendbot_fake_now: datetime | None = None  # tests only: the clock starts at this time
    webhook_url: str = ""
    webhook_secret: SecretStr | None = None
    webhook_listen_host: str = "0.0.0.0"
    webhook_listen_port: int = Field(default=8443, ge=1, le=65535)
    webhook_delete_on_stop: bool = True
    # /metrics and /healthz on a port of their own; empty: not (webhook mode serves them anyway)
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)

    @field_validator("telegram_bot_token", "metrics_port", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"https?://[^/\s]+(/\S*)?", value):
            raise ValueError("must be empty (long polling) or an http(s):// URL")
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: object) -> object:
        if value in ("", None):
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", text):
            raise ValueError("must be 1-256 characters of A-Z a-z 0-9 _ -")  # never echo it
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET: required when WEBHOOK_URL is set")
        return self

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA time zone such as Europe/London") from exc
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("postgresql://"):
            return "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("triage_thresholds")
    @classmethod
    def _known_thresholds(cls, value: dict[str, float]) -> dict[str, float]:
        known = {f.name for f in fields(Thresholds)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown threshold {unknown[0]}; known: {', '.join(sorted(known))}")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _span(cls, value: str) -> str:
        start, end = parse_span(value)
        return f"{start}-{end}"

    @field_validator("nudge_time", "digest_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        return parse_hhmm(value).strftime("%H:%M")

    @field_validator("mendbot_fake_now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a UTC offset, e.g. 2026-03-08T15:59:00+00:00")
        return value

    def quiet_span(self) -> tuple[str, str]:
        return parse_span(self.quiet_hours)

    def thresholds(self) -> Thresholds:
        """The triage thresholds: TRIAGE.md's defaults with TRIAGE_THRESHOLDS applied."""
        defaults = Thresholds()
        values: dict[str, Any] = {
            name: type(getattr(defaults, name))(value)
            for name, value in self.triage_thresholds.items()
        }
        return replace(defaults, **values)

    @property
    def sandbox(self) -> bool:
        """No token means the embedded sandbox, never a half-configured real bot."""
        return self.telegram_bot_token is None


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one line that names the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except SourceError as exc:  # a JSON setting that is not JSON, before any validator ran
        field = re.search(r'field "(\w+)"', str(exc))
        name = field.group(1).upper() if field else "(a JSON setting)"
        raise SettingsError(
            f'Invalid setting {name}: not valid JSON; use e.g. {{"u7_rise": 4}} or {{}}'
        ) from None
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["loc"]:
            name = str(error["loc"][0]).upper()
        else:  # a check across settings names its setting first: "NAME: message"
            name, _, message = message.partition(": ")
        raise SettingsError(f"Invalid setting {name}: {message}") from None
