"""Benchmark: rating plus line proposal in pure domain code (no I/O) for 100,000 households.

What is timed, per household: the household metrics (``household_metrics.rating_input``), the expert
scorecard against its village's averages (``scorecard.score_household``), the master line and product
sub-lines (``credit_line.propose_line``), the credit-household verdict and the explanation figures —
exactly ``village_credit.rate_household`` as a campaign task runs it. Village averages are computed per
village of 300 households and are timed too.

Households: 3,000 synthetic ones (``infra.synthetic``, 10 villages; ``distinct``) reused cyclically under
new ids (generating 100,000 distinct files is not what is measured). Single process, single thread.

``run() -> dict`` (``python -m bench.bench_rating`` prints it). Figures are printed, not asserted.
"""
from __future__ import annotations

import json
import platform
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

N_HOUSEHOLDS = 100_000
N_DISTINCT = 3000
VILLAGE_SIZE = 300
#: ``python -m bench --smoke``: two villages of 300 rated once each
SMOKE = {"n": 600, "distinct": 600}


def _households(n_distinct: int = N_DISTINCT) -> list[dict[str, Any]]:
    from infra.synthetic import village_households_in

    # the rating domain's input: the household's facts with its id (no store, no personal-data protection needed)
    villages = [f"2201221022{n:02d}" for n in range(max(1, n_distinct // VILLAGE_SIZE))]
    out = []
    for code in villages:
        for k, h in enumerate(village_households_in(code, VILLAGE_SIZE, seed=1, today=date(2026, 1, 1))):
            out.append({**h, "household_id": f"HH-{code}-{k:04d}"})
    return out


def run(n: int = N_HOUSEHOLDS, distinct: int = N_DISTINCT) -> dict[str, Any]:
    from chalicelib.platform.parameters import default_document
    from chalicelib.rating.domain import village_credit as vc
    from chalicelib.rating.domain.scorecard import village_averages

    pool = _households(distinct)
    policies = vc.Policies.from_documents(scorecard=default_document("scorecard_expert"),
                                          credit_line=default_document("credit_line_policy"),
                                          products=default_document("products"),
                                          evaluation=default_document("credit_evaluation"))
    today = date(2026, 11, 30)
    grades: Counter[str] = Counter()
    limit_total = Decimal(0)
    failed = 0
    t0 = time.perf_counter()
    for start in range(0, n, VILLAGE_SIZE):
        village = [pool[(start + k) % len(pool)] for k in range(min(VILLAGE_SIZE, n - start))]
        inputs, bad = vc.inputs_for(village, today=today, term_years=policies.requested_term_years)
        failed += len(bad)
        avg = village_averages(inputs.values())
        for h in village:
            inp = inputs.get(h["household_id"])
            if inp is None:
                continue
            out = vc.rate_household(h, avg, policies, today=today, rating_input=inp)
            grades[out.score.grade] += 1
            limit_total += out.proposal.master_limit
    seconds = time.perf_counter() - t0
    return {"households": n, "seconds": round(seconds, 3), "households_per_second": round(n / seconds),
            "microseconds_per_household": round(seconds / n * 1e6, 1), "failed": failed,
            "grades": dict(sorted(grades.items())), "limit_total": str(limit_total),
            "python": platform.python_version(), "machine": platform.machine()}


def report(result: dict[str, Any]) -> str:
    return (f"rated + line proposed: {result['households']:,} households in {result['seconds']} s = "
            f"{result['households_per_second']:,} households/s ({result['microseconds_per_household']} µs each); "
            f"grades {result['grades']}")


if __name__ == "__main__":
    r = run()
    print(report(r))
    print(json.dumps(r, ensure_ascii=False, indent=1))
