"""Benchmarks (`make bench`): figures are printed, never asserted.

Every benchmark module (``cold_start`` and ``bench_*.py``) defines ``run(**sizes) -> dict`` with its full
sizes as defaults and ``SMOKE``, the keyword arguments of a tiny run (seconds, not minutes) that walks the
same code. ``python -m bench --smoke`` runs them all that way; ``tests/bench/test_bench_smoke.py`` does so
in ``make test``, so a benchmark that no longer runs fails the suite instead of rotting until the next
``make bench``.
"""

#: A deadline that only stops a wait from hanging forever when something is broken; never a statement
#: about how fast anything should be (the figures are what the benchmarks measure).
HANG_GUARD_SECONDS = 3600
