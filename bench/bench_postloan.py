"""Post-loan classification and warning scan over 100,000 active loans on the local stack.

A fresh local stack (moto server built from template.yaml, organisations and parameters seeded) gets
``N`` active loan accounts written directly with batch writes, in the loans subsystem's item shape
(:class:`chalicelib.loans.data.models.Loan`: GSI3 ``LOANS#ACTIVE#<shard>`` / ``<next_due_date>#<loan_id>``)
with ``village_code``, ``account_manager_id`` and ``next_due_amount``, spread over every
village of 农安县 and 榆树市 and 300 account managers. ``OVERDUE_SHARE`` of them are overdue (1 to 400
days past due) and get their installment items too; the healthy loans' installments are not written
because neither job reads them.

Then, in this process (the job handlers' own code, as the Lambda runs it), for two consecutive
business dates: ``loan_classification`` followed by ``warning_scan``. Day 1 is the first run ever (every
overdue loan gets its post-loan state, history and signals); day 2 is the steady state (one more day
past due for each overdue loan, and ``NEW_OVERDUE_SHARE`` of the loans miss a payment due the day
before). Figures: wall time and DynamoDB requests by operation.

Emulator note: moto's Query iterates the whole table on every call (``O(table)``, index or not), so
with 150,000 items each query of the jobs costs seconds here and milliseconds on DynamoDB; the jobs are
written to need few queries (one per shard or date partition) and to read everything else by key
(BatchGetItem). The request counts are the figures that carry over to AWS.
"""
from __future__ import annotations

import os
import random
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

N_LOANS = int(os.environ.get("BENCH_POSTLOAN_LOANS", "100000"))
#: ``python -m bench --smoke``: 300 loans (about ten of them overdue)
SMOKE = {"n": 300}
OVERDUE_SHARE = 0.03
NEW_OVERDUE_SHARE = 0.0015
MANAGERS = 300
DAY1 = date(2025, 6, 2)


def _org_paths() -> list[tuple[str, str]]:
    """(village code, outlet org_path) of every village-level unit of the two seeded counties."""
    from chalicelib.reference.divisions import villages_in_county
    from infra.seed import branch_id, outlet_id

    out = []
    for county in ("220122", "220182"):
        for v in villages_in_county(county):
            if v.kind == "village":
                out.append((v.code, f"/JL/JL-{county}/{branch_id(v.township_code)}/{outlet_id(v.township_code)}/"))
    return out


def _seed(n: int, day: date) -> dict[str, Any]:
    from chalicelib.loans.data import loans
    from chalicelib.loans.domain.schedules import build_schedule
    from chalicelib.loans.domain.servicing import installment_record
    rng = random.Random(20250602)
    villages = _org_paths()
    managers = [f"bench-am-{i:03d}" for i in range(MANAGERS)]
    overdue = 0

    def accounts():
        nonlocal overdue
        for i in range(n):
            code, org_path = villages[i % len(villages)]
            loan_id = f"LA{uuid.UUID(int=rng.getrandbits(128)).hex[:14].upper()}"
            amount = Decimal(rng.choice([10000, 20000, 30000, 50000, 80000]))
            draw = rng.random()
            is_overdue = draw < OVERDUE_SHARE + NEW_OVERDUE_SHARE
            if draw < OVERDUE_SHARE:
                next_due = day - timedelta(days=rng.randint(1, 400))   # overdue on day 1
            elif is_overdue:
                next_due = day                                          # misses today's payment: overdue on day 2
            else:
                next_due = day + timedelta(days=rng.randint(1, 30))
            overdue += is_overdue
            start = next_due - timedelta(days=30 * rng.randint(1, 11))
            loan = {"loan_id": loan_id, "drawdown_id": "DD" + loan_id[2:], "household_id": f"HHB{i:07d}",
                    "org_path": org_path, "village_code": code, "account_manager_id": managers[i % MANAGERS],
                    "line_id": f"LNB{i:07d}", "product_code": "NH_XYD", "product_kind": "credit", "revolving": True,
                    "principal": amount, "outstanding_principal": amount, "annual_rate": Decimal("0.0500"),
                    "penalty_uplift": Decimal("0.5"), "grace_days": 0, "day_count": "ACT/360",
                    "method": "equal_installment", "frequency_months": 1, "start_date": start.isoformat(),
                    "maturity_date": (start + timedelta(days=365)).isoformat(), "next_due_date": next_due.isoformat(),
                    "next_due_amount": (amount * Decimal("0.0856")).quantize(Decimal("0.01")),  # ~1/12 + interest
                    "status": "active", "schedule_version": 1}
            records = []
            if is_overdue:
                schedule = build_schedule(principal=amount, annual_rate=Decimal("0.0500"), method="equal_installment",
                                          term_months=12, start_date=next_due - timedelta(days=30),
                                          first_due_date=next_due)
                records = [installment_record(x, schedule_version=1) for x in schedule.installments]
            yield loan, records

    t = time.perf_counter()
    written = loans.seed(accounts())
    return {"loans": n, "overdue_loans": overdue, "items_written": written,
            "seed_seconds": round(time.perf_counter() - t, 1), "villages": len(villages), "managers": MANAGERS}


class _Counter:
    def __init__(self) -> None:
        self.ops: Counter[str] = Counter()

    def __call__(self, model: Any = None, **_: Any) -> None:
        self.ops[model.name if model is not None else "?"] += 1


def _timed(job: str, day: date, counter: _Counter) -> dict[str, Any]:
    from chalicelib.postloan.service.jobs import run_job

    counter.ops.clear()
    ctx = SimpleNamespace(aws_request_id=uuid.uuid4().hex, get_remaining_time_in_millis=lambda: 10 ** 9)
    t = time.perf_counter()
    out = run_job(job, {"job": job, "business_date": day.isoformat()}, ctx)
    wall = time.perf_counter() - t
    assert out["status"] == "completed", out
    return {"wall_seconds": round(wall, 1), "dynamodb_requests": sum(counter.ops.values()),
            "by_operation": dict(sorted(counter.ops.items())), "counters": out["counters"]}


def run(n: int = N_LOANS) -> dict[str, Any]:
    from infra.local.server import free_port, start_stack

    server, _stack = start_stack(free_port(), extra_env={"STAGE": "test"})
    try:
        from chalicelib.platform import dynamo

        seeded = _seed(n, DAY1)
        counter = _Counter()
        dynamo.client().meta.events.register("before-call.dynamodb", counter)
        days = {}
        for label, day in (("day1_first_run", DAY1), ("day2_steady_state", DAY1 + timedelta(days=1))):
            days[label] = {job: _timed(job, day, counter) for job in ("loan_classification", "warning_scan")}
        return {"seed": seeded, **days,
                "note": "local stack: moto server in-process (queries O(table)), every DynamoDB call serialised by the "
                        "seam lock; jobs run in this process (no Lambda time limit); healthy loans' installments "
                        "not seeded (neither job reads them)"}
    finally:
        server.stop()


def report(result: dict[str, Any]) -> str:
    s = result["seed"]
    lines = [f"post-loan jobs over {s['loans']:,} active loans ({s['overdue_loans']:,} overdue, {s['villages']} villages, "
             f"{s['managers']} account managers); seeded {s['items_written']:,} items in {s['seed_seconds']} s"]
    for label in ("day1_first_run", "day2_steady_state"):
        for job, f in result[label].items():
            ops = ", ".join(f"{k} {v:,}" for k, v in f["by_operation"].items())
            lines.append(f"  {label:<18} {job:<20} {f['wall_seconds']:>7.1f} s  {f['dynamodb_requests']:>7,} requests ({ops})")
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    res = run(int(sys.argv[1]) if len(sys.argv) > 1 else N_LOANS)
    print(report(res))
    print(json.dumps(res, indent=1, default=str))
