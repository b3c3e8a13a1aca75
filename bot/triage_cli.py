"""`mendbot triage`: what would this check-in raise? (TRIAGE.md section 6).

Reads one JSON document on stdin, prints the assessment JSON on stdout with the bot's own rule code
and default thresholds. Trainers and scripts read the output, so failures are one line on stderr
with exit status 2, never a traceback.
"""

from __future__ import annotations

import json
from typing import TextIO

from flows.checkin.triage import TriageInputError, assess, parse_input

PROG = "mendbot triage"
EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INVALID = 2


def run(stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """Assess the check-in on stdin; 0 with the JSON on stdout, 2 and one stderr line if invalid."""
    try:
        doc = json.loads(stdin.read())
    except UnicodeDecodeError:
        return _fail(stderr, "input is not valid UTF-8", EXIT_INVALID)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        return _fail(stderr, f"input is not valid JSON: {exc.msg} ({where})", EXIT_INVALID)
    except (ValueError, RecursionError):
        # e.g. an integer with thousands of digits, or arrays nested thousands deep
        return _fail(stderr, "input is not valid JSON", EXIT_INVALID)
    try:
        client, today, history = parse_input(doc)
        assessment = assess(client, today, history)
    except TriageInputError as exc:
        return _fail(stderr, str(exc), EXIT_INVALID)
    except Exception as exc:  # a bug must still not print a traceback at the trainer
        return _fail(stderr, f"internal error ({type(exc).__name__})", EXIT_INTERNAL)
    stdout.write(json.dumps(assessment.to_json()) + "\n")
    return EXIT_OK


def _fail(stderr: TextIO, reason: str, status: int) -> int:
    stderr.write(f"{PROG}: {reason}\n")
    return status
