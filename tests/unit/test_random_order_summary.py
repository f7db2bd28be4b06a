"""The suite's closing lines name pytest-randomly's seed and how to repeat the order (tests/conftest.py
``pytest_terminal_summary``): ``addopts`` has ``-q``, which hides the plugin's own header. Runs pytest itself on a
small real test file of this suite, in a subprocess, as a developer would."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = "tests/unit/test_lpr_calendar.py"


def _pytest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", TARGET, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def test_a_shuffled_run_ends_with_its_seed_and_the_rerun_option():
    done = _pytest("--randomly-seed=4242")
    assert done.returncode == 0, done.stdout[-2000:]
    assert ("pytest-randomly seed 4242: rerun in this order with --randomly-seed=4242 (-p no:randomly runs in the "
            "written order)") in done.stdout.splitlines()


def test_a_run_in_written_order_names_no_seed():
    done = _pytest("-p", "no:randomly")
    assert done.returncode == 0, done.stdout[-2000:]
    assert "randomly-seed" not in done.stdout and "pytest-randomly seed" not in done.stdout
