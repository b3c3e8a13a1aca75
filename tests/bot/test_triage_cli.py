"""`mendbot triage` (bot.triage_cli.run): JSON in, one JSON line out, exit 2 on bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.triage_cli import run

PROJECT_ROOT = Path(__file__).parents[2]

EXAMPLE = {
    "client": {"post_op": True},
    "today": {
        "date": "2026-11-23",
        "pain_now": 7,
        "exercise_pain": 6,
        "morning": "worse",
        "swelling": "more",
        "night_waking": "once",
        "night_eased": True,
        "confidence": 5,
        "red_flags": ["calf_swelling"],
        "exercises": [{"sets_prescribed": 3, "sets_done": 0, "skip_reason": "pain"}],
    },
    "history": [{"date": "2026-11-22", "pain_now": 3, "morning": "worse"}],
}
EXPECTED_LINE = '{"severity": "urgent", "rules": ["U1", "R1", "R2"], "light": "red"}\n'


def call(text: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    status = run(io.StringIO(text), stdout, stderr)
    return status, stdout.getvalue(), stderr.getvalue()


def test_valid_input_prints_one_json_line() -> None:
    status, out, err = call(json.dumps(EXAMPLE))
    assert (status, err) == (0, "")
    assert out == EXPECTED_LINE
    assert list(json.loads(out)) == ["severity", "rules", "light"]


def test_quiet_check_in() -> None:
    status, out, _ = call('{"today": {"date": "2026-11-23"}}')
    assert status == 0
    assert json.loads(out) == {"severity": "none", "rules": [], "light": None}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "input is not valid JSON: Expecting value (line 1, column 1)"),
        ('{"today": ', "input is not valid JSON: Expecting value (line 1, column 11)"),
        ("{'today': {}}", "input is not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "input is not valid JSON"),
        ('{"today": {"date": "2026-11-23", "pain_now": 1' + "0" * 5000 + "}}", "input is not"),
    ],
)
def test_invalid_json_exits_2_with_one_stderr_line(text: str, reason: str) -> None:
    status, out, err = call(text)
    assert (status, out) == (2, "")
    assert err.startswith(f"mendbot triage: {reason}")
    assert err.endswith("\n")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"today": {"date": "2026-11-23", "pain_now": 11}}, "today.pain_now must be"),
        ({"today": {"date": "2026-11-23", "red_flags": ["rash"]}}, "today.red_flags[0] is not"),
        ({"today": {"date": "2026-11-23"}, "history": 3}, "history must be a list of days"),
        ([1, 2], "input must be a JSON object"),
    ],
)
def test_invalid_field_exits_2_naming_it(document: object, message: str) -> None:
    status, out, err = call(json.dumps(document))
    assert (status, out) == (2, "")
    assert err.startswith(f"mendbot triage: {message}")
    assert err.count("\n") == 1


SUBPROCESS_CODE = (
    "import sys; from bot.triage_cli import run; sys.exit(run(sys.stdin, sys.stdout, sys.stderr))"
)


@pytest.mark.parametrize(
    ("stdin", "status", "stdout", "stderr"),
    [
        (json.dumps(EXAMPLE), 0, EXPECTED_LINE, ""),
        ("not json", 2, "", "mendbot triage: input is not valid JSON"),
    ],
)
def test_runs_as_a_real_process(stdin: str, status: int, stdout: str, stderr: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SUBPROCESS_CODE],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (status, stdout)
    assert done.stderr.startswith(stderr)
    assert "Traceback" not in done.stderr
