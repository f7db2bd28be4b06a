"""Every benchmark still runs: ``python -m bench --smoke NAME`` (the benchmark's own code at its ``SMOKE``
sizes, in a fresh process as ``make bench`` runs it). Figures are printed, never asserted: what fails here
is a benchmark that no longer runs (an import it relies on removed, a renamed field, a workflow that no
longer completes)."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import HANG_GUARD_SECONDS
from bench.__main__ import modules

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.stack  # most benchmarks start their own local stack (in the child process)


def test_every_benchmark_module_is_found_and_has_smoke_sizes():
    found = modules()
    on_disk = {p.stem for p in (ROOT / "bench").glob("*.py")} - {"__init__", "__main__"}
    assert set(found) == on_disk, "a module in bench/ that `make bench` would not run"
    for name in found:
        mod = importlib.import_module(f"bench.{name}")
        assert callable(mod.run) and isinstance(mod.SMOKE, dict), name


@pytest.mark.parametrize("name", modules())
def test_benchmark_runs_at_smoke_sizes(name):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "bench", "--smoke", name], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=HANG_GUARD_SECONDS)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith(f"== {name} (smoke:"), proc.stdout[:500]
    assert len(proc.stdout.strip().splitlines()) >= 2, "the benchmark printed no figures"
