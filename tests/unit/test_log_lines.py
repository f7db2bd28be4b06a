"""A log line of the app comes out once, as the Powertools JSON line: the composition root (``app.py``, what ``make
run`` serves) must not give the same stdlib logger a second, plain-text handler. Runs in a fresh interpreter, as the
local stack does: import the app, log through :func:`chalicelib.platform.observability.logger`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import app  # the app as `make run` imports it (infra.local.server)
from chalicelib.platform.observability import logger
logger().info("one-line-marker")
"""


def test_an_app_log_line_is_printed_once_as_json():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"PATH": "", "POWERTOOLS_METRICS_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"})
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [ln for ln in (done.stdout + done.stderr).splitlines() if "one-line-marker" in ln]
    assert len(lines) == 1, lines
    record = json.loads(lines[0])
    assert (record["message"], record["level"], record["service"]) == ("one-line-marker", "INFO", "village-credit")
