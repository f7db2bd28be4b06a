"""Every benchmark still runs: ``python -m bench --smoke`` is what ``make bench`` runs (every module, each in
its own process), at each module's ``SMOKE`` sizes. Figures are printed, never asserted: what fails here is
a benchmark that no longer runs (an import it relies on removed, a renamed field, a workflow that no longer
completes, two benchmarks that cannot run one after the other)."""
from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import HANG_GUARD_SECONDS
from bench.__main__ import modules

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.stack  # most benchmarks start their own local stack (in their own process)


def test_every_benchmark_module_is_found_and_has_smoke_sizes():
    found = modules()
    on_disk = {p.stem for p in (ROOT / "bench").glob("*.py")} - {"__init__", "__main__"}
    assert set(found) == on_disk, "a module in bench/ that `make bench` would not run"
    for name in found:
        mod = importlib.import_module(f"bench.{name}")
        assert callable(mod.run) and isinstance(mod.SMOKE, dict), name


def test_make_bench_runs_every_benchmark_at_smoke_sizes():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "bench", "--smoke"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=len(modules()) * HANG_GUARD_SECONDS)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert re.findall(r"^== (\S+) \(smoke:", proc.stdout, re.M) == modules()
    sections = re.split(r"^== ", proc.stdout, flags=re.M)[1:]
    assert all(len(s.strip().splitlines()) >= 2 for s in sections), "a benchmark printed no figures"
