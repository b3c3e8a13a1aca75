"""bot.logs: libraries stay at WARNING whatever they set, and exceptions show no message."""

from __future__ import annotations

import json
import logging

import pytest

from tests.logsetup import logging_as_mendbot_run

TOKEN = "123456:SECRET-token"
NOTE = "SENTINEL-NOTE-7731"


def test_a_library_that_opens_its_own_debug_log_still_prints_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SQLAlchemy's echo, say, sets its engine logger to INFO itself: our handler holds it."""
    engine_log = logging.getLogger("sqlalchemy.engine.Engine")
    with logging_as_mendbot_run("DEBUG", [TOKEN]):
        engine_log.setLevel(logging.DEBUG)
        engine_log.info("INSERT INTO person (name) VALUES (?) %r", ("SENTINEL-NAME",))
        logging.getLogger("hpack.hpack").debug("Decoded header SENTINEL-HEADER")
        logging.getLogger("flows.checkin.daily").debug("our own line")
    printed = capsys.readouterr().err
    assert "SENTINEL" not in printed
    assert "flows.checkin.daily: our own line" in printed


def test_exceptions_show_their_type_and_frames_but_not_their_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def parse(typed: str) -> int:
        try:
            return int(typed)
        except ValueError as exc:
            raise RuntimeError(f"bad answer {typed} via {TOKEN}") from exc

    with logging_as_mendbot_run("INFO", [TOKEN]):
        try:
            parse(NOTE)
        except RuntimeError as exc:
            logging.getLogger("flows.router").exception("update 1 failed")
            logging.getLogger("apscheduler.executors").error("job failed: %s", exc)
            logging.getLogger("aiogram.event").error(exc)
    printed = capsys.readouterr().err
    assert "SENTINEL" not in printed and "SECRET" not in printed
    assert "ValueError (message withheld)" in printed  # the cause, then what it led to
    assert "RuntimeError (message withheld)" in printed
    assert "in parse" in printed  # the frames are there
    assert "job failed: RuntimeError" in printed


def test_json_lines_carry_the_fields_and_nothing_more(capsys: pytest.CaptureFixture[str]) -> None:
    """LOG_FORMAT=json: one object a line, with the structured fields, through the same
    filters as the text format (no content, no exception message, no token)."""
    fields = {"update_id": 42, "event": "button", "outcome": "answered", "duration_ms": 3.5}
    with logging_as_mendbot_run("DEBUG", [TOKEN], "json"):
        logging.getLogger("handlers.intake").info("update 42 handled", extra=fields)
        logging.getLogger("sqlalchemy.engine.Engine").warning("params %s", "SENTINEL-NAME")
        try:
            raise ValueError(f"{NOTE} {TOKEN}")
        except ValueError:
            logging.getLogger("flows.router").exception("update 43 failed")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    _set_up, handled, library, failed = lines  # the first: bot.logs saying its levels
    assert {key: handled[key] for key in fields} == fields
    assert (handled["level"], handled["logger"]) == ("INFO", "handlers.intake")
    assert handled["time"].endswith("+00:00") and handled["message"] == "update 42 handled"
    assert library["level"] == "WARNING"  # a library's warnings pass (text format: the same)
    assert "ValueError (message withheld)" in failed["error"]
    printed = json.dumps(lines)
    assert NOTE not in printed and "SECRET" not in printed
